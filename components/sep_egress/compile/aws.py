"""AWS Network Firewall: from an ``EgressPlan`` to stateful rule groups and a firewall policy.

The output is shaped like the AWS API request bodies (``CreateRuleGroup``'s ``RuleGroup``, ``CreateFirewallPolicy``'s
``FirewallPolicy``) so it can be checked against the service model and mapped one to one onto Pulumi resources.
Everything here is pure and deterministic: the same plan, sources and options give byte-identical rules.

Two styles:

- ``suricata`` (default): one ``pass`` rule per plan rule, pinned to its port, its protocol (``tls.sni`` or
  ``http.host``) and the source variables of the roles that need it; a small *guard* group passes the TCP handshake
  on the ports a role needs (so the SNI or Host can be read) and drops, with an alert, the rest from those sources.
- ``domain-list``: Network Firewall's own ``RulesSourceList`` allowlists (one for ``TLS_SNI``, one for ``HTTP_HOST``
  only where the plan has clear-text HTTP). Simpler to review, but it keeps neither ports nor per-role sources.
  Its *guard* group holds only the drops of UDP, ICMP and every other IP protocol from the declared sources.

Both styles drop non-TCP traffic from every declared source with explicit rules (see ``_non_tcp_rule_texts``): the
policy's ``aws:drop_established`` cannot be relied on for it, because a UDP flow is only "established" once both
sides have spoken, so its first packet, and a one-way flow, are never established.

Limits used below, from the AWS Network Firewall quotas page (docs.aws.amazon.com/network-firewall/latest/
developerguide/quotas.html) unless said otherwise:

- stateful rule group capacity at most 30,000. A copy of the developer guide's capacity page
  (nwfw-rule-group-capacity.md) says 50,000 for stateful groups; the quotas page says 30,000; we keep the lower.
- a Suricata rules string at most 2,000,000 bytes (the quotas page and botocore's model, ``RulesString`` max
  2000000). Older SDK models (e.g. Paws' CreateRuleGroup, "max: 1000000") still carry 1,000,000: pass
  ``max_rules_bytes=1_000_000`` when deploying through tooling that old.
- a Suricata rule at most 8,192 characters, *each variable value counting* (so a source variable is counted
  expanded to its CIDRs).
- at most 20 stateful rule groups per policy, and 30,000 stateful capacity per policy in total (quotas page;
  Firewall Manager's quotas list the same 30,000 per Network Firewall policy).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from ..catalog.hosts import HostError, parse_cidr
from ..catalog.models import ROLES, Role
from ..catalog.plan import AllowRule, CidrRule, EgressPlan
from ..errors import SepEgressError

Style = Literal["suricata", "domain-list"]
STYLES: tuple[Style, ...] = get_args(Style)

MAX_STATEFUL_GROUP_CAPACITY = 30_000
MAX_RULES_STRING_BYTES = 2_000_000
MAX_SURICATA_RULE_CHARS = 8_192
MAX_STATEFUL_GROUPS_PER_POLICY = 20
MAX_POLICY_STATEFUL_CAPACITY = 30_000
MAX_RULE_GROUP_NAME = 128

STATEFUL_DEFAULT_ACTIONS = ("aws:drop_established", "aws:alert_established")
STATELESS_DEFAULT_ACTIONS = ("aws:forward_to_sfe",)

#: Suricata sids are 32-bit; keeping them in [SID_BASE, SID_BASE + SID_SPAN) leaves room below for hand-written
#: rules and stays clear of the sign bit some tools still assume.
SID_BASE = 1_000_000
SID_SPAN = 1 << 30

#: One rule variable per role (names: ^[A-Za-z][A-Za-z0-9_]*$, at most 32 characters).
ROLE_VARIABLES: dict[Role, str] = {
    "agent": "SEP_AGENT_NET",
    "agent-cloud": "SEP_AGENT_CLOUD_NET",
    "sepm": "SEPM_NET",
    "sepm-cloud": "SEPM_CLOUD_NET",
    "console": "SEP_CONSOLE_NET",
}

_NAME_PREFIX = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")


def _is_int(value: object) -> bool:
    """An integer that is not a bool (``True`` is an ``int`` in Python, never a capacity or a priority)."""
    return isinstance(value, int) and not isinstance(value, bool)


class AwsFirewallError(SepEgressError):
    """An input of the AWS Network Firewall compiler is invalid, or the plan cannot fit the service's limits.

    The message starts with the argument it is about (``source_cidrs['agent'][1]: ...``).
    """


@dataclass(frozen=True, slots=True)
class AwsFirewallOptions:
    """How to compile. Every field has a safe default; see docs/aws.md for what each protects and costs.

    ``headroom_percent`` and ``capacity_rounding`` decide each group's provisioned capacity: the rules it holds,
    plus the headroom, rounded up to the next step of a ladder that grows by a factor of about 1.41 (each step a
    multiple of the rounding: 100, 200, 300, 400, 600, 800, 1200, 1600, ...), never below ``min_capacity``.
    Capacity is fixed at creation, so this slack is what lets a group take new hosts as an in-place update
    instead of a replacement. Fixed increments would put a large group a few dozen hosts from its next
    replacement; the ladder's steps grow with the group, so the room left grows too (on average about a fifth of
    the group). Set ``min_capacity`` to the deployed capacity to rule out a replacement until the group outgrows it.
    """

    style: Style = "suricata"
    headroom_percent: int = 25
    capacity_rounding: int = 100
    min_capacity: int = 100
    name_prefix: str = "sep-egress"
    allow_any_source: bool = False
    first_priority: int = 100
    priority_step: int = 100
    max_group_capacity: int = MAX_STATEFUL_GROUP_CAPACITY
    max_rules_bytes: int = MAX_RULES_STRING_BYTES
    max_policy_capacity: int = MAX_POLICY_STATEFUL_CAPACITY

    def validate(self) -> None:
        problems: list[str] = []
        if self.style not in STYLES:
            problems.append(f"style: {self.style!r} is not a style; choose {' or '.join(STYLES)}")
        if not _is_int(self.headroom_percent) or not 0 <= self.headroom_percent <= 400:
            problems.append(f"headroom_percent: {self.headroom_percent!r} must be an integer from 0 to 400")
        if not _is_int(self.capacity_rounding) or not 1 <= self.capacity_rounding <= 10_000:
            problems.append(f"capacity_rounding: {self.capacity_rounding!r} must be an integer from 1 to 10000")
        max_group_ok = _is_int(self.max_group_capacity) and 1 <= self.max_group_capacity <= MAX_STATEFUL_GROUP_CAPACITY
        if not max_group_ok:
            problems.append(
                f"max_group_capacity: {self.max_group_capacity!r} must be an integer from 1 to "
                f"{MAX_STATEFUL_GROUP_CAPACITY}"
            )
        if not _is_int(self.min_capacity) or not 1 <= self.min_capacity <= (
            self.max_group_capacity if max_group_ok else MAX_STATEFUL_GROUP_CAPACITY
        ):
            problems.append(f"min_capacity: {self.min_capacity!r} must be an integer from 1 to max_group_capacity")
        if not _is_int(self.max_rules_bytes) or not 1_000 <= self.max_rules_bytes <= MAX_RULES_STRING_BYTES:
            problems.append(
                f"max_rules_bytes: {self.max_rules_bytes!r} must be an integer from 1000 to {MAX_RULES_STRING_BYTES}"
            )
        if not _is_int(self.max_policy_capacity) or self.max_policy_capacity < 1:
            problems.append(f"max_policy_capacity: {self.max_policy_capacity!r} must be a positive integer")
        if not isinstance(self.name_prefix, str) or not _NAME_PREFIX.match(self.name_prefix):
            problems.append(
                f"name_prefix: {self.name_prefix!r} must be 1-64 letters, digits and inner hyphens "
                "(rule group names allow only [A-Za-z0-9-])"
            )
        for name, value in (("first_priority", self.first_priority), ("priority_step", self.priority_step)):
            if not _is_int(value) or not 1 <= value <= 65535:
                problems.append(f"{name}: {value!r} must be an integer from 1 to 65535")
        if not isinstance(self.allow_any_source, bool):
            problems.append(f"allow_any_source: must be true or false, not {self.allow_any_source!r}")
        if problems:
            raise AwsFirewallError("; ".join(problems))

    def provisioned_capacity(self, used: int) -> int:
        """The capacity to create a group with when it holds ``used`` capacity now."""
        wanted = max(1, math.ceil(used * (100 + self.headroom_percent) / 100))
        step = 0
        while True:
            rung = math.ceil(2 ** (step / 2)) * self.capacity_rounding
            if rung >= wanted or rung >= self.max_group_capacity:
                break
            step += 1
        return min(self.max_group_capacity, max(self.min_capacity, rung))

    def fits(self, used: int, rules_bytes: int) -> bool:
        """Whether a group of this size keeps its headroom within one group's limits."""
        factor = (100 + self.headroom_percent) / 100
        return math.ceil(used * factor) <= self.max_group_capacity and math.ceil(rules_bytes * factor) <= (
            self.max_rules_bytes
        )


