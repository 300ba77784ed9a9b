"""``NetworkFirewallAllowlist``: the compiled allowlist registered as ``pulumi_aws`` resources, in this order: the
rule groups, the firewall policy, the firewall, its log groups and logging, then the Firewall Manager policy or RAM
share (of the allow groups only)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Literal, overload

import pulumi
import pulumi_aws as aws

from ..arguments import SelectionArgs, call_styles
from ..catalog import EgressPlan
from ..compile.aws import DEFAULT_ACTION_SETS, AwsEgressSpec
from ..compile.aws.options import OBSERVE_DEFAULT_ACTIONS
from .args import DistributionSettings, FirewallSettings, LoggingSettings, NetworkFirewallAllowlistArgs
from .names import name_prefix
from .prepare import compile_args, distributed_groups, log_targets, shared_groups
from .resources import (
    firewall_endpoint_ids,
    firewall_policy_inputs,
    include_map,
    log_destinations,
    rule_group_inputs,
    subnet_mappings,
    with_managed_by,
)

TYPE_TOKEN = "sep-egress:aws:NetworkFirewallAllowlist"  # noqa: S105 - a Pulumi type token, not a secret

OUTPUTS = (
    "rule_group_arns",
    "rule_group_references",
    "rule_group_arns_by_name",
    "shared_rule_group_references",
    "firewall_policy_arn",
    "firewall_arn",
    "firewall_endpoint_ids",
    "log_destinations",
    "allowed_hosts",
    "tls_inspection_bypass",
    "skipped_roles",
    "capacity",
    "notes",
)
"""The component's outputs: each a ``pulumi.Output`` attribute, registered under the same name."""


