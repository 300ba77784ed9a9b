"""Pulumi component for AWS Network Firewall: the compiled allowlist as rule groups, a policy, and optionally the
firewall, its logs and an organization-wide distribution.

No host or port logic lives here: ``sep_egress.compile.aws`` decides every rule, capacity, name and priority;
this module maps those specs one to one onto ``pulumi_aws`` resources. Use it from any Python Pulumi program::

    from sep_egress.aws import NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs

    allowlist = NetworkFirewallAllowlist(
        "sep",
        NetworkFirewallAllowlistArgs(
            mode="hybrid",
            version="14.3 RU1",
            source_cidrs={"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]},
        ),
    )
    pulumi.export("ruleGroupArns", allowlist.rule_group_arns)

See docs/aws.md for every option, its default, and what it protects or costs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import pulumi
import pulumi_aws as aws

from .catalog.plan import EgressPlan
from .compile.aws import (
    AwsEgressSpec,
    AwsFirewallError,
    AwsFirewallOptions,
    RuleGroupSpec,
    compile_network_firewall,
)

TYPE_TOKEN = "sep-egress:aws:NetworkFirewallAllowlist"  # noqa: S105 - a Pulumi type token, not a secret

LogDestinationType = Literal["CloudWatchLogs", "S3"]
DistributionMethod = Literal["none", "firewall-manager", "ram"]
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ORG_UNIT = re.compile(r"^ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}$")
_RAM_PRINCIPAL = re.compile(r"^(\d{12}|arn:aws[a-z-]*:organizations::\d{12}:(organization|ou)/[A-Za-z0-9/_-]+)$")


@dataclass(frozen=True)
class FirewallSettings:
    """Create the ``aws.networkfirewall.Firewall`` itself, with one endpoint per subnet (one subnet per AZ)."""

    vpc_id: str
    subnet_ids: list[str]
    name: str | None = None
    delete_protection: bool = True


@dataclass(frozen=True)
class LoggingSettings:
    """Alert (and optionally flow) logs of the firewall, to CloudWatch Logs (log group names) or S3 (buckets)."""

    alert_destination: str
    destination_type: LogDestinationType = "CloudWatchLogs"
    flow_destination: str | None = None
    s3_prefix: str | None = None


@dataclass(frozen=True)
class DistributionSettings:
    """Share one reviewed allowlist with many accounts instead of copying it.

    ``firewall-manager``: an ``aws.fms.Policy`` (type NETWORK_FIREWALL) in the Firewall Manager administrator
    account, applied to the VPCs of ``include_accounts`` / ``include_org_units`` (every account when both are
    empty); ``remediation_enabled`` false means audit only. ``ram``: an AWS RAM share of the rule groups with
    ``principals`` (account IDs, an organization or OU ARN), for accounts that reference them from their own
    policies.
    """

    method: DistributionMethod = "none"
    include_accounts: list[str] = field(default_factory=list)
    include_org_units: list[str] = field(default_factory=list)
    remediation_enabled: bool = False
    principals: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NetworkFirewallAllowlistArgs:
    """Inputs of ``NetworkFirewallAllowlist``; plain, serialisable values only.

    Selection (refused when a ``plan`` is passed to the component, which carries its own): ``version`` (required,
    e.g. ``"14.3 RU1"``), ``mode`` (``on-prem``, ``hybrid``, ``cloud``), extra ``roles``, ``proxy`` (None: not
    given, selects as false), ``storage`` (``both``, ``gcp``, ``aws``; None: not given, selects as ``both``).

    ``source_cidrs``: per role, the networks its machines use (SEP clients' subnets for ``agent``, the SEPM server
    for ``sepm``, the administrators' networks for ``console``...). A role without sources gets no rule.

    ``style``: ``suricata`` (default; pins ports and per-role sources) or ``domain-list``. ``headroom_percent``
    (25), ``capacity_rounding`` (100) and ``min_capacity`` (100) size each group's fixed capacity so that new
    hosts are in-place updates. ``name_prefix`` starts every physical name. ``allow_any_source`` (false) must be
    set to accept ``0.0.0.0/0`` as a source.

    ``create_policy`` (true): a STRICT_ORDER firewall policy with ``aws:drop_established`` and
    ``aws:alert_established`` and HOME_NET set to the sources; false when the stack owns its policy (use the
    ``rule_group_references`` output). ``firewall``, ``logging``, ``distribution``: see their classes. ``tags``
    go on every taggable resource.
    """

    version: str | None = None
    mode: str | None = None
    roles: list[str] = field(default_factory=list)
    proxy: bool | None = None
    storage: str | None = None
    source_cidrs: dict[str, list[str]] = field(default_factory=dict)
    style: str = "suricata"
    headroom_percent: int = 25
    capacity_rounding: int = 100
    min_capacity: int = 100
    name_prefix: str = "sep-egress"
    allow_any_source: bool = False
    create_policy: bool = True
    firewall: FirewallSettings | None = None
    logging: LoggingSettings | None = None
    distribution: DistributionSettings | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> NetworkFirewallAllowlistArgs:
        """Build from plain data (stack configuration, JSON); unknown keys are errors, not silently dropped."""
        if not isinstance(values, Mapping):
            raise AwsFirewallError("aws: the AWS settings are a mapping of option names to values")
        nested: dict[str, type[Any]] = {
            "firewall": FirewallSettings,
            "logging": LoggingSettings,
            "distribution": DistributionSettings,
        }
        known = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise AwsFirewallError(
                f"aws: unknown option(s) {', '.join(unknown)}; options are {', '.join(sorted(known))}"
            )
        built: dict[str, Any] = {}
        for key, value in values.items():
            if key in nested and value is not None:
                built[key] = _nested(key, nested[key], value)
            else:
                built[key] = value
        return cls(**built)


def _nested(name: str, kind: type[Any], value: Any) -> Any:
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise AwsFirewallError(f"{name}: a mapping of option names to values")
    known = {item.name for item in dataclasses.fields(kind)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise AwsFirewallError(
            f"{name}: unknown option(s) {', '.join(unknown)}; options are {', '.join(sorted(known))}"
        )
    try:
        return kind(**value)
    except TypeError as exc:
        raise AwsFirewallError(f"{name}: {exc}") from None


def compile_args(args: NetworkFirewallAllowlistArgs, plan: EgressPlan | None = None) -> AwsEgressSpec:
    """Validate ``args`` completely and compile them; raises a ``SepEgressError`` naming the argument."""
    if not isinstance(args, NetworkFirewallAllowlistArgs):
        raise AwsFirewallError("args: a NetworkFirewallAllowlistArgs")
    if args.proxy is not None and not isinstance(args.proxy, bool):
        raise AwsFirewallError(f"proxy: true or false, not {args.proxy!r}")
    if args.storage is not None and not isinstance(args.storage, str):
        raise AwsFirewallError(f"storage: one of both, gcp or aws, not {args.storage!r}")
    if plan is None:
        if not args.version:
            raise AwsFirewallError("version: the SEP/SES release deployed is required, e.g. '14.3 RU1'")
        from .catalog import load_catalog, select

        plan = select(
            load_catalog(),
            version=args.version,
            mode=args.mode,
            roles=args.roles,
            proxy=bool(args.proxy),  # None: not given
            storage="both" if args.storage is None else args.storage,
        )
    else:
        # A plan carries its own selection: a selection field given as well would be silently ignored, so refuse it
        # (None means "not given" for proxy and storage, so an explicit false or "both" is refused too).
        given = [
            name
            for name, value in (
                ("version", args.version),
                ("mode", args.mode),
                ("roles", args.roles),
                ("proxy", args.proxy),
                ("storage", args.storage),
            )
            if value is not None and value != []
        ]
        if given:
            raise AwsFirewallError(
                "plan: pass either a plan or a selection (version, mode, roles, proxy, storage), not both; "
                f"the plan already decides {', '.join(given)} "
                f"(in a stack: set sep-egress:{given[0]}, not sep-egress:aws.{given[0]})"
            )
    _validate_deployment(args)
    options = AwsFirewallOptions(
        style=args.style,  # type: ignore[arg-type]  # validated by options.validate()
        headroom_percent=args.headroom_percent,
        capacity_rounding=args.capacity_rounding,
        min_capacity=args.min_capacity,
        name_prefix=args.name_prefix,
        allow_any_source=args.allow_any_source,
    )
    return compile_network_firewall(plan, args.source_cidrs, options)


def _strings(name: str, values: Any, *, pattern: re.Pattern[str] | None = None, required: bool = False) -> None:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise AwsFirewallError(f"{name}: a list of strings")
    if required and not values:
        raise AwsFirewallError(f"{name}: at least one value is required")
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value.strip():
            raise AwsFirewallError(f"{name}[{index}]: a non-empty string")
        if pattern is not None and not pattern.match(value):
            raise AwsFirewallError(f"{name}[{index}]: {value!r} does not look like {pattern.pattern}")


def _validate_deployment(args: NetworkFirewallAllowlistArgs) -> None:
    if not isinstance(args.tags, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in args.tags.items()
    ):
        raise AwsFirewallError("tags: a mapping of strings to strings")
    if not isinstance(args.create_policy, bool):
        raise AwsFirewallError(f"create_policy: true or false, not {args.create_policy!r}")
    if args.firewall is not None:
        if not isinstance(args.firewall, FirewallSettings):
            raise AwsFirewallError("firewall: a FirewallSettings")
        if not isinstance(args.firewall.delete_protection, bool):
            raise AwsFirewallError(
                f"firewall.delete_protection: true or false, not {args.firewall.delete_protection!r}"
            )
        if not args.create_policy:
            raise AwsFirewallError("firewall: creating the firewall needs create_policy (it runs this policy)")
        if not isinstance(args.firewall.vpc_id, str) or not args.firewall.vpc_id.startswith("vpc-"):
            raise AwsFirewallError(f"firewall.vpc_id: {args.firewall.vpc_id!r} is not a VPC id (vpc-...)")
        _strings("firewall.subnet_ids", args.firewall.subnet_ids, pattern=re.compile(r"^subnet-"), required=True)
    if args.logging is not None:
        if args.firewall is None:
            raise AwsFirewallError("logging: firewall logs need the firewall (set firewall)")
        if args.logging.destination_type not in get_args(LogDestinationType):
            raise AwsFirewallError(
                f"logging.destination_type: {args.logging.destination_type!r}; choose CloudWatchLogs or S3"
            )
        if not isinstance(args.logging.alert_destination, str) or not args.logging.alert_destination:
            raise AwsFirewallError("logging.alert_destination: a log group name or bucket name")
    distribution = args.distribution
    if distribution is not None:
        if not isinstance(distribution, DistributionSettings):
            raise AwsFirewallError("distribution: a DistributionSettings")
        if not isinstance(distribution.remediation_enabled, bool):
            raise AwsFirewallError(
                f"distribution.remediation_enabled: true or false, not {distribution.remediation_enabled!r}"
            )
        if distribution.method not in get_args(DistributionMethod):
            raise AwsFirewallError(
                f"distribution.method: {distribution.method!r}; choose none, firewall-manager or ram"
            )
        _strings("distribution.include_accounts", distribution.include_accounts, pattern=_ACCOUNT_ID)
        _strings("distribution.include_org_units", distribution.include_org_units, pattern=_ORG_UNIT)
        _strings(
            "distribution.principals",
            distribution.principals,
            pattern=_RAM_PRINCIPAL,
            required=distribution.method == "ram",
        )


class NetworkFirewallAllowlist(pulumi.ComponentResource):
    """The SEP egress allowlist on AWS Network Firewall (type ``sep-egress:aws:NetworkFirewallAllowlist``).

    Creates the compiled stateful rule groups (STRICT_ORDER), and, as ``args`` ask, a firewall policy, the firewall
    with its logging, and a Firewall Manager policy or RAM share. Pass ``plan=`` to use an ``EgressPlan`` built
    elsewhere (overlays, a custom catalog) instead of the selection fields.

    Every input is validated before any resource is registered: a mistake raises a ``SepEgressError`` whose
    message starts with the argument's name.

    Outputs: ``rule_group_arns``, ``rule_group_references`` (``{arn, priority}`` for a policy you own),
    ``firewall_policy_arn`` / ``firewall_arn`` (None when not created), ``allowed_hosts`` (per role),
    ``tls_inspection_bypass`` (hosts to keep out of any TLS inspection), ``skipped_roles``, ``capacity``.
    """

    rule_groups: dict[str, aws.networkfirewall.RuleGroup]
    rule_group_arns: pulumi.Output[list[str]]
    rule_group_references: pulumi.Output[list[dict[str, Any]]]
    firewall_policy_arn: pulumi.Output[str] | None
    firewall_arn: pulumi.Output[str] | None
    allowed_hosts: dict[str, list[str]]
    tls_inspection_bypass: list[str]
    skipped_roles: list[str]
    capacity: dict[str, dict[str, int]]

    def __init__(
        self,
        resource_name: str,
        args: NetworkFirewallAllowlistArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        plan: EgressPlan | None = None,
    ) -> None:
        spec = compile_args(args, plan)
        super().__init__(TYPE_TOKEN, resource_name, {}, opts)
        self.spec = spec
        child = pulumi.ResourceOptions(parent=self)
        tags = {"managed-by": "sep-egress", **args.tags}

        # No delete_before_replace: a replaced group (new capacity, hence a new hashed name) is created first, the
        # policy is moved to it, and only then is the old one deleted; the policy never points at a deleted group.
        self.rule_groups = {
            group.key: aws.networkfirewall.RuleGroup(
                f"{resource_name}-{group.key}",
                name=group.name,
                type="STATEFUL",
                capacity=group.capacity,
                description=group.description,
                rule_group=rule_group_inputs(group),
                tags=tags,
                opts=child,
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

        self.firewall_policy_arn = None
        self.firewall_arn = None
        if args.create_policy:
            policy = aws.networkfirewall.FirewallPolicy(
                f"{resource_name}-policy",
                name=f"{args.name_prefix}-policy",
                description="sep-egress: Symantec Endpoint Protection egress allowlist",
                firewall_policy=all_arns.apply(lambda values: firewall_policy_inputs(spec.firewall_policy(values))),
                tags=tags,
                opts=child,
            )
            self.firewall_policy_arn = policy.arn
            if args.firewall is not None:
                firewall = aws.networkfirewall.Firewall(
                    f"{resource_name}-firewall",
                    name=args.firewall.name or f"{args.name_prefix}-firewall",
                    firewall_policy_arn=policy.arn,
                    vpc_id=args.firewall.vpc_id,
                    subnet_mappings=[{"subnet_id": subnet} for subnet in args.firewall.subnet_ids],
                    delete_protection=args.firewall.delete_protection,
                    tags=tags,
                    opts=child,
                )
                self.firewall_arn = firewall.arn
                if args.logging is not None:
                    aws.networkfirewall.LoggingConfiguration(
                        f"{resource_name}-logging",
                        firewall_arn=firewall.arn,
                        logging_configuration={"log_destination_configs": log_destinations(args.logging)},
                        opts=child,
                    )

        distribution = args.distribution
        if distribution is not None and distribution.method == "firewall-manager":
            include_map: dict[str, list[str]] = {}
            if distribution.include_accounts:
                include_map["accounts"] = list(distribution.include_accounts)
            if distribution.include_org_units:
                include_map["orgunits"] = list(distribution.include_org_units)
            aws.fms.Policy(
                f"{resource_name}-fms",
                name=f"{args.name_prefix}-network-firewall",
                description="sep-egress: one reviewed SEP egress allowlist for every account's VPCs",
                resource_type="AWS::EC2::VPC",
                exclude_resource_tags=False,
                remediation_enabled=distribution.remediation_enabled,
                delete_all_policy_resources=False,
                include_map=include_map or None,
                security_service_policy_data={
                    "type": "NETWORK_FIREWALL",
                    "managed_service_data": all_arns.apply(
                        lambda values: json.dumps(spec.fms_managed_service_data(values), sort_keys=True)
                    ),
                },
                tags=tags,
                opts=child,
            )
        elif distribution is not None and distribution.method == "ram":
            share = aws.ram.ResourceShare(
                f"{resource_name}-share",
                name=f"{args.name_prefix}-rule-groups",
                allow_external_principals=False,
                tags=tags,
                opts=child,
            )
            for key, group in self.rule_groups.items():
                aws.ram.ResourceAssociation(
                    f"{resource_name}-share-{key}",
                    resource_arn=group.arn,
                    resource_share_arn=share.arn,
                    opts=child,
                )
            for principal in distribution.principals:
                # Named by a hash of the principal, not its position, so removing one principal leaves the others.
                digest = hashlib.sha256(principal.encode()).hexdigest()[:8]
                aws.ram.PrincipalAssociation(
                    f"{resource_name}-share-principal-{digest}",
                    principal=principal,
                    resource_share_arn=share.arn,
                    opts=child,
                )

        self.allowed_hosts = {role: list(values) for role, values in spec.allowed_by_role.items()}
        self.tls_inspection_bypass = list(spec.tls_inspection_bypass)
        self.skipped_roles = list(spec.skipped_roles)
        self.capacity = {
            group.key: {"capacity": group.capacity, "used": group.used_capacity, "priority": group.priority}
            for group in spec.groups
        }
        self.register_outputs(
            {
                "ruleGroupArns": self.rule_group_arns,
                "ruleGroupReferences": self.rule_group_references,
                "firewallPolicyArn": self.firewall_policy_arn,
                "firewallArn": self.firewall_arn,
                "allowedHosts": self.allowed_hosts,
                "tlsInspectionBypass": self.tls_inspection_bypass,
                "skippedRoles": self.skipped_roles,
                "capacity": self.capacity,
                "notes": list(spec.notes),
            }
        )


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
    return {
        "stateless_default_actions": list(api["StatelessDefaultActions"]),
        "stateless_fragment_default_actions": list(api["StatelessFragmentDefaultActions"]),
        "stateful_default_actions": list(api["StatefulDefaultActions"]),
        "stateful_engine_options": {"rule_order": api["StatefulEngineOptions"]["RuleOrder"]},
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


def log_destinations(settings: LoggingSettings) -> list[dict[str, Any]]:
    """``log_destination_configs``: ALERT always, FLOW when a flow destination is given."""
    targets: list[tuple[str, str]] = [("ALERT", settings.alert_destination)]
    if settings.flow_destination:
        targets.append(("FLOW", settings.flow_destination))
    configs = []
    for log_type, destination in targets:
        if settings.destination_type == "S3":
            where = {"bucketName": destination}
            if settings.s3_prefix:
                where["prefix"] = settings.s3_prefix
        else:
            where = {"logGroup": destination}
        configs.append(
            {"log_destination": where, "log_destination_type": settings.destination_type, "log_type": log_type}
        )
    return configs
