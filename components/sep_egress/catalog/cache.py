"""The cache of validated catalogs: its folder, its keys, and reading and writing one JSON document in it.

A validated catalog is kept in a per-user cache keyed by the file's content and the code that reads it, so the CLI
does not pay for YAML parsing and schema building on every run. The cache is JSON, never serialised Python objects:
its folder is configurable (``SEP_EGRESS_CACHE_DIR``), and a file there must not be able to run code or bring in a
value the validators would refuse. This module knows no catalog: each catalog's ``load`` module turns its catalog
into JSON and back with its own codec (``vendor/codec.py``, ``internal/codec.py``), which checks every canonical
value again and raises ``CacheFormatError`` for a document it did not write.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .. import __version__
from ..errors import CatalogError
from .bounded_yaml import MAX_CATALOG_BYTES, read_bounded

CACHE_ENV = "SEP_EGRESS_CACHE_DIR"
NO_CACHE_ENV = "SEP_EGRESS_NO_CACHE"
#: A cache entry is at most this large (JSON of a validated catalog; anything larger is not ours).
MAX_CACHE_BYTES = 4 * MAX_CATALOG_BYTES

T = TypeVar("T")


class CacheFormatError(ValueError):
    """A cache file is not a catalog this version wrote (corrupt, foreign or tampered with)."""


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sep-egress"


def code_fingerprint(names: Sequence[str]) -> bytes:
    """The code that validates and represents a catalog (files of this package, relative to ``catalog/``): a
    change to it must invalidate cached results."""
    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for name in names:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest().encode()


def cache_entry(kind: str, content: bytes, fingerprint: bytes) -> Path:
    """The cache file of one catalog file: its key hashes the file's bytes with the version of this package and
    the code that validates and represents the catalog (``fingerprint``), so an edited catalog or an upgrade is
    always validated again."""
    key = hashlib.sha256(b"\0".join([content, __version__.encode(), fingerprint])).hexdigest()
    return cache_dir() / f"{kind}-{key[:32]}.json"


def read_cached(entry: Path, decode: Callable[[Any], T]) -> T | None:
    """The document in ``entry`` through ``decode``, or None when there is none or it is unusable (unreadable,
    too large, not JSON, or refused by ``decode``): the caller then validates the file again."""
    try:
        return decode(json.loads(read_bounded(entry, str(entry), MAX_CACHE_BYTES).decode("utf-8")))
    except (CatalogError, CacheFormatError, ValueError, TypeError, KeyError, RecursionError):
        return None  # any unusable cache entry is simply rebuilt


def write_cached(entry: Path, document: Any) -> None:
    """Write a JSON document as a cache entry (ASCII, sorted keys)."""
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
