"""Reading the catalog and overlay files: YAML in, validated models out, or one ``CatalogError`` naming the
file, the entry and the field of every problem. Nothing is half-loaded.

A validated catalog is kept in a per-user cache keyed by the file's content and the versions of this package and
pydantic, so the CLI does not pay for YAML parsing and schema building on every run (see ``_cached_catalog``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .. import __version__
from ..errors import CatalogError
from .models import Catalog, Overlay

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

DATA_DIR = Path(__file__).parent / "data"
CATALOG_PATH = DATA_DIR / "endpoints.yaml"
CACHE_ENV = "SEP_EGRESS_CACHE_DIR"
NO_CACHE_ENV = "SEP_EGRESS_NO_CACHE"

M = TypeVar("M", bound="BaseModel")


@lru_cache(maxsize=1)
def _yaml_loader() -> Any:
    """A safe YAML loader that refuses a key written twice in one mapping (YAML would keep the last silently).

    Built on first use so that a run served from the cache never imports yaml.
    """
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):  # type: ignore[valid-type,misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return UniqueKeyLoader


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CatalogError(source, [("", f"cannot read the file ({exc.strerror or exc})")]) from None


def read_yaml(path: Path, source: str, content: bytes | None = None) -> Any:
    """Parse a YAML file, turning every I/O or syntax problem into a ``CatalogError`` for ``source``."""
    import yaml

    data = content if content is not None else _read_bytes(path, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(source, [("", "the file is not UTF-8 text")]) from None
    try:
        return yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a timestamp such as 2026-13-01 (not a date)
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(source, [(where, f"not valid YAML: {problem}")]) from None


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

    return validate_document(CatalogDocument, read_yaml(path, source, content), source).to_model()


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

    The key hashes the file's bytes with the versions of this package and pydantic, so an edited catalog or an
    upgrade is always validated again. The cache is private to the user (0700 folder, 0600 files); an unreadable,
    corrupt or foreign entry is ignored and rewritten. ``SEP_EGRESS_NO_CACHE=1`` turns the cache off.
    """
    content = _read_bytes(path, source)
    if os.environ.get(NO_CACHE_ENV):
        return _validate_catalog(path, source, content)
    key = hashlib.sha256(b"\0".join([content, __version__.encode(), _schema_fingerprint()])).hexdigest()
    entry = cache_dir() / f"catalog-{key[:32]}.pickle"
    try:
        with entry.open("rb") as handle:
            cached = pickle.load(handle)  # noqa: S301 - our own file in a private folder, keyed by content
        if isinstance(cached, Catalog):
            return cached
    except Exception:  # noqa: S110 - any unusable cache entry is simply rebuilt
        pass
    catalog = _validate_catalog(path, source, content)
    _write_cache(entry, catalog)
    return catalog


def _schema_fingerprint() -> bytes:
    """The code that validates and represents a catalog: a change to it must invalidate cached results."""
    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("schema.py", "models.py", "hosts.py", "versions.py"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest().encode()


def _write_cache(entry: Path, catalog: Catalog) -> None:
    import tempfile

    temporary: str | None = None
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=entry.parent, prefix=".catalog-", delete=False) as handle:
            temporary = handle.name
            pickle.dump(catalog, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
    except OSError:
        if temporary:  # a read-only or full disk only costs speed
            Path(temporary).unlink(missing_ok=True)


def load_overlay(path: Path | str) -> Overlay:
    """Load and validate an overlay file: extra entries (hosts or CIDRs) and exclusions by id."""
    file = Path(path)
    return parse_overlay(read_yaml(file, str(file)), str(file))


def parse_overlay(document: Any, source: str = "overlay") -> Overlay:
    """Validate an overlay given as data (the mapping an overlay file holds); errors name ``source``."""
    from .schema import OverlayDocument

    return validate_document(OverlayDocument, document, source).to_model()
