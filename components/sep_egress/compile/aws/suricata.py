"""AWS Network Firewall compiler: the ``suricata`` style (one pass rule per plan rule, spread over ``allow-N``
groups, then the guard)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...catalog.models import Role
from ...catalog.plan import AllowRule, CidrRule
from .groups import Sized, bucket, check_priorities, guard_priority, split_count, suricata_group
from .options import AwsFirewallOptions
from .rules import allow_rule_draft, assign_sids, cidr_rule_drafts, finish, guard_drafts, tcp_ports_by_role
from .spec import RuleGroupSpec, SuricataRule


def suricata_groups(
    allow: Sequence[AllowRule],
    cidrs: Sequence[CidrRule],
    sources: Mapping[Role, tuple[str, ...]],
    options: AwsFirewallOptions,
) -> tuple[list[RuleGroupSpec], tuple[str, ...]]:
    """The pass rules hashed over as few ``allow-N`` groups as the limits allow (pass rules commute: the refusals
    are all in the guard, so any spread is correct, and a hash keeps a new host in one group), then the guard."""
    drafts = []
    for rule in allow:
        drafts.append(allow_rule_draft(rule, tuple(role for role in rule.roles if role in sources), options))
    for cidr_rule in cidrs:
        drafts.extend(cidr_rule_drafts(cidr_rule, tuple(role for role in cidr_rule.roles if role in sources), options))
    range_roles = {role for rule in cidrs for role in rule.roles if role in sources}
    guard = guard_drafts(tcp_ports_by_role(allow, sources), options, range_roles)
    sids = assign_sids([identity for identity, _, _ in drafts + guard])
    passes = finish(drafts, sids, sources)
    guards = finish(guard, sids, sources)
    count = split_count([Sized(line.identity, 1, len(line.text) + 1) for line in passes], options, what="rules")
    buckets: list[list[SuricataRule]] = [[] for _ in range(count)]
    for line in passes:
        buckets[bucket(line.identity, count)].append(line)
    groups: list[RuleGroupSpec] = []
    for index, rules in enumerate(buckets):
        if rules:
            priority = options.first_priority + index * options.priority_step
            groups.append(suricata_group(f"allow-{index + 1}", rules, sources, options, priority))
    groups.append(suricata_group("guard", guards, sources, options, guard_priority(options)))
    check_priorities(groups)
    return groups, ()
