"""The cache of validated catalogs: its folder, its keys, and reading and writing one JSON document in it.

A validated catalog is kept in a per-user cache keyed by the file's content and the code that reads it, so the CLI
does not pay for YAML parsing and schema building on every run. This module knows no catalog: each catalog's
``load`` module turns its catalog into JSON and back with its own codec (``vendor/codec.py``,
``internal/codec.py``), which checks every canonical value again and raises ``CacheFormatError`` for a document it
did not write.

What the cache trusts, and what it does not:

- **The folder is trusted only when it is private**: created 0700 (files 0600), and used only while it is a
  directory owned by the user running sep-egress and not writable by group or others. Otherwise it is ignored with
  one warning on stderr and every catalog is validated from its file: a folder that someone else can write is a
  way to change the policy (add a host to every export).
- **An entry is bound to the exact catalog it was built from**: its name hashes the catalog file's bytes, the
  package version and the code that validates the catalog, and the entry records the key and the SHA-256 of the
  catalog file; both are compared on read. Every host, URL, CIDR, id or other single-word value in the entry must
  also occur in the catalog file's own bytes, so an entry edited to add a host that the file does not have is
  refused and rebuilt.
- **Only regular files are read**: an entry that is a symbolic link, a FIFO or a device, owned by someone else or
  writable by others is refused (a FIFO would block a run forever).
- **Nothing in it runs**: JSON only, never pickle, every value checked again by the catalog's codec.

The user who owns the folder can still write a valid-looking entry; that user can equally edit sep-egress itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .. import __version__
from ..errors import CatalogError
from ..escape import plain_text
from .bounded_yaml import MAX_CATALOG_BYTES

CACHE_ENV = "SEP_EGRESS_CACHE_DIR"
NO_CACHE_ENV = "SEP_EGRESS_NO_CACHE"
#: A cache entry is at most this large (JSON of a validated catalog; anything larger is not ours).
MAX_CACHE_BYTES = 4 * MAX_CATALOG_BYTES

T = TypeVar("T")


class CacheFormatError(ValueError):
    """A cache file is not a catalog this version wrote (corrupt, foreign or tampered with)."""


#: The envelope's format: a change makes older entries unusable (they are rebuilt).
ENVELOPE_FORMAT = 2
_WARNED: set[str] = set()


@dataclass(frozen=True)
class CacheEntry:
    """One catalog file's cache entry: where it lives, its key, and the bytes of the catalog it stands for."""

    path: Path
    key: str
    content_sha256: str
    content: bytes = field(repr=False)

    @property
    def name(self) -> str:
        return self.path.name


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sep-egress"


def _warn(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        sys.stderr.write(f"sep-egress: warning: {plain_text(message)}\n")


def folder_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot hold the cache (not a directory, owned by someone else, writable by group or others),
    or None when it can or does not exist yet."""
    try:
        info = folder.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISDIR(info.st_mode):
        return "is not a directory"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"is owned by another user (uid {info.st_uid})"
    if info.st_mode & 0o022:
        return f"is writable by group or others (mode {stat.S_IMODE(info.st_mode):04o}); chmod 700 it"
    return None


def usable_folder(folder: Path) -> bool:
    """Whether the cache folder may be used; warns once (stderr) when it may not."""
    problem = folder_problem(folder)
    if problem is not None:
        _warn(f"the catalog cache folder {folder} {problem}: not used (set {CACHE_ENV} or {NO_CACHE_ENV}=1)")
        return False
    return True


def code_fingerprint(names: Sequence[str]) -> bytes:
    """The code that validates and represents a catalog (files of this package, relative to ``catalog/``): a
    change to it must invalidate cached results."""
    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for name in names:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest().encode()


def cache_entry(kind: str, content: bytes, fingerprint: bytes) -> CacheEntry:
    """The cache entry of one catalog file: its key hashes the file's bytes with the version of this package and
    the code that validates and represents the catalog (``fingerprint``), so an edited catalog or an upgrade is
    always validated again; the entry keeps the file's bytes to check what is read back against them."""
    digest = hashlib.sha256(content).hexdigest()
    key = hashlib.sha256(b"\0".join([content, __version__.encode(), fingerprint])).hexdigest()
    return CacheEntry(cache_dir() / f"{kind}-{key[:32]}.json", key, digest, content)


def _words(document: Any) -> Iterator[str]:
    """The single-word text values of a JSON document (hosts, URLs, CIDRs, ids, versions), keys left out."""
    if isinstance(document, str):
        if document and not any(char.isspace() for char in document):
            yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _words(value)
    elif isinstance(document, list):
        for value in document:
            yield from _words(value)


def _read_entry_bytes(path: Path) -> bytes | None:
    """The entry's bytes when it is a regular file of this user's, not writable by others, and small enough."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except OSError:
        return None  # missing, a symbolic link (O_NOFOLLOW) or unreadable
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o022:
            return None
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            return None
        data = stream.read(MAX_CACHE_BYTES + 1)
    return data if len(data) <= MAX_CACHE_BYTES else None


def read_cached(entry: CacheEntry, decode: Callable[[Any], T]) -> T | None:
    """The document in ``entry`` through ``decode``, or None when there is none or it is unusable (an unsafe
    folder, not a regular file, too large, not JSON, bound to another catalog, holding a value the catalog file
    does not have, or refused by ``decode``): the caller then validates the file again."""
    if not usable_folder(entry.path.parent):
        return None
    data = _read_entry_bytes(entry.path)
    if data is None:
        return None
    try:
        envelope = json.loads(data.decode("utf-8"))
        if (
            not isinstance(envelope, dict)
            or envelope.get("format") != ENVELOPE_FORMAT
            or envelope.get("key") != entry.key
            or envelope.get("catalog_sha256") != entry.content_sha256
        ):
            return None
        document = envelope.get("document")
        if any(word.encode("utf-8") not in entry.content for word in _words(document)):
            return None  # a value the catalog file does not hold: not what validating it gave
        return decode(document)
    except (CatalogError, CacheFormatError, ValueError, TypeError, KeyError, RecursionError):
        return None  # any unusable cache entry is simply rebuilt


def write_cached(entry: CacheEntry, document: Any) -> None:
    """Write a JSON document as the cache entry of its catalog (ASCII, sorted keys), bound to that catalog."""
    envelope = {
        "catalog_sha256": entry.content_sha256,
        "document": document,
        "format": ENVELOPE_FORMAT,
        "key": entry.key,
    }
    write_cache_file(entry.path, json.dumps(envelope, ensure_ascii=True, sort_keys=True))


def write_cache_file(entry: Path, text: str) -> None:
    """Write a cache entry atomically in the private cache folder (0700, files 0600); a read-only or full disk only
    costs speed, and a folder that is not private is not written to."""
    import tempfile

    temporary: str | None = None
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not usable_folder(entry.parent):
            return
        with tempfile.NamedTemporaryFile(dir=entry.parent, prefix=".cache-", delete=False) as handle:
            temporary = handle.name
            handle.write(text.encode("utf-8"))
        os.replace(temporary, entry)
    except OSError:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
