"""NetworkFirewallAllowlist under Pulumi's mock engine: what it registers, with which inputs and parents."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from sep_egress.arguments import SelectionArgs
from sep_egress.aws import (
    OUTPUTS,
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
from sep_egress.program import prepare_deployment
from sep_egress.settings import parse_stack_config

from support import ROOT

pytestmark = pytest.mark.pulumi

RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
PRINCIPAL = "aws:ram/principalAssociation:PrincipalAssociation"
POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
SOURCES = {
    "agent": ["10.10.0.0/16"],
    "agent-cloud": ["10.11.0.0/16"],
    "sepm": ["10.20.0.10/32"],
    "sepm-cloud": ["10.21.0.0/24"],
    "console": ["192.168.50.0/24"],
}


def args_for(plan: EgressPlan, **extra: Any) -> NetworkFirewallAllowlistArgs:
    # A fixed prefix: compile_args outside the mock engine sees another project and stack than the run inside it
    # (the per-stack default has its own tests below).
    extra.setdefault("name_prefix", "sep-egress")
    return NetworkFirewallAllowlistArgs(plan=plan, source_cidrs={role: SOURCES[role] for role in plan.roles}, **extra)


def run_component(args: NetworkFirewallAllowlistArgs, **options: Any) -> MockRun:
    def program() -> None:
        allowlist = NetworkFirewallAllowlist("sep", args, pulumi.ResourceOptions(**options))
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
    spec = compile_args(args)
    run = run_component(args)
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
    assert document["statefulDefaultActions"] == [
        "aws:drop_established_app_layer_to_server",
        "aws:alert_established_app_layer_to_server",
    ]
    assert document["statefulEngineOptions"] == {
        "ruleOrder": "STRICT_ORDER",
        "streamExceptionPolicy": "REJECT",
        "flowTimeouts": {"tcpIdleTimeoutSeconds": 350},
    }
    [home_net] = document["policyVariables"]["ruleVariables"]
    assert home_net["key"] == "HOME_NET" and home_net["ipSet"]["definitions"] == list(spec.home_net)
    references = document["statefulRuleGroupReferences"]
    assert [reference["priority"] for reference in references] == [group.priority for group in spec.groups]
    assert run.outputs["ruleGroupArns"] == [reference["resourceArn"] for reference in references]
    assert run.outputs["tlsInspectionBypass"] == list(plan.tls_inspection_bypass)
    assert set(run.outputs["allowedHosts"]) == set(plan.roles)


def test_a_stack_that_owns_its_policy_gets_arns_and_priorities(hybrid_plan: EgressPlan) -> None:
    run = run_component(args_for(hybrid_plan, create_policy=False))
    assert not run.of_type(POLICY)
    references = run.outputs["ruleGroupReferences"]
    assert [reference["priority"] for reference in references] == [100, 2000]
    assert run.outputs["firewallPolicyArn"] is None


def test_selection_fields_build_the_plan(hybrid_plan: EgressPlan) -> None:
    args = NetworkFirewallAllowlistArgs(
        selection=SelectionArgs(mode="hybrid", roles=["console"], version="14.3 RU1"),
        source_cidrs={"agent": ["10.10.0.0/16"]},
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
    run = run_component(args)
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
    distribution = DistributionSettings(
        method="firewall-manager", include_org_units=["ou-ab12-cdef3456"], default_actions="drop_established"
    )
    run = run_component(args_for(hybrid_plan, distribution=distribution))
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
    notes = run.registered_outputs[component(run).urn]["notes"]
    [note] = [note for note in notes if note.startswith("Firewall Manager")]
    assert "aws:drop_established, aws:alert_established apply to every VPC in scope" in note
    assert "OUs ou-ab12-cdef3456" in note and "remediation off (audit)" in note


def test_ram_shares_the_allow_groups_never_the_guard(on_prem_plan: EgressPlan) -> None:
    principals = ["123456789012", "arn:aws:organizations::111122223333:organization/o-abc123"]
    args = args_for(on_prem_plan, distribution=DistributionSettings(method="ram", principals=principals))
    spec = compile_args(args)
    run = run_component(args)
    [share] = run.of_type("aws:ram/resourceShare:ResourceShare")
    assert share.inputs["allowExternalPrincipals"] is False
    associations = run.of_type("aws:ram/resourceAssociation:ResourceAssociation")
    guard = next(group for group in spec.groups if group.key == "guard")
    allow = [group for group in spec.groups if group.key != "guard"]
    assert allow
    assert sorted(association.inputs["resourceArn"] for association in associations) == sorted(
        f"arn:aws:networkfirewall:us-east-1:123456789012:sep-{group.key}" for group in allow
    )
    assert all(not association.name.endswith("-guard") for association in associations)
    assert guard.name not in json.dumps([association.inputs for association in associations])
    shared_with = run.of_type("aws:ram/principalAssociation:PrincipalAssociation")
    assert sorted(association.inputs["principal"] for association in shared_with) == sorted(principals)
    outputs = run.registered_outputs[component(run).urn]
    assert [reference["priority"] for reference in outputs["shared_rule_group_references"]] == [
        group.priority for group in allow
    ]
    [note] = [note for note in outputs["notes"] if note.startswith("Sharing: RAM")]
    assert f"not shared: guard ({guard.name})" in note and "aws:drop_established_app_layer_to_server" in note


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_only_groups_that_never_refuse_are_shareable(hybrid_plan: EgressPlan, style: str) -> None:
    """Judged on the rules, not only the key: every shared group's rules pass (or alert), none drops or rejects."""
    from sep_egress.aws import distributed_groups, shareable

    args = args_for(
        hybrid_plan,
        style=style,
        pass_alert=style == "suricata",
        distribution={"method": "ram", "principals": ["123456789012"]},
    )
    spec = compile_args(args)
    shared = distributed_groups(args, spec)
    assert shared and all(group.key != "guard" for group in shared)
    for group in shared:
        actions = {line.split(" ", 1)[0] for line in group.rules_string.splitlines() if line}
        assert actions <= {"pass", "alert"}, (group.key, actions)
    guard = spec.group("guard")
    assert not shareable(guard)
    # a group that refused anything would not be shared, whatever its key
    refusing = replace(
        guard, key="allow-9", rule_group={**guard.rule_group, "RulesSource": {"RulesString": "reject tls any any"}}
    )
    assert not shareable(refusing)


