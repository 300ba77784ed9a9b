"""The internal catalog at run time: plain, immutable objects built from the validated file (see
``internal/schema.py``), and the user's validated destinations.

Like the vendor's runtime models, they import nothing heavy, so a run served from the cache never loads pydantic or
YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from ..history import Change
from ..roles import Role
from ..versions import ProductVersion

DESTINATION_KIND = re.compile(r"^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Quote:
    """The source's own words for a path, and the language they were read in."""

    language: str
    text: str


@dataclass(frozen=True, slots=True)
class InternalSource:
    """A document the paths are transcribed from; ``read`` says how much of it could be read."""

    title: str
    publisher: str
    kind: str
    language: str
    url: str
    read: str


@dataclass(frozen=True, slots=True)
class InternalReading:
    """How the file reads an ambiguous passage (``text``) of a source."""

    id: str
    source: str
    text: str
    reading: str


@dataclass(frozen=True, slots=True)
class InternalPath:
    """One internal path: connections from ``from_role`` machines to a kind of destination (``to``).

    ``configurable`` says whether the source documents the port as changeable (only then may the user override
    it); ``optional`` paths are selected only when the user names them. ``blocked`` says what breaks without it,
    ``caveat`` is a plan warning shown whenever it is selected.
    """

    id: str
    from_role: Role
    to: str
    protocol: Literal["tcp", "udp"]
    ports: tuple[int, ...]
    configurable: bool
    optional: bool
    usage: str
    blocked: str
    caveat: str | None
    source: str
    quote: Quote
    min_version: ProductVersion | None = None
    max_version: ProductVersion | None = None
    before_version: ProductVersion | None = None

    def applies_to(self, version: ProductVersion) -> bool:
        """Whether release ``version`` needs this path (inclusive min/max, exclusive ``before_version``)."""
        if self.min_version is not None and version < self.min_version:
            return False
        if self.max_version is not None and self.max_version < version:
            return False
        return self.before_version is None or version < self.before_version


@dataclass(frozen=True, slots=True)
class InternalCatalog:
    """The internal-paths file: its version, sources, destination kinds, readings, paths and history."""

    version: str
    sources: dict[str, InternalSource]
    destinations: dict[str, str]
    readings: tuple[InternalReading, ...]
    paths: tuple[InternalPath, ...]
    not_transcribed: tuple[tuple[str, str], ...]
    changes: tuple[Change, ...]

    def path(self, path_id: str) -> InternalPath | None:
        return next((path for path in self.paths if path.id == path_id), None)


@dataclass(frozen=True, slots=True)
class InternalDestinations:
    """Validated internal destinations: canonical CIDRs per destination kind, port overrides, optional paths.

    Build it with ``destinations_from_config`` or ``destinations_from_flags``, which validate against the internal
    catalog; every tuple is sorted, so the same declaration always gives the same plan.
    """

    addresses: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ports: tuple[tuple[str, tuple[int, ...]], ...] = ()
    paths: tuple[str, ...] = ()

    def addresses_of(self, kind: str) -> tuple[str, ...]:
        return next((cidrs for name, cidrs in self.addresses if name == kind), ())

    def ports_of(self, path: InternalPath) -> tuple[int, ...]:
        return next((ports for name, ports in self.ports if name == path.id), path.ports)

    def to_dict(self) -> dict[str, Any]:
        """The declaration as the stack key writes it (``{kind: [cidr], "ports": {...}, "paths": [...]}``)."""
        out: dict[str, Any] = {kind: list(cidrs) for kind, cidrs in self.addresses}
        if self.ports:
            out["ports"] = {path_id: list(ports) for path_id, ports in self.ports}
        if self.paths:
            out["paths"] = list(self.paths)
        return out


@dataclass(frozen=True, slots=True)
class InternalRule:
    """One (path, destination range, port) a selection allows."""

    path: InternalPath
    cidr: str
    port: int
