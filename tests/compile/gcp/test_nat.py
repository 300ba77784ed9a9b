"""Cloud NAT rules from declared destinations, and the Private Google Access pieces of the storage migration."""

from __future__ import annotations

import dataclasses

import pytest

from sep_egress.catalog import Catalog, EgressPlan, SourcedOverlay, select
from sep_egress.catalog.vendor.load import parse_overlay
from sep_egress.catalog.vendor.plan import CidrRule
from sep_egress.compile.gcp import (
    GcpSpecError,
    NatOptions,
    NatRuleNumber,
    PrivateAccessOptions,
)
from sep_egress.compile.gcp.discovery import nat_limit_errors
from sep_egress.compile.gcp.nat import NatRuleSpec, check_nat_rules, compile_nat_gateway

from support import NETWORK, nat_options


def plan_with_destinations(catalog: Catalog, *entries: tuple[str, list[str], list[int]]) -> EgressPlan:
    overlay = parse_overlay(
        {
            "entries": [
                {"id": entry_id, "role": "agent", "usage": {"en": entry_id}, "cidrs": cidrs, "ports": ports}
                for entry_id, cidrs, ports in entries
            ]
        },
        "destinations.yaml",
    )
    return select(catalog, mode="on-prem", version="14.3 RU1", overlays=[SourcedOverlay("destinations.yaml", overlay)])


def test_declared_public_destinations_get_dedicated_addresses(catalog: Catalog) -> None:
    plan = plan_with_destinations(
        catalog,
        ("corporate-proxy", ["203.0.113.10/32"], [8080, 3128]),
        ("upstream-firewall", ["198.51.100.0/28", "198.51.100.16/28"], [443]),
        ("on-prem-sepm", ["10.20.0.5/32"], [8014]),
    )
    spec = compile_nat_gateway(plan, nat_options())
    assert [rule.entry_ids for rule in spec.rules] == sorted(
        [("corporate-proxy",), ("upstream-firewall",)],
        key=lambda ids: next(r.rule_number for r in spec.rules if r.entry_ids == ids),
    )
    firewall = next(rule for rule in spec.rules if rule.entry_ids == ("upstream-firewall",))
    assert firewall.ranges == ("198.51.100.0/27",)  # adjacent ranges collapse
    assert firewall.match == "inIpRange(destination.ip, '198.51.100.0/27')"
    assert spec.skipped == ("10.20.0.5/32",)
    nat = spec.nat_to_api()
    assert nat["natIpAllocateOption"] == "MANUAL_ONLY"
    assert nat["enableEndpointIndependentMapping"] is False
    assert nat["logConfig"] == {"enable": True, "filter": "ALL"}
    assert nat_limit_errors(nat) == []
    assert len(spec.all_addresses) == 2 + 2
    assert len({address.name for address in spec.all_addresses}) == 4


def test_rule_numbers_are_stable_and_can_be_pinned(catalog: Catalog) -> None:
    one = plan_with_destinations(catalog, ("corporate-proxy", ["203.0.113.10/32"], [8080]))
    two = plan_with_destinations(
        catalog, ("corporate-proxy", ["203.0.113.10/32"], [8080]), ("partner", ["192.0.2.0/24"], [443])
    )
    first = compile_nat_gateway(one, nat_options()).rules[0].rule_number
    assert first in {rule.rule_number for rule in compile_nat_gateway(two, nat_options()).rules}
    pinned = compile_nat_gateway(two, nat_options(rule_numbers=(NatRuleNumber("partner", 100),)))
    assert 100 in {rule.rule_number for rule in pinned.rules}
    with pytest.raises(GcpSpecError, match=r"^options\.rule_numbers\.partner: 70000 is out of 0\.\.65000"):
        compile_nat_gateway(two, nat_options(rule_numbers=(NatRuleNumber("partner", 70000),)))
    with pytest.raises(GcpSpecError, match=r"^options\.rule_numbers\.partner: rule number 7 is already used"):
        compile_nat_gateway(
            two, nat_options(rule_numbers=(NatRuleNumber("corporate-proxy", 7), NatRuleNumber("partner", 7)))
        )
    with pytest.raises(GcpSpecError, match=r"^options\.rule_numbers\.nothing: "):
        compile_nat_gateway(two, nat_options(rule_numbers=(NatRuleNumber("nothing", 7),)))


