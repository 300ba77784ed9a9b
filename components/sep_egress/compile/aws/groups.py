"""AWS Network Firewall compiler, step 3: the rules spread over rule groups in either style, each group's capacity
and name, and the policy's capacity budget.

The file reads in that order: the two styles (``suricata_groups``, ``domain_list_groups``), what both build groups
with (spreading by hash, sizing, naming, priorities), then the budget ``policy`` applies to all the groups together
(``reserve``, ``check_policy_limits``).

A rule group's capacity is fixed at creation (changing it replaces the group), so each group reserves headroom on
a ladder of steps; the reservation is made against the *policy's* total (30,000 by default, the guard included),
not group by group, so a plan whose rules fit one policy is never refused because per-group rounding overshot.

The ``domain-list`` style uses Network Firewall's own ``RulesSourceList``. Under ``STRICT_ORDER`` a domain list
``ALLOWLIST`` only passes: "strict order domain list rule groups do not automatically create the drop rules behind
the scenes, so you configure the drop established default action on the firewall policy yourself"
(aws/aws-security-services-best-practices, docs/en/guides/network-firewall/customer-managed-rules, "Domain list
rule groups"). What Network Firewall generates per target, as its developer guide shows ("Stateful domain list rule
groups", stateful-rule-groups-domain-names.html), is a pass rule such as ``pass tls $HOME_NET any -> $EXTERNAL_NET
any (tls.sni; content:"<name>"; startswith; nocase; endswith; flow:to_server, established; ...)`` (``dotprefix``
and ``endswith`` for a leading dot; ``http.host`` for ``HTTP_HOST``). The refusals therefore come from our Suricata
guard group (the same one as the suricata style, with the plan's ports for every declared source), never from the
lists: so the lists can be split over several groups like any pass rules, and the design no longer depends on a
drop the platform does not generate.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from ...catalog.roles import ROLES, Role
from ...catalog.vendor.plan import AllowRule, CidrRule
from .options import (
    MAX_RULE_GROUP_NAME,
    MAX_STATEFUL_GROUPS_PER_POLICY,
    ROLE_VARIABLES,
    RULES_BYTES_MARGIN_PERCENT,
    AwsFirewallError,
    AwsFirewallOptions,
)
from .rules import (
    EXEMPT_VARIABLE,
    allow_rule_draft,
    assign_sids,
    cidr_rule_drafts,
    finish,
    guard_drafts,
    host_label,
    rule_capacity,
    rules_capacity,
    tcp_ports_by_role,
)
from .spec import RuleGroupSpec, SuricataRule

# --- the suricata style (one pass rule per plan rule, spread over allow-N groups, then the guard) ----------------


def suricata_groups(
    allow: Sequence[AllowRule],
    cidrs: Sequence[CidrRule],
    sources: Mapping[Role, tuple[str, ...]],
    options: AwsFirewallOptions,
    exempt: tuple[str, ...] = (),
) -> tuple[list[RuleGroupSpec], tuple[str, ...]]:
    """The pass rules hashed over as few ``allow-N`` groups as the limits allow (pass rules commute: the refusals
    are all in the guard, so any spread is correct, and a hash keeps a new host in one group), then the guard."""
    drafts = []
    for rule in allow:
        drafts.append(allow_rule_draft(rule, tuple(role for role in rule.roles if role in sources), options))
    for cidr_rule in cidrs:
        drafts.extend(cidr_rule_drafts(cidr_rule, tuple(role for role in cidr_rule.roles if role in sources), options))
    range_roles = {role for rule in cidrs for role in rule.roles if role in sources}
    guard = guard_drafts(tcp_ports_by_role(allow, sources), options, range_roles, exempt=bool(exempt))
    sids = assign_sids([identity for identity, _, _ in drafts + guard])
    passes = finish(drafts, sids, sources)
    guards = finish(guard, sids, sources, guard_variables(exempt))
    count = split_count(
        [Sized(line.identity, rule_capacity(line), len(line.text) + 1) for line in passes], options, what="rules"
    )
    buckets: list[list[SuricataRule]] = [[] for _ in range(count)]
    for line in passes:
        buckets[bucket(line.identity, count)].append(line)
    groups: list[RuleGroupSpec] = []
    for index, rules in enumerate(buckets):
        if rules:
            priority = options.first_priority + index * options.priority_step
            groups.append(suricata_group(f"allow-{index + 1}", rules, sources, options, priority))
    groups.append(suricata_group("guard", guards, sources, options, guard_priority(options), guard_variables(exempt)))
    check_priorities(groups)
    return groups, ()


def guard_variables(exempt: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The guard group's own variable: the destinations its refusals leave alone (none with guard_scope all)."""
    return {EXEMPT_VARIABLE: exempt} if exempt else {}


