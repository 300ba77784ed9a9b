"""Reading a catalog file against its pydantic schema: YAML in, a validated document out, or one ``CatalogError``
naming the file, the entry and the field of every problem. Nothing is half-loaded.

Both catalogs' ``load`` modules (``vendor/load.py``, ``internal/load.py``), overlays, stack files and the article's
proposals validate through here.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import CatalogError

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound="BaseModel")


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
