"""The firewall's logs on the first ``up`` (log groups created, or existing ones taken; S3 and Firehose), and the
outputs operators route and audit with (endpoint ids per Availability Zone, ARNs by name)."""

from __future__ import annotations

import re
from typing import Any

import pulumi
import pytest

from sep_egress.aws import (
    RETENTION_DAYS,
    TYPE_TOKEN,
    FirewallSettings,
    LoggingSettings,
    NetworkFirewallAllowlist,
    NetworkFirewallAllowlistArgs,
    compile_args,
    log_destinations,
)
from sep_egress.catalog import EgressPlan
from sep_egress.errors import SepEgressError
from sep_egress.mock_engine import MockRun, run_program

from support import named

pytestmark = pytest.mark.pulumi

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOGGING = "aws:networkfirewall/loggingConfiguration:LoggingConfiguration"
FIREWALL = FirewallSettings(vpc_id="vpc-0abc", subnet_ids=["subnet-0aaa", "subnet-0bbb"])


def args_with(plan: EgressPlan, **extra: Any) -> NetworkFirewallAllowlistArgs:
    return NetworkFirewallAllowlistArgs(
        plan=plan, source_cidrs={"agent": ["10.10.0.0/16"]}, name_prefix="sep-egress-t", firewall=FIREWALL, **extra
    )


def run_component(args: NetworkFirewallAllowlistArgs) -> MockRun:
    def program() -> None:
        allowlist = NetworkFirewallAllowlist("sep", args)
        pulumi.export("endpoints", allowlist.firewall_endpoint_ids)
        pulumi.export("byName", allowlist.rule_group_arns_by_name)
        pulumi.export("logs", allowlist.log_destinations)

    return run_program(program)


def configs(run: MockRun) -> list[dict[str, Any]]:
    [logging] = run.of_type(LOGGING)
    return list(logging.inputs["loggingConfiguration"]["logDestinationConfigs"])


def test_cloudwatch_log_groups_are_created_under_vendedlogs_before_the_logging(on_prem_plan: EgressPlan) -> None:
    run = run_component(args_with(on_prem_plan, logging=LoggingSettings(flow_logs=True)))
    groups = run.of_type(LOG_GROUP)
    assert sorted(group.inputs["name"] for group in groups) == [  # the mock engine registers them in any order
        "/aws/vendedlogs/sep-egress-t/alert",
        "/aws/vendedlogs/sep-egress-t/flow",
    ]
    assert all(group.inputs["retentionInDays"] == 365 for group in groups)
    assert all("kmsKeyId" not in group.inputs for group in groups)
    assert all(group.inputs["tags"]["managed-by"] == "sep-egress" for group in groups)
    [component] = run.of_type(TYPE_TOKEN)
    assert all(group.parent == component.urn for group in groups)
    [logging] = run.of_type(LOGGING)
    # the logging configuration waits for both groups (Network Firewall's delivery needs them to exist)
    assert {group.urn for group in groups} <= set(logging.depends_on)
    assert [(item["logType"], item["logDestinationType"], item["logDestination"]) for item in configs(run)] == [
        ("ALERT", "CloudWatchLogs", {"logGroup": "/aws/vendedlogs/sep-egress-t/alert"}),
        ("FLOW", "CloudWatchLogs", {"logGroup": "/aws/vendedlogs/sep-egress-t/flow"}),
    ]
    assert run.outputs["logs"] == {
        "ALERT": "/aws/vendedlogs/sep-egress-t/alert",
        "FLOW": "/aws/vendedlogs/sep-egress-t/flow",
    }


def test_alerts_only_by_default_with_retention_and_kms(on_prem_plan: EgressPlan) -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    run = run_component(args_with(on_prem_plan, logging=LoggingSettings(retention_days=90, kms_key_id=key)))
    [group] = run.of_type(LOG_GROUP)
    assert group.name == "sep-log-alert"
    assert group.inputs["retentionInDays"] == 90 and group.inputs["kmsKeyId"] == key
    assert [item["logType"] for item in configs(run)] == ["ALERT"]


def test_one_group_serves_both_types_when_they_share_a_name(on_prem_plan: EgressPlan) -> None:
    logging = LoggingSettings(alert_destination="/aws/vendedlogs/nfw", flow_destination="/aws/vendedlogs/nfw")
    run = run_component(args_with(on_prem_plan, logging=logging))
    [group] = run.of_type(LOG_GROUP)
    assert [item["logDestination"]["logGroup"] for item in configs(run)] == ["/aws/vendedlogs/nfw"] * 2
    assert group.inputs["name"] == "/aws/vendedlogs/nfw"


