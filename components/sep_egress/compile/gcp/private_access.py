"""The storage migration: storage.googleapis.com through Private Google Access.

The vendor moved SEP/SES storage from S3 to Google Cloud (storage.googleapis.com). Inside Google Cloud that name can
be reached without the internet: the subnet flag ``privateIpGoogleAccess``, a route to the VIP's range through the
default internet gateway (Google keeps that range inside its network), a private ``googleapis.com.`` zone that
resolves every Google API name to the VIP, and an egress allow rule for the range (emitted by the firewall compiler
when ``private_google_access`` is on). The VIP is ``private.googleapis.com`` (199.36.153.8/30, most Google APIs) or
``restricted.googleapis.com`` (199.36.153.4/30, only the APIs VPC Service Controls supports), per
https://cloud.google.com/vpc/docs/configure-private-google-access#domain-options. The output is shaped like the
Compute ``Route`` and Cloud DNS ``ManagedZone`` / ``ResourceRecordSet`` request bodies.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ...catalog.vendor.plan import EgressPlan
from .firewall import STORAGE_HOST, stable_hash
from .options import GOOGLE_ACCESS_RANGES, GcpWarning, PrivateAccessOptions

PRIVATE_GOOGLE_ACCESS_ADDRESSES = ("199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11")
DEFAULT_INTERNET_GATEWAY = "global/gateways/default-internet-gateway"
RECORD_TTL = 300


def vip_addresses(vip: str) -> tuple[str, ...]:
    """The four addresses of a Google Access VIP's /30."""
    return tuple(str(address) for address in ipaddress.ip_network(GOOGLE_ACCESS_RANGES[vip]))  # type: ignore[index]


@dataclass(frozen=True, slots=True)
class RouteSpec:
    name: str
    network: str
    priority: int
    vip: str = "private"

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": f"sep-egress: {self.vip}.googleapis.com (Private Google Access) for storage.googleapis.com",
            "network": self.network,
            "destRange": GOOGLE_ACCESS_RANGES[self.vip],  # type: ignore[index]
            "nextHopGateway": DEFAULT_INTERNET_GATEWAY,
            "priority": self.priority,
        }


@dataclass(frozen=True, slots=True)
class RecordSetSpec:
    name: str
    type: str
    rrdatas: tuple[str, ...]

    def to_api(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "ttl": RECORD_TTL, "rrdatas": list(self.rrdatas)}


@dataclass(frozen=True, slots=True)
class PrivateAccessSpec:
    """Routes, the private zone and its records, and the subnets that must turn the flag on."""

    enabled: bool
    zone_name: str
    networks: tuple[str, ...]
    routes: tuple[RouteSpec, ...]
    record_sets: tuple[RecordSetSpec, ...]
    subnetworks: tuple[str, ...]
    warnings: tuple[GcpWarning, ...]
    vip: str = "private"
    #: False when an existing ``googleapis.com.`` zone (``existing_zone``) is used: its records are checked instead.
    creates_zone: bool = True

    @property
    def vip_range(self) -> str:
        return GOOGLE_ACCESS_RANGES[self.vip]  # type: ignore[index]

    def zone_to_api(self) -> dict[str, Any]:
        """The Cloud DNS ``ManagedZone`` body."""
        return {
            "name": self.zone_name,
            "dnsName": "googleapis.com.",
            "description": f"sep-egress: Google APIs through {self.vip}.googleapis.com (Private Google Access)",
            "visibility": "private",
            "privateVisibilityConfig": {"networks": [{"networkUrl": network} for network in self.networks]},
        }

    def subnet_settings(self) -> list[dict[str, Any]]:
        """What the owner of each workload subnet must set (``Subnetwork`` body field)."""
        return [{"subnetwork": subnetwork, "privateIpGoogleAccess": True} for subnetwork in self.subnetworks]


def compile_private_access(plan: EgressPlan, options: PrivateAccessOptions) -> PrivateAccessSpec:
    """Compile the Private Google Access pieces; ``enabled`` is false when the plan does not use the storage host."""
    needed = any(rule.host == STORAGE_HOST for rule in plan.allow)
    vip = options.google_access_vip
    vip_name = f"{vip}.googleapis.com"
    warnings = [
        GcpWarning(
            code="gcp-pga-zone-scope",
            message=(
                "The private googleapis.com. zone resolves every *.googleapis.com name of these networks to "
                f"{vip_name} ({GOOGLE_ACCESS_RANGES[vip]}), not only storage: check that the Google APIs your "
                "workloads use are available there."
            ),
        ),
        GcpWarning(
            code="gcp-shared-bucket",
            message=(
                f"{STORAGE_HOST} serves every customer's buckets: Private Google Access reaches any bucket, not "
                "only the vendor's."
            ),
            hosts=(STORAGE_HOST,),
        ),
    ]
    if not needed:
        warnings = [
            GcpWarning(
                code="gcp-pga-unused",
                message=(
                    f"The plan has no {STORAGE_HOST} (storage phase {plan.storage!r}): Private Google Access is not "
                    "configured."
                ),
            )
        ]
    if needed and options.existing_zone is not None:
        warnings.append(
            GcpWarning(
                code="gcp-pga-existing-zone",
                message=(
                    f"The existing zone {options.existing_zone} is used, not created: its {vip_name}. A records and "
                    "its *.googleapis.com. CNAME are read and checked at deployment. Not checked (no invoke returns "
                    "it): that the zone is private, for googleapis.com., and visible to these networks."
                ),
            )
        )
    networks = tuple(sorted(options.networks))
    return PrivateAccessSpec(
        enabled=needed,
        zone_name=options.existing_zone or f"{options.name}-googleapis",
        creates_zone=options.existing_zone is None,
        networks=networks if needed else (),
        routes=tuple(
            RouteSpec(
                name=f"{options.name}-pga-{stable_hash(network, 32):08x}",
                network=network,
                priority=options.route_priority,
                vip=vip,
            )
            for network in networks
        )
        if needed
        else (),
        record_sets=(
            RecordSetSpec(f"{vip_name}.", "A", vip_addresses(vip)),
            RecordSetSpec("*.googleapis.com.", "CNAME", (f"{vip_name}.",)),
        )
        if needed
        else (),
        subnetworks=tuple(sorted(options.subnetworks)) if needed else (),
        warnings=tuple(warnings),
        vip=vip,
    )
