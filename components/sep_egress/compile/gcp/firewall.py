"""Plan -> Cloud NGFW firewall policy: FQDN egress allow rules, CIDR rules, the PGA rule and the default deny.

The output is shaped like the Compute API's ``FirewallPolicy`` and ``FirewallPolicyRule`` request bodies.

Rule identity and priorities
----------------------------
A policy's rules are keyed by priority, so a priority must mean the same rule from one run to the next. Each rule's
priority is computed from its own identity alone, never from a position in a list:

- the *target group*: the set of machine kinds that share identical targets, as a bit mask of ``MACHINE_KINDS``
  (1..7); its rules carry the union of the hosts of every role those machines play (``options``);
- the *port key*: the port itself for a single port, or 65536 + a 16-bit hash of a multi-port set;
- the *bucket*: FQDNs are split by the leading bits of ``sha256(name)``. A bucket holding more than 100 names is
  split on its next bit, so a bucket is a hash prefix and its number is the prefix's heap index
  (``1 << depth | bits``).

Adding or removing a name touches the single bucket the name hashes to: one rule updated, no renumbering. Only when
that bucket crosses 100 names does it split: the bucket's rule is deleted and its two halves are created (two
creations, one deletion), or the halves merge back. Buckets are ~70% full on average (binary splits), so a large
list needs about 1.4x the minimum number of rules; ``bench/bench_gcp.py`` measures it.

A created policy holds only these rules, spread over the whole priority range; every change is one request that
replaces the whole list, so a multi-port set whose 16-bit hash collides is probed to the next free key. In an
existing policy (``existing_policy``) they go to a reserved band of ``PRIORITY_BAND_SIZE`` priorities
(``PriorityLayout.band``), one rule resource each: the same identities packed tighter, every port set on a 10-bit
port key that is its hash or the number pinned in ``options.port_keys``. A rule's priority is immutable (the API
addresses a rule by its priority), so the band never probes: two port sets on one key are refused, naming both and
the pin to add, and no change to other rules can move a rule. In both layouts every allow rule comes before every
deny rule, so a machine matched by the targets of several groups (a manager that also runs the client) gets the
union of their allows.
"""

from __future__ import annotations

import bisect
import hashlib
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ...catalog.roles import Role
from ...catalog.vendor.plan import EgressPlan
from .options import (
    BAND_PORT_KEY_BITS,
    GOOGLE_ACCESS_RANGES,
    KIND_ROLES,
    MACHINE_KINDS,
    PRIORITY_BAND_SIZE,
    FirewallOptions,
    GcpSpecError,
    GcpWarning,
    MachineKind,
    ProxyNames,
    RoleTarget,
    is_stand_in,
    machine_targets,
)

STORAGE_HOST = "storage.googleapis.com"
PRIVATE_GOOGLE_ACCESS_RANGE = GOOGLE_ACCESS_RANGES["private"]
RESTRICTED_GOOGLE_ACCESS_RANGE = GOOGLE_ACCESS_RANGES["restricted"]
FQDNS_PER_RULE = 100  # Compute API: "Maximum number of destination fqdn allowed is 100."
RANGES_PER_RULE = 5000  # Compute API: "Maximum number of destination CIDR IP ranges allowed is 5000."
MAX_PRIORITY = 2147483547  # 2147483548..2147483647 are the policy's own default rules
CIDR_MAX_DEPTH = 3
# A rule's ruleName: "Name of the resource... must be 1-63 characters long and comply with RFC1035" (the Compute
# API's resource names); every name the compiler forms is checked against it (``_check_rules``).
RULE_NAME = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")
_KIND_BIT = {kind: 1 << index for index, kind in enumerate(MACHINE_KINDS)}
# Names a public resolver may never answer: a Cloud NGFW FQDN object is resolved by Cloud DNS in the targets' VPC
# network (response policies, private zones, internal and public names; "FQDN objects support Cloud DNS response
# policies, VPC network-scoped managed private zones, Compute Engine internal DNS names, and public DNS zones",
# https://cloud.google.com/firewall/docs/fqdn-objects-overview), so a name served only by an on-premises server
# behind a forwarding zone may never resolve there. Suffixes of RFC 6762 (.local, and the names of its appendix
# G), RFC 8375 (home.arpa), ICANN's .internal, and labels that usually mark an internal zone.
INTERNAL_SUFFIXES = (
    ".local",
    ".localdomain",
    ".home.arpa",
    ".internal",
    ".intranet",
    ".private",
    ".corp",
    ".home",
    ".lan",
)
INTERNAL_LABELS = frozenset({"corp", "internal", "intranet", "lan", "local"})


@dataclass(frozen=True, slots=True)
class PriorityLayout:
    """Where each rule identity lands: the whole priority range (a created policy) or a reserved band.

    ``port_bits`` None keeps single ports as their own key (65536 + a 16-bit hash for several ports); a number
    hashes every port set into that many bits. ``fqdn_depth`` bounds the FQDN hash buckets (heap index < 2**(d+1)).
    """

    base: int
    port_bits: int | None
    fqdn_depth: int
    #: In a band, the policy-wide key of every port set (``with_keys``): one key per set for every group and kind.
    keys: Mapping[tuple[int, ...], int] | None = None

    def with_keys(self, keys: Mapping[tuple[int, ...], int] | None) -> PriorityLayout:
        return PriorityLayout(self.base, self.port_bits, self.fqdn_depth, keys)

    @classmethod
    def created(cls) -> PriorityLayout:
        return cls(base=0, port_bits=None, fqdn_depth=7)

    @classmethod
    def band(cls, start: int) -> PriorityLayout:
        return cls(base=start, port_bits=BAND_PORT_KEY_BITS, fqdn_depth=7)

    @property
    def _port_span(self) -> int:
        return 1 << 17 if self.port_bits is None else 1 << self.port_bits

    @property
    def _regions(self) -> tuple[int, int, int]:
        """Offsets of the CIDR, PGA and deny regions (FQDN rules start at 0)."""
        if self.port_bits is None:
            return (1 << 30, (1 << 30) + (1 << 28), (1 << 30) + (1 << 29))
        return (1 << 21, (1 << 21) + (1 << 20), (1 << 21) + (1 << 20) + (1 << 19))

    @property
    def span(self) -> tuple[int, int]:
        """First and last priority any rule of this layout can take."""
        if self.port_bits is None:
            return (0, (1 << 30) + (1 << 29) + 64)
        return (self.base, self.base + PRIORITY_BAND_SIZE - 1)

    def fqdn(self, mask: int, key: int, heap: int) -> int:
        return self.base + (((mask * self._port_span + key) << 8) | heap)

    def cidr(self, mask: int, family: int, proto_bit: int, key: int, heap: int) -> int:
        index = ((((mask * 2 + family) * 2 + proto_bit) * self._port_span + key) << 4) | heap
        return self.base + self._regions[0] + index

    def pga(self, mask: int) -> int:
        return self.base + self._regions[1] + mask

    def deny(self, mask: int, family: int) -> int:
        return self.base + self._regions[2] + mask * 2 + family

    def port_keys(
        self, port_sets: Iterable[tuple[int, ...]], pins: Mapping[tuple[int, ...], int] | None = None
    ) -> dict[tuple[int, ...], int]:
        if self.port_bits is None:
            return port_keys(port_sets)
        if self.keys is not None:
            return {ports: self.keys[ports] for ports in port_sets}
        return band_port_keys(port_sets, self.port_bits, pins or {})


