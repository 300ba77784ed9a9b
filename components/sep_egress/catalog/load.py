"""Reading the catalog and overlay files: YAML in, validated models out, or one ``CatalogError`` naming the
file, the entry and the field of every problem. Nothing is half-loaded.

A validated catalog is kept in a per-user cache keyed by the file's content and the code that reads it, so the CLI
does not pay for YAML parsing and schema building on every run (see ``_cached_catalog``). The cache is JSON, never
serialised Python objects: its folder is configurable (``SEP_EGRESS_CACHE_DIR``), and a file there must not be able
to run code or bring in a value the validators would refuse (``cache_format`` checks every canonical value again).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .. import __version__
from ..errors import CatalogError
from . import bounded_yaml
from .bounded_yaml import MAX_CATALOG_BYTES, MAX_FILE_BYTES
from .cache_format import CacheFormatError, catalog_from_json, catalog_to_json
from .models import Catalog, Overlay

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

DATA_DIR = Path(__file__).parent / "data"
CATALOG_PATH = DATA_DIR / "endpoints.yaml"
CACHE_ENV = "SEP_EGRESS_CACHE_DIR"
NO_CACHE_ENV = "SEP_EGRESS_NO_CACHE"

M = TypeVar("M", bound="BaseModel")
#: A cache entry is at most this large (JSON of a validated catalog; anything larger is not ours).
MAX_CACHE_BYTES = 4 * MAX_CATALOG_BYTES


def read_yaml(path: Path, source: str, content: bytes | None = None, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse a YAML file within the bounds of ``bounded_yaml`` (size, alias expansion, nesting, no merge keys, no
    key written twice), turning every problem into a ``CatalogError`` for ``source``."""
    return bounded_yaml.read_yaml(path, source, content, max_bytes=max_bytes)


def _entry_label(raw: Any, index: int) -> str:
    entries = raw.get("entries") if isinstance(raw, dict) else None
    if isinstance(entries, list) and index < len(entries) and isinstance(entries[index], dict):
        entry_id = entries[index].get("id")
        if isinstance(entry_id, str):
            return f"entry {entry_id!r}"
    return f"entries[{index}]"