class NetworkFirewallAllowlist(pulumi.ComponentResource):
    """The SEP egress allowlist on AWS Network Firewall (type ``sep-egress:aws:NetworkFirewallAllowlist``).

    Creates the compiled stateful rule groups (STRICT_ORDER), and, as ``args`` ask, a firewall policy, the firewall
    with its logging, and a Firewall Manager policy or RAM share. ``args`` is a ``NetworkFirewallAllowlistArgs``
    (or a mapping of the same arguments); ``opts`` apply to the component, children are parented to it.

    Every input is validated before any resource is registered: a mistake raises a ``SepEgressError`` whose
    message starts with the argument's name.

    Outputs (``pulumi.Output`` attributes, registered under the same snake_case names): ``rule_group_arns``,
    ``rule_group_references`` (``{arn, priority}`` for a policy you own), ``rule_group_arns_by_name`` (physical
    name -> ARN), ``shared_rule_group_references`` (what ``distribution`` hands to other accounts: RAM never the
    guard), ``firewall_policy_arn`` / ``firewall_arn`` (None when not created), ``firewall_endpoint_ids``
    (Availability Zone -> endpoint id, for the routes; empty without the firewall), ``log_destinations`` (log type
    -> log group, bucket or stream), ``allowed_hosts`` (per role), ``tls_inspection_bypass`` (hosts to keep out of
    any TLS inspection), ``skipped_roles``, ``capacity``, ``notes``.
    """

    spec: AwsEgressSpec
    rule_groups: dict[str, aws.networkfirewall.RuleGroup]
    rule_group_arns: pulumi.Output[list[str]]
    rule_group_references: pulumi.Output[list[dict[str, Any]]]
    rule_group_arns_by_name: pulumi.Output[dict[str, str]]
    shared_rule_group_references: pulumi.Output[list[dict[str, Any]]]
    firewall_policy_arn: pulumi.Output[str | None]
    firewall_arn: pulumi.Output[str | None]
    firewall_endpoint_ids: pulumi.Output[dict[str, str]]
    log_destinations: pulumi.Output[dict[str, str]]
    log_groups: dict[str, aws.cloudwatch.LogGroup]
    allowed_hosts: pulumi.Output[dict[str, list[str]]]
    tls_inspection_bypass: pulumi.Output[list[str]]
    skipped_roles: pulumi.Output[list[str]]
    capacity: pulumi.Output[dict[str, dict[str, int]]]
    notes: pulumi.Output[list[str]]

    @overload
    def __init__(
        self,
        name: str,
        args: NetworkFirewallAllowlistArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        selection: SelectionArgs | Mapping[str, Any] | None = None,
        plan: EgressPlan | None = None,
        enforcement: Literal["observe", "enforce"] | None = None,
        source_cidrs: Mapping[str, list[str]] | None = None,
        style: str | None = None,
        headroom_percent: int | None = None,
        capacity_rounding: int | None = None,
        min_capacity: int | None = None,
        allow_shared_replacement: bool | None = None,
        block_action: str | None = None,
        pass_alert: bool | None = None,
        default_actions: str | None = None,
        guard_scope: str | None = None,
        guard_exempt_cidrs: list[str] | None = None,
        stream_exception_policy: str | None = None,
        tcp_idle_timeout: int | None = None,
        max_rules_bytes: int | None = None,
        name_prefix: str | None = None,
        allow_any_source: bool | None = None,
        create_policy: bool | None = None,
        firewall: FirewallSettings | Mapping[str, Any] | None = None,
        logging: LoggingSettings | Mapping[str, Any] | None = None,
        distribution: DistributionSettings | Mapping[str, Any] | None = None,
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
    ) -> None: ...

    @call_styles(NetworkFirewallAllowlistArgs)
    def __init__(  # the two call styles above, sorted by call_styles into (name, args, opts)
        self,
        name: str,
        args: NetworkFirewallAllowlistArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec = compile_args(args)  # validates every argument and compiles, before anything is registered
        super().__init__(TYPE_TOKEN, name, {}, opts)
        self.spec = spec
        prefix = name_prefix(args)
        tags = with_managed_by(args.tags)
        all_arns = self._register_rule_groups(name, args, spec, tags)
        self.firewall_policy_arn = pulumi.Output.from_input(None)
        self.firewall_arn = pulumi.Output.from_input(None)
        self.firewall_endpoint_ids = pulumi.Output.from_input({})
        self.log_destinations = pulumi.Output.from_input({})
        self.log_groups = {}
        if args.create_policy:
            policy = self._register_policy(name, prefix, spec, tags, all_arns)
            if args.firewall is not None:
                firewall = self._register_firewall(name, prefix, args.firewall, tags, policy)
                if args.logging is not None:
                    self._register_logging(name, prefix, args.logging, firewall, tags)
        # What other accounts get: RAM never the guard (it refuses the rest of this stack's sources' traffic).
        distributed = distributed_groups(args, spec)
        self.shared_rule_group_references = all_arns.apply(
            lambda values: [{"arn": values[group.key], "priority": group.priority} for group in distributed]
        )
        distribution = args.distribution
        if distribution is not None and distribution.method == "firewall-manager":
            self._register_fms_policy(
                name, prefix, distribution, replace(spec, groups=distributed), tags, all_arns, args.enforcement
            )
        elif distribution is not None and distribution.method == "ram":
            self._register_ram_share(name, prefix, distribution, tags, [group.key for group in distributed])
        self._set_report_outputs(spec)
        self.register_outputs({name: getattr(self, name) for name in OUTPUTS})

    def _register_rule_groups(
        self, name: str, args: NetworkFirewallAllowlistArgs, spec: AwsEgressSpec, tags: Any
    ) -> pulumi.Output[dict[str, Any]]:
        """One ``RuleGroup`` per compiled group; sets ``rule_groups``, ``rule_group_arns`` and
        ``rule_group_references``, and returns every group's ARN by key (what the policy and distribution read)."""
        # No delete_before_replace: a replaced group (new capacity, hence a new hashed name) is created first, the
        # policy is moved to it, and only then is the old one deleted; the policy never points at a deleted group.
        # Shared groups (other policies may reference them) are protected unless allow_shared_replacement is set:
        # any change that would replace or delete one (a new capacity, name prefix, style or selection that drops
        # a group) then stops `pulumi up` at the preview, naming the group, before anything changes.
        group_options = pulumi.ResourceOptions(
            parent=self, protect=shared_groups(args) and not args.allow_shared_replacement
        )
        self.rule_groups = {
            group.key: aws.networkfirewall.RuleGroup(
                f"{name}-{group.key}",
                name=group.name,
                type="STATEFUL",
                capacity=group.capacity,
                description=group.description,
                rule_group=rule_group_inputs(group),
                tags=tags,
                opts=group_options,
            )
            for group in spec.groups
        }
        arns = {key: group.arn for key, group in self.rule_groups.items()}
        all_arns = pulumi.Output.all(**arns)
        self.rule_group_arns = all_arns.apply(lambda values: [values[group.key] for group in spec.groups])
        self.rule_group_references = all_arns.apply(
            lambda values: [
                {"arn": reference["ResourceArn"], "priority": reference["Priority"]}
                for reference in spec.rule_group_references(values)
            ]
        )
        self.rule_group_arns_by_name = all_arns.apply(
            lambda values: {group.name: values[group.key] for group in sorted(spec.groups, key=lambda g: g.name)}
        )
        return all_arns

    def _register_policy(
        self, name: str, prefix: str, spec: AwsEgressSpec, tags: Any, all_arns: pulumi.Output[dict[str, Any]]
    ) -> aws.networkfirewall.FirewallPolicy:
        """The STRICT_ORDER firewall policy that references every group; sets ``firewall_policy_arn``."""
        policy = aws.networkfirewall.FirewallPolicy(
            f"{name}-policy",
            name=f"{prefix}-policy",
            description="sep-egress: Symantec Endpoint Protection egress allowlist",
            firewall_policy=all_arns.apply(lambda values: firewall_policy_inputs(spec.firewall_policy(values))),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.firewall_policy_arn = policy.arn
        return policy

    def _register_firewall(
        self,
        name: str,
        prefix: str,
        settings: FirewallSettings,
        tags: Any,
        policy: aws.networkfirewall.FirewallPolicy,
    ) -> aws.networkfirewall.Firewall:
        """The firewall running the policy, one endpoint per subnet; sets ``firewall_arn``."""
        firewall = aws.networkfirewall.Firewall(
            f"{name}-firewall",
            name=settings.name or f"{prefix}-firewall",
            firewall_policy_arn=policy.arn,
            vpc_id=settings.vpc_id,
            subnet_mappings=subnet_mappings(settings.subnet_ids),
            delete_protection=settings.delete_protection,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.firewall_arn = firewall.arn
        self.firewall_endpoint_ids = firewall.firewall_statuses.apply(firewall_endpoint_ids)
        return firewall

    def _register_logging(
        self, name: str, prefix: str, settings: LoggingSettings, firewall: aws.networkfirewall.Firewall, tags: Any
    ) -> None:
        """The log groups (CloudWatch Logs, unless existing ones are named), then the firewall's ALERT (and FLOW)
        log destinations, which depend on them: Network Firewall's log delivery needs the group to exist."""
        targets = log_targets(settings, prefix)
        if settings.destination_type == "CloudWatchLogs" and settings.create_log_groups:
            targets = self._register_log_groups(name, targets, settings, tags)
        self.log_destinations = pulumi.Output.all(*(destination for _, destination in targets)).apply(
            lambda names: {log_type: str(value) for (log_type, _), value in zip(targets, names, strict=True)}
        )
        aws.networkfirewall.LoggingConfiguration(
            f"{name}-logging",
            firewall_arn=firewall.arn,
            logging_configuration={"log_destination_configs": log_destinations(settings, targets)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self.log_groups.values())),
        )

    def _register_log_groups(
        self, name: str, targets: list[tuple[str, Any]], settings: LoggingSettings, tags: Any
    ) -> list[tuple[str, Any]]:
        """One ``aws.cloudwatch.LogGroup`` per distinct name (ALERT and FLOW may share one; logical names
        ``<name>-log-alert`` / ``<name>-log-flow``); returns the targets with each group's ``name`` output, so the
        logging configuration is created after the groups and with their names."""
        by_name: dict[str, aws.cloudwatch.LogGroup] = {}
        resolved: list[tuple[str, Any]] = []
        for log_type, group_name in targets:
            group = by_name.get(group_name) if isinstance(group_name, str) else None
            if group is None:
                group = aws.cloudwatch.LogGroup(
                    f"{name}-log-{log_type.lower()}",
                    name=group_name,
                    retention_in_days=settings.retention_days,
                    kms_key_id=settings.kms_key_id,
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                self.log_groups[log_type] = group
                if isinstance(group_name, str):
                    by_name[group_name] = group
            resolved.append((log_type, group.name))
        return resolved

    def _register_fms_policy(
        self,
        name: str,
        prefix: str,
        distribution: DistributionSettings,
        spec: AwsEgressSpec,
        tags: Any,
        all_arns: pulumi.Output[dict[str, Any]],
        enforcement: str = "enforce",
    ) -> None:
        """``distribution: firewall-manager``: one FMS policy applying the groups to every in-scope VPC."""
        # In observe mode only the alert half of the chosen set (as the stack's own policy): Firewall Manager applies
        # it to every VPC in scope, which must not start refusing while the stack only observes.
        table = OBSERVE_DEFAULT_ACTIONS if enforcement == "observe" else DEFAULT_ACTION_SETS
        fms_actions = table[distribution.default_actions or "none"]
        aws.fms.Policy(
            f"{name}-fms",
            name=f"{prefix}-network-firewall",
            description="sep-egress: one reviewed SEP egress allowlist for every account's VPCs",
            resource_type="AWS::EC2::VPC",
            exclude_resource_tags=False,
            remediation_enabled=distribution.remediation_enabled,
            delete_all_policy_resources=False,
            include_map=include_map(distribution),
            security_service_policy_data={
                "type": "NETWORK_FIREWALL",
                "managed_service_data": all_arns.apply(
                    lambda values: json.dumps(spec.fms_managed_service_data(values, fms_actions), sort_keys=True)
                ),
            },
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _register_ram_share(
        self, name: str, prefix: str, distribution: DistributionSettings, tags: Any, keys: list[str]
    ) -> None:
        """``distribution: ram``: a resource share, one association per shared group (``keys``: the allow groups,
        never the guard), then one per principal."""
        child = pulumi.ResourceOptions(parent=self)
        share = aws.ram.ResourceShare(
            f"{name}-share",
            name=f"{prefix}-rule-groups",
            allow_external_principals=False,
            tags=tags,
            opts=child,
        )
        for key in keys:
            aws.ram.ResourceAssociation(
                f"{name}-share-{key}",
                resource_arn=self.rule_groups[key].arn,
                resource_share_arn=share.arn,
                opts=child,
            )
        for index, principal in enumerate(distribution.principals):
            # Named by a hash of the principal, not its position, so removing one principal leaves the others;
            # a principal only known at deployment (an Output) can only be named by its position.
            if isinstance(principal, str):
                suffix = hashlib.sha256(principal.encode()).hexdigest()[:8]
            else:
                suffix = f"input-{index}"
            aws.ram.PrincipalAssociation(
                f"{name}-share-principal-{suffix}",
                principal=principal,
                resource_share_arn=share.arn,
                opts=child,
            )

    def _set_report_outputs(self, spec: AwsEgressSpec) -> None:
        """The outputs read from the spec alone: hosts per role, TLS bypass, skipped roles, capacity, notes."""
        self.allowed_hosts = pulumi.Output.from_input(
            {role: list(values) for role, values in spec.allowed_by_role.items()}
        )
        self.tls_inspection_bypass = pulumi.Output.from_input(list(spec.tls_inspection_bypass))
        self.skipped_roles = pulumi.Output.from_input(list(spec.skipped_roles))
        self.capacity = pulumi.Output.from_input(
            {
                group.key: {"capacity": group.capacity, "used": group.used_capacity, "priority": group.priority}
                for group in spec.groups
            }
        )
        self.notes = pulumi.Output.from_input(list(spec.notes))
