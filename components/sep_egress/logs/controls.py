"""What a stack deploys, as the logs name it: sources per role, and the rules that refuse (or, observing, would).

Everything is read from the compilers' own output, never written here a second time: the AWS guard rules are the
Suricata lines of the compiled rule groups whose action refuses (``drop``, ``reject*``), read from the enforce-mode
compile of the stack (in observe mode the same lines say ``alert`` with the same sid and ``msg``, but so do rules
that only log, so the action word of the enforce compile is what tells them apart; ``commands/logs.py`` compiles
it); their role is the one whose source variable they name. The GCP refusals are the compiled policy's
default-deny rules (kind ``deny``), known by priority and name whether their action is ``deny`` (enforce) or a
logged ``allow`` (observe); their machine kinds are those of the target group the rule targets.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..catalog.roles import ROLES, Role
from ..compile.aws.options import ROLE_VARIABLES
from ..compile.aws.spec import AwsEgressSpec
from ..compile.gcp.firewall import FirewallPolicySpec
from .records import FlowRecord, Outcome

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_REFUSING_ACTIONS = ("drop", "reject", "rejectsrc", "rejectdst", "rejectboth")
_SID = re.compile(r"\bsid:\s*([0-9]+)\s*;")
_MSG = re.compile(r'\bmsg:\s*"((?:[^"\\]|\\.)*)"')
_VARIABLE_ROLE = {variable: role for role, variable in ROLE_VARIABLES.items()}


@dataclass(frozen=True, slots=True)
class RefusingRule:
    """A rule that refuses in enforce mode: ``key`` is the AWS sid or the GCP priority, ``name`` the msg or name."""

    vendor: str
    key: str
    name: str
    roles: tuple[Role, ...]
    source: str


@dataclass(frozen=True, slots=True)
class Controls:
    """The stack's sources and refusing rules; empty for a selection without a stack (flags only)."""

    sources: tuple[tuple[Network, tuple[Role, ...]], ...] = ()
    refusing: Mapping[tuple[str, str], RefusingRule] = field(default_factory=dict)
    #: GCP rule priority -> the machine kinds (and their roles) of the group it targets, for every compiled rule.
    gcp_groups: Mapping[str, tuple[str, tuple[Role, ...]]] = field(default_factory=dict)

    def outcome(self, record: FlowRecord) -> Outcome:
        """``would-refuse`` for a flow allowed by a rule that refuses in enforce mode (observe mode's logs)."""
        if record.outcome == "allowed" and (record.vendor, record.rule or "") in self.refusing:
            return "would-refuse"
        return record.outcome

    def source(self, record: FlowRecord) -> tuple[str, tuple[Role, ...] | None]:
        """The source's label (a role, roles joined by ``+``, GCP machine kinds) and its roles, None if unknown."""
        rule = self.refusing.get((record.vendor, record.rule or ""))
        if rule is not None:
            return rule.source, rule.roles
        if record.vendor == "gcp" and record.rule is not None and record.rule in self.gcp_groups:
            label, roles = self.gcp_groups[record.rule]
            return label, roles
        try:
            address = ipaddress.ip_address(record.src_ip)
        except ValueError:
            return "unknown", None
        found = {role for network, roles in self.sources if address in network for role in roles}
        if not found:
            return "unknown", None
        ordered = tuple(role for role in ROLES if role in found)
        return "+".join(ordered), ordered


def aws_refusing_rules(spec: AwsEgressSpec) -> list[RefusingRule]:
    """The guard's refusing lines of every rules-string group (of an enforce-mode compile): their sid, msg and the
    role of their source."""
    found = []
    for group in spec.groups:
        for line in group.rules_string.splitlines():
            words = line.split(None, 3)
            if len(words) < 3:
                continue
            action = words[0]
            sid, msg = _SID.search(line), _MSG.search(line)
            if action not in _REFUSING_ACTIONS or sid is None:
                continue
            variable = words[2].lstrip("$")
            role = _VARIABLE_ROLE.get(variable)
            roles: tuple[Role, ...] = (role,) if role is not None else ()
            found.append(RefusingRule("aws", sid.group(1), msg.group(1) if msg else "", roles, role or "unknown"))
    return found


def gcp_rules(spec: FirewallPolicySpec) -> tuple[list[RefusingRule], dict[str, tuple[str, tuple[Role, ...]]]]:
    """The default-deny rules (by priority and name) and, for every rule, the machine kinds it targets."""
    groups: dict[str, tuple[str, tuple[Role, ...]]] = {}
    refusing = []
    for rule in spec.rules:
        group = next((group for group in spec.groups if group.target == rule.target), None)
        label = "+".join(group.kinds) if group is not None else "unknown"
        roles = group.roles if group is not None else rule.roles
        groups[str(rule.priority)] = (label, roles)
        if rule.kind == "deny":
            refusing.append(RefusingRule("gcp", str(rule.priority), rule.rule_name, roles, label))
    return refusing, groups


def controls_from_specs(
    specs: Iterable[Any] = (), role_sources: Mapping[Role, Sequence[str]] | None = None
) -> Controls:
    """The controls of a stack (the specs ``prepare_deployment`` compiled) or of ``--source ROLE=CIDR`` flags."""
    sources: dict[str, set[Role]] = {}
    refusing: dict[tuple[str, str], RefusingRule] = {}
    gcp_groups: dict[str, tuple[str, tuple[Role, ...]]] = {}
    for spec in specs:
        if isinstance(spec, AwsEgressSpec):
            for role, cidrs in spec.source_cidrs.items():
                for cidr in cidrs:
                    sources.setdefault(cidr, set()).add(role)
            for rule in aws_refusing_rules(spec):
                refusing[("aws", rule.key)] = rule
        elif isinstance(spec, FirewallPolicySpec):
            denies, groups = gcp_rules(spec)
            gcp_groups.update(groups)
            for rule in denies:
                refusing[("gcp", rule.key)] = rule
    for role, given in (role_sources or {}).items():
        for cidr in given:
            sources.setdefault(cidr, set()).add(role)
    # A guard rule names one role, but its sources may play several (agent and agent-cloud on the same range): the
    # source of its refusals is every role of the ranges that role's rules name.
    for key, rule in list(refusing.items()):
        if rule.vendor == "aws" and rule.roles:
            shared = {other for roles in sources.values() if rule.roles[0] in roles for other in roles}
            ordered = tuple(role for role in ROLES if role in shared) or rule.roles
            refusing[key] = RefusingRule(rule.vendor, rule.key, rule.name, ordered, "+".join(ordered))
    networks = tuple(
        (ipaddress.ip_network(cidr, strict=False), tuple(role for role in ROLES if role in roles))
        for cidr, roles in sorted(sources.items())
    )
    return Controls(sources=networks, refusing=refusing, gcp_groups=gcp_groups)
