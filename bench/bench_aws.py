"""Measure the AWS Network Firewall compiler and component: groups and capacity against the minimum the limits
allow, compile time, and what the engine would change when one host is added.

Runs on the hybrid plan (mode hybrid + console) and on the same plan with a 5,000-host overlay, in both styles.
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
SINGLE_ADDITIONS = 40
SOURCES = {role: [f"10.{index + 1}.0.0/16"] for index, role in enumerate(ROLES)}


def plan_with(hosts: int, extra: tuple[str, ...] = ()) -> EgressPlan:
    """The hybrid plan, plus ``hosts`` synthetic hosts spread over the roles, plus ``extra`` hosts for agents."""
    per_role = hosts // len(ROLES)
    entries: list[dict[str, Any]] = [
        {
            "id": f"bulk-{role}",
            "role": role,
            "usage": {"en": "bench"},
            "urls": [f"https://svc{index:05d}.{role}.bench.example" for index in range(per_role)],
        }
        for role in ROLES
        if per_role
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
    """How many rules a group can gain while its provisioned capacity (hence its identity) stays the same."""
    added = 0
    while options.provisioned_capacity(used + added + 1) == capacity:
        added += 1
    return added


def measure(label: str, hosts: int, style: str) -> None:
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
    print(
        f"capacity reserved {spec.capacity} for {spec.used_capacity} used "
        f"(minimum possible {spec.used_capacity}; slack {spec.capacity - spec.used_capacity} "
        f"= headroom {options.headroom_percent}% rounded up the capacity ladder, "
        f"in units of {options.capacity_rounding})"
    )

    before = registrations(plan, style)
    changes = classify_changes(before, registrations(plan_with(hosts, ("https://one-more.bench.example",)), style))
    print(
        "one host added: "
        + ", ".join(f"{len(names)} {kind}" for kind, names in changes.items())
        + (f" ({', '.join(changes['update'] + changes['replace'])})" if changes["update"] or changes["replace"] else "")
    )
    tally: Counter[str] = Counter()
    for index in range(SINGLE_ADDITIONS):
        after = registrations(plan_with(hosts, (f"https://added{index:03d}.bench.example",)), style)
        outcome = classify_changes(before, after)
        tally[f"{len(outcome['update'])} updated / {len(outcome['replace'])} replaced"] += 1
    print(f"over {SINGLE_ADDITIONS} different single-host additions: {dict(sorted(tally.items()))}")


def main() -> None:
    for style in ("suricata", "domain-list"):
        measure("hybrid plan", 0, style)
        measure(f"hybrid plan + {OVERLAY_HOSTS}-host overlay", OVERLAY_HOSTS, style)


if __name__ == "__main__":
    main()
