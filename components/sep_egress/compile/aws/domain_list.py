"""AWS Network Firewall compiler: the ``domain-list`` style (Network Firewall's own ``RulesSourceList``).

Under ``STRICT_ORDER`` a domain list ``ALLOWLIST`` only passes: "strict order domain list rule groups do not
automatically create the drop rules behind the scenes, so you configure the drop established default action on
the firewall policy yourself" (aws/aws-security-services-best-practices, docs/en/guides/network-firewall/
customer-managed-rules, "Domain list rule groups"). What Network Firewall generates per target, as its developer
guide shows ("Stateful domain list rule groups", stateful-rule-groups-domain-names.html), is a pass rule such as
``pass tls $HOME_NET any -> $EXTERNAL_NET any (tls.sni; content:"<name>"; startswith; nocase; endswith;
flow:to_server, established; ...)`` (``dotprefix`` and ``endswith`` for a leading dot; ``http.host`` for
``HTTP_HOST``). The refusals therefore come from our Suricata guard group (the same one as the suricata style,
with the plan's ports for every declared source), never from the lists: so the lists can be split over several
groups like any pass rules, and the design no longer depends on a drop the platform does not generate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ...catalog.models import ROLES, Role
from ...catalog.plan import AllowRule, CidrRule
from .groups import Sized, bucket, check_priorities, group_name, guard_priority, split_count, suricata_group
from .options import AwsFirewallError, AwsFirewallOptions
from .rules import assign_sids, cidr_rule_drafts, finish, guard_drafts, host_label
from .spec import RuleGroupSpec

TargetType = Literal["TLS_SNI", "HTTP_HOST"]


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


def _split_targets(prefix: str, targets: Sequence[str], options: AwsFirewallOptions) -> list[tuple[str, list[str]]]:
    """Spread targets by a hash of each name: ``tls-domains`` then ``tls-domains-2``, ... only when one group
    cannot hold them with the headroom (a list that fits keeps its single group's key and name)."""
    count = split_count([Sized(target, 1, 0) for target in targets], options, what=f"{prefix} targets")
    buckets: list[list[str]] = [[] for _ in range(count)]
    for target in targets:
        buckets[bucket(target, count)].append(target)
    return [(prefix if index == 0 else f"{prefix}-{index + 1}", items) for index, items in enumerate(buckets) if items]


def domain_list_groups(
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
            drafts.extend(cidr_rule_drafts(cidr_rule, roles, options))
        lines = finish(drafts, assign_sids([identity for identity, _, _ in drafts]), sources)
        if not options.fits(len(lines), sum(len(line.text) + 1 for line in lines)):
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
    guard = guard_drafts(ports_by_role, options, range_roles)
    guard_rules = finish(guard, assign_sids([identity for identity, _, _ in guard]), sources)
    groups.append(suricata_group("guard", guard_rules, sources, options, guard_priority(options)))
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
