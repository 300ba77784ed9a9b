"""Pulumi component for AWS Network Firewall: the compiled allowlist as rule groups, a policy, and optionally the
firewall, its logs and an organization-wide distribution.

No host or port logic lives here: ``sep_egress.compile.aws`` decides every rule, capacity, name and priority;
this module maps those specs one to one onto ``pulumi_aws`` resources. Use it from any Python Pulumi program::

    from sep_egress.arguments import SelectionArgs
    from sep_egress.aws import FirewallSettings, NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs

    allowlist = NetworkFirewallAllowlist(
        "sep",
        NetworkFirewallAllowlistArgs(
            selection=SelectionArgs(mode="hybrid", version="14.3 RU1"),
            source_cidrs={"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]},
            firewall=FirewallSettings(vpc_id=vpc.id, subnet_ids=[subnet.id for subnet in firewall_subnets]),
        ),
    )
    pulumi.export("rule_group_arns", allowlist.rule_group_arns)

See docs/aws.md for every option, its default, and what it protects or costs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Literal

import pulumi
import pulumi_aws as aws
from pydantic import Field

from .arguments import (
    ComponentArgs,
    ErrorFactory,
    InputStr,
    InputStrItems,
    InputStrList,
    InputStrMap,
    SelectionArgs,
    is_output,
    resolve_plan,
)
from .catalog.plan import EgressPlan
from .compile.aws import (
    DEFAULT_ACTION_SETS,
    MAX_RULES_STRING_BYTES,
    AwsEgressSpec,
    AwsFirewallError,
    AwsFirewallOptions,
    BlockAction,
    DefaultActions,
    RuleGroupSpec,
    StreamExceptionPolicy,
    compile_network_firewall,
)

TYPE_TOKEN = "sep-egress:aws:NetworkFirewallAllowlist"  # noqa: S105 - a Pulumi type token, not a secret

LogDestinationType = Literal["CloudWatchLogs", "S3"]
#: Firewall Manager's model lists aws:drop_strict, aws:drop_established and their alert twins only (botocore's fms
#: NetworkFirewallPolicyDescription.StatefulDefaultActions), not the application-layer variants.
FmsDefaultActions = Literal["drop_established", "drop_strict", "none"]
DistributionMethod = Literal["none", "firewall-manager", "ram"]
# Matched whole (``fullmatch``): a value with a trailing newline or anything around it is refused.
_ACCOUNT_ID = re.compile(r"\d{12}")
_ORG_UNIT = re.compile(r"ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}")
_RAM_PRINCIPAL = re.compile(r"\d{12}|arn:aws[a-z-]*:organizations::\d{12}:(?:organization|ou)/[A-Za-z0-9/_-]+")
# EC2 ids are "subnet-"/"vpc-" and 8 or 17 hexadecimal digits; any letters and digits are accepted (the API
# judges the id), but nothing else: no space, line break or other text can ride along.
_SUBNET_ID = re.compile(r"subnet-[0-9A-Za-z]{1,64}")
_VPC_ID = re.compile(r"vpc-[0-9A-Za-z]{1,64}")
#: The physical names' start before names became per stack (kept by setting ``name_prefix`` to it).
LEGACY_NAME_PREFIX = "sep-egress"
#: Capacity floor of rule groups other policies may reference (``distribution: ram`` or ``create_policy: false``)
#: when ``min_capacity`` is not given: a capacity change replaces a group, which a consumer's reference blocks, so
#: shared groups are held at one generous capacity instead of following the ladder.
SHARED_MIN_CAPACITY = 1_000
_NAME_PART = re.compile(r"[^A-Za-z0-9]+")


def _aws_error(where: str, message: str) -> AwsFirewallError:
    return AwsFirewallError(f"{where}: {message}")


class AwsArgs(ComponentArgs):
    """Args of the AWS component: mistakes raise ``AwsFirewallError``."""

    error: ClassVar[ErrorFactory] = staticmethod(_aws_error)


class FirewallSettings(AwsArgs):
    """Create the ``aws.networkfirewall.Firewall`` itself, with one endpoint per subnet (one subnet per AZ)."""

    vpc_id: InputStr = Field(description="The VPC of the firewall (vpc-...), or an Output of one.")
    subnet_ids: InputStrList = Field(
        description="The firewall subnets (subnet-...), one per Availability Zone; items or the list may be Outputs."
    )
    name: InputStr | None = Field(default=None, description="Firewall name; default <name_prefix>-firewall.")
    delete_protection: bool = Field(default=True, description="Refuse deletion of the firewall.")


class LoggingSettings(AwsArgs):
    """Alert (and optionally flow) logs of the firewall, to CloudWatch Logs (log group names) or S3 (buckets)."""

    alert_destination: InputStr = Field(
        description="Log group name (CloudWatchLogs) or bucket name (S3) for ALERT logs."
    )
    destination_type: LogDestinationType = Field(default="CloudWatchLogs", description="CloudWatchLogs or S3.")
    flow_destination: InputStr | None = Field(
        default=None, description="Log group or bucket for FLOW logs; none when absent."
    )
    s3_prefix: InputStr | None = Field(default=None, description="Key prefix in the bucket(s), for S3.")


class DistributionSettings(AwsArgs):
    """Share one reviewed allowlist with many accounts instead of copying it.

    ``firewall-manager``: an ``aws.fms.Policy`` (type NETWORK_FIREWALL) in the Firewall Manager administrator
    account, applied to the VPCs of ``include_accounts`` / ``include_org_units`` (every account when both are
    empty); ``remediation_enabled`` false means audit only. ``ram``: an AWS RAM share of the rule groups with
    ``principals`` (account IDs, an organization or OU ARN), for accounts that reference them from their own
    policies.
    """

    method: DistributionMethod = Field(
        default="none", description="none, firewall-manager (an FMS policy) or ram (share the rule groups)."
    )
    include_accounts: InputStrList = Field(
        default_factory=list, description="firewall-manager: account IDs in scope (every account when both empty)."
    )
    include_org_units: InputStrList = Field(
        default_factory=list, description="firewall-manager: organizational units in scope (ou-...)."
    )
    remediation_enabled: bool = Field(
        default=False, description="firewall-manager: enforce (true) or audit only (false)."
    )
    default_actions: FmsDefaultActions | None = Field(
        default=None,
        description="firewall-manager (required there): the policy's stateful default actions, applied to EVERY "
        "in-scope VPC while the rules only cover source_cidrs: drop_established, drop_strict, or none "
        "(audit-first: the guard still refuses what declared sources may not reach).",
    )
    principals: InputStrItems = Field(
        default_factory=list,
        description="ram: account IDs, or organization or OU ARNs, to share the rule groups with (required for ram).",
    )


class NetworkFirewallAllowlistArgs(AwsArgs):
    """Inputs of ``NetworkFirewallAllowlist``.

    ``selection`` (what to take from the catalog) or a ready ``plan`` (an ``EgressPlan``, e.g. with overlays or
    shared by several components): exactly one of the two.

    ``source_cidrs``: per role, the networks its machines use (SEP clients' subnets for ``agent``, the SEPM server
    for ``sepm``, the administrators' networks for ``console``...). A role without sources gets no rule.

    ``style``: ``suricata`` (default; pins ports and per-role sources) or ``domain-list``. ``headroom_percent``
    (25), ``capacity_rounding`` (100) and ``min_capacity`` (100; 1000 for shared groups, held at exactly that)
    size each group's fixed capacity so that new hosts are in-place updates; ``allow_shared_replacement`` lets a
    shared group be replaced. ``name_prefix`` starts every physical name (default per project and stack).
    ``allow_any_source`` (false) must be set to accept ``0.0.0.0/0`` as a source. ``block_action`` (reject) and
    ``pass_alert`` (false) shape the rules.

    ``create_policy`` (true): a STRICT_ORDER firewall policy with ``default_actions``
    (``drop_established_app_layer``), ``stream_exception_policy`` (REJECT), ``tcp_idle_timeout`` (350) and
    HOME_NET set to the sources; false when the stack owns its policy (use the ``rule_group_references`` output).
    ``firewall``, ``logging``, ``distribution``: see their classes. ``tags`` go on every taggable resource.

    Plain values only where the compiler reads them (selection, sources, sizes, names); ids, destinations, tags
    and principals may be ``pulumi.Output``s.
    """

    selection: SelectionArgs | None = Field(
        default=None, description="What to select from the catalog; give it or a plan, not both."
    )
    plan: EgressPlan | None = Field(
        default=None, description="A ready EgressPlan (Python only) instead of the selection."
    )
    source_cidrs: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per role (agent, agent-cloud, sepm, sepm-cloud, console), its networks; a role without any "
        "gets no rule.",
    )
    style: str = Field(default="suricata", description="suricata (pins ports and per-role sources) or domain-list.")
    headroom_percent: int = Field(
        default=25, description="Spare capacity per rule group, so that new hosts are in-place updates."
    )
    capacity_rounding: int = Field(default=100, description="The unit of the capacity ladder.")
    min_capacity: int | None = Field(
        default=None,
        description="Smallest capacity of a rule group: 100, or 1000 for shared groups (distribution ram or "
        "firewall-manager, or create_policy false), which are held at exactly this capacity.",
    )
    allow_shared_replacement: bool = Field(
        default=False,
        description="Let shared groups (ram, firewall-manager, create_policy false) outgrow min_capacity: a "
        "replacement with a new ARN "
        "that consumers' policies must be moved to.",
    )
    block_action: BlockAction = Field(
        default="reject",
        description="reject (a TCP reset: clients fail over at once) or drop, for refused TLS, HTTP and TCP; UDP, "
        "ICMP and other protocols are always dropped.",
    )
    pass_alert: bool = Field(
        default=False,
        description="Pass rules also alert, so the alert log names the catalog host of each flow (suricata style; "
        "one alert record per allowed flow).",
    )
    default_actions: DefaultActions = Field(
        default="drop_established_app_layer",
        description="The created policy's stateful default actions (each drop with its alert twin), for traffic "
        "of sources outside source_cidrs.",
    )
    stream_exception_policy: StreamExceptionPolicy = Field(
        default="REJECT",
        description="The created policy's handling of flows broken midstream: REJECT (a reset, the client "
        "reconnects and is judged again), DROP or CONTINUE.",
    )
    tcp_idle_timeout: int = Field(
        default=350, description="The created policy's TCP idle timeout in seconds (60-6000; 350 = NAT gateway's)."
    )
    max_rules_bytes: int = Field(
        default=MAX_RULES_STRING_BYTES,
        description="Largest rules string per group (AWS: 2,000,000 bytes; lower it for tooling with the old "
        "1,000,000 limit).",
    )
    name_prefix: str | None = Field(
        default=None,
        description="Start of every physical name; default sep-egress-<project>-<stack>, unique per stack. Set "
        "sep-egress to keep the names of a deployment made before names were per stack.",
    )
    allow_any_source: bool = Field(default=False, description="Accept 0.0.0.0/0 as a source.")
    create_policy: bool = Field(
        default=True,
        description="Create a STRICT_ORDER policy that drops the rest; false if you own it (rule_group_references).",
    )
    firewall: FirewallSettings | None = Field(
        default=None, description="Create the firewall itself (needs create_policy)."
    )
    logging: LoggingSettings | None = Field(default=None, description="Firewall logs (needs firewall).")
    distribution: DistributionSettings | None = Field(
        default=None, description="Firewall Manager policy or RAM share of the rule groups."
    )
    tags: InputStrMap = Field(
        default_factory=dict,
        description="Tags on every taggable resource (managed-by: sep-egress is always added).",
    )


def default_name_prefix(project: str, stack: str) -> str:
    """``sep-egress-<project>-<stack>-<hash>`` (no second ``sep-egress`` when the project's name starts with it),
    in the characters every physical name allows, at most 64 characters. The readable part alone is not unique
    (``sep-egress``/``foo-dev`` and ``sep-egress-foo``/``dev`` both read ``sep-egress-foo-dev``; ``net_x`` and
    ``net.x`` both read ``net-x``), so 6 hex digits of a hash of the exact project and stack names end it: two
    stacks never share a name."""
    parts = [_NAME_PART.sub("-", part).strip("-").lower() for part in (project, stack)]
    parts = [part for part in parts if part]
    # A project already named after the product (this repository's own: sep-egress) is not repeated.
    head = [] if parts and parts[0].startswith(LEGACY_NAME_PREFIX) else [LEGACY_NAME_PREFIX]
    readable = "-".join([*head, *parts])
    digest = hashlib.sha256(f"{project}\0{stack}".encode()).hexdigest()[:6]
    return readable[: 64 - len(digest) - 1].rstrip("-") + "-" + digest


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
    plan = resolve_plan(args.selection, args.plan, _aws_error)
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


def name_prefix(args: NetworkFirewallAllowlistArgs) -> str:
    """The physical names' start: ``name_prefix``, or the per-stack default."""
    if args.name_prefix is not None:
        return args.name_prefix
    return default_name_prefix(pulumi.get_project(), pulumi.get_stack())


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


class NetworkFirewallAllowlist(pulumi.ComponentResource):
    """The SEP egress allowlist on AWS Network Firewall (type ``sep-egress:aws:NetworkFirewallAllowlist``).

    Creates the compiled stateful rule groups (STRICT_ORDER), and, as ``args`` ask, a firewall policy, the firewall
    with its logging, and a Firewall Manager policy or RAM share. ``args`` is a ``NetworkFirewallAllowlistArgs``
    (or a mapping of the same arguments); ``opts`` apply to the component, children are parented to it.

    Every input is validated before any resource is registered: a mistake raises a ``SepEgressError`` whose
    message starts with the argument's name.

    Outputs (``pulumi.Output`` attributes, registered under the same snake_case names): ``rule_group_arns``,
    ``rule_group_references`` (``{arn, priority}`` for a policy you own), ``firewall_policy_arn`` /
    ``firewall_arn`` (None when not created), ``allowed_hosts`` (per role), ``tls_inspection_bypass`` (hosts to
    keep out of any TLS inspection), ``skipped_roles``, ``capacity``, ``notes``.
    """

    spec: AwsEgressSpec
    rule_groups: dict[str, aws.networkfirewall.RuleGroup]
    rule_group_arns: pulumi.Output[list[str]]
    rule_group_references: pulumi.Output[list[dict[str, Any]]]
    firewall_policy_arn: pulumi.Output[str | None]
    firewall_arn: pulumi.Output[str | None]
    allowed_hosts: pulumi.Output[dict[str, list[str]]]
    tls_inspection_bypass: pulumi.Output[list[str]]
    skipped_roles: pulumi.Output[list[str]]
    capacity: pulumi.Output[dict[str, dict[str, int]]]
    notes: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        args: NetworkFirewallAllowlistArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = NetworkFirewallAllowlistArgs.parse(args)
        spec = compile_args(args)
        super().__init__(TYPE_TOKEN, name, {}, opts)
        self.spec = spec
        prefix = name_prefix(args)
        child = pulumi.ResourceOptions(parent=self)
        tags = _with_managed_by(args.tags)

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

        self.firewall_policy_arn = pulumi.Output.from_input(None)
        self.firewall_arn = pulumi.Output.from_input(None)
        if args.create_policy:
            policy = aws.networkfirewall.FirewallPolicy(
                f"{name}-policy",
                name=f"{prefix}-policy",
                description="sep-egress: Symantec Endpoint Protection egress allowlist",
                firewall_policy=all_arns.apply(lambda values: firewall_policy_inputs(spec.firewall_policy(values))),
                tags=tags,
                opts=child,
            )
            self.firewall_policy_arn = policy.arn
            if args.firewall is not None:
                firewall = aws.networkfirewall.Firewall(
                    f"{name}-firewall",
                    name=args.firewall.name or f"{prefix}-firewall",
                    firewall_policy_arn=policy.arn,
                    vpc_id=args.firewall.vpc_id,
                    subnet_mappings=_subnet_mappings(args.firewall.subnet_ids),
                    delete_protection=args.firewall.delete_protection,
                    tags=tags,
                    opts=child,
                )
                self.firewall_arn = firewall.arn
                if args.logging is not None:
                    aws.networkfirewall.LoggingConfiguration(
                        f"{name}-logging",
                        firewall_arn=firewall.arn,
                        logging_configuration={"log_destination_configs": log_destinations(args.logging)},
                        opts=child,
                    )

        distribution = args.distribution
        if distribution is not None and distribution.method == "firewall-manager":
            fms_actions = DEFAULT_ACTION_SETS[distribution.default_actions or "none"]
            aws.fms.Policy(
                f"{name}-fms",
                name=f"{prefix}-network-firewall",
                description="sep-egress: one reviewed SEP egress allowlist for every account's VPCs",
                resource_type="AWS::EC2::VPC",
                exclude_resource_tags=False,
                remediation_enabled=distribution.remediation_enabled,
                delete_all_policy_resources=False,
                include_map=_include_map(distribution),
                security_service_policy_data={
                    "type": "NETWORK_FIREWALL",
                    "managed_service_data": all_arns.apply(
                        lambda values: json.dumps(spec.fms_managed_service_data(values, fms_actions), sort_keys=True)
                    ),
                },
                tags=tags,
                opts=child,
            )
        elif distribution is not None and distribution.method == "ram":
            share = aws.ram.ResourceShare(
                f"{name}-share",
                name=f"{prefix}-rule-groups",
                allow_external_principals=False,
                tags=tags,
                opts=child,
            )
            for key, group in self.rule_groups.items():
                aws.ram.ResourceAssociation(
                    f"{name}-share-{key}",
                    resource_arn=group.arn,
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
        self.register_outputs({name: getattr(self, name) for name in OUTPUTS})


OUTPUTS = (
    "rule_group_arns",
    "rule_group_references",
    "firewall_policy_arn",
    "firewall_arn",
    "allowed_hosts",
    "tls_inspection_bypass",
    "skipped_roles",
    "capacity",
    "notes",
)
"""The component's outputs: each a ``pulumi.Output`` attribute, registered under the same name."""


def _with_managed_by(tags: Any) -> Any:
    if is_output(tags):
        return pulumi.Output.from_input(tags).apply(lambda values: {"managed-by": "sep-egress", **(values or {})})
    return {"managed-by": "sep-egress", **tags}


def _subnet_mappings(subnet_ids: Any) -> Any:
    if is_output(subnet_ids):
        return pulumi.Output.from_input(subnet_ids).apply(lambda ids: [{"subnet_id": subnet} for subnet in ids])
    return [{"subnet_id": subnet} for subnet in subnet_ids]


def _include_map(distribution: DistributionSettings) -> Any:
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


def log_destinations(settings: LoggingSettings) -> list[dict[str, Any]]:
    """``log_destination_configs``: ALERT always, FLOW when a flow destination is given."""
    targets: list[tuple[str, Any]] = [("ALERT", settings.alert_destination)]
    if settings.flow_destination:
        targets.append(("FLOW", settings.flow_destination))
    configs = []
    for log_type, destination in targets:
        if settings.destination_type == "S3":
            where: dict[str, Any] = {"bucketName": destination}
            if settings.s3_prefix:
                where["prefix"] = settings.s3_prefix
        else:
            where = {"logGroup": destination}
        configs.append(
            {"log_destination": where, "log_destination_type": settings.destination_type, "log_type": log_type}
        )
    return configs
