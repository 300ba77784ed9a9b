"""What a check is about and what it found: targets from a plan, the outcome of each phase, one result per
target with its verdict and JSON form."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..catalog.vendor.plan import EgressPlan
from ..errors import SepEgressError

Status = Literal["ok", "failed", "timeout", "skipped", "not-applicable"]
DnsSource = Literal["system", "override", "proxy"]


class CheckError(SepEgressError):
    """A check option is invalid (an override, a CA file, a timeout)."""


@dataclass(frozen=True, slots=True)
class Target:
    """One host and port to check, with the plan rule's provenance."""

    host: str
    port: int
    protocol: Literal["tls", "http"]
    match: Literal["exact", "suffix"] = "exact"
    roles: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()


def targets_from_plan(plan: EgressPlan, only: Iterable[str] = ()) -> list[Target]:
    """Every host rule of ``plan`` (a suffix rule is checked on the domain name itself), optionally only ``only``."""
    wanted = {name.lower().rstrip(".") for name in only}
    targets = [
        Target(rule.host, rule.port, rule.protocol, rule.match, tuple(rule.roles), rule.ids)
        for rule in plan.allow
        if not wanted or rule.host in wanted
    ]
    missing = wanted - {target.host for target in targets}
    if missing:
        raise CheckError(f"--only: not in the plan: {', '.join(sorted(missing))}")
    return targets


@dataclass(slots=True)
class Phase:
    """The outcome of one phase (dns, tcp or tls) of one check."""

    status: Status = "skipped"
    error: str | None = None
    ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "ms": None if self.ms is None else round(self.ms, 1)}


@dataclass(slots=True)
class DnsPhase(Phase):
    addresses: list[str] = field(default_factory=list)
    source: DnsSource = "system"

    def to_dict(self) -> dict[str, Any]:
        return {**Phase.to_dict(self), "addresses": self.addresses, "source": self.source}


@dataclass(slots=True)
class TcpPhase(Phase):
    address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**Phase.to_dict(self), "address": self.address}


@dataclass(slots=True)
class TlsPhase(Phase):
    version: str | None = None
    issuer: str | None = None
    subject: str | None = None
    public_trust: bool | None = None
    local_trust: bool | None = None
    intercepted: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **Phase.to_dict(self),
            "version": self.version,
            "issuer": self.issuer,
            "subject": self.subject,
            "public_trust": self.public_trust,
            "local_trust": self.local_trust,
            "intercepted": self.intercepted,
        }


@dataclass(slots=True)
class ProxyPhase(Phase):
    """The proxy's answer to ``request``: ``code`` and ``reason`` from its status line. Never holds credentials."""

    status: Status = "not-applicable"
    url: str | None = None
    request: str | None = None
    code: int | None = None
    reason: str | None = None
    authenticated: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **Phase.to_dict(self),
            "url": self.url,
            "request": self.request,
            "code": self.code,
            "reason": self.reason,
            "authenticated": self.authenticated,
        }


@dataclass(slots=True)
class CheckResult:
    """What one target's check found. ``ok`` is true only when every applicable phase passed."""

    target: Target
    dns: DnsPhase = field(default_factory=DnsPhase)
    tcp: TcpPhase = field(default_factory=TcpPhase)
    tls: TlsPhase = field(default_factory=TlsPhase)
    proxy: ProxyPhase = field(default_factory=ProxyPhase)

    @property
    def ok(self) -> bool:
        # Through a proxy, the local DNS phase is skipped on purpose: the proxy resolves the name.
        dns_ok = self.dns.status == "ok" or (self.dns.source == "proxy" and self.dns.status == "skipped")
        phases_ok = dns_ok and self.tcp.status == "ok" and self.proxy.status in ("ok", "not-applicable")
        return phases_ok and self.tls.status in ("ok", "not-applicable")

    @property
    def verdict(self) -> str:
        """A short reason for people: ``ok`` or the first phase that failed (``proxy 403`` names the proxy's code)."""
        if self.ok:
            return "ok"
        phases: tuple[tuple[str, Phase], ...] = (
            ("dns", self.dns),
            ("tcp", self.tcp),
            ("proxy", self.proxy),
            ("tls", self.tls),
        )
        for name, phase in phases:
            if phase.status in ("failed", "timeout"):
                if name == "tls" and self.tls.intercepted:
                    return "intercepted"
                if name == "proxy" and self.proxy.code is not None:
                    return f"proxy {self.proxy.code}"
                return f"{name} {phase.status}"
        return "failed"

    @property
    def error(self) -> str | None:
        """The first phase's error, for one line per failure."""
        return self.dns.error or self.tcp.error or self.proxy.error or self.tls.error

    def to_dict(self) -> dict[str, Any]:
        target = self.target
        return {
            "host": target.host,
            "port": target.port,
            "protocol": target.protocol,
            "match": target.match,
            "roles": list(target.roles),
            "ids": list(target.ids),
            "ok": self.ok,
            "verdict": self.verdict,
            "dns": self.dns.to_dict(),
            "tcp": self.tcp.to_dict(),
            "tls": self.tls.to_dict(),
            "proxy": self.proxy.to_dict(),
        }
