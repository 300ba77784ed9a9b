"""NetworkFirewallAllowlist under Pulumi's mock engine: what it registers, with which inputs and parents."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from sep_egress.aws import (
    TYPE_TOKEN,
    DistributionSettings,
    FirewallSettings,
    LoggingSettings,
    NetworkFirewallAllowlist,
    NetworkFirewallAllowlistArgs,
    compile_args,
)
from sep_egress.catalog import Catalog, EgressPlan, SourcedOverlay, parse_overlay, select
from sep_egress.compile.aws import AwsFirewallError
from sep_egress.errors import SepEgressError
from sep_egress.mock_engine import MockRun, RegisteredResource, run_program
from sep_egress.preview import classify_changes

RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
SOURCES = {
    "agent": ["10.10.0.0/16"],
    "agent-cloud": ["10.11.0.0/16"],
    "sepm": ["10.20.0.10/32"],
    "sepm-cloud": ["10.21.0.0/24"],
    "console": ["192.168.50.0/24"],
}


def args_for(plan: EgressPlan, **extra: Any) -> NetworkFirewallAllowlistArgs:
    return NetworkFirewallAllowlistArgs(source_cidrs={role: SOURCES[role] for role in plan.roles}, **extra)


def run_component(args: NetworkFirewallAllowlistArgs, plan: EgressPlan | None = None, **options: Any) -> MockRun:
    def program() -> None:
        allowlist = NetworkFirewallAllowlist("sep", args, pulumi.ResourceOptions(**options), plan=plan)
        pulumi.export("ruleGroupArns", allowlist.rule_group_arns)
        pulumi.export("ruleGroupReferences", allowlist.rule_group_references)
        pulumi.export("firewallPolicyArn", allowlist.firewall_policy_arn)
        pulumi.export("allowedHosts", allowlist.allowed_hosts)
        pulumi.export("tlsInspectionBypass", allowlist.tls_inspection_bypass)
        pulumi.export("skippedRoles", allowlist.skipped_roles)

    return run_program(program)


def component(run: MockRun) -> RegisteredResource:
    [found] = run.of_type(TYPE_TOKEN)
    return found


@pytest.mark.parametrize("fixture", ["on_prem_plan", "hybrid_plan", "cloud_plan"])
@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_registers_rule_groups_and_a_strict_policy(request: pytest.FixtureRequest, fixture: str, style: str) -> None:
    plan: EgressPlan = request.getfixturevalue(fixture)
    args = args_for(plan, style=style)
    spec = compile_args(args, plan)
    run = run_component(args, plan)
    parent = component(run).urn
    assert all(resource.parent == parent for resource in run.resources if resource.type != TYPE_TOKEN)

    # Registrations arrive in whatever order the engine's tasks resolve: compare by logical name.
    groups = {group.name: group for group in run.of_type(RULE_GROUP)}
    assert sorted(groups) == sorted(f"sep-{group.key}" for group in spec.groups)
    for compiled in spec.groups:
        registered = groups[f"sep-{compiled.key}"]
        inputs = registered.inputs
        assert inputs["type"] == "STATEFUL"
        assert inputs["capacity"] == compiled.capacity
        assert inputs["name"] == compiled.name
        assert inputs["ruleGroup"]["statefulRuleOptions"] == {"ruleOrder": "STRICT_ORDER"}
        source = inputs["ruleGroup"]["rulesSource"]
        if compiled.kind == "rules-string":
            assert source == {"rulesString": compiled.rules_string}
        else:
            assert style == "domain-list"
            assert source["rulesSourceList"]["generatedRulesType"] == "ALLOWLIST"
        assert not registered.delete_before_replace  # create the replacement first

    assert spec.groups[-1].key == "guard"  # both styles: the non-TCP drops come last
    [policy] = run.of_type(POLICY)
    document = policy.inputs["firewallPolicy"]
    assert document["statefulDefaultActions"] == ["aws:drop_established", "aws:alert_established"]
    assert document["statefulEngineOptions"] == {"ruleOrder": "STRICT_ORDER"}
    [home_net] = document["policyVariables"]["ruleVariables"]
    assert home_net["key"] == "HOME_NET" and home_net["ipSet"]["definitions"] == list(spec.home_net)
    references = document["statefulRuleGroupReferences"]
    assert [reference["priority"] for reference in references] == [group.priority for group in spec.groups]
    assert run.outputs["ruleGroupArns"] == [reference["resourceArn"] for reference in references]
    assert run.outputs["tlsInspectionBypass"] == list(plan.tls_inspection_bypass)
    assert set(run.outputs["allowedHosts"]) == set(plan.roles)


def test_a_stack_that_owns_its_policy_gets_arns_and_priorities(hybrid_plan: EgressPlan) -> None:
    run = run_component(args_for(hybrid_plan, create_policy=False), hybrid_plan)
    assert not run.of_type(POLICY)
    references = run.outputs["ruleGroupReferences"]
    assert [reference["priority"] for reference in references] == [100, 2000]
    assert run.outputs["firewallPolicyArn"] is None


def test_selection_fields_build_the_plan(hybrid_plan: EgressPlan) -> None:
    args = NetworkFirewallAllowlistArgs(
        mode="hybrid", roles=["console"], version="14.3 RU1", source_cidrs={"agent": ["10.10.0.0/16"]}
    )
    run = run_component(args)
    assert run.outputs["skippedRoles"] == ["agent-cloud", "sepm", "sepm-cloud", "console"]
    assert set(run.outputs["allowedHosts"]) == {"agent"}
    assert len(run.outputs["allowedHosts"]["agent"]) == len(hybrid_plan.rules_for("agent"))


def test_firewall_and_logging_to_s3(cloud_plan: EgressPlan) -> None:
    args = args_for(
        cloud_plan,
        firewall=FirewallSettings(vpc_id="vpc-0abc", subnet_ids=["subnet-1", "subnet-2"]),
        logging=LoggingSettings(
            destination_type="S3", alert_destination="nfw-logs", flow_destination="nfw-logs", s3_prefix="sep"
        ),
    )
    run = run_component(args, cloud_plan)
    [firewall] = run.of_type("aws:networkfirewall/firewall:Firewall")
    assert firewall.inputs["subnetMappings"] == [{"subnetId": "subnet-1"}, {"subnetId": "subnet-2"}]
    assert firewall.inputs["firewallPolicyArn"].endswith("sep-policy")
    assert firewall.inputs["deleteProtection"] is True
    [logging] = run.of_type("aws:networkfirewall/loggingConfiguration:LoggingConfiguration")
    configs = logging.inputs["loggingConfiguration"]["logDestinationConfigs"]
    assert [(config["logType"], config["logDestinationType"]) for config in configs] == [
        ("ALERT", "S3"),
        ("FLOW", "S3"),
    ]
    assert configs[0]["logDestination"] == {"bucketName": "nfw-logs", "prefix": "sep"}


def test_firewall_manager_distributes_the_rule_groups(hybrid_plan: EgressPlan) -> None:
    distribution = DistributionSettings(method="firewall-manager", include_org_units=["ou-ab12-cdef3456"])
    run = run_component(args_for(hybrid_plan, distribution=distribution), hybrid_plan)
    [policy] = run.of_type("aws:fms/policy:Policy")
    assert policy.inputs["resourceType"] == "AWS::EC2::VPC"
    assert policy.inputs["includeMap"] == {"orgunits": ["ou-ab12-cdef3456"]}
    assert policy.inputs["remediationEnabled"] is False
    data = policy.inputs["securityServicePolicyData"]
    assert data["type"] == "NETWORK_FIREWALL"
    managed = json.loads(data["managedServiceData"])
    assert managed["networkFirewallStatefulDefaultActions"] == ["aws:drop_established", "aws:alert_established"]
    arns = [reference["resourceARN"] for reference in managed["networkFirewallStatefulRuleGroupReferences"]]
    assert arns == run.outputs["ruleGroupArns"]


def test_ram_shares_every_rule_group_with_the_principals(on_prem_plan: EgressPlan) -> None:
    principals = ["123456789012", "arn:aws:organizations::111122223333:organization/o-abc123"]
    run = run_component(
        args_for(on_prem_plan, distribution=DistributionSettings(method="ram", principals=principals)), on_prem_plan
    )
    [share] = run.of_type("aws:ram/resourceShare:ResourceShare")
    assert share.inputs["allowExternalPrincipals"] is False
    associations = run.of_type("aws:ram/resourceAssociation:ResourceAssociation")
    assert sorted(association.inputs["resourceArn"] for association in associations) == sorted(
        run.outputs["ruleGroupArns"]
    )
    shared_with = run.of_type("aws:ram/principalAssociation:PrincipalAssociation")
    assert sorted(association.inputs["principal"] for association in shared_with) == sorted(principals)


def test_caller_options_pass_through(on_prem_plan: EgressPlan) -> None:
    run = run_component(args_for(on_prem_plan), on_prem_plan, protect=True)
    assert component(run).protect


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (NetworkFirewallAllowlistArgs(source_cidrs={"agent": ["10.0.0.0/8"]}), "version: "),
        (NetworkFirewallAllowlistArgs(version="14.3 RU1", mode="moon", source_cidrs={}), "unknown management mode"),
        (
            NetworkFirewallAllowlistArgs(version="14.3 RU1", mode="on-prem", source_cidrs={"agent": ["0.0.0.0/0"]}),
            "source_cidrs['agent'][0]",
        ),
        (
            NetworkFirewallAllowlistArgs(
                version="14.3 RU1",
                mode="on-prem",
                source_cidrs={"agent": ["10.0.0.0/8"]},
                firewall=FirewallSettings(vpc_id="vpc-1", subnet_ids=[]),
            ),
            "firewall.subnet_ids: at least one value is required",
        ),
        (
            NetworkFirewallAllowlistArgs(
                version="14.3 RU1",
                mode="on-prem",
                source_cidrs={"agent": ["10.0.0.0/8"]},
                logging=LoggingSettings(alert_destination="/logs"),
            ),
            "logging: firewall logs need the firewall",
        ),
        (
            NetworkFirewallAllowlistArgs(
                version="14.3 RU1",
                mode="on-prem",
                source_cidrs={"agent": ["10.0.0.0/8"]},
                distribution=DistributionSettings(method="ram"),
            ),
            "distribution.principals: at least one value is required",
        ),
        (
            NetworkFirewallAllowlistArgs(
                version="14.3 RU1",
                mode="on-prem",
                source_cidrs={"agent": ["10.0.0.0/8"]},
                distribution=DistributionSettings(method="firewall-manager", include_accounts=["12345"]),
            ),
            "distribution.include_accounts[0]",
        ),
    ],
)
def test_invalid_inputs_fail_before_any_resource_is_registered(
    args: NetworkFirewallAllowlistArgs, message: str
) -> None:
    errors: list[SepEgressError] = []

    def program() -> None:
        try:
            NetworkFirewallAllowlist("sep", args)
        except SepEgressError as error:
            errors.append(error)

    run = run_program(program)
    assert run.resources == []
    assert len(errors) == 1 and message in str(errors[0])


def test_a_plan_and_a_selection_together_are_refused(on_prem_plan: EgressPlan) -> None:
    with pytest.raises(AwsFirewallError, match="plan: pass either a plan or a selection"):
        compile_args(NetworkFirewallAllowlistArgs(version="14.3 RU1", source_cidrs=SOURCES), on_prem_plan)


@pytest.mark.parametrize(
    ("selection", "named"),
    [
        ({"storage": "aws"}, "storage"),
        ({"storage": "both"}, "storage"),  # even the value it would default to: the plan decides, not this
        ({"proxy": True}, "proxy"),
        ({"proxy": False}, "proxy"),
        ({"mode": "cloud", "proxy": True}, "mode, proxy"),
    ],
)
def test_proxy_and_storage_with_a_plan_are_refused_not_ignored(
    on_prem_plan: EgressPlan, selection: dict[str, Any], named: str
) -> None:
    """What the program does with `sep-egress:aws` (from_mapping, then a plan from the stack's selection)."""
    args = NetworkFirewallAllowlistArgs.from_mapping({"source_cidrs": {"agent": ["10.10.0.0/16"]}, **selection})
    with pytest.raises(AwsFirewallError, match=f"plan: pass either a plan or a selection .*decides {named} ") as raised:
        compile_args(args, on_prem_plan)
    first = named.split(",")[0]
    assert str(raised.value).endswith(f"(in a stack: set sep-egress:{first}, not sep-egress:aws.{first})")


def test_proxy_and_storage_not_given_select_as_false_and_both(catalog: Catalog) -> None:
    args = NetworkFirewallAllowlistArgs(version="14.2", mode="on-prem", source_cidrs={"agent": ["10.10.0.0/16"]})
    assert args.proxy is None and args.storage is None
    given = NetworkFirewallAllowlistArgs(
        version="14.2", mode="on-prem", proxy=False, storage="both", source_cidrs={"agent": ["10.10.0.0/16"]}
    )
    assert compile_args(args).allowed_by_role == compile_args(given).allowed_by_role
    plan = select(catalog, version="14.2", mode="on-prem")
    assert (
        compile_args(args).allowed_by_role
        == compile_args(NetworkFirewallAllowlistArgs(source_cidrs={"agent": ["10.10.0.0/16"]}), plan).allowed_by_role
    )
    proxied = NetworkFirewallAllowlistArgs(
        version="14.2", mode="on-prem", proxy=True, source_cidrs={"sepm": ["10.20.0.10/32"]}
    )
    assert any(entry.endswith(":80/http") for entry in compile_args(proxied).allowed_by_role["sepm"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"proxy": "yes"}, "proxy: true or false, not 'yes'"),
        ({"storage": 3}, "storage: one of both, gcp or aws, not 3"),
        ({"headroom_percent": True}, "headroom_percent: True must be an integer"),
        ({"capacity_rounding": True}, "capacity_rounding: True must be an integer"),
        ({"min_capacity": True}, "min_capacity: True must be an integer"),
        ({"allow_any_source": 1}, "allow_any_source: must be true or false, not 1"),
        ({"allow_any_source": "false"}, "allow_any_source: must be true or false, not 'false'"),
        ({"create_policy": "true"}, "create_policy: true or false, not 'true'"),
        (
            {"firewall": {"vpc_id": "vpc-1", "subnet_ids": ["subnet-1"], "delete_protection": "no"}},
            "firewall.delete_protection: true or false, not 'no'",
        ),
        (
            {"distribution": {"method": "firewall-manager", "remediation_enabled": 1}},
            "distribution.remediation_enabled: true or false, not 1",
        ),
    ],
)
def test_booleans_and_integers_are_type_checked(values: dict[str, Any], message: str) -> None:
    args = NetworkFirewallAllowlistArgs.from_mapping(
        {"version": "14.3 RU1", "mode": "on-prem", "source_cidrs": {"agent": ["10.10.0.0/16"]}, **values}
    )
    with pytest.raises(AwsFirewallError) as raised:
        compile_args(args)
    assert message in str(raised.value)


