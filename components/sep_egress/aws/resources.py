"""The compiled specs as ``pulumi_aws`` inputs: the API-shaped rule groups, policy and log destinations in
pulumi_aws's snake_case, and the inputs that may be ``pulumi.Output``s (tags, subnets, the FMS scope)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from ..arguments import is_output
from ..compile.aws import RuleGroupSpec
from .args import DistributionSettings, LoggingSettings


def with_managed_by(tags: Any) -> Any:
    if is_output(tags):
        return pulumi.Output.from_input(tags).apply(lambda values: {"managed-by": "sep-egress", **(values or {})})
    return {"managed-by": "sep-egress", **tags}


def subnet_mappings(subnet_ids: Any) -> Any:
    if is_output(subnet_ids):
        return pulumi.Output.from_input(subnet_ids).apply(lambda ids: [{"subnet_id": subnet} for subnet in ids])
    return [{"subnet_id": subnet} for subnet in subnet_ids]


def include_map(distribution: DistributionSettings) -> Any:
    """``include_map`` of the FMS policy: none (every account) when both lists are empty."""
    accounts, units = distribution.include_accounts, distribution.include_org_units

    def build(values: Sequence[Any]) -> dict[str, list[str]] | None:
        included = {key: list(value) for key, value in zip(("accounts", "orgunits"), values, strict=True) if value}
        return included or None

    if is_output(accounts) or is_output(units):
        return pulumi.Output.all(accounts, units).apply(build)
    return build([accounts, units])


def rule_group_inputs(group: RuleGroupSpec) -> dict[str, Any]:
    """``RuleGroup.rule_group`` from the API-shaped spec (same content, pulumi_aws's snake_case names)."""
    api = group.rule_group
    inputs: dict[str, Any] = {"stateful_rule_options": {"rule_order": api["StatefulRuleOptions"]["RuleOrder"]}}
    ip_sets = api.get("RuleVariables", {}).get("IPSets", {})
    if ip_sets:
        inputs["rule_variables"] = {
            "ip_sets": [
                {"key": key, "ip_set": {"definitions": list(value["Definition"])}} for key, value in ip_sets.items()
            ]
        }
    source = api["RulesSource"]
    if "RulesSourceList" in source:
        source_list = source["RulesSourceList"]
        inputs["rules_source"] = {
            "rules_source_list": {
                "generated_rules_type": source_list["GeneratedRulesType"],
                "target_types": list(source_list["TargetTypes"]),
                "targets": list(source_list["Targets"]),
            }
        }
    else:
        inputs["rules_source"] = {"rules_string": source["RulesString"]}
    return inputs


def firewall_policy_inputs(api: Mapping[str, Any]) -> dict[str, Any]:
    """``FirewallPolicy.firewall_policy`` from the API-shaped ``FirewallPolicy``."""
    variables = api["PolicyVariables"]["RuleVariables"]
    engine = api["StatefulEngineOptions"]
    return {
        "stateless_default_actions": list(api["StatelessDefaultActions"]),
        "stateless_fragment_default_actions": list(api["StatelessFragmentDefaultActions"]),
        "stateful_default_actions": list(api["StatefulDefaultActions"]),
        "stateful_engine_options": {
            "rule_order": engine["RuleOrder"],
            "stream_exception_policy": engine["StreamExceptionPolicy"],
            "flow_timeouts": {"tcp_idle_timeout_seconds": engine["FlowTimeouts"]["TcpIdleTimeoutSeconds"]},
        },
        "stateful_rule_group_references": [
            {"resource_arn": reference["ResourceArn"], "priority": reference["Priority"]}
            for reference in api["StatefulRuleGroupReferences"]
        ],
        "policy_variables": {
            "rule_variables": [
                {"key": key, "ip_set": {"definitions": list(value["Definition"])}} for key, value in variables.items()
            ]
        },
    }


def log_destinations(
    settings: LoggingSettings, targets: Sequence[tuple[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """``log_destination_configs`` for ``targets`` (``(log type, destination)`` pairs, by default the names the
    settings give: ALERT always, FLOW when asked), in the key each destination type takes (botocore's
    network-firewall ``LogDestinationConfig.LogDestination``: ``logGroup``, ``bucketName`` and ``prefix``,
    ``deliveryStream``)."""
    if targets is None:
        targets = [("ALERT", settings.alert_destination)]
        if settings.flow_destination is not None and settings.flow_logs is not False:
            targets.append(("FLOW", settings.flow_destination))
    configs = []
    for log_type, destination in targets:
        if settings.destination_type == "S3":
            where: dict[str, Any] = {"bucketName": destination}
            if settings.s3_prefix:
                where["prefix"] = settings.s3_prefix
        elif settings.destination_type == "KinesisDataFirehose":
            where = {"deliveryStream": destination}
        else:
            where = {"logGroup": destination}
        configs.append(
            {"log_destination": where, "log_destination_type": settings.destination_type, "log_type": log_type}
        )
    return configs


def firewall_endpoint_ids(statuses: Any) -> dict[str, str]:
    """Availability Zone -> firewall endpoint id (``vpce-...``), from ``Firewall.firewall_statuses``: each status's
    ``sync_states`` (pulumi-aws ``FirewallFirewallStatusSyncState``; botocore's ``FirewallStatus.SyncStates``, an AZ
    -> ``Attachment`` map) name the AZ and the endpoint of its subnet. The routes of each AZ point at its endpoint."""
    found: dict[str, str] = {}
    for status in statuses or []:
        for state in _get(status, "sync_states") or []:
            zone = _get(state, "availability_zone")
            for attachment in _get(state, "attachments") or []:
                endpoint = _get(attachment, "endpoint_id")
                if zone and endpoint:
                    found[str(zone)] = str(endpoint)
    return dict(sorted(found.items()))


def _get(value: Any, key: str) -> Any:
    """A field of an SDK output object, or of the plain dict a mock engine may give."""
    if isinstance(value, Mapping) and not hasattr(type(value), key):
        camel = key.split("_")[0] + "".join(part.title() for part in key.split("_")[1:])
        return value.get(key, value.get(camel))
    return getattr(value, key, None)
