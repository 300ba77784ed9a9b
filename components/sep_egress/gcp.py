"""Pulumi components for GCP: they map the specs of ``sep_egress.compile.gcp`` to pulumi-gcp resources.

Three components, usable alone or together, each ``(name, args, opts=None)``:

- ``EgressFirewallPolicy`` (``sep-egress:gcp:EgressFirewallPolicy``): a Cloud NGFW policy with every rule in one
  ``*FirewallPolicyWithRules`` resource, its associations, and optionally the secure tags it targets; or, with
  ``options.existing_policy``, only the rules, added to a policy another team owns in a reserved priority band.
- ``EgressNat`` (``sep-egress:gcp:EgressNat``): Cloud NAT with static addresses and NAT rules, on a Cloud Router it
  creates or on an existing one (``options.router``).
- ``StoragePrivateAccess`` (``sep-egress:gcp:StoragePrivateAccess``): route and private DNS zone so that
  storage.googleapis.com is reached through Private Google Access.

Each takes typed args (or a mapping of the same arguments): ``selection`` or a ready ``plan`` (exactly one),
``options``, and ``targets`` / ``secure_tags`` for the policy. Every input is validated, and every spec compiled,
before the component registers anything: a mistake raises a ``SepEgressError`` naming the argument.

Networks, subnetworks, the NAT network, the tag parent and network, and ``project`` accept ``pulumi.Output``s:
the compiler works on a stand-in (``projects/pulumi-output/...``) and the component hands the Output to the
resource. A resource named after a network (an association, a route) is then named after the network's position
in the list, since its value is not known when the component is constructed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, cast

import pulumi
import pulumi_gcp as gcp
from pydantic import Field

from .arguments import (
    ComponentArgs,
    ErrorFactory,
    InputStr,
    InputStrItems,
    InputStrList,
    SelectionArgs,
    is_output,
    resolve_plan,
)
from .catalog import EgressPlan
from .compile.gcp import (
    MACHINE_KINDS,
    FirewallOptions,
    FirewallPolicySpec,
    GcpSpecError,
    NatGatewaySpec,
    NatOptions,
    NatRuleNumber,
    NatSubnetwork,
    PrivateAccessOptions,
    PrivateAccessSpec,
    RoleTarget,
    parse_targets,
)
from .compile.gcp_firewall import FirewallRule, compile_firewall_policy
from .compile.gcp_model import CREATED_TAG, KIND_ROLES, UNKNOWN_PROJECT, check_project, check_secure_tags
from .compile.gcp_nat import compile_nat_gateway
from .compile.gcp_pga import compile_private_access


class GcpArgs(ComponentArgs):
    """Args of the GCP components: mistakes raise ``GcpSpecError``."""

    error: ClassVar[ErrorFactory] = staticmethod(GcpSpecError)


class RoleTargetArgs(GcpArgs):
    """The machines of one kind (``clients``, ``managers``, ``admin-workstations``; or of one role, when every
    role of the kind has the same targets): ``secure_tags`` (``tagValues/N`` or ``created:<kind>``) or
    ``service_accounts``. A VM carries one value per tag key and one service account."""

    secure_tags: list[str] = Field(
        default_factory=list, description="Secure tag values (tagValues/N, or created:<kind> for a created one)."
    )
    service_accounts: list[str] = Field(default_factory=list, description="Service account e-mail addresses.")


class SecureTagsArgs(GcpArgs):
    """Secure tags the component creates: a TagKey (purpose ``GCE_FIREWALL``) under ``parent`` (``projects/<id>``
    or ``organizations/<id>``) named ``key`` (default ``sep-egress``), and one TagValue per machine kind of the plan
    without an explicit target (a VM carries the one value of its kind). ``network`` (``<project>/<vpc>``) scopes a
    project key to its VPC; an organization key without ``network`` is usable in every network
    (``organization=auto``)."""

    parent: InputStr = Field(description="projects/<id> or organizations/<id>.")
    key: str = Field(default="sep-egress", description="Short name of the TagKey.")
    network: InputStr | None = Field(default=None, description="<project>/<vpc>: required for a project-level key.")
    keep_role_values: bool = Field(
        default=False,
        description="Upgrade from 0.1: keep the per-role values created before; a kind's rules target all of them.",
    )


class FirewallPolicyOptionsArgs(GcpArgs):
    """How the policy is built (see ``FirewallOptions`` and docs/gcp.md); ``project`` for network policies."""

    name: str = Field(default="sep-egress", description="Policy name, also the prefix of rule names.")
    scope: str = Field(default="global", description="global or regional network policy, folder or organization.")
    region: str | None = Field(default=None, description="Region of a regional policy.")
    parent: str | None = Field(default=None, description="folders/N or organizations/N for hierarchical scopes.")
    networks: InputStrItems = Field(
        default_factory=list,
        description="VPC networks to associate; items may be Outputs.",
    )
    default_deny: bool = Field(default=True, description="Deny the targeted workloads' other egress.")
    enforcement_order: str = Field(default="BEFORE_CLASSIC_FIREWALL", description="The order the networks must use.")
    private_google_access: bool = Field(
        default=False, description="Serve storage.googleapis.com by a rule to the Google Access range."
    )
    google_access_vip: str = Field(
        default="private",
        description="private (private.googleapis.com, 199.36.153.8/30) or restricted (199.36.153.4/30, VPC-SC).",
    )
    existing_policy: str | None = Field(
        default=None,
        description="Add the rules to this existing policy (name, path or hierarchical id): no policy, no association.",
    )
    priority_band_start: int | None = Field(
        default=None,
        description="With existing_policy: first priority of the reserved band of 4,194,304 (default 1,000,000,000).",
    )
    suffix_policy: str = Field(default="refuse", description="refuse or apex-only, for domain-and-subdomains rules.")
    skip_roles: list[str] = Field(
        default_factory=list, description="Machine kinds (or all plan roles of a kind) that do not run here."
    )
    description: str = Field(
        default="Symantec Endpoint Protection egress allowlist (sep-egress)", description="Policy description."
    )
    project: InputStr | None = Field(default=None, description="Project of a network policy (provider default).")


class EgressFirewallPolicyArgs(GcpArgs):
    """Inputs of ``EgressFirewallPolicy``: ``selection`` or ``plan``, ``targets`` per machine kind, optional
    ``secure_tags`` to create, and ``options``."""

    selection: SelectionArgs | None = Field(default=None, description="What to select from the catalog.")
    plan: EgressPlan | None = Field(default=None, description="A ready EgressPlan (Python only) instead.")
    targets: dict[str, RoleTargetArgs] = Field(
        default_factory=dict,
        description="Per machine kind (clients, managers, admin-workstations), the machines its rules apply to.",
    )
    secure_tags: SecureTagsArgs | None = Field(
        default=None, description="Create a tag key and a value per machine kind without a target."
    )
    options: FirewallPolicyOptionsArgs = Field(
        default_factory=FirewallPolicyOptionsArgs, description="How the policy is built."
    )


class NatSubnetworkArgs(GcpArgs):
    """Chosen ranges of one subnet to translate: its primary range and/or named secondary ranges."""

    name: InputStr = Field(description="The subnetwork (name or self link; or an Output).")
    primary_range: bool = Field(default=False, description="Translate the subnet's primary range.")
    secondary_ranges: list[str] = Field(default_factory=list, description="Secondary ranges to translate, by name.")


class NatOptionsArgs(GcpArgs):
    """See ``NatOptions``: ``region``, ``network`` and ``subnetworks`` and/or ``subnetwork_ranges`` are required;
    ``rule_numbers`` maps a plan entry id to its NAT rule number; ``router`` reuses an existing Cloud Router."""

    region: str = Field(description="Region of the Cloud Router.")
    network: InputStr = Field(description="VPC network of the Cloud Router (or an Output).")
    subnetworks: InputStrList = Field(
        default_factory=list,
        description="Subnets of the SEP machines, every range translated; items or the whole list may be Outputs.",
    )
    subnetwork_ranges: list[NatSubnetworkArgs] = Field(
        default_factory=list, description="Subnets of the SEP machines of which only chosen ranges are translated."
    )
    router: str | None = Field(
        default=None, description="An existing Cloud Router (name) to add the NAT to; default: create one."
    )
    name: str = Field(default="sep-egress", description="Prefix of the router, NAT and address names.")
    address_count: int = Field(default=2, description="Static addresses for general egress.")
    rule_address_count: int = Field(default=1, description="Static addresses per NAT rule.")
    rule_numbers: dict[str, int] = Field(
        default_factory=dict, description="Pin the NAT rule number of a plan entry id."
    )
    log_filter: str = Field(default="ALL", description="ALL, ERRORS_ONLY or TRANSLATIONS_ONLY.")
    min_ports_per_vm: int = Field(default=64, description="Static port allocation per VM.")
    network_tier: str = Field(default="PREMIUM", description="PREMIUM or STANDARD.")
    project: InputStr | None = Field(default=None, description="Project (provider default).")


class EgressNatArgs(GcpArgs):
    """Inputs of ``EgressNat``: ``selection`` or ``plan``, and ``options``."""

    selection: SelectionArgs | None = Field(default=None, description="What to select from the catalog.")
    plan: EgressPlan | None = Field(default=None, description="A ready EgressPlan (Python only) instead.")
    options: NatOptionsArgs = Field(description="Where and how the gateway is built.")


class PrivateAccessOptionsArgs(GcpArgs):
    """See ``PrivateAccessOptions``: ``networks`` (required), ``subnetworks``, ``name``, ``route_priority``."""

    networks: InputStrItems = Field(
        description="VPC networks that get the route and see the private zone; items may be Outputs."
    )
    subnetworks: InputStrList = Field(
        default_factory=list, description="Subnets that must turn Private Google Access on (reported)."
    )
    name: str = Field(default="sep-egress", description="Prefix of the route and zone names.")
    route_priority: int = Field(default=1000, description="Priority of the route to the Google Access range.")
    google_access_vip: str = Field(
        default="private",
        description="private (private.googleapis.com, 199.36.153.8/30) or restricted (199.36.153.4/30, VPC-SC).",
    )
    project: InputStr | None = Field(default=None, description="Project (provider default).")


class StoragePrivateAccessArgs(GcpArgs):
    """Inputs of ``StoragePrivateAccess``: ``selection`` or ``plan``, and ``options``."""

    selection: SelectionArgs | None = Field(default=None, description="What to select from the catalog.")
    plan: EgressPlan | None = Field(default=None, description="A ready EgressPlan (Python only) instead.")
    options: PrivateAccessOptionsArgs = Field(description="Which networks and subnets.")


class Placeholders:
    """Stand-ins for ``pulumi.Output`` values while compiling, and the way back to the Outputs.

    The compilers work on plain strings; an Output network becomes ``projects/pulumi-output/global/networks/
    <argument>-<index>`` (a shape the compiler accepts), and every structure built from the spec is restored
    before it reaches a resource or an output.
    """

    WHOLE_LIST = "pulumi-output-list"

    def __init__(self) -> None:
        self.outputs: dict[str, Any] = {}

    def items(self, values: Any, template: str) -> tuple[str, ...]:
        """Plain items as they are, Output items as stand-ins; a whole-list Output as one stand-in."""
        if is_output(values):
            key = template.format(index=self.WHOLE_LIST)
            self.outputs[key] = values
            return (key,)
        result = []
        for index, value in enumerate(values):
            if is_output(value):
                key = template.format(index=f"pulumi-output-{index}")
                self.outputs[key] = value
                result.append(key)
            else:
                result.append(value)
        return tuple(result)

    def one(self, value: Any, template: str) -> str:
        return self.items([value], template)[0]

    def whole_list(self, values: Sequence[str]) -> Any | None:
        """The Output of a whole list, when ``values`` is its single stand-in."""
        if len(values) == 1 and values[0].endswith(self.WHOLE_LIST):
            return self.outputs.get(values[0])
        return None

    def restore(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.outputs.get(value, value)
        if isinstance(value, Mapping):
            return {key: self.restore(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.restore(item) for item in value]
        return value


_NETWORK = "projects/" + UNKNOWN_PROJECT + "/global/networks/{argument}-{{index}}"
_SUBNETWORK = "projects/" + UNKNOWN_PROJECT + "/regions/any/subnetworks/{argument}-{{index}}"


class EgressFirewallPolicy(pulumi.ComponentResource):
    """A Cloud NGFW egress policy built from the plan.

    Outputs (``pulumi.Output`` attributes, registered under the same names): ``policy_id``, ``policy_name``,
    ``rule_priorities``, ``tier`` (``standard`` when FQDN objects are used), ``network_settings`` (what each
    associated VPC must set: ``networkFirewallPolicyEnforcementOrder``), ``secure_tag_values`` (machine kind,
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

    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "policy_id",
        "policy_name",
        "rule_priorities",
        "tier",
        "network_settings",
        "secure_tag_values",
        "warnings",
    )

    def __init__(
        self,
        name: str,
        args: EgressFirewallPolicyArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = EgressFirewallPolicyArgs.parse(args)
        spec, created, placeholders = self.prepare(args)
        self.spec = spec
        super().__init__("sep-egress:gcp:EgressFirewallPolicy", name, None, opts)
        self._build(name, args, spec, created, placeholders)

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
        given = args.options.given("project")
        if isinstance(args.options.project, str):  # checked against the networks; an Output passes through
            given["project"] = args.options.project
        if "networks" in given:
            given["networks"] = placeholders.items(given["networks"], _NETWORK.format(argument="networks"))
        if "skip_roles" in given:
            given["skip_roles"] = tuple(given["skip_roles"])
        options = FirewallOptions(**given)
        targets_raw: dict[str, Any] = {
            key: {"secure_tags": target.secure_tags, "service_accounts": target.service_accounts}
            for key, target in args.targets.items()
        }
        tags = args.secure_tags
        created: list[str] = []
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
        targets = parse_targets(targets_raw)
        for key, target in targets.items():
            for value in target.secure_tags:
                if CREATED_TAG.fullmatch(value):
                    if tags is None:
                        raise GcpSpecError(
                            f"targets.{key}", f"{value!r} refers to a created tag but 'secure_tags' is not given"
                        )
                    if value not in created:
                        created.append(value)
        return compile_firewall_policy(resolved, targets, options), created, placeholders

    def _build(
        self,
        name: str,
        args: EgressFirewallPolicyArgs,
        spec: FirewallPolicySpec,
        created: list[str],
        placeholders: Placeholders,
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        # A network policy lives in its networks' project (checked by the compiler) unless told otherwise.
        project = args.options.project if args.options.project is not None else spec.project
        tags = args.secure_tags

        tag_values: dict[str, pulumi.Output[str]] = {}
        if tags is not None and created:
            purpose_data: Mapping[str, Any] = (
                {"network": tags.network} if tags.network is not None else {"organization": "auto"}
            )
            tag_key = gcp.tags.TagKey(
                f"{name}-tag-key",
                parent=tags.parent,
                short_name=tags.key,
                description="sep-egress: workloads that need endpoint-protection egress",
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

        rules = [placeholders.restore(self._rule_args(rule, tag_values)) for rule in spec.rules]
        if not spec.creates_policy:
            self._add_rules(name, spec, rules, project)
            policy_id: pulumi.Input[str] = cast(str, spec.existing_policy)
            policy_name: str = cast(str, spec.existing_policy).rsplit("/", 1)[-1]
        else:
            created_policy = self._create_policy(name, spec, rules, project, placeholders)
            policy_id, policy_name = created_policy.id, spec.name
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
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    def _add_rules(self, name: str, spec: FirewallPolicySpec, rules: list[dict[str, Any]], project: Any) -> None:
        """Existing policy: one rule resource per rule, all in the reserved band, chained because a policy accepts
        one change at a time. Nothing else of the policy is read or written."""
        policy = cast(str, spec.existing_policy).rsplit("/", 1)[-1]
        previous: pulumi.Resource | None = None
        for rule, args in zip(spec.rules, rules, strict=True):
            opts = pulumi.ResourceOptions(parent=self, depends_on=[previous] if previous is not None else None)
            common = {key: value for key, value in args.items() if key != "rule_name"}
            resource: pulumi.CustomResource
            if spec.scope == "global":
                resource = gcp.compute.NetworkFirewallPolicyRule(
                    f"{name}-{rule.rule_name}",
                    firewall_policy=policy,
                    rule_name=rule.rule_name,
                    project=project,
                    opts=opts,
                    **common,
                )
            elif spec.scope == "regional":
                resource = gcp.compute.RegionNetworkFirewallPolicyRule(
                    f"{name}-{rule.rule_name}",
                    firewall_policy=policy,
                    rule_name=rule.rule_name,
                    region=spec.region,
                    project=project,
                    opts=opts,
                    **common,
                )
            else:  # a hierarchical rule has no rule_name in the provider; its description carries the identity
                resource = gcp.compute.FirewallPolicyRule(
                    f"{name}-{rule.rule_name}", firewall_policy=policy, opts=opts, **common
                )
            previous = resource

    def _create_policy(
        self,
        name: str,
        spec: FirewallPolicySpec,
        rules: list[dict[str, Any]],
        project: Any,
        placeholders: Placeholders,
    ) -> pulumi.CustomResource:
        """New policy: every rule in one ``*WithRules`` resource, then the associations, chained."""
        child = pulumi.ResourceOptions(parent=self)
        policy: pulumi.CustomResource
        if spec.scope == "global":
            policy = gcp.compute.NetworkFirewallPolicyWithRules(
                f"{name}-policy",
                name=spec.name,
                description=spec.description,
                rules=rules,
                project=project,
                opts=child,
            )
        elif spec.scope == "regional":
            policy = gcp.compute.RegionNetworkFirewallPolicyWithRules(
                f"{name}-policy",
                name=spec.name,
                description=spec.description,
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
                description=spec.description,
                rules=rules,
                opts=child,
            )

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
        return policy

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


def snake_case_keys(value: Any) -> Any:
    """A Compute API body with the Python provider's key spelling: ``layer4Configs`` -> ``layer4_configs``."""
    if isinstance(value, Mapping):
        return {_SNAKE.sub("_", str(key)).lower(): snake_case_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [snake_case_keys(item) for item in value]
    return value


_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class EgressNat(pulumi.ComponentResource):
    """Cloud NAT for the SEP machines' subnets (on a new Cloud Router or ``options.router``), with ``MANUAL_ONLY``
    static addresses. The addresses are shared by every VM of the translated ranges, not SEP-specific: an upstream
    allowlist of them admits all those VMs.

    Outputs (``pulumi.Output`` attributes, registered under the same names): ``egress_addresses`` (the general NAT
    addresses), ``rule_addresses`` (NAT rule number ->
    the addresses used only for that rule's destinations), ``router_name``, ``nat_name``, ``nat_rules`` (number,
    entry ids, ranges), ``warnings``.
    """

    spec: NatGatewaySpec
    egress_addresses: pulumi.Output[list[str]]
    rule_addresses: pulumi.Output[dict[str, list[str]]]
    router_name: pulumi.Output[str]
    nat_name: pulumi.Output[str]
    nat_rules: pulumi.Output[list[dict[str, Any]]]
    warnings: pulumi.Output[list[dict[str, Any]]]

    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "egress_addresses",
        "rule_addresses",
        "router_name",
        "nat_name",
        "nat_rules",
        "warnings",
    )

    def __init__(
        self,
        name: str,
        args: EgressNatArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = EgressNatArgs.parse(args)
        spec, placeholders = self.prepare(args)
        self.spec = spec
        super().__init__("sep-egress:gcp:EgressNat", name, None, opts)
        self._build(name, args, spec, placeholders)

    @staticmethod
    def prepare(args: EgressNatArgs | Mapping[str, Any]) -> tuple[NatGatewaySpec, Placeholders]:
        """Validate ``args`` and compile the gateway without registering anything (raises ``GcpSpecError``)."""
        args = EgressNatArgs.parse(args)
        resolved = resolve_plan(args.selection, args.plan, GcpSpecError)
        placeholders = Placeholders()
        check_project(args.options.project)
        given = args.options.given("project", "subnetwork_ranges")
        given["network"] = placeholders.one(given["network"], _NETWORK.format(argument="network"))
        whole = placeholders.items(args.options.subnetworks, _SUBNETWORK.format(argument="subnetworks"))
        # subnetwork_ranges chooses ranges: the model's parse refuses an entry that names none (never read as "every
        # range", which would translate a GKE subnet's pod ranges too), naming the argument the user wrote.
        chosen = [
            NatSubnetwork.parse(
                f"options.subnetwork_ranges[{index}]",
                {
                    "name": placeholders.one(item.name, _SUBNETWORK.format(argument=f"subnetwork-ranges-{index}")),
                    "primary_range": item.primary_range,
                    "secondary_ranges": item.secondary_ranges,
                    "all_ranges": False,
                },
            )
            for index, item in enumerate(args.options.subnetwork_ranges)
        ]
        if placeholders.whole_list(whole) is not None and chosen:
            raise GcpSpecError("options.subnetwork_ranges", "give either a whole-list Output of subnetworks or ranges")
        given["subnetworks"] = (*whole, *chosen)
        given["rule_numbers"] = tuple(
            NatRuleNumber(entry_id, number) for entry_id, number in sorted(args.options.rule_numbers.items())
        )
        return compile_nat_gateway(resolved, NatOptions(**given)), placeholders

    def _build(self, name: str, args: EgressNatArgs, spec: NatGatewaySpec, placeholders: Placeholders) -> None:
        child = pulumi.ResourceOptions(parent=self)
        project = args.options.project

        addresses: dict[str, gcp.compute.Address] = {}
        for address in spec.all_addresses:
            addresses[address.name] = gcp.compute.Address(
                f"{name}-{address.name}",
                name=address.name,
                region=address.region,
                address_type="EXTERNAL",
                network_tier=address.network_tier,
                description=address.description,
                project=project,
                # Every field of an address is immutable: a new description (0.1 wrote another text) would replace
                # the address and change the egress IP that upstream allowlists know.
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=["description"])),
            )
        router_name: pulumi.Input[str]
        if spec.creates_router:
            router = gcp.compute.Router(
                f"{name}-router",
                name=spec.router_name,
                network=placeholders.restore(spec.network),
                region=spec.region,
                description="sep-egress: Cloud NAT for endpoint-protection egress",
                project=project,
                opts=child,
            )
            router_name = router.name
        else:
            # An existing router (Cloud Foundation Fabric's net-cloudnat ``router_create = false``): only the NAT is
            # added; the router, its BGP and its other NATs stay the other stack's.
            router_name = spec.router_name
        whole = placeholders.whole_list([subnetwork.name for subnetwork in spec.subnetworks])
        subnetworks: Any
        if whole is not None:
            subnetworks = pulumi.Output.from_input(whole).apply(_nat_subnetworks)
        else:
            subnetworks = placeholders.restore([_nat_subnetwork_args(item) for item in spec.subnetworks])
        nat = gcp.compute.RouterNat(
            f"{name}-nat",
            name=spec.nat_name,
            router=router_name,
            region=spec.region,
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=subnetworks,
            nat_ip_allocate_option="MANUAL_ONLY",
            nat_ips=[addresses[address.name].self_link for address in spec.addresses],
            enable_endpoint_independent_mapping=False,
            enable_dynamic_port_allocation=False,
            min_ports_per_vm=spec.min_ports_per_vm,
            log_config={"enable": True, "filter": spec.log_filter},
            rules=[
                {
                    "rule_number": rule.rule_number,
                    "description": rule.to_api()["description"],
                    "match": rule.match,
                    "action": {
                        "source_nat_active_ips": [addresses[address.name].self_link for address in rule.addresses]
                    },
                }
                for rule in spec.rules
            ],
            project=project,
            opts=child,
        )
        self.egress_addresses = pulumi.Output.all(*[addresses[a.name].address for a in spec.addresses])
        self.rule_addresses = pulumi.Output.from_input(
            {str(rule.rule_number): [addresses[a.name].address for a in rule.addresses] for rule in spec.rules}
        )
        self.router_name = pulumi.Output.from_input(router_name)
        self.nat_name = nat.name
        self.nat_rules = pulumi.Output.from_input(
            [
                {"rule_number": rule.rule_number, "entry_ids": list(rule.entry_ids), "ranges": list(rule.ranges)}
                for rule in spec.rules
            ]
        )
        self.warnings = pulumi.Output.from_input([warning.to_dict() for warning in spec.warnings])
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})


