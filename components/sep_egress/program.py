"""What ``__main__.py`` does with a stack: validate every part, then register the components.

``prepare_deployment`` checks the whole configuration (selection, overlays, the AWS and GCP blocks) and compiles
every control without registering anything; only when all of it is valid does ``Deployment.register`` create
the components. A mistake in the GCP block therefore never leaves half of the AWS resources applied.

Stack configuration of the cloud blocks (keys as in the components' Python arguments)::

    sep-egress:aws:                   # NetworkFirewallAllowlistArgs, without selection/plan (the stack decides)
      style: suricata
      source_cidrs: {agent: [10.10.0.0/16], sepm: [10.20.0.10/32]}
    sep-egress:gcp:
      firewall: {targets: {...}, secure_tags: {...}, options: {...}}   # EgressFirewallPolicyArgs
      nat: {options: {...}}                                           # EgressNatArgs (optional)
      private_access: {options: {...}}                                # StoragePrivateAccessArgs (optional)
      secure_web_proxy: {options: {...}}                              # SecureWebProxyArgs (optional; targets
                                                                      # default to the firewall's)
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pydantic import BaseModel

from .arguments import ComponentArgs, SelectionArgs
from .aws import NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs, compile_args
from .catalog.vendor.plan import EgressPlan
from .compile.aws import AwsEgressSpec
from .compile.gcp import FirewallPolicySpec, ProxyRoute
from .errors import ConfigError, SepEgressError
from .gcp import (
    EgressFirewallPolicy,
    EgressFirewallPolicyArgs,
    EgressNat,
    EgressNatArgs,
    SecureWebProxy,
    SecureWebProxyArgs,
    StoragePrivateAccess,
    StoragePrivateAccessArgs,
)
from .settings import NAMESPACE, StackConfig

GCP_PARTS = ("firewall", "nat", "private_access", "secure_web_proxy")
#: What the stack's own keys decide (sep-egress:version, mode, ...): refused inside a cloud block.
SELECTION_KEYS = (*SelectionArgs.model_fields, "selection", "plan")


@dataclass
class Deployment:
    """A validated stack: its plan and the arguments of each component to create (each carrying the plan)."""

    name: str
    plan: EgressPlan
    aws: NetworkFirewallAllowlistArgs | None = None
    gcp: dict[str, ComponentArgs] = field(default_factory=dict)
    #: What validation compiled (the AWS spec, the GCP specs), kept for the warnings ``plan --stack`` shows.
    specs: list[Any] = field(default_factory=list)

    def register(self) -> dict[str, pulumi.ComponentResource]:
        """Create the components (children of the stack) and export what other teams need."""
        created: dict[str, pulumi.ComponentResource] = {}
        plan = self.plan
        pulumi.export("catalogVersion", plan.catalog_version)
        pulumi.export("selection", plan.to_dict()["selection"])
        pulumi.export("allow", [rule.to_dict() for rule in plan.allow])
        pulumi.export("tlsInspectionBypass", list(plan.tls_inspection_bypass))
        # One list for reviewers: what the plan is wider than the vendor asks, then what each control adds.
        specs: list[Any] = []
        if self.aws is not None:
            allowlist = NetworkFirewallAllowlist(self.name, self.aws)
            created["aws"] = allowlist
            pulumi.export("awsRuleGroupArns", allowlist.rule_group_arns)
            pulumi.export("awsFirewallPolicyArn", allowlist.firewall_policy_arn)
            pulumi.export("awsRuleGroupArnsByName", allowlist.rule_group_arns_by_name)
            pulumi.export("awsSharedRuleGroupReferences", allowlist.shared_rule_group_references)
            pulumi.export("awsFirewallArn", allowlist.firewall_arn)
            pulumi.export("awsFirewallEndpointIds", allowlist.firewall_endpoint_ids)
            pulumi.export("awsLogDestinations", allowlist.log_destinations)
            pulumi.export("awsAllowedHosts", allowlist.allowed_hosts)
            pulumi.export("awsSkippedRoles", allowlist.skipped_roles)
            specs.append(allowlist.spec)
        firewall_args = self.gcp.get("firewall")
        if isinstance(firewall_args, EgressFirewallPolicyArgs):
            policy = EgressFirewallPolicy(self.name, firewall_args)
            created["gcp-firewall"] = policy
            specs.append(policy.spec)
            pulumi.export("gcpFirewallPolicyId", policy.policy_id)
            pulumi.export("gcpFirewallPolicyName", policy.policy_name)
            pulumi.export("gcpSecureTagValues", policy.secure_tag_values)
        nat_args = self.gcp.get("nat")
        if isinstance(nat_args, EgressNatArgs):
            nat = EgressNat(self.name, nat_args)
            created["gcp-nat"] = nat
            specs.append(nat.spec)
            pulumi.export("gcpEgressAddresses", nat.egress_addresses)
            pulumi.export("gcpNatRuleAddresses", nat.rule_addresses)
        access_args = self.gcp.get("private_access")
        if isinstance(access_args, StoragePrivateAccessArgs):
            access = StoragePrivateAccess(self.name, access_args)
            created["gcp-private-access"] = access
            specs.append(access.spec)
        proxy_args = self.gcp.get("secure_web_proxy")
        if isinstance(proxy_args, SecureWebProxyArgs):
            firewall = created.get("gcp-firewall")
            if proxy_args.created_tag_values is not None and isinstance(firewall, EgressFirewallPolicy):
                # The created tag values' ids exist only once the firewall component has created them.
                tag_ids = firewall.secure_tag_values
                proxy_args = proxy_args.model_copy(update={"created_tag_values": tag_ids})
            proxy = SecureWebProxy(self.name, proxy_args)
            created["gcp-secure-web-proxy"] = proxy
            specs.append(proxy.spec)
            pulumi.export("gcpSecureWebProxyAddress", proxy.address)
            pulumi.export("gcpSecureWebProxyPort", proxy.port)
            pulumi.export("gcpSecureWebProxyUrl", proxy.proxy_url)
            pulumi.export("gcpSecureWebProxyHosts", proxy.hosts)
        plan_warnings = [{**warning.to_dict(), "source": "plan"} for warning in plan.warnings]
        pulumi.export("warnings", _unique([*plan_warnings, *_spec_warnings(specs)]))
        return created


def control_warnings(deployment: Deployment) -> list[dict[str, Any]]:
    """What each control of the stack adds to know (the ``warnings`` the program exports after the plan's own), from
    what ``prepare_deployment`` compiled, without registering anything: ``sep-egress plan --stack`` shows them."""
    return _unique(_spec_warnings(deployment.specs))


def _spec_warnings(specs: list[Any]) -> list[dict[str, Any]]:
    """The warnings of compiled controls, as the stack exports them: the AWS spec's notes, the GCP specs' warnings."""
    found: list[dict[str, Any]] = []
    for spec in specs:
        if isinstance(spec, AwsEgressSpec):
            found += [
                {"code": "aws-note", "message": note, "hosts": [], "ids": [], "source": "aws"} for note in spec.notes
            ]
        else:
            found += [{**item.to_dict(), "ids": [], "source": "gcp"} for item in spec.warnings]
    return found


def _unique(warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two components may state the same fact (the bucket warning of the policy and of Private Google Access)."""
    return list({(item["code"], item["message"]): item for item in warnings}.values())


def config_strings(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with whole numbers turned into text wherever ``model`` expects text and no number.

    ``pulumi config set --path 'sep-egress:aws.distribution.principals[0]' 123456789012`` stores an integer (Pulumi
    reads digits as a number under ``--path``), and the engine passes it as one; an account id, a numeric tag value
    or a hierarchical policy id is text to the components. Booleans and anything the model types as a number stay
    as they are; the strict models still refuse every other mismatch."""
    return {
        key: _as_config_text(model.model_fields[key].annotation, value) if key in model.model_fields else value
        for key, value in data.items()
    }


def _leaves(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [leaf for argument in typing.get_args(annotation) for leaf in _leaves(argument)]
    return [annotation]


def _as_config_text(annotation: Any, value: Any) -> Any:
    leaves = _leaves(annotation)
    if isinstance(value, int) and not isinstance(value, bool):
        plain = {leaf for leaf in leaves if isinstance(leaf, type)}
        return str(value) if str in plain and not plain & {int, float} else value
    if isinstance(value, list):
        for leaf in leaves:
            if typing.get_origin(leaf) is list:
                (item,) = typing.get_args(leaf)
                return [_as_config_text(item, element) for element in value]
        return value
    if isinstance(value, Mapping):
        for leaf in leaves:
            if isinstance(leaf, type) and issubclass(leaf, BaseModel):
                return config_strings(leaf, value)
            if typing.get_origin(leaf) is dict:
                item = typing.get_args(leaf)[1]
                return {key: _as_config_text(item, element) for key, element in value.items()}
    return value


def _selection_inside(block: Mapping[str, Any], where: str) -> tuple[str, str] | None:
    """A selection key inside a cloud block: the stack's own keys decide the selection for every component."""
    given = [key for key in SELECTION_KEYS if key in block]
    if not given:
        return None
    first = given[0] if given[0] in SelectionArgs.model_fields else "version"
    return (
        f"{NAMESPACE}:{where}",
        f"the stack's plan already decides {', '.join(given)} for every component "
        f"(in a stack: set sep-egress:{first}, not sep-egress:{where}.{given[0]})",
    )


def _with_enforcement(model: type[BaseModel], block: dict[str, Any], config: StackConfig) -> dict[str, Any]:
    """The block with the stack's ``sep-egress:enforcement`` where the component takes one and the block does not
    set its own (a component without the field is left as it is)."""
    if "enforcement" in model.model_fields and "enforcement" not in block:
        return {**block, "enforcement": config.settings.enforcement}
    return block


def prepare_deployment(config: StackConfig, name: str = "sep-egress") -> Deployment:
    """Validate and compile everything a stack asks for; raises one ``ConfigError`` listing every problem."""
    plan = config.plan()
    settings = config.settings
    problems: list[tuple[str, str]] = []
    deployment = Deployment(name=name, plan=plan)
    if settings.aws is None and settings.gcp is None:
        problems.append((f"{NAMESPACE}:aws", "configure at least one cloud: sep-egress:aws or sep-egress:gcp"))
    if settings.aws is not None:
        selection = _selection_inside(settings.aws, "aws")
        if selection is not None:
            problems.append(selection)
        else:
            try:
                aws_config = _with_enforcement(
                    NetworkFirewallAllowlistArgs, config_strings(NetworkFirewallAllowlistArgs, settings.aws), config
                )
                args = NetworkFirewallAllowlistArgs.parse({**aws_config, "plan": plan})
                deployment.specs.append(compile_args(args))
                deployment.aws = args
            except SepEgressError as error:
                problems.append((f"{NAMESPACE}:aws", str(error)))
    if settings.gcp is not None:
        unknown = sorted(set(settings.gcp) - set(GCP_PARTS))
        if unknown:
            problems.append((f"{NAMESPACE}:gcp.{unknown[0]}", f"unknown part; expected {', '.join(GCP_PARTS)}"))
        if "firewall" not in settings.gcp:
            problems.append((f"{NAMESPACE}:gcp.firewall", "the GCP block needs a firewall policy"))
        parts: dict[str, tuple[type[ComponentArgs], Any]] = {
            "firewall": (EgressFirewallPolicyArgs, EgressFirewallPolicy.prepare),
            "nat": (EgressNatArgs, EgressNat.prepare),
            "private_access": (StoragePrivateAccessArgs, StoragePrivateAccess.prepare),
            "secure_web_proxy": (SecureWebProxyArgs, SecureWebProxy.prepare),
        }
        gcp_block, proxy_problem = secure_web_proxy_block(settings.gcp)
        problems.extend(proxy_problem)
        for part, (kind, prepare) in parts.items():
            if part not in gcp_block:
                continue
            value = gcp_block[part]
            if part == "secure_web_proxy" and isinstance(value, Mapping):
                value = proxy_with_firewall_targets(value, deployment)
                if value is None:
                    continue
            if not isinstance(value, Mapping):
                problems.append((f"{NAMESPACE}:gcp.{part}", "a mapping of arguments is expected"))
                continue
            selection = _selection_inside(value, f"gcp.{part}")
            if selection is not None:
                problems.append(selection)
                continue
            try:
                part_config = config_strings(kind, value)
                if part == "firewall":
                    part_config = _with_enforcement(kind, part_config, config)
                part_args = kind.parse({**part_config, "plan": plan})
                deployment.specs.append(prepare(part_args)[0])
                deployment.gcp[part] = part_args
            except SepEgressError as error:
                problems.append((f"{NAMESPACE}:gcp.{part}", str(error)))
        firewall = settings.gcp.get("firewall")
        firewall_options = firewall.get("options") if isinstance(firewall, Mapping) else None
        wants_access = isinstance(firewall_options, Mapping) and firewall_options.get("private_google_access") is True
        if wants_access != ("private_access" in settings.gcp):
            problems.append(
                (
                    f"{NAMESPACE}:gcp.private_access",
                    "set gcp.private_access (the route and DNS zone) exactly when "
                    "gcp.firewall.options.private_google_access is true (the egress rule to the Google Access range)",
                )
            )
        access = settings.gcp.get("private_access")
        access_options = access.get("options") if isinstance(access, Mapping) else None
        if wants_access and isinstance(access_options, Mapping):
            firewall_vip = firewall_options.get("google_access_vip", "private")  # type: ignore[union-attr]
            access_vip = access_options.get("google_access_vip", "private")
            if firewall_vip != access_vip:
                problems.append(
                    (
                        f"{NAMESPACE}:gcp.private_access.options.google_access_vip",
                        f"{access_vip!r}, but gcp.firewall.options.google_access_vip is {firewall_vip!r}: the route, "
                        "the zone and the egress rule must name the same Google Access VIP",
                    )
                )
    if problems:
        raise ConfigError(config.source, problems)
    return deployment


def secure_web_proxy_block(gcp_block: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The GCP block with the Secure Web Proxy wired to the firewall policy, when ``gcp.secure_web_proxy`` is set:
    the firewall's ``options.secure_web_proxy`` (address, port, names) and the proxy's ``private_google_access``
    come from the other part (the proxy's ``targets``: see ``proxy_with_firewall_targets``)."""
    block = dict(gcp_block)
    proxy = block.get("secure_web_proxy")
    firewall = block.get("firewall")
    if not isinstance(proxy, Mapping) or not isinstance(firewall, Mapping):
        return block, []
    proxy_options = proxy.get("options")
    firewall_options = firewall.get("options", {})
    if not isinstance(proxy_options, Mapping) or not isinstance(firewall_options, Mapping):
        return block, []
    where = f"{NAMESPACE}:gcp.firewall.options.secure_web_proxy"
    if "secure_web_proxy" in firewall_options:
        return block, [(where, "set by gcp.secure_web_proxy (its address, port and names); remove it here")]
    if "private_google_access" in proxy_options:
        return block, [
            (
                f"{NAMESPACE}:gcp.secure_web_proxy.options.private_google_access",
                "follows gcp.firewall.options.private_google_access; remove it here",
            )
        ]
    route = {key: proxy_options[key] for key in ("address", "port", "names") if key in proxy_options}
    try:
        ProxyRoute.parse("options", route)
    except SepEgressError:
        return block, []  # the proxy part reports it, under its own name
    block["firewall"] = {**firewall, "options": {**firewall_options, "secure_web_proxy": route}}
    pga = firewall_options.get("private_google_access", False)
    block["secure_web_proxy"] = {**proxy, "options": {**proxy_options, "private_google_access": pga}}
    return block, []


def proxy_with_firewall_targets(value: Mapping[str, Any], deployment: Deployment) -> Mapping[str, Any] | None:
    """The proxy part with ``targets`` (when it gives none) from the compiled firewall policy's machine kinds: the
    same machines, created tag values included (their ids are filled in at registration)."""
    specs = [spec for spec in deployment.specs if isinstance(spec, FirewallPolicySpec)]
    if "targets" in value:
        return value
    if not specs:
        return None  # the firewall part failed and says why; the proxy's machines are its machines
    targets: dict[str, Any] = {}
    created: dict[str, str] = {}
    for group in specs[0].groups:
        for kind in group.kinds:
            targets[kind] = {
                "secure_tags": list(group.target.secure_tags),
                "service_accounts": list(group.target.service_accounts),
            }
        for tag in group.target.secure_tags:
            if tag.startswith("created:"):
                created[tag.removeprefix("created:")] = tag
    result = {**value, "targets": targets}
    if created:
        result["created_tag_values"] = created
    return result
