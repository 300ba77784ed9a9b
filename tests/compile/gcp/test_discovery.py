"""Every request body the GCP compilers emit validates against the Compute and Cloud DNS discovery documents
(shipped by google-api-python-client, a test dependency only) and against the limits they state in prose."""

from __future__ import annotations

import itertools
import json
from functools import cache
from pathlib import Path

import googleapiclient
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import (
    MACHINE_KINDS,
    FirewallOptions,
    NatOptions,
    PrivateAccessOptions,
    compile_gcp,
    parse_targets,
)
from sep_egress.compile.gcp.discovery import DiscoveryValidator, firewall_policy_limit_errors, nat_limit_errors
from sep_egress.compile.gcp.options import KIND_ROLES

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
NETWORK = "projects/sep-project/global/networks/vpc"


@cache
def validator(name: str) -> DiscoveryValidator:
    return DiscoveryValidator(json.loads((DOCUMENTS / name).read_text(encoding="utf-8")))


def scopes() -> list[FirewallOptions]:
    """Every scope, created and existing (rules added in the reserved band), with either Google Access VIP."""
    return [
        FirewallOptions(networks=(NETWORK,), private_google_access=True),
        FirewallOptions(scope="regional", region="europe-west1", networks=(NETWORK,), private_google_access=True),
        FirewallOptions(scope="folder", parent="folders/42", private_google_access=True),
        FirewallOptions(
            scope="organization", parent="organizations/7", networks=(NETWORK,), private_google_access=True
        ),
        FirewallOptions(existing_policy="landing-zone", private_google_access=True, google_access_vip="restricted"),
        FirewallOptions(
            scope="regional",
            region="europe-west1",
            existing_policy="projects/shared-vpc-host/regions/europe-west1/firewallPolicies/lz",
            priority_band_start=0,
            private_google_access=True,
        ),
        FirewallOptions(
            scope="folder",
            existing_policy="123456789012",
            priority_band_start=2_000_000_000,
            private_google_access=True,
        ),
        # Observe mode (the default denies as logged allows) and pinned band port keys.
        FirewallOptions(networks=(NETWORK,), enforcement="observe", private_google_access=True),
        FirewallOptions(
            existing_policy="landing-zone",
            enforcement="observe",
            port_keys={"443": 7, "80,443": 8},
            private_google_access=True,
        ),
    ]


def nat_cases() -> list[NatOptions]:
    """A new router translating whole subnets, and an existing router translating chosen ranges only."""
    return [
        NatOptions(region="europe-west1", network=NETWORK, subnetworks=("workloads",)),
        NatOptions(
            region="europe-west1",
            network=NETWORK,
            router="landing-zone-router",
            subnetworks=(
                {"name": "endpoints", "primary_range": True},
                {"name": "pods", "secondary_ranges": ["sep-pods"]},
                {"name": "managers", "primary_range": True, "secondary_ranges": ["a", "b"]},
            ),
        ),
    ]