def test_overlapping_destinations_are_refused(catalog: Catalog) -> None:
    plan = plan_with_destinations(
        catalog, ("proxy-a", ["203.0.113.0/24"], [8080]), ("proxy-b", ["203.0.113.128/25"], [3128])
    )
    with pytest.raises(GcpSpecError, match=r"^plan\.cidrs: 203\.0\.113\.128/25 \(proxy-b\) overlaps 203\.0\.113\.0/24"):
        compile_nat_gateway(plan, nat_options())


def test_nat_rule_checks() -> None:
    with pytest.raises(GcpSpecError, match="used twice"):
        check_nat_rules(
            [NatRuleSpec(5, ("a",), ("192.0.2.0/24",), ()), NatRuleSpec(5, ("b",), ("198.51.100.0/24",), ())]
        )
    with pytest.raises(GcpSpecError, match=r"out of 0\.\.65000"):
        check_nat_rules([NatRuleSpec(65001, ("a",), ("192.0.2.0/24",), ())])
    bad = {
        "natIpAllocateOption": "AUTO_ONLY",
        "enableEndpointIndependentMapping": True,
        "rules": [{"ruleNumber": 1, "match": "inIpRange(destination.ip, '192.0.2.0/24')", "action": {}}],
    }
    problems = nat_limit_errors(bad)
    assert any("MANUAL_ONLY" in problem for problem in problems)
    assert any("enableEndpointIndependentMapping" in problem for problem in problems)
    assert any("sourceNatActiveIps" in problem for problem in problems)


def test_nat_options_are_validated() -> None:
    with pytest.raises(GcpSpecError, match=r"^options\.subnetworks: "):
        NatOptions(region="europe-west1", network=NETWORK, subnetworks=())
    with pytest.raises(GcpSpecError, match=r"^options\.region: "):
        NatOptions(region="Europe", network=NETWORK, subnetworks=("s",))
    with pytest.raises(GcpSpecError, match=r"^options\.address_count: "):
        nat_options(address_count=0)


def test_ipv6_destinations_are_not_nat_rules(catalog: Catalog) -> None:
    plan = select(catalog, mode="on-prem", version="14.3 RU1")
    plan = dataclasses.replace(plan, cidrs=(CidrRule("2001:db8::/32", 443, "tcp", ("agent",), ("v6",)),))
    spec = compile_nat_gateway(plan, nat_options())
    assert spec.rules == () and spec.skipped == ("2001:db8::/32",)
    assert "gcp-nat-skipped-ranges" in {warning.code for warning in spec.warnings}


def rule_identities(plan: EgressPlan, **changes: object) -> dict[tuple[str, ...], tuple[int, tuple[str, ...]]]:
    """Each NAT rule's ranges -> (its number, its dedicated address names)."""
    spec = compile_nat_gateway(plan, nat_options(**changes))
    return {rule.ranges: (rule.rule_number, tuple(a.name for a in rule.addresses)) for rule in spec.rules}


def test_adding_an_unrelated_entry_keeps_rule_numbers_and_address_names(catalog: Catalog) -> None:
    proxy = ("corp-proxy", ["203.0.113.0/28"], [8080])
    firewall = ("upstream-firewall", ["198.51.100.0/28", "198.51.100.16/28"], [443])
    before = rule_identities(plan_with_destinations(catalog, proxy, firewall))
    assert set(before) == {("203.0.113.0/28",), ("198.51.100.0/27",)}
    # The review's reproduction: another entry for the same range on another port, then a new destination, then
    # entries whose ids sort before and after the others; none may move a rule or rename its addresses.
    grown = [
        [proxy, firewall, ("corp-other", ["203.0.113.0/28"], [3128])],
        [proxy, firewall, ("partner", ["192.0.2.0/24"], [443])],
        [("aaa-first", ["203.0.113.0/28"], [80]), proxy, firewall, ("zzz-last", ["198.51.100.0/28"], [22])],
        [proxy, firewall, ("on-prem-sepm", ["10.20.0.5/32"], [8014])],
    ]
    for entries in grown:
        after = rule_identities(plan_with_destinations(catalog, *entries))
        assert {ranges: after[ranges] for ranges in before} == before, entries
    # Removing an entry leaves the others as they were too.
    assert rule_identities(plan_with_destinations(catalog, proxy)) == {("203.0.113.0/28",): before[("203.0.113.0/28",)]}
    # The shared rule names every entry behind it, in place (the description, not the number, changes).
    spec = compile_nat_gateway(plan_with_destinations(catalog, *grown[0]), nat_options())
    shared = next(rule for rule in spec.rules if rule.ranges == ("203.0.113.0/28",))
    assert shared.entry_ids == ("corp-other", "corp-proxy")


