"""The vendor catalog's cache format: a validated ``Catalog`` as JSON, and back.

The cache folder is configurable (``SEP_EGRESS_CACHE_DIR``), so a cache file is untrusted input: JSON cannot run
code (a serialised Python object could), and ``catalog_from_json`` checks every value that reaches generated
output again with the catalog's own light validators (host names and URLs, CIDRs, ids, ports, roles, versions,
text), without pydantic; the readers it shares with the internal catalog's codec are in ``json_fields.py``.
A file that fails any check raises ``CacheFormatError``; the caller then validates the YAML again.

Imports written ``X as X`` re-export what the old flat module ``catalog/cache_format.py`` held, for its old path
(``MOVED_MODULES`` in ``catalog/__init__.py``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_args

from ..cache import CacheFormatError as CacheFormatError
from ..history import CATALOG_VERSION
from ..hosts import HostError, ParsedUrl, parse_cidr, parse_url
from ..internal.codec import internal_from_json as internal_from_json
from ..internal.codec import internal_to_json as internal_to_json
from ..json_fields import FORMAT as FORMAT
from ..json_fields import (
    change_from_json,
    change_to_json,
    read_choice,
    read_entry_id,
    read_list,
    read_optional_text,
    read_port,
    read_text,
    read_version,
)
from ..roles import ROLES
from .models import (
    Catalog,
    Edition,
    Entry,
    Protocol,
    Reading,
    StorageProvider,
    Text,
    check_edition_url,
    check_kb,
    check_language_tag,
    check_retrieved,
)

_PROTOCOLS = get_args(Protocol)
_STORAGE = get_args(StorageProvider)
_UNVERIFIED = "unverified"


def _localized(value: Any) -> Text:
    if not isinstance(value, dict):
        raise CacheFormatError("text object expected")
    return Text(en=read_text(value.get("en")), fr=read_optional_text(value.get("fr")))


def _url(value: Any) -> ParsedUrl:
    try:
        return parse_url(read_text(value), allow_suffix=True)
    except HostError as exc:
        raise CacheFormatError(str(exc)) from None


def _cidr(value: Any) -> str:
    try:
        network = parse_cidr(read_text(value))
    except HostError as exc:
        raise CacheFormatError(str(exc)) from None
    if str(network) != value or network.prefixlen == 0:
        raise CacheFormatError("CIDR not canonical")
    return str(network)


# Fields added to ``Entry`` or ``Catalog`` later are kept when they hold plain values (text, numbers, booleans,
# None, lists of them, or a ``Text``): written under "extra", read back with the text check. A field of any other
# type makes the catalog uncacheable (validated on every run) rather than lost.
def _extra_to_json(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, Text):
        return {"en": value.en, "fr": value.fr}
    if isinstance(value, tuple) and all(value is None or type(item) in (str, int, bool) for item in value):
        return list(value)
    raise CacheFormatError(f"a field of type {type(value).__name__} cannot be cached")


def _extra_from_json(value: Any) -> Any:
    if value is None or type(value) in (int, bool):
        return value
    if isinstance(value, str):
        return read_text(value)
    if isinstance(value, dict):
        return _localized(value)
    if isinstance(value, list):
        return tuple(_extra_from_json(item) for item in value)
    raise CacheFormatError("unexpected value")


def _extras(instance: Any, known: set[str]) -> dict[str, Any]:
    return {
        item.name: _extra_to_json(getattr(instance, item.name))
        for item in dataclasses.fields(instance)
        if item.name not in known
    }


def _extras_from_json(cls: type, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CacheFormatError("extra fields expected")
    names = {item.name for item in dataclasses.fields(cls)}
    if not set(value) <= names:
        raise CacheFormatError("unknown field")
    return {key: _extra_from_json(item) for key, item in value.items()}


_ENTRY_FIELDS = {
    "id",
    "role",
    "usage",
    "urls",
    "cidrs",
    "ports",
    "protocol",
    "min_version",
    "max_version",
    "before_version",
    "requires_proxy",
    "storage",
    "row",
    "blocked",
    "footnote",
    "shared_host",
}
_CATALOG_FIELDS = {"version", "source", "roles", "notices", "readings", "entries", "changes", "editions"}


def _edition_to_json(edition: Edition) -> list[Any]:
    return [edition.language, edition.url, edition.retrieved, edition.read, edition.title, edition.kb, edition.note]


def _edition_from_json(value: Any) -> Edition:
    """The same checks as the catalog schema's ``EditionDocument``, without pydantic."""
    language, url, retrieved, read, title, kb, note = read_list(value)
    if type(read) is not bool:
        raise CacheFormatError("read flag expected")
    try:
        language, url, retrieved = check_language_tag(language), check_edition_url(url), check_retrieved(retrieved)
        kb = check_kb(kb)
    except ValueError as exc:
        raise CacheFormatError(str(exc)) from None
    return Edition(
        language=language,
        url=url,
        retrieved=retrieved,
        read=read,
        title=read_optional_text(title),
        kb=kb,
        note=read_optional_text(note),
    )