# Names served from shared, CDN-style address pools: a name may resolve to more than the 32 addresses an FQDN
# object programs, so connections can be cut while DNS rotates.
CDN_BACKED_SUFFIXES = (
    ".s3.amazonaws.com",
    ".amazonaws.com",
    "storage.googleapis.com",
    ".cloudfront.net",
    ".akamaiedge.net",
    ".azureedge.net",
    ".fastly.net",
)

RuleKind = Literal["fqdn", "cidr", "pga", "deny"]


@dataclass(frozen=True, slots=True)
class Layer4:
    """An IP protocol and its ports (strings, as the API takes them); no ports means every port."""

    protocol: str
    ports: tuple[str, ...] = ()

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ipProtocol": self.protocol}
        if self.ports:
            body["ports"] = list(self.ports)
        return body


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """Machine kinds whose machines are the same targets; ``mask`` is the stable bit set of its kinds, ``roles``
    every plan role those machines play (the union their rules carry)."""

    mask: int
    kinds: tuple[MachineKind, ...]
    roles: tuple[Role, ...]
    target: RoleTarget

    @property
    def slug(self) -> str:
        return f"m{self.mask:02d}"


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """One egress rule, with the identity its priority was derived from."""

    priority: int
    kind: RuleKind
    action: Literal["allow", "deny"]
    rule_name: str
    description: str
    roles: tuple[Role, ...]
    target: RoleTarget
    layer4: tuple[Layer4, ...]
    dest_fqdns: tuple[str, ...] = ()
    dest_ip_ranges: tuple[str, ...] = ()
    target_resources: tuple[str, ...] = ()
    enable_logging: bool = True
    #: Names the rule had in earlier releases (not sent to the API): the component keeps them as aliases.
    former_names: tuple[str, ...] = ()

    def to_api(self) -> dict[str, Any]:
        """The ``FirewallPolicyRule`` request body."""
        match: dict[str, Any] = {"layer4Configs": [item.to_api() for item in self.layer4]}
        if self.dest_fqdns:
            match["destFqdns"] = list(self.dest_fqdns)
        if self.dest_ip_ranges:
            match["destIpRanges"] = list(self.dest_ip_ranges)
        body: dict[str, Any] = {
            "priority": self.priority,
            "ruleName": self.rule_name,
            "description": self.description,
            "direction": "EGRESS",
            "action": self.action,
            "enableLogging": self.enable_logging,
            "match": match,
        }
        if self.target.secure_tags:
            body["targetSecureTags"] = [{"name": value} for value in self.target.secure_tags]
        else:
            body["targetServiceAccounts"] = list(self.target.service_accounts)
        if self.target_resources:
            body["targetResources"] = list(self.target_resources)
        return body


@dataclass(frozen=True, slots=True)
class Association:
    """A policy's attachment to a network (network policies) or to its folder/organization (hierarchical)."""

    name: str
    attachment_target: str

    def to_api(self) -> dict[str, Any]:
        return {"name": self.name, "attachmentTarget": self.attachment_target}


@dataclass(frozen=True, slots=True)
class FirewallPolicySpec:
    """The compiled policy: rules in priority order, associations, and what the networks must be set to."""

    name: str
    scope: str
    region: str | None
    parent: str | None
    description: str
    rules: tuple[FirewallRule, ...]
    associations: tuple[Association, ...]
    enforcement_order: str | None
    groups: tuple[TargetGroup, ...]
    pga_hosts: tuple[str, ...]
    warnings: tuple[GcpWarning, ...]
    project: str | None = None
    existing_policy: str | None = None
    band: tuple[int, int] | None = None
    pga_range: str = PRIVATE_GOOGLE_ACCESS_RANGE
    #: Networks whose enforcement order the component reads at deployment (the default deny relies on it).
    checked_networks: tuple[str, ...] = ()

    @property
    def tier(self) -> str:
        """``standard`` when a rule uses FQDN objects (Cloud NGFW Standard), ``essentials`` otherwise."""
        return "standard" if any(rule.dest_fqdns for rule in self.rules) else "essentials"

    @property
    def creates_policy(self) -> bool:
        """False when the rules are added to an existing policy (no policy, no association)."""
        return self.existing_policy is None

    def to_api(self) -> dict[str, Any]:
        """The ``FirewallPolicy`` request body (hierarchical policies are named by ``shortName``); for an existing
        policy, the body of the rules added to it (each rule is also a ``FirewallPolicyRule`` body of its own)."""
        body: dict[str, Any] = {"description": self.description, "rules": [rule.to_api() for rule in self.rules]}
        if self.parent is not None:
            body["shortName"] = self.name
        else:
            body["name"] = self.name
        return body

    def network_settings(self) -> dict[str, Any]:
        """What each associated VPC network must set (``Network`` body fields); empty for hierarchical policies."""
        if self.enforcement_order is None:
            return {}
        return {"networkFirewallPolicyEnforcementOrder": self.enforcement_order}

    def rule(self, priority: int) -> FirewallRule:
        for rule in self.rules:
            if rule.priority == priority:
                return rule
        raise KeyError(priority)