def test_ram_refuses_to_include_the_guard(on_prem_plan: EgressPlan) -> None:
    distribution = {"method": "ram", "principals": ["123456789012"], "include_guard": True}
    with pytest.raises(SepEgressError, match=r"^distribution\.include_guard: a RAM share never includes the guard"):
        compile_args(args_for(on_prem_plan, distribution=distribution))


def test_firewall_manager_can_leave_the_guard_out(hybrid_plan: EgressPlan) -> None:
    distribution = DistributionSettings(method="firewall-manager", default_actions="none", include_guard=False)
    args = args_for(hybrid_plan, distribution=distribution)
    spec = compile_args(args)
    run = run_component(args)
    [policy] = run.of_type("aws:fms/policy:Policy")
    managed = json.loads(policy.inputs["securityServicePolicyData"]["managedServiceData"])
    referenced = [reference["resourceARN"] for reference in managed["networkFirewallStatefulRuleGroupReferences"]]
    assert referenced == [
        f"arn:aws:networkfirewall:us-east-1:123456789012:sep-{group.key}"
        for group in spec.groups
        if group.key != "guard"
    ]
    assert any("include_guard: false" in note for note in spec.notes)


def test_caller_options_pass_through(on_prem_plan: EgressPlan) -> None:
    run = run_component(args_for(on_prem_plan), protect=True)
    assert component(run).protect


ON_PREM = {"version": "14.3 RU1", "mode": "on-prem"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"selection": {"mode": "on-prem"}, "source_cidrs": {"agent": ["10.0.0.0/8"]}}, "selection.version: "),
        ({"selection": {"version": "14.3 RU1", "mode": "moon"}}, "selection.mode: unknown management mode"),
        ({"selection": ON_PREM, "source_cidrs": {"agent": ["0.0.0.0/0"]}}, "source_cidrs['agent'][0]"),
        (
            {
                "selection": ON_PREM,
                "source_cidrs": {"agent": ["10.0.0.0/8"]},
                "firewall": {"vpc_id": "vpc-1", "subnet_ids": []},
            },
            "firewall.subnet_ids: at least one value is required",
        ),
        (
            {
                "selection": ON_PREM,
                "source_cidrs": {"agent": ["10.0.0.0/8"]},
                "firewall": {"vpc_id": "vpc1", "subnet_ids": ["subnet-1"]},
            },
            "firewall.vpc_id: 'vpc1' is not a VPC id",
        ),
        (
            {"selection": ON_PREM, "source_cidrs": {"agent": ["10.0.0.0/8"]}, "logging": {"alert_destination": "/l"}},
            "logging: firewall logs need the firewall",
        ),
        (
            {"selection": ON_PREM, "source_cidrs": {"agent": ["10.0.0.0/8"]}, "distribution": {"method": "ram"}},
            "distribution.principals: at least one value is required",
        ),
        (
            {
                "selection": ON_PREM,
                "source_cidrs": {"agent": ["10.0.0.0/8"]},
                "distribution": {
                    "method": "firewall-manager",
                    "include_accounts": ["12345"],
                    "default_actions": "none",
                },
            },
            "distribution.include_accounts[0]",
        ),
        ({"source_cidrs": {"agent": ["10.0.0.0/8"]}}, "selection: the catalog selection"),
        ({"version": "14.3 RU1"}, "version: unknown argument; the catalog selection is nested: selection.version"),
    ],
)
def test_invalid_inputs_fail_before_any_resource_is_registered(args: dict[str, Any], message: str) -> None:
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
    args = NetworkFirewallAllowlistArgs(
        selection=SelectionArgs(version="14.3 RU1"), plan=on_prem_plan, source_cidrs=SOURCES
    )
    with pytest.raises(AwsFirewallError, match="plan: pass either a plan or a selection"):
        compile_args(args)