def _entry_to_json(entry: Entry) -> dict[str, Any]:
    return {
        "extra": _extras(entry, _ENTRY_FIELDS),
        "id": entry.id,
        "role": entry.role,
        "usage": {"en": entry.usage.en, "fr": entry.usage.fr},
        "urls": [url.raw for url in entry.urls],
        "suffix": [url.suffix for url in entry.urls],
        "cidrs": list(entry.cidrs),
        "ports": list(entry.ports),
        "protocol": entry.protocol,
        "min_version": None if entry.min_version is None else str(entry.min_version),
        "max_version": None if entry.max_version is None else str(entry.max_version),
        "before_version": None if entry.before_version is None else str(entry.before_version),
        "requires_proxy": entry.requires_proxy,
        "storage": entry.storage,
        "row": entry.row,
        "blocked": entry.blocked,
        "footnote": entry.footnote,
        "shared_host": entry.shared_host,
    }


def _entry_from_json(value: Any) -> Entry:
    if not isinstance(value, dict):
        raise CacheFormatError("entry expected")
    urls = tuple(_url(url) for url in read_list(value.get("urls")))
    if [url.suffix for url in urls] != read_list(value.get("suffix")):
        raise CacheFormatError("domain suffix flags do not match the URLs")
    requires_proxy = value.get("requires_proxy")
    if requires_proxy is not None and type(requires_proxy) is not bool:
        raise CacheFormatError("requires_proxy expected")
    return Entry(
        id=read_entry_id(value.get("id")),
        role=read_choice(value.get("role"), ROLES, optional=False),
        usage=_localized(value.get("usage")),
        urls=urls,
        cidrs=tuple(_cidr(cidr) for cidr in read_list(value.get("cidrs"))),
        ports=tuple(read_port(port) for port in read_list(value.get("ports"))),
        protocol=read_choice(value.get("protocol"), _PROTOCOLS),
        min_version=read_version(value.get("min_version")),
        max_version=read_version(value.get("max_version")),
        before_version=read_version(value.get("before_version")),
        requires_proxy=requires_proxy,
        storage=read_choice(value.get("storage"), _STORAGE),
        row=read_optional_text(value.get("row")),
        blocked=read_optional_text(value.get("blocked")),
        footnote=read_optional_text(value.get("footnote")),
        shared_host=read_optional_text(value.get("shared_host")),
        **_extras_from_json(Entry, value.get("extra")),
    )


def catalog_to_json(catalog: Catalog) -> dict[str, Any]:
    """The catalog as JSON-ready data (``catalog_from_json`` reads it back)."""
    return {
        "format": FORMAT,
        "extra": _extras(catalog, _CATALOG_FIELDS),
        "version": catalog.version,
        "source": dict(catalog.source),
        "roles": {role: {"en": text.en, "fr": text.fr} for role, text in catalog.roles.items()},
        "notices": {key: {"en": text.en, "fr": text.fr} for key, text in catalog.notices.items()},
        "readings": [[reading.id, reading.fr, reading.reading] for reading in catalog.readings],
        "entries": [_entry_to_json(entry) for entry in catalog.entries],
        "changes": [change_to_json(change) for change in catalog.changes],
        "editions": [_edition_to_json(edition) for edition in catalog.editions],
    }


def catalog_from_json(document: Any) -> Catalog:
    """A ``Catalog`` from ``catalog_to_json`` data, every canonical value checked again; else ``CacheFormatError``."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CacheFormatError("not a catalog cache of this format")
    version = document.get("version")
    if not isinstance(version, str) or not CATALOG_VERSION.fullmatch(version):
        raise CacheFormatError("catalog version expected")
    source = document.get("source")
    roles = document.get("roles")
    notices = document.get("notices")
    if not isinstance(source, dict) or not isinstance(roles, dict) or not isinstance(notices, dict):
        raise CacheFormatError("source, roles and notices expected")
    changes = [change_from_json(item) for item in read_list(document.get("changes"))]
    readings = []
    for item in read_list(document.get("readings")):
        reading_id, french, reading = read_list(item)
        readings.append(Reading(read_text(reading_id), read_text(french), read_text(reading)))
    return Catalog(
        version=version,
        source={read_text(key): read_text(value) for key, value in source.items()},
        roles={read_choice(role, ROLES, optional=False): _localized(text) for role, text in roles.items()},
        notices={read_text(key): _localized(text) for key, text in notices.items()},
        readings=tuple(readings),
        entries=tuple(_entry_from_json(entry) for entry in read_list(document.get("entries"))),
        changes=tuple(changes),
        editions=tuple(_edition_from_json(edition) for edition in read_list(document.get("editions"))),
        **_extras_from_json(Catalog, document.get("extra")),
    )