def test_existing_log_groups_are_taken_by_name(on_prem_plan: EgressPlan) -> None:
    logging = LoggingSettings(create_log_groups=False, alert_destination="/nfw/alerts", flow_destination="/nfw/flows")
    run = run_component(args_with(on_prem_plan, logging=logging))
    assert run.of_type(LOG_GROUP) == []
    assert [item["logDestination"] for item in configs(run)] == [
        {"logGroup": "/nfw/alerts"},
        {"logGroup": "/nfw/flows"},
    ]


def test_firehose_and_s3_destinations_take_their_keys(on_prem_plan: EgressPlan) -> None:
    logging = LoggingSettings(
        destination_type="KinesisDataFirehose", alert_destination="nfw-alerts", flow_destination="nfw-flows"
    )
    run = run_component(args_with(on_prem_plan, logging=logging))
    assert run.of_type(LOG_GROUP) == []
    assert [(item["logDestinationType"], item["logDestination"]) for item in configs(run)] == [
        ("KinesisDataFirehose", {"deliveryStream": "nfw-alerts"}),
        ("KinesisDataFirehose", {"deliveryStream": "nfw-flows"}),
    ]


@pytest.mark.parametrize(
    ("logging", "message"),
    [
        ({"destination_type": "S3"}, r"^logging\.alert_destination: required with destination_type S3"),
        (
            {"destination_type": "KinesisDataFirehose", "alert_destination": "s", "flow_logs": True},
            r"^logging\.flow_destination: required for flow logs",
        ),
        (
            {"destination_type": "S3", "alert_destination": "b", "retention_days": 30},
            r"^logging\.retention_days: only for CloudWatchLogs",
        ),
        (
            {"destination_type": "S3", "alert_destination": "b", "kms_key_id": "arn:aws:kms:x"},
            r"^logging\.kms_key_id: only for CloudWatchLogs",
        ),
        ({"s3_prefix": "p"}, r"^logging\.s3_prefix: only for S3"),
        ({"flow_logs": False, "flow_destination": "/f"}, r"^logging\.flow_destination: given while flow_logs is false"),
        ({"create_log_groups": False}, r"^logging\.alert_destination: name the existing log group"),
        (
            {"create_log_groups": False, "alert_destination": "/a", "flow_logs": True},
            r"^logging\.flow_destination: name the existing log group",
        ),
        (
            {"create_log_groups": False, "alert_destination": "/a", "retention_days": 30},
            r"^logging\.retention_days: only for the log groups the component creates",
        ),
        ({"retention_days": 10}, r"^logging\.retention_days: 10 is not a CloudWatch Logs retention"),
        ({"alert_destination": "/bad name"}, r"^logging\.alert_destination: '/bad name' is not a log group name"),
        ({"alert_destination": "/a\n"}, r"^logging\.alert_destination: '/a\\n' is not a log group name"),
        ({"destination_type": "Kinesis"}, r"^logging\.destination_type"),
    ],
)
def test_logging_mistakes_are_refused_before_anything_is_registered(
    on_prem_plan: EgressPlan, logging: dict[str, Any], message: str
) -> None:
    args = {
        "plan": on_prem_plan,
        "source_cidrs": {"agent": ["10.10.0.0/16"]},
        "firewall": {"vpc_id": "vpc-0abc", "subnet_ids": ["subnet-0aaa"]},
        "logging": logging,
    }
    with pytest.raises(SepEgressError, match=message):
        compile_args(args)
    record = MockRun()
    with pytest.raises(SepEgressError, match=named("NetworkFirewallAllowlist", "sep", message)):
        run_program(lambda: NetworkFirewallAllowlist("sep", args), record=record)
    assert record.resources == []


