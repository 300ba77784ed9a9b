"""A semantic model of a compiled policy: which rule decides a machine's connection, and what it decides.

It reads the same ``FirewallPolicySpec`` the Pulumi layer deploys, and evaluates it as Cloud NGFW does for egress:
rules in ascending priority across the whole policy, the first whose target, protocol/port and destination match
decides. A machine is modelled as what a VM really carries: at most one value per secure tag key ("A tag can only
ever have one value for a given key on a particular resource",
https://cloud.google.com/resource-manager/docs/tags/tags-overview) and one service account. An FQDN object is
modelled as matching its name; the 32-address programming limit, shared addresses between names, classic VPC rules
(enforcement order) and other policies of the hierarchy are out of the model (see docs/gcp.md).

``check_machines`` judges every (machine kind, host, port) of a plan: each machine of a kind must reach every host
its roles need and, with the default deny, nothing else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ...catalog.vendor.plan import EgressPlan
from .firewall import FirewallPolicySpec, FirewallRule, Layer4, stable_hash
from .options import CREATED_TAG, GOOGLE_ACCESS_RANGES, KIND_ROLES, GcpSpecError, RoleTarget

Verdict = Literal["allow", "deny", "no-match"]
# Names resolve into TEST-NET-1 in the model, so a declared range in tests never contains them by accident.
_MODEL_NAMES = ipaddress.ip_network("192.0.2.0/24")
# The key of the values the component creates ("created:<kind>"): one key, so a VM carries one of them.
CREATED_KEY = "created"


@dataclass(frozen=True, slots=True)
class Machine:
    """A VM as the firewall sees it: its secure tags as (tag key, the one value it carries) pairs, sorted, and its
    service account. Build it with ``carrying``, which refuses two values under one key."""

    tags: tuple[tuple[str, str], ...] = ()
    service_account: str | None = None

    @classmethod
    def carrying(cls, tags: Iterable[tuple[str, str]] = (), service_account: str | None = None) -> Machine:
        """A machine from (key, value) bindings; a second value for one key is refused, as the API does."""
        bound: dict[str, str] = {}
        for key, value in tags:
            if key in bound and bound[key] != value:
                raise GcpSpecError(
                    "machine.tags",
                    f"{value!r} and {bound[key]!r} under one key {key!r}: a VM carries one value per key",
                )
            bound[key] = value
        return cls(tags=tuple(sorted(bound.items())), service_account=service_account)

    @property
    def tag_values(self) -> frozenset[str]:
        return frozenset(value for _, value in self.tags)


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


@dataclass(frozen=True, slots=True)
class Failure:
    """A machine of ``kind`` (carrying ``machine``) got ``verdict`` where ``expected`` was due."""

    kind: str
    machine: Machine
    host: str
    port: int
    expected: Verdict
    verdict: Verdict


def connect(spec: FirewallPolicySpec, host: str, port: int, protocol: str = "tcp") -> Connection:
    """A connection to a name, resolved as the workloads' DNS would: PGA names to the Google Access range."""
    if host in spec.pga_hosts:
        address = str(ipaddress.ip_network(spec.pga_range).network_address)
    else:
        address = str(_MODEL_NAMES.network_address + 1 + stable_hash(host, 8) % 254)
    return Connection(ip=address, port=port, protocol=protocol, host=host)


def evaluate(spec: FirewallPolicySpec, machine: Machine, connection: Connection) -> Decision:
    """The first matching rule's action by priority, or ``no-match`` (the network's other rules decide)."""
    for rule in sorted(spec.rules, key=lambda item: item.priority):
        if _targets(rule, machine) and _layer4(rule, connection) and _destination(rule, connection):
            return Decision(rule.action, rule)
    return Decision("no-match", None)