@pytest.mark.parametrize(
    ("selection", "named"),
    [
        ({"storage": "aws"}, "storage"),
        ({"storage": "both"}, "storage"),  # even the value it would default to: the stack's keys decide, not this
        ({"proxy": True}, "proxy"),
        ({"proxy": False}, "proxy"),
        ({"mode": "cloud", "proxy": True}, "mode, proxy"),
        ({"selection": {"version": "14.3 RU1"}}, "selection"),
    ],
)
def test_a_selection_inside_the_stack_aws_block_is_refused_not_ignored(
    tmp_path: Any, selection: dict[str, Any], named: str
) -> None:
    """The stack's sep-egress:mode, version, proxy, storage... decide the plan of every component."""
    values = {
        "sep-egress:version": "14.3 RU1",
        "sep-egress:mode": "on-prem",
        "sep-egress:aws": {"source_cidrs": {"agent": ["10.10.0.0/16"]}, **selection},
    }
    config = parse_stack_config(values, "Pulumi.test.yaml", tmp_path)
    with pytest.raises(SepEgressError, match=f"already decides {named} ") as raised:
        prepare_deployment(config)
    first = named.split(",")[0]
    key = first if first != "selection" else "version"
    assert str(raised.value).endswith(f"(in a stack: set sep-egress:{key}, not sep-egress:aws.{first})")


def test_proxy_and_storage_not_given_select_as_false_and_both(catalog: Catalog) -> None:
    sources = {"agent": ["10.10.0.0/16"]}
    args = NetworkFirewallAllowlistArgs(selection=SelectionArgs(version="14.2", mode="on-prem"), source_cidrs=sources)
    given = NetworkFirewallAllowlistArgs(
        selection=SelectionArgs(version="14.2", mode="on-prem", proxy=False, storage="both"), source_cidrs=sources
    )
    assert compile_args(args).allowed_by_role == compile_args(given).allowed_by_role
    plan = select(catalog, version="14.2", mode="on-prem")
    assert (
        compile_args(args).allowed_by_role
        == compile_args(NetworkFirewallAllowlistArgs(plan=plan, source_cidrs=sources)).allowed_by_role
    )
    proxied = NetworkFirewallAllowlistArgs(
        selection=SelectionArgs(version="14.2", mode="on-prem", proxy=True), source_cidrs={"sepm": ["10.20.0.10/32"]}
    )
    assert any(entry.endswith(":80/http") for entry in compile_args(proxied).allowed_by_role["sepm"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"selection": {**ON_PREM, "proxy": "yes"}}, "selection.proxy: true or false, not 'yes'"),
        ({"selection": {**ON_PREM, "storage": 3}}, "selection.storage: 3 is not a string"),
        ({"headroom_percent": True}, "headroom_percent: True is not an integer"),
        ({"capacity_rounding": True}, "capacity_rounding: True is not an integer"),
        ({"min_capacity": "100"}, "min_capacity: '100' is not an integer"),
        ({"max_rules_bytes": 500}, "max_rules_bytes: 500 must be an integer from 1000"),
        ({"allow_any_source": 1}, "allow_any_source: true or false, not 1"),
        ({"allow_any_source": "false"}, "allow_any_source: true or false, not 'false'"),
        ({"create_policy": "true"}, "create_policy: true or false, not 'true'"),
        (
            {"firewall": {"vpc_id": "vpc-1", "subnet_ids": ["subnet-1"], "delete_protection": "no"}},
            "firewall.delete_protection: true or false, not 'no'",
        ),
        (
            {"distribution": {"method": "firewall-manager", "remediation_enabled": 1}},
            "distribution.remediation_enabled: true or false, not 1",
        ),
        ({"distribution": {"method": "share"}}, "distribution.method: 'share'; choose 'none', 'firewall-manager'"),
        ({"tags": {"team": 7}}, "tags.team: a string or a pulumi.Output of one, not 7"),
        ({"firewall": {"vpc_id": 7, "subnet_ids": ["subnet-1"]}}, "firewall.vpc_id: a string or a pulumi.Output"),
        ({"firewall": {"vpc_id": "vpc-1", "subnet_ids": ["subnet-1", 2]}}, "firewall.subnet_ids[1]: a string"),
    ],
)
def test_booleans_integers_and_strings_are_type_checked(values: dict[str, Any], message: str) -> None:
    with pytest.raises(AwsFirewallError) as raised:
        compile_args({"selection": ON_PREM, "source_cidrs": {"agent": ["10.10.0.0/16"]}, **values})
    assert message in str(raised.value)


