"""Reading the vendor's catalog and overlay files: YAML in, validated models out, or one ``CatalogError`` naming
the file, the entry and the field of every problem (``validation.py``). Nothing is half-loaded.

A validated catalog is kept in the per-user cache (``cache.py``) keyed by the file's content and the code that reads
it, so the CLI does not pay for YAML parsing and schema building on every run (see ``_cached_catalog``). The cache
is JSON, never serialised Python objects: its folder is configurable (``SEP_EGRESS_CACHE_DIR``), and a file there
must not be able to run code or bring in a value the validators would refuse (``vendor/codec.py`` checks every
canonical value again).

Imports written ``X as X`` re-export what the old flat module ``catalog/load.py`` held, for its old path
(``MOVED_MODULES`` in ``catalog/__init__.py``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...errors import CatalogError
from .. import bounded_yaml
from ..bounded_yaml import MAX_CATALOG_BYTES
from ..bounded_yaml import read_yaml as read_yaml
from ..cache import CACHE_ENV as CACHE_ENV
from ..cache import MAX_CACHE_BYTES as MAX_CACHE_BYTES
from ..cache import NO_CACHE_ENV as NO_CACHE_ENV
from ..cache import CacheEntry, CacheFormatError, cache_entry, code_fingerprint, read_cached, write_cached
from ..cache import cache_dir as cache_dir
from ..cache import write_cache_file as write_cache_file
from ..validation import validate_document as validate_document
from ..validation import validation_problems as validation_problems
from .codec import catalog_from_json, catalog_to_json
from .models import Catalog, Overlay

DATA_DIR = Path(__file__).parents[1] / "data"
CATALOG_PATH = DATA_DIR / "endpoints.yaml"


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


def _cached_catalog(path: Path, source: str) -> Catalog:
    """Validate a catalog file, or reuse the result of validating the very same bytes before.

    The key hashes the file's bytes with the version of this package and the code that validates and represents a
    catalog, so an edited catalog or an upgrade is always validated again. The cache is private to the user (0700
    folder, 0600 files) and holds JSON, read back through ``vendor/codec.py``'s ``catalog_from_json``, which checks
    every host, URL, CIDR, id, port and text with the same validators as the schema (without pydantic); an
    unreadable, corrupt, foreign or tampered entry is ignored and rewritten. ``SEP_EGRESS_NO_CACHE=1`` turns the
    cache off.
    """
    content = bounded_yaml.read_bounded(path, source, MAX_CATALOG_BYTES)
    if os.environ.get(NO_CACHE_ENV):
        return _validate_catalog(path, source, content)
    entry = cache_entry("catalog", content, _schema_fingerprint())
    cached = read_cached(entry, catalog_from_json)
    if cached is not None:
        return cached
    catalog = _validate_catalog(path, source, content)
    _write_cache(entry, catalog)
    return catalog


#: The code that validates and represents a catalog (relative to ``catalog/``).
_CODE = (
    "vendor/schema.py",
    "vendor/models.py",
    "vendor/codec.py",
    "schema_fields.py",
    "history.py",
    "roles.py",
    "hosts.py",
    "versions.py",
    "json_fields.py",
)


def _schema_fingerprint() -> bytes:
    """The code that validates and represents a catalog: a change to it must invalidate cached results."""
    return code_fingerprint(_CODE)


def _write_cache(entry: CacheEntry, catalog: Catalog) -> None:
    try:
        document = catalog_to_json(catalog)
    except CacheFormatError:  # a field this format cannot hold: validate on every run rather than lose it
        return
    write_cached(entry, document)


#: What makes a file an overlay: its name ends in one of these, and its top level is a mapping of these keys only.
OVERLAY_SUFFIXES = (".yaml", ".yml")
OVERLAY_KEYS = ("description", "entries", "exclude")


def load_overlay(path: Path | str) -> Overlay:
    """Load and validate an overlay file: extra entries (hosts or CIDRs) and exclusions by id.

    Only an overlay is read as one: a regular ``.yaml``/``.yml`` file whose top level is a mapping of
    ``description``, ``entries`` and ``exclude``. Any other file (a stack's ``overlays:`` may name any path) is
    refused without its keys or content in the message, so an error never shows what another file holds."""
    file = Path(path)
    source = str(file)
    if file.suffix.lower() not in OVERLAY_SUFFIXES:
        raise CatalogError(source, [("", "not an overlay: an overlay file's name ends in .yaml or .yml")])
    document = read_yaml(file, source)
    if isinstance(document, dict) and any(key not in OVERLAY_KEYS for key in document):
        raise CatalogError(
            source,
            [("", f"not an overlay: an overlay is a YAML mapping of {', '.join(OVERLAY_KEYS)} only")],
        )
    return parse_overlay(document, source)


def parse_overlay(document: Any, source: str = "overlay") -> Overlay:
    """Validate an overlay given as data (the mapping an overlay file holds); errors name ``source``."""
    from .schema import OverlayDocument

    return validate_document(OverlayDocument, document, source).to_model()