def policy_from_api(
    rule_bodies: Iterable[Mapping[str, Any]],
    pga_hosts: Iterable[str] = (),
    pga_range: str = GOOGLE_ACCESS_RANGES["private"],
) -> FirewallPolicySpec:
    """A policy rebuilt from ``FirewallPolicyRule`` request bodies (camelCase, as a preview records the inputs sent
    to the provider), so that what would be deployed is judged, not the compiler's own view of it.

    ``pga_hosts`` are the names the workloads resolve to ``pga_range`` (storage.googleapis.com under Private Google
    Access)."""
    rules = []
    for body in rule_bodies:
        match = body.get("match", {})
        tags = tuple(str(tag["name"]) for tag in body.get("targetSecureTags") or ())
        accounts = tuple(str(account) for account in body.get("targetServiceAccounts") or ())
        rules.append(
            FirewallRule(
                priority=int(body["priority"]),
                kind="deny" if body["action"] == "deny" else "fqdn",
                action="deny" if body["action"] == "deny" else "allow",
                rule_name=str(body.get("ruleName", "")),
                description=str(body.get("description", "")),
                roles=(),
                target=RoleTarget(secure_tags=tags, service_accounts=accounts),
                layer4=tuple(
                    Layer4(str(item["ipProtocol"]), tuple(str(port) for port in item.get("ports") or ()))
                    for item in match.get("layer4Configs") or ()
                ),
                dest_fqdns=tuple(match.get("destFqdns") or ()),
                dest_ip_ranges=tuple(match.get("destIpRanges") or ()),
            )
        )
    return FirewallPolicySpec(
        name="from-api",
        scope="global",
        region=None,
        parent=None,
        description="",
        rules=tuple(sorted(rules, key=lambda rule: rule.priority)),
        associations=(),
        enforcement_order=None,
        groups=(),
        pga_hosts=tuple(sorted(pga_hosts)),
        warnings=(),
        pga_range=pga_range,
    )


def machines_of(target_values: Iterable[str], tag_keys: Mapping[str, str] | None = None) -> list[Machine]:
    """One machine per value a kind's target lists: each carries that single value (under its key) or account.

    ``tag_keys`` maps ``tagValues/N`` to its key; created values all share ``CREATED_KEY``.
    """
    machines = []
    for value in target_values:
        if "@" in value:
            machines.append(Machine(service_account=value))
            continue
        key = CREATED_KEY if CREATED_TAG.fullmatch(value) else (tag_keys or {}).get(value, f"key-of-{value}")
        machines.append(Machine.carrying([(key, value)]))
    return machines


def check_machines(
    spec: FirewallPolicySpec,
    plan: EgressPlan,
    machines: Mapping[str, Iterable[Machine]],
    default_deny: bool = True,
) -> list[Failure]:
    """Every (machine kind, host, port) of the plan judged across all rules by priority.

    ``machines`` maps a machine kind to the machines that stand for it; a machine listed under several kinds plays
    all their roles. Each must be allowed every host and port its roles need and, with the default deny, be denied
    the plan's other hosts and ports (without it, they are ``no-match``). Returns the failures; empty means the
    policy gives every machine exactly what its roles need.
    """
    kinds_of: dict[Machine, set[str]] = {}
    for kind, kind_machines in machines.items():
        for machine in kind_machines:
            kinds_of.setdefault(machine, set()).add(kind)
    otherwise: Verdict = "deny" if default_deny else "no-match"
    every = sorted({(rule.host, rule.port) for rule in plan.allow})
    failures: list[Failure] = []
    for machine, kinds in kinds_of.items():
        roles = {role for kind in kinds for role in KIND_ROLES.get(kind, ())}  # type: ignore[call-overload]
        needed = {(rule.host, rule.port) for rule in plan.allow if roles & set(rule.roles)}
        for host, port in every:
            expected: Verdict = "allow" if (host, port) in needed else otherwise
            verdict = evaluate(spec, machine, connect(spec, host, port)).verdict
            if verdict != expected:
                failures.append(Failure(",".join(sorted(kinds)), machine, host, port, expected, verdict))
    return failures


def _targets(rule: FirewallRule, machine: Machine) -> bool:
    if rule.target.secure_tags:
        return bool(machine.tag_values.intersection(rule.target.secure_tags))
    if rule.target.service_accounts:
        return machine.service_account in rule.target.service_accounts
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