def test_entries_linked_by_a_common_range_share_one_rule(catalog: Catalog) -> None:
    # corp-proxy also reaches 192.0.2.0/28; corp-other shares only 203.0.113.0/28: one rule, one address set,
    # rather than the proxy's destinations split over two rules when corp-other arrives.
    alone = rule_identities(plan_with_destinations(catalog, ("corp-proxy", ["203.0.113.0/28", "192.0.2.0/28"], [80])))
    shared = rule_identities(
        plan_with_destinations(
            catalog,
            ("corp-proxy", ["203.0.113.0/28", "192.0.2.0/28"], [80]),
            ("corp-other", ["203.0.113.0/28"], [443]),
        )
    )
    assert alone == shared and list(shared) == [("192.0.2.0/28", "203.0.113.0/28")]


def test_pins_hold_a_rule_whose_ranges_change(catalog: Catalog) -> None:
    narrow = plan_with_destinations(catalog, ("corp-proxy", ["203.0.113.0/28"], [8080]))
    wide = plan_with_destinations(catalog, ("corp-proxy", ["203.0.113.0/27"], [8080]))
    # Derived from the ranges: a wider range is another rule, with other addresses...
    assert rule_identities(narrow)[("203.0.113.0/28",)] != rule_identities(wide)[("203.0.113.0/27",)]
    # ...unless pinned: the number, and so the address names, stay.
    pin = (NatRuleNumber("corp-proxy", 4000),)
    assert rule_identities(narrow, rule_numbers=pin)[("203.0.113.0/28",)] == (4000, ("sep-egress-rule-4000-1",))
    assert rule_identities(wide, rule_numbers=pin)[("203.0.113.0/27",)] == (4000, ("sep-egress-rule-4000-1",))
    two = plan_with_destinations(
        catalog, ("corp-proxy", ["203.0.113.0/28"], [8080]), ("corp-other", ["203.0.113.0/28"], [443])
    )
    with pytest.raises(GcpSpecError, match=r"^options\.rule_numbers\.corp-other: .*share one NAT rule"):
        compile_nat_gateway(
            two, nat_options(rule_numbers=(NatRuleNumber("corp-proxy", 1), NatRuleNumber("corp-other", 2)))
        )


def test_a_derived_number_collision_is_reported(catalog: Catalog) -> None:
    plan = plan_with_destinations(
        catalog, ("corp-proxy", ["203.0.113.0/28"], [8080]), ("partner", ["192.0.2.0/24"], [443])
    )
    derived = {rule.entry_ids: rule.rule_number for rule in compile_nat_gateway(plan, nat_options()).rules}
    spec = compile_nat_gateway(plan, nat_options(rule_numbers=(NatRuleNumber("partner", derived[("corp-proxy",)]),)))
    moved = next(rule for rule in spec.rules if rule.entry_ids == ("corp-proxy",))
    assert moved.rule_number != derived[("corp-proxy",)]
    warning = next(w for w in spec.warnings if w.code == "gcp-nat-rule-number-collision")
    assert "corp-proxy" in warning.message and "rule_numbers" in warning.message
    assert "gcp-nat-rule-number-collision" not in {w.code for w in compile_nat_gateway(plan, nat_options()).warnings}