def test_args_from_plain_configuration() -> None:
    args = NetworkFirewallAllowlistArgs.parse(
        {
            "selection": {"version": "14.3 RU1", "mode": "cloud"},
            "source_cidrs": {"agent": ["10.10.0.0/16"]},
            "firewall": {"vpc_id": "vpc-1", "subnet_ids": ["subnet-1"]},
        }
    )
    assert args.firewall == FirewallSettings(vpc_id="vpc-1", subnet_ids=["subnet-1"])
    with pytest.raises(AwsFirewallError, match=r"^sources: unknown argument; expected one of selection, plan"):
        NetworkFirewallAllowlistArgs.parse({"selection": ON_PREM, "sources": {}})
    with pytest.raises(AwsFirewallError, match=r"^firewall\.vpc: unknown argument; expected one of vpc_id"):
        NetworkFirewallAllowlistArgs.parse({"firewall": {"vpc": "vpc-1"}})
    with pytest.raises(AwsFirewallError, match=r"^args: a NetworkFirewallAllowlistArgs or a mapping"):
        NetworkFirewallAllowlistArgs.parse([("selection", ON_PREM)])


def test_keyword_construction_raises_the_same_error_with_the_full_path() -> None:
    """An args object built on its own is checked where it is used, so the error has its full path."""
    settings = FirewallSettings(vpc_id="vpc-1", subnet_ids="subnet-1")  # type: ignore[arg-type]
    assert not settings.is_checked
    with pytest.raises(AwsFirewallError, match=r"^subnet_ids: a list of strings, not 'subnet-1'"):
        FirewallSettings.parse(settings)
    args = NetworkFirewallAllowlistArgs(selection=SelectionArgs(**ON_PREM), firewall=settings)
    with pytest.raises(AwsFirewallError, match=r"^firewall\.subnet_ids: a list of strings, not 'subnet-1'"):
        NetworkFirewallAllowlistArgs.parse(args)
    with pytest.raises(AwsFirewallError, match=r"^firewall\.subnet_ids: a list of strings, not 'subnet-1'"):
        NetworkFirewallAllowlistArgs.parse(
            {"selection": ON_PREM, "firewall": {"vpc_id": "vpc-1", "subnet_ids": "subnet-1"}}
        )


def test_outputs_of_other_resources_pass_through(on_prem_plan: EgressPlan) -> None:
    """A VPC, subnets, a log group, a principal and tags created (or read) by the same stack."""
    import pulumi_aws as aws

    def program() -> None:
        vpc = aws.ec2.Vpc("vpc", cidr_block="10.0.0.0/16")
        subnet = aws.ec2.Subnet("fw", vpc_id=vpc.id, cidr_block="10.0.1.0/24")
        group = aws.cloudwatch.LogGroup("alerts", name="alerts")
        account = aws.get_caller_identity_output().account_id
        allowlist = NetworkFirewallAllowlist(
            "sep",
            NetworkFirewallAllowlistArgs(
                plan=on_prem_plan,
                source_cidrs={"agent": ["10.10.0.0/16"]},
                firewall=FirewallSettings(vpc_id=vpc.id, subnet_ids=[subnet.id]),
                logging=LoggingSettings(alert_destination=group.name),
                distribution=DistributionSettings(method="ram", principals=[account, "123456789012"]),
                tags={"owner": vpc.id.apply(lambda vpc_id: f"team-of-{vpc_id}")},
            ),
        )
        pulumi.export("firewall_arn", allowlist.firewall_arn)

    run = run_program(program)
    [firewall] = run.of_type("aws:networkfirewall/firewall:Firewall")
    assert firewall.inputs["vpcId"] == "vpc-id"
    assert firewall.inputs["subnetMappings"] == [{"subnetId": "fw-id"}]
    assert firewall.inputs["tags"] == {"managed-by": "sep-egress", "owner": "team-of-vpc-id"}
    [logging] = run.of_type("aws:networkfirewall/loggingConfiguration:LoggingConfiguration")
    assert logging.inputs["loggingConfiguration"]["logDestinationConfigs"][0]["logDestination"] == {
        "logGroup": "alerts"
    }
    principals = {item.name: item.inputs["principal"] for item in run.of_type(PRINCIPAL)}
    assert principals["sep-share-principal-input-0"] == "123456789012"
    assert len(principals) == 2
    assert run.outputs["firewall_arn"].endswith(":sep-firewall")


