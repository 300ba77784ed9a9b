"""The light readers of JSON values that both cache codecs share (``vendor/codec.py``, ``internal/codec.py``).

A cache file is untrusted input (its folder is configurable): every value is checked again with the catalog's own
light validators (text, ids, versions, ports, choices), without pydantic, and a value that fails raises
``CacheFormatError``. The change history is written and read the same way for both catalogs.
"""

from __future__ import annotations

from typing import Any, get_args

from .cache import CacheFormatError
from .history import CATALOG_VERSION, ENTRY_ID, Change, ChangeDetail, Disposition, Impact
from .hosts import HostError, check_text
from .versions import ProductVersion, VersionError

#: The version of the cache's JSON format (both catalogs' documents carry it).
FORMAT = 2
_DISPOSITIONS = get_args(Disposition)
_IMPACTS = get_args(Impact)


def read_text(value: Any) -> str:
    if not isinstance(value, str):
        raise CacheFormatError("text expected")
    try:
        return check_text(value)
    except HostError as exc:
        raise CacheFormatError(str(exc)) from None


def read_optional_text(value: Any) -> str | None:
    return None if value is None else read_text(value)


def read_version(value: Any) -> ProductVersion | None:
    if value is None:
        return None
    try:
        parsed = ProductVersion.parse(read_text(value))
    except VersionError as exc:
        raise CacheFormatError(str(exc)) from None
    if str(parsed) != value:
        raise CacheFormatError("version not canonical")
    return parsed


def read_entry_id(value: Any) -> str:
    if not isinstance(value, str) or not ENTRY_ID.fullmatch(value):
        raise CacheFormatError("entry id expected")
    return value


def read_port(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= 65535:
        raise CacheFormatError("port expected")
    return value


def read_choice(value: Any, choices: tuple[str, ...], optional: bool = True) -> Any:
    if (value is None and optional) or value in choices:
        return value
    raise CacheFormatError(f"one of {choices} expected")


def read_list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise CacheFormatError("list expected")
    return value


def _detail_to_json(detail: ChangeDetail) -> list[Any]:
    return [detail.id, detail.disposition, list(detail.impact), detail.note]


def _detail_from_json(value: Any) -> ChangeDetail:
    detail_id, disposition, impact, note = read_list(value)
    impacts = tuple(read_choice(item, _IMPACTS, optional=False) for item in read_list(impact))
    if not impacts:
        raise CacheFormatError("a change detail names at least one impact")
    return ChangeDetail(
        read_entry_id(detail_id),
        read_choice(disposition, _DISPOSITIONS, optional=False),
        impacts,
        read_optional_text(note),
    )


def change_to_json(change: Change) -> list[Any]:
    return [
        change.version,
        change.date,
        change.summary,
        list(change.added),
        list(change.removed),
        list(change.changed),
        [_detail_to_json(detail) for detail in change.details],
    ]


def change_from_json(value: Any) -> Change:
    change_version, date, summary, added, removed, changed, details = read_list(value)
    if not isinstance(change_version, str) or not CATALOG_VERSION.fullmatch(change_version):
        raise CacheFormatError("change version expected")
    return Change(
        change_version,
        read_text(date),
        read_text(summary),
        tuple(read_entry_id(entry_id) for entry_id in read_list(added)),
        tuple(read_entry_id(entry_id) for entry_id in read_list(removed)),
        tuple(read_text(text) for text in read_list(changed)),
        tuple(_detail_from_json(detail) for detail in read_list(details)),
    )
