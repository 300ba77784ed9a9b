"""``EgressFirewallPolicy``: a Cloud NGFW policy built from the plan, registered in this order: the secure tags it
creates, then either the rules added to an existing policy or a new ``*FirewallPolicyWithRules`` and its
associations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, cast, overload

import pulumi
import pulumi_gcp as gcp

from ..arguments import SelectionArgs, call_styles, resolve_plan
from ..catalog import EgressPlan
from ..compile.gcp import (
    MACHINE_KINDS,
    FirewallOptions,
    FirewallPolicySpec,
    GcpSpecError,
    RoleTarget,
    parse_targets,
)
from ..compile.gcp.firewall import FirewallRule, compile_firewall_policy
from ..compile.gcp.options import CREATED_TAG, ENFORCEMENT_ORDERS, KIND_ROLES, check_secure_tags
from .args import EgressFirewallPolicyArgs, FirewallPolicyOptionsArgs, RoleTargetArgs, SecureTagsArgs
from .placeholders import NETWORK_STAND_IN, Placeholders


class EgressFirewallPolicy(pulumi.ComponentResource):
    """A Cloud NGFW egress policy built from the plan.

    Outputs (``pulumi.Output`` attributes, registered under the same names): ``policy_id``, ``policy_name``,
    ``rule_priorities``, ``tier`` (``standard`` when FQDN objects are used), ``network_settings`` (what each
    associated VPC must set: ``networkFirewallPolicyEnforcementOrder``), ``network_checks`` (what was read of each
    network: its enforcement order and whether the default deny holds there), ``secure_tag_values`` (machine kind,
    or role with ``keep_role_values``, -> the ``tagValues/...`` id of each created value: bind one to each VM of
    that kind), ``warnings``. With ``existing_policy``, ``policy_id`` and ``policy_name`` name the existing policy.
    """

    spec: FirewallPolicySpec
    policy_id: pulumi.Output[str]
    policy_name: pulumi.Output[str]
    rule_priorities: pulumi.Output[list[int]]
    tier: pulumi.Output[str]
    network_settings: pulumi.Output[dict[str, Any]]
    secure_tag_values: pulumi.Output[dict[str, str]]
    warnings: pulumi.Output[list[dict[str, Any]]]
    network_checks: pulumi.Output[list[dict[str, Any]]]
    _checks_passed: pulumi.Output[Any]

    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "policy_id",
        "policy_name",
        "rule_priorities",
        "tier",
        "network_settings",
        "secure_tag_values",
        "warnings",
        "network_checks",
    )

    @overload
    def __init__(
        self,
        name: str,
        args: EgressFirewallPolicyArgs | Mapping[str, Any],
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
        targets: Mapping[str, RoleTargetArgs | Mapping[str, Any]] | None = None,
        secure_tags: SecureTagsArgs | Mapping[str, Any] | None = None,
        options: FirewallPolicyOptionsArgs | Mapping[str, Any] | None = None,
        enforcement: Literal["observe", "enforce"] | None = None,
    ) -> None: ...

    @call_styles(EgressFirewallPolicyArgs)
    def __init__(  # the two call styles above, sorted by call_styles into (name, args, opts)
        self,
        name: str,
        args: EgressFirewallPolicyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec, created, placeholders = self.prepare(args)  # validates and compiles, before anything is registered
        self.spec = spec
        super().__init__("sep-egress:gcp:EgressFirewallPolicy", name, None, opts)
        # A network policy lives in its networks' project (checked by the compiler) unless told otherwise.
        project = args.options.project if args.options.project is not None else spec.project
        self.network_checks = self._check_networks(name, spec, args.options.network_checks, placeholders)
        tag_values = self._register_secure_tags(name, args.secure_tags, created)
        rules = [placeholders.restore(self._rule_args(rule, tag_values)) for rule in spec.rules]
        policy_id: pulumi.Input[str]
        if not spec.creates_policy:
            self._add_rules(name, spec, rules, project)
            policy_id = cast(str, spec.existing_policy)
            policy_name = cast(str, spec.existing_policy).rsplit("/", 1)[-1]
        else:
            policy = self._create_policy(name, spec, rules, project)
            self._associate(name, spec, policy, project, placeholders)
            policy_id, policy_name = policy.id, spec.name
        self._set_outputs(spec, policy_id, policy_name, tag_values)
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    @staticmethod
    def prepare(
        args: EgressFirewallPolicyArgs | Mapping[str, Any],
    ) -> tuple[FirewallPolicySpec, list[str], Placeholders]:
        """Validate ``args`` and compile the policy without registering anything (raises ``GcpSpecError``).

        Returns the spec, the tag values to create (``created:<role>``) and the stand-ins for Outputs.
        """
        args = EgressFirewallPolicyArgs.parse(args)
        resolved = resolve_plan(args.selection, args.plan, GcpSpecError)
        placeholders = Placeholders()
        options = _firewall_options(args.options, placeholders, args.enforcement)
        targets_raw = _targets_raw(args, resolved, options, placeholders)
        targets = parse_targets(targets_raw)
        created = _created_tag_values(targets, args.secure_tags)
        return compile_firewall_policy(resolved, targets, options), created, placeholders

    def _register_secure_tags(
        self, name: str, tags: SecureTagsArgs | None, created: list[str]
    ) -> dict[str, pulumi.Output[str]]:
        """The TagKey and one TagValue per created value, when ``secure_tags`` asks for any: their ids by value."""
        child = pulumi.ResourceOptions(parent=self)
        tag_values: dict[str, pulumi.Output[str]] = {}
        if tags is not None and created:
            purpose_data: Mapping[str, Any] = (
                {"network": tags.network} if tags.network is not None else {"organization": "auto"}
            )
            tag_key = gcp.tags.TagKey(
                f"{name}-tag-key",
                parent=tags.parent,
                short_name=tags.key,
                description=self._after_checks("sep-egress: workloads that need endpoint-protection egress"),
                purpose="GCE_FIREWALL",
                purpose_data=purpose_data,
                opts=child,
            )
            for value in sorted(created):
                short = value.removeprefix("created:")
                tag_value = gcp.tags.TagValue(
                    f"{name}-tag-{short}",
                    parent=tag_key.id,
                    short_name=short,
                    description=f"sep-egress: {short}",
                    opts=child,
                )
                tag_values[value] = tag_value.id
        return tag_values

    def _check_networks(
        self, name: str, spec: FirewallPolicySpec, action: str, placeholders: Placeholders
    ) -> pulumi.Output[list[dict[str, Any]]]:
        """Read each network the default deny relies on and judge its enforcement order; stop (``pulumi.RunError``
        before any of this component's resources is created) or warn when the deny would not hold.

        pulumi-gcp's ``compute.get_network`` invoke does not return the order, so the network is read as a resource
        (``gcp.compute.Network.get``: read, never managed or changed), whose state has
        ``network_firewall_policy_enforcement_order``. Under the API default ``AFTER_CLASSIC_FIREWALL`` "any classic
        egress allow" decides first. Read only for a network policy with a default deny whose options ask for
        ``BEFORE_CLASSIC_FIREWALL``; an existing association of another policy cannot be read (no invoke or
        resource state exposes it) and is only warned about (``gcp-unchecked-association``)."""
        networks = [placeholders.restore(network) for network in spec.checked_networks]
        if not networks:
            self._checks_passed = pulumi.Output.from_input([])
            return self._checks_passed
        reads = [
            gcp.compute.Network.get(
                f"{name}-network-{index}",
                pulumi.Output.from_input(network).apply(network_id),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for index, network in enumerate(networks)
        ]
        orders = [read.network_firewall_policy_enforcement_order for read in reads]
        ids = [pulumi.Output.from_input(network).apply(network_id) for network in networks]

        def judge(values: list[Any]) -> list[dict[str, Any]]:
            found = network_findings(values[: len(ids)], values[len(ids) :])
            problems = [item for item in found if not item["holds"]]
            if problems:
                # A network read with another order stops the deployment (or warns, as the user says); one whose
                # order could not be read (an offline preview of a network the stack does not describe) warns.
                stop = action == "stop" and any(item["read"] for item in problems)
                message = network_message(problems, action)
                if stop:
                    raise pulumi.RunError(message)
                pulumi.log.warn(message, resource=self)
            return found

        self._checks_passed = pulumi.Output.all(*ids, *orders).apply(judge)
        return self._checks_passed

    def _after_checks(self, value: Any) -> Any:
        """``value`` once the network checks passed: a resource taking it is registered only then."""
        return pulumi.Output.all(self._checks_passed, value).apply(lambda pair: pair[1])

    def _add_rules(self, name: str, spec: FirewallPolicySpec, rules: list[dict[str, Any]], project: Any) -> None:
        """Existing policy: one rule resource per rule, all in the reserved band, chained because a policy accepts
        one change at a time. Nothing else of the policy is read or written.

        Each resource is named after its priority (``<name>-rule-<priority>``), the key the API addresses a rule by
        (``patchRule``: "Patches a rule of the specified priority"; the priority cannot change). A priority that
        passes from one rule to another in a change (a port set removed, another on the same key added) is then
        one resource updated in place, never a creation while the old rule still holds the priority; a new
        resource always takes a priority no live rule holds. ``delete_before_replace`` covers a replacement the
        provider forces (another policy or project): the old rule goes first. The former names (after the rule
        name) are aliases, so an upgrade renames the resources without replacing them."""
        policy = cast(str, spec.existing_policy).rsplit("/", 1)[-1]
        previous: pulumi.Resource | None = None
        for rule, args in zip(spec.rules, rules, strict=True):
            opts = pulumi.ResourceOptions(
                parent=self,
                depends_on=[previous] if previous is not None else None,
                delete_before_replace=True,
                aliases=[pulumi.Alias(name=f"{name}-{former}") for former in (rule.rule_name, *rule.former_names)],
            )
            common = {key: value for key, value in args.items() if key != "rule_name"}
            resource: pulumi.CustomResource
            if spec.scope == "global":
                resource = gcp.compute.NetworkFirewallPolicyRule(
                    rule_resource_name(name, rule),
                    firewall_policy=self._after_checks(policy),
                    rule_name=rule.rule_name,
                    project=project,
                    opts=opts,
                    **common,
                )
            elif spec.scope == "regional":
                resource = gcp.compute.RegionNetworkFirewallPolicyRule(
                    rule_resource_name(name, rule),
                    firewall_policy=self._after_checks(policy),
                    rule_name=rule.rule_name,
                    region=spec.region,
                    project=project,
                    opts=opts,
                    **common,
                )
            else:  # a hierarchical rule has no rule_name in the provider; its description carries the identity
                resource = gcp.compute.FirewallPolicyRule(
                    rule_resource_name(name, rule), firewall_policy=self._after_checks(policy), opts=opts, **common
                )
            previous = resource

    def _create_policy(
        self, name: str, spec: FirewallPolicySpec, rules: list[dict[str, Any]], project: Any
    ) -> pulumi.CustomResource:
        """New policy: every rule in one ``*WithRules`` resource (the associations follow, see ``_associate``)."""
        child = pulumi.ResourceOptions(parent=self)
        policy: pulumi.CustomResource
        if spec.scope == "global":
            policy = gcp.compute.NetworkFirewallPolicyWithRules(
                f"{name}-policy",
                name=spec.name,
                description=self._after_checks(spec.description),
                rules=rules,
                project=project,
                opts=child,
            )
        elif spec.scope == "regional":
            policy = gcp.compute.RegionNetworkFirewallPolicyWithRules(
                f"{name}-policy",
                name=spec.name,
                description=self._after_checks(spec.description),
                region=spec.region,
                rules=rules,
                project=project,
                opts=child,
            )
        else:
            policy = gcp.compute.FirewallPolicyWithRules(
                f"{name}-policy",
                parent=spec.parent,
                short_name=spec.name,
                description=self._after_checks(spec.description),
                rules=rules,
                opts=child,
            )
        return policy

    def _associate(
        self,
        name: str,
        spec: FirewallPolicySpec,
        policy: pulumi.CustomResource,
        project: Any,
        placeholders: Placeholders,
    ) -> None:
        """The new policy's associations, after the policy."""
        # Associations are changes to the same policy: chained so that the API never sees two at once.
        previous: pulumi.Resource = policy
        for association in spec.associations:
            association_opts = pulumi.ResourceOptions(parent=self, depends_on=[previous])
            target = placeholders.restore(association.attachment_target)
            resource: pulumi.CustomResource
            if spec.scope == "global":
                resource = gcp.compute.NetworkFirewallPolicyAssociation(
                    f"{name}-{association.name}",
                    name=association.name,
                    attachment_target=target,
                    firewall_policy=policy.name,  # type: ignore[attr-defined]
                    project=project,
                    opts=association_opts,
                )
            elif spec.scope == "regional":
                resource = gcp.compute.RegionNetworkFirewallPolicyAssociation(
                    f"{name}-{association.name}",
                    name=association.name,
                    attachment_target=target,
                    firewall_policy=policy.name,  # type: ignore[attr-defined]
                    region=spec.region,
                    project=project,
                    opts=association_opts,
                )
            else:
                resource = gcp.compute.FirewallPolicyAssociation(
                    f"{name}-{association.name}",
                    name=association.name,
                    attachment_target=target,
                    firewall_policy=policy.id,
                    opts=association_opts,
                )
            previous = resource

    def _set_outputs(
        self,
        spec: FirewallPolicySpec,
        policy_id: pulumi.Input[str],
        policy_name: str,
        tag_values: Mapping[str, pulumi.Output[str]],
    ) -> None:
        """Every output attribute, from the spec, the policy and the created tag values."""
        self.policy_id = pulumi.Output.from_input(policy_id)
        self.policy_name = pulumi.Output.from_input(policy_name)
        self.rule_priorities = pulumi.Output.from_input([rule.priority for rule in spec.rules])
        self.tier = pulumi.Output.from_input(spec.tier)
        self.network_settings = pulumi.Output.from_input(spec.network_settings())
        created_values: dict[str, Any] = {
            key.removeprefix("created:"): value for key, value in sorted(tag_values.items())
        }
        self.secure_tag_values = pulumi.Output.from_input(created_values)
        self.warnings = pulumi.Output.from_input([warning.to_dict() for warning in spec.warnings])

    def _rule_args(self, rule: FirewallRule, tag_values: Mapping[str, pulumi.Output[str]]) -> dict[str, Any]:
        """One rule of the spec as the ``rules`` item of a ``*FirewallPolicyWithRules`` resource.

        The compiler's API body (the one validated against the discovery document) is the only description of a
        rule; here its keys take the provider's snake_case spelling, and created tags their real ids.
        """
        args: dict[str, Any] = snake_case_keys(rule.to_api())
        if "target_secure_tags" in args:
            args["target_secure_tags"] = [
                {"name": tag_values.get(tag["name"], tag["name"])} for tag in args["target_secure_tags"]
            ]
        return args


def _firewall_options(
    options: FirewallPolicyOptionsArgs, placeholders: Placeholders, enforcement: str = "enforce"
) -> FirewallOptions:
    """The compiler's options from the arguments the caller set, Output networks as stand-ins, and the mode."""
    given = options.given("project", "network_checks")
    given["enforcement"] = enforcement
    if isinstance(options.project, str):  # checked against the networks; an Output passes through
        given["project"] = options.project
    if "networks" in given:
        given["networks"] = placeholders.items(given["networks"], NETWORK_STAND_IN.format(argument="networks"))
    if "skip_roles" in given:
        given["skip_roles"] = tuple(given["skip_roles"])
    return FirewallOptions(**given)


def _targets_raw(
    args: EgressFirewallPolicyArgs, resolved: EgressPlan, options: FirewallOptions, placeholders: Placeholders
) -> dict[str, Any]:
    """``targets`` as given (Output values as stand-ins), plus ``created:<kind>`` (or per role) for each kind without
    one when ``secure_tags`` creates tags; a target that only says ``runs_agent`` gets its kind's created value."""
    targets_raw: dict[str, Any] = {}
    for key, target in args.targets.items():
        raw: dict[str, Any] = {
            kind: [placeholders.target(value, kind) for value in getattr(target, kind)]
            for kind in ("secure_tags", "service_accounts")
        }
        if target.runs_agent is not None:
            raw["runs_agent"] = target.runs_agent
        if args.secure_tags is not None and not raw["secure_tags"] and not raw["service_accounts"]:
            raw["secure_tags"] = [f"created:{key}"]
        targets_raw[key] = raw
    tags = args.secure_tags
    if tags is not None:
        check_secure_tags(tags.parent, tags.key, tags.network, args.options.networks)
        # One value per machine kind, never per role: a VM carries one value of the key. Stacks created with
        # per-role values keep them (same resources, so VMs bound to them stay bound); the kind's rules then
        # target every one of them, so a VM bound to any gets the kind's union.
        skip = set(options.skip_roles)
        for kind in MACHINE_KINDS:
            roles = [role for role in KIND_ROLES[kind] if role in resolved.roles]
            if not roles or kind in skip or all(role in skip for role in roles):
                continue
            if kind in targets_raw or any(role in targets_raw for role in KIND_ROLES[kind]):
                continue
            values = [f"created:{role}" for role in roles] if tags.keep_role_values else [f"created:{kind}"]
            targets_raw[kind] = {"secure_tags": values}
    return targets_raw


def _created_tag_values(targets: Mapping[str, RoleTarget], tags: SecureTagsArgs | None) -> list[str]:
    """The ``created:...`` values the targets use, in order of first use; refused without ``secure_tags``."""
    created: list[str] = []
    for key, target in targets.items():
        for value in target.secure_tags:
            if CREATED_TAG.fullmatch(value):
                if tags is None:
                    raise GcpSpecError(
                        f"targets.{key}", f"{value!r} refers to a created tag but 'secure_tags' is not given"
                    )
                if value not in created:
                    created.append(value)
    return created


NETWORK_PATH = re.compile(r"projects/[^/]+/global/networks/[^/]+$")


def network_id(network: str) -> str:
    """The id ``gcp.compute.Network.get`` reads a network by: ``projects/<p>/global/networks/<n>`` (a self link
    loses its URL prefix; a bare name is the provider project's network)."""
    found = NETWORK_PATH.search(network)
    return found.group(0) if found else network


def network_findings(ids: list[str], orders: list[Any]) -> list[dict[str, Any]]:
    """What was read of each network: its enforcement order, and whether the default deny holds there."""
    found = []
    for network, order in zip(ids, orders, strict=True):
        read = order in ENFORCEMENT_ORDERS
        found.append(
            {
                "network": network,
                "enforcement_order": order if read else None,
                "holds": order == "BEFORE_CLASSIC_FIREWALL",
                "read": read,
            }
        )
    return found


def network_message(problems: list[dict[str, Any]], action: str) -> str:
    """The message of the network check: each network that breaks the default deny, and what to do."""
    unread = [item["network"] for item in problems if not item["read"]]
    wrong = [f"{item['network']} ({item['enforcement_order']})" for item in problems if item["read"]]
    parts = []
    if wrong:
        parts.append(
            f"the default deny would not hold on {', '.join(wrong)}: networkFirewallPolicyEnforcementOrder is not "
            "BEFORE_CLASSIC_FIREWALL, so any classic VPC egress allow rule decides before this policy"
        )
    if unread:
        parts.append(
            f"the enforcement order of {', '.join(unread)} could not be read (the offline preview answers only "
            "what the stack states under sep-egress-preview:networks); the default deny holds only if it is "
            "BEFORE_CLASSIC_FIREWALL"
        )
    fix = (
        "Set network_firewall_policy_enforcement_order='BEFORE_CLASSIC_FIREWALL' on the network (its owner's "
        "stack), or set options.network_checks: warn to deploy anyway."
        if action == "stop"
        else "options.network_checks is warn: deploying anyway."
    )
    return f"EgressFirewallPolicy: {'; '.join(parts)}. {fix}"


def rule_resource_name(name: str, rule: FirewallRule) -> str:
    """The Pulumi name of a rule added to an existing policy: its priority, the rule's key in the API."""
    return f"{name}-rule-{rule.priority}"


def snake_case_keys(value: Any) -> Any:
    """A Compute API body with the Python provider's key spelling: ``layer4Configs`` -> ``layer4_configs``."""
    if isinstance(value, Mapping):
        return {_SNAKE.sub("_", str(key)).lower(): snake_case_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [snake_case_keys(item) for item in value]
    return value


_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
