"""The vendor's catalog at run time: plain, immutable objects built from validated files (see ``vendor/schema.py``).

They carry no validation of their own and import nothing heavy, so a run served from the catalog cache never
loads pydantic or YAML. Build them through ``load_catalog`` / ``load_overlay`` / ``parse_overlay``, which
validate first. Roles (``roles.py``) and the change history (``history.py``) are shared with the internal catalog.

Imports written ``X as X`` re-export what the old flat module ``catalog/models.py`` held, for its old path
(``MOVED_MODULES`` in ``catalog/__init__.py``).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Literal

from ..history import CATALOG_VERSION as CATALOG_VERSION
from ..history import ENTRY_ID as ENTRY_ID
from ..history import Change as Change
from ..history import ChangeDetail as ChangeDetail
from ..history import Disposition as Disposition
from ..history import Impact as Impact
from ..history import catalog_version_key as catalog_version_key
from ..hosts import DEFAULT_PORTS, HostError, ParsedUrl, parse_url
from ..roles import ROLES as ROLES
from ..roles import Role as Role
from ..versions import ProductVersion

StorageProvider = Literal["aws", "gcp"]
Protocol = Literal["tls", "http", "tcp", "udp"]


@dataclass(frozen=True, slots=True)
class Text:
    """A text in English and, where the article gives it, in its French."""

    en: str
    fr: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One set of URLs (or CIDRs) that share a role, ports, version bounds and conditions.

    ``min_version`` and ``max_version`` are inclusive bounds, ``before_version`` an exclusive one (the first
    release that no longer needs the entry). ``requires_proxy`` is true for entries needed only behind a proxy;
    ``storage`` names the storage phase (``aws`` or ``gcp``) an entry belongs to; ``shared_host`` says why a host
    rule admits more than the vendor.
    """

    id: str
    role: Role
    usage: Text
    urls: tuple[ParsedUrl, ...] = ()
    cidrs: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    protocol: Protocol | None = None
    min_version: ProductVersion | None = None
    max_version: ProductVersion | None = None
    before_version: ProductVersion | None = None
    requires_proxy: bool | None = None
    storage: StorageProvider | None = None
    row: str | None = None
    blocked: str | None = None
    footnote: str | None = None
    shared_host: str | None = None

    def url_ports(self, url: ParsedUrl) -> tuple[int, ...]:
        """The ports one URL is allowed on: its explicit port, else the entry's ports, else its scheme's."""
        if url.port is not None:
            return (url.port,)
        if self.ports:
            return self.ports
        return (DEFAULT_PORTS[url.scheme or "https"],)

    def url_protocol(self, url: ParsedUrl) -> Literal["tls", "http"]:
        """How a control matches this URL: tls (SNI) for https, http (Host header) for http."""
        if self.protocol == "tls" or self.protocol == "http":
            return self.protocol
        return "http" if url.scheme == "http" else "tls"

    def cidr_protocol(self) -> Literal["tcp", "udp"]:
        return "udp" if self.protocol == "udp" else "tcp"


@dataclass(frozen=True, slots=True)
class Reading:
    """How the catalog reads an ambiguous passage of the article."""

    id: str
    fr: str
    reading: str


#: An edition's URL or retrieval date the project could not confirm.
UNVERIFIED = "unverified"


# The checks of an edition's fields, shared by the catalog schema (pydantic) and the catalog cache (without it): each
# returns the value or raises ValueError.
def check_language_tag(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z]{2}(?:-[A-Z]{2})?", value):
        raise ValueError(f"{value!r} is not a language tag such as 'fr' or 'pt-BR'")
    return value


def check_edition_url(value: object) -> str:
    if value == UNVERIFIED:
        return UNVERIFIED
    try:
        parsed = parse_url(value) if isinstance(value, str) else None
    except HostError as exc:
        raise ValueError(str(exc)) from None
    if parsed is None or parsed.scheme != "https":
        raise ValueError(f"{value!r}: an edition's URL is https:// (or 'unverified')")
    return str(value)


def check_retrieved(value: object) -> str:
    if value == UNVERIFIED:
        return UNVERIFIED
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value, re.ASCII):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD) or 'unverified'")
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a calendar date") from None
    return value


def check_kb(value: object) -> str | None:
    if value is not None and not (isinstance(value, str) and value.isascii() and value.isdigit()):
        raise ValueError(f"{value!r} is not a knowledge-base article number")
    return value


@dataclass(frozen=True, slots=True)
class Edition:
    """One language edition of the vendor's article: where it is, and whether the catalog was read from it.

    ``url`` and ``retrieved`` are ``"unverified"`` where the project could not confirm them.
    """

    language: str
    url: str
    retrieved: str
    read: bool
    title: str | None = None
    kb: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Catalog:
    """The vendor's list: versioned, with a change history, readings of ambiguous text and notices."""

    version: str
    source: dict[str, str]
    roles: dict[Role, Text]
    notices: dict[str, Text]
    readings: tuple[Reading, ...]
    entries: tuple[Entry, ...]
    changes: tuple[Change, ...]
    editions: tuple[Edition, ...] = ()


@dataclass(frozen=True, slots=True)
class Overlay:
    """A user's additions and exclusions, applied on top of the catalog."""

    entries: tuple[Entry, ...] = ()
    exclude: tuple[str, ...] = field(default=())
    description: str | None = None
