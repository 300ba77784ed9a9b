"""The egress plan: the single source of truth that every compiler reads.

A plan is plain, immutable data in a deterministic order: the same selection gives byte-identical JSON, and a
rule's identity (host, match, port, protocol) does not depend on any other rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ...escape import json_document
from ..internal.models import InternalDestinations
from ..roles import Role

Match = Literal["exact", "suffix"]


@dataclass(frozen=True, slots=True)
class AllowRule:
    """Allow ``host`` (or, with ``match="suffix"``, the domain and its subdomains) on one port and protocol.

    ``protocol`` is ``tls`` (match on the TLS SNI) or ``http`` (match on the HTTP Host header). ``roles`` are every
    role that needs the rule and ``ids`` every catalog or overlay entry it came from. ``paths`` are URL paths the
    vendor named that a host rule cannot keep (the rule allows the whole host). ``shared`` marks a host that
    serves other parties too (storage.googleapis.com).
    """

    host: str
    port: int
    protocol: Literal["tls", "http"]
    match: Match
    roles: tuple[Role, ...]
    ids: tuple[str, ...]
    paths: tuple[str, ...] = ()
    shared: bool = False

    @property
    def key(self) -> tuple[str, str, int, str]:
        """The rule's identity: stable whatever other rules exist."""
        return (self.host, self.match, self.port, self.protocol)

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "protocol": self.protocol,
            "match": self.match,
            "roles": list(self.roles),
            "ids": list(self.ids),
            "paths": list(self.paths),
            "shared": self.shared,
        }


@dataclass(frozen=True, slots=True)
class CidrRule:
    """Allow a destination address range on one port and transport.

    Declared by an overlay (a corporate proxy, an upstream firewall) or by the user's internal destinations (SEP's
    own paths to its manager, Group Update Providers, ...); ``ids`` are the overlay entry ids or internal path ids.
    """

    cidr: str
    port: int
    protocol: Literal["tcp", "udp"]
    roles: tuple[Role, ...]
    ids: tuple[str, ...]

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.cidr, self.port, self.protocol)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cidr": self.cidr,
            "port": self.port,
            "protocol": self.protocol,
            "roles": list(self.roles),
            "ids": list(self.ids),
        }


@dataclass(frozen=True, slots=True)
class PlanWarning:
    """Something a reviewer must know: a control wider than the vendor asks, a TLS-inspection exemption, ..."""

    code: str
    message: str
    hosts: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "hosts": list(self.hosts), "ids": list(self.ids)}


@dataclass(frozen=True, slots=True)
class EgressPlan:
    """What a deployment must allow, deduplicated, with provenance and warnings."""

    catalog_version: str
    roles: tuple[Role, ...]
    version: str
    proxy: bool
    storage: str
    allow: tuple[AllowRule, ...]
    cidrs: tuple[CidrRule, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()
    excluded: tuple[str, ...] = ()
    overlays: tuple[str, ...] = field(default=())
    internal: InternalDestinations | None = None
    internal_catalog_version: str | None = None

    def rules_for(self, role: Role) -> tuple[AllowRule, ...]:
        """The host rules one role needs, in plan order."""
        return tuple(rule for rule in self.allow if role in rule.roles)

    def cidrs_for(self, role: Role) -> tuple[CidrRule, ...]:
        return tuple(rule for rule in self.cidrs if role in rule.roles)

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every distinct host name, sorted."""
        return tuple(sorted({rule.host for rule in self.allow}))

    @property
    def tls_inspection_bypass(self) -> tuple[str, ...]:
        """Hosts that must stay out of any TLS inspection (the vendor pins certificates)."""
        for warning in self.warnings:
            if warning.code == "tls-inspection-bypass":
                return warning.hosts
        return ()

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON data; ``selection.internal`` and ``internal_catalog_version`` appear only when internal
        destinations were declared, so a plan without them is unchanged."""
        selection: dict[str, Any] = {
            "roles": list(self.roles),
            "version": self.version,
            "proxy": self.proxy,
            "storage": self.storage,
            "overlays": list(self.overlays),
            "excluded": list(self.excluded),
        }
        out: dict[str, Any] = {"catalog_version": self.catalog_version, "selection": selection}
        if self.internal is not None:
            selection["internal"] = self.internal.to_dict()
            out["internal_catalog_version"] = self.internal_catalog_version
        out["allow"] = [rule.to_dict() for rule in self.allow]
        out["cidrs"] = [rule.to_dict() for rule in self.cidrs]
        out["warnings"] = [warning.to_dict() for warning in self.warnings]
        return out

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, two-space indent, trailing newline."""
        return json_document(self.to_dict())
