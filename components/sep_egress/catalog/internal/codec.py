"""The internal catalog's cache format: a validated ``InternalCatalog`` as JSON, and back.

Like the vendor catalog's codec (``vendor/codec.py``), and with the same readers (``json_fields.py``): the cache
folder is configurable, so ``internal_from_json`` checks every value again without pydantic, and a file that fails
any check raises ``CacheFormatError``; the caller then validates the YAML again.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..cache import CacheFormatError
from ..history import CATALOG_VERSION
from ..json_fields import (
    FORMAT,
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
from .models import DESTINATION_KIND, InternalCatalog, InternalPath, InternalReading, InternalSource, Quote


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
        "changes": [change_to_json(change) for change in catalog.changes],
    }


_PATH_TEXT_FIELDS = ("id", "from_role", "to", "usage", "blocked", "caveat", "source")
_BOUNDS = ("min_version", "max_version", "before_version")


def internal_from_json(document: Any) -> InternalCatalog:
    """An ``InternalCatalog`` from ``internal_to_json`` data, every value checked again; else ``CacheFormatError``."""
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
        read_entry_id(key): InternalSource(**{name: read_text(mapping(item).get(name)) for name in _SOURCE_FIELDS})
        for key, item in mapping(document.get("sources")).items()
    }
    paths = []
    for item in read_list(document.get("paths")):
        item = mapping(item)
        language, quote = read_list(item.get("quote"))
        paths.append(
            InternalPath(
                id=read_entry_id(item.get("id")),
                from_role=read_choice(item.get("from_role"), ROLES, optional=False),
                to=kind(item.get("to")),
                protocol=read_choice(item.get("protocol"), ("tcp", "udp"), optional=False),
                ports=tuple(read_port(port) for port in read_list(item.get("ports"))),
                configurable=flag(item.get("configurable")),
                optional=flag(item.get("optional")),
                usage=read_text(item.get("usage")),
                blocked=read_text(item.get("blocked")),
                caveat=read_optional_text(item.get("caveat")),
                source=read_entry_id(item.get("source")),
                quote=Quote(read_text(language), read_text(quote)),
                **{name: read_version(item.get(name)) for name in _BOUNDS},
            )
        )
    return InternalCatalog(
        version=version,
        sources=sources,
        destinations={kind(key): read_text(text) for key, text in mapping(document.get("destinations")).items()},
        readings=tuple(
            InternalReading(
                **{name: read_text(mapping(item).get(name)) for name in ("id", "source", "text", "reading")}
            )
            for item in read_list(document.get("readings"))
        ),
        paths=tuple(paths),
        not_transcribed=tuple(_text_pair(pair) for pair in read_list(document.get("not_transcribed"))),
        changes=tuple(change_from_json(change) for change in read_list(document.get("changes"))),
    )


_SOURCE_FIELDS = ("title", "publisher", "kind", "language", "url", "read")


def _text_pair(value: Any) -> tuple[str, str]:
    first, second = read_list(value)
    return read_text(first), read_text(second)
