"""The catalog cache's file format: a validated ``Catalog`` as JSON, and back.

The cache folder is configurable (``SEP_EGRESS_CACHE_DIR``), so a cache file is untrusted input: JSON cannot run
code (a serialised Python object could), and ``catalog_from_json`` checks every value that reaches generated
output again with the catalog's own light validators (host names and URLs, CIDRs, ids, ports, roles, versions,
text), without pydantic.
A file that fails any check raises ``CacheFormatError``; the caller then validates the YAML again.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, get_args

from .hosts import HostError, ParsedUrl, check_text, parse_cidr, parse_url
from .models import (
    CATALOG_VERSION,
    ENTRY_ID,
    ROLES,
    Catalog,
    Change,
    ChangeDetail,
    Disposition,
    Edition,
    Entry,
    Impact,
    Protocol,
    Reading,
    StorageProvider,
    Text,
    check_edition_url,
    check_kb,
    check_language_tag,
    check_retrieved,
)
from .versions import ProductVersion, VersionError

if TYPE_CHECKING:
    from .internal import InternalCatalog

FORMAT = 2
_PROTOCOLS = get_args(Protocol)
_STORAGE = get_args(StorageProvider)
_DISPOSITIONS = get_args(Disposition)
_IMPACTS = get_args(Impact)
_UNVERIFIED = "unverified"


class CacheFormatError(ValueError):
    """A cache file is not a catalog this version wrote (corrupt, foreign or tampered with)."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise CacheFormatError("text expected")
    try:
        return check_text(value)
    except HostError as exc:
        raise CacheFormatError(str(exc)) from None


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _localized(value: Any) -> Text:
    if not isinstance(value, dict):
        raise CacheFormatError("text object expected")
    return Text(en=_text(value.get("en")), fr=_optional_text(value.get("fr")))


def _version(value: Any) -> ProductVersion | None:
    if value is None:
        return None
    try:
        parsed = ProductVersion.parse(_text(value))
    except VersionError as exc:
        raise CacheFormatError(str(exc)) from None
    if str(parsed) != value:
        raise CacheFormatError("version not canonical")
    return parsed


def _entry_id(value: Any) -> str:
    if not isinstance(value, str) or not ENTRY_ID.fullmatch(value):
        raise CacheFormatError("entry id expected")
    return value


def _url(value: Any) -> ParsedUrl:
    try:
        return parse_url(_text(value), allow_suffix=True)
    except HostError as exc:
        raise CacheFormatError(str(exc)) from None


def _cidr(value: Any) -> str:
    try:
        network = parse_cidr(_text(value))
    except HostError as exc:
        raise CacheFormatError(str(exc)) from None
    if str(network) != value or network.prefixlen == 0:
        raise CacheFormatError("CIDR not canonical")
    return str(network)


