"""From the arguments to the compiled ``AwsEgressSpec``: every check the models cannot make alone (the
deployment's ids, what needs what, the shared groups' capacity), then ``compile_network_firewall``, then the notes
this deployment adds. Nothing here registers a resource."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..arguments import is_output, resolve_plan
from ..compile.aws import (
    DEFAULT_ACTION_SETS,
    AwsEgressSpec,
    AwsFirewallError,
    AwsFirewallOptions,
    RuleGroupSpec,
    compile_network_firewall,
)
from .args import RETENTION_DAYS, DistributionSettings, LoggingSettings, NetworkFirewallAllowlistArgs, aws_error
from .names import VENDED_LOGS_PREFIX, default_log_group, name_prefix

# Matched whole (``fullmatch``): a value with a trailing newline or anything around it is refused.
_ACCOUNT_ID = re.compile(r"\d{12}")
_ORG_UNIT = re.compile(r"ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}")
_RAM_PRINCIPAL = re.compile(r"\d{12}|arn:aws[a-z-]*:organizations::\d{12}:(?:organization|ou)/[A-Za-z0-9/_-]+")
# EC2 ids are "subnet-"/"vpc-" and 8 or 17 hexadecimal digits; any letters and digits are accepted (the API
# judges the id), but nothing else: no space, line break or other text can ride along.
_SUBNET_ID = re.compile(r"subnet-[0-9A-Za-z]{1,64}")
_VPC_ID = re.compile(r"vpc-[0-9A-Za-z]{1,64}")
#: Capacity floor of rule groups other policies may reference (``distribution: ram`` or ``create_policy: false``)
#: when ``min_capacity`` is not given: a capacity change replaces a group, which a consumer's reference blocks, so
#: shared groups are held at one generous capacity instead of following the ladder.
SHARED_MIN_CAPACITY = 1_000
#: The key of the group that refuses what the declared sources may not reach (compile/aws/groups.py).
GUARD_KEY = "guard"
#: Suricata actions that refuse traffic: a group with any of them is never shared through RAM.
_REFUSING_ACTIONS = ("drop", "reject", "rejectsrc", "rejectdst", "rejectboth")
# CloudWatch Logs' log group name (botocore's logs model, CreateLogGroup.logGroupName): 1-512 of these characters.
_LOG_GROUP_NAME = re.compile(r"[.\-_/#A-Za-z0-9]{1,512}")


def shared_groups(args: NetworkFirewallAllowlistArgs) -> bool:
    """Whether policies this stack does not manage may reference the groups: a RAM share, your own policy, or the
    policies Firewall Manager creates in member accounts (it moves them to a new group asynchronously, so the old
    one can still be referenced when Pulumi deletes it)."""
    sharing = args.distribution is not None and args.distribution.method in ("ram", "firewall-manager")
    return sharing or not args.create_policy


def shareable(group: RuleGroupSpec) -> bool:
    """Whether another account may reference ``group`` safely: it only passes (an allow group). The guard holds this
    stack's sources in its own variables and refuses every other flow of theirs, so a consumer whose addresses
    overlap would get SEP-only egress from it; it is never shared, nor is any group with a refusing rule."""
    if group.key == GUARD_KEY:
        return False
    source = group.rule_group["RulesSource"]
    if "RulesSourceList" in source:
        return bool(source["RulesSourceList"]["GeneratedRulesType"] == "ALLOWLIST")
    actions = {line.split(" ", 1)[0] for line in group.rules_string.splitlines() if line and not line.startswith("#")}
    return not actions & set(_REFUSING_ACTIONS)


def distributed_groups(args: NetworkFirewallAllowlistArgs, spec: AwsEgressSpec) -> tuple[RuleGroupSpec, ...]:
    """The groups ``distribution`` hands to other accounts: RAM shares only the ``shareable`` ones; Firewall
    Manager's policies reference every group, or every group but the guard with ``include_guard: false``."""
    distribution = args.distribution
    if distribution is None or distribution.method == "none":
        return ()
    if distribution.method == "ram":
        return tuple(group for group in spec.groups if shareable(group))
    if distribution.include_guard is not False:  # Firewall Manager's default: the guard too
        return spec.groups
    return tuple(group for group in spec.groups if group.key != GUARD_KEY)