@dataclass(frozen=True, slots=True)
class SuricataRule:
    """One line of a rules string; ``identity`` is what the sid is derived from (never the line's position)."""

    identity: str
    sid: int
    text: str
    roles: tuple[Role, ...]


@dataclass(frozen=True, slots=True)
class RuleGroupSpec:
    """One stateful rule group, as ``CreateRuleGroup`` takes it.

    ``key`` is the group's stable logical name (``allow-1``, ``guard``, ``tls-domains``, ...); ``name`` the
    physical name, whose suffix hashes the inputs that force a replacement (capacity, type, rule order), so a
    replacement always gets a new name and can be created before the old group is deleted.
    """

    key: str
    name: str
    description: str
    priority: int
    capacity: int
    used_capacity: int
    rules_bytes: int
    rule_group: Mapping[str, Any]
    hosts: tuple[str, ...] = ()

    @property
    def kind(self) -> Literal["rules-string", "domain-list"]:
        return "domain-list" if "RulesSourceList" in self.rule_group["RulesSource"] else "rules-string"

    @property
    def rules_string(self) -> str:
        return str(self.rule_group["RulesSource"].get("RulesString", ""))

    def create_request(self, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The ``CreateRuleGroup`` request body."""
        request: dict[str, Any] = {
            "RuleGroupName": self.name,
            "Type": "STATEFUL",
            "Capacity": self.capacity,
            "Description": self.description,
            "RuleGroup": _plain(self.rule_group),
        }
        if tags:
            request["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
        return request


@dataclass(frozen=True, slots=True)
class AwsEgressSpec:
    """Everything the Pulumi layer needs: rule groups in priority order, the policy's HOME_NET, and facts to report.

    ``allowed_by_role`` lists, per role that has sources, what it may reach (``host:port/tls``, ``.domain:port/tls``
    for a domain and its subdomains, ``cidr:port/tcp``). ``skipped_roles`` are plan roles given no source CIDRs:
    no rule allows anything for them, and no rule drops anything for them either (see ``notes``).
    """

    style: Style
    groups: tuple[RuleGroupSpec, ...]
    home_net: tuple[str, ...]
    source_cidrs: Mapping[Role, tuple[str, ...]]
    allowed_by_role: Mapping[Role, tuple[str, ...]]
    skipped_roles: tuple[Role, ...]
    tls_inspection_bypass: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def capacity(self) -> int:
        return sum(group.capacity for group in self.groups)

    @property
    def used_capacity(self) -> int:
        return sum(group.used_capacity for group in self.groups)

    def group(self, key: str) -> RuleGroupSpec:
        for group in self.groups:
            if group.key == key:
                return group
        raise KeyError(key)

    def rule_group_references(self, arns: Mapping[str, str]) -> list[dict[str, Any]]:
        """``StatefulRuleGroupReferences`` for a policy, from each group key's ARN."""
        missing = [group.key for group in self.groups if group.key not in arns]
        if missing:
            raise KeyError(f"no ARN for rule groups {', '.join(missing)}")
        return [{"ResourceArn": arns[group.key], "Priority": group.priority} for group in self.groups]

    def firewall_policy(self, arns: Mapping[str, str]) -> dict[str, Any]:
        """The ``FirewallPolicy`` of ``CreateFirewallPolicy``: strict order, drop and alert what no rule passes.

        HOME_NET is set at policy level to the declared sources so that every group (ours, managed ones) agrees on
        what "home" is; without it Network Firewall uses the inspection VPC's CIDR.
        """
        return {
            "StatelessDefaultActions": list(STATELESS_DEFAULT_ACTIONS),
            "StatelessFragmentDefaultActions": list(STATELESS_DEFAULT_ACTIONS),
            "StatefulRuleGroupReferences": self.rule_group_references(arns),
            "StatefulDefaultActions": list(STATEFUL_DEFAULT_ACTIONS),
            "StatefulEngineOptions": {"RuleOrder": "STRICT_ORDER"},
            "PolicyVariables": {"RuleVariables": {"HOME_NET": {"Definition": list(self.home_net)}}},
        }

    def policy_request(self, name: str, arns: Mapping[str, str]) -> dict[str, Any]:
        """The ``CreateFirewallPolicy`` request body."""
        return {"FirewallPolicyName": name, "FirewallPolicy": self.firewall_policy(arns)}

    def fms_managed_service_data(self, arns: Mapping[str, str]) -> dict[str, Any]:
        """Firewall Manager's ``ManagedServiceData`` for a distributed ``NETWORK_FIREWALL`` policy.

        Shape from the example in the FMS API model (``SecurityServicePolicyData.ManagedServiceData``, distributed
        deployment model). Route management stays ``OFF``: Firewall Manager creates the endpoints, and routing
        traffic through them is each VPC owner's reviewed change.
        """
        return {
            "type": "NETWORK_FIREWALL",
            "networkFirewallStatelessRuleGroupReferences": [],
            "networkFirewallStatelessDefaultActions": list(STATELESS_DEFAULT_ACTIONS),
            "networkFirewallStatelessFragmentDefaultActions": list(STATELESS_DEFAULT_ACTIONS),
            "networkFirewallStatelessCustomActions": [],
            "networkFirewallStatefulRuleGroupReferences": [
                {"resourceARN": arns[group.key], "priority": group.priority} for group in self.groups
            ],
            "networkFirewallStatefulDefaultActions": list(STATEFUL_DEFAULT_ACTIONS),
            "networkFirewallStatefulEngineOptions": {"ruleOrder": "STRICT_ORDER"},
            "networkFirewallOrchestrationConfig": {
                "singleFirewallEndpointPerVPC": False,
                "allowedIPV4CidrList": [],
                "routeManagementAction": "OFF",
            },
        }


def compile_network_firewall(
    plan: EgressPlan,
    source_cidrs: Mapping[str, Sequence[str]],
    options: AwsFirewallOptions | None = None,
) -> AwsEgressSpec:
    """Compile ``plan`` into Network Firewall rule groups for the given per-role source CIDRs.

    ``source_cidrs`` maps a role (``agent``, ``sepm``, ``console``, ...) to the networks its machines use: the SEP
    clients' subnets, the SEPM server, the administrators' networks. A plan role left out gets no rule (and is
    reported in ``skipped_roles``). ``0.0.0.0/0`` and ``::/0`` are refused unless ``options.allow_any_source``.

    Raises ``AwsFirewallError`` naming the argument when an input is invalid or the plan cannot fit the limits.
    """
    options = options or AwsFirewallOptions()
    options.validate()
    sources = _validate_sources(plan, source_cidrs, options)
    skipped = tuple(role for role in plan.roles if role not in sources)
    if not sources:
        raise AwsFirewallError(
            "source_cidrs: no plan role has a source CIDR, so nothing would be allowed; give CIDRs for at least one "
            f"of {', '.join(plan.roles)}"
        )
    allow = [rule for rule in plan.allow if any(role in sources for role in rule.roles)]
    cidrs = [rule for rule in plan.cidrs if any(role in sources for role in rule.roles)]
    if not allow and not cidrs:
        raise AwsFirewallError(
            f"source_cidrs: the roles given sources ({', '.join(sources)}) need nothing in this plan; "
            f"the plan's rules are for {', '.join(plan.roles)}"
        )
    home_net = _sorted_cidrs({cidr for values in sources.values() for cidr in values})
    if options.style == "suricata":
        groups, notes = _suricata_groups(allow, cidrs, sources, options)
    else:
        groups, notes = _domain_list_groups(allow, cidrs, sources, home_net, options)
    _check_policy_limits(groups, options)
    if skipped:
        notes = (
            f"Roles {', '.join(skipped)} have no source CIDRs: no rule allows anything for them. Machines outside "
            "every declared source get only the policy's aws:drop_established, which drops TCP once established "
            "but not the first packet of a UDP (or other non-TCP) flow: give these roles source CIDRs, or keep "
            "their traffic off this firewall's path.",
            *notes,
        )
    return AwsEgressSpec(
        style=options.style,
        groups=tuple(groups),
        home_net=home_net,
        source_cidrs={role: sources[role] for role in plan.roles if role in sources},
        allowed_by_role=_allowed_by_role(allow, cidrs, sources, plan.roles),
        skipped_roles=skipped,
        tls_inspection_bypass=plan.tls_inspection_bypass,
        notes=notes,
    )


# --- inputs ----------------------------------------------------------------------------------------------------


def _validate_sources(
    plan: EgressPlan, source_cidrs: Mapping[str, Sequence[str]], options: AwsFirewallOptions
) -> dict[Role, tuple[str, ...]]:
    if not isinstance(source_cidrs, Mapping):
        raise AwsFirewallError("source_cidrs: a mapping of role to a list of CIDRs, e.g. {'agent': ['10.1.0.0/16']}")
    result: dict[Role, tuple[str, ...]] = {}
    for role_name, values in source_cidrs.items():
        where = f"source_cidrs[{role_name!r}]"
        if role_name not in ROLES:
            raise AwsFirewallError(f"{where}: unknown role; roles are {', '.join(ROLES)}")
        role: Role = role_name
        if role not in plan.roles:
            raise AwsFirewallError(
                f"{where}: the plan has no role {role} (its roles: {', '.join(plan.roles)}); "
                "add the role to the selection or remove these sources"
            )
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise AwsFirewallError(f"{where}: a list of CIDRs such as ['10.1.0.0/16'], not {type(values).__name__}")
        networks: set[str] = set()
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise AwsFirewallError(f"{where}[{index}]: a CIDR is text such as '10.1.0.0/16'")
            try:
                network = parse_cidr(value.strip())  # no IPv6 zone id: ipaddress keeps any text after "%"
            except HostError as exc:
                raise AwsFirewallError(f"{where}[{index}]: {exc}") from None
            if network.prefixlen == 0 and not options.allow_any_source:
                raise AwsFirewallError(
                    f"{where}[{index}]: {value!r} is every address; sep-egress never allows from everywhere unless "
                    "allow_any_source is set"
                )
            networks.add(str(network))
        if networks:
            result[role] = _sorted_cidrs(networks)
    return result


def _sorted_cidrs(values: set[str]) -> tuple[str, ...]:
    networks = [ipaddress.ip_network(value) for value in values]
    return tuple(
        str(network) for network in sorted(networks, key=lambda n: (n.version, int(n.network_address), n.prefixlen))
    )


# --- suricata style ---------------------------------------------------------------------------------------------


def _source_expression(roles: Sequence[Role]) -> str:
    variables = [f"${ROLE_VARIABLES[role]}" for role in roles]
    return variables[0] if len(variables) == 1 else "[" + ",".join(variables) + "]"


def _ports_expression(ports: Sequence[int], *, negate: bool = False) -> str:
    ordered = sorted(set(ports))
    text = str(ordered[0]) if len(ordered) == 1 else "[" + ",".join(str(port) for port in ordered) + "]"
    return ("!" + text) if negate else text


def _host_match(rule: AllowRule) -> str:
    # tls.sni is compared case-insensitively (clients may send any case); http.host is already normalised to lower
    # case by Suricata, which rejects nocase on it, and our hosts are lower case. dotprefix + ".domain" + endswith
    # matches the domain and its subdomains but not "otherdomain" (AWS's documented dotprefix idiom).
    if rule.protocol == "tls":
        if rule.match == "suffix":
            return f'tls.sni; dotprefix; content:".{rule.host}"; nocase; endswith;'
        return f'tls.sni; content:"{rule.host}"; startswith; nocase; endswith;'
    if rule.match == "suffix":
        return f'http.host; dotprefix; content:".{rule.host}"; endswith;'
    return f'http.host; content:"{rule.host}"; startswith; endswith;'


def _host_label(rule: AllowRule) -> str:
    return f".{rule.host}" if rule.match == "suffix" else rule.host


def _allow_rule_text(rule: AllowRule, roles: tuple[Role, ...]) -> tuple[str, str]:
    identity = f"allow|{rule.protocol}|{rule.match}|{rule.host}|{rule.port}"
    text = (
        f"pass {rule.protocol} {_source_expression(roles)} any -> any {rule.port} ({_host_match(rule)} "
        f'msg:"sep-egress allow {_host_label(rule)}:{rule.port}/{rule.protocol} for {" ".join(roles)}"; '
        "flow:to_server;"
    )
    return identity, text


def _cidr_rule_text(rule: CidrRule, roles: tuple[Role, ...]) -> tuple[str, str]:
    identity = f"allow|{rule.protocol}|cidr|{rule.cidr}|{rule.port}"
    text = (
        f"pass {rule.protocol} {_source_expression(roles)} any -> {rule.cidr} {rule.port} "
        f'(msg:"sep-egress allow {rule.cidr}:{rule.port}/{rule.protocol} for {" ".join(roles)}"; flow:to_server;'
    )
    return identity, text


def _guard_rule_texts(
    allow: Sequence[AllowRule], sources: Mapping[Role, tuple[str, ...]]
) -> list[tuple[str, str, tuple[Role, ...]]]:
    """The handshake passes first (every role), then the drops (every role): a source in two roles' networks gets
    the union of what they allow, because no drop is reached before every pass."""
    ports_by_role: dict[Role, set[int]] = {role: set() for role in sources}
    for rule in allow:
        for role in rule.roles:
            if role in ports_by_role:
                ports_by_role[role].add(rule.port)
    roles = [role for role in ROLES if role in sources]
    handshakes: list[tuple[str, str, tuple[Role, ...]]] = []
    drops: list[tuple[str, str, tuple[Role, ...]]] = []
    for role in roles:
        source = _source_expression((role,))
        ports = sorted(ports_by_role[role])
        if ports:
            # Without this pass, strict order would leave the SYN to whichever later rule matches first; passing
            # only the handshake (not_established) lets the session reach the point where the SNI or Host exists.
            handshakes.append(
                (
                    f"handshake|{role}",
                    f"pass tcp {source} any -> any {_ports_expression(ports)} "
                    f'(msg:"sep-egress {role}: TCP handshake on its ports so the SNI or Host can be read"; '
                    "flow:not_established,to_server;",
                    (role,),
                )
            )
        drops.append(
            (
                f"drop-tls|{role}",
                f"drop tls {source} any -> any any "
                f'(msg:"sep-egress {role}: TLS to a name or port it does not need"; flow:to_server;',
                (role,),
            )
        )
        drops.append(
            (
                f"drop-http|{role}",
                f"drop http {source} any -> any any "
                f'(msg:"sep-egress {role}: HTTP to a host or port it does not need"; flow:to_server;',
                (role,),
            )
        )
        # Only other ports: on its own ports, traffic that is neither the allowed TLS nor HTTP is left to the
        # policy's drop_established, which (unlike a tcp drop here) cannot cut the session before the SNI arrives.
        other_ports = _ports_expression(ports, negate=True) if ports else "any"
        drops.append(
            (
                f"drop-tcp|{role}",
                f"drop tcp {source} any -> any {other_ports} "
                f'(msg:"sep-egress {role}: TCP to a port it does not need"; flow:to_server;',
                (role,),
            )
        )
        drops += _non_tcp_rule_texts(role)
    return handshakes + drops


def _non_tcp_rule_texts(role: Role) -> list[tuple[str, str, tuple[Role, ...]]]:
    """Drop UDP, ICMP and every other IP protocol but TCP from a role's sources (after every pass rule).

    Why rules and not the policy's default action: AWS's developer guide ("Strict evaluation order") says that for
    UDP "Network Firewall considers the connection established only after seeing traffic from both sides of the
    connection", so ``aws:drop_established`` does not reach the first packet of a UDP flow, nor a flow that gets no
    answer (a DNS query to any resolver, one-way exfiltration). A later revision of the same page adds that for
    UDP and ICMP it "drops all packets"; the two readings disagree, so we do not depend on either. ``aws:drop_strict``
    would cover them, but it drops every packet no pass rule matched, including the packets of an allowed TLS or
    HTTP session before its SNI or Host is seen, and AWS asks for ``aws:drop_established`` with domain lists.

    ``flow:to_server`` keeps these from being IP-only rules (which Suricata evaluates only on the first packet in
    each direction) and limits them to what the source sends. The three rules follow AWS's own "custom default block
    rules" (aws/aws-security-services-best-practices, Network Firewall sample Suricata rules): ``drop udp``,
    ``drop icmp``, and ``drop ip`` with ``ip_proto`` excluding TCP, UDP and ICMP. TCP stays with the role's TCP
    drop and the default action, which can wait for the SNI or Host.
    """
    source = _source_expression((role,))
    return [
        (
            f"drop-udp|{role}",
            f'drop udp {source} any -> any any (msg:"sep-egress {role}: UDP it does not need"; flow:to_server;',
            (role,),
        ),
        (
            f"drop-icmp|{role}",
            f'drop icmp {source} any -> any any (msg:"sep-egress {role}: ICMP it does not need"; flow:to_server;',
            (role,),
        ),
        (
            f"drop-ip|{role}",
            f"drop ip {source} any -> any any "
            f'(msg:"sep-egress {role}: an IP protocol other than TCP, UDP or ICMP"; '
            "ip_proto:!6; ip_proto:!17; ip_proto:!1; flow:to_server;",
            (role,),
        ),
    ]


def _assign_sids(identities: Sequence[str]) -> dict[str, int]:
    """A sid per identity, from a hash of the identity alone, so a line's sid never depends on its neighbours.

    A collision (two identities hashing to one sid) is resolved by rehashing the identity that sorts later with a
    counter, so the result is still a pure function of the set of identities.
    """
    taken: dict[int, str] = {}
    result: dict[str, int] = {}
    for identity in sorted(set(identities)):
        attempt = 0
        while True:
            salted = identity if attempt == 0 else f"{identity}#{attempt}"
            digest = hashlib.sha256(salted.encode()).digest()
            sid = SID_BASE + int.from_bytes(digest[:8], "big") % SID_SPAN
            if sid not in taken:
                break
            attempt += 1
        taken[sid] = identity
        result[identity] = sid
    return result


def _finish(text: str, sid: int) -> str:
    return f"{text} sid:{sid}; rev:1;)"


def _expanded_length(text: str, roles: Sequence[Role], sources: Mapping[Role, tuple[str, ...]]) -> int:
    length = len(text)
    for role in set(roles):
        variable = f"${ROLE_VARIABLES[role]}"
        expansion = "[" + ",".join(sources[role]) + "]"
        length += text.count(variable) * (len(expansion) - len(variable))
    return length


def _check_rule_length(rule: SuricataRule, sources: Mapping[Role, tuple[str, ...]]) -> None:
    length = _expanded_length(rule.text, rule.roles, sources)
    if length > MAX_SURICATA_RULE_CHARS:
        widest = max(rule.roles, key=lambda role: len(sources[role]))
        raise AwsFirewallError(
            f"source_cidrs[{widest!r}]: the rule {rule.identity!r} is {length} characters once its source variables "
            f"are expanded; Network Firewall allows {MAX_SURICATA_RULE_CHARS} per rule (variable values count). "
            "Summarise these CIDRs into fewer, wider ranges."
        )


def _suricata_group(
    key: str,
    rules: Sequence[SuricataRule],
    sources: Mapping[Role, tuple[str, ...]],
    options: AwsFirewallOptions,
    priority: int,
) -> RuleGroupSpec:
    roles = [role for role in ROLES if any(role in rule.roles for rule in rules)]
    rules_string = "\n".join(rule.text for rule in rules)
    used = len(rules)
    capacity = options.provisioned_capacity(used)
    rule_group: dict[str, Any] = {
        "RuleVariables": {"IPSets": {ROLE_VARIABLES[role]: {"Definition": list(sources[role])} for role in roles}},
        "RulesSource": {"RulesString": rules_string},
        "StatefulRuleOptions": {"RuleOrder": "STRICT_ORDER"},
    }
    return RuleGroupSpec(
        key=key,
        name=_group_name(options, key, capacity),
        description=f"sep-egress: Symantec Endpoint Protection egress allowlist (suricata, {key})",
        priority=priority,
        capacity=capacity,
        used_capacity=used,
        rules_bytes=len(rules_string.encode()),
        rule_group=rule_group,
        hosts=tuple(sorted({rule.identity.split("|")[3] for rule in rules if rule.identity.startswith("allow|")})),
    )


def _bucket(identity: str, count: int) -> int:
    if count == 1:
        return 0
    digest = hashlib.sha256(("bucket|" + identity).encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def _split(rules: Sequence[SuricataRule], options: AwsFirewallOptions) -> list[tuple[int, list[SuricataRule]]]:
    """Spread the pass rules over as few groups as the limits allow, by a hash of each rule's identity.

    Pass rules commute (the drops live in the guard group, after all of them), so any assignment is correct; a hash
    keeps it stable: a new host lands in one group and changes only that group. The number of groups only grows
    when a group would overflow its limits with its headroom.
    """
    factor = (100 + options.headroom_percent) / 100
    total_bytes = sum(len(rule.text) + 1 for rule in rules)
    count = max(
        1,
        math.ceil(len(rules) * factor / options.max_group_capacity),
        math.ceil(total_bytes * factor / options.max_rules_bytes),
    )
    while count < MAX_STATEFUL_GROUPS_PER_POLICY:
        buckets: list[list[SuricataRule]] = [[] for _ in range(count)]
        for rule in rules:
            buckets[_bucket(rule.identity, count)].append(rule)
        if all(options.fits(len(bucket), sum(len(rule.text) + 1 for rule in bucket)) for bucket in buckets):
            return [(index, bucket) for index, bucket in enumerate(buckets) if bucket]
        count += 1
    raise AwsFirewallError(
        f"plan: {len(rules)} rules ({total_bytes} bytes) need more than {MAX_STATEFUL_GROUPS_PER_POLICY - 1} rule "
        "groups with the chosen headroom; lower headroom_percent or split the selection"
    )


def _suricata_groups(
    allow: Sequence[AllowRule],
    cidrs: Sequence[CidrRule],
    sources: Mapping[Role, tuple[str, ...]],
    options: AwsFirewallOptions,
) -> tuple[list[RuleGroupSpec], tuple[str, ...]]:
    drafts: list[tuple[str, str, tuple[Role, ...]]] = []
    for rule in allow:
        roles = tuple(role for role in rule.roles if role in sources)
        drafts.append((*_allow_rule_text(rule, roles), roles))
    for cidr_rule in cidrs:
        roles = tuple(role for role in cidr_rule.roles if role in sources)
        drafts.append((*_cidr_rule_text(cidr_rule, roles), roles))
    guard = _guard_rule_texts(allow, sources)
    sids = _assign_sids([identity for identity, _, _ in drafts + guard])
    passes = [SuricataRule(i, sids[i], _finish(text, sids[i]), roles) for i, text, roles in drafts]
    guards = [SuricataRule(i, sids[i], _finish(text, sids[i]), roles) for i, text, roles in guard]
    for line in passes + guards:
        _check_rule_length(line, sources)
    groups: list[RuleGroupSpec] = []
    for index, bucket in _split(passes, options):
        priority = options.first_priority + index * options.priority_step
        groups.append(_suricata_group(f"allow-{index + 1}", bucket, sources, options, priority))
    groups.append(_suricata_group("guard", guards, sources, options, _guard_priority(options)))
    _check_priorities(groups)
    return groups, ()


def _guard_priority(options: AwsFirewallOptions) -> int:
    # The guard sits after every possible allow group (not just the ones in use), so its priority and name do not
    # move when the plan grows into one more group.
    return options.first_priority + (MAX_STATEFUL_GROUPS_PER_POLICY - 1) * options.priority_step


# --- domain-list style ------------------------------------------------------------------------------------------


def _domain_list_group(
    key: str,
    target_type: Literal["TLS_SNI", "HTTP_HOST"],
    targets: Sequence[str],
    home_net: tuple[str, ...],
    options: AwsFirewallOptions,
    priority: int,
) -> RuleGroupSpec:
    # Measured, not documented: a domain list uses one capacity per target and protocol plus one per protocol
    # (cloudnetworks.io, "Stateful Rule Group Capacity in AWS Network Firewall", 2021: 99 HTTP domains fill a
    # capacity of 100). AWS's own page only says "the number of rules you expect"; we count the larger figure.
    used = len(targets) + 1
    if not options.fits(used, 0):
        raise AwsFirewallError(
            f"style: {len(targets)} {target_type} targets do not fit one domain list group with the chosen headroom "
            f"({options.max_group_capacity} capacity); a domain allowlist cannot be split (each group's generated "
            "drop would block the others' names): use style 'suricata'"
        )
    capacity = options.provisioned_capacity(used)
    rule_group: dict[str, Any] = {
        # Set on the group too, so it keeps its sources when referenced from a policy we do not own.
        "RuleVariables": {"IPSets": {"HOME_NET": {"Definition": list(home_net)}}},
        "RulesSource": {
            "RulesSourceList": {
                "Targets": list(targets),
                "TargetTypes": [target_type],
                "GeneratedRulesType": "ALLOWLIST",
            }
        },
        "StatefulRuleOptions": {"RuleOrder": "STRICT_ORDER"},
    }
    return RuleGroupSpec(
        key=key,
        name=_group_name(options, key, capacity),
        description=f"sep-egress: Symantec Endpoint Protection egress allowlist (domain list, {key})",
        priority=priority,
        capacity=capacity,
        used_capacity=used,
        rules_bytes=0,
        rule_group=rule_group,
        hosts=tuple(sorted({target.lstrip(".") for target in targets})),
    )


def _domain_list_groups(
    allow: Sequence[AllowRule],
    cidrs: Sequence[CidrRule],
    sources: Mapping[Role, tuple[str, ...]],
    home_net: tuple[str, ...],
    options: AwsFirewallOptions,
) -> tuple[list[RuleGroupSpec], tuple[str, ...]]:
    groups: list[RuleGroupSpec] = []
    priority = options.first_priority
    if cidrs:
        drafts = []
        for cidr_rule in cidrs:
            roles = tuple(role for role in cidr_rule.roles if role in sources)
            drafts.append((*_cidr_rule_text(cidr_rule, roles), roles))
        sids = _assign_sids([identity for identity, _, _ in drafts])
        lines = [SuricataRule(i, sids[i], _finish(text, sids[i]), roles) for i, text, roles in drafts]
        for line in lines:
            _check_rule_length(line, sources)
        if not options.fits(len(lines), sum(len(line.text) + 1 for line in lines)):
            raise AwsFirewallError("plan: the address-range rules do not fit one rule group; use style 'suricata'")
        groups.append(_suricata_group("cidrs", lines, sources, options, priority))
    # Separate groups per protocol: an ALLOWLIST's generated drop covers only its own protocol, so TLS names and
    # HTTP names stay exact instead of every name becoming allowed over both.
    tls_targets = sorted({_host_label(rule) for rule in allow if rule.protocol == "tls"})
    http_targets = sorted({_host_label(rule) for rule in allow if rule.protocol == "http"})
    if tls_targets:
        groups.append(
            _domain_list_group(
                "tls-domains", "TLS_SNI", tls_targets, home_net, options, priority + options.priority_step
            )
        )
    if http_targets:
        groups.append(
            _domain_list_group(
                "http-domains", "HTTP_HOST", http_targets, home_net, options, priority + 2 * options.priority_step
            )
        )
    # Domain lists only judge TLS and HTTP; the guard drops every non-TCP flow from the declared sources (after the
    # address-range passes), which the policy's aws:drop_established does not reach (see _non_tcp_rule_texts).
    guard_drafts = [draft for role in ROLES if role in sources for draft in _non_tcp_rule_texts(role)]
    guard_sids = _assign_sids([identity for identity, _, _ in guard_drafts])
    guard = [SuricataRule(i, guard_sids[i], _finish(text, guard_sids[i]), roles) for i, text, roles in guard_drafts]
    for line in guard:
        _check_rule_length(line, sources)
    groups.append(_suricata_group("guard", guard, sources, options, _guard_priority(options)))
    _check_priorities(groups)
    notes = [
        "Domain lists keep neither ports nor per-role sources: every declared source may reach every listed name, "
        "over TLS on any port (and HTTP on any port for HTTP names). Use style 'suricata' to pin both."
    ]
    odd_ports = sorted(
        {f"{_host_label(rule)}:{rule.port}/{rule.protocol}" for rule in allow if rule.port != _usual_port(rule)}
    )
    if odd_ports:
        notes.append(
            "Names the plan allows on a non-standard port (domain lists cannot pin it): " + ", ".join(odd_ports)
        )
    return groups, tuple(notes)


def _usual_port(rule: AllowRule) -> int:
    return 443 if rule.protocol == "tls" else 80


# --- shared -----------------------------------------------------------------------------------------------------


def _group_name(options: AwsFirewallOptions, key: str, capacity: int) -> str:
    digest = hashlib.sha256(f"{key}|STATEFUL|STRICT_ORDER|{capacity}".encode()).hexdigest()[:8]
    name = f"{options.name_prefix}-{key}-{digest}"
    assert len(name) <= MAX_RULE_GROUP_NAME  # name_prefix is at most 64 characters
    return name


def _check_priorities(groups: Sequence[RuleGroupSpec]) -> None:
    priorities = [group.priority for group in groups]
    if any(not 1 <= priority <= 65535 for priority in priorities) or len(set(priorities)) != len(priorities):
        raise AwsFirewallError(
            "first_priority / priority_step: rule group priorities must be unique and within 1-65535 "
            f"(got {priorities})"
        )


def _check_policy_limits(groups: Sequence[RuleGroupSpec], options: AwsFirewallOptions) -> None:
    if len(groups) > MAX_STATEFUL_GROUPS_PER_POLICY:
        raise AwsFirewallError(
            f"plan: {len(groups)} rule groups; a policy references at most {MAX_STATEFUL_GROUPS_PER_POLICY}"
        )
    total = sum(group.capacity for group in groups)
    if total > options.max_policy_capacity:
        used = sum(group.used_capacity for group in groups)
        raise AwsFirewallError(
            f"plan: the rule groups reserve {total} capacity ({used} in use) but a firewall policy holds "
            f"{options.max_policy_capacity}; lower headroom_percent or capacity_rounding, or split the selection"
        )


def _allowed_by_role(
    allow: Sequence[AllowRule],
    cidrs: Sequence[CidrRule],
    sources: Mapping[Role, tuple[str, ...]],
    roles: Sequence[Role],
) -> dict[Role, tuple[str, ...]]:
    result: dict[Role, tuple[str, ...]] = {}
    for role in roles:
        if role not in sources:
            continue
        hosts = [f"{_host_label(rule)}:{rule.port}/{rule.protocol}" for rule in allow if role in rule.roles]
        ranges = [f"{rule.cidr}:{rule.port}/{rule.protocol}" for rule in cidrs if role in rule.roles]
        result[role] = tuple(hosts + ranges)
    return result


def _plain(value: Any) -> Any:
    """A deep copy as plain dicts and lists (what botocore and JSON expect)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
