"""AWS Network Firewall compiler: spreading rules over groups, reserving capacity, and naming groups.

A rule group's capacity is fixed at creation (changing it replaces the group), so each group reserves headroom on
a ladder of steps; the reservation is made against the *policy's* total (30,000 by default, the guard included),
not group by group, so a plan whose rules fit one policy is never refused because per-group rounding overshot.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ...catalog.models import ROLES, Role
from .options import (
    MAX_RULE_GROUP_NAME,
    MAX_STATEFUL_GROUPS_PER_POLICY,
    ROLE_VARIABLES,
    RULES_BYTES_MARGIN_PERCENT,
    AwsFirewallError,
    AwsFirewallOptions,
)
from .spec import RuleGroupSpec, SuricataRule

#: Keys of the groups whose capacity may be narrowed to share the policy budget (the allow lists). The guard and
#: the address-range group are small and keep their ladder capacity.
_ELASTIC_PREFIXES = ("allow-", "tls-domains", "http-domains")


def group_name(options: AwsFirewallOptions, key: str, capacity: int) -> str:
    """``<prefix>-<key>-<hash>``, the hash covering only what forces a replacement (capacity, type, rule order), so
    a replacement always gets a new name and can be created before the old group is deleted."""
    digest = hashlib.sha256(f"{key}|STATEFUL|STRICT_ORDER|{capacity}".encode()).hexdigest()[:8]
    name = f"{options.name_prefix}-{key}-{digest}"
    assert len(name) <= MAX_RULE_GROUP_NAME  # name_prefix is at most 64 characters
    return name


def suricata_group(
    key: str,
    rules: Sequence[SuricataRule],
    sources: Mapping[Role, tuple[str, ...]],
    options: AwsFirewallOptions,
    priority: int,
) -> RuleGroupSpec:
    """A rules-string group, sized by the ladder alone (``reserve`` applies the policy budget afterwards)."""
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
        name=group_name(options, key, capacity),
        description=f"sep-egress: Symantec Endpoint Protection egress allowlist (suricata, {key})",
        priority=priority,
        capacity=capacity,
        used_capacity=used,
        rules_bytes=len(rules_string.encode()),
        rule_group=rule_group,
        hosts=tuple(sorted({rule.identity.split("|")[3] for rule in rules if rule.identity.startswith("allow|")})),
    )


def bucket(identity: str, count: int) -> int:
    if count == 1:
        return 0
    digest = hashlib.sha256(("bucket|" + identity).encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True, slots=True)
class Sized:
    """Anything spread over groups: its identity (for the hash), capacity and bytes."""

    identity: str
    used: int
    rules_bytes: int


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


def check_priorities(groups: Sequence[RuleGroupSpec]) -> None:
    priorities = [group.priority for group in groups]
    if any(not 1 <= priority <= 65535 for priority in priorities) or len(set(priorities)) != len(priorities):
        raise AwsFirewallError(
            "first_priority / priority_step: rule group priorities must be unique and within 1-65535 "
            f"(got {priorities})"
        )


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


def guard_priority(options: AwsFirewallOptions) -> int:
    # The guard sits after every possible allow group (not just the ones in use), so its priority and name do not
    # move when the plan grows into one more group.
    return options.first_priority + (MAX_STATEFUL_GROUPS_PER_POLICY - 1) * options.priority_step