def _describe(raw: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic location into words: ``entry 'agent-x', field 'ports[1]'``."""
    parts: list[str] = []
    rest = list(loc)
    if len(rest) >= 2 and rest[0] == "entries" and isinstance(rest[1], int):
        parts.append(_entry_label(raw, rest[1]))
        rest = rest[2:]
    field = ""
    for item in rest:
        if isinstance(item, int):
            field += f"[{item}]"
        elif str(item).startswith("function-") or item in ("lax-or-strict", "json-or-python"):
            continue
        else:
            field += f".{item}" if field else str(item)
    if field:
        parts.append(f"field {field!r}")
    return ", ".join(parts)


def validation_problems(raw: Any, exc: ValidationError) -> list[tuple[str, str]]:
    """Every problem of a pydantic error as ``(where, message)``, in a stable order, without duplicates."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        # A union (IPv4 | IPv6) reports each member; the member's name adds nothing for the user.
        loc = tuple(item for item in loc if not (isinstance(item, str) and item[:4] in ("IPv4", "IPv6")))
        message = str(error["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        elif message.startswith("Assertion failed, "):
            message = message[len("Assertion failed, ") :]
        if error["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        elif error["type"] == "missing":
            message = "this field is required"
        where = _describe(raw, loc)
        # Validators that check list items report the index in the message; move it into the field name.
        indexed = re.match(r"^([a-z_]+)(\[\d+\]): (.*)$", message, re.DOTALL)
        if indexed and where.endswith(f"field '{indexed.group(1)}'"):
            where = where[: -len(f"{indexed.group(1)}'")] + f"{indexed.group(1)}{indexed.group(2)}'"
            message = indexed.group(3)
        item = (where, message)
        if item not in problems:
            problems.append(item)
    return problems


def validate_document(model: type[M], raw: Any, source: str) -> M:
    """Validate parsed YAML against a model, raising one ``CatalogError`` that lists every problem."""
    from pydantic import ValidationError

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise CatalogError(source, [("", f"expected a mapping at the top level, found {type(raw).__name__}")])
    problems = _duplicate_ids(raw)
    try:
        document = model.model_validate(raw)
    except ValidationError as exc:
        problems += [problem for problem in validation_problems(raw, exc) if problem not in problems]
    if problems:
        raise CatalogError(source, problems)
    return document


def _duplicate_ids(raw: dict[str, Any]) -> list[tuple[str, str]]:
    first_seen: dict[str, int] = {}
    problems: list[tuple[str, str]] = []
    entries = raw.get("entries")
    if not isinstance(entries, list):
        return problems
    for index, entry in enumerate(entries):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(entry_id, str):
            continue
        if entry_id in first_seen:
            problems.append(
                (f"entry {entry_id!r}, field 'id'", f"duplicate id (entries[{first_seen[entry_id]}] and [{index}])")
            )
        else:
            first_seen[entry_id] = index
    return problems


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Load and validate a catalog file (the packaged vendor list by default)."""
    if path is None:
        return _packaged_catalog()
    file = Path(path)
    return _cached_catalog(file, str(file))


def _validate_catalog(path: Path, source: str, content: bytes) -> Catalog:
    from .schema import CatalogDocument

    document = read_yaml(path, source, content, max_bytes=MAX_CATALOG_BYTES)
    try:
        return validate_document(CatalogDocument, document, source).to_model()
    except MemoryError:
        raise CatalogError(source, [("", "the catalog is too large to validate")]) from None


@lru_cache(maxsize=1)
def _packaged_catalog() -> Catalog:
    return _cached_catalog(CATALOG_PATH, "catalog endpoints.yaml")


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sep-egress"


def _cached_catalog(path: Path, source: str) -> Catalog:
    """Validate a catalog file, or reuse the result of validating the very same bytes before.

    The key hashes the file's bytes with the version of this package and the code that validates and represents a
    catalog, so an edited catalog or an upgrade is always validated again. The cache is private to the user (0700
    folder, 0600 files) and holds JSON, read back through ``cache_format.catalog_from_json``, which checks every
    host, URL, CIDR, id, port and text with the same validators as the schema (without pydantic); an unreadable,
    corrupt, foreign or tampered entry is ignored and rewritten. ``SEP_EGRESS_NO_CACHE=1`` turns the cache off.
    """
    content = bounded_yaml.read_bounded(path, source, MAX_CATALOG_BYTES)
    if os.environ.get(NO_CACHE_ENV):
        return _validate_catalog(path, source, content)
    key = hashlib.sha256(b"\0".join([content, __version__.encode(), _schema_fingerprint()])).hexdigest()
    entry = cache_dir() / f"catalog-{key[:32]}.json"
    try:
        cached = bounded_yaml.read_bounded(entry, str(entry), MAX_CACHE_BYTES)
        return catalog_from_json(json.loads(cached.decode("utf-8")))
    except (CatalogError, CacheFormatError, ValueError, TypeError, KeyError, RecursionError):
        pass  # any unusable cache entry is simply rebuilt
    catalog = _validate_catalog(path, source, content)
    _write_cache(entry, catalog)
    return catalog


def _schema_fingerprint() -> bytes:
    """The code that validates and represents a catalog: a change to it must invalidate cached results."""
    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("schema.py", "models.py", "hosts.py", "versions.py", "cache_format.py"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest().encode()


def _write_cache(entry: Path, catalog: Catalog) -> None:
    try:
        document = catalog_to_json(catalog)
    except CacheFormatError:  # a field this format cannot hold: validate on every run rather than lose it
        return
    write_cache_file(entry, json.dumps(document, ensure_ascii=True, sort_keys=True))


def write_cache_file(entry: Path, text: str) -> None:
    """Write a cache entry atomically in the private cache folder (0700, files 0600); a read-only or full disk only
    costs speed."""
    import tempfile

    temporary: str | None = None
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=entry.parent, prefix=".cache-", delete=False) as handle:
            temporary = handle.name
            handle.write(text.encode("utf-8"))
        os.replace(temporary, entry)
    except OSError:
        if temporary:
            Path(temporary).unlink(missing_ok=True)


def load_overlay(path: Path | str) -> Overlay:
    """Load and validate an overlay file: extra entries (hosts or CIDRs) and exclusions by id."""
    file = Path(path)
    return parse_overlay(read_yaml(file, str(file)), str(file))


def parse_overlay(document: Any, source: str = "overlay") -> Overlay:
    """Validate an overlay given as data (the mapping an overlay file holds); errors name ``source``."""
    from .schema import OverlayDocument

    return validate_document(OverlayDocument, document, source).to_model()
