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
    compile_network_firewall,
)
from .args import DistributionSettings, NetworkFirewallAllowlistArgs, aws_error
from .names import name_prefix

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


def shared_groups(args: NetworkFirewallAllowlistArgs) -> bool:
    """Whether policies this stack does not manage may reference the groups: a RAM share, your own policy, or the
    policies Firewall Manager creates in member accounts (it moves them to a new group asynchronously, so the old
    one can still be referenced when Pulumi deletes it)."""
    sharing = args.distribution is not None and args.distribution.method in ("ram", "firewall-manager")
    return sharing or not args.create_policy


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
    return replace(spec, notes=tuple(notes))


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
        _strings(
            "distribution.principals",
            distribution.principals,
            pattern=_RAM_PRINCIPAL,
            required=distribution.method == "ram",
        )
