"""Measure the GCP compiler: rules against the minimum, compile time, and what one added host changes.

Runs on the hybrid plan (mode hybrid + console) and on the same plan with a 5,000-host overlay, each in a created
policy and in the reserved band of an existing policy, then measures how Cloud NAT rules (numbers and address
names) hold when overlay entries with ranges are added. Prints measured figures only; nothing is deployed.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
import statistics
import time
from collections import defaultdict

from sep_egress.catalog import EgressPlan, SourcedOverlay, load_catalog, select
from sep_egress.catalog.vendor.load import parse_overlay
from sep_egress.catalog.vendor.plan import AllowRule
from sep_egress.compile.gcp import MACHINE_KINDS, FirewallOptions, NatOptions, compile_gcp, diff_rules, parse_targets
from sep_egress.compile.gcp.firewall import FirewallPolicySpec
from sep_egress.compile.gcp.nat import compile_nat_gateway

NETWORK = "projects/p/global/networks/vpc"
LAYOUTS = {
    "created policy": FirewallOptions(networks=(NETWORK,)),
    "existing policy, band from 1,000,000,000": FirewallOptions(existing_policy="landing-zone"),
}
OVERLAY_HOSTS = 5000
ADDED_HOSTS = 200
NAT_ENTRIES = 40
ADDED_ENTRIES = 200


def plans() -> dict[str, EgressPlan]:
    catalog = load_catalog()
    hybrid = select(catalog, mode="hybrid", roles=["console"], version="14.3 RU1")
    overlay = parse_overlay(
        {
            "entries": [
                {
                    "id": f"bulk-{role}",
                    "role": role,
                    "usage": {"en": "bench"},
                    "urls": [f"https://svc{index:05d}.{role}.bench.example" for index in range(OVERLAY_HOSTS // 5)],
                }
                for role in ("agent", "agent-cloud", "sepm", "sepm-cloud", "console")
            ]
        },
        "bench.yaml",
    )
    big = select(
        catalog, mode="hybrid", roles=["console"], version="14.3 RU1", overlays=[SourcedOverlay("bench.yaml", overlay)]
    )
    return {"hybrid": hybrid, f"hybrid + {OVERLAY_HOSTS}-host overlay": big}


def targets(plan: EgressPlan) -> dict:
    """One tag value per machine kind (clients, managers, administrators' workstations)."""
    return parse_targets({kind: {"secure_tags": [f"tagValues/{i + 1}"]} for i, kind in enumerate(MACHINE_KINDS)})


def minimum_rules(spec: FirewallPolicySpec) -> int:
    names: dict[tuple, set[str]] = defaultdict(set)
    for rule in spec.rules:
        if rule.kind == "fqdn":
            names[(rule.target, rule.layer4)].update(rule.dest_fqdns)
    return sum(math.ceil(len(group) / 100) for group in names.values())


def compile_policy(plan: EgressPlan, options: FirewallOptions) -> FirewallPolicySpec:
    return compile_gcp(plan, targets(plan), options).firewall


def main() -> None:
    for (label, plan), (layout, options) in itertools.product(plans().items(), LAYOUTS.items()):
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            spec = compile_policy(plan, options)
            timings.append(time.perf_counter() - start)
        fqdn = [rule for rule in spec.rules if rule.kind == "fqdn"]
        names = sum(len(rule.dest_fqdns) for rule in fqdn)
        minimum = minimum_rules(spec)
        largest = max(len(rule.dest_fqdns) for rule in fqdn)
        print(f"== {label}, {layout}: {len(plan.allow)} plan rules, {len(plan.hosts)} host names")
        low, high = min(rule.priority for rule in spec.rules), max(rule.priority for rule in spec.rules)
        print(f"   priorities {low:,}..{high:,}" + (f" (band {spec.band[0]:,}..{spec.band[1]:,})" if spec.band else ""))
        print(
            f"   FQDN rules: {len(fqdn)} (minimum ceil(names/100) per target group and port set: {minimum}, "
            f"ratio {len(fqdn) / minimum:.2f}); {names} FQDN entries; largest rule {largest}"
        )
        print(f"   all rules: {len(spec.rules)} (incl. {sum(r.kind == 'deny' for r in spec.rules)} default-deny)")
        print(f"   compile time: median {statistics.median(timings) * 1000:.1f} ms over {len(timings)} runs")
        created = updated = deleted = 0
        histogram: dict[int, int] = defaultdict(int)
        for index in range(ADDED_HOSTS):
            extra = AllowRule(f"added{index:04d}.example.org", 443, "tls", "exact", ("agent",), ("bench-added",))
            grown = dataclasses.replace(plan, allow=tuple(sorted((*plan.allow, extra), key=lambda rule: rule.key)))
            change = diff_rules(spec, compile_policy(grown, options))
            created += len(change.created)
            updated += len(change.updated)
            deleted += len(change.deleted)
            histogram[change.touched] += 1
        touched = dict(sorted(histogram.items()))
        print(
            f"   adding one host (x{ADDED_HOSTS} trials): rules touched -> trials {touched}; "
            f"total updated {updated}, created {created}, deleted/replaced {deleted}"
        )
        first = fqdn[0].dest_fqdns[0]
        shrunk = dataclasses.replace(plan, allow=tuple(rule for rule in plan.allow if rule.host != first))
        change = diff_rules(spec, compile_policy(shrunk, options))
        print(
            f"   removing {first}: updated {len(change.updated)}, created {len(change.created)}, "
            f"deleted {len(change.deleted)}"
        )
    nat_stability()


def nat_plan(entries: list[tuple[str, str, int]]) -> EgressPlan:
    overlay = parse_overlay(
        {
            "entries": [
                {"id": entry_id, "role": "agent", "usage": {"en": "bench"}, "cidrs": [cidr], "ports": [port]}
                for entry_id, cidr, port in entries
            ]
        },
        "nat-bench.yaml",
    )
    return select(load_catalog(), mode="on-prem", version="14.3 RU1", overlays=[SourcedOverlay("nat.yaml", overlay)])


def nat_stability() -> None:
    """Add one entry at a time (half for a range already declared, half for a new one): count the existing rules
    whose number or address names changed."""
    rng = random.Random(7)
    ranges = [f"198.18.{index}.0/28" for index in range(NAT_ENTRIES)]
    base = [(f"dest-{index:03d}", cidr, 443) for index, cidr in enumerate(ranges)]
    options = NatOptions(region="europe-west1", network="vpc", subnetworks=("workloads",))

    def identities(entries: list[tuple[str, str, int]]) -> dict[tuple[str, ...], tuple[int, tuple[str, ...]]]:
        spec = compile_nat_gateway(nat_plan(entries), options)
        return {rule.ranges: (rule.rule_number, tuple(a.name for a in rule.addresses)) for rule in spec.rules}

    before = identities(base)
    moved = 0
    for trial in range(ADDED_ENTRIES):
        cidr = rng.choice(ranges) if trial % 2 else f"198.19.{trial}.0/28"
        after = identities([*base, (f"added-{trial:03d}", cidr, 8080)])
        moved += sum(after.get(key) != value for key, value in before.items())
    print(f"== Cloud NAT: {NAT_ENTRIES} entries with public ranges, {len(before)} rules")
    print(
        f"   adding one entry (x{ADDED_ENTRIES} trials, half for a declared range): existing rules renumbered or "
        f"with renamed addresses: {moved}"
    )


def band_port_keys() -> None:
    """How often a band refuses a change for a port-key collision (asking for a pin), with policies of random single
    ports (1..65535) growing one port set at a time, the user adding the pin each refusal names for the new set; and
    how many existing port keys any change moved (must be 0)."""
    import re

    from sep_egress.compile.gcp import GcpSpecError
    from sep_egress.compile.gcp.firewall import band_port_keys as keys_of

    pin = re.compile(r'options\.port_keys: \{"([0-9,]+)": ([0-9]+)\}')
    rng = random.Random(11)
    print("== Reserved band: 10-bit port keys, port sets added one at a time (2,000 policies each)")
    for size in (5, 10, 20, 40):
        refused = 0
        moved = 0
        for _ in range(2000):
            ports = [(port,) for port in rng.sample(range(1, 65536), size)]
            before: dict[tuple[int, ...], int] = {}
            pins: dict[tuple[int, ...], int] = {}
            for count in range(1, size + 1):
                new = ports[count - 1]
                try:
                    after = keys_of(ports[:count], 10, pins)
                except GcpSpecError as error:
                    refused += 1
                    suggested = {text: int(key) for text, key in pin.findall(str(error))}
                    pins[new] = suggested[str(new[0])]
                    after = keys_of(ports[:count], 10, pins)
                moved += sum(after[item] != value for item, value in before.items())
                before = after
        print(
            f"   {size} port sets: {refused / 2000:.3f} refusals (pins to add) per policy on average; existing keys "
            f"moved by a change: {moved}"
        )


if __name__ == "__main__":
    main()
    band_port_keys()
