"""Measure the AWS Network Firewall compiler and component: groups and capacity against the minimum the limits
allow, compile time, and what the engine would change when one host is added.

Runs on the hybrid plan (mode hybrid + console) and on the same plan with a 5,000-host overlay, in both styles, and
on a plan of 22,069 host rules (suricata), which must fit one policy's 30,000 capacity, guard included.
"What changes" runs the component twice under Pulumi's mock engine and diffs the registrations (same type and
name with other inputs: update, or replacement when a replace-forcing input such as capacity changed). Prints
measured figures only; nothing is deployed.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import Counter
from typing import Any

import pulumi

from sep_egress.aws import NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs
from sep_egress.catalog import ROLES, EgressPlan, SourcedOverlay, load_catalog, parse_overlay, select
from sep_egress.compile.aws import (
    MAX_RULES_STRING_BYTES,
    MAX_STATEFUL_GROUP_CAPACITY,
    AwsFirewallOptions,
    compile_network_firewall,
)
from sep_egress.mock_engine import run_program
from sep_egress.preview import classify_changes

OVERLAY_HOSTS = 5000
LARGE_PLAN_RULES = 22_069
SINGLE_ADDITIONS = 40
LARGE_ADDITIONS = 10  # each addition compiles and registers 22,069 rules twice
SOURCES = {role: [f"10.{index + 1}.0.0/16"] for index, role in enumerate(ROLES)}


def plan_with(hosts: int, extra: tuple[str, ...] = ()) -> EgressPlan:
    """The hybrid plan, plus ``hosts`` synthetic hosts spread over the roles (the remainder to the first), plus
    ``extra`` hosts for agents."""
    per_role = hosts // len(ROLES)
    counts = {role: per_role + (hosts % len(ROLES) if index == 0 else 0) for index, role in enumerate(ROLES)}
    entries: list[dict[str, Any]] = [
        {
            "id": f"bulk-{role}",
            "role": role,
            "usage": {"en": "bench"},
            "urls": [f"https://svc{index:05d}.{role}.bench.example" for index in range(counts[role])],
        }
        for role in ROLES
        if counts[role]
    ]
    if extra:
        entries.append({"id": "added", "role": "agent", "usage": {"en": "bench"}, "urls": list(extra)})
    overlays = [SourcedOverlay("bench.yaml", parse_overlay({"entries": entries}, "bench.yaml"))] if entries else []
    return select(load_catalog(), mode="hybrid", roles=["console"], version="14.3 RU1", overlays=overlays)


def registrations(plan: EgressPlan, style: str) -> list[tuple[str, str, dict[str, Any]]]:
    sources = {role: SOURCES[role] for role in plan.roles}
    args = NetworkFirewallAllowlistArgs(plan=plan, source_cidrs=sources, style=style)
    run = run_program(lambda: pulumi.export("arns", NetworkFirewallAllowlist("sep", args).rule_group_arns))
    return [(resource.type, resource.name, resource.inputs) for resource in run.resources]


def until_replacement(used: int, capacity: int, options: AwsFirewallOptions) -> int:
    """How many rules a group can gain while its provisioned capacity (hence its identity) stays the same: up to the
    next ladder step, or, when the groups share the policy budget, up to the group's share."""
    if options.provisioned_capacity(used) != capacity:
        return capacity - used
    added = 0
    while options.provisioned_capacity(used + added + 1) == capacity:
        added += 1
    return added


MARGIN_CAP = 20000


def measured_margin(hosts: int, sources: dict[str, list[str]], options: AwsFirewallOptions, spec: Any) -> int | None:
    """The most hosts that can be added while every rule group keeps its name (so none is replaced), found by
    compiling: doubling, then bisection. ``None`` when no rename happens within ``MARGIN_CAP`` hosts."""
    names = {group.name for group in spec.groups}

    def renames(extra: int) -> bool:
        grown = compile_network_firewall(plan_with(hosts + extra), sources, options)
        return {group.name for group in grown.groups} != names

    low, high = 0, 1
    while not renames(high):
        low, high = high, high * 2
        if high > MARGIN_CAP:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if renames(middle) else (middle, high)
    return low


