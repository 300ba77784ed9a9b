"""EgressNat under Pulumi's mock engine and its arguments: addresses, router, NAT rules for declared destinations, the
subnetwork ranges it translates."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.gcp import EgressNat
from sep_egress.mock_engine import run_program

from support import NAT_OPTIONS, NETWORK, ROOT, assert_conforms_to_sdk

pytestmark = pytest.mark.pulumi


def test_google_served_addresses_get_no_nat_rule() -> None:
    """The Windows activation host and the Google Access VIPs are reached through Private Google Access."""
    from sep_egress.gcp import EgressNat

    overlay = str(ROOT / "examples" / "overlays" / "gcp-default-deny-vm.yaml")
    args = {
        "selection": {"version": "14.3 RU1", "mode": "cloud", "overlays": [overlay]},
        "options": {"region": "europe-west1", "network": "projects/p/global/networks/n", "subnetworks": ["s"]},
    }
    spec = EgressNat.prepare(args)[0]
    assert not any("35.190.247.13" in rule.match for rule in spec.rules)
    assert "gcp-nat-google-served" in {warning.code for warning in spec.warnings}


def test_a_subnetwork_ranges_entry_must_choose_its_ranges() -> None:
    """An entry naming no range would translate every range of the subnet (a GKE subnet's pod ranges too)."""

    from sep_egress.compile.gcp.options import GcpSpecError
    from sep_egress.gcp import EgressNat

    def args(entry: dict[str, object]) -> dict[str, object]:
        options = {"region": "europe-west1", "network": "projects/p/global/networks/n", "subnetwork_ranges": [entry]}
        return {"selection": {"version": "14.3 RU1", "mode": "cloud"}, "options": options}

    with pytest.raises(GcpSpecError, match=r"^options\.subnetwork_ranges\[0\]: choose the ranges"):
        EgressNat.prepare(args({"name": "gke-nodes"}))
    spec = EgressNat.prepare(args({"name": "gke-nodes", "primary_range": True}))[0]
    assert [subnetwork.to_api() for subnetwork in spec.subnetworks] == [
        {"name": "gke-nodes", "sourceIpRangesToNat": ["PRIMARY_IP_RANGE"]}
    ]
    # A name only known at deployment (an Output) is accepted, as its type says.
    EgressNat.prepare(args({"name": pulumi.Output.from_input("gke-nodes"), "primary_range": True}))


def test_nat_registers_addresses_router_and_rules(hybrid_plan: EgressPlan) -> None:
    args = {"plan": hybrid_plan, "options": NAT_OPTIONS}
    run = run_program(lambda: EgressNat("nat", args))
    (component,) = run.of_type("sep-egress:gcp:EgressNat")
    addresses = run.of_type("gcp:compute/address:Address")
    assert sorted(address.inputs["name"] for address in addresses) == ["sep-egress-nat-1", "sep-egress-nat-2"]
    assert all(address.inputs["addressType"] == "EXTERNAL" for address in addresses)
    (router,) = run.of_type("gcp:compute/router:Router")
    (nat,) = run.of_type("gcp:compute/routerNat:RouterNat")
    assert {router.parent, nat.parent} == {component.urn}
    assert nat.inputs["natIpAllocateOption"] == "MANUAL_ONLY"
    assert nat.inputs["enableEndpointIndependentMapping"] is False
    assert nat.inputs["logConfig"] == {"enable": True, "filter": "ALL"}
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert len(nat.inputs["natIps"]) == 2


def test_nat_rules_for_declared_destinations(catalog: Any) -> None:
    from sep_egress.catalog import SourcedOverlay, select
    from sep_egress.catalog.vendor.load import parse_overlay

    overlay = parse_overlay(
        {
            "entries": [
                {
                    "id": "corporate-proxy",
                    "role": "agent",
                    "usage": {"en": "proxy"},
                    "cidrs": ["203.0.113.10/32"],
                    "ports": [8080],
                }
            ]
        },
        "proxy.yaml",
    )
    plan = select(catalog, mode="on-prem", version="14.3 RU1", overlays=[SourcedOverlay("proxy.yaml", overlay)])
    args = {
        "options": {
            "region": "europe-west1",
            "network": NETWORK,
            "subnetworks": ["workloads"],
            "rule_numbers": {"corporate-proxy": 10},
        },
        "plan": plan,
    }
    run = run_program(lambda: EgressNat("nat", args))
    (nat,) = run.of_type("gcp:compute/routerNat:RouterNat")
    (rule,) = nat.inputs["rules"]
    assert rule["ruleNumber"] == 10
    assert rule["match"] == "inIpRange(destination.ip, '203.0.113.10/32')"
    assert rule["action"]["sourceNatActiveIps"] == [
        "https://www.googleapis.com/compute/v1/projects/test/nat-sep-egress-rule-10-1"
    ]
    assert set(rule["action"]["sourceNatActiveIps"]).isdisjoint(nat.inputs["natIps"])


def test_an_existing_router_gets_only_the_nat_scoped_to_the_sep_ranges(hybrid_plan: EgressPlan) -> None:
    """router_create = false: no Router is registered, the NAT names the given router, and it translates only the
    listed subnets and ranges."""
    options = {
        "region": "europe-west1",
        "network": NETWORK,
        "router": "landing-zone-router",
        "subnetworks": ["agents"],
        "subnetwork_ranges": [
            {"name": "shared", "primary_range": True},
            {"name": "gke", "secondary_ranges": ["sep-pods"]},
        ],
    }
    run = run_program(lambda: EgressNat("nat", {"plan": hybrid_plan, "options": options}))
    assert run.of_type("gcp:compute/router:Router") == []
    (nat,) = run.of_type("gcp:compute/routerNat:RouterNat")
    assert nat.inputs["router"] == "landing-zone-router"
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert nat.inputs["subnetworks"] == [
        {"name": "agents", "sourceIpRangesToNats": ["ALL_IP_RANGES"]},
        {"name": "shared", "sourceIpRangesToNats": ["PRIMARY_IP_RANGE"]},
        {"name": "gke", "sourceIpRangesToNats": ["LIST_OF_SECONDARY_IP_RANGES"], "secondaryIpRangeNames": ["sep-pods"]},
    ]
    for subnetwork in nat.inputs["subnetworks"]:
        assert_conforms_to_sdk(subnetwork, "RouterNatSubnetworkArgsDict")
    component = run.registered_outputs[run.of_type("sep-egress:gcp:EgressNat")[0].urn]
    assert component["router_name"] == "landing-zone-router"
    codes = {warning["code"] for warning in component["warnings"]}
    assert {"gcp-nat-existing-router", "gcp-nat-shared-addresses"} <= codes
    assert all(
        "dedicated" not in address.inputs["description"] for address in run.of_type("gcp:compute/address:Address")
    )
    created = run_program(lambda: EgressNat("nat", {"plan": hybrid_plan, "options": NAT_OPTIONS}))
    (router,) = created.of_type("gcp:compute/router:Router")
    (nat,) = created.of_type("gcp:compute/routerNat:RouterNat")
    assert nat.inputs["router"] == router.inputs["name"] == "sep-egress-router"


def test_static_addresses_are_protected_unless_the_stack_says_otherwise(hybrid_plan: EgressPlan) -> None:
    """Someone may allowlist these addresses upstream: Pulumi must refuse to release one (protect), and only these
    resources are protected (the router and the NAT change freely)."""
    run = run_program(lambda: EgressNat("nat", {"plan": hybrid_plan, "options": NAT_OPTIONS}))
    addresses = run.of_type("gcp:compute/address:Address")
    assert addresses and all(address.protect for address in addresses)
    assert not any(resource.protect for resource in run.resources if resource.type != "gcp:compute/address:Address")
    off = {"plan": hybrid_plan, "options": {**NAT_OPTIONS, "protect_addresses": False}}
    run = run_program(lambda: EgressNat("nat", off))
    assert not any(address.protect for address in run.of_type("gcp:compute/address:Address"))
