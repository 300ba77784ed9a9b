"""``SecureWebProxy``: a Secure Web Proxy for the vendor names FQDN objects cannot hold, registered in this order:
the proxy-only subnet (when created), the gateway security policy, its rules (one after another), the gateway.

Pair it with ``EgressFirewallPolicy`` option ``secure_web_proxy: {address, port, names}`` (the program does it
for a stack): the policy then leaves the proxy's names out of its FQDN rules and allows the machines to the proxy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, overload

import pulumi
import pulumi_gcp as gcp
from pydantic import Field

from ..arguments import InputStr, InputStrMap, SelectionArgs, call_styles, resolve_plan
from ..catalog import EgressPlan
from ..compile.gcp import GcpSpecError, parse_targets
from ..compile.gcp.options import CREATED_TAG, check_project
from ..compile.gcp.secure_web_proxy import SecureWebProxySpec, compile_secure_web_proxy, parse_options
from ..compile.gcp.session_matcher import quoted
from .args import GcpArgs, RoleTargetArgs
from .placeholders import NETWORK_STAND_IN, SUBNETWORK_STAND_IN, Placeholders

# The project in the compiler's resource names; the resources take the provider's (or ``options.project``).
PROJECT_STAND_IN = "PROJECT"


class SecureWebProxyOptionsArgs(GcpArgs):
    """See ``SecureWebProxyOptions`` and docs/gcp.md ("Secure Web Proxy")."""

    region: str = Field(description="Region of the gateway (Secure Web Proxy is regional).")
    network: InputStr = Field(description="VPC network, projects/p/global/networks/n (or an Output).")
    subnetwork: InputStr = Field(
        description="Subnetwork the gateway takes its address from, projects/p/regions/r/subnetworks/s (or an Output)."
    )
    address: str = Field(description="The gateway's internal IPv4 address in that subnetwork.")
    port: int = Field(default=443, description="The port SEP clients are configured to use.")
    names: str = Field(
        default="address-limited", description="address-limited (names FQDN objects cannot hold) or all."
    )
    name: str = Field(default="sep-egress", description="Prefix of the gateway, policy and subnet names.")
    proxy_only_subnet_range: str | None = Field(
        default=None, description="Create the region's proxy-only subnet with this range; default: one exists."
    )
    private_google_access: bool = Field(
        default=False, description="storage.googleapis.com goes through Private Google Access (as the firewall's)."
    )
    skip_roles: list[str] = Field(default_factory=list, description="Machine kinds that do not run here.")
    routing_mode: str = Field(
        default="EXPLICIT_ROUTING_MODE", description="EXPLICIT_ROUTING_MODE (next hop is refused, see docs/gcp.md)."
    )
    project: InputStr | None = Field(default=None, description="Project (provider default).")


class SecureWebProxyArgs(GcpArgs):
    """Inputs of ``SecureWebProxy``: ``selection`` or ``plan``, ``targets`` per machine kind (as the firewall
    policy's), ``created_tag_values`` when targets use ``created:<kind>`` values, and ``options``."""

    selection: SelectionArgs | None = Field(default=None, description="What to select from the catalog.")
    plan: EgressPlan | None = Field(default=None, description="A ready EgressPlan (Python only) instead.")
    targets: dict[str, RoleTargetArgs] = Field(
        description="Per machine kind (clients, managers, admin-workstations), the machines its rules match."
    )
    created_tag_values: InputStrMap | None = Field(
        default=None,
        description="The tagValues/N id of each created:<kind> value (EgressFirewallPolicy.secure_tag_values).",
    )
    options: SecureWebProxyOptionsArgs = Field(description="Where and how the proxy is built.")


class SecureWebProxy(pulumi.ComponentResource):
    """An explicit Secure Web Proxy whose policy allows each machine kind exactly its proxied vendor names.

    Outputs (``pulumi.Output`` attributes, registered under the same names): ``address``, ``port``,
    ``proxy_url`` (``http://address:port``, what SEP clients are configured with), ``gateway_id``,
    ``policy_id``, ``hosts`` (the names the proxy serves), ``rule_priorities``, ``warnings``.
    """

    spec: SecureWebProxySpec
    address: pulumi.Output[str]
    port: pulumi.Output[int]
    proxy_url: pulumi.Output[str]
    gateway_id: pulumi.Output[str]
    policy_id: pulumi.Output[str]
    hosts: pulumi.Output[list[str]]
    rule_priorities: pulumi.Output[list[int]]
    warnings: pulumi.Output[list[dict[str, Any]]]

    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "address",
        "port",
        "proxy_url",
        "gateway_id",
        "policy_id",
        "hosts",
        "rule_priorities",
        "warnings",
    )

    @overload
    def __init__(
        self,
        name: str,
        args: SecureWebProxyArgs | Mapping[str, Any],
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
        created_tag_values: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        options: SecureWebProxyOptionsArgs | Mapping[str, Any] | None = None,
    ) -> None: ...

    @call_styles(SecureWebProxyArgs)
    def __init__(  # the two call styles above, sorted by call_styles into (name, args, opts)
        self,
        name: str,
        args: SecureWebProxyArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec, placeholders = self.prepare(args)  # validates and compiles, before anything is registered
        self.spec = spec
        super().__init__("sep-egress:gcp:SecureWebProxy", name, None, opts)
        project = args.options.project
        subnet = self._register_proxy_only_subnet(name, spec, project, placeholders)
        policy = self._register_policy(name, spec, project)
        last = self._register_rules(name, spec, policy, project, args.created_tag_values)
        gateway = self._register_gateway(name, spec, policy, project, placeholders, [last, subnet])
        self._set_outputs(spec, gateway, policy)
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    @staticmethod
    def prepare(args: SecureWebProxyArgs | Mapping[str, Any]) -> tuple[SecureWebProxySpec, Placeholders]:
        """Validate ``args`` and compile the proxy without registering anything (raises ``GcpSpecError``)."""
        args = SecureWebProxyArgs.parse(args)
        resolved = resolve_plan(args.selection, args.plan, GcpSpecError)
        check_project(args.options.project)
        placeholders = Placeholders()
        given = args.options.given("project")
        if "network" in given:
            given["network"] = placeholders.one(given["network"], NETWORK_STAND_IN.format(argument="network"))
        if "subnetwork" in given:
            given["subnetwork"] = placeholders.one(
                given["subnetwork"], SUBNETWORK_STAND_IN.format(argument="subnetwork")
            )
        targets = parse_targets(
            {
                key: {"secure_tags": target.secure_tags, "service_accounts": target.service_accounts}
                for key, target in args.targets.items()
            }
        )
        created = sorted(
            {value for target in targets.values() for value in target.secure_tags if CREATED_TAG.fullmatch(value)}
        )
        known = args.created_tag_values
        if created and known is None:
            raise GcpSpecError(
                "created_tag_values",
                f"the targets use {', '.join(created)}: give the ids of the created values "
                "(EgressFirewallPolicy.secure_tag_values)",
            )
        if created and isinstance(known, Mapping):
            missing = [value for value in created if value.removeprefix("created:") not in known]
            if missing:
                raise GcpSpecError("created_tag_values", f"no id for {missing[0]}")
        return compile_secure_web_proxy(resolved, targets, parse_options(given)), placeholders

    def _register_proxy_only_subnet(
        self, name: str, spec: SecureWebProxySpec, project: Any, placeholders: Placeholders
    ) -> pulumi.Resource | None:
        body = spec.proxy_only_subnet_to_api()
        if body is None:
            return None
        subnet: pulumi.Resource = gcp.compute.Subnetwork(
            f"{name}-proxy-only-subnet",
            name=body["name"],
            description=body["description"],
            ip_cidr_range=body["ipCidrRange"],
            network=placeholders.restore(body["network"]),
            region=body["region"],
            purpose=body["purpose"],
            role=body["role"],
            project=project,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return subnet

    def _register_policy(
        self, name: str, spec: SecureWebProxySpec, project: Any
    ) -> gcp.networksecurity.GatewaySecurityPolicy:
        body = spec.policy_to_api(PROJECT_STAND_IN)
        return gcp.networksecurity.GatewaySecurityPolicy(
            f"{name}-swp-policy",
            name=spec.options.policy_name,
            location=spec.options.region,
            description=body["description"],
            project=project,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _register_rules(
        self,
        name: str,
        spec: SecureWebProxySpec,
        policy: gcp.networksecurity.GatewaySecurityPolicy,
        project: Any,
        created_tag_values: Any,
    ) -> pulumi.Resource:
        """Every rule, each after the previous one (one change to the policy at a time); created tag values in the
        matchers are replaced by their ids once those exist."""
        previous: pulumi.Resource = policy
        for rule in spec.rules:
            body = rule.to_api(spec.policy_path(PROJECT_STAND_IN))
            previous = gcp.networksecurity.GatewaySecurityPolicyRule(
                f"{name}-swp-{rule.rule_id}",
                name=rule.rule_id,
                gateway_security_policy=policy.name,
                location=spec.options.region,
                description=body["description"],
                enabled=body["enabled"],
                priority=body["priority"],
                session_matcher=_with_tag_ids(rule.session_matcher, created_tag_values),
                basic_profile=body["basicProfile"],
                tls_inspection_enabled=body["tlsInspectionEnabled"],
                project=project,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[previous]),
            )
        return previous

    def _register_gateway(
        self,
        name: str,
        spec: SecureWebProxySpec,
        policy: gcp.networksecurity.GatewaySecurityPolicy,
        project: Any,
        placeholders: Placeholders,
        after: list[pulumi.Resource | None],
    ) -> gcp.networkservices.Gateway:
        body = spec.gateway_to_api(PROJECT_STAND_IN)
        return gcp.networkservices.Gateway(
            f"{name}-swp-gateway",
            name=spec.options.gateway_name,
            location=spec.options.region,
            description=body["description"],
            type=body["type"],
            routing_mode=body["routingMode"],
            ports=body["ports"],
            addresses=body["addresses"],
            network=placeholders.restore(spec.options.network),
            subnetwork=placeholders.restore(spec.options.subnetwork),
            gateway_security_policy=policy.id,
            # The first gateway of a region and network provisions a Cloud Router and NAT for the proxies; remove
            # them with the last gateway instead of leaving them behind.
            delete_swg_autogen_router_on_destroy=True,
            project=project,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[item for item in after if item is not None]),
        )

    def _set_outputs(
        self,
        spec: SecureWebProxySpec,
        gateway: gcp.networkservices.Gateway,
        policy: gcp.networksecurity.GatewaySecurityPolicy,
    ) -> None:
        options = spec.options
        self.address = pulumi.Output.from_input(options.address)
        self.port = pulumi.Output.from_input(options.port)
        self.proxy_url = pulumi.Output.from_input(f"http://{options.address}:{options.port}")
        self.gateway_id = gateway.id
        self.policy_id = policy.id
        self.hosts = pulumi.Output.from_input(list(spec.hosts))
        self.rule_priorities = pulumi.Output.from_input([rule.priority for rule in spec.rules])
        self.warnings = pulumi.Output.from_input([warning.to_dict() for warning in spec.warnings])


def _with_tag_ids(matcher: str, created_tag_values: Any) -> pulumi.Input[str]:
    """``matcher`` with each ``'created:<kind>'`` replaced by the created value's ``tagValues/N`` id."""
    if "'created:" not in matcher:
        return matcher

    def replace(values: Mapping[str, str]) -> str:
        text = matcher
        for short, tag_id in sorted(values.items()):
            text = text.replace(f"'created:{short}'", quoted(tag_id))  # an id that needs escaping is refused
        return text

    return pulumi.Output.from_input(created_tag_values).apply(replace)