def log_targets(settings: LoggingSettings, prefix: str) -> list[tuple[str, Any]]:
    """``(log type, destination)`` pairs: ALERT always, FLOW when asked, CloudWatch Logs' default names filled in."""
    cloudwatch = settings.destination_type == "CloudWatchLogs"
    alert = settings.alert_destination
    if alert is None and cloudwatch:
        alert = default_log_group(prefix, "ALERT")
    targets: list[tuple[str, Any]] = [("ALERT", alert)]
    if settings.flow_logs or (settings.flow_logs is None and settings.flow_destination is not None):
        flow = settings.flow_destination
        if flow is None and cloudwatch:
            flow = default_log_group(prefix, "FLOW")
        targets.append(("FLOW", flow))
    return targets


def compile_args(args: NetworkFirewallAllowlistArgs | Mapping[str, Any]) -> AwsEgressSpec:
    """Validate ``args`` completely and compile them; raises an ``AwsFirewallError`` naming the argument.

    Physical names start with ``name_prefix``, by default from ``pulumi.get_project()`` and ``pulumi.get_stack()``.
    """
    args = NetworkFirewallAllowlistArgs.parse(args)
    plan = resolve_plan(args.selection, args.plan, aws_error)
    _validate_deployment(args)
    shared = shared_groups(args)
    floor = args.min_capacity if args.min_capacity is not None else (SHARED_MIN_CAPACITY if shared else 100)
    options = AwsFirewallOptions(
        style=args.style,  # type: ignore[arg-type]  # validated by options.validate()
        headroom_percent=args.headroom_percent,
        capacity_rounding=args.capacity_rounding,
        min_capacity=floor,
        max_rules_bytes=args.max_rules_bytes,
        name_prefix=name_prefix(args),
        allow_any_source=args.allow_any_source,
        block_action=args.block_action,
        pass_alert=args.pass_alert,
        default_actions=args.default_actions,
        stream_exception_policy=args.stream_exception_policy,
        tcp_idle_timeout=args.tcp_idle_timeout,
        guard_scope=args.guard_scope,
        guard_exempt_cidrs=tuple(args.guard_exempt_cidrs),
        enforcement=args.enforcement,
    )
    spec = compile_network_firewall(plan, args.source_cidrs, options)
    if shared and not args.allow_shared_replacement:
        _refuse_shared_replacement(spec, floor, args)
    notes = list(spec.notes)
    if shared:
        notes.append(
            f"Shared rule groups (other policies may reference them) are held at capacity {floor} each "
            "(min_capacity) and protected: a group that outgrows it is refused, and any change that would replace "
            "or delete one (capacity, name_prefix, style, a selection that drops a group) stops at the preview, "
            "until you set allow_shared_replacement: true for that change (a new ARN your consumers must move to; "
            "'pulumi destroy' needs it too)."
        )
    distribution = args.distribution
    if distribution is not None and distribution.method == "firewall-manager":
        notes.append(_fms_scope_note(distribution, spec))
    if distribution is not None and distribution.method in ("ram", "firewall-manager"):
        notes.append(_distribution_note(args, spec))
    if args.logging is not None and args.logging.destination_type == "CloudWatchLogs":
        outside = [
            name
            for _, name in log_targets(args.logging, name_prefix(args))
            if isinstance(name, str) and not name.startswith(VENDED_LOGS_PREFIX)
        ]
        if outside:
            notes.append(
                f"Log groups outside {VENDED_LOGS_PREFIX} ({', '.join(dict.fromkeys(outside))}): each log delivery to "
                "them adds a statement to the account's CloudWatch Logs resource policy (5,120 characters at most), "
                f"and a delivery fails at 'up' once it is full; names under {VENDED_LOGS_PREFIX} avoid it "
                "(docs/aws.md, 'Logging')."
            )
    return replace(spec, notes=tuple(notes))


