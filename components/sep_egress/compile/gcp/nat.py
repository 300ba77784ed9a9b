"""Plan -> Cloud NAT gateway (on a new or an existing Cloud Router): static addresses and NAT rules per declared
public destination.

Cloud NAT rules pick the source address by destination: a public destination an overlay declares (a partner's
proxy, an upstream firewall) sees only its rule's addresses, not the gateway's general pool. The addresses are
static, but they are not SEP-specific: every VM of every subnet range the gateway translates uses them, so an
allowlist of them admits all those VMs (``gcp-nat-shared-addresses``). Scope the gateway to the subnets and ranges
of the SEP machines. The plan's public IPv4 CIDR destinations become NAT rules: entries that declare a common range
share one rule. A rule's number (and so the names of its addresses) is pinned by ``rule_numbers`` or derived from
its destination ranges alone, so entries added or removed elsewhere, or added for a range already declared, leave
it as it is. NAT rules need ``MANUAL_ONLY`` addresses and endpoint-independent mapping off
(https://cloud.google.com/nat/docs/nat-rules-overview). With ``router`` the gateway is added to an existing Cloud
Router, as Cloud Foundation Fabric's net-cloudnat does with ``router_create = false``. The output is shaped like the
Compute API's ``Router`` (with ``nats`` and their ``rules``), ``RouterNat`` and ``Address`` request bodies.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...catalog.vendor.plan import EgressPlan
from .firewall import stable_hash
from .options import GcpSpecError, GcpWarning, NatOptions, NatSubnetwork, is_stand_in

MAX_RULE_NUMBER = 65000  # Compute API: "a positive value between 0 and 65000", unique within a NAT
# Destinations reached without public NAT (VPC, VPN, Interconnect, the host itself). Documentation ranges are not
# listed: they stand for public addresses in examples and tests.
NOT_NATTED = tuple(
    ipaddress.IPv4Network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16")
)

# Google-served destinations that VMs without external addresses reach through Private Google Access (the subnet's
# privateIpGoogleAccess), not through Cloud NAT: the Windows activation host kms.windows.googlecloud.com ("If you have
# Windows instances without external IP addresses, you must also enable Private Google Access ... to send traffic
# to the external IP address for kms.windows.googlecloud.com", Google's compute-create-route-windows-activation
# sample) and the Google Access VIPs. A NAT rule with its own static address for them would be dead weight.
GOOGLE_SERVED = tuple(
    ipaddress.IPv4Network(cidr) for cidr in ("35.190.247.13/32", "199.36.153.8/30", "199.36.153.4/30")
)


@dataclass(frozen=True, slots=True)
class AddressSpec:
    """A regional static external address reserved for the NAT gateway."""

    name: str
    region: str
    description: str
    network_tier: str

    @property
    def reference(self) -> str:
        """A partial URL the API accepts wherever an address is referred to (``natIps``, NAT rule actions)."""
        return f"regions/{self.region}/addresses/{self.name}"

    def to_api(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "addressType": "EXTERNAL",
            "networkTier": self.network_tier,
        }


@dataclass(frozen=True, slots=True)
class NatRuleSpec:
    """Translate traffic to ``ranges`` with ``addresses`` only; ``entry_ids`` are the plan entries declaring them."""

    rule_number: int
    entry_ids: tuple[str, ...]
    ranges: tuple[str, ...]
    addresses: tuple[AddressSpec, ...]

    @property
    def match(self) -> str:
        """The CEL condition Cloud NAT evaluates on each packet."""
        return " || ".join(f"inIpRange(destination.ip, '{cidr}')" for cidr in self.ranges)

    def to_api(self) -> dict[str, Any]:
        return {
            "ruleNumber": self.rule_number,
            "description": f"sep-egress: source addresses for the destinations of {', '.join(self.entry_ids)}",
            "match": self.match,
            "action": {"sourceNatActiveIps": [address.reference for address in self.addresses]},
        }


@dataclass(frozen=True, slots=True)
class NatGatewaySpec:
    """The Cloud Router and its NAT configuration."""

    router_name: str
    nat_name: str
    region: str
    network: str
    subnetworks: tuple[NatSubnetwork, ...]
    addresses: tuple[AddressSpec, ...]
    rules: tuple[NatRuleSpec, ...]
    log_filter: str
    min_ports_per_vm: int
    skipped: tuple[str, ...]
    warnings: tuple[GcpWarning, ...]
    creates_router: bool = True

    @property
    def all_addresses(self) -> tuple[AddressSpec, ...]:
        return self.addresses + tuple(address for rule in self.rules for address in rule.addresses)

    def nat_to_api(self) -> dict[str, Any]:
        """The ``RouterNat`` body."""
        body: dict[str, Any] = {
            "name": self.nat_name,
            "sourceSubnetworkIpRangesToNat": "LIST_OF_SUBNETWORKS",
            "subnetworks": [subnetwork.to_api() for subnetwork in self.subnetworks],
            "natIpAllocateOption": "MANUAL_ONLY",
            "natIps": [address.reference for address in self.addresses],
            # NAT rules require endpoint-independent mapping off; it also keeps one VM from holding ports to
            # every destination.
            "enableEndpointIndependentMapping": False,
            "enableDynamicPortAllocation": False,
            "minPortsPerVm": self.min_ports_per_vm,
            "logConfig": {"enable": True, "filter": self.log_filter},
        }
        if self.rules:
            body["rules"] = [rule.to_api() for rule in self.rules]
        return body

    def to_api(self) -> dict[str, Any]:
        """The ``Router`` body, its NAT inline as the API stores it (region goes in the request URL). With an
        existing router only the NAT is added (``nat_to_api``); the router's other NATs and BGP are not touched."""
        return {"name": self.router_name, "network": self.network, "nats": [self.nat_to_api()]}