def test_whole_list_outputs_pass_through(on_prem_plan: EgressPlan) -> None:
    def program() -> None:
        subnets = pulumi.Output.from_input(["subnet-a", "subnet-b"])
        NetworkFirewallAllowlist(
            "sep",
            NetworkFirewallAllowlistArgs(
                plan=on_prem_plan,
                source_cidrs={"agent": ["10.10.0.0/16"]},
                firewall=FirewallSettings(vpc_id="vpc-1", subnet_ids=subnets),
                distribution=DistributionSettings(
                    method="firewall-manager",
                    include_accounts=pulumi.Output.from_input(["111122223333"]),
                    default_actions="none",
                ),
                tags=pulumi.Output.from_input({"team": "net"}),
            ),
        )

    run = run_program(program)
    [firewall] = run.of_type("aws:networkfirewall/firewall:Firewall")
    assert firewall.inputs["subnetMappings"] == [{"subnetId": "subnet-a"}, {"subnetId": "subnet-b"}]
    assert firewall.inputs["tags"] == {"managed-by": "sep-egress", "team": "net"}
    [fms] = run.of_type("aws:fms/policy:Policy")
    assert fms.inputs["includeMap"] == {"accounts": ["111122223333"]}


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("source_cidrs.agent[0]", lambda: {"source_cidrs": {"agent": [pulumi.Output.from_input("10.0.0.0/8")]}}),
        ("selection.version", lambda: {"selection": {"version": pulumi.Output.from_input("14.3 RU1")}}),
        ("headroom_percent", lambda: {"headroom_percent": pulumi.Output.from_input(25)}),
        ("name_prefix", lambda: {"name_prefix": pulumi.Output.from_input("sep")}),
        (
            "distribution.principals",
            lambda: {"distribution": {"method": "ram", "principals": pulumi.Output.from_input(["123456789012"])}},
        ),
    ],
)
def test_an_output_where_the_compiler_needs_the_value_says_why(field: str, make: Any) -> None:
    errors: list[str] = []

    def program() -> None:
        args = {"selection": ON_PREM, "source_cidrs": {"agent": ["10.10.0.0/16"]}, **make()}
        try:
            NetworkFirewallAllowlist("sep", args)
        except AwsFirewallError as error:
            errors.append(str(error))

    run = run_program(program)
    assert run.resources == []
    [message] = errors
    assert message.startswith(f"NetworkFirewallAllowlist 'sep': {field}: ")
    assert "must be known" in message


def test_every_documented_output_is_an_output_attribute_and_registered(on_prem_plan: EgressPlan) -> None:
    def program() -> None:
        allowlist = NetworkFirewallAllowlist("sep", args_for(on_prem_plan))
        for name in OUTPUTS:
            value = getattr(allowlist, name)
            assert isinstance(value, pulumi.Output), name
            pulumi.export(name, value)

    run = run_program(program)
    docs = (ROOT / "docs" / "aws.md").read_text(encoding="utf-8")
    [paragraph] = re.findall(r"^Outputs \(`pulumi.Output` attributes[^:]*:(.*?)\n\n", docs, re.DOTALL | re.MULTILINE)
    assert set(re.findall(r"`([a-z_]+)`", paragraph)) == set(OUTPUTS)
    registered = run.registered_outputs[component(run).urn]
    # The engine drops a None value (firewall_arn: no firewall created) from the registered outputs.
    assert set(registered) == {name for name in OUTPUTS if run.outputs[name] is not None}
    assert registered["rule_group_arns"] == run.outputs["rule_group_arns"]
    assert run.outputs["firewall_arn"] is None
    assert run.outputs["capacity"]["guard"]["priority"] > 0
    assert run.outputs["notes"] == list(compile_args(args_for(on_prem_plan)).notes)


def registrations(run: MockRun) -> list[tuple[str, str, dict[str, Any]]]:
    return [(resource.type, resource.name, resource.inputs) for resource in run.resources]


def test_adding_one_host_updates_one_rule_group_in_place(catalog: Catalog) -> None:
    def plan_with(hosts: list[str]) -> EgressPlan:
        entries = [{"id": "extra", "role": "agent", "usage": {"en": "extra"}, "urls": hosts, "ports": [443]}]
        overlay = SourcedOverlay("extra.yaml", parse_overlay({"entries": entries}, "extra.yaml"))
        return select(catalog, mode="hybrid", roles=["console"], version="14.3 RU1", overlays=[overlay])

    before, after = plan_with(["a.example.com"]), plan_with(["a.example.com", "b.example.com"])
    distribution = DistributionSettings(method="ram", principals=["123456789012"])
    old = run_component(args_for(before, distribution=distribution))
    new = run_component(args_for(after, distribution=distribution))
    changes = classify_changes(registrations(old), registrations(new))
    assert changes == {"create": [], "delete": [], "update": [f"{RULE_GROUP}::sep-allow-1"], "replace": []}


