"""pulumi.Output values where the GCP compiler works on stand-ins: every place a network reaches a resource gets
the Output's value back, in every policy scope."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import GcpSpecError
from sep_egress.gcp import EgressFirewallPolicy, EgressNat, StoragePrivateAccess
from sep_egress.mock_engine import MockRun, run_program

from support import ASSOCIATION, CLOUD, NAT_OPTIONS, NETWORK, named

pytestmark = pytest.mark.pulumi

VPC = "projects/p/global/networks/from-another-stack"


@pytest.mark.parametrize(
    ("scope", "extra"),
    [("global", {}), ("regional", {"region": "europe-west1"}), ("organization", {"parent": "organizations/12"})],
)
def test_an_output_network_reaches_associations_and_rule_targets(
    cloud_plan: EgressPlan, scope: str, extra: dict[str, Any]
) -> None:
    def program() -> None:
        network = pulumi.Output.from_input(VPC)
        targets = {"clients": {"service_accounts": ["clients@p.iam.gserviceaccount.com"]}}  # a cloud plan: agents
        EgressFirewallPolicy(
            "egress",
            {"plan": cloud_plan, "targets": targets, "options": {"scope": scope, "networks": [network], **extra}},
        )

    run = run_program(program)
    registered = repr([resource.inputs for resource in run.resources])
    assert "pulumi-output" not in registered
    [policy] = [resource for resource in run.resources if "PolicyWithRules" in resource.type]
    if scope == "organization":
        assert all(rule["targetResources"] == [VPC] for rule in policy.inputs["rules"])
    else:
        [association] = [resource for resource in run.resources if "Association" in resource.type]
        assert association.inputs["attachmentTarget"] == VPC


def test_warnings_never_name_the_stand_in_of_an_output() -> None:
    import pulumi

    from sep_egress.gcp import EgressFirewallPolicy, EgressNat

    network = pulumi.Output.from_input("projects/p/global/networks/n")
    subnetwork = pulumi.Output.from_input("projects/p/regions/europe-west1/subnetworks/s")
    selection = {"version": "14.3 RU1", "mode": "cloud"}
    firewall = EgressFirewallPolicy.prepare(
        {
            "selection": selection,
            "targets": {"clients": {"service_accounts": ["a@p.iam.gserviceaccount.com"]}},
            "options": {"networks": [network]},
        }
    )[0]
    nat = EgressNat.prepare(
        {"selection": selection, "options": {"region": "europe-west1", "network": network, "subnetworks": [subnetwork]}}
    )[0]
    messages = [warning.message for warning in (*firewall.warnings, *nat.warnings)]
    assert any("the associated networks" in message for message in messages)
    assert any("a subnetwork given as a pulumi.Output" in message for message in messages)
    assert not any("pulumi-output" in message for message in messages), messages


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
                # Two networks: an organization key (a project key made for one network is refused with two).
                secure_tags=SecureTagsArgs(parent=pulumi.Output.from_input("organizations/77")),
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
    assert key.inputs["parent"] == "organizations/77"
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
            {"selection": CLOUD, "targets": {"clients": {"service_accounts": [pulumi.Output.from_input("a@b.cd")]}}},
            r"^options\.networks: a network policy does nothing",
        ),
        (
            EgressFirewallPolicy,
            {
                "selection": CLOUD,
                "targets": {"clients": {"service_accounts": [pulumi.Output.from_input("a@b.cd"), "bad"]}},
                "options": {"networks": [NETWORK]},
            },
            r"^targets\.clients\.service_accounts\[1\]: 'bad' is not a service account",
        ),
    ],
)
def test_an_output_where_the_compiler_needs_the_value_says_why(component: Any, args: dict, message: str) -> None:
    record = MockRun()
    with pytest.raises(GcpSpecError, match=named(component.__name__, "strict", message)):
        run_program(lambda: component("strict", args), record=record)
    assert record.resources == []


@pytest.mark.parametrize("existing", [None, "landing-zone"])
def test_targets_may_be_outputs_of_resources_of_the_same_stack(hybrid_plan: EgressPlan, existing: str | None) -> None:
    """A service account and a tag value created in the same program are passed as Outputs: the rules get their
    values; rule names and priorities are those of plain targets (they derive from the kinds, never the values);
    two kinds given the same Output share their rules, as with the same plain value."""
    import pulumi_gcp as gcp

    options: dict[str, Any] = {"existing_policy": existing} if existing else {"networks": [NETWORK]}

    def program(outputs: bool) -> None:
        agent: Any = "agent@p.iam.gserviceaccount.com"
        admin: Any = "tagValues/42"
        if outputs:
            account = gcp.serviceaccount.Account("agent", account_id="agent")
            agent = account.account_id.apply(lambda name: f"{name}@p.iam.gserviceaccount.com")
            admin = pulumi.Output.from_input("tagValues/42")
        targets = {
            "clients": {"service_accounts": [agent]},
            "managers": {"service_accounts": [agent], "runs_agent": True},
            "admin-workstations": {"secure_tags": [admin]},
        }
        EgressFirewallPolicy("egress", {"plan": hybrid_plan, "targets": targets, "options": options})

    plain, given = run_program(lambda: program(False)), run_program(lambda: program(True))

    def rules(run: MockRun) -> list[dict[str, Any]]:
        return [
            rule
            for resource in run.resources
            if resource.type.endswith(("PolicyWithRules", "PolicyRule"))
            for rule in resource.inputs.get("rules", [resource.inputs])
        ]

    assert "pulumi-output" not in repr([resource.inputs for resource in given.resources])
    assert rules(given) == rules(plain)
    accounts = {account for rule in rules(given) for account in rule.get("targetServiceAccounts", [])}
    assert accounts == {"agent@p.iam.gserviceaccount.com"}  # clients and managers share one group
    assert any(rule.get("targetSecureTags") == [{"name": "tagValues/42"}] for rule in rules(given))