def test_retention_values_are_cloudwatch_logs_own() -> None:
    """botocore's logs model lists the accepted retentions in PutRetentionPolicy's documentation (0: pulumi-aws's
    "never expire")."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("logs")
    text = model.operation_model("PutRetentionPolicy").input_shape.members["retentionInDays"].documentation
    listed = [int(value) for value in re.findall(r"\b(\d+)\b", text.split("Possible values are:")[1].split(".")[0])]
    assert listed == [days for days in RETENTION_DAYS if days]


def test_log_arguments_fit_the_sdk_and_botocore(on_prem_plan: EgressPlan) -> None:
    """The LogGroup arguments are pulumi-aws LogGroup inputs and CreateLogGroup's name pattern; every destination
    type's configuration validates against botocore's network-firewall LoggingConfiguration."""
    import inspect

    import botocore.session
    from botocore.validate import ParamValidator
    from pulumi_aws.cloudwatch import LogGroupArgs

    run = run_component(args_with(on_prem_plan, logging=LoggingSettings(flow_logs=True, kms_key_id="arn:aws:kms:k")))
    parameters = inspect.signature(LogGroupArgs.__init__).parameters
    logs = botocore.session.get_session().get_service_model("logs")
    pattern = logs.operation_model("CreateLogGroup").input_shape.members["logGroupName"].metadata["pattern"]
    for group in run.of_type(LOG_GROUP):
        snake = {re.sub(r"([A-Z])", lambda match: "_" + match.group(1).lower(), key) for key in group.inputs}
        assert snake <= set(parameters), snake - set(parameters)
        assert re.fullmatch(pattern, group.inputs["name"])
    model = botocore.session.get_session().get_service_model("network-firewall")
    shape = model.operation_model("UpdateLoggingConfiguration").input_shape
    for settings in (
        LoggingSettings(alert_destination="/a", flow_destination="/f"),
        LoggingSettings(destination_type="S3", alert_destination="bucket", s3_prefix="nfw"),
        LoggingSettings(destination_type="KinesisDataFirehose", alert_destination="stream"),
    ):
        api = {
            "FirewallName": "f",
            "LoggingConfiguration": {
                "LogDestinationConfigs": [
                    {
                        "LogType": item["log_type"],
                        "LogDestinationType": item["log_destination_type"],
                        "LogDestination": item["log_destination"],
                    }
                    for item in log_destinations(settings)
                ]
            },
        }
        report = ParamValidator().validate(api, shape)
        assert not report.has_errors(), report.generate_report()
    enum = model.shape_for("LogDestinationConfig").members["LogDestinationType"].enum
    assert set(LoggingSettings.model_fields["destination_type"].annotation.__args__) <= set(enum)  # type: ignore[union-attr]


def test_endpoint_ids_per_zone_and_arns_by_name(on_prem_plan: EgressPlan) -> None:
    args = args_with(on_prem_plan)
    spec = compile_args(args)
    run = run_component(args)
    # the mock engine's documented placeholders: AZ az-of-<subnet>, endpoint vpce-mock-<subnet>
    assert run.outputs["endpoints"] == {
        "az-of-subnet-0aaa": "vpce-mock-subnet-0aaa",
        "az-of-subnet-0bbb": "vpce-mock-subnet-0bbb",
    }
    assert run.outputs["byName"] == {
        group.name: f"arn:aws:networkfirewall:us-east-1:123456789012:sep-{group.key}" for group in spec.groups
    }


def test_endpoint_ids_read_the_sync_states_of_every_zone() -> None:
    """The SDK's output objects (not the mock's dicts): one endpoint per AZ, sorted by zone, statuses without an
    endpoint yet (still being created) left out."""
    from pulumi_aws.networkfirewall import outputs

    from sep_egress.aws import firewall_endpoint_ids

    def state(zone: str, endpoint: str | None) -> Any:
        attachment = outputs.FirewallFirewallStatusSyncStateAttachment(endpoint_id=endpoint, subnet_id="subnet-1")
        return outputs.FirewallFirewallStatusSyncState(availability_zone=zone, attachments=[attachment])

    status = outputs.FirewallFirewallStatus(
        sync_states=[state("eu-west-1b", "vpce-0b"), state("eu-west-1a", "vpce-0a"), state("eu-west-1c", None)]
    )
    assert firewall_endpoint_ids([status]) == {"eu-west-1a": "vpce-0a", "eu-west-1b": "vpce-0b"}
    assert firewall_endpoint_ids(None) == {}


def test_without_a_firewall_the_operator_outputs_are_empty(on_prem_plan: EgressPlan) -> None:
    args = NetworkFirewallAllowlistArgs(plan=on_prem_plan, source_cidrs={"agent": ["10.10.0.0/16"]}, name_prefix="x")
    run = run_component(args)
    assert run.outputs["endpoints"] == {} and run.outputs["logs"] == {}


def test_log_groups_outside_vendedlogs_get_a_preview_note(on_prem_plan: EgressPlan) -> None:
    outside = compile_args(args_with(on_prem_plan, logging=LoggingSettings(alert_destination="/nfw/alerts")))
    [note] = [note for note in outside.notes if note.startswith("Log groups outside /aws/vendedlogs/")]
    assert "(/nfw/alerts)" in note and "5,120 characters" in note
    inside = compile_args(args_with(on_prem_plan, logging=LoggingSettings(flow_logs=True)))
    assert not [note for note in inside.notes if note.startswith("Log groups outside")]
    s3 = LoggingSettings(destination_type="S3", alert_destination="bucket")
    assert not [note for note in compile_args(args_with(on_prem_plan, logging=s3)).notes if "vendedlogs" in note]
