"""Pulumi components for GCP: they map the specs of ``sep_egress.compile.gcp`` to pulumi-gcp resources.

Three components, usable alone or together:

- ``EgressFirewallPolicy`` (``sep-egress:gcp:EgressFirewallPolicy``): a Cloud NGFW policy with every rule in one
  ``*FirewallPolicyWithRules`` resource, its associations, and optionally the secure tags it targets.
- ``EgressNat`` (``sep-egress:gcp:EgressNat``): a Cloud Router and Cloud NAT with static addresses and NAT rules.
- ``StoragePrivateAccess`` (``sep-egress:gcp:StoragePrivateAccess``): route and private DNS zone so that
  storage.googleapis.com is reached through Private Google Access.

Each takes an args mapping of plain, serialisable values (``selection`` + ``options``, and ``targets`` for the
policy), or a ready ``plan=`` (Python only) that skips the selection. Every input is validated, and every spec
compiled, before the component registers anything: a mistake raises a ``SepEgressError`` naming the argument.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

import pulumi
import pulumi_gcp as gcp

from .catalog import EgressPlan, load_catalog, select
from .catalog.models import ROLES
from .compile.gcp import (
    FirewallOptions,
    FirewallPolicySpec,
    GcpSpecError,
    NatGatewaySpec,
    NatOptions,
    NatRuleNumber,
    PrivateAccessOptions,
    PrivateAccessSpec,
    RoleTarget,
    parse_targets,
)
from .compile.gcp_firewall import FirewallRule, compile_firewall_policy
from .compile.gcp_model import CREATED_TAG, check_bool, check_str
from .compile.gcp_nat import compile_nat_gateway
from .compile.gcp_pga import compile_private_access


class SelectionArgs(TypedDict, total=False):
    """What ``sep-egress`` selects from the catalog: ``mode`` and/or ``roles``, ``version`` (required),
    ``proxy`` (default false), ``storage`` (``both`` default, ``gcp`` or ``aws``)."""

    mode: str
    roles: list[str]
    version: str
    proxy: bool
    storage: str


class RoleTargetArgs(TypedDict, total=False):
    """One role's workloads: ``secure_tags`` (``tagValues/N`` or ``created:<name>``) or ``service_accounts``."""

    secure_tags: list[str]
    service_accounts: list[str]


class SecureTagsArgs(TypedDict, total=False):
    """Secure tags the component creates: a TagKey (purpose ``GCE_FIREWALL``) under ``parent`` (``projects/<id>``
    or ``organizations/<id>``) named ``key`` (default ``sep-egress``), and one TagValue per role without an
    explicit target. ``network`` (``<project>/<vpc>``) scopes a project key to its VPC; an organization key
    without ``network`` is usable in every network (``organization=auto``)."""

    parent: str
    key: str
    network: str


class FirewallPolicyOptionsArgs(TypedDict, total=False):
    """See ``FirewallOptions``; plus ``project`` for network policies."""

    name: str
    scope: str
    region: str
    parent: str
    networks: list[str]
    default_deny: bool
    enforcement_order: str
    private_google_access: bool
    suffix_policy: str
    skip_roles: list[str]
    description: str
    project: str


class EgressFirewallPolicyArgs(TypedDict, total=False):
    """Inputs of ``EgressFirewallPolicy``: ``selection`` (unless ``plan=``), ``targets`` per role, optional
    ``secure_tags`` to create, and ``options``."""

    selection: SelectionArgs
    targets: dict[str, RoleTargetArgs]
    secure_tags: SecureTagsArgs
    options: FirewallPolicyOptionsArgs


class NatOptionsArgs(TypedDict, total=False):
    """See ``NatOptions``: ``region``, ``network``, ``subnetworks`` are required; ``rule_numbers`` maps a plan
    entry id to its NAT rule number; ``project`` is optional."""

    name: str
    region: str
    network: str
    subnetworks: list[str]
    address_count: int
    rule_address_count: int
    rule_numbers: dict[str, int]
    log_filter: str
    min_ports_per_vm: int
    network_tier: str
    project: str


class EgressNatArgs(TypedDict, total=False):
    """Inputs of ``EgressNat``: ``selection`` (unless ``plan=``) and ``options``."""

    selection: SelectionArgs
    options: NatOptionsArgs