def test_a_capacity_change_is_classified_as_a_replacement() -> None:
    before = [(RULE_GROUP, "sep-allow-1", {"name": "a", "capacity": 100, "ruleGroup": {}})]
    after = [(RULE_GROUP, "sep-allow-1", {"name": "b", "capacity": 200, "ruleGroup": {}})]
    assert classify_changes(before, after)["replace"] == [f"{RULE_GROUP}::sep-allow-1"]


# --- issue items: shared groups, Firewall Manager scope, names per stack, policy options ----------------------------


def test_firewall_manager_needs_explicit_default_actions(hybrid_plan: EgressPlan) -> None:
    distribution = DistributionSettings(method="firewall-manager", include_accounts=["111122223333"])
    with pytest.raises(AwsFirewallError, match=r"distribution\.default_actions: required with firewall-manager"):
        compile_args(args_for(hybrid_plan, distribution=distribution))
    spec = compile_args(args_for(hybrid_plan, distribution=distribution.model_copy(update={"default_actions": "none"})))
    assert any("none (nothing dropped by default)" in note and "111122223333" in note for note in spec.notes)


def test_firewall_manager_scope_warning_reaches_the_preview(tmp_path: Any) -> None:
    """The stack's warnings (what the offline preview shows) carry the FMS scope, default actions and sources."""
    values = {
        "sep-egress:version": "14.3 RU1",
        "sep-egress:mode": "hybrid",
        "sep-egress:aws": {
            "source_cidrs": {"agent": ["10.10.0.0/16"]},
            "distribution": {"method": "firewall-manager", "default_actions": "drop_established"},
        },
    }
    deployment = prepare_deployment(parse_stack_config(values, "Pulumi.test.yaml", tmp_path))
    run = run_program(deployment.register)
    [warning] = [item for item in run.outputs["warnings"] if item["message"].startswith("Firewall Manager")]
    assert warning["source"] == "aws"
    assert "aws:drop_established, aws:alert_established apply to every VPC" in warning["message"]
    assert "EVERY account of the organization" in warning["message"] and "10.10.0.0/16" in warning["message"]


@pytest.mark.parametrize(
    "sharing",
    [
        {"create_policy": False},
        {"distribution": {"method": "ram", "principals": ["123456789012"]}},
        {"distribution": {"method": "firewall-manager", "default_actions": "none"}},
    ],
)
def test_shared_groups_reserve_a_generous_fixed_capacity(hybrid_plan: EgressPlan, sharing: dict[str, Any]) -> None:
    values = {"plan": hybrid_plan, "name_prefix": "sep-egress", "source_cidrs": {"agent": ["10.10.0.0/16"]}, **sharing}
    spec = compile_args(values)
    assert {group.capacity for group in spec.groups} == {1_000}
    assert any("Shared rule groups" in note for note in spec.notes)
    alone = compile_args({**values, "create_policy": True, "distribution": None})
    assert {group.capacity for group in alone.groups} == {100}  # not shared: the ladder, from 100


def big_overlay_plan(catalog: Catalog, hosts: int) -> EgressPlan:
    entries = [
        {
            "id": "bulk",
            "role": "agent",
            "usage": {"en": "bulk"},
            "urls": [f"https://h{i}.bulk.example" for i in range(hosts)],
        }
    ]
    overlay = SourcedOverlay("bulk.yaml", parse_overlay({"entries": entries}, "bulk.yaml"))
    return select(catalog, mode="hybrid", roles=["console"], version="14.3 RU1", overlays=[overlay])


def test_a_shared_group_that_would_be_replaced_is_stopped_before_anything_is_registered(catalog: Catalog) -> None:
    """Without the guard, a shared group outgrowing its capacity got a new capacity, hence a new ARN, while
    consumers' policies still referenced the old group: the change must stop with a message saying what to do."""
    plan = big_overlay_plan(catalog, 900)
    args = args_for(plan, distribution=DistributionSettings(method="ram", principals=["123456789012"]))
    with pytest.raises(AwsFirewallError) as raised:
        run_component(args)
    message = str(raised.value)
    assert message.startswith("NetworkFirewallAllowlist 'sep': min_capacity: rule group 'allow-1' (sep-egress-allow-1-")
    assert "needs capacity 1200" in message and "held at 1000" in message and "RAM share" in message
    assert "allow_shared_replacement: true" in message
    # the explicit way through: a larger floor, acknowledged
    allowed = compile_args(args.model_copy(update={"min_capacity": 1_200, "allow_shared_replacement": True}))
    assert allowed.group("allow-1").capacity == 1_200


def test_the_shared_replacement_guard_runs_before_any_registration(catalog: Catalog) -> None:
    plan = big_overlay_plan(catalog, 900)
    registered: list[str] = []

    def program() -> None:
        registered.append("start")
        NetworkFirewallAllowlist("sep", args_for(plan, create_policy=False))

    with pytest.raises(AwsFirewallError, match="create_policy is false"):
        run_program(program)
    assert registered == ["start"]