def _shown(name: str) -> str:
    """A subnetwork as a message names it: a stand-in for a ``pulumi.Output`` is not a name to print."""
    return "a subnetwork given as a pulumi.Output" if is_stand_in(name) else name


def compile_nat_gateway(plan: EgressPlan, options: NatOptions) -> NatGatewaySpec:
    """Compile the gateway. Overlapping destinations and clashing rule numbers are refused with the entries named."""
    general = _general_addresses(options)
    ids_by_range, skipped, google = _public_destinations(plan)
    groups = nat_groups(ids_by_range)
    numbers, collisions = _rule_numbers(groups, options)
    rules = _nat_rules(groups, numbers, options)
    check_nat_rules(rules)
    warnings = _gateway_warnings(options) + _destination_warnings(skipped, google, collisions)
    return NatGatewaySpec(
        router_name=options.router or f"{options.name}-router",
        nat_name=f"{options.name}-nat",
        region=options.region,
        network=options.network,
        subnetworks=options.subnetworks,
        addresses=general,
        rules=tuple(rules),
        log_filter=options.log_filter,
        min_ports_per_vm=options.min_ports_per_vm,
        skipped=tuple(skipped),
        warnings=tuple(warnings),
        creates_router=options.router is None,
    )


def _general_addresses(options: NatOptions) -> tuple[AddressSpec, ...]:
    """The gateway's general pool: ``address_count`` static addresses for every other destination."""
    return tuple(
        AddressSpec(
            name=f"{options.name}-nat-{index}",
            region=options.region,
            description="sep-egress: Cloud NAT source address of the listed subnet ranges (shared by all their VMs)",
            network_tier=options.network_tier,
        )
        for index in range(1, options.address_count + 1)
    )


def _public_destinations(plan: EgressPlan) -> tuple[dict[str, set[str]], list[str], set[str]]:
    """Which declared ranges get a NAT rule (and the entries declaring each), which are skipped, which Google serves."""
    ids_by_range: dict[str, set[str]] = {}
    skipped: set[str] = set()
    google: set[str] = set()
    for cidr_rule in plan.cidrs:
        network = ipaddress.ip_network(cidr_rule.cidr)
        if not isinstance(network, ipaddress.IPv4Network) or any(network.subnet_of(n) for n in NOT_NATTED):
            skipped.add(cidr_rule.cidr)
            continue
        if any(network.subnet_of(n) for n in GOOGLE_SERVED):
            google.add(cidr_rule.cidr)
            continue
        ids_by_range.setdefault(cidr_rule.cidr, set()).update(cidr_rule.ids)
    return ids_by_range, sorted(skipped, key=_range_order), google


def _range_order(cidr: str) -> tuple[int, bytes, int]:
    network = ipaddress.ip_network(cidr)
    return (network.version, network.network_address.packed, network.prefixlen)