def measure(label: str, hosts: int, style: str, additions: int = SINGLE_ADDITIONS) -> None:
    plan = plan_with(hosts)
    sources = {role: SOURCES[role] for role in plan.roles}
    options = AwsFirewallOptions(style=style)  # type: ignore[arg-type]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        spec = compile_network_firewall(plan, sources, options)
        timings.append(time.perf_counter() - started)
    allow_used = sum(group.used_capacity for group in spec.groups if group.key != "guard")
    allow_bytes = sum(group.rules_bytes for group in spec.groups if group.key != "guard")
    guard = 1  # both styles end with a guard group
    minimum_groups = guard + max(
        1, math.ceil(allow_used / MAX_STATEFUL_GROUP_CAPACITY), math.ceil(allow_bytes / MAX_RULES_STRING_BYTES)
    )
    print(f"\n== {label}, style {style}: {len(plan.allow)} host rules, {len(plan.cidrs)} range rules")
    print(f"compile time: median {statistics.median(timings) * 1000:.1f} ms over {len(timings)} runs")
    print(f"rule groups: {len(spec.groups)} (minimum the limits allow: {minimum_groups})")
    for group in spec.groups:
        print(
            f"  {group.key:<12} priority {group.priority:>5}  capacity {group.capacity:>6}"
            f"  used {group.used_capacity:>6}  rules string {group.rules_bytes:>9} bytes"
            f"  (+{until_replacement(group.used_capacity, group.capacity, options)} rules before a replacement)"
        )
    ladder = sum(options.provisioned_capacity(group.used_capacity) for group in spec.groups)
    how = (
        f"headroom {options.headroom_percent}% rounded up the capacity ladder, in units of {options.capacity_rounding}"
        if ladder == spec.capacity
        else f"the ladder would reserve {ladder}: the allow groups share what the guard leaves of the policy"
    )
    print(
        f"capacity reserved {spec.capacity} of the policy's {options.max_policy_capacity} for {spec.used_capacity} "
        f"used, guard included (slack {spec.capacity - spec.used_capacity}: {how})"
    )

    margin = measured_margin(hosts, sources, options, spec)
    print(
        "measured: "
        + (f"{margin} hosts can be added before a group is renamed (replaced)" if margin is not None else "")
        + (f"no rename within {MARGIN_CAP} added hosts" if margin is None else "")
        + " (compiled, not the ladder: the rules-string bytes and the split can force a rename first)"
    )

    before = registrations(plan, style)
    changes = classify_changes(before, registrations(plan_with(hosts, ("https://one-more.bench.example",)), style))
    print(
        "one host added: "
        + ", ".join(f"{len(names)} {kind}" for kind, names in changes.items())
        + (f" ({', '.join(changes['update'] + changes['replace'])})" if changes["update"] or changes["replace"] else "")
    )
    tally: Counter[str] = Counter()
    for index in range(additions):
        after = registrations(plan_with(hosts, (f"https://added{index:03d}.bench.example",)), style)
        outcome = classify_changes(before, after)
        tally[f"{len(outcome['update'])} updated / {len(outcome['replace'])} replaced"] += 1
    print(f"over {additions} different single-host additions: {dict(sorted(tally.items()))}")


def main() -> None:
    for style in ("suricata", "domain-list"):
        measure("hybrid plan", 0, style)
        measure(f"hybrid plan + {OVERLAY_HOSTS}-host overlay", OVERLAY_HOSTS, style)
    base = len(plan_with(0).allow)
    measure(f"{LARGE_PLAN_RULES:,} host rules", LARGE_PLAN_RULES - base, "suricata", LARGE_ADDITIONS)


if __name__ == "__main__":
    main()
