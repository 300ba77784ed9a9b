"""Cloud NAT rules from declared destinations, and the Private Google Access pieces of the storage migration."""

from __future__ import annotations

import dataclasses

import pytest

from components.catalog import Catalog, EgressPlan, SourcedOverlay, select
from components.catalog.load import parse_overlay
from components.catalog.plan import CidrRule
from components.compile.gcp import (
    FirewallOptions,
    GcpSpecError,
    NatOptions,
    NatRuleNumber,
    PrivateAccessOptions,
    compile_gcp,
    parse_targets,
)
from components.compile.gcp_nat import NatRuleSpec, check_nat_rules, compile_nat_gateway
from components.compile.gcp_pga import PRIVATE_GOOGLE_ACCESS_ADDRESSES, compile_private_access
from components.compile.gcp_schema import nat_limit_errors

NETWORK = "projects/p/global/networks/vpc"


def nat_options(**changes: object) -> NatOptions:
    return NatOptions(region="europe-west1", network=NETWORK, subnetworks=("workloads",), **changes)  # type: ignore[arg-type]


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


@pytest.mark.parametrize(("storage", "enabled"), [("both", True), ("gcp", True), ("aws", False)])
def test_private_google_access_follows_the_storage_phase(catalog: Catalog, storage: str, enabled: bool) -> None:
    plan = select(catalog, mode="cloud", version="14.3 RU1", storage=storage)
    spec = compile_private_access(plan, PrivateAccessOptions(networks=(NETWORK,), subnetworks=("workloads",)))
    assert spec.enabled is enabled
    if enabled:
        assert spec.routes[0].to_api()["destRange"] == "199.36.153.8/30"
        assert spec.routes[0].to_api()["nextHopGateway"] == "global/gateways/default-internet-gateway"
        assert spec.zone_to_api()["dnsName"] == "googleapis.com."
        assert spec.zone_to_api()["visibility"] == "private"
        records = {record.name: record for record in spec.record_sets}
        assert records["private.googleapis.com."].rrdatas == PRIVATE_GOOGLE_ACCESS_ADDRESSES
        assert records["*.googleapis.com."].rrdatas == ("private.googleapis.com.",)
        assert spec.subnet_settings() == [{"subnetwork": "workloads", "privateIpGoogleAccess": True}]
        assert {"gcp-shared-bucket", "gcp-pga-zone-scope"} <= {warning.code for warning in spec.warnings}
    else:
        assert spec.routes == () and [w.code for w in spec.warnings] == ["gcp-pga-unused"]


def test_compile_gcp_keeps_the_pga_rule_and_routes_together(cloud_plan: EgressPlan) -> None:
    targets = parse_targets({role: {"secure_tags": [f"tagValues/{i}"]} for i, role in enumerate(cloud_plan.roles)})
    with pytest.raises(GcpSpecError, match=r"^options\.private_google_access: "):
        compile_gcp(
            cloud_plan,
            targets,
            FirewallOptions(networks=(NETWORK,)),
            private_access=PrivateAccessOptions(networks=(NETWORK,)),
        )
    spec = compile_gcp(
        cloud_plan,
        targets,
        FirewallOptions(networks=(NETWORK,), private_google_access=True),
        nat_options(),
        PrivateAccessOptions(networks=(NETWORK,)),
    )
    again = compile_gcp(
        cloud_plan,
        targets,
        FirewallOptions(networks=(NETWORK,), private_google_access=True),
        nat_options(),
        PrivateAccessOptions(networks=(NETWORK,)),
    )
    assert spec.to_json() == again.to_json()
    document = spec.to_dict()
    assert {"firewallPolicy", "router", "addresses", "routes", "managedZone", "recordSets"} <= set(document)


def test_ipv6_destinations_are_not_nat_rules(catalog: Catalog) -> None:
    plan = select(catalog, mode="on-prem", version="14.3 RU1")
    plan = dataclasses.replace(plan, cidrs=(CidrRule("2001:db8::/32", 443, "tcp", ("agent",), ("v6",)),))
    spec = compile_nat_gateway(plan, nat_options())
    assert spec.rules == () and spec.skipped == ("2001:db8::/32",)
    assert "gcp-nat-skipped-ranges" in {warning.code for warning in spec.warnings}
