"""Loading the internal-paths file (``data/internal.yaml``): YAML in, a validated ``InternalCatalog`` out, or one
``CatalogError`` naming the file, the path and the field of every problem.

Like the vendor's list (``vendor/load.py``), it loads without pydantic or YAML when the validated file is in the
cache (``cache.py``, with this catalog's own codec, ``internal/codec.py``); ``internal/schema.py`` holds the file
schema.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...errors import CatalogError
from ..bounded_yaml import MAX_CATALOG_BYTES, read_bounded, read_yaml
from ..cache import NO_CACHE_ENV, cache_entry, code_fingerprint, read_cached, write_cached
from ..validation import validate_document
from .codec import internal_from_json, internal_to_json
from .models import InternalCatalog

INTERNAL_CATALOG_PATH = Path(__file__).parents[1] / "data" / "internal.yaml"


def load_internal_catalog(path: Path | str | None = None) -> InternalCatalog:
    """Load and validate the internal-paths file (the packaged one by default); errors name the file and path."""
    if path is None:
        return _packaged_internal_catalog()
    file = Path(path)
    return _cached_internal_catalog(file, str(file))


@lru_cache(maxsize=1)
def _packaged_internal_catalog() -> InternalCatalog:
    return _cached_internal_catalog(INTERNAL_CATALOG_PATH, "catalog internal.yaml")


def _validate(path: Path, source: str, content: bytes) -> InternalCatalog:
    from .schema import InternalCatalogDocument

    raw = read_yaml(path, source, content)
    try:
        return validate_document(InternalCatalogDocument, raw, source).to_model()
    except CatalogError as error:
        raise CatalogError(source, [(_name_path(raw, where), message) for where, message in error.problems]) from None


_PATH_FIELD = re.compile(r"^field 'paths\[(\d+)\]\.?(.*)'$")


def _name_path(raw: Any, where: str) -> str:
    """``field 'paths[3].ports[0]'`` becomes ``path 'sepm-agent-https', field 'ports[0]'``."""
    match = _PATH_FIELD.match(where)
    paths = raw.get("paths") if isinstance(raw, dict) else None
    if not match or not isinstance(paths, list) or int(match[1]) >= len(paths):
        return where
    item = paths[int(match[1])]
    label = (
        f"path {item['id']!r}" if isinstance(item, dict) and isinstance(item.get("id"), str) else f"paths[{match[1]}]"
    )
    return f"{label}, field {match[2]!r}" if match[2] else label


def _cached_internal_catalog(path: Path, source: str) -> InternalCatalog:
    """Validate the file, or reuse the validated result of the very same bytes and code (see ``vendor/load.py``)."""
    content = read_bounded(path, source, MAX_CATALOG_BYTES)
    if os.environ.get(NO_CACHE_ENV):
        return _validate(path, source, content)
    # The same cache as the vendor's list (cache.py): JSON in the user's cache folder, every value checked again
    # when read back (internal/codec.py), never pickle (the folder is configurable, so its files are untrusted).
    entry = cache_entry("internal", content, _code_fingerprint())
    cached = read_cached(entry, internal_from_json)
    if cached is not None:
        return cached
    catalog = _validate(path, source, content)
    write_cached(entry, internal_to_json(catalog))
    return catalog


#: The code that validates and represents the internal catalog (relative to ``catalog/``).
_CODE = (
    "internal/models.py",
    "internal/schema.py",
    "internal/codec.py",
    "schema_fields.py",
    "history.py",
    "roles.py",
    "versions.py",
    "hosts.py",
    "json_fields.py",
)


def _code_fingerprint() -> bytes:
    """The code that validates and represents the internal catalog: a change to it must invalidate cached results."""
    return code_fingerprint(_CODE)
