"""What the log readers produce: one flow seen by a control, one DNS answer, and the report of a skipped line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: What the control did: ``allowed``, ``refused``, or (observe mode) ``would-refuse``: allowed, and logged by the
#: rule that refuses in enforce mode.
Outcome = Literal["allowed", "refused", "would-refuse"]
Vendor = Literal["aws", "gcp", "squid"]


@dataclass(slots=True)  # not frozen: a frozen dataclass sets each field through object.__setattr__, per line
class FlowRecord:
    """One connection or request as a log line records it.

    ``name`` is the destination name the control saw (TLS SNI, HTTP Host, the proxy's request) or, for a log of
    addresses only, the name a DNS log answered with for that address (``name_from_dns``). ``rule`` is the rule
    that decided: an AWS sid, a GCP rule priority, Squid's marker. ``source_hint`` is what the log itself says of
    the source (a GCP VM's name).
    """

    vendor: Vendor
    file: str
    line: int
    time: float
    src_ip: str
    dest_ip: str | None
    dest_port: int | None
    transport: str
    outcome: Outcome
    name: str | None = None
    app: str | None = None
    rule: str | None = None
    rule_name: str | None = None
    source_hint: str | None = None
    name_from_dns: bool = False


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """A Cloud DNS query log entry: ``name`` resolved to ``addresses`` for ``src_ip`` at ``time``."""

    file: str
    line: int
    time: float
    src_ip: str | None
    name: str
    addresses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line no reader could take, with where it is and why; the run skips it and counts it."""

    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: skipped: {self.reason}"