def test_args_from_plain_configuration() -> None:
    args = NetworkFirewallAllowlistArgs.from_mapping(
        {
            "version": "14.3 RU1",
            "mode": "cloud",
            "source_cidrs": {"agent": ["10.10.0.0/16"]},
            "firewall": {"vpc_id": "vpc-1", "subnet_ids": ["subnet-1"]},
        }
    )
    assert args.firewall == FirewallSettings(vpc_id="vpc-1", subnet_ids=["subnet-1"])
    with pytest.raises(AwsFirewallError, match="aws: unknown option"):
        NetworkFirewallAllowlistArgs.from_mapping({"version": "14.3 RU1", "sources": {}})
    with pytest.raises(AwsFirewallError, match="firewall: unknown option"):
        NetworkFirewallAllowlistArgs.from_mapping({"firewall": {"vpc": "vpc-1"}})


def registrations(run: MockRun) -> list[tuple[str, str, dict[str, Any]]]:
    return [(resource.type, resource.name, resource.inputs) for resource in run.resources]


def test_adding_one_host_updates_one_rule_group_in_place(catalog: Catalog) -> None:
    def plan_with(hosts: list[str]) -> EgressPlan:
        entries = [{"id": "extra", "role": "agent", "usage": {"en": "extra"}, "urls": hosts, "ports": [443]}]
        overlay = SourcedOverlay("extra.yaml", parse_overlay({"entries": entries}, "extra.yaml"))
        return select(catalog, mode="hybrid", roles=["console"], version="14.3 RU1", overlays=[overlay])

    before, after = plan_with(["a.example.com"]), plan_with(["a.example.com", "b.example.com"])
    distribution = DistributionSettings(method="ram", principals=["123456789012"])
    old = run_component(args_for(before, distribution=distribution), before)
    new = run_component(args_for(after, distribution=distribution), after)
    changes = classify_changes(registrations(old), registrations(new))
    assert changes == {"create": [], "delete": [], "update": [f"{RULE_GROUP}::sep-allow-1"], "replace": []}


def test_a_capacity_change_is_classified_as_a_replacement() -> None:
    before = [(RULE_GROUP, "sep-allow-1", {"name": "a", "capacity": 100, "ruleGroup": {}})]
    after = [(RULE_GROUP, "sep-allow-1", {"name": "b", "capacity": 200, "ruleGroup": {}})]
    assert classify_changes(before, after)["replace"] == [f"{RULE_GROUP}::sep-allow-1"]
