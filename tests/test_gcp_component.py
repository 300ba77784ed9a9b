"""The GCP components under Pulumi's mock engine: what each registers, with which inputs, for the three modes."""

from __future__ import annotations

import itertools
from typing import Any

import pulumi
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import MACHINE_KINDS, GcpSpecError
from sep_egress.compile.gcp_model import KIND_ROLES
from sep_egress.errors import SepEgressError
from sep_egress.gcp import EgressFirewallPolicy, EgressNat, StoragePrivateAccess
from sep_egress.mock_engine import MockRun, run_program

NETWORK = "projects/p/global/networks/vpc"
POLICY = "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules"
ASSOCIATION = "gcp:compute/networkFirewallPolicyAssociation:NetworkFirewallPolicyAssociation"


def targets_for(plan: EgressPlan) -> dict[str, Any]:
    """One tag value per machine kind of the plan."""
    kinds = [kind for kind in MACHINE_KINDS if set(KIND_ROLES[kind]) & set(plan.roles)]
    return {kind: {"secure_tags": [f"tagValues/{index + 1}"]} for index, kind in enumerate(kinds)}


def firewall_run(plan: EgressPlan, **options: Any) -> MockRun:
    args = {"plan": plan, "targets": targets_for(plan), "options": {"networks": [NETWORK], **options}}
    return run_program(lambda: EgressFirewallPolicy("egress", args))


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


def test_created_secure_tags_are_one_value_per_machine_kind(hybrid_plan: EgressPlan) -> None:
    """One TagValue per kind without a target, never per role: the clients' value carries agent and agent-cloud."""
    args = {
        "targets": {"managers": {"service_accounts": ["sepm@p.iam.gserviceaccount.com"]}},
        "secure_tags": {"parent": "projects/p", "network": "p/vpc"},
        "options": {"networks": [NETWORK]},
        "plan": hybrid_plan,
    }
    run = run_program(lambda: EgressFirewallPolicy("egress", args))
    (key,) = run.of_type("gcp:tags/tagKey:TagKey")
    assert key.inputs["purpose"] == "GCE_FIREWALL"
    assert key.inputs["purposeData"] == {"network": "p/vpc"}
    values = run.of_type("gcp:tags/tagValue:TagValue")
    assert sorted(value.inputs["shortName"] for value in values) == ["admin-workstations", "clients"]
    rules = run.of_type(POLICY)[0].inputs["rules"]
    clients = [rule for rule in rules if rule.get("targetSecureTags") == [{"name": "egress-tag-clients-id"}]]
    hosts = {host for rule in clients for host in rule["match"].get("destFqdns", [])}
    needed = {rule.host for rule in hybrid_plan.allow if {"agent", "agent-cloud"} & set(rule.roles)}
    assert hosts == needed
    assert all("targetSecureTags" not in rule for rule in rules if "targetServiceAccounts" in rule)
    with pytest.raises(GcpSpecError, match=r"^targets\.agent-cloud: no target, but the machines of targets\.agent"):
        EgressFirewallPolicy.prepare(
            {**args, "targets": {"agent": {"service_accounts": ["a@p.iam.gserviceaccount.com"]}}}
        )


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