def _nat_subnetwork_args(subnetwork: NatSubnetwork) -> dict[str, Any]:
    """The ``RouterNatSubnetworkArgs`` of one subnet, from its API body (the provider pluralises the ranges key)."""
    body = subnetwork.to_api()
    args: dict[str, Any] = {"name": body["name"], "source_ip_ranges_to_nats": body["sourceIpRangesToNat"]}
    if "secondaryIpRangeNames" in body:
        args["secondary_ip_range_names"] = body["secondaryIpRangeNames"]
    return args


def _nat_subnetworks(subnetworks: Sequence[Any]) -> list[dict[str, Any]]:
    """A whole-list Output of subnetworks, resolved: every range of each is translated."""
    return [_nat_subnetwork_args(NatSubnetwork(name=subnetwork)) for subnetwork in subnetworks]


class StoragePrivateAccess(pulumi.ComponentResource):
    """Route and private ``googleapis.com.`` zone so that storage.googleapis.com goes through Private Google Access.

    Pair it with ``EgressFirewallPolicy`` option ``private_google_access: true`` (the egress rule to
    199.36.153.8/30). The subnets are usually owned by another stack: ``required_subnet_settings`` lists the
    ``private_ip_google_access=True`` each of them must set. Nothing is created when the plan has no
    storage.googleapis.com (storage phase ``aws``). Outputs (``pulumi.Output`` attributes, registered under the same
    names): ``enabled``, ``zone_name``, ``routes``, ``required_subnet_settings``, ``warnings``.
    """

    spec: PrivateAccessSpec
    enabled: pulumi.Output[bool]
    zone_name: pulumi.Output[str | None]
    routes: pulumi.Output[list[dict[str, Any]]]
    required_subnet_settings: pulumi.Output[list[dict[str, Any]]]
    warnings: pulumi.Output[list[dict[str, Any]]]

    OUTPUTS: ClassVar[tuple[str, ...]] = ("enabled", "zone_name", "routes", "required_subnet_settings", "warnings")

    def __init__(
        self,
        name: str,
        args: StoragePrivateAccessArgs | Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = StoragePrivateAccessArgs.parse(args)
        spec, placeholders = self.prepare(args)
        self.spec = spec
        super().__init__("sep-egress:gcp:StoragePrivateAccess", name, None, opts)
        self._build(name, args, spec, placeholders)

    @staticmethod
    def prepare(args: StoragePrivateAccessArgs | Mapping[str, Any]) -> tuple[PrivateAccessSpec, Placeholders]:
        """Validate ``args`` and compile the route and zone without registering anything (raises ``GcpSpecError``)."""
        args = StoragePrivateAccessArgs.parse(args)
        resolved = resolve_plan(args.selection, args.plan, GcpSpecError)
        placeholders = Placeholders()
        check_project(args.options.project)
        given = args.options.given("project")
        given["networks"] = placeholders.items(given["networks"], _NETWORK.format(argument="networks"))
        if "subnetworks" in given:
            given["subnetworks"] = placeholders.items(given["subnetworks"], _SUBNETWORK.format(argument="subnetworks"))
        return compile_private_access(resolved, PrivateAccessOptions(**given)), placeholders

    def _build(
        self, name: str, args: StoragePrivateAccessArgs, spec: PrivateAccessSpec, placeholders: Placeholders
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)
        project = args.options.project
        zone_name: pulumi.Input[str | None] = None
        if spec.enabled:
            for route in spec.routes:
                body = route.to_api()
                gcp.compute.Route(
                    f"{name}-{route.name}",
                    name=route.name,
                    description=body["description"],
                    network=placeholders.restore(route.network),
                    dest_range=body["destRange"],
                    next_hop_gateway=body["nextHopGateway"],
                    priority=route.priority,
                    project=project,
                    opts=child,
                )
            zone_body = spec.zone_to_api()
            zone = gcp.dns.ManagedZone(
                f"{name}-zone",
                name=spec.zone_name,
                dns_name=zone_body["dnsName"],
                description=zone_body["description"],
                visibility="private",
                private_visibility_config={
                    "networks": [{"network_url": placeholders.restore(network)} for network in spec.networks],
                },
                project=project,
                opts=child,
            )
            zone_name = zone.name
            for record in spec.record_sets:
                gcp.dns.RecordSet(
                    f"{name}-{'wildcard' if record.type == 'CNAME' else 'private'}",
                    managed_zone=zone.name,
                    name=record.name,
                    type=record.type,
                    ttl=record.to_api()["ttl"],
                    rrdatas=list(record.rrdatas),
                    project=project,
                    opts=child,
                )
        self.enabled = pulumi.Output.from_input(spec.enabled)
        self.zone_name = pulumi.Output.from_input(zone_name)
        self.routes = pulumi.Output.from_input(placeholders.restore([route.to_api() for route in spec.routes]))
        whole = placeholders.whole_list(spec.subnetworks)
        if whole is not None:
            self.required_subnet_settings = pulumi.Output.from_input(whole).apply(
                lambda subnets: [{"subnetwork": subnet, "privateIpGoogleAccess": True} for subnet in subnets]
            )
        else:
            self.required_subnet_settings = pulumi.Output.from_input(placeholders.restore(spec.subnet_settings()))
        self.warnings = pulumi.Output.from_input([warning.to_dict() for warning in spec.warnings])
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})


__all__ = [
    "EgressFirewallPolicy",
    "EgressFirewallPolicyArgs",
    "EgressNat",
    "EgressNatArgs",
    "FirewallPolicyOptionsArgs",
    "NatOptionsArgs",
    "NatSubnetworkArgs",
    "PrivateAccessOptionsArgs",
    "RoleTarget",
    "RoleTargetArgs",
    "SecureTagsArgs",
    "SelectionArgs",
    "StoragePrivateAccess",
    "StoragePrivateAccessArgs",
]
