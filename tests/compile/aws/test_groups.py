"""Spreading the rules over rule groups: capacity with headroom, splits by size and by name, group names, and the two
styles (Suricata rules, domain lists)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from sep_egress.catalog import Catalog, EgressPlan, select
from sep_egress.compile.aws import (
    MAX_RULES_STRING_BYTES,
    MAX_STATEFUL_GROUP_CAPACITY,
    AwsFirewallError,
    AwsFirewallOptions,
    compile_network_firewall,
)

from support import sources_for, with_overlay


def host_entry(
    entry_id: str, urls: list[str], role: str = "agent", ports: list[int] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"id": entry_id, "role": role, "usage": {"en": "test entry"}, "urls": urls, "ports": ports or [443], **extra}


def test_adding_one_host_changes_one_line_of_one_group(catalog: Catalog) -> None:
    before = with_overlay(catalog, [host_entry("extra-a", ["https://a.example.com"])])
    after = with_overlay(
        catalog, [host_entry("extra-a", ["https://a.example.com"]), host_entry("extra-b", ["https://b.example.com"])]
    )
    old = compile_network_firewall(before, sources_for(before))
    new = compile_network_firewall(after, sources_for(after))
    assert [group.key for group in old.groups] == [group.key for group in new.groups]
    changed = [group.key for group in new.groups if group.create_request() != old.group(group.key).create_request()]
    assert changed == ["allow-1"]
    assert new.group("allow-1").name == old.group("allow-1").name  # same capacity: an in-place update
    old_lines = set(old.group("allow-1").rules_string.splitlines())
    new_lines = set(new.group("allow-1").rules_string.splitlines())
    assert len(new_lines - old_lines) == 1 and not old_lines - new_lines
    assert "b.example.com" in (new_lines - old_lines).pop()


@pytest.mark.parametrize(
    ("used", "headroom", "rounding", "expected"),
    [(0, 25, 100, 100), (34, 25, 100, 100), (80, 25, 100, 100), (81, 25, 100, 200), (5023, 25, 100, 6400),
     (5023, 0, 1, 5793), (29_000, 25, 100, MAX_STATEFUL_GROUP_CAPACITY)],
)  # fmt: skip
def test_provisioned_capacity_adds_headroom_and_rounds(used: int, headroom: int, rounding: int, expected: int) -> None:
    options = AwsFirewallOptions(
        headroom_percent=headroom, capacity_rounding=rounding, min_capacity=1 if not headroom else 100
    )
    assert options.provisioned_capacity(used) == expected


def test_capacity_ladder_keeps_headroom_and_changes_rarely() -> None:
    options = AwsFirewallOptions()
    capacities = [options.provisioned_capacity(used) for used in range(1, 24_001)]
    for used, capacity in enumerate(capacities, start=1):
        assert capacity >= used * 1.25
        assert capacity % 100 == 0
    # Fixed steps of 100 would change the capacity (a replacement) every 80 rules: 300 times up to 24,000.
    changes = sum(1 for before, after in itertools.pairwise(capacities) if before != after)
    assert changes <= 16


def bulk_entries(hosts: int) -> list[dict[str, Any]]:
    """Overlay entries of 100 synthetic hosts each."""
    return [
        host_entry(f"bulk-{block}", [f"https://h{index}.bulk{block}.example.net" for index in range(block * 100, end)])
        for block in range((hosts + 99) // 100)
        if (end := min(block * 100 + 100, hosts)) > block * 100
    ]


def big_plan(catalog: Catalog, hosts: int) -> EgressPlan:
    return with_overlay(catalog, bulk_entries(hosts))


def test_a_large_plan_splits_deterministically_and_a_new_host_touches_one_group(catalog: Catalog) -> None:
    options = AwsFirewallOptions(max_group_capacity=1_000)
    plan = big_plan(catalog, 2_000)
    spec = compile_network_firewall(plan, sources_for(plan), options)
    allow_groups = [group for group in spec.groups if group.key.startswith("allow-")]
    assert len(allow_groups) >= 3
    for group in allow_groups:
        assert group.used_capacity <= group.capacity <= 1_000
    hosts = {host for group in allow_groups for host in group.hosts}
    assert hosts == {rule.host for rule in plan.allow}
    again = compile_network_firewall(plan, sources_for(plan), options)
    assert [group.create_request() for group in again.groups] == [group.create_request() for group in spec.groups]

    grown = with_overlay(catalog, [*bulk_entries(2_000), host_entry("one-more", ["https://one-more.example.org"])])
    bigger = compile_network_firewall(grown, sources_for(grown), options)
    changed = [group.key for group in bigger.groups if group.create_request() != spec.group(group.key).create_request()]
    assert len(changed) == 1 and changed[0].startswith("allow-")


def test_rules_bytes_limit_forces_a_split(catalog: Catalog) -> None:
    plan = big_plan(catalog, 300)
    spec = compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(max_rules_bytes=20_000))
    groups = [group for group in spec.groups if group.key.startswith("allow-")]
    assert len(groups) > 1
    assert all(group.rules_bytes * 1.10 <= 20_000 for group in groups)  # the rules string keeps a 10% margin


def test_domain_list_style_uses_exact_names_and_a_dot_only_for_declared_suffixes(catalog: Catalog) -> None:
    plan = with_overlay(
        catalog,
        [
            host_entry("suffix", ["*.updates.example.com"], domain_suffix=True),
            host_entry("clear", ["http://plain.example.com"], ports=[80]),
        ],
    )
    spec = compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(style="domain-list"))
    tls = spec.group("tls-domains").rule_group["RulesSource"]["RulesSourceList"]
    http = spec.group("http-domains").rule_group["RulesSource"]["RulesSourceList"]
    assert tls["TargetTypes"] == ["TLS_SNI"] and http["TargetTypes"] == ["HTTP_HOST"]
    assert http["Targets"] == ["plain.example.com"]
    assert ".updates.example.com" in tls["Targets"]
    assert [target for target in tls["Targets"] if target.startswith(".")] == [".updates.example.com"]
    assert spec.group("tls-domains").used_capacity == len(tls["Targets"]) + 1
    assert any("neither ports nor per-role sources" in note for note in spec.notes)


def test_domain_list_has_no_http_group_without_port_80(hybrid_plan: EgressPlan) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan), AwsFirewallOptions(style="domain-list"))
    assert [group.key for group in spec.groups] == ["tls-domains", "guard"]


def test_a_domain_list_too_large_for_one_group_is_split_by_name(catalog: Catalog) -> None:
    """Strict-order domain lists only pass (no generated drop), so a long list splits like any pass rules."""
    plan = big_plan(catalog, 900)
    options = AwsFirewallOptions(style="domain-list", max_group_capacity=1_000)
    spec = compile_network_firewall(plan, sources_for(plan), options)
    keys = [group.key for group in spec.groups if group.key.startswith("tls-domains")]
    assert keys[0] == "tls-domains" and len(keys) >= 2 and keys[1] == "tls-domains-2"
    targets = [
        t
        for g in spec.groups
        if g.kind == "domain-list"
        for t in g.rule_group["RulesSource"]["RulesSourceList"]["Targets"]
    ]
    assert len(targets) == len(set(targets)) == len({rule.host for rule in plan.allow if rule.protocol == "tls"})
    assert all(group.capacity <= 1_000 for group in spec.groups)
    grown = compile_network_firewall(big_plan(catalog, 901), sources_for(plan), options)
    changed = [g.key for g in grown.groups if g.create_request() != spec.group(g.key).create_request()]
    assert len(changed) == 1  # the new name lands in one list


def test_the_policy_capacity_limit_is_checked(catalog: Catalog) -> None:
    plan = big_plan(catalog, 600)
    with pytest.raises(AwsFirewallError, match="a firewall policy holds 600"):
        compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(max_policy_capacity=600))


def test_capacity_is_reserved_against_the_policy_total_guard_included(catalog: Catalog) -> None:
    """22,069 rules fit one policy (30,000): per-group headroom and ladder rounding used to reserve more than the
    policy holds and refuse it. A host added is still one in-place update."""
    plan = with_overlay(
        catalog, bulk_entries(22_069 - len(select(catalog, mode="hybrid", version="14.3 RU1", roles=["console"]).allow))
    )
    sources = sources_for(plan)
    spec = compile_network_firewall(plan, sources)
    assert sum(group.used_capacity for group in spec.groups if group.key != "guard") == 22_069
    ladder = sum(AwsFirewallOptions().provisioned_capacity(group.used_capacity) for group in spec.groups)
    assert ladder > 30_000  # what group-by-group reservation would have asked for
    allow_bytes = sum(group.rules_bytes for group in spec.groups if group.key != "guard")
    minimum = 1 + max(
        1, math.ceil(22_069 / MAX_STATEFUL_GROUP_CAPACITY), math.ceil(allow_bytes / MAX_RULES_STRING_BYTES)
    )
    assert spec.capacity <= 30_000 and len(spec.groups) == minimum
    assert all(group.used_capacity <= group.capacity for group in spec.groups)
    grown = compile_network_firewall(
        with_overlay(catalog, [*bulk_entries(22_069 - 60), host_entry("one-more", ["https://one-more.example.net"])]),
        sources,
    )
    assert [group.name for group in grown.groups] == [group.name for group in spec.groups]  # no replacement