def _distribution_note(args: NetworkFirewallAllowlistArgs, spec: AwsEgressSpec) -> str:
    """What the distribution hands to other accounts, and what they must add."""
    given = {group.key for group in distributed_groups(args, spec)}
    kept = [f"{group.key} ({group.name})" for group in spec.groups if group.key not in given]
    shared = ", ".join(group.key for group in spec.groups if group.key in given) or "none"
    if args.distribution is not None and args.distribution.method == "ram":
        return (
            f"Sharing: RAM shares the allow groups only ({shared}); not shared: {', '.join(kept) or 'none'}. A "
            "consumer's policy that references them passes SEP's traffic from this stack's declared sources and must "
            "refuse the rest itself: STRICT_ORDER with aws:drop_established_app_layer_to_server (or its own guard "
            "for its own sources, e.g. its own sep-egress stack with create_policy: false); docs/aws.md, 'Sharing'."
        )
    if GUARD_KEY in given:
        return (
            f"Sharing: Firewall Manager policies reference {shared}: the guard refuses, in every VPC in scope, what "
            "this stack's declared sources may not reach, whoever owns those addresses there (include_guard: false "
            "leaves refusal to default_actions)."
        )
    return (
        f"Sharing: Firewall Manager policies reference the allow groups only ({shared}; include_guard: false): "
        "nothing refuses but the default actions, and aws:drop_established (the strongest Firewall Manager accepts) "
        "cuts ClientHellos split over several segments, which the guard would have let complete."
    )


def _refuse_shared_replacement(spec: AwsEgressSpec, floor: int, args: NetworkFirewallAllowlistArgs) -> None:
    """Stop before anything is registered when a shared group would leave its pinned capacity: the new capacity
    forces a replacement (a new ARN), and the old group cannot be deleted while a consumer's policy references it."""
    if not args.create_policy:
        why = "create_policy is false: your own policy"
    else:
        why = "a RAM share" if args.distribution and args.distribution.method == "ram" else "Firewall Manager"
    for group in spec.groups:
        if group.capacity != floor:
            raise AwsFirewallError(
                f"min_capacity: rule group {group.key!r} ({group.name}) needs capacity {group.capacity} "
                f"({group.used_capacity} rules with {args.headroom_percent}% headroom) but shared groups are held at "
                f"{floor}; other policies may reference it ({why}), and a new capacity replaces the group (a new "
                "ARN): 'pulumi up' cannot delete the old group while a policy references it, or consumers keep a "
                f"dead reference. Raise min_capacity to {group.capacity} or more and set allow_shared_replacement: "
                "true for that change (then move consumers to the new rule_group_references), or split the selection."
            )


def _fms_scope_note(distribution: DistributionSettings, spec: AwsEgressSpec) -> str:
    accounts = distribution.include_accounts
    units = distribution.include_org_units
    if is_output(accounts) or is_output(units):
        scope = "the accounts and OUs given at deployment"
    elif not accounts and not units:
        scope = "EVERY account of the organization"
    else:
        listed = [", ".join(str(item) for item in values) or "-" for values in (accounts, units)]
        scope = f"accounts {listed[0]}; OUs {listed[1]}"
    actions = DEFAULT_ACTION_SETS[distribution.default_actions or "none"]
    return (
        f"Firewall Manager: default actions {', '.join(actions) or 'none (nothing dropped by default)'} apply to every "
        f"VPC in scope ({scope}), remediation {'ON' if distribution.remediation_enabled else 'off (audit)'}; the "
        f"pass rules only cover the declared sources ({', '.join(spec.home_net)}), and the guard refuses "
        "everything else from those sources (their UDP and DNS included) in every VPC in scope, whatever the "
        "default actions: other workloads there with the same addresses are filtered too. Roll out audit-first "
        "(docs/aws.md)."
    )


def _strings(name: str, values: Any, *, pattern: re.Pattern[str] | None = None, required: bool = False) -> None:
    """Plain items are checked against ``pattern``; Outputs (items or the whole list) pass through."""
    if is_output(values):
        return
    if required and not values:
        raise AwsFirewallError(f"{name}: at least one value is required")
    for index, value in enumerate(values):
        if isinstance(value, str) and pattern is not None and not pattern.fullmatch(value):
            raise AwsFirewallError(f"{name}[{index}]: {value!r} does not look like {pattern.pattern}")