def test_default_names_are_unique_per_project_and_stack(hybrid_plan: EgressPlan) -> None:
    from sep_egress.aws import default_name_prefix

    assert re.fullmatch(r"sep-egress-dev-[0-9a-f]{6}", default_name_prefix("sep-egress", "dev"))
    assert re.fullmatch(r"sep-egress-network-team-eu-prod-[0-9a-f]{6}", default_name_prefix("Network_Team", "eu.prod"))
    long = default_name_prefix("p" * 80, "s")
    assert len(long) <= 64 and long != default_name_prefix("p" * 80, "t")
    # Pairs whose readable parts are the same still get different names.
    for first, second in (
        (("sep-egress", "foo-dev"), ("sep-egress-foo", "dev")),
        (("a-b", "c"), ("a", "b-c")),
        (("net_x", "dev"), ("net.x", "dev")),
        (("Dev", "x"), ("dev", "x")),
    ):
        assert default_name_prefix(*first) != default_name_prefix(*second), (first, second)
    values = {"plan": hybrid_plan, "source_cidrs": {"agent": ["10.10.0.0/16"]}}
    run = run_program(lambda: NetworkFirewallAllowlist("sep", values))  # the mock engine's project and stack
    [policy] = run.of_type(POLICY)
    prefix = default_name_prefix("sep-egress", "test")
    assert policy.inputs["name"] == f"{prefix}-policy"
    assert all(group.inputs["name"].startswith(f"{prefix}-") for group in run.of_type(RULE_GROUP))
    pinned = run_program(lambda: NetworkFirewallAllowlist("sep", {**values, "name_prefix": "sep-egress"}))
    assert pinned.of_type(POLICY)[0].inputs["name"] == "sep-egress-policy"  # the documented migration


def test_policy_options_and_block_action_reach_the_resources(hybrid_plan: EgressPlan) -> None:
    args = args_for(
        hybrid_plan,
        block_action="drop",
        pass_alert=True,
        default_actions="drop_strict",
        stream_exception_policy="CONTINUE",
        tcp_idle_timeout=600,
    )
    run = run_component(args)
    [policy] = run.of_type(POLICY)
    document = policy.inputs["firewallPolicy"]
    assert document["statefulDefaultActions"] == ["aws:drop_strict", "aws:alert_strict"]
    assert document["statefulEngineOptions"]["streamExceptionPolicy"] == "CONTINUE"
    assert document["statefulEngineOptions"]["flowTimeouts"] == {"tcpIdleTimeoutSeconds": 600}
    rules = {group.name: group.inputs["ruleGroup"]["rulesSource"]["rulesString"] for group in run.of_type(RULE_GROUP)}
    assert "reject" not in rules["sep-guard"] and "drop tls" in rules["sep-guard"]
    assert " alert; " in rules["sep-allow-1"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"block_action": "deny"}, "block_action"),
        ({"stream_exception_policy": "reject"}, "stream_exception_policy"),
        ({"tcp_idle_timeout": 30}, "tcp_idle_timeout: 30 must be an integer from 60 to 6000"),
        ({"default_actions": "drop_all"}, "default_actions"),
        ({"style": "domain-list", "pass_alert": True}, "pass_alert: only the suricata style"),
    ],
)
def test_new_options_are_validated(on_prem_plan: EgressPlan, extra: dict[str, Any], message: str) -> None:
    with pytest.raises(SepEgressError, match=message):
        compile_args({"plan": on_prem_plan, "source_cidrs": {"agent": ["10.0.0.0/8"]}, **extra})