# --- the domain-list style (Network Firewall's own RulesSourceList, then the guard) ------------------------------


TargetType = Literal["TLS_SNI", "HTTP_HOST"]


def domain_list_groups(
    allow: Sequence[AllowRule],
    cidrs: Sequence[CidrRule],
    sources: Mapping[Role, tuple[str, ...]],
    home_net: tuple[str, ...],
    options: AwsFirewallOptions,
    exempt: tuple[str, ...] = (),
) -> tuple[list[RuleGroupSpec], tuple[str, ...]]:
    groups: list[RuleGroupSpec] = []
    priority = options.first_priority
    if cidrs:
        drafts = []
        for cidr_rule in cidrs:
            roles = tuple(role for role in cidr_rule.roles if role in sources)
            drafts.extend(cidr_rule_drafts(cidr_rule, roles, options))
        lines = finish(drafts, assign_sids([identity for identity, _, _ in drafts]), sources)
        if not options.fits(rules_capacity(lines), sum(len(line.text) + 1 for line in lines)):
            raise AwsFirewallError("plan: the address-range rules do not fit one rule group; use style 'suricata'")
        groups.append(suricata_group("cidrs", lines, sources, options, priority))
    # One target type per group: a list with both types passes every name over both protocols, so TLS names and
    # HTTP names stay apart.
    for prefix, target_type, protocol in (("tls-domains", "TLS_SNI", "tls"), ("http-domains", "HTTP_HOST", "http")):
        targets = sorted({host_label(rule) for rule in allow if rule.protocol == protocol})
        for key, items in _split_targets(prefix, targets, options) if targets else []:
            priority += options.priority_step
            groups.append(_domain_list_group(key, target_type, items, home_net, options, priority))  # type: ignore[arg-type]
    # Domain lists do not pin ports: the guard passes the handshake, for every declared source, on the ports the
    # plan's TLS and HTTP rules use (any role's), and refuses the rest like the suricata style's guard.
    plan_ports = sorted({rule.port for rule in allow})
    ports_by_role = {role: plan_ports for role in ROLES if role in sources}
    range_roles = {role for rule in cidrs for role in rule.roles if role in sources}
    guard = guard_drafts(ports_by_role, options, range_roles, exempt=bool(exempt))
    variables = guard_variables(exempt)
    guard_rules = finish(guard, assign_sids([identity for identity, _, _ in guard]), sources, variables)
    groups.append(suricata_group("guard", guard_rules, sources, options, guard_priority(options), variables))
    check_priorities(groups)
    notes = [
        "Domain lists keep neither ports nor per-role sources: every declared source may reach every listed name, "
        f"over TLS (and HTTP for HTTP names) on any of the plan's ports ({', '.join(map(str, plan_ports))}). "
        "Use style 'suricata' to pin both."
    ]
    odd_ports = sorted(
        {f"{host_label(rule)}:{rule.port}/{rule.protocol}" for rule in allow if rule.port != _usual(rule)}
    )
    if odd_ports:
        notes.append(
            "Names the plan allows on a non-standard port (domain lists cannot pin it): " + ", ".join(odd_ports)
        )
    return groups, tuple(notes)


def _usual(rule: AllowRule) -> int:
    return 443 if rule.protocol == "tls" else 80


def _split_targets(prefix: str, targets: Sequence[str], options: AwsFirewallOptions) -> list[tuple[str, list[str]]]:
    """Spread targets by a hash of each name: ``tls-domains`` then ``tls-domains-2``, ... only when one group
    cannot hold them with the headroom (a list that fits keeps its single group's key and name)."""
    count = split_count([Sized(target, 1, 0) for target in targets], options, what=f"{prefix} targets")
    buckets: list[list[str]] = [[] for _ in range(count)]
    for target in targets:
        buckets[bucket(target, count)].append(target)
    return [(prefix if index == 0 else f"{prefix}-{index + 1}", items) for index, items in enumerate(buckets) if items]