def test_the_same_addresses_split_differently_are_refused(catalog: Catalog) -> None:
    plan = plan_with_destinations(
        catalog, ("proxy-a", ["203.0.113.0/25", "203.0.113.128/25"], [8080]), ("proxy-b", ["203.0.113.0/24"], [3128])
    )
    with pytest.raises(GcpSpecError, match=r"^plan\.cidrs: .*non-overlapping"):
        compile_nat_gateway(plan, nat_options())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"address_count": True}, r"^options\.address_count: True is not an integer"),
        ({"rule_address_count": "1"}, r"^options\.rule_address_count: '1' is not an integer"),
        ({"min_ports_per_vm": 64.0}, r"^options\.min_ports_per_vm: "),
        ({"log_filter": ["ALL"]}, r"^options\.log_filter: "),
    ],
)
def test_nat_option_types_are_strict(changes: dict, message: str) -> None:
    with pytest.raises(GcpSpecError, match=message):
        nat_options(**changes)


def test_pinned_numbers_and_route_priorities_are_integers_not_booleans() -> None:
    with pytest.raises(GcpSpecError, match=r"^options\.rule_numbers\.corp-proxy: True is not an integer"):
        NatRuleNumber("corp-proxy", True)
    with pytest.raises(GcpSpecError, match=r"^options\.route_priority: False is not an integer"):
        PrivateAccessOptions(networks=(NETWORK,), route_priority=False)


def test_an_existing_router_gets_only_the_nat(catalog: Catalog) -> None:
    """router_create = false, as Cloud Foundation Fabric's net-cloudnat: the spec names the given router and has no
    Router body to create; the NAT body is what is added."""
    plan = plan_with_destinations(catalog, ("partner", ["198.51.100.0/28"], [443]))
    created = compile_nat_gateway(plan, nat_options())
    reused = compile_nat_gateway(plan, nat_options(router="landing-zone-router"))
    assert created.creates_router and created.router_name == "sep-egress-router"
    assert not reused.creates_router and reused.router_name == "landing-zone-router"
    assert reused.nat_to_api() == created.nat_to_api()
    assert "gcp-nat-existing-router" in {warning.code for warning in reused.warnings}
    with pytest.raises(GcpSpecError, match=r"^options\.router: "):
        nat_options(router="Not A Router")


def test_the_nat_translates_only_the_listed_subnet_ranges(catalog: Catalog) -> None:
    plan = plan_with_destinations(catalog, ("partner", ["198.51.100.0/28"], [443]))
    spec = compile_nat_gateway(
        plan,
        NatOptions(
            region="europe-west1",
            network=NETWORK,
            subnetworks=(
                "whole",
                {"name": "endpoints", "primary_range": True},
                {"name": "gke", "secondary_ranges": ["sep-pods"]},
            ),
        ),
    )
    body = spec.nat_to_api()
    assert body["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert body["subnetworks"] == [
        {"name": "whole", "sourceIpRangesToNat": ["ALL_IP_RANGES"]},
        {"name": "endpoints", "sourceIpRangesToNat": ["PRIMARY_IP_RANGE"]},
        {"name": "gke", "sourceIpRangesToNat": ["LIST_OF_SECONDARY_IP_RANGES"], "secondaryIpRangeNames": ["sep-pods"]},
    ]
    shared = next(warning for warning in spec.warnings if warning.code == "gcp-nat-shared-addresses")
    assert "whole, endpoints, gke" in shared.message
    # The addresses are static but shared by every VM of those ranges: nothing calls them dedicated.
    for address in spec.all_addresses:
        assert "dedicated" not in address.description and "allowlist it" not in address.description
    for rule in spec.rules:
        assert "dedicated" not in rule.to_api()["description"]
    for bad, message in (
        ({"name": "s", "all_ranges": True, "primary_range": True}, "all_ranges translates every range"),
        ({"name": "s", "all_ranges": False}, "choose the ranges"),
        ({"name": "s", "secondary_ranges": ["Bad Name"]}, "not a range name"),
        ({"name": "s", "ranges": []}, "unknown field"),
    ):
        with pytest.raises(GcpSpecError, match=message):
            NatOptions(region="europe-west1", network=NETWORK, subnetworks=(bad,))