def _validate_deployment(args: NetworkFirewallAllowlistArgs) -> None:
    if args.firewall is not None:
        if not args.create_policy:
            raise AwsFirewallError("firewall: creating the firewall needs create_policy (it runs this policy)")
        vpc_id = args.firewall.vpc_id
        if isinstance(vpc_id, str) and not _VPC_ID.fullmatch(vpc_id):
            raise AwsFirewallError(f"firewall.vpc_id: {vpc_id!r} is not a VPC id (vpc-...)")
        _strings("firewall.subnet_ids", args.firewall.subnet_ids, pattern=_SUBNET_ID, required=True)
    if args.logging is not None and args.firewall is None:
        raise AwsFirewallError("logging: firewall logs need the firewall (set firewall)")
    if args.logging is not None:
        _validate_logging(args.logging)
    distribution = args.distribution
    if distribution is not None:
        if distribution.method == "firewall-manager" and distribution.default_actions is None:
            raise AwsFirewallError(
                "distribution.default_actions: required with firewall-manager. Firewall Manager applies the policy's "
                "default actions to every VPC in scope, while the pass rules only cover the sources declared here; "
                "choose them explicitly: none (audit-first: only the declared sources are filtered), then "
                "drop_established once the alert logs are clean"
            )
        _strings("distribution.include_accounts", distribution.include_accounts, pattern=_ACCOUNT_ID)
        _strings("distribution.include_org_units", distribution.include_org_units, pattern=_ORG_UNIT)
        if distribution.method == "ram" and distribution.include_guard is True:
            raise AwsFirewallError(
                "distribution.include_guard: a RAM share never includes the guard: it holds this stack's sources and "
                "refuses every other flow of theirs, so a consumer whose addresses overlap would get SEP-only egress "
                "(docs/aws.md, 'Sharing')"
            )
        _strings(
            "distribution.principals",
            distribution.principals,
            pattern=_RAM_PRINCIPAL,
            required=distribution.method == "ram",
        )


def _validate_logging(settings: LoggingSettings) -> None:
    kind = settings.destination_type
    cloudwatch = kind == "CloudWatchLogs"
    explicit = settings.model_fields_set
    if not cloudwatch:
        for key in ("create_log_groups", "retention_days", "kms_key_id"):
            if key in explicit:
                raise AwsFirewallError(
                    f"logging.{key}: only for CloudWatchLogs log groups; a {kind} destination must exist already"
                )
        if settings.alert_destination is None:
            raise AwsFirewallError(f"logging.alert_destination: required with destination_type {kind}")
        if settings.flow_logs and settings.flow_destination is None:
            raise AwsFirewallError(f"logging.flow_destination: required for flow logs with destination_type {kind}")
    if settings.s3_prefix is not None and kind != "S3":
        raise AwsFirewallError(f"logging.s3_prefix: only for S3 destinations, not {kind}")
    if settings.flow_logs is False and settings.flow_destination is not None:
        raise AwsFirewallError("logging.flow_destination: given while flow_logs is false")
    if cloudwatch:
        if not settings.create_log_groups:
            if settings.alert_destination is None:
                raise AwsFirewallError(
                    "logging.alert_destination: name the existing log group (create_log_groups is false)"
                )
            if settings.flow_logs and settings.flow_destination is None:
                raise AwsFirewallError(
                    "logging.flow_destination: name the existing log group for flow logs (create_log_groups is false)"
                )
            for key in ("retention_days", "kms_key_id"):
                if key in explicit:
                    raise AwsFirewallError(
                        f"logging.{key}: only for the log groups the component creates (create_log_groups is false)"
                    )
        if settings.retention_days not in RETENTION_DAYS:
            raise AwsFirewallError(
                f"logging.retention_days: {settings.retention_days} is not a CloudWatch Logs retention; choose one of "
                f"{', '.join(str(days) for days in RETENTION_DAYS)} (0: never expire)"
            )
        for key in ("alert_destination", "flow_destination"):
            name = getattr(settings, key)
            if isinstance(name, str) and not _LOG_GROUP_NAME.fullmatch(name):
                raise AwsFirewallError(
                    f"logging.{key}: {name!r} is not a log group name (1-512 of letters, digits and . - _ / #)"
                )