def stable_hash(text: str, bits: int = 64) -> int:
    """A hash that is the same in every process and on every machine (``hash()`` is salted)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> (64 - bits)


def bucketize(items: Iterable[str], limit: int, max_depth: int) -> list[tuple[int, tuple[str, ...]]]:
    """Split ``items`` into hash-prefix buckets of at most ``limit``; returns ``(heap index, sorted items)``.

    A bucket's content depends only on the items whose hash shares its prefix, so one added item changes one bucket
    (or splits it when it overflows).
    """
    hashed = sorted((stable_hash(item), item) for item in set(items))
    keys = [value for value, _ in hashed]
    buckets: list[tuple[int, tuple[str, ...]]] = []

    def split(lo: int, hi: int, depth: int, bits: int) -> None:
        if hi - lo <= limit:
            if hi > lo:
                buckets.append(((1 << depth) | bits, tuple(sorted(item for _, item in hashed[lo:hi]))))
            return
        if depth == max_depth:
            raise OverflowError(depth)
        boundary = ((bits << 1) | 1) << (64 - depth - 1)
        mid = bisect.bisect_left(keys, boundary, lo, hi)
        split(lo, mid, depth + 1, bits << 1)
        split(mid, hi, depth + 1, (bits << 1) | 1)

    split(0, len(hashed), 0, 0)
    return sorted(buckets)


def port_keys(port_sets: Iterable[tuple[int, ...]], bits: int | None = None) -> dict[tuple[int, ...], int]:
    """A stable number per port set: the port itself, or 65536 + a 16-bit hash for several ports; with ``bits``,
    every set hashed into that many bits.

    Two hashed sets whose hashes collide are told apart by probing in sorted order; the later one moves by one.
    """
    assigned: dict[tuple[int, ...], int] = {}
    used: set[int] = set()
    hashed: list[tuple[int, ...]] = []
    width = 16 if bits is None else bits
    offset = 65536 if bits is None else 0
    for ports in sorted(set(port_sets)):
        if len(ports) == 1 and bits is None:
            assigned[ports] = ports[0]
        else:
            hashed.append(ports)
    if len(hashed) > 1 << width:
        raise GcpSpecError(
            "plan.allow", f"{len(hashed)} different port sets for one target group; at most {1 << width}"
        )
    for ports in sorted(hashed, key=lambda item: (stable_hash(",".join(map(str, item)), width), item)):
        key = stable_hash(",".join(map(str, ports)), width)
        while key in used:
            key = (key + 1) % (1 << width)
        used.add(key)
        assigned[ports] = offset + key
    return assigned


def band_port_keys(
    port_sets: Iterable[tuple[int, ...]], bits: int, pins: Mapping[tuple[int, ...], int]
) -> dict[tuple[int, ...], int]:
    """The port key of every set in a band: its pin, else its hash in ``bits`` bits; never probed.

    Each key depends on its own port set and pin alone, so no added or removed port set moves another's rules.
    Two sets on one key are refused with the pin that separates them: the set a change adds is the one to pin.
    """
    wanted = {
        ports: pins[ports] if ports in pins else stable_hash(",".join(map(str, ports)), bits)
        for ports in set(port_sets)
    }
    assigned: dict[tuple[int, ...], int] = {}
    holder: dict[int, tuple[int, ...]] = {}
    for ports, key in sorted(wanted.items()):
        if key in holder:
            other = holder[key]
            taken = {*wanted.values(), *pins.values()}
            free = next(
                candidate % (1 << bits)
                for candidate in range(key + 1, key + (1 << bits) + 1)
                if candidate % (1 << bits) not in taken
            )
            first, second = _ports_label(other), _ports_label(ports)
            raise GcpSpecError(
                "options.port_keys",
                f"port sets {first} and {second} both take port key {key} of the reserved band; a rule's "
                "priority cannot change (the API addresses a rule by its priority), so neither is moved: pin the "
                f'port set this change adds to a free key: options.port_keys: {{"{second}": {free}}} (or '
                f'options.port_keys: {{"{first}": {free}}} if {first} is the new one)',
            )
        holder[key] = ports
        assigned[ports] = key
    return assigned


def _ports_label(ports: Sequence[int]) -> str:
    return ",".join(map(str, ports))


def _port_strings(ports: Sequence[int]) -> tuple[str, ...]:
    """Ports as the API takes them, consecutive runs folded into ``a-b`` ranges."""
    result: list[str] = []
    ordered = sorted(set(ports))
    start = previous = ordered[0]
    for port in [*ordered[1:], None]:
        if port is not None and port == previous + 1:
            previous = port
            continue
        result.append(str(start) if start == previous else f"{start}-{previous}")
        if port is not None:
            start = previous = port
    return tuple(result)


def _port_slug(ports: tuple[int, ...], key: int) -> str:
    return f"p{ports[0]}" if len(ports) == 1 else f"k{key}"


def target_groups(
    plan: EgressPlan, targets: Mapping[str, RoleTarget], options: FirewallOptions
) -> tuple[TargetGroup, ...]:
    """Machine kinds grouped by identical targets, each with every plan role its machines play.

    ``targets`` is keyed by machine kind or by role (``parse_targets``); ``machine_targets`` refuses what a real
    machine could not carry.
    """
    by_kind = machine_targets(plan.roles, targets, options.skip_roles)
    by_target: dict[tuple[tuple[str, ...], tuple[str, ...]], list[MachineKind]] = {}
    for kind in MACHINE_KINDS:  # a fixed order, whatever order the targets were given in
        if kind in by_kind:
            by_target.setdefault(by_kind[kind].machines, []).append(kind)
    groups = []
    for (tags, accounts), kinds in by_target.items():
        wanted = {role for kind in kinds for role in kind_roles(kind, by_kind[kind])}
        # Roles in the fixed order of the kinds (agent, agent-cloud, sepm, sepm-cloud, console), those of the plan.
        order = [role for kind in MACHINE_KINDS for role in KIND_ROLES[kind]]
        roles = tuple(role for role in order if role in wanted and role in plan.roles)
        mask = sum(_KIND_BIT[kind] for kind in kinds)
        target = RoleTarget(secure_tags=tags, service_accounts=accounts)
        groups.append(TargetGroup(mask=mask, kinds=tuple(kinds), roles=roles, target=target))
    return tuple(sorted(groups, key=lambda group: group.mask))


def kind_roles(kind: MachineKind, target: RoleTarget) -> tuple[Role, ...]:
    """The roles a machine of ``kind`` plays: its kind's, and the agent's when its target says it runs the agent."""
    return KIND_ROLES[kind] + (KIND_ROLES["clients"] if kind != "clients" and target.runs_agent else ())


def compile_firewall_policy(
    plan: EgressPlan, targets: Mapping[str, RoleTarget], options: FirewallOptions
) -> FirewallPolicySpec:
    """Compile the policy. Raises ``GcpSpecError`` naming the argument for anything Cloud NGFW cannot express."""
    groups = target_groups(plan, targets, options)
    layout = PriorityLayout.created() if options.band is None else PriorityLayout.band(options.band[0])
    warnings = _suffix_warnings(plan, options)
    layout = layout.with_keys(_band_keys(plan, groups, options, layout))
    rules: list[FirewallRule] = []
    for group in groups:  # each group's rules in turn, so the first group that cannot be compiled is the one named
        host_ports, storage_ports = _group_ports(plan, group, options)
        host_ports, proxied_ports = _split_proxied(plan, host_ports, options)
        rules.extend(_proxy_rules(group, proxied_ports, options, layout))
        rules.extend(_fqdn_rules(group, host_ports, options, layout))
        rules.extend(_pga_rules(group, storage_ports, options, layout))
        rules.extend(_cidr_rules(plan, group, options, layout))
        rules.extend(_deny_rules(group, options, layout))
    fqdn_hosts = {name for rule in rules for name in rule.dest_fqdns}
    pga_hosts = {STORAGE_HOST for rule in rules if rule.kind == "pga"}
    warnings.extend(_google_access_warnings(plan, options, pga_hosts))
    warnings.extend(_host_warnings(plan, fqdn_hosts, pga_hosts))
    warnings.extend(_default_deny_warnings(options))
    warnings.extend(_observe_warnings(rules, options))
    warnings.extend(_agent_warnings(plan, targets, options))
    warnings.extend(_vm_needs_warnings(plan, groups, options))
    warnings.extend(_band_warnings(options))
    warnings.extend(_unchecked_warnings(options))
    warnings.extend(_internal_name_warnings(fqdn_hosts))
    rules.sort(key=lambda rule: rule.priority)
    _check_rules(rules, layout)
    return FirewallPolicySpec(
        name=options.name,
        scope=options.scope,
        region=options.region,
        parent=options.parent,
        description=options.description,
        rules=tuple(rules),
        associations=_associations(options),
        enforcement_order=None if options.hierarchical else options.enforcement_order,
        groups=groups,
        pga_hosts=tuple(sorted(pga_hosts)),
        warnings=tuple(warnings),
        project=options.policy_project,
        existing_policy=options.existing_policy,
        band=options.band,
        pga_range=GOOGLE_ACCESS_RANGES[options.google_access_vip],
        checked_networks=_checked_networks(options),
    )


def _checked_networks(options: FirewallOptions) -> tuple[str, ...]:
    """The networks whose order decides whether the default deny holds: a network policy's, when it denies and
    asks for BEFORE_CLASSIC_FIREWALL (AFTER_CLASSIC_FIREWALL is the user's informed choice, warned about)."""
    if options.hierarchical or not options.default_deny or options.enforcement_order != "BEFORE_CLASSIC_FIREWALL":
        return ()
    return tuple(options.networks)


def _suffix_warnings(plan: EgressPlan, options: FirewallOptions) -> list[GcpWarning]:
    """Whether plan rules that allow a domain and its subdomains are refused, or allowed as their apex and warned."""
    warnings: list[GcpWarning] = []
    proxied = proxy_served_hosts(plan, options)
    suffix_rules = [rule for rule in plan.allow if rule.match == "suffix" and rule.host not in proxied]
    if suffix_rules and options.suffix_policy == "refuse":
        first = suffix_rules[0]
        raise GcpSpecError(
            "plan.allow",
            f"{first.host} (entries {', '.join(first.ids)}) allows a domain and all its subdomains, which Cloud NGFW "
            "FQDN objects cannot express (exact names only, no wildcards): list the exact host names in an overlay, "
            "or set options.suffix_policy to 'apex-only' to allow the apex name alone",
        )
    if suffix_rules:
        warnings.append(
            GcpWarning(
                code="gcp-suffix-apex-only",
                message=(
                    "FQDN objects take exact names: only the apex of these domains is allowed, none of their "
                    "subdomains (suffix_policy 'apex-only')."
                ),
                hosts=tuple(sorted({rule.host for rule in suffix_rules})),
            )
        )
    return warnings


def _target_resources(options: FirewallOptions) -> tuple[str, ...]:
    """The networks a hierarchical policy's rules are limited to (none for a network policy: it is associated)."""
    return options.networks if options.hierarchical else ()


def _group_ports(
    plan: EgressPlan, group: TargetGroup, options: FirewallOptions
) -> tuple[dict[str, set[int]], set[int]]:
    """The ports of each host name the group's roles reach, and those of storage when it goes through PGA instead."""
    host_ports: dict[str, set[int]] = {}
    storage_ports: set[int] = set()
    for allow in plan.allow:
        if not set(allow.roles) & set(group.roles):
            continue
        if options.private_google_access and allow.host == STORAGE_HOST:
            storage_ports.add(allow.port)
            continue
        host_ports.setdefault(allow.host, set()).add(allow.port)
    return host_ports, storage_ports


def _band_keys(
    plan: EgressPlan, groups: Sequence[TargetGroup], options: FirewallOptions, layout: PriorityLayout
) -> dict[tuple[int, ...], int] | None:
    """In a band, one port key per port set for the whole policy (every group, FQDN and range rules alike): a set
    new to the policy is the only one a collision can ask to pin, and pinning it moves no existing rule. The port
    sets are those of the rules the policy carries: names the Secure Web Proxy serves are left out first (no FQDN
    rule carries their ports, so they take no key and cannot collide)."""
    if layout.port_bits is None:
        return None
    port_sets: set[tuple[int, ...]] = set()
    for group in groups:
        host_ports, _ = _group_ports(plan, group, options)
        host_ports, _ = _split_proxied(plan, host_ports, options)
        port_sets.update(_hosts_by_ports(host_ports))
        port_sets.update(ports for _, _, ports in _ranges_by_key(plan, group))
    return layout.port_keys(port_sets, options.pinned_port_keys)


def _hosts_by_ports(host_ports: Mapping[str, set[int]]) -> dict[tuple[int, ...], list[str]]:
    by_ports: dict[tuple[int, ...], list[str]] = {}
    for host, host_port_set in host_ports.items():
        by_ports.setdefault(tuple(sorted(host_port_set)), []).append(host)
    return by_ports


def _fqdn_rules(
    group: TargetGroup, host_ports: Mapping[str, set[int]], options: FirewallOptions, layout: PriorityLayout
) -> list[FirewallRule]:
    """The group's FQDN allow rules: host names sharing a port set, split into hash buckets of at most 100."""
    prefix = options.name
    by_ports = _hosts_by_ports(host_ports)
    keys = layout.port_keys(by_ports)
    rules: list[FirewallRule] = []
    for ports, hosts in sorted(by_ports.items()):
        key = keys[ports]
        try:
            buckets = bucketize(hosts, FQDNS_PER_RULE, layout.fqdn_depth)
        except OverflowError:
            raise GcpSpecError(
                "plan.allow",
                f"{len(hosts)} host names for roles {', '.join(group.roles)} on ports {ports}: more than one "
                "policy's FQDN buckets hold; split the workloads across target groups",
            ) from None
        for heap, names in buckets:
            priority = layout.fqdn(group.mask, key, heap)
            rules.append(
                FirewallRule(
                    priority=priority,
                    kind="fqdn",
                    action="allow",
                    rule_name=f"{prefix}-fqdn-{group.slug}-{_port_slug(ports, key)}-b{heap}",
                    description=(
                        f"sep-egress: {', '.join(group.roles)} to {len(names)} vendor host names on tcp "
                        f"{','.join(map(str, ports))} (hash bucket {heap:b})"
                    ),
                    roles=group.roles,
                    target=group.target,
                    layer4=(Layer4("tcp", _port_strings(ports)),),
                    dest_fqdns=names,
                    target_resources=_target_resources(options),
                )
            )
    return rules


def _pga_rules(
    group: TargetGroup, storage_ports: set[int], options: FirewallOptions, layout: PriorityLayout
) -> list[FirewallRule]:
    """The group's Private Google Access rule for storage, when storage goes through the Google Access range."""
    if not storage_ports:
        return []
    pga_name = f"{options.google_access_vip}.googleapis.com"
    return [
        FirewallRule(
            priority=layout.pga(group.mask),
            kind="pga",
            action="allow",
            rule_name=f"{options.name}-pga-{group.slug}",
            description=(
                f"sep-egress: {', '.join(group.roles)} to {STORAGE_HOST} through Private Google Access ({pga_name})"
            ),
            roles=group.roles,
            target=group.target,
            layer4=(Layer4("tcp", _port_strings(sorted(storage_ports))),),
            dest_ip_ranges=(GOOGLE_ACCESS_RANGES[options.google_access_vip],),
            target_resources=_target_resources(options),
        )
    ]


def _ranges_by_key(plan: EgressPlan, group: TargetGroup) -> dict[tuple[int, str, tuple[int, ...]], list[str]]:
    """The group's declared ranges by (family, protocol, port set)."""
    ports_by_range: dict[tuple[int, str, str], set[int]] = {}
    for cidr_rule in plan.cidrs:
        if not set(cidr_rule.roles) & set(group.roles):
            continue
        family = 0 if ipaddress.ip_network(cidr_rule.cidr).version == 4 else 1
        ports_by_range.setdefault((family, cidr_rule.protocol, cidr_rule.cidr), set()).add(cidr_rule.port)
    by_key: dict[tuple[int, str, tuple[int, ...]], list[str]] = {}
    for (family, protocol, cidr), range_ports in ports_by_range.items():
        by_key.setdefault((family, protocol, tuple(sorted(range_ports))), []).append(cidr)
    return by_key


def _cidr_rules(
    plan: EgressPlan, group: TargetGroup, options: FirewallOptions, layout: PriorityLayout
) -> list[FirewallRule]:
    """The group's CIDR allow rules: declared ranges sharing a family, protocol and port set, in hash buckets."""
    prefix = options.name
    by_key = _ranges_by_key(plan, group)
    keys = layout.port_keys(ports for _, _, ports in by_key)
    rules = []
    for (family, protocol, ports), cidrs in sorted(by_key.items()):
        key = keys[ports]
        proto_bit = 0 if protocol == "tcp" else 1
        for heap, ranges in bucketize(cidrs, RANGES_PER_RULE, CIDR_MAX_DEPTH):
            ordered = tuple(sorted(ranges, key=lambda text: ipaddress.ip_network(text).network_address.packed))
            rules.append(
                FirewallRule(
                    priority=layout.cidr(group.mask, family, proto_bit, key, heap),
                    kind="cidr",
                    action="allow",
                    rule_name=(
                        f"{prefix}-ip{4 + 2 * family}-{group.slug}-{protocol}-{_port_slug(ports, key % 65536)}-b{heap}"
                    ),
                    description=(
                        f"sep-egress: {', '.join(group.roles)} to {len(ordered)} declared ranges on {protocol} "
                        f"{','.join(map(str, ports))}"
                    ),
                    roles=group.roles,
                    target=group.target,
                    layer4=(Layer4(protocol, _port_strings(ports)),),
                    dest_ip_ranges=ordered,
                    target_resources=_target_resources(options),
                    # Before names had to fit 63 characters: "cidr", the protocol and the family spelled out.
                    former_names=(
                        f"{prefix}-cidr-{group.slug}-{protocol}-{_port_slug(ports, key)}-v{4 + 2 * family}-b{heap}",
                    ),
                )
            )
    return rules


def _deny_rules(group: TargetGroup, options: FirewallOptions, layout: PriorityLayout) -> list[FirewallRule]:
    """The group's default deny of any other IPv4 and IPv6 egress, unless ``default_deny`` is off."""
    if not options.default_deny:
        return []
    # Observe: the same rule (name, priority, match, logging) with the action allow. A rule's action is updated in
    # place (patchRule), so switching modes changes only this field. Not goto_next: "you cannot enable logging on
    # goto_next rules" (Compute API, FirewallPolicyRule.enableLogging), and the logs are the point of observing.
    action: Literal["allow", "deny"] = "allow" if options.enforcement == "observe" else "deny"
    rules = []
    for family, everything in ((0, "0.0.0.0/0"), (1, "::/0")):
        rules.append(
            FirewallRule(
                priority=layout.deny(group.mask, family),
                kind="deny",
                action=action,
                rule_name=f"{options.name}-deny-{group.slug}-v{4 + 2 * family}",
                description=(
                    f"sep-egress: default deny of any other IPv{4 + 2 * family} egress for {', '.join(group.roles)}"
                ),
                roles=group.roles,
                target=group.target,
                layer4=(Layer4("all"),),
                dest_ip_ranges=(everything,),
                target_resources=_target_resources(options),
            )
        )
    return rules


def _google_access_warnings(plan: EgressPlan, options: FirewallOptions, pga_hosts: set[str]) -> list[GcpWarning]:
    """What the Private Google Access choice leaves open: no rule at all, every Google API, or a perimeter."""
    pga_range = GOOGLE_ACCESS_RANGES[options.google_access_vip]
    warnings = []
    if options.private_google_access and not pga_hosts:
        warnings.append(
            GcpWarning(
                code="gcp-pga-unused",
                message=(
                    f"private_google_access is on but the plan has no {STORAGE_HOST} (storage phase "
                    f"{plan.storage!r}); no Private Google Access rule is emitted."
                ),
            )
        )
    if pga_hosts and options.google_access_vip == "private":
        warnings.append(
            GcpWarning(
                code="gcp-pga-all-google-apis",
                message=(
                    f"The Private Google Access rule allows {pga_range} (private.googleapis.com), which serves most "
                    f"Google APIs and services, not only {STORAGE_HOST}: the targeted workloads can reach every "
                    "Google API there on these ports (and any bucket in Cloud Storage). restricted.googleapis.com "
                    f"({RESTRICTED_GOOGLE_ACCESS_RANGE}, google_access_vip: restricted) serves only the APIs VPC "
                    "Service Controls supports, for use with a perimeter."
                ),
                hosts=tuple(sorted(pga_hosts)),
            )
        )
    if pga_hosts and options.google_access_vip == "restricted":
        warnings.append(
            GcpWarning(
                code="gcp-restricted-vip-perimeter",
                message=(
                    f"{STORAGE_HOST} goes through restricted.googleapis.com ({pga_range}). The vendor's buckets live "
                    "in Broadcom's project, outside any perimeter of yours: if these workloads' project is in a VPC "
                    "Service Controls perimeter, their requests to those buckets are denied unless the perimeter "
                    "has an egress rule allowing storage.googleapis.com to Broadcom's project (which this project "
                    "does not know). A perimeter limits which buckets your own identities reach; it does not turn "
                    "this rule into a vendor-only allowlist."
                ),
                hosts=tuple(sorted(pga_hosts)),
            )
        )
    return warnings


def _host_warnings(plan: EgressPlan, fqdn_hosts: set[str], pga_hosts: set[str]) -> list[GcpWarning]:
    """Host names an FQDN rule cannot pin down: buckets shared by every customer (whether an FQDN object or the
    Private Google Access rule serves them), CDN-backed names (FQDN objects only: the PGA rule is an address range)."""
    warnings = []
    shared = sorted({rule.host for rule in plan.allow if rule.shared and rule.host in fqdn_hosts | pga_hosts})
    if shared:
        warnings.append(
            GcpWarning(
                code="gcp-shared-bucket",
                message=(
                    f"{', '.join(shared)} serves every customer's buckets: an FQDN (or Private Google Access) rule "
                    "cannot tell the vendor's bucket from any other, so workloads can reach any bucket there."
                ),
                hosts=tuple(shared),
            )
        )
    cdn = sorted(host for host in fqdn_hosts if any(host.endswith(suffix) for suffix in CDN_BACKED_SUFFIXES))
    if cdn:
        warnings.append(
            GcpWarning(
                code="gcp-fqdn-address-limit",
                message=(
                    "Cloud NGFW programs at most 32 IPv4 and 32 IPv6 addresses per FQDN object; these CDN-backed "
                    "names resolve from large rotating pools, so connections to an address not (yet) programmed are "
                    "denied while DNS rotates. "
                    + (
                        f"Serve {STORAGE_HOST} through Private Google Access (private_google_access: true) and "
                        if STORAGE_HOST in cdn
                        else ""
                    )
                    + "watch the deny logs; names FQDN objects cannot hold are better served by a proxy that "
                    "matches the name itself (see docs/gcp.md)."
                ),
                hosts=tuple(cdn),
            )
        )
    return warnings


def _default_deny_warnings(options: FirewallOptions) -> list[GcpWarning]:
    """Why the default deny may not hold: turned off, or networks still enforcing the classic firewall first."""
    warnings = []
    if not options.default_deny:
        warnings.append(
            GcpWarning(
                code="gcp-no-default-deny",
                message=(
                    "default_deny is off: this policy only allows, it denies nothing. Traffic no rule matches goes "
                    "on to the next firewall layer and, in the end, to the VPC network's implied allow-all egress "
                    "rule, so the targeted workloads can still reach every destination and these allow rules "
                    "restrict nothing. Turn it off only when another layer evaluated after this policy denies "
                    "the rest: a classic VPC firewall egress deny rule (with enforcement order "
                    "BEFORE_CLASSIC_FIREWALL), or a deny in a firewall policy lower in the hierarchy."
                ),
            )
        )
    if options.default_deny and not options.hierarchical:
        # The component does not own the VPC networks, so it cannot set their order; the API default is
        # AFTER_CLASSIC_FIREWALL ("Defaults to AFTER_CLASSIC_FIREWALL if the field is not specified",
        # https://cloud.google.com/compute/docs/reference/rest/v1/networks), under which a classic egress allow
        # rule decides before the policy's deny. Every plan and preview says so.
        # A network given as a pulumi.Output is a stand-in here (projects/pulumi-output/...): not a name to print.
        known = [network for network in options.networks if not is_stand_in(network)]
        if known and len(known) == len(options.networks):
            networks = ", ".join(known)
        elif options.networks:
            networks = ", ".join([*known, "the associated networks"]) if known else "the associated networks"
        else:
            networks = f"the networks of policy {options.existing_policy}"
        if options.enforcement_order == "AFTER_CLASSIC_FIREWALL":
            message = (
                "enforcement_order AFTER_CLASSIC_FIREWALL: classic VPC firewall rules are evaluated first, so any "
                "classic egress allow rule (e.g. an allow-all egress rule) wins over this policy's default deny."
            )
        else:
            message = (
                f"The default deny does not hold until {networks} set networkFirewallPolicyEnforcementOrder "
                "BEFORE_CLASSIC_FIREWALL: the API default is AFTER_CLASSIC_FIREWALL, under which any classic "
                "egress allow rule (e.g. an allow-all egress rule of a landing zone) decides first. This "
                "component does not own the networks and does not change them; set the field on each network "
                "(network_settings)."
            )
        warnings.append(GcpWarning(code="gcp-enforcement-order", message=message))
    return warnings


def _observe_warnings(rules: Sequence[FirewallRule], options: FirewallOptions) -> list[GcpWarning]:
    """Observe mode: nothing is refused; the default deny rules log what enforcing would refuse."""
    if options.enforcement != "observe":
        return []
    names = sorted(rule.rule_name for rule in rules if rule.kind == "deny")
    detail = (
        f"the default deny rules ({', '.join(names)}) are logged allows at their own priorities"
        if names
        else "default_deny is off, so there is no rule to observe"
    )
    return [
        GcpWarning(
            code="gcp-observe-mode",
            message=(
                f"enforcement observe: this policy refuses nothing; {detail}. Their log entries (rule_details "
                "name them) are the connections enforcing would refuse; every SEP allow logs too. Switching to "
                "enforce changes only their action back to deny."
            ),
        )
    ]


def _agent_warnings(plan: EgressPlan, targets: Mapping[str, RoleTarget], options: FirewallOptions) -> list[GcpWarning]:
    """Managers whose targets do not say whether they run the SEP client: a SEPM server normally does."""
    agent_roles = [role for role in KIND_ROLES["clients"] if role in plan.roles]
    skipped = {"managers", "sepm"} & set(options.skip_roles)
    manager = targets.get("managers", targets.get("sepm"))  # role keys of one kind are identical (machine_targets)
    if manager is None or skipped or manager.runs_agent is not None or not agent_roles:
        return []
    clients = targets.get("clients", targets.get("agent"))
    if clients is not None and set(manager.values) <= set(clients.values) and manager.kind == clients.kind:
        return []  # the managers' machines are listed as clients too: they get both
    return [
        GcpWarning(
            code="gcp-manager-without-agent",
            message=(
                f"targets.managers gets only the {', '.join(KIND_ROLES['managers'])} tables; a SEPM server normally "
                f"runs the SEP client too, and its client would be denied the {', '.join(agent_roles)} hosts "
                "(reputation, submissions, LiveUpdate, ...). Set targets.managers.runs_agent: true, or "
                "runs_agent: false if these machines run no client."
            ),
        )
    ]


# What a Google Cloud VM needs beyond SEP under a default deny (docs/gcp.md, "What a default-deny VM still needs"):
# Windows activation against Compute Engine's KMS host, and certificate revocation checks of DigiCert, which issues
# the certificates of the vendor's hosts. examples/overlays/gcp-default-deny-vm.yaml and digicert-ocsp-crl.yaml.
WINDOWS_KMS = ("35.190.247.13/32", 1688)
DIGICERT_OCSP = ("ocsp.digicert.com", 80)


def _vm_needs_warnings(plan: EgressPlan, groups: Sequence[TargetGroup], options: FirewallOptions) -> list[GcpWarning]:
    """Under a default deny: the machine kinds without Windows activation or DigiCert revocation checks."""
    if not options.default_deny or options.enforcement == "observe":
        return []
    warnings = []
    kms = [
        kind
        for group in groups
        if not any((rule.cidr, rule.port) == WINDOWS_KMS and set(rule.roles) & set(group.roles) for rule in plan.cidrs)
        for kind in group.kinds
    ]
    if kms:
        warnings.append(
            GcpWarning(
                code="gcp-default-deny-windows-activation",
                message=(
                    f"Default deny without Windows activation for {', '.join(kms)}: Windows VMs cannot reach "
                    "Compute Engine's KMS host (kms.windows.googlecloud.com, 35.190.247.13, TCP 1688) and stay "
                    "unactivated. Add examples/overlays/gcp-default-deny-vm.yaml (or your own entry) unless these "
                    "machines run no Windows."
                ),
            )
        )
    ocsp = [
        kind
        for group in groups
        if not any(
            (rule.host, rule.port) == DIGICERT_OCSP and set(rule.roles) & set(group.roles) for rule in plan.allow
        )
        for kind in group.kinds
    ]
    if ocsp:
        warnings.append(
            GcpWarning(
                code="gcp-default-deny-revocation",
                message=(
                    f"Default deny without certificate revocation checks for {', '.join(ocsp)}: DigiCert's OCSP "
                    "responders and CRLs (ocsp.digicert.com, crl3/crl4.digicert.com, HTTP 80) are denied, so "
                    "revocation checks time out and some TLS clients refuse the connection. Add "
                    "examples/overlays/digicert-ocsp-crl.yaml."
                ),
                hosts=(DIGICERT_OCSP[0],),
            )
        )
    return warnings


def _unchecked_warnings(options: FirewallOptions) -> list[GcpWarning]:
    """What the program cannot read before it acts: which policy a network already has, or which networks an
    existing policy is associated with (no pulumi-gcp invoke or resource state returns either)."""
    if options.hierarchical:
        return []
    if options.existing_policy is None:
        message = (
            "Not checked before deployment: whether these networks already have a network firewall policy. "
            '"Each VPC network can be associated with only one global network firewall policy"; if one is, the '
            "association fails at pulumi up (the policy itself is created, inert). Check with `gcloud compute "
            "networks get-effective-firewalls NETWORK`, and use options.existing_policy to add the rules to it."
        )
    else:
        message = (
            f"Not checked before deployment: which networks the existing policy {options.existing_policy} is "
            "associated with. Its rules act only on those networks; check with `gcloud compute networks "
            "get-effective-firewalls NETWORK` for each network of the SEP machines."
        )
    return [GcpWarning(code="gcp-unchecked-association", message=message)]


def _band_warnings(options: FirewallOptions) -> list[GcpWarning]:
    """In an existing policy: the reserved band, and what the policy's other rules can still decide first."""
    band = options.band
    if band is None:
        return []
    return [
        GcpWarning(
            code="gcp-existing-policy-band",
            message=(
                f"The rules are added to the existing policy {options.existing_policy} in the reserved band "
                f"{band[0]}..{band[1]}; rules outside it are untouched. The policy's rules with a lower "
                "priority number decide first for these machines: an egress allow there bypasses the default "
                "deny, an egress deny there blocks the vendor's hosts. Keep the band free of other rules."
            ),
        )
    ]


def looks_internal(host: str) -> bool:
    """True for a name that a public resolver would likely not answer (single label, internal suffix or label)."""
    name = host.rstrip(".").lower()
    labels = name.split(".")
    if len(labels) == 1 or any(name.endswith(suffix) for suffix in INTERNAL_SUFFIXES):
        return True
    return any(label in INTERNAL_LABELS for label in labels[:-1])


def _internal_name_warnings(fqdn_hosts: set[str]) -> list[GcpWarning]:
    """The FQDN rules' names that look internal, which Cloud DNS in the targets' network may never resolve."""
    internal = sorted(host for host in fqdn_hosts if looks_internal(host))
    if not internal:
        return []
    return [
        GcpWarning(
            code="gcp-fqdn-internal-name",
            message=(
                "These names look internal. Cloud NGFW resolves FQDN objects through Cloud DNS in the targets' VPC "
                "network (response policies, private zones, Compute Engine internal names, public zones); a name "
                "served only by an on-premises server behind a forwarding zone may never resolve there, and an "
                "FQDN object that does not resolve is ignored, so the machines are denied. Declare such a server "
                "by address instead: a 'cidrs' entry with its ports in the overlay (see docs/gcp.md)."
            ),
            hosts=tuple(internal),
        )
    ]


def _check_rules(rules: Sequence[FirewallRule], layout: PriorityLayout) -> None:
    """Invariants no plan may break; a failure here is a compiler bug, reported as such."""
    seen: set[int] = set()
    low, high = layout.span
    first_deny = min((rule.priority for rule in rules if rule.kind == "deny"), default=None)
    for rule in rules:
        if rule.priority in seen or not 0 <= rule.priority <= MAX_PRIORITY or not low <= rule.priority <= high:
            raise AssertionError(f"priority {rule.priority} of {rule.rule_name} is duplicated or out of range")
        if rule.kind != "deny" and first_deny is not None and rule.priority > first_deny:
            raise AssertionError(f"{rule.rule_name} comes after a deny rule that could shadow it")
        if len(rule.rule_name) > 63 or not RULE_NAME.fullmatch(rule.rule_name):
            raise AssertionError(f"{rule.rule_name} is not an RFC 1035 name of at most 63 characters")
        seen.add(rule.priority)
        if len(rule.dest_fqdns) > FQDNS_PER_RULE or len(rule.dest_ip_ranges) > RANGES_PER_RULE:
            raise AssertionError(f"{rule.rule_name} exceeds a per-rule limit")
        # The one allow of every address is a default deny observed (enforcement observe), logged and warned.
        widest = any(ipaddress.ip_network(r).prefixlen == 0 for r in rule.dest_ip_ranges)
        if rule.action == "allow" and widest and not (rule.kind == "deny" and rule.enable_logging):
            raise AssertionError(f"{rule.rule_name} would allow every address")


def _associations(options: FirewallOptions) -> tuple[Association, ...]:
    """None for an existing policy; else its folder/organization, or each network in sorted order."""
    if options.existing_policy is not None:
        return ()
    if options.parent is not None:
        name = f"{options.name}-{options.parent.replace('/', '-')}"[:63]
        return (Association(name=name, attachment_target=options.parent),)
    return tuple(
        Association(name=f"{options.name}-{stable_hash(network, 32):08x}", attachment_target=network)
        for network in sorted(options.networks)
    )


# The Secure Web Proxy hook (``options.secure_web_proxy``): the names the proxy serves leave the FQDN rules, and a
# machine kind that needs one of them gets one allow rule to the proxy's address and port. The proxy's own rules
# (``secure_web_proxy.py``) serve exactly ``proxy_served_hosts``, so the two controls never disagree on a name.
# Offset of the proxy rule from the group's Private Google Access rule, in the same region of the layout.
PROXY_RULE_OFFSET = 16


def address_limited(host: str) -> bool:
    """Whether ``host`` resolves from a large rotating pool that an FQDN object (32 addresses) cannot hold."""
    return any(host.endswith(suffix) for suffix in CDN_BACKED_SUFFIXES)


def proxied_names(plan: EgressPlan, names: ProxyNames, private_google_access: bool) -> frozenset[str]:
    """The plan's names a Secure Web Proxy serves: every name (``all``) or the address-limited ones; never
    storage.googleapis.com while Private Google Access serves it."""
    served = {rule.host for rule in plan.allow if names == "all" or address_limited(rule.host)}
    if private_google_access:
        served.discard(STORAGE_HOST)
    return frozenset(served)


def proxy_served_hosts(plan: EgressPlan, options: FirewallOptions) -> frozenset[str]:
    """The names ``options.secure_web_proxy`` takes out of the FQDN rules (none without a proxy)."""
    route = options.secure_web_proxy
    if route is None:
        return frozenset()
    return proxied_names(plan, route.names, options.private_google_access)


def _split_proxied(
    plan: EgressPlan, host_ports: dict[str, set[int]], options: FirewallOptions
) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """The group's host ports without the proxy's names, and those names' ports."""
    served = proxy_served_hosts(plan, options)
    kept = {host: ports for host, ports in host_ports.items() if host not in served}
    return kept, {host: ports for host, ports in host_ports.items() if host in served}


def _proxy_rules(
    group: TargetGroup, proxied_ports: Mapping[str, set[int]], options: FirewallOptions, layout: PriorityLayout
) -> list[FirewallRule]:
    """One allow rule from the group's machines to the Secure Web Proxy, when the group needs one of its names."""
    route = options.secure_web_proxy
    if route is None or not proxied_ports:
        return []
    return [
        FirewallRule(
            priority=layout.pga(group.mask) + PROXY_RULE_OFFSET,
            kind="cidr",
            action="allow",
            rule_name=f"{options.name}-swp-{group.slug}",
            description=(
                f"sep-egress: {', '.join(group.roles)} to the Secure Web Proxy {route.address}:{route.port} for "
                f"{len(proxied_ports)} vendor host names it allows"
            ),
            roles=group.roles,
            target=group.target,
            layer4=(Layer4("tcp", (str(route.port),)),),
            dest_ip_ranges=(f"{route.address}/32",),
            target_resources=_target_resources(options),
        )
    ]
