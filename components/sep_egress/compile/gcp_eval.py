"""A semantic model of a compiled policy: which rule decides a workload's connection, and what it decides.

It reads the same ``FirewallPolicySpec`` the Pulumi layer deploys, and evaluates it as Cloud NGFW does for egress:
rules in ascending priority, the first whose target, protocol/port and destination match decides. An FQDN object
is modelled as matching its name; the 32-address programming limit and shared addresses between names are out of
the model (see docs/gcp.md).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from .gcp_firewall import PRIVATE_GOOGLE_ACCESS_RANGE, FirewallPolicySpec, FirewallRule, stable_hash

Verdict = Literal["allow", "deny", "no-match"]
# Names resolve into TEST-NET-1 in the model, so a declared range in tests never contains them by accident.
_MODEL_NAMES = ipaddress.ip_network("192.0.2.0/24")


@dataclass(frozen=True, slots=True)
class Workload:
    """A VM as the firewall sees it: its effective secure tags and its service account."""

    secure_tags: frozenset[str] = frozenset()
    service_account: str | None = None


@dataclass(frozen=True, slots=True)
class Connection:
    """An egress connection to ``host`` (a name, or None for a bare address) at ``ip``."""

    ip: str
    port: int
    protocol: str = "tcp"
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    rule: FirewallRule | None


def connect(spec: FirewallPolicySpec, host: str, port: int, protocol: str = "tcp") -> Connection:
    """A connection to a name, resolved as the workloads' DNS would: PGA names to private.googleapis.com."""
    if host in spec.pga_hosts:
        address = str(ipaddress.ip_network(PRIVATE_GOOGLE_ACCESS_RANGE).network_address)
    else:
        address = str(_MODEL_NAMES.network_address + 1 + stable_hash(host, 8) % 254)
    return Connection(ip=address, port=port, protocol=protocol, host=host)


def evaluate(spec: FirewallPolicySpec, workload: Workload, connection: Connection) -> Decision:
    """The first matching rule's action, or ``no-match`` (the network's other rules and implied allow decide)."""
    for rule in spec.rules:
        if _targets(rule, workload) and _layer4(rule, connection) and _destination(rule, connection):
            return Decision(rule.action, rule)
    return Decision("no-match", None)


def _targets(rule: FirewallRule, workload: Workload) -> bool:
    if rule.target.secure_tags:
        return bool(workload.secure_tags.intersection(rule.target.secure_tags))
    if rule.target.service_accounts:
        return workload.service_account in rule.target.service_accounts
    return True


def _layer4(rule: FirewallRule, connection: Connection) -> bool:
    for item in rule.layer4:
        if item.protocol not in ("all", connection.protocol):
            continue
        if not item.ports:
            return True
        for port in item.ports:
            low, _, high = port.partition("-")
            if int(low) <= connection.port <= int(high or low):
                return True
    return False


def _destination(rule: FirewallRule, connection: Connection) -> bool:
    if rule.dest_fqdns and connection.host is not None and connection.host in rule.dest_fqdns:
        return True
    address = ipaddress.ip_address(connection.ip)
    return any(
        address.version == network.version and address in network
        for network in (ipaddress.ip_network(cidr) for cidr in rule.dest_ip_ranges)
    )