def _domain_list_group(
    key: str,
    target_type: TargetType,
    targets: Sequence[str],
    home_net: tuple[str, ...],
    options: AwsFirewallOptions,
    priority: int,
) -> RuleGroupSpec:
    # AWS: "The first domain consumes 2 capacity for HTTP or 1 for HTTPS ... Every domain after the first consumes
    # 1 capacity per protocol" (aws-security-services-best-practices, customer-managed-rules); cloudnetworks.io
    # measured 99 HTTP domains filling 100. We count targets + 1 per single-protocol group, the larger figure.
    used = len(targets) + 1
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
        name=group_name(options, key, capacity),
        description=f"sep-egress: Symantec Endpoint Protection egress allowlist (domain list, {key})",
        priority=priority,
        capacity=capacity,
        used_capacity=used,
        rules_bytes=0,
        rule_group=rule_group,
        hosts=tuple(sorted({target.lstrip(".") for target in targets})),
    )


# --- building groups: spreading by hash, sizing, naming, priorities ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Sized:
    """Anything spread over groups: its identity (for the hash), capacity and bytes."""

    identity: str
    used: int
    rules_bytes: int


def bucket(identity: str, count: int) -> int:
    if count == 1:
        return 0
    digest = hashlib.sha256(("bucket|" + identity).encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def split_count(items: Sequence[Sized], options: AwsFirewallOptions, *, what: str) -> int:
    """How many groups ``items`` need: as few as the limits allow with the headroom, spread by a hash of each
    identity (pass rules commute, so any spread is correct; a hash keeps a new host in one group)."""
    factor = (100 + options.headroom_percent) / 100
    byte_factor = (100 + min(options.headroom_percent, RULES_BYTES_MARGIN_PERCENT)) / 100
    total_used = sum(item.used for item in items)
    total_bytes = sum(item.rules_bytes for item in items)
    count = max(
        1,
        math.ceil(total_used * factor / options.max_group_capacity),
        math.ceil(total_bytes * byte_factor / options.max_rules_bytes),
    )
    while count < MAX_STATEFUL_GROUPS_PER_POLICY:
        buckets: list[list[Sized]] = [[] for _ in range(count)]
        for item in items:
            buckets[bucket(item.identity, count)].append(item)
        if all(options.fits(sum(i.used for i in b), sum(i.rules_bytes for i in b)) for b in buckets):
            return count
        count += 1
    raise AwsFirewallError(
        f"plan: {len(items)} {what} ({total_bytes} bytes) need more than {MAX_STATEFUL_GROUPS_PER_POLICY - 1} rule "
        "groups with the chosen headroom; lower headroom_percent or split the selection"
    )


def suricata_group(
    key: str,
    rules: Sequence[SuricataRule],
    sources: Mapping[Role, tuple[str, ...]],
    options: AwsFirewallOptions,
    priority: int,
    variables: Mapping[str, tuple[str, ...]] | None = None,
) -> RuleGroupSpec:
    """A rules-string group, sized by the ladder alone (``reserve`` applies the policy budget afterwards)."""
    roles = [role for role in ROLES if any(role in rule.roles for rule in rules)]
    rules_string = "\n".join(rule.text for rule in rules)
    used = rules_capacity(rules)
    capacity = options.provisioned_capacity(used)
    ip_sets = {ROLE_VARIABLES[role]: {"Definition": list(sources[role])} for role in roles}
    ip_sets.update({name: {"Definition": list(values)} for name, values in (variables or {}).items()})
    rule_group: dict[str, Any] = {
        "RuleVariables": {"IPSets": ip_sets},
        "RulesSource": {"RulesString": rules_string},
        "StatefulRuleOptions": {"RuleOrder": "STRICT_ORDER"},
    }
    return RuleGroupSpec(
        key=key,
        name=group_name(options, key, capacity),
        description=f"sep-egress: Symantec Endpoint Protection egress allowlist (suricata, {key})",
        priority=priority,
        capacity=capacity,
        used_capacity=used,
        rules_bytes=len(rules_string.encode()),
        rule_group=rule_group,
        hosts=tuple(sorted({rule.identity.split("|")[3] for rule in rules if rule.identity.startswith("allow|")})),
    )


def group_name(options: AwsFirewallOptions, key: str, capacity: int) -> str:
    """``<prefix>-<key>-<hash>``, the hash covering only what forces a replacement (capacity, type, rule order), so
    a replacement always gets a new name and can be created before the old group is deleted."""
    digest = hashlib.sha256(f"{key}|STATEFUL|STRICT_ORDER|{capacity}".encode()).hexdigest()[:8]
    name = f"{options.name_prefix}-{key}-{digest}"
    assert len(name) <= MAX_RULE_GROUP_NAME  # name_prefix is at most 64 characters
    return name


def guard_priority(options: AwsFirewallOptions) -> int:
    # The guard sits after every possible allow group (not just the ones in use), so its priority and name do not
    # move when the plan grows into one more group.
    return options.first_priority + (MAX_STATEFUL_GROUPS_PER_POLICY - 1) * options.priority_step


def check_priorities(groups: Sequence[RuleGroupSpec]) -> None:
    priorities = [group.priority for group in groups]
    if any(not 1 <= priority <= 65535 for priority in priorities) or len(set(priorities)) != len(priorities):
        raise AwsFirewallError(
            "first_priority / priority_step: rule group priorities must be unique and within 1-65535 "
            f"(got {priorities})"
        )


# --- the policy's capacity budget (applied by policy to all the groups together) ---------------------------------


#: Keys of the groups whose capacity may be narrowed to share the policy budget (the allow lists). The guard and
#: the address-range group are small and keep their ladder capacity.
_ELASTIC_PREFIXES = ("allow-", "tls-domains", "http-domains")


def reserve(groups: Sequence[RuleGroupSpec], options: AwsFirewallOptions) -> list[RuleGroupSpec]:
    """Each group's capacity: its ladder step when all of them fit the policy budget together; otherwise the allow
    groups share what the guard and the address ranges leave, in whole ``capacity_rounding`` units.

    The share depends only on the budget and on how many allow groups there are, never on how many rules each
    holds, so adding a host still changes one group in place. Groups whose ladder step is below the share keep it,
    and the rest is shared again among the others.
    """
    ladder = {group.key: group.capacity for group in groups}
    if sum(ladder.values()) <= options.max_policy_capacity:
        return list(groups)
    elastic = sorted(group.key for group in groups if group.key.startswith(_ELASTIC_PREFIXES))
    fixed = sum(capacity for key, capacity in ladder.items() if key not in elastic)
    capacities = dict(ladder)
    sharing = list(elastic)
    while sharing:
        left = options.max_policy_capacity - fixed - sum(capacities[key] for key in elastic if key not in sharing)
        rounding = options.capacity_rounding
        share = min(options.max_group_capacity, max(0, left) // len(sharing) // rounding * rounding)
        below = [key for key in sharing if ladder[key] <= share]
        if not below:
            for key in sharing:
                capacities[key] = max(share, options.min_capacity)
            break
        sharing = [key for key in sharing if key not in below]
    result = []
    for group in groups:
        capacity = capacities[group.key]
        if capacity < group.used_capacity:
            used = sum(item.used_capacity for item in groups)
            raise AwsFirewallError(
                f"plan: the rule groups need {used} capacity (guard included) but a firewall policy holds "
                f"{options.max_policy_capacity}; split the selection, or raise max_policy_capacity if your quota "
                "was increased"
            )
        if capacity != group.capacity:
            group = replace(group, capacity=capacity, name=group_name(options, group.key, capacity))
        result.append(group)
    return result


def check_policy_limits(groups: Sequence[RuleGroupSpec], options: AwsFirewallOptions) -> None:
    if len(groups) > MAX_STATEFUL_GROUPS_PER_POLICY:
        raise AwsFirewallError(
            f"plan: {len(groups)} rule groups; a policy references at most {MAX_STATEFUL_GROUPS_PER_POLICY}"
        )
    total = sum(group.capacity for group in groups)
    if total > options.max_policy_capacity:
        used = sum(group.used_capacity for group in groups)
        raise AwsFirewallError(
            f"plan: the rule groups reserve {total} capacity ({used} in use, guard included) but a firewall policy "
            f"holds {options.max_policy_capacity}; lower min_capacity or headroom_percent, or split the selection"
        )
