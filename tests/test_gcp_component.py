"""The GCP components under Pulumi's mock engine: what each registers, with which inputs, for the three modes."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import GcpSpecError
from sep_egress.errors import SepEgressError
from sep_egress.gcp import EgressFirewallPolicy, EgressNat, StoragePrivateAccess
from sep_egress.mock_engine import MockRun, run_program

NETWORK = "projects/p/global/networks/vpc"
POLICY = "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules"
ASSOCIATION = "gcp:compute/networkFirewallPolicyAssociation:NetworkFirewallPolicyAssociation"


def targets_for(plan: EgressPlan) -> dict[str, Any]:
    return {role: {"secure_tags": [f"tagValues/{index + 1}"]} for index, role in enumerate(plan.roles)}


def firewall_run(plan: EgressPlan, **options: Any) -> MockRun:
    args = {"targets": targets_for(plan), "options": {"networks": [NETWORK], **options}}
    return run_program(lambda: EgressFirewallPolicy("egress", args, plan=plan))  # type: ignore[arg-type]


@pytest.mark.parametrize("fixture", ["on_prem_plan", "hybrid_plan", "cloud_plan"])
def test_firewall_policy_registers_one_policy_with_every_rule(fixture: str, request: pytest.FixtureRequest) -> None:
    plan: EgressPlan = request.getfixturevalue(fixture)
    run = firewall_run(plan)
    component = run.of_type("sep-egress:gcp:EgressFirewallPolicy")
    assert len(component) == 1
    (policy,) = run.of_type(POLICY)
    assert policy.parent == component[0].urn
    assert policy.inputs["name"] == "sep-egress"
    rules = policy.inputs["rules"]
    hosts = {host for rule in rules for host in rule["match"].get("destFqdns", [])}
    assert hosts == set(plan.hosts)
    assert all(rule["direction"] == "EGRESS" and rule["enableLogging"] is True for rule in rules)
    assert all(len(rule["match"].get("destFqdns", [])) <= 100 for rule in rules)
    assert len({rule["priority"] for rule in rules}) == len(rules)
    assert [rule["action"] for rule in rules][-2:] == ["deny", "deny"]
    (association,) = run.of_type(ASSOCIATION)
    assert association.inputs["attachmentTarget"] == NETWORK
    assert policy.urn in association.depends_on
    # nothing but the policy and its association: no per-rule resources to race on the policy
    assert {resource.type for resource in run.resources} == {"sep-egress:gcp:EgressFirewallPolicy", POLICY, ASSOCIATION}


def test_associations_are_chained(cloud_plan: EgressPlan) -> None:
    second = "projects/p/global/networks/other"
    run = firewall_run(cloud_plan, networks=[NETWORK, second])
    first, then = run.of_type(ASSOCIATION)
    assert first.urn in then.depends_on or then.urn in first.depends_on


def test_created_secure_tags_are_targeted(cloud_plan: EgressPlan) -> None:
    args = {
        "targets": {"agent": {"service_accounts": ["agent@p.iam.gserviceaccount.com"]}},
        "secure_tags": {"parent": "projects/p", "network": "p/vpc"},
        "options": {"networks": [NETWORK]},
    }
    run = run_program(lambda: EgressFirewallPolicy("egress", args, plan=cloud_plan))  # type: ignore[arg-type]
    (key,) = run.of_type("gcp:tags/tagKey:TagKey")
    assert key.inputs["purpose"] == "GCE_FIREWALL"
    assert key.inputs["purposeData"] == {"network": "p/vpc"}
    (value,) = run.of_type("gcp:tags/tagValue:TagValue")
    assert value.inputs["shortName"] == "agent-cloud"
    rules = run.of_type(POLICY)[0].inputs["rules"]
    tagged = [rule for rule in rules if "targetSecureTags" in rule]
    assert tagged and all(rule["targetSecureTags"] == [{"name": "egress-tag-agent-cloud-id"}] for rule in tagged)
    assert all("targetSecureTags" not in rule for rule in rules if "targetServiceAccounts" in rule)


@pytest.mark.parametrize(
    ("scope", "extra", "policy_type", "association_type"),
    [
        (
            "regional",
            {"region": "europe-west1"},
            "gcp:compute/regionNetworkFirewallPolicyWithRules:RegionNetworkFirewallPolicyWithRules",
            "gcp:compute/regionNetworkFirewallPolicyAssociation:RegionNetworkFirewallPolicyAssociation",
        ),
        (
            "organization",
            {"parent": "organizations/12345"},
            "gcp:compute/firewallPolicyWithRules:FirewallPolicyWithRules",
            "gcp:compute/firewallPolicyAssociation:FirewallPolicyAssociation",
        ),
    ],
)
def test_regional_and_hierarchical_scopes(
    hybrid_plan: EgressPlan, scope: str, extra: dict, policy_type: str, association_type: str
) -> None:
    run = firewall_run(hybrid_plan, scope=scope, **extra)
    (policy,) = run.of_type(policy_type)
    (association,) = run.of_type(association_type)
    if scope == "organization":
        assert policy.inputs["parent"] == "organizations/12345"
        assert policy.inputs["shortName"] == "sep-egress"
        assert association.inputs["attachmentTarget"] == "organizations/12345"
        assert all(rule["targetResources"] == [NETWORK] for rule in policy.inputs["rules"])
    else:
        assert policy.inputs["region"] == "europe-west1"


def test_nat_registers_addresses_router_and_rules(hybrid_plan: EgressPlan) -> None:
    args = {"options": {"region": "europe-west1", "network": NETWORK, "subnetworks": ["workloads"]}}
    run = run_program(lambda: EgressNat("nat", args, plan=hybrid_plan))  # type: ignore[arg-type]
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
    from sep_egress.catalog.load import parse_overlay

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
        }
    }
    run = run_program(lambda: EgressNat("nat", args, plan=plan))  # type: ignore[arg-type]
    (nat,) = run.of_type("gcp:compute/routerNat:RouterNat")
    (rule,) = nat.inputs["rules"]
    assert rule["ruleNumber"] == 10
    assert rule["match"] == "inIpRange(destination.ip, '203.0.113.10/32')"
    assert rule["action"]["sourceNatActiveIps"] == [
        "https://www.googleapis.com/compute/v1/projects/test/nat-sep-egress-rule-10-1"
    ]
    assert set(rule["action"]["sourceNatActiveIps"]).isdisjoint(nat.inputs["natIps"])


@pytest.mark.parametrize(("storage", "count"), [("both", 4), ("gcp", 4), ("aws", 0)])
def test_storage_private_access(storage: str, count: int) -> None:
    args = {
        "selection": {"mode": "cloud", "version": "14.3 RU1", "storage": storage},
        "options": {"networks": [NETWORK], "subnetworks": ["workloads"]},
    }
    run = run_program(lambda: StoragePrivateAccess("pga", args))  # type: ignore[arg-type]
    children = [resource for resource in run.resources if resource.custom]
    assert len(children) == count
    if count:
        (route,) = run.of_type("gcp:compute/route:Route")
        assert route.inputs["destRange"] == "199.36.153.8/30"
        assert route.inputs["nextHopGateway"] == "global/gateways/default-internet-gateway"
        (zone,) = run.of_type("gcp:dns/managedZone:ManagedZone")
        assert zone.inputs["dnsName"] == "googleapis.com."
        assert zone.inputs["visibility"] == "private"
        records = {record.inputs["name"]: record.inputs for record in run.of_type("gcp:dns/recordSet:RecordSet")}
        assert records["*.googleapis.com."]["rrdatas"] == ["private.googleapis.com."]
        assert records["private.googleapis.com."]["type"] == "A"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"options": {"networks": [NETWORK]}}, r"^selection: a mapping"),
        ({"selection": {"mode": "cloud"}, "options": {"networks": [NETWORK]}}, r"^selection\.version: "),
        ({"selection": {"mode": "cloud", "version": "14.3 RU1"}, "colour": 1}, r"^colour: unknown argument"),
        (
            {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "options": {"networks": [NETWORK]}},
            r"^targets\.agent: ",
        ),
        (
            {
                "selection": {"mode": "cloud", "version": "14.3 RU1"},
                "targets": {"agent": {"secure_tags": ["created:agent"]}},
                "options": {"networks": [NETWORK], "skip_roles": ["agent-cloud"]},
            },
            r"^targets\.agent: .*'secure_tags' is not given",
        ),
        (
            {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "options": {"networks": [NETWORK], "zone": "a"}},
            r"^options\.zone: unknown argument",
        ),
    ],
)
def test_invalid_inputs_fail_before_anything_is_registered(args: dict, message: str) -> None:
    record = MockRun()
    with pytest.raises(SepEgressError, match=message):
        run_program(lambda: EgressFirewallPolicy("egress", args), record=record)  # type: ignore[arg-type]
    assert record.resources == []


def test_nat_and_pga_inputs_are_validated() -> None:
    record = MockRun()
    with pytest.raises(GcpSpecError, match=r"^options\.subnetworks: is required"):
        run_program(
            lambda: EgressNat(
                "nat",
                {
                    "selection": {"mode": "cloud", "version": "14.3 RU1"},
                    "options": {"region": "europe-west1", "network": NETWORK},
                },
            ),  # type: ignore[arg-type]
            record=record,
        )
    with pytest.raises(GcpSpecError, match=r"^options\.networks: is required"):
        run_program(
            lambda: StoragePrivateAccess("pga", {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "options": {}}),  # type: ignore[arg-type]
            record=record,
        )
    assert record.resources == []


CLOUD = {"mode": "cloud", "version": "14.3 RU1"}
NAT_OPTIONS = {"region": "europe-west1", "network": NETWORK, "subnetworks": ["workloads"]}


@pytest.mark.parametrize(
    ("component", "args", "message"),
    [
        # "false" is a truthy string: it used to select proxy=True (clear-text LiveUpdate on port 80).
        (EgressFirewallPolicy, {"selection": {**CLOUD, "proxy": "false"}}, r"^selection\.proxy: 'false' is not a"),
        (EgressNat, {"selection": {**CLOUD, "proxy": 1}, "options": NAT_OPTIONS}, r"^selection\.proxy: 1 is not a"),
        (EgressFirewallPolicy, {"selection": {**CLOUD, "roles": "console"}}, r"^selection\.roles: a list"),
        (EgressFirewallPolicy, {"selection": {**CLOUD, "storage": 3}}, r"^selection\.storage: 3 is not a string"),
        (
            EgressFirewallPolicy,
            {"selection": CLOUD, "options": {"networks": [NETWORK], "default_deny": "false"}},
            r"^options\.default_deny: 'false' is not a boolean",
        ),
        (
            EgressFirewallPolicy,
            {"selection": CLOUD, "options": {"networks": [NETWORK], "private_google_access": "no"}},
            r"^options\.private_google_access: 'no' is not a boolean",
        ),
        (
            EgressNat,
            {"selection": CLOUD, "options": {**NAT_OPTIONS, "address_count": True}},
            r"^options\.address_count: True is not an integer",
        ),
        (
            EgressNat,
            {"selection": CLOUD, "options": {**NAT_OPTIONS, "rule_numbers": {"corporate-proxy": True}}},
            r"^options\.rule_numbers\.corporate-proxy: True is not an integer",
        ),
        (
            StoragePrivateAccess,
            {"selection": CLOUD, "options": {"networks": [NETWORK], "route_priority": "1000"}},
            r"^options\.route_priority: '1000' is not an integer",
        ),
        (
            EgressFirewallPolicy,
            {
                "selection": CLOUD,
                "secure_tags": {"parent": "projects/p", "network": "p/vpc", "key": ["k"]},
                "options": {"networks": [NETWORK]},
            },
            r"^secure_tags\.key: \['k'\] is not a string",
        ),
    ],
)
def test_booleans_and_integers_are_checked_strictly(component: Any, args: dict, message: str) -> None:
    record = MockRun()
    with pytest.raises(GcpSpecError, match=message):
        run_program(lambda: component("strict", args), record=record)
    assert record.resources == []


def test_the_default_deny_warning_reaches_the_stack_outputs(cloud_plan: EgressPlan) -> None:
    args = {"targets": targets_for(cloud_plan), "options": {"networks": [NETWORK], "default_deny": False}}

    def program() -> None:
        policy = EgressFirewallPolicy("egress", args, plan=cloud_plan)  # type: ignore[arg-type]
        pulumi.export("warnings", [warning.to_dict() for warning in policy.spec.warnings])

    run = run_program(program)
    (policy,) = run.of_type(POLICY)
    assert all(rule["action"] == "allow" for rule in policy.inputs["rules"])
    assert "gcp-no-default-deny" in {warning["code"] for warning in run.outputs["warnings"]}