def conformity_problems(kind: type, value: Any, path: str = "") -> list[str]:
    """Where ``value`` (the snake_case dicts the component passes) does not fit pulumi-aws's input class ``kind``:
    unknown keys, a nested block where the SDK expects a scalar, a scalar of the wrong type."""
    import inspect

    from pulumi_aws.networkfirewall import _inputs

    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__}, not a {kind.__name__} block"]
    parameters = inspect.signature(kind.__init__).parameters
    problems: list[str] = []
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key not in parameters:
            problems.append(f"{where}: not an input of {kind.__name__}")
            continue
        annotation = str(parameters[key].annotation)
        nested = re.search(r"'(\w+Args)'", annotation)
        items = item if isinstance(item, list) and "Sequence[" in annotation else [item]
        for element in items:
            if nested:
                problems += conformity_problems(getattr(_inputs, nested.group(1)), element, where)
            elif "_builtins.int" in annotation and not (isinstance(element, int) and not isinstance(element, bool)):
                problems.append(f"{where}: {element!r} is not an int")
            elif "_builtins.str" in annotation and not isinstance(element, str):
                problems.append(f"{where}: {element!r} is not a str")
    return problems


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_inputs_conform_to_the_pulumi_aws_sdk_types(hybrid_plan: EgressPlan, style: str) -> None:
    from pulumi_aws.networkfirewall import _inputs

    from sep_egress.aws import firewall_policy_inputs, log_destinations, rule_group_inputs

    spec = compile_args(args_for(hybrid_plan, style=style, pass_alert=style == "suricata"))
    arns = {
        group.key: f"arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/{group.name}"
        for group in spec.groups
    }
    for group in spec.groups:
        assert conformity_problems(_inputs.RuleGroupRuleGroupArgs, rule_group_inputs(group)) == []
    policy = firewall_policy_inputs(spec.firewall_policy(arns))
    assert conformity_problems(_inputs.FirewallPolicyFirewallPolicyArgs, policy) == []
    assert policy["stateful_engine_options"]["flow_timeouts"] == {"tcp_idle_timeout_seconds": 350}
    for settings in (
        LoggingSettings(alert_destination="/a", flow_destination="/f"),
        LoggingSettings(destination_type="S3", alert_destination="b", flow_destination="b", s3_prefix="p"),
        LoggingSettings(destination_type="KinesisDataFirehose", alert_destination="s", flow_destination="t"),
    ):
        logging = {"log_destination_configs": log_destinations(settings)}
        assert conformity_problems(_inputs.LoggingConfigurationLoggingConfigurationArgs, logging) == []
    # the checker does catch a misspelt block
    broken = {**policy, "stateful_engine_options": {"rule_order": "STRICT_ORDER", "stream_exception": "REJECT"}}
    [problem] = conformity_problems(_inputs.FirewallPolicyFirewallPolicyArgs, broken)
    assert problem.startswith("stateful_engine_options.stream_exception: not an input of")


def test_every_argument_is_in_the_documented_options_table() -> None:
    docs = (ROOT / "docs" / "aws.md").read_text(encoding="utf-8")
    table = docs[docs.index("## Options") : docs.index("Outputs (`pulumi.Output` attributes")]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)}
    assert set(NetworkFirewallAllowlistArgs.model_fields) - documented == set()
    distribution = docs[docs.index("### Firewall Manager blast radius") :]
    assert "`distribution.default_actions`" in distribution


@pytest.mark.real_program
def test_firewall_manager_default_actions_are_those_its_model_accepts(hybrid_plan: EgressPlan) -> None:
    """botocore's fms model lists drop_strict and drop_established (and alert twins), not the app-layer variants."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("fms")
    documented = model.shape_for("NetworkFirewallPolicyDescription").members["StatefulDefaultActions"].documentation
    for choice in ("drop_established", "drop_strict"):
        distribution = DistributionSettings(method="firewall-manager", default_actions=choice)  # type: ignore[arg-type]
        run = run_component(args_for(hybrid_plan, distribution=distribution))
        [policy] = run.of_type("aws:fms/policy:Policy")
        managed = json.loads(policy.inputs["securityServicePolicyData"]["managedServiceData"])
        assert all(action in documented for action in managed["networkFirewallStatefulDefaultActions"])
    with pytest.raises(SepEgressError, match=r"distribution\.default_actions"):
        compile_args(
            args_for(
                hybrid_plan,
                distribution={"method": "firewall-manager", "default_actions": "drop_established_app_layer"},
            )
        )


def test_shared_groups_are_protected_unless_replacement_is_allowed(on_prem_plan: EgressPlan) -> None:
    """Any replacement or deletion of a group other policies may reference (a new name prefix, style, or a selection
    that drops a group) stops `pulumi up` at its preview: the engine refuses to replace a protected resource."""
    from sep_egress.aws import DistributionSettings

    ram = DistributionSettings(method="ram", principals=["123456789012"])
    for extra, protected in (
        ({"distribution": ram}, True),
        ({"distribution": ram, "allow_shared_replacement": True}, False),
        ({"create_policy": False}, True),
        ({}, False),
    ):
        run = run_component(args_for(on_prem_plan, **extra))
        groups = run.of_type("aws:networkfirewall/ruleGroup:RuleGroup")
        assert groups and all(group.protect is protected for group in groups), extra


def test_the_server_directed_app_layer_default_is_offered(on_prem_plan: EgressPlan) -> None:
    """botocore lists aws:drop_established_app_layer_to_server with its alert twin; the component offers it."""
    spec = compile_args(args_for(on_prem_plan, default_actions="drop_established_app_layer_to_server"))
    arns = {
        group.key: f"arn:aws:network-firewall:eu-west-1:123456789012:stateful-rulegroup/{group.name}"
        for group in spec.groups
    }
    assert spec.firewall_policy(arns)["StatefulDefaultActions"] == [
        "aws:drop_established_app_layer_to_server",
        "aws:alert_established_app_layer_to_server",
    ]
