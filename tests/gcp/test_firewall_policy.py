"""The GCP components under Pulumi's mock engine: what each registers, with which inputs, for the three modes."""

from __future__ import annotations

import itertools
from typing import Any

import pulumi
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import MACHINE_KINDS, GcpSpecError
from sep_egress.compile.gcp.options import KIND_ROLES
from sep_egress.gcp import EgressFirewallPolicy, EgressNat, StoragePrivateAccess
from sep_egress.mock_engine import MockRun, run_program

from support import ASSOCIATION, CLOUD, NAT_OPTIONS, NETWORK, assert_conforms_to_sdk

pytestmark = pytest.mark.pulumi

POLICY = "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules"


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


@pytest.mark.real_program
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
        # The SEPM runs the SEP client too (runs_agent: true): its machine plays the clients' roles as well.
        (
            "prod",
            {
                "clients": [
                    ("account", "sep-agent@sep-prod-network.iam.gserviceaccount.com"),
                    ("account", "sepm@sep-prod-network.iam.gserviceaccount.com"),
                ],
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
    from sep_egress.compile.gcp.evaluate import Machine, check_machines, policy_from_api
    from sep_egress.compile.gcp.options import GOOGLE_ACCESS_RANGES
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
