"""A catalog file's identity over time, shared by the vendor's list and the internal catalog: the shape of its
version, of the ids its entries and paths keep for ever, and its change history.

Plain objects, like the runtime models: a run served from the cache never loads pydantic. ``check_change_history``
is the rule both file schemas apply to the ``changes`` they validate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .schema_fields import ChangeDocument

#: Use with ``fullmatch`` only (``match`` with ``$`` would accept a trailing newline).
ENTRY_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
CATALOG_VERSION = re.compile(r"[0-9]{4}\.[0-9]{2}\.[0-9]{2}(?:\.[0-9]{1,6})?")


def catalog_version_key(version: str) -> tuple[int, ...]:
    """Sort key of a catalog version such as ``2026.11.28`` or ``2026.11.28.1``."""
    return tuple(int(part) for part in version.split("."))


Disposition = Literal["add", "change", "remove"]
#: What a change did to an entry (the ``impact`` of a change's ``details``).
Impact = Literal[
    "added-entry",
    "removed-entry",
    "added-url",
    "removed-url",
    "changed-role",
    "changed-ports",
    "changed-min-version",
    "changed-max-version",
    "changed-before-version",
    "changed-proxy",
    "changed-storage",
    "changed-footnote",
    "changed-path",
]


@dataclass(frozen=True, slots=True)
class ChangeDetail:
    """One entry's part in a change: ``add``, ``change`` or ``remove``, what it changed, and a note."""

    id: str
    disposition: Disposition
    impact: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """What one catalog version added, removed or changed, and why."""

    version: str
    date: str
    summary: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    details: tuple[ChangeDetail, ...] = ()


def check_change_history(changes: Sequence[ChangeDocument], version: str, ids: Sequence[str], what: str) -> None:
    """A catalog file's ``changes``: unique versions in ascending order, the last one the file's ``version``, no id
    added twice or removed before it was added, and what the history leaves alive is exactly ``ids`` (the file's
    entries or paths). Raises ``ValueError`` naming the first problem."""
    versions = [change.version for change in changes]
    if versions != sorted(versions, key=catalog_version_key) or len(set(versions)) != len(versions):
        raise ValueError("changes: versions must be unique and in ascending order")
    if not versions or versions[-1] != version:
        raise ValueError(f"changes: the last change must be for version {version}")
    alive: set[str] = set()
    for change in changes:
        for added in change.added:
            if added in alive:
                raise ValueError(f"changes {change.version}: {added!r} is added twice")
            alive.add(added)
        for removed in change.removed:
            if removed not in alive:
                raise ValueError(f"changes {change.version}: {removed!r} is removed but was never added")
            alive.discard(removed)
    only_history, never_added = sorted(alive - set(ids)), sorted(set(ids) - alive)
    if only_history or never_added:
        parts = [f"in history only: {', '.join(only_history)}" if only_history else ""]
        parts.append(f"{what} never recorded as added: {', '.join(never_added)}" if never_added else "")
        raise ValueError(f"changes do not match {what}: " + "; ".join(part for part in parts if part))
