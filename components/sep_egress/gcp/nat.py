"""``EgressNat``: Cloud NAT with static addresses, registered in this order: the addresses, the Cloud Router (unless
an existing one is given), then the NAT with its rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, overload

import pulumi
import pulumi_gcp as gcp

from ..arguments import SelectionArgs, call_styles, resolve_plan
from ..catalog import EgressPlan
from ..compile.gcp import GcpSpecError, NatGatewaySpec, NatOptions, NatRuleNumber, NatSubnetwork
from ..compile.gcp.nat import compile_nat_gateway
from ..compile.gcp.options import check_project
from .args import EgressNatArgs, NatOptionsArgs
from .placeholders import NETWORK_STAND_IN, SUBNETWORK_STAND_IN, Placeholders


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

    @overload
    def __init__(
        self,
        name: str,
        args: EgressNatArgs | Mapping[str, Any],
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
        options: NatOptionsArgs | Mapping[str, Any] | None = None,
    ) -> None: ...

    @call_styles(EgressNatArgs)
    def __init__(  # the two call styles above, sorted by call_styles into (name, args, opts)
        self,
        name: str,
        args: EgressNatArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec, placeholders = self.prepare(args)  # validates and compiles, before anything is registered
        self.spec = spec
        super().__init__("sep-egress:gcp:EgressNat", name, None, opts)
        project = args.options.project
        addresses = self._register_addresses(name, spec, project, args.options.protect_addresses)
        router_name = self._register_router(name, spec, project, placeholders)
        nat = self._register_nat(name, spec, project, placeholders, addresses, router_name)
        self._set_outputs(spec, addresses, router_name, nat)
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    @staticmethod
    def prepare(args: EgressNatArgs | Mapping[str, Any]) -> tuple[NatGatewaySpec, Placeholders]:
        """Validate ``args`` and compile the gateway without registering anything (raises ``GcpSpecError``)."""
        args = EgressNatArgs.parse(args)
        resolved = resolve_plan(args.selection, args.plan, GcpSpecError)
        placeholders = Placeholders()
        check_project(args.options.project)
        given = args.options.given("project", "subnetwork_ranges", "protect_addresses")
        given["network"] = placeholders.one(given["network"], NETWORK_STAND_IN.format(argument="network"))
        given["subnetworks"] = _nat_subnetworks_given(args, placeholders)
        given["rule_numbers"] = tuple(
            NatRuleNumber(entry_id, number) for entry_id, number in sorted(args.options.rule_numbers.items())
        )
        return compile_nat_gateway(resolved, NatOptions(**given)), placeholders

    def _register_addresses(
        self, name: str, spec: NatGatewaySpec, project: Any, protect: bool = True
    ) -> dict[str, gcp.compute.Address]:
        """Every static address (general egress, then per NAT rule), by name.

        Protected by default: an upstream firewall or a partner may allowlist these addresses, and a released
        static address is gone for good. ``protect`` makes Pulumi refuse, at preview, any change that would delete
        or replace one ("it will be an error to do a Pulumi deployment which tries to delete a protected resource
        for any reason", https://www.pulumi.com/docs/iac/concepts/options/protect/), so the address stays
        reserved and in the stack; ``retain_on_delete`` would instead drop it from the stack silently and leave it
        billed and unmanaged. Lowering ``address_count`` or a rule number change then needs ``protect_addresses:
        false`` (or ``pulumi state unprotect``) first, deliberately."""
        child = pulumi.ResourceOptions(parent=self, protect=True if protect else None)
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
        return addresses

    def _register_router(
        self, name: str, spec: NatGatewaySpec, project: Any, placeholders: Placeholders
    ) -> pulumi.Input[str]:
        """The Cloud Router, unless the NAT goes on an existing one: the router's name either way."""
        router_name: pulumi.Input[str]
        if spec.creates_router:
            router = gcp.compute.Router(
                f"{name}-router",
                name=spec.router_name,
                network=placeholders.restore(spec.network),
                region=spec.region,
                description="sep-egress: Cloud NAT for endpoint-protection egress",
                project=project,
                opts=pulumi.ResourceOptions(parent=self),
            )
            router_name = router.name
        else:
            # An existing router (Cloud Foundation Fabric's net-cloudnat ``router_create = false``): only the NAT is
            # added; the router, its BGP and its other NATs stay the other stack's.
            router_name = spec.router_name
        return router_name

    def _register_nat(
        self,
        name: str,
        spec: NatGatewaySpec,
        project: Any,
        placeholders: Placeholders,
        addresses: Mapping[str, gcp.compute.Address],
        router_name: pulumi.Input[str],
    ) -> gcp.compute.RouterNat:
        """The NAT on the router: the chosen subnet ranges, the general addresses, one NAT rule per rule spec."""
        whole = placeholders.whole_list([subnetwork.name for subnetwork in spec.subnetworks])
        subnetworks: Any
        if whole is not None:
            subnetworks = pulumi.Output.from_input(whole).apply(_nat_subnetworks)
        else:
            subnetworks = placeholders.restore([_nat_subnetwork_args(item) for item in spec.subnetworks])
        return gcp.compute.RouterNat(
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
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _set_outputs(
        self,
        spec: NatGatewaySpec,
        addresses: Mapping[str, gcp.compute.Address],
        router_name: pulumi.Input[str],
        nat: gcp.compute.RouterNat,
    ) -> None:
        """Every output attribute, from the spec and the registered resources."""
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


def _nat_subnetworks_given(args: EgressNatArgs, placeholders: Placeholders) -> tuple[Any, ...]:
    """``subnetworks`` (every range; Outputs as stand-ins) then ``subnetwork_ranges`` (chosen ranges), as the
    compiler's ``subnetworks``."""
    whole = placeholders.items(args.options.subnetworks, SUBNETWORK_STAND_IN.format(argument="subnetworks"))
    # subnetwork_ranges chooses ranges: the model's parse refuses an entry that names none (never read as "every
    # range", which would translate a GKE subnet's pod ranges too), naming the argument the user wrote.
    chosen = [
        NatSubnetwork.parse(
            f"options.subnetwork_ranges[{index}]",
            {
                "name": placeholders.one(item.name, SUBNETWORK_STAND_IN.format(argument=f"subnetwork-ranges-{index}")),
                "primary_range": item.primary_range,
                "secondary_ranges": item.secondary_ranges,
                "all_ranges": False,
            },
        )
        for index, item in enumerate(args.options.subnetwork_ranges)
    ]
    if placeholders.whole_list(whole) is not None and chosen:
        raise GcpSpecError("options.subnetwork_ranges", "give either a whole-list Output of subnetworks or ranges")
    return (*whole, *chosen)


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