@pytest.mark.parametrize(("storage", "count"), [("both", 4), ("gcp", 4), ("aws", 0)])
def test_storage_private_access(storage: str, count: int) -> None:
    args = {
        "selection": {"mode": "cloud", "version": "14.3 RU1", "storage": storage},
        "options": {"networks": [NETWORK], "subnetworks": ["workloads"]},
    }
    run = run_program(lambda: StoragePrivateAccess("pga", args))
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
        (
            {"options": {"networks": [NETWORK]}},
            r"^selection: the catalog selection \(at least its version\) or a ready plan",
        ),
        ({"selection": {"mode": "cloud"}, "options": {"networks": [NETWORK]}}, r"^selection\.version: is required"),
        ({"selection": {"mode": "cloud", "version": "14.3 RU1"}, "colour": 1}, r"^colour: unknown argument"),
        (
            {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "options": {"networks": [NETWORK]}},
            r"^targets\.clients: ",
        ),
        (
            {
                "selection": {"mode": "cloud", "version": "14.3 RU1"},
                "targets": {"clients": {"secure_tags": ["created:clients"]}},
                "options": {"networks": [NETWORK]},
            },
            r"^targets\.clients: .*'secure_tags' is not given",
        ),
        (
            {
                "selection": {"mode": "cloud", "version": "14.3 RU1"},
                "targets": {"agent": {"secure_tags": ["tagValues/1"]}},
                "options": {"networks": [NETWORK], "skip_roles": ["agent-cloud"]},
            },
            r"^options\.skip_roles\[0\]: 'agent-cloud' runs on the same machines as agent",
        ),
        (
            {
                "selection": {"mode": "cloud", "version": "14.3 RU1"},
                "targets": {"clients": {"secure_tags": ["tagValues/1"]}},
                "options": {
                    "networks": ["projects/one-project/global/networks/a", "projects/two-project/global/networks/b"]
                },
            },
            r"^options\.networks: networks of several projects",
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
        run_program(lambda: EgressFirewallPolicy("egress", args), record=record)
    assert record.resources == []


def test_nat_and_pga_inputs_are_validated() -> None:
    record = MockRun()
    with pytest.raises(GcpSpecError, match=r"^options\.subnetworks: list the subnets"):
        run_program(
            lambda: EgressNat(
                "nat",
                {
                    "selection": {"mode": "cloud", "version": "14.3 RU1"},
                    "options": {"region": "europe-west1", "network": NETWORK},
                },
            ),
            record=record,
        )
    with pytest.raises(GcpSpecError, match=r"^options\.networks: is required"):
        run_program(
            lambda: StoragePrivateAccess("pga", {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "options": {}}),
            record=record,
        )
    assert record.resources == []


CLOUD = {"mode": "cloud", "version": "14.3 RU1"}
NAT_OPTIONS = {"region": "europe-west1", "network": NETWORK, "subnetworks": ["workloads"]}


@pytest.mark.parametrize(
    ("component", "args", "message"),
    [
        # "false" is a truthy string: it used to select proxy=True (clear-text LiveUpdate on port 80).
        (
            EgressFirewallPolicy,
            {"selection": {**CLOUD, "proxy": "false"}},
            r"^selection\.proxy: true or false, not 'fa",
        ),
        (
            EgressNat,
            {"selection": {**CLOUD, "proxy": 1}, "options": NAT_OPTIONS},
            r"^selection\.proxy: true or false, not 1",
        ),
        (EgressFirewallPolicy, {"selection": {**CLOUD, "roles": "console"}}, r"^selection\.roles: a list"),
        (EgressFirewallPolicy, {"selection": {**CLOUD, "storage": 3}}, r"^selection\.storage: 3 is not a string"),
        (
            EgressFirewallPolicy,
            {"selection": CLOUD, "options": {"networks": [NETWORK], "default_deny": "false"}},
            r"^options\.default_deny: true or false, not 'false'",
        ),
        (
            EgressFirewallPolicy,
            {"selection": CLOUD, "options": {"networks": [NETWORK], "private_google_access": "no"}},
            r"^options\.private_google_access: true or false, not 'no'",
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
    args = {
        "plan": cloud_plan,
        "targets": targets_for(cloud_plan),
        "options": {"networks": [NETWORK], "default_deny": False},
    }

    def program() -> None:
        policy = EgressFirewallPolicy("egress", args)
        pulumi.export("warnings", [warning.to_dict() for warning in policy.spec.warnings])

    run = run_program(program)
    (policy,) = run.of_type(POLICY)
    assert all(rule["action"] == "allow" for rule in policy.inputs["rules"])
    assert "gcp-no-default-deny" in {warning["code"] for warning in run.outputs["warnings"]}


def test_networks_subnetworks_and_project_may_be_outputs(cloud_plan: EgressPlan) -> None:
    """A stack that creates (or reads) its VPC and subnets wires their ids straight into the components."""
    import pulumi_gcp as gcp

    from sep_egress.gcp import (
        EgressFirewallPolicyArgs,
        EgressNatArgs,
        FirewallPolicyOptionsArgs,
        NatOptionsArgs,
        PrivateAccessOptionsArgs,
        SecureTagsArgs,
        StoragePrivateAccessArgs,
    )

    def program() -> None:
        network = gcp.compute.Network("vpc", name="vpc", auto_create_subnetworks=False)
        subnet = gcp.compute.Subnetwork("agents", network=network.id, ip_cidr_range="10.0.0.0/24", region="us-east1")
        project = pulumi.Output.from_input("p-from-another-stack")
        policy = EgressFirewallPolicy(
            "egress",
            EgressFirewallPolicyArgs(
                plan=cloud_plan,
                secure_tags=SecureTagsArgs(parent=project.apply(lambda p: f"projects/{p}"), network="p/vpc"),
                options=FirewallPolicyOptionsArgs(networks=[network.id, NETWORK], project=project),
            ),
        )
        EgressNat(
            "nat",
            EgressNatArgs(
                plan=cloud_plan,
                options=NatOptionsArgs(region="us-east1", network=network.id, subnetworks=[subnet.id], project=project),
            ),
        )
        StoragePrivateAccess(
            "pga",
            StoragePrivateAccessArgs(
                plan=cloud_plan,
                options=PrivateAccessOptionsArgs(
                    networks=[network.self_link], subnetworks=pulumi.Output.from_input(["a", "b"])
                ),
            ),
        )
        pulumi.export("tags", policy.secure_tag_values)

    run = run_program(program)
    associations = run.of_type(ASSOCIATION)
    assert sorted(association.inputs["attachmentTarget"] for association in associations) == sorted(["vpc-id", NETWORK])
    assert all(association.inputs["project"] == "p-from-another-stack" for association in associations)
    (key,) = run.of_type("gcp:tags/tagKey:TagKey")
    assert key.inputs["parent"] == "projects/p-from-another-stack"
    (router,) = run.of_type("gcp:compute/router:Router")
    assert router.inputs["network"] == "vpc-id"
    (nat,) = run.of_type("gcp:compute/routerNat:RouterNat")
    assert nat.inputs["subnetworks"] == [{"name": "agents-id", "sourceIpRangesToNats": ["ALL_IP_RANGES"]}]
    (route,) = run.of_type("gcp:compute/route:Route")
    assert route.inputs["network"].endswith("/vpc")
    (zone,) = run.of_type("gcp:dns/managedZone:ManagedZone")
    assert zone.inputs["privateVisibilityConfig"]["networks"] == [{"networkUrl": route.inputs["network"]}]
    pga = run.registered_outputs[run.of_type("sep-egress:gcp:StoragePrivateAccess")[0].urn]
    assert pga["required_subnet_settings"] == [
        {"subnetwork": "a", "privateIpGoogleAccess": True},
        {"subnetwork": "b", "privateIpGoogleAccess": True},
    ]
    assert run.outputs["tags"] == {"clients": "egress-tag-clients-id"}
    # No stand-in leaks into what is registered.
    assert "pulumi-output" not in repr([resource.inputs for resource in run.resources])


@pytest.mark.parametrize(
    ("component", "args", "message"),
    [
        (
            EgressFirewallPolicy,
            {"selection": CLOUD, "options": {"networks": pulumi.Output.from_input([NETWORK])}},
            r"^options\.networks: a list \(its items may be pulumi\.Outputs\), not a pulumi\.Output of a list",
        ),
        (
            EgressFirewallPolicy,
            {"selection": {**CLOUD, "mode": pulumi.Output.from_input("cloud")}},
            r"^selection\.mode: a pulumi\.Output cannot be used here: .* must be known",
        ),
        (
            EgressNat,
            {"selection": CLOUD, "options": {**NAT_OPTIONS, "region": pulumi.Output.from_input("us-east1")}},
            r"^options\.region: a pulumi\.Output cannot be used here",
        ),
        (
            EgressFirewallPolicy,
            {"selection": CLOUD, "targets": {"agent": {"service_accounts": [pulumi.Output.from_input("a@b.cd")]}}},
            r"^targets\.agent\.service_accounts\[0\]: a pulumi\.Output cannot be used here",
        ),
    ],
)
def test_an_output_where_the_compiler_needs_the_value_says_why(component: Any, args: dict, message: str) -> None:
    record = MockRun()
    with pytest.raises(GcpSpecError, match=message):
        run_program(lambda: component("strict", args), record=record)
    assert record.resources == []


@pytest.mark.parametrize(
    ("component", "args", "documented"),
    [
        (EgressFirewallPolicy, {"selection": CLOUD, "options": {"networks": [NETWORK]}}, "EgressFirewallPolicy"),
        (EgressNat, {"selection": CLOUD, "options": NAT_OPTIONS}, "EgressNat"),
        (StoragePrivateAccess, {"selection": CLOUD, "options": {"networks": [NETWORK]}}, "StoragePrivateAccess"),
    ],
)
def test_every_documented_output_is_an_output_attribute_and_registered(
    component: Any, args: dict, documented: str
) -> None:
    import re

    from support import ROOT

    secure = {"secure_tags": {"parent": "organizations/1"}} if component is EgressFirewallPolicy else {}

    def program() -> None:
        made = component("c", {**args, **secure})
        for name in component.OUTPUTS:
            assert isinstance(getattr(made, name), pulumi.Output), name
            pulumi.export(name, getattr(made, name))

    run = run_program(program)
    token = f"$sep-egress:gcp:{documented}"
    (registered,) = [outputs for urn, outputs in run.registered_outputs.items() if token in urn]
    # The engine drops None values, and in a preview a value only the cloud knows (an address) is unknown.
    assert {name for name in component.OUTPUTS if run.outputs[name] is not None} <= set(registered)
    assert set(registered) <= set(component.OUTPUTS)
    docs = (ROOT / "docs" / "gcp.md").read_text(encoding="utf-8")
    [row] = [line for line in docs.splitlines() if line.startswith(f"| `{documented}`")]
    listed = set(re.findall(r"`([a-z_]+)`", row.rsplit("|", 2)[-2]))
    assert listed == set(component.OUTPUTS)


RULE_TYPES = {
    "global": "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule",
    "regional": "gcp:compute/regionNetworkFirewallPolicyRule:RegionNetworkFirewallPolicyRule",
    "folder": "gcp:compute/firewallPolicyRule:FirewallPolicyRule",
}


@pytest.mark.parametrize(
    ("scope", "extra", "policy_id", "expected_policy"),
    [
        ("global", {}, "landing-zone", "landing-zone"),
        (
            "regional",
            {"region": "europe-west1"},
            "projects/shared-host/regions/europe-west1/firewallPolicies/lz",
            "lz",
        ),
        ("folder", {}, "locations/global/firewallPolicies/123456789", "123456789"),
    ],
)
def test_an_existing_policy_gets_rules_in_its_band_and_nothing_else(
    hybrid_plan: EgressPlan, scope: str, extra: dict, policy_id: str, expected_policy: str
) -> None:
    """Brownfield: no policy, no association; one rule resource per rule, in the band, chained one after the
    other (a policy takes one change at a time), allows before denies, inputs the pulumi-gcp types accept."""
    options = {"scope": scope, "existing_policy": policy_id, "priority_band_start": 500_000_000, **extra}
    args = {"plan": hybrid_plan, "targets": targets_for(hybrid_plan), "options": options}
    run = run_program(lambda: EgressFirewallPolicy("egress", args))
    kinds = {resource.type for resource in run.resources}
    assert kinds == {"sep-egress:gcp:EgressFirewallPolicy", RULE_TYPES[scope]}
    rules = run.of_type(RULE_TYPES[scope])
    assert all(rule.inputs["firewallPolicy"] == expected_policy for rule in rules)
    priorities = [rule.inputs["priority"] for rule in rules]
    assert all(500_000_000 <= priority < 500_000_000 + (1 << 22) for priority in priorities)
    assert priorities == sorted(priorities)
    actions = [rule.inputs["action"] for rule in rules]
    assert actions == sorted(actions)  # every "allow" before every "deny"
    for before, after in itertools.pairwise(rules):
        assert before.urn in after.depends_on
    hosts = {host for rule in rules for host in rule.inputs["match"].get("destFqdns", [])}
    assert hosts == set(hybrid_plan.hosts)
    if scope == "folder":
        assert all("ruleName" not in rule.inputs for rule in rules)  # FirewallPolicyRule has no rule_name
    else:
        assert all(rule.inputs["ruleName"].startswith("sep-egress-") for rule in rules)
    if scope == "regional":
        assert all(rule.inputs["region"] == "europe-west1" for rule in rules)
        assert all(rule.inputs["project"] == "shared-host" for rule in rules)
    assert_conforms_to_sdk(rules[0].inputs["match"], "NetworkFirewallPolicyRuleMatchArgsDict")
    for item in rules[0].inputs["match"]["layer4Configs"]:
        assert_conforms_to_sdk(item, "NetworkFirewallPolicyRuleMatchLayer4ConfigArgsDict")
    for tag in rules[0].inputs.get("targetSecureTags", []):
        assert_conforms_to_sdk(tag, "NetworkFirewallPolicyRuleTargetSecureTagArgsDict")
    component = run.registered_outputs[run.of_type("sep-egress:gcp:EgressFirewallPolicy")[0].urn]
    assert component["policy_id"] == policy_id and component["policy_name"] == expected_policy
    codes = {warning["code"] for warning in component["warnings"]}
    assert "gcp-existing-policy-band" in codes
    assert ("gcp-enforcement-order" in codes) == (scope != "folder")


def assert_conforms_to_sdk(inputs: dict[str, Any], typed_dict: str) -> None:
    """The registered (camelCase) keys are fields of the pulumi-gcp SDK's input type."""
    import pulumi_gcp.compute._inputs as sdk_inputs

    fields = getattr(sdk_inputs, typed_dict).__annotations__
    camel = {name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:]) for name in fields}
    assert set(inputs) <= camel, (typed_dict, set(inputs) - camel)


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


@pytest.mark.parametrize(
    ("stack", "machines"),
    [
        # A cloud-managed agent VM carries one value of the key: the stack keeps 0.1's per-role values, so a VM is
        # bound to sep-egress/agent or to sep-egress/agent-cloud; either must give it both tables.
        (
            "gcp-cloud",
            {"clients": [("tag", "sep-egress-tag-agent-id"), ("tag", "sep-egress-tag-agent-cloud-id")]},
        ),
        # Service accounts: the agents run as sep-agent@, the enrolled SEPM as sepm@, the bastion as sep-admin-bastion@.
        (
            "prod",
            {
                "clients": [("account", "sep-agent@sep-prod-network.iam.gserviceaccount.com")],
                "managers": [("account", "sepm@sep-prod-network.iam.gserviceaccount.com")],
                "admin-workstations": [("account", "sep-admin-bastion@sep-prod-network.iam.gserviceaccount.com")],
            },
        ),
    ],
)
def test_the_shipped_stacks_give_each_machine_every_host_of_its_roles(
    stack: str, machines: dict[str, list[tuple[str, str]]]
) -> None:
    """The previews of gcp-cloud and prod, judged by what they would send (the policy's rule inputs), as the VMs
    users run: each machine reaches every plan host and port of its roles, and nothing else of the plan."""
    from sep_egress.compile.gcp_eval import Machine, check_machines, policy_from_api
    from sep_egress.compile.gcp_model import GOOGLE_ACCESS_RANGES
    from sep_egress.preview import run_preview
    from sep_egress.settings import read_stack_file

    from support import ROOT

    config = read_stack_file(ROOT, stack)
    plan = config.plan()
    firewall = (config.settings.gcp or {})["firewall"]
    options = firewall.get("options", {})
    pga_hosts = ("storage.googleapis.com",) if options.get("private_google_access") else ()
    preview = run_preview(ROOT, stack)
    (policy,) = [resource for resource in preview.resources if resource.type == POLICY]
    spec = policy_from_api(policy.inputs["rules"], pga_hosts, GOOGLE_ACCESS_RANGES["private"])
    vms = {
        kind: [
            Machine.carrying([("tagKeys/sep-egress", value)]) if how == "tag" else Machine(service_account=value)
            for how, value in carried
        ]
        for kind, carried in machines.items()
    }
    assert check_machines(spec, plan, vms) == []
    # The component does not own the networks: the preview says the deny waits for their enforcement order.
    order = [warning for warning in preview.warnings if warning["code"] == "gcp-enforcement-order"]
    assert order and "does not hold until" in order[0]["message"]
    # The roles these machines play are the ones the issue found denied: the cloud tables are in.
    roles = {role for kind in machines for role in KIND_ROLES[kind]} & set(plan.roles)  # type: ignore[index]
    assert "agent-cloud" in roles and (stack != "prod" or "sepm-cloud" in roles)


def test_created_policy_rules_conform_to_the_sdk_types(hybrid_plan: EgressPlan) -> None:
    """Every rule item of the *WithRules resource, its match, layer-4 configs and target tags are fields of the
    pulumi-gcp input types (the PGA rule to the restricted VIP included)."""
    run = firewall_run(hybrid_plan, private_google_access=True, google_access_vip="restricted")
    (policy,) = run.of_type(POLICY)
    for rule in policy.inputs["rules"]:
        assert_conforms_to_sdk(rule, "NetworkFirewallPolicyWithRulesRuleArgsDict")
        assert_conforms_to_sdk(rule["match"], "NetworkFirewallPolicyWithRulesRuleMatchArgsDict")
        for item in rule["match"]["layer4Configs"]:
            assert_conforms_to_sdk(item, "NetworkFirewallPolicyWithRulesRuleMatchLayer4ConfigArgsDict")
        for tag in rule.get("targetSecureTags", []):
            assert_conforms_to_sdk(tag, "NetworkFirewallPolicyWithRulesRuleTargetSecureTagArgsDict")
    assert any(rule["match"].get("destIpRanges") == ["199.36.153.4/30"] for rule in policy.inputs["rules"])


def test_private_access_through_the_restricted_vip(cloud_plan: EgressPlan) -> None:
    options = {"networks": [NETWORK], "google_access_vip": "restricted"}
    run = run_program(lambda: StoragePrivateAccess("pga", {"plan": cloud_plan, "options": options}))
    (route,) = run.of_type("gcp:compute/route:Route")
    assert route.inputs["destRange"] == "199.36.153.4/30"
    records = {record.inputs["name"]: record.inputs for record in run.of_type("gcp:dns/recordSet:RecordSet")}
    assert records["restricted.googleapis.com."]["rrdatas"] == [
        "199.36.153.4",
        "199.36.153.5",
        "199.36.153.6",
        "199.36.153.7",
    ]
    assert records["*.googleapis.com."]["rrdatas"] == ["restricted.googleapis.com."]
    with pytest.raises(GcpSpecError, match=r"^options\.google_access_vip: 'public'; choose one of private, restricted"):
        StoragePrivateAccess.prepare({"plan": cloud_plan, "options": {**options, "google_access_vip": "public"}})


def test_a_stack_names_one_google_access_vip(tmp_path: Any) -> None:
    """The route and zone (private_access) and the egress rule (firewall) must agree on the VIP."""
    from sep_egress.program import prepare_deployment
    from sep_egress.settings import parse_stack_config

    values = {
        "sep-egress:version": "14.3 RU1",
        "sep-egress:mode": "cloud",
        "sep-egress:gcp": {
            "firewall": {
                "targets": {"clients": {"secure_tags": ["tagValues/1"]}},
                "options": {"networks": [NETWORK], "private_google_access": True, "google_access_vip": "restricted"},
            },
            "private_access": {"options": {"networks": [NETWORK]}},
        },
    }
    config = parse_stack_config(values, "Pulumi.test.yaml", tmp_path)
    with pytest.raises(SepEgressError, match=r"gcp\.private_access\.options\.google_access_vip: 'private', but"):
        prepare_deployment(config)
    values["sep-egress:gcp"]["private_access"]["options"]["google_access_vip"] = "restricted"  # type: ignore[index]
    deployment = prepare_deployment(parse_stack_config(values, "Pulumi.test.yaml", tmp_path))
    assert set(deployment.gcp) == {"firewall", "private_access"}