def nat_groups(ids_by_range: dict[str, set[str]]) -> dict[tuple[str, ...], tuple[str, ...]]:
    """One NAT rule per set of entries linked by a common declared range: collapsed ranges -> sorted entry ids.

    Entries that declare the same range share that destination, so they share its rule (and its addresses); an
    entry that declares several ranges keeps them in one rule. A rule is keyed by its ranges, never by which or how
    many entries declare them: an entry added for a range already declared leaves the rule as it was.
    """
    parent: dict[str, str] = {}

    def root(entry_id: str) -> str:
        while parent.setdefault(entry_id, entry_id) != entry_id:
            parent[entry_id] = parent[parent[entry_id]]
            entry_id = parent[entry_id]
        return entry_id

    for range_ids in ids_by_range.values():
        first, *others = sorted(range_ids)
        for other in others:
            parent[root(other)] = root(first)
    members: dict[str, tuple[set[str], list[str]]] = {}
    for cidr, range_ids in ids_by_range.items():
        ids, cidrs = members.setdefault(root(min(range_ids)), (set(), []))
        ids.update(range_ids)
        cidrs.append(cidr)
    groups: dict[tuple[str, ...], tuple[str, ...]] = {}
    for ids, cidrs in members.values():
        collapsed = ipaddress.collapse_addresses(ipaddress.IPv4Network(cidr) for cidr in cidrs)
        ranges = tuple(str(network) for network in collapsed)
        if ranges in groups:  # the same addresses declared in different pieces: overlapping rules
            raise GcpSpecError(
                "plan.cidrs",
                f"{', '.join(ranges)} is declared by {', '.join(sorted(ids))} and, split differently, by "
                f"{', '.join(groups[ranges])}: Cloud NAT rules need non-overlapping destination ranges; declare each "
                "destination once",
            )
        groups[ranges] = tuple(sorted(ids))
    return groups


def derived_rule_number(ranges: Sequence[str]) -> int:
    """The number a rule gets unless pinned: a hash of its destination ranges, in 1..65000."""
    return 1 + stable_hash(",".join(ranges)) % MAX_RULE_NUMBER


def _rule_numbers(
    groups: dict[tuple[str, ...], tuple[str, ...]], options: NatOptions
) -> tuple[dict[tuple[str, ...], int], list[str]]:
    """Pinned numbers first, then the number derived from each rule's ranges (moved to the next free number on a
    collision, which is reported). Keys are the rules' ranges; also returns the collisions, described."""
    pinned = {pin.entry_id: pin.rule_number for pin in options.rule_numbers}
    known_ids = {entry_id for ids in groups.values() for entry_id in ids}
    for entry_id, number in pinned.items():
        if entry_id not in known_ids:
            raise GcpSpecError(
                f"options.rule_numbers.{entry_id}", "no public IPv4 destination of the plan comes from this entry"
            )
        if not 0 <= number <= MAX_RULE_NUMBER:
            raise GcpSpecError(f"options.rule_numbers.{entry_id}", f"{number} is out of 0..{MAX_RULE_NUMBER}")
    numbers: dict[tuple[str, ...], int] = {}
    used: dict[int, tuple[str, ...]] = {}
    for ranges, ids in sorted(groups.items(), key=lambda item: (item[1], item[0])):
        chosen = {pinned[entry_id] for entry_id in ids if entry_id in pinned}
        if len(chosen) > 1:
            raise GcpSpecError(
                f"options.rule_numbers.{ids[0]}",
                f"entries {', '.join(ids)} declare common ranges, so they share one NAT rule, but are pinned to "
                f"different numbers {sorted(chosen)}",
            )
        if chosen:
            number = chosen.pop()
            if number in used:
                raise GcpSpecError(
                    f"options.rule_numbers.{ids[0]}",
                    f"rule number {number} is already used by {', '.join(used[number])}",
                )
            numbers[ranges] = number
            used[number] = ids
    collisions = []
    for ranges in sorted((r for r in groups if r not in numbers), key=lambda r: (derived_rule_number(r), r)):
        derived = number = derived_rule_number(ranges)
        while number in used:
            number = 1 + number % MAX_RULE_NUMBER
        if number != derived:
            collisions.append(
                f"{', '.join(groups[ranges])} ({', '.join(ranges)}) -> {number} instead of {derived} "
                f"(held by {', '.join(used[derived])})"
            )
        numbers[ranges] = number
        used[number] = groups[ranges]
    return numbers, collisions


def _nat_rules(
    groups: dict[tuple[str, ...], tuple[str, ...]], numbers: dict[tuple[str, ...], int], options: NatOptions
) -> list[NatRuleSpec]:
    """One NAT rule per group of ranges, in rule number order, each with its own ``rule_address_count`` addresses."""
    rules = []
    for ranges, ids in sorted(groups.items(), key=lambda item: numbers[item[0]]):
        number = numbers[ranges]
        rules.append(
            NatRuleSpec(
                rule_number=number,
                entry_ids=ids,
                ranges=ranges,
                addresses=tuple(
                    AddressSpec(
                        name=f"{options.name}-rule-{number}-{index}",
                        region=options.region,
                        # Constant per rule: an address cannot be updated (every field is immutable), so a
                        # description naming the entries would replace it, and change the egress IP, whenever an
                        # entry joins the rule. The NAT rule's own description names them.
                        description=(
                            f"sep-egress: Cloud NAT source address of NAT rule {number} (any VM of the translated "
                            "subnet ranges)"
                        ),
                        network_tier=options.network_tier,
                    )
                    for index in range(1, options.rule_address_count + 1)
                ),
            )
        )
    return rules