@pytest.mark.real_program
@pytest.mark.parametrize("fixture", ["on_prem_plan", "hybrid_plan", "cloud_plan"])
@pytest.mark.parametrize("kind", ["secure_tags", "service_accounts"])
def test_bodies_validate_against_the_discovery_documents(
    fixture: str, kind: str, request: pytest.FixtureRequest
) -> None:
    plan: EgressPlan = request.getfixturevalue(fixture)
    values = {
        "secure_tags": lambda i: f"tagValues/{1000 + i}",
        "service_accounts": lambda i: f"sep-{i}@project.iam.gserviceaccount.com",
    }[kind]
    kinds = [kind for kind in MACHINE_KINDS if set(KIND_ROLES[kind]) & set(plan.roles)]
    targets = parse_targets({machine: {kind: [values(index)]} for index, machine in enumerate(kinds)})
    compute = validator("compute.v1.json")
    dns = validator("dns.v1.json")
    for firewall, nat in itertools.product(scopes(), nat_cases()):
        spec = compile_gcp(
            plan,
            targets,
            firewall,
            nat,
            PrivateAccessOptions(
                networks=(NETWORK,), subnetworks=("workloads",), google_access_vip=firewall.google_access_vip
            ),
        )
        policy = spec.firewall.to_api()
        assert compute.errors("FirewallPolicy", policy) == []
        assert firewall_policy_limit_errors(policy, observe=firewall.enforcement == "observe") == []
        if firewall.enforcement == "observe":
            assert firewall_policy_limit_errors(policy) != []  # the observed deny is the one allow to every address
        for rule in spec.firewall.rules:
            assert compute.errors("FirewallPolicyRule", rule.to_api()) == []
        for association in spec.firewall.associations:
            assert compute.errors("FirewallPolicyAssociation", association.to_api()) == []
        assert compute.errors("Network", spec.firewall.network_settings()) == []
        assert spec.nat is not None and spec.private_access is not None
        if spec.nat.creates_router:
            assert compute.errors("Router", spec.nat.to_api()) == []
        assert compute.errors("RouterNat", spec.nat.nat_to_api()) == []
        assert nat_limit_errors(spec.nat.nat_to_api()) == []
        for address in spec.nat.all_addresses:
            assert compute.errors("Address", address.to_api()) == []
        for route in spec.private_access.routes:
            assert compute.errors("Route", route.to_api()) == []
        assert dns.errors("ManagedZone", spec.private_access.zone_to_api()) == []
        for record in spec.private_access.record_sets:
            assert dns.errors("ResourceRecordSet", record.to_api()) == []
        for setting in spec.private_access.subnet_settings():
            body = {"privateIpGoogleAccess": setting["privateIpGoogleAccess"]}
            assert compute.errors("Subnetwork", body) == []


@pytest.mark.real_program
def test_the_validator_catches_what_the_api_would_refuse() -> None:
    compute = validator("compute.v1.json")
    rule = {
        "priority": "high",
        "direction": "OUTBOUND",
        "action": "allow",
        "match": {"layer4Configs": [{"ipProtocol": "tcp"}], "destFqdn": ["a.example.com"]},
        "ruleTupleCount": 3,
    }
    problems = compute.errors("FirewallPolicyRule", rule)
    assert any("priority: expected an integer" in problem for problem in problems)
    assert any("'OUTBOUND' is not one of" in problem for problem in problems)
    assert any("destFqdn: not a field" in problem for problem in problems)
    assert any("ruleTupleCount: output only" in problem for problem in problems)
    assert compute.errors("RouterNatRule", {"match": "true"}) == ["RouterNatRule: RouterNatRule.ruleNumber is required"]
    assert compute.errors("Router", {"name": "r", "network": "n", "region": "europe-west1"}) == [
        "Router.region: output only, cannot be set"
    ]


def test_the_limit_checks_catch_what_the_api_states_in_prose() -> None:
    rule = {
        "priority": 2147483600,
        "direction": "EGRESS",
        "action": "allow",
        "enableLogging": False,
        "match": {
            "layer4Configs": [{"ipProtocol": "tcp"}],
            "destFqdns": [f"h{i}.example.com" for i in range(101)] + ["*.example.com"],
            "destIpRanges": ["0.0.0.0/0", "::/0"],
        },
        "targetSecureTags": [{"name": "tagValues/1"}],
        "targetServiceAccounts": ["a@p.iam.gserviceaccount.com"],
    }
    problems = "\n".join(firewall_policy_limit_errors({"rules": [rule, {**rule, "priority": 2147483600}]}))
    for expected in (
        "outside 0..2147483547",
        "at most 100",
        "no wildcards",
        "IPv4 and IPv6",
        "allow rule to every address",
        "together",
        "logging is off",
    ):
        assert expected in problems
    untargeted = {**rule, "priority": 5, "match": {"layer4Configs": [], "destFqdns": ["a.example.com"]}}
    untargeted.pop("targetSecureTags")
    untargeted.pop("targetServiceAccounts")
    assert any("no target" in p for p in firewall_policy_limit_errors({"rules": [untargeted]}))
