"""``StoragePrivateAccess``: Private Google Access for storage.googleapis.com, registered in this order: the routes
to the Google Access range, the private ``googleapis.com.`` zone, then its record sets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, overload

import pulumi
import pulumi_gcp as gcp

from ..arguments import SelectionArgs, call_styles, resolve_plan
from ..catalog import EgressPlan
from ..compile.gcp import GcpSpecError, PrivateAccessOptions, PrivateAccessSpec
from ..compile.gcp.options import check_project
from ..compile.gcp.private_access import compile_private_access
from .args import PrivateAccessOptionsArgs, StoragePrivateAccessArgs
from .placeholders import NETWORK_STAND_IN, SUBNETWORK_STAND_IN, Placeholders


class StoragePrivateAccess(pulumi.ComponentResource):
    """Route and private ``googleapis.com.`` zone so that storage.googleapis.com goes through Private Google Access.

    Pair it with ``EgressFirewallPolicy`` option ``private_google_access: true`` (the egress rule to
    199.36.153.8/30). The subnets are usually owned by another stack: ``required_subnet_settings`` lists the
    ``private_ip_google_access=True`` each of them must set. Nothing is created when the plan has no
    storage.googleapis.com (storage phase ``aws``). With ``options.existing_zone`` the landing zone's own private
    ``googleapis.com.`` zone is used: nothing is created in it, its records are read and checked (``record_checks``),
    and a mismatch stops the deployment before any route is created (or warns, ``record_checks: warn``). Outputs
    (``pulumi.Output`` attributes, registered under the same names): ``enabled``, ``zone_name``, ``routes``,
    ``required_subnet_settings``, ``record_checks``, ``warnings``.
    """

    spec: PrivateAccessSpec
    enabled: pulumi.Output[bool]
    zone_name: pulumi.Output[str | None]
    routes: pulumi.Output[list[dict[str, Any]]]
    required_subnet_settings: pulumi.Output[list[dict[str, Any]]]
    record_checks: pulumi.Output[list[dict[str, Any]]]
    warnings: pulumi.Output[list[dict[str, Any]]]

    OUTPUTS: ClassVar[tuple[str, ...]] = (
        "enabled",
        "zone_name",
        "routes",
        "required_subnet_settings",
        "record_checks",
        "warnings",
    )

    @overload
    def __init__(
        self,
        name: str,
        args: StoragePrivateAccessArgs | Mapping[str, Any],
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
        options: PrivateAccessOptionsArgs | Mapping[str, Any] | None = None,
    ) -> None: ...

    @call_styles(StoragePrivateAccessArgs)
    def __init__(  # the two call styles above, sorted by call_styles into (name, args, opts)
        self,
        name: str,
        args: StoragePrivateAccessArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        spec, placeholders = self.prepare(args)  # validates and compiles, before anything is registered
        self.spec = spec
        super().__init__("sep-egress:gcp:StoragePrivateAccess", name, None, opts)
        project = args.options.project
        zone_name: pulumi.Input[str | None] = None
        self.record_checks = pulumi.Output.from_input([])
        if spec.enabled and not spec.creates_zone:
            self.record_checks = self._check_records(spec, project, args.options.record_checks)
        if spec.enabled:
            self._register_routes(name, spec, project, placeholders)
            if spec.creates_zone:
                zone = self._register_zone(name, spec, project, placeholders)
                self._register_records(name, spec, project, zone)
                zone_name = zone.name
            else:
                zone_name = spec.zone_name
        self._set_outputs(spec, placeholders, zone_name)
        self.register_outputs({output: getattr(self, output) for output in self.OUTPUTS})

    @staticmethod
    def prepare(args: StoragePrivateAccessArgs | Mapping[str, Any]) -> tuple[PrivateAccessSpec, Placeholders]:
        """Validate ``args`` and compile the route and zone without registering anything (raises ``GcpSpecError``)."""
        args = StoragePrivateAccessArgs.parse(args)
        resolved = resolve_plan(args.selection, args.plan, GcpSpecError)
        placeholders = Placeholders()
        check_project(args.options.project)
        given = args.options.given("project", "record_checks")
        given["networks"] = placeholders.items(given["networks"], NETWORK_STAND_IN.format(argument="networks"))
        if "subnetworks" in given:
            given["subnetworks"] = placeholders.items(
                given["subnetworks"], SUBNETWORK_STAND_IN.format(argument="subnetworks")
            )
        return compile_private_access(resolved, PrivateAccessOptions(**given)), placeholders

    def _check_records(self, spec: PrivateAccessSpec, project: Any, action: str) -> pulumi.Output[Any]:
        """Read the existing zone's record sets (``gcp.dns.get_record_set``) and compare them with the ones this
        component would create; stop with ``pulumi.RunError`` (or warn) when one differs."""
        reads = [
            gcp.dns.get_record_set_output(
                managed_zone=spec.zone_name, name=record.name, type=record.type, project=project
            ).rrdatas
            for record in spec.record_sets
        ]

        def judge(found: list[Any]) -> list[dict[str, Any]]:
            checks = record_findings(spec, found)
            problems = [check for check in checks if not check["matches"]]
            if problems:
                message = record_message(spec.zone_name, problems, action)
                if action == "stop" and any(check["read"] for check in problems):
                    raise pulumi.RunError(message)
                pulumi.log.warn(message, resource=self)
            return checks

        return pulumi.Output.all(*reads).apply(judge)

    def _register_routes(self, name: str, spec: PrivateAccessSpec, project: Any, placeholders: Placeholders) -> None:
        """One route per network to the Google Access range, through the default internet gateway."""
        for route in spec.routes:
            body = route.to_api()
            gcp.compute.Route(
                f"{name}-{route.name}",
                name=route.name,
                description=body["description"],
                network=placeholders.restore(route.network),
                dest_range=pulumi.Output.all(self.record_checks, body["destRange"]).apply(lambda pair: pair[1]),
                next_hop_gateway=body["nextHopGateway"],
                priority=route.priority,
                project=project,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _register_zone(
        self, name: str, spec: PrivateAccessSpec, project: Any, placeholders: Placeholders
    ) -> gcp.dns.ManagedZone:
        """The private ``googleapis.com.`` zone, visible to every network."""
        zone_body = spec.zone_to_api()
        return gcp.dns.ManagedZone(
            f"{name}-zone",
            name=spec.zone_name,
            dns_name=zone_body["dnsName"],
            description=zone_body["description"],
            visibility="private",
            private_visibility_config={
                "networks": [{"network_url": placeholders.restore(network)} for network in spec.networks],
            },
            project=project,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _register_records(self, name: str, spec: PrivateAccessSpec, project: Any, zone: gcp.dns.ManagedZone) -> None:
        """The zone's record sets: the Google Access addresses and the wildcard CNAME to them."""
        for record in spec.record_sets:
            gcp.dns.RecordSet(
                f"{name}-{'wildcard' if record.type == 'CNAME' else 'private'}",
                managed_zone=zone.name,
                name=record.name,
                type=record.type,
                ttl=record.to_api()["ttl"],
                rrdatas=list(record.rrdatas),
                project=project,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _set_outputs(
        self, spec: PrivateAccessSpec, placeholders: Placeholders, zone_name: pulumi.Input[str | None]
    ) -> None:
        """Every output attribute; ``required_subnet_settings`` resolves a whole-list Output of subnets."""
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


def record_findings(spec: PrivateAccessSpec, found: list[Any]) -> list[dict[str, Any]]:
    """Each expected record set of the zone: what was read, and whether it is the one this component would create
    (the same addresses, or a CNAME to the same name; Cloud DNS may omit or add the trailing dot)."""
    checks = []
    for record, rrdatas in zip(spec.record_sets, found, strict=True):
        read = [str(item).rstrip(".").lower() for item in rrdatas or []]
        expected = [item.rstrip(".").lower() for item in record.rrdatas]
        checks.append(
            {
                "name": record.name,
                "type": record.type,
                "expected": list(record.rrdatas),
                "found": list(rrdatas or []),
                "read": bool(read),
                "matches": sorted(read) == sorted(expected),
            }
        )
    return checks


def record_message(zone: str, problems: list[dict[str, Any]], action: str) -> str:
    """The message of the record check: each record set that differs or could not be read, and what to do."""
    parts = [
        f"{check['type']} {check['name']} is {', '.join(check['found'])} (expected {', '.join(check['expected'])})"
        if check["read"]
        else f"{check['type']} {check['name']} could not be read (expected {', '.join(check['expected'])})"
        for check in problems
    ]
    fix = (
        "Fix the records in the zone (its owner's stack), or set options.record_checks: warn to deploy anyway."
        if action == "stop"
        else "options.record_checks is warn: deploying anyway."
    )
    return (
        f"StoragePrivateAccess: the existing zone {zone} does not send Google APIs to the Google Access VIP: "
        f"{'; '.join(parts)}. {fix}"
    )
