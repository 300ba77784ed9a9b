"""GCP compiler, the last step: one ``EgressPlan`` -> every GCP control it asks for, and how a policy changes.

``compile_gcp`` checks that the firewall and Private Google Access options agree, then puts the firewall policy,
the Cloud NAT gateway and Private Google Access together in a ``GcpEgressSpec``; ``diff_rules`` says which rules
of a policy a new compilation creates, deletes and updates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...catalog.vendor.plan import EgressPlan
from .firewall import FirewallPolicySpec, compile_firewall_policy
from .nat import NatGatewaySpec, compile_nat_gateway
from .options import FirewallOptions, GcpSpecError, GcpWarning, NatOptions, PrivateAccessOptions, RoleTarget
from .private_access import PrivateAccessSpec, compile_private_access


@dataclass(frozen=True, slots=True)
class GcpEgressSpec:
    """Everything GCP needs for one plan; ``nat`` and ``private_access`` are None when not asked for."""

    firewall: FirewallPolicySpec
    nat: NatGatewaySpec | None
    private_access: PrivateAccessSpec | None

    @property
    def warnings(self) -> tuple[GcpWarning, ...]:
        seen: dict[str, GcpWarning] = {}
        parts = [self.firewall.warnings]
        if self.nat is not None:
            parts.append(self.nat.warnings)
        if self.private_access is not None:
            parts.append(self.private_access.warnings)
        for group in parts:
            for warning in group:
                seen.setdefault(warning.code, warning)
        return tuple(seen.values())

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "firewallPolicy" if self.firewall.creates_policy else "addedRules": self.firewall.to_api(),
            "associations": [association.to_api() for association in self.firewall.associations],
            "networkSettings": self.firewall.network_settings(),
            "tier": self.firewall.tier,
            "warnings": [warning.to_dict() for warning in self.warnings],
        }
        if self.nat is not None:
            result["router" if self.nat.creates_router else "routerNat"] = (
                self.nat.to_api() if self.nat.creates_router else self.nat.nat_to_api()
            )
            result["addresses"] = [address.to_api() for address in self.nat.all_addresses]
        if self.private_access is not None and self.private_access.enabled:
            result["routes"] = [route.to_api() for route in self.private_access.routes]
            result["managedZone"] = self.private_access.zone_to_api()
            result["recordSets"] = [record.to_api() for record in self.private_access.record_sets]
            result["subnetSettings"] = self.private_access.subnet_settings()
        return result

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, two-space indent, trailing newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"


def compile_gcp(
    plan: EgressPlan,
    targets: Mapping[str, RoleTarget],
    firewall: FirewallOptions,
    nat: NatOptions | None = None,
    private_access: PrivateAccessOptions | None = None,
) -> GcpEgressSpec:
    """Compile every GCP control for ``plan``. Private Google Access, when configured, also turns on the firewall's
    rule to the Google Access range (and the other way round: the rule without the route and zone would be half a
    setup); both must name the same VIP (``google_access_vip``)."""
    if (private_access is not None) != firewall.private_google_access:
        raise GcpSpecError(
            "options.private_google_access",
            "configure Private Google Access (networks for the route and zone) exactly when the firewall option "
            "private_google_access is on",
        )
    if private_access is not None and private_access.google_access_vip != firewall.google_access_vip:
        raise GcpSpecError(
            "options.google_access_vip",
            f"the firewall allows {firewall.google_access_vip}.googleapis.com but Private Google Access routes and "
            f"resolves {private_access.google_access_vip}.googleapis.com; choose one",
        )
    return GcpEgressSpec(
        firewall=compile_firewall_policy(plan, targets, firewall),
        nat=compile_nat_gateway(plan, nat) if nat is not None else None,
        private_access=compile_private_access(plan, private_access) if private_access is not None else None,
    )


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """How a policy's rules change between two compilations, rules identified by priority."""

    created: tuple[int, ...]
    deleted: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: int

    @property
    def touched(self) -> int:
        return len(self.created) + len(self.deleted) + len(self.updated)


def diff_rules(before: FirewallPolicySpec, after: FirewallPolicySpec) -> PolicyChange:
    """Rules created, deleted and updated in place. A priority is a rule's identity, so nothing is "moved": a
    rule whose priority changed shows as one deletion and one creation."""
    old = {rule.priority: rule.to_api() for rule in before.rules}
    new = {rule.priority: rule.to_api() for rule in after.rules}
    return PolicyChange(
        created=tuple(sorted(set(new) - set(old))),
        deleted=tuple(sorted(set(old) - set(new))),
        updated=tuple(sorted(priority for priority in set(old) & set(new) if old[priority] != new[priority])),
        unchanged=sum(1 for priority in set(old) & set(new) if old[priority] == new[priority]),
    )