class PrivateAccessOptionsArgs(TypedDict, total=False):
    """See ``PrivateAccessOptions``: ``networks`` (required), ``subnetworks``, ``name``, ``route_priority``,
    ``project``."""

    networks: list[str]
    subnetworks: list[str]
    name: str
    route_priority: int
    project: str


class StoragePrivateAccessArgs(TypedDict, total=False):
    """Inputs of ``StoragePrivateAccess``: ``selection`` (unless ``plan=``) and ``options``."""

    selection: SelectionArgs
    options: PrivateAccessOptionsArgs


def _check_keys(argument: str, value: Any, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise GcpSpecError(argument, "a mapping is expected")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        prefix = f"{argument}." if argument != "args" else ""
        raise GcpSpecError(f"{prefix}{unknown[0]}", f"unknown argument; expected one of {', '.join(allowed)}")
    return value


def resolve_plan(args: Mapping[str, Any], plan: EgressPlan | None) -> EgressPlan:
    """The given plan, or the catalog selection ``args["selection"]`` describes."""
    if plan is not None:
        if "selection" in args:
            raise GcpSpecError("selection", "give a selection or a plan, not both")
        return plan
    selection = _check_keys("selection", args.get("selection"), list(SelectionArgs.__annotations__))
    if "version" not in selection:
        raise GcpSpecError("selection.version", 'the SEP/SES release is required, e.g. "14.3 RU1"')
    # Checked strictly: "proxy": "false" is a truthy string and would select the proxy's clear-text LiveUpdate.
    return select(
        load_catalog(),
        mode=check_str("selection.mode", selection.get("mode"), optional=True),
        roles=_strings("selection.roles", selection.get("roles")),
        version=cast(str, check_str("selection.version", selection["version"])),
        proxy=check_bool("selection.proxy", selection.get("proxy", False)),
        storage=cast(str, check_str("selection.storage", selection.get("storage", "both"))),
    )


def _strings(argument: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise GcpSpecError(argument, "a list of strings is expected")
    return tuple(value)


def _options(argument: str, factory: Any, raw: Mapping[str, Any], tuples: Sequence[str]) -> Any:
    values = {key: value for key, value in raw.items() if key != "project"}
    for key in tuples:
        if key in values:
            values[key] = _strings(f"{argument}.{key}", values[key])
    try:
        return factory(**values)
    except TypeError as exc:
        raise GcpSpecError(argument, str(exc)) from None


class EgressFirewallPolicy(pulumi.ComponentResource):
    """A Cloud NGFW egress policy built from the plan.

    Outputs: ``policy_id``, ``policy_name``, ``rule_priorities``, ``tier`` (``standard`` when FQDN objects are
    used), ``network_settings`` (what each associated VPC must set: ``networkFirewallPolicyEnforcementOrder``),
    ``secure_tag_values`` (created tag values by short name), ``warnings``.
    """

    spec: FirewallPolicySpec
    policy_id: pulumi.Output[str]
    policy_name: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: EgressFirewallPolicyArgs,
        *,
        plan: EgressPlan | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec, tags_raw, created, project = self.prepare(args, plan)
        self.spec = spec
        super().__init__("sep-egress:gcp:EgressFirewallPolicy", resource_name, None, opts)
        self._build(resource_name, spec, tags_raw, created, project)

    @staticmethod
    def prepare(
        args: EgressFirewallPolicyArgs, plan: EgressPlan | None = None
    ) -> tuple[FirewallPolicySpec, Mapping[str, Any] | None, list[str], Any]:
        """Validate ``args`` and compile the policy without registering anything (raises ``GcpSpecError``).

        Returns the spec, the secure-tag settings, the tag values to create and the project.
        """
        raw = _check_keys("args", args, list(EgressFirewallPolicyArgs.__annotations__))
        resolved = resolve_plan(raw, plan)
        options_raw = _check_keys("options", raw.get("options", {}), list(FirewallPolicyOptionsArgs.__annotations__))
        options = cast(
            FirewallOptions,
            _options("options", FirewallOptions, options_raw, ("networks", "skip_roles")),
        )
        project = options_raw.get("project")
        tags_raw = raw.get("secure_tags")
        targets_raw = dict(_check_keys("targets", raw.get("targets", {}), ROLES))
        created: list[str] = []
        if tags_raw is not None:
            tags_raw = _check_keys("secure_tags", tags_raw, list(SecureTagsArgs.__annotations__))
            for key in ("key", "network"):
                if key in tags_raw:
                    check_str(f"secure_tags.{key}", tags_raw[key])
            parent = tags_raw.get("parent", "")
            if not isinstance(parent, str) or not parent.startswith(("projects/", "organizations/")):
                raise GcpSpecError("secure_tags.parent", "'projects/<id>' or 'organizations/<id>' is required")
            if parent.startswith("projects/") and not tags_raw.get("network"):
                raise GcpSpecError("secure_tags.network", "a project-level tag key needs its VPC as '<project>/<vpc>'")
            for role in resolved.roles:
                if role not in targets_raw and role not in options.skip_roles:
                    targets_raw[role] = {"secure_tags": [f"created:{role}"]}
        targets = parse_targets(targets_raw)
        for role, target in targets.items():
            for value in target.secure_tags:
                if CREATED_TAG.match(value):
                    if tags_raw is None:
                        raise GcpSpecError(
                            f"targets.{role}", f"{value!r} refers to a created tag but 'secure_tags' is not given"
                        )
                    if value not in created:
                        created.append(value)
        return compile_firewall_policy(resolved, targets, options), tags_raw, created, project

    def _build(
        self,
        resource_name: str,
        spec: FirewallPolicySpec,
        tags_raw: Mapping[str, Any] | None,
        created: list[str],
        project: Any,
    ) -> None:
        child = pulumi.ResourceOptions(parent=self)

        tag_values: dict[str, pulumi.Output[str]] = {}
        if tags_raw is not None and created:
            key_name = tags_raw.get("key", "sep-egress")
            purpose_data = {"network": tags_raw["network"]} if tags_raw.get("network") else {"organization": "auto"}
            tag_key = gcp.tags.TagKey(
                f"{resource_name}-tag-key",
                parent=tags_raw["parent"],
                short_name=key_name,
                description="sep-egress: workloads that need endpoint-protection egress",
                purpose="GCE_FIREWALL",
                purpose_data=purpose_data,
                opts=child,
            )
            for value in sorted(created):
                short = value.removeprefix("created:")
                tag_value = gcp.tags.TagValue(
                    f"{resource_name}-tag-{short}",
                    parent=tag_key.id,
                    short_name=short,
                    description=f"sep-egress: {short}",
                    opts=child,
                )
                tag_values[value] = tag_value.id

        rules = [self._rule_args(rule, tag_values) for rule in spec.rules]
        policy: pulumi.CustomResource
        if spec.scope == "global":
            policy = gcp.compute.NetworkFirewallPolicyWithRules(
                f"{resource_name}-policy",
                name=spec.name,
                description=spec.description,
                rules=rules,
                project=project,
                opts=child,
            )
        elif spec.scope == "regional":
            policy = gcp.compute.RegionNetworkFirewallPolicyWithRules(
                f"{resource_name}-policy",
                name=spec.name,
                description=spec.description,
                region=spec.region,
                rules=rules,
                project=project,
                opts=child,
            )
        else:
            policy = gcp.compute.FirewallPolicyWithRules(
                f"{resource_name}-policy",
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
            resource: pulumi.CustomResource
            if spec.scope == "global":
                resource = gcp.compute.NetworkFirewallPolicyAssociation(
                    f"{resource_name}-{association.name}",
                    name=association.name,
                    attachment_target=association.attachment_target,
                    firewall_policy=policy.name,  # type: ignore[attr-defined]
                    project=project,
                    opts=association_opts,
                )
            elif spec.scope == "regional":
                resource = gcp.compute.RegionNetworkFirewallPolicyAssociation(
                    f"{resource_name}-{association.name}",
                    name=association.name,
                    attachment_target=association.attachment_target,
                    firewall_policy=policy.name,  # type: ignore[attr-defined]
                    region=spec.region,
                    project=project,
                    opts=association_opts,
                )
            else:
                resource = gcp.compute.FirewallPolicyAssociation(
                    f"{resource_name}-{association.name}",
                    name=association.name,
                    attachment_target=association.attachment_target,
                    firewall_policy=policy.id,
                    opts=association_opts,
                )
            previous = resource

        self.policy_id = policy.id
        self.policy_name = pulumi.Output.from_input(spec.name)
        self.register_outputs(
            {
                "policy_id": policy.id,
                "policy_name": spec.name,
                "rule_priorities": [rule.priority for rule in spec.rules],
                "tier": spec.tier,
                "network_settings": spec.network_settings(),
                "secure_tag_values": {key.removeprefix("created:"): value for key, value in tag_values.items()},
                "warnings": [warning.to_dict() for warning in spec.warnings],
            }
        )

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
    """Cloud Router + Cloud NAT for the workload subnets, with ``MANUAL_ONLY`` static addresses.

    Outputs: ``egress_addresses`` (the general NAT addresses: allowlist them on a perimeter firewall or upstream
    proxy), ``rule_addresses`` (NAT rule number -> the addresses used only for that rule's destinations),
    ``router_name``, ``nat_name``, ``nat_rules`` (number, entry ids, ranges), ``warnings``.
    """

    spec: NatGatewaySpec
    egress_addresses: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        args: EgressNatArgs,
        *,
        plan: EgressPlan | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec, project = self.prepare(args, plan)
        self.spec = spec
        super().__init__("sep-egress:gcp:EgressNat", resource_name, None, opts)
        self._build(resource_name, spec, project)

    @staticmethod
    def prepare(args: EgressNatArgs, plan: EgressPlan | None = None) -> tuple[NatGatewaySpec, Any]:
        """Validate ``args`` and compile the gateway without registering anything (raises ``GcpSpecError``)."""
        raw = _check_keys("args", args, list(EgressNatArgs.__annotations__))
        resolved = resolve_plan(raw, plan)
        options_raw = dict(_check_keys("options", raw.get("options", {}), list(NatOptionsArgs.__annotations__)))
        for key in ("region", "network", "subnetworks"):
            if key not in options_raw:
                raise GcpSpecError(f"options.{key}", "is required")
        pins = options_raw.pop("rule_numbers", {}) or {}
        if not isinstance(pins, Mapping) or not all(isinstance(key, str) for key in pins):
            raise GcpSpecError("options.rule_numbers", "a mapping of plan entry id to rule number is expected")
        options_raw["rule_numbers"] = tuple(
            NatRuleNumber(entry_id, number) for entry_id, number in sorted(pins.items())
        )
        project = options_raw.get("project")
        options = cast(NatOptions, _options("options", NatOptions, options_raw, ("subnetworks",)))
        return compile_nat_gateway(resolved, options), project

    def _build(self, resource_name: str, spec: NatGatewaySpec, project: Any) -> None:
        child = pulumi.ResourceOptions(parent=self)

        addresses: dict[str, gcp.compute.Address] = {}
        for address in spec.all_addresses:
            addresses[address.name] = gcp.compute.Address(
                f"{resource_name}-{address.name}",
                name=address.name,
                region=address.region,
                address_type="EXTERNAL",
                network_tier=address.network_tier,
                description=address.description,
                project=project,
                opts=child,
            )
        router = gcp.compute.Router(
            f"{resource_name}-router",
            name=spec.router_name,
            network=spec.network,
            region=spec.region,
            description="sep-egress: Cloud NAT for endpoint-protection egress",
            project=project,
            opts=child,
        )
        nat = gcp.compute.RouterNat(
            f"{resource_name}-nat",
            name=spec.nat_name,
            router=router.name,
            region=spec.region,
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[
                {"name": subnetwork, "source_ip_ranges_to_nats": ["ALL_IP_RANGES"]} for subnetwork in spec.subnetworks
            ],
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
        rule_addresses = {
            str(rule.rule_number): pulumi.Output.all(*[addresses[a.name].address for a in rule.addresses])
            for rule in spec.rules
        }
        self.register_outputs(
            {
                "egress_addresses": self.egress_addresses,
                "rule_addresses": rule_addresses,
                "router_name": router.name,
                "nat_name": nat.name,
                "nat_rules": [
                    {"rule_number": rule.rule_number, "entry_ids": list(rule.entry_ids), "ranges": list(rule.ranges)}
                    for rule in spec.rules
                ],
                "warnings": [warning.to_dict() for warning in spec.warnings],
            }
        )


class StoragePrivateAccess(pulumi.ComponentResource):
    """Route and private ``googleapis.com.`` zone so that storage.googleapis.com goes through Private Google Access.

    Pair it with ``EgressFirewallPolicy`` option ``private_google_access: true`` (the egress rule to
    199.36.153.8/30). The subnets are usually owned by another stack: ``required_subnet_settings`` lists the
    ``private_ip_google_access=True`` each of them must set. Nothing is created when the plan has no
    storage.googleapis.com (storage phase ``aws``). Outputs: ``enabled``, ``zone_name``, ``routes``,
    ``required_subnet_settings``, ``warnings``.
    """

    spec: PrivateAccessSpec

    def __init__(
        self,
        resource_name: str,
        args: StoragePrivateAccessArgs,
        *,
        plan: EgressPlan | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec, project = self.prepare(args, plan)
        self.spec = spec
        super().__init__("sep-egress:gcp:StoragePrivateAccess", resource_name, None, opts)
        self._build(resource_name, spec, project)

    @staticmethod
    def prepare(args: StoragePrivateAccessArgs, plan: EgressPlan | None = None) -> tuple[PrivateAccessSpec, Any]:
        """Validate ``args`` and compile the route and zone without registering anything (raises ``GcpSpecError``)."""
        raw = _check_keys("args", args, list(StoragePrivateAccessArgs.__annotations__))
        resolved = resolve_plan(raw, plan)
        options_raw = _check_keys("options", raw.get("options", {}), list(PrivateAccessOptionsArgs.__annotations__))
        if "networks" not in options_raw:
            raise GcpSpecError("options.networks", "is required")
        project = options_raw.get("project")
        options = cast(
            PrivateAccessOptions,
            _options("options", PrivateAccessOptions, options_raw, ("networks", "subnetworks")),
        )
        return compile_private_access(resolved, options), project

    def _build(self, resource_name: str, spec: PrivateAccessSpec, project: Any) -> None:
        child = pulumi.ResourceOptions(parent=self)
        zone_name: pulumi.Input[str] | None = None
        if spec.enabled:
            for route in spec.routes:
                body = route.to_api()
                gcp.compute.Route(
                    f"{resource_name}-{route.name}",
                    name=route.name,
                    description=body["description"],
                    network=route.network,
                    dest_range=body["destRange"],
                    next_hop_gateway=body["nextHopGateway"],
                    priority=route.priority,
                    project=project,
                    opts=child,
                )
            zone_body = spec.zone_to_api()
            zone = gcp.dns.ManagedZone(
                f"{resource_name}-zone",
                name=spec.zone_name,
                dns_name=zone_body["dnsName"],
                description=zone_body["description"],
                visibility="private",
                private_visibility_config={
                    "networks": [{"network_url": network} for network in spec.networks],
                },
                project=project,
                opts=child,
            )
            zone_name = zone.name
            for record in spec.record_sets:
                gcp.dns.RecordSet(
                    f"{resource_name}-{'wildcard' if record.type == 'CNAME' else 'private'}",
                    managed_zone=zone.name,
                    name=record.name,
                    type=record.type,
                    ttl=record.to_api()["ttl"],
                    rrdatas=list(record.rrdatas),
                    project=project,
                    opts=child,
                )
        self.register_outputs(
            {
                "enabled": spec.enabled,
                "zone_name": zone_name,
                "routes": [route.to_api() for route in spec.routes],
                "required_subnet_settings": spec.subnet_settings(),
                "warnings": [warning.to_dict() for warning in spec.warnings],
            }
        )


__all__ = [
    "EgressFirewallPolicy",
    "EgressFirewallPolicyArgs",
    "EgressNat",
    "EgressNatArgs",
    "FirewallPolicyOptionsArgs",
    "NatOptionsArgs",
    "PrivateAccessOptionsArgs",
    "RoleTarget",
    "RoleTargetArgs",
    "SecureTagsArgs",
    "SelectionArgs",
    "StoragePrivateAccess",
    "StoragePrivateAccessArgs",
]