def _port(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= 65535:
        raise CacheFormatError("port expected")
    return value


def _choice(value: Any, choices: tuple[str, ...], optional: bool = True) -> Any:
    if (value is None and optional) or value in choices:
        return value
    raise CacheFormatError(f"one of {choices} expected")


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise CacheFormatError("list expected")
    return value


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
        return _text(value)
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


def _detail_to_json(detail: ChangeDetail) -> list[Any]:
    return [detail.id, detail.disposition, list(detail.impact), detail.note]


def _detail_from_json(value: Any) -> ChangeDetail:
    detail_id, disposition, impact, note = _list(value)
    impacts = tuple(_choice(item, _IMPACTS, optional=False) for item in _list(impact))
    if not impacts:
        raise CacheFormatError("a change detail names at least one impact")
    return ChangeDetail(
        _entry_id(detail_id), _choice(disposition, _DISPOSITIONS, optional=False), impacts, _optional_text(note)
    )


def _change_to_json(change: Change) -> list[Any]:
    return [
        change.version,
        change.date,
        change.summary,
        list(change.added),
        list(change.removed),
        list(change.changed),
        [_detail_to_json(detail) for detail in change.details],
    ]


def _change_from_json(value: Any) -> Change:
    change_version, date, summary, added, removed, changed, details = _list(value)
    if not isinstance(change_version, str) or not CATALOG_VERSION.fullmatch(change_version):
        raise CacheFormatError("change version expected")
    return Change(
        change_version,
        _text(date),
        _text(summary),
        tuple(_entry_id(entry_id) for entry_id in _list(added)),
        tuple(_entry_id(entry_id) for entry_id in _list(removed)),
        tuple(_text(text) for text in _list(changed)),
        tuple(_detail_from_json(detail) for detail in _list(details)),
    )


def _edition_to_json(edition: Edition) -> list[Any]:
    return [edition.language, edition.url, edition.retrieved, edition.read, edition.title, edition.kb, edition.note]


def _edition_from_json(value: Any) -> Edition:
    """The same checks as the catalog schema's ``EditionDocument``, without pydantic."""
    language, url, retrieved, read, title, kb, note = _list(value)
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
        title=_optional_text(title),
        kb=kb,
        note=_optional_text(note),
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
    urls = tuple(_url(url) for url in _list(value.get("urls")))
    if [url.suffix for url in urls] != _list(value.get("suffix")):
        raise CacheFormatError("domain suffix flags do not match the URLs")
    requires_proxy = value.get("requires_proxy")
    if requires_proxy is not None and type(requires_proxy) is not bool:
        raise CacheFormatError("requires_proxy expected")
    return Entry(
        id=_entry_id(value.get("id")),
        role=_choice(value.get("role"), ROLES, optional=False),
        usage=_localized(value.get("usage")),
        urls=urls,
        cidrs=tuple(_cidr(cidr) for cidr in _list(value.get("cidrs"))),
        ports=tuple(_port(port) for port in _list(value.get("ports"))),
        protocol=_choice(value.get("protocol"), _PROTOCOLS),
        min_version=_version(value.get("min_version")),
        max_version=_version(value.get("max_version")),
        before_version=_version(value.get("before_version")),
        requires_proxy=requires_proxy,
        storage=_choice(value.get("storage"), _STORAGE),
        row=_optional_text(value.get("row")),
        blocked=_optional_text(value.get("blocked")),
        footnote=_optional_text(value.get("footnote")),
        shared_host=_optional_text(value.get("shared_host")),
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
        "changes": [_change_to_json(change) for change in catalog.changes],
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
    changes = [_change_from_json(item) for item in _list(document.get("changes"))]
    readings = []
    for item in _list(document.get("readings")):
        reading_id, french, reading = _list(item)
        readings.append(Reading(_text(reading_id), _text(french), _text(reading)))
    return Catalog(
        version=version,
        source={_text(key): _text(value) for key, value in source.items()},
        roles={_choice(role, ROLES, optional=False): _localized(text) for role, text in roles.items()},
        notices={_text(key): _localized(text) for key, text in notices.items()},
        readings=tuple(readings),
        entries=tuple(_entry_from_json(entry) for entry in _list(document.get("entries"))),
        changes=tuple(changes),
        editions=tuple(_edition_from_json(edition) for edition in _list(document.get("editions"))),
        **_extras_from_json(Catalog, document.get("extra")),
    )


# --- the internal-paths catalog (``internal.py``) ------------------------------------------------------------------


def internal_to_json(catalog: InternalCatalog) -> dict[str, Any]:
    """The internal catalog as JSON-ready data (``internal_from_json`` reads it back)."""
    return {
        "format": FORMAT,
        "version": catalog.version,
        "sources": {key: dataclasses.asdict(source) for key, source in catalog.sources.items()},
        "destinations": dict(catalog.destinations),
        "readings": [dataclasses.asdict(reading) for reading in catalog.readings],
        "paths": [
            {
                **{name: getattr(path, name) for name in _PATH_TEXT_FIELDS},
                "protocol": path.protocol,
                "ports": list(path.ports),
                "configurable": path.configurable,
                "optional": path.optional,
                "quote": [path.quote.language, path.quote.text],
                **{name: None if getattr(path, name) is None else str(getattr(path, name)) for name in _BOUNDS},
            }
            for path in catalog.paths
        ],
        "not_transcribed": [list(item) for item in catalog.not_transcribed],
        "changes": [_change_to_json(change) for change in catalog.changes],
    }


_PATH_TEXT_FIELDS = ("id", "from_role", "to", "usage", "blocked", "caveat", "source")
_BOUNDS = ("min_version", "max_version", "before_version")


def internal_from_json(document: Any) -> InternalCatalog:
    """An ``InternalCatalog`` from ``internal_to_json`` data, every value checked again; else ``CacheFormatError``."""
    from .internal import DESTINATION_KIND, InternalCatalog, InternalPath, InternalReading, InternalSource, Quote

    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CacheFormatError("not an internal catalog cache of this format")
    version = document.get("version")
    if not isinstance(version, str) or not CATALOG_VERSION.fullmatch(version):
        raise CacheFormatError("catalog version expected")

    def mapping(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise CacheFormatError("mapping expected")
        return value

    def kind(value: Any) -> str:
        if not isinstance(value, str) or not DESTINATION_KIND.fullmatch(value):
            raise CacheFormatError("destination kind expected")
        return value

    def flag(value: Any) -> bool:
        if type(value) is not bool:
            raise CacheFormatError("boolean expected")
        return value

    sources = {
        _entry_id(key): InternalSource(**{name: _text(mapping(item).get(name)) for name in _SOURCE_FIELDS})
        for key, item in mapping(document.get("sources")).items()
    }
    paths = []
    for item in _list(document.get("paths")):
        item = mapping(item)
        language, quote = _list(item.get("quote"))
        paths.append(
            InternalPath(
                id=_entry_id(item.get("id")),
                from_role=_choice(item.get("from_role"), ROLES, optional=False),
                to=kind(item.get("to")),
                protocol=_choice(item.get("protocol"), ("tcp", "udp"), optional=False),
                ports=tuple(_port(port) for port in _list(item.get("ports"))),
                configurable=flag(item.get("configurable")),
                optional=flag(item.get("optional")),
                usage=_text(item.get("usage")),
                blocked=_text(item.get("blocked")),
                caveat=_optional_text(item.get("caveat")),
                source=_entry_id(item.get("source")),
                quote=Quote(_text(language), _text(quote)),
                **{name: _version(item.get(name)) for name in _BOUNDS},
            )
        )
    return InternalCatalog(
        version=version,
        sources=sources,
        destinations={kind(key): _text(text) for key, text in mapping(document.get("destinations")).items()},
        readings=tuple(
            InternalReading(**{name: _text(mapping(item).get(name)) for name in ("id", "source", "text", "reading")})
            for item in _list(document.get("readings"))
        ),
        paths=tuple(paths),
        not_transcribed=tuple(_text_pair(pair) for pair in _list(document.get("not_transcribed"))),
        changes=tuple(_change_from_json(change) for change in _list(document.get("changes"))),
    )


_SOURCE_FIELDS = ("title", "publisher", "kind", "language", "url", "read")


def _text_pair(value: Any) -> tuple[str, str]:
    first, second = _list(value)
    return _text(first), _text(second)