def check_nat_rules(rules: Sequence[NatRuleSpec]) -> None:
    """Rule numbers unique in 0..65000 and destination ranges that overlap no other rule's."""
    seen: dict[int, tuple[str, ...]] = {}
    for rule in rules:
        if not 0 <= rule.rule_number <= MAX_RULE_NUMBER:
            raise GcpSpecError("nat.rules", f"rule number {rule.rule_number} is out of 0..{MAX_RULE_NUMBER}")
        if rule.rule_number in seen:
            raise GcpSpecError("nat.rules", f"rule number {rule.rule_number} is used twice")
        seen[rule.rule_number] = rule.entry_ids
        if not rule.ranges:
            raise GcpSpecError("nat.rules", f"rule {rule.rule_number} has no destination range")
    spans = sorted(
        (int(network.network_address), int(network.broadcast_address), str(network), rule.entry_ids)
        for rule in rules
        for network in (ipaddress.ip_network(cidr) for cidr in rule.ranges)
    )
    for (_, end, cidr, ids), (start, _, next_cidr, next_ids) in itertools.pairwise(spans):
        if start <= end:
            raise GcpSpecError(
                "plan.cidrs",
                f"{next_cidr} ({', '.join(next_ids)}) overlaps {cidr} ({', '.join(ids)}): Cloud NAT rules need "
                "non-overlapping destination ranges; declare each destination once",
            )


def _gateway_warnings(options: NatOptions) -> list[GcpWarning]:
    """What the gateway itself implies: addresses shared by every VM it translates, a router this stack does not own."""
    warnings = [
        GcpWarning(
            code="gcp-nat-shared-addresses",
            message=(
                "Cloud NAT cannot select VMs by tag or service account: every VM of the translated subnet ranges "
                f"({', '.join(_shown(subnetwork.name) for subnetwork in options.subnetworks)}) uses these "
                "addresses, SEP "
                "machines or not. An upstream allowlist of them admits all those VMs; list only the subnets and "
                "ranges of the SEP machines."
            ),
        )
    ]
    if options.router is not None:
        warnings.append(
            GcpWarning(
                code="gcp-nat-existing-router",
                message=(
                    f"The NAT is added to the existing Cloud Router {options.router!r}, which this stack does not "
                    "manage. A gateway of this network and region set to all subnetworks "
                    "(ALL_SUBNETWORKS_ALL_IP_RANGES or ALL_SUBNETWORKS_ALL_PRIMARY_IP_RANGES) admits no other NAT "
                    "there (Compute API, RouterNat.sourceSubnetworkIpRangesToNat): narrow it to a list of "
                    "subnetworks without these before deploying, and list these subnets in no other gateway."
                ),
            )
        )
    return warnings


def _destination_warnings(skipped: Sequence[str], google: set[str], collisions: Sequence[str]) -> list[GcpWarning]:
    """Declared destinations without a NAT rule (private, IPv6, Google-served), and rules moved off their number."""
    warnings = []
    if skipped:
        warnings.append(
            GcpWarning(
                code="gcp-nat-skipped-ranges",
                message=(
                    "No NAT rule for these declared ranges: Cloud NAT rules match public IPv4 destinations only; "
                    f"private and IPv6 ranges are reached without public NAT: {', '.join(skipped)}."
                ),
            )
        )
    if google:
        warnings.append(
            GcpWarning(
                code="gcp-nat-google-served",
                message=(
                    f"No NAT rule for {', '.join(sorted(google, key=ipaddress.ip_network))}: Google serves these "
                    "addresses (the Windows activation host, the Google Access VIPs) to VMs without external "
                    "addresses through Private Google Access. Turn on privateIpGoogleAccess on the workloads' "
                    "subnets, and keep a route to them through the default internet gateway."
                ),
            )
        )
    if collisions:
        warnings.append(
            GcpWarning(
                code="gcp-nat-rule-number-collision",
                message=(
                    "The number derived from these NAT rules' destination ranges was taken, so they were given the "
                    "next free one; adding or removing the rule that holds it would renumber them (and replace "
                    "their addresses). Pin them to their current numbers with options.rule_numbers: "
                    + "; ".join(collisions)
                    + "."
                ),
            )
        )
    return warnings
