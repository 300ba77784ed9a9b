"""The policy pack's checks as plain functions: ``(resource type token, props, config) -> [violation message]``.

Nothing here imports ``pulumi_policy``, so the project's test suite calls these functions with hand-built props,
and ``policies.py`` only adapts them to CrossGuard's callbacks. Props are the engine's view of a resource: input
names in camelCase (``ruleGroup.rulesSource.rulesSourceList.targets``, ``match.destFqdns``) and numbers as floats.
A value the engine does not know yet (during preview) is ``UNKNOWN``; a check never guesses about it: it is
judged again at ``pulumi up``, when the value is known.

The checks:

- ``allow_all_egress``: an egress allow to every address (or to half of IPv4 or more, in any spelling, judged by
  what the ranges cover together: see ``addresses``), or with no destination at all, without a host match; a
  Network Firewall policy whose defaults pass what no rule drops (in observe mode, config ``enforcement:
  observe``, defaults that at least log it: an ``aws:alert_*`` action).
- ``hosts_outside_catalog``: a domain list, a Suricata ``tls.sni``/``http.host`` match or a Cloud NGFW
  ``destFqdns`` names a host that is neither in the catalog nor declared (``allowedHosts``,
  ``allowedDomainSuffixes``).
- ``logging_off``: a rule this project made (a child of a ``sep-egress:`` component, a ``sep-egress:``
  description, or the ``managed-by: sep-egress`` tag) does not log.
- ``firewalls_without_logging``: a stack check: a Network Firewall this project made has no logging configuration.
- ``wider_than_vendor`` (advisory): a rule admits more than the vendor's list: a host the catalog marks shared
  (storage.googleapis.com), a domain suffix, an unanchored name, a suffix over a catalog host, the Private Google
  Access range, a Network Firewall policy in observe mode (defaults that only log what no rule matches).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .addresses import WIDE_IPV4, Coverage, ranges_coverage, suricata_coverage
from .suricata import HostKind, HostMatch, Rule, parse_options, parse_rules, reaches_every_address

CATALOG_EXPORT = Path(__file__).parent / "catalog_hosts.json"
PROJECT_PREFIX = "sep-egress:"


class Unknown:
    """A value the engine cannot know yet (an output of a resource still to be created)."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()

# Type tokens, as the engine names them.
AWS_SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
AWS_DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
AWS_SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
AWS_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
AWS_RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
AWS_FIREWALL_POLICY = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
AWS_FIREWALL = "aws:networkfirewall/firewall:Firewall"
AWS_LOGGING = "aws:networkfirewall/loggingConfiguration:LoggingConfiguration"
GCP_FIREWALL = "gcp:compute/firewall:Firewall"
GCP_RULE_TYPES = (
    "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule",
    "gcp:compute/regionNetworkFirewallPolicyRule:RegionNetworkFirewallPolicyRule",
    "gcp:compute/firewallPolicyRule:FirewallPolicyRule",
)
GCP_WITH_RULES_TYPES = (
    "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules",
    "gcp:compute/regionNetworkFirewallPolicyWithRules:RegionNetworkFirewallPolicyWithRules",
    "gcp:compute/firewallPolicyWithRules:FirewallPolicyWithRules",
)
#: Every type a check reads; the others are not applicable.
EGRESS_TYPES = (
    AWS_SECURITY_GROUP,
    AWS_DEFAULT_SECURITY_GROUP,
    AWS_SECURITY_GROUP_RULE,
    AWS_EGRESS_RULE,
    AWS_RULE_GROUP,
    AWS_FIREWALL_POLICY,
    AWS_LOGGING,
    GCP_FIREWALL,
    *GCP_RULE_TYPES,
    *GCP_WITH_RULES_TYPES,
)

# Private Google Access: every Google API behind one range, not only storage (private / restricted VIPs).
PRIVATE_GOOGLE_ACCESS_RANGES = {
    "199.36.153.8/30": "private.googleapis.com",
    "199.36.153.4/30": "restricted.googleapis.com",
}
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")  # fullmatch only: "$" accepts a final newline
CONFIG_KEYS = ("allowedHosts", "allowedDomainSuffixes", "enforcement")
#: The stack's ``sep-egress:enforcement``: ``observe`` lets a Network Firewall policy log, not drop, what no rule
#: matches (docs/rollout.md); ``enforce``, the default, requires the drop.
ENFORCEMENTS = ("observe", "enforce")
#: Network Firewall's stateful default actions that drop what no rule matched (botocore's documentation of
#: ``FirewallPolicy.StatefulDefaultActions``); the others are their ``aws:alert_*`` twins, which only log.
DROP_DEFAULT_ACTIONS = frozenset(
    {
        "aws:drop_strict",
        "aws:drop_established",
        "aws:drop_established_app_layer",
        "aws:drop_established_app_layer_to_server",
    }
)


# --- the catalog and the declared overlays ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogHost:
    """A host of the catalog: ``suffix`` when the catalog allows its subdomains, ``shared`` why it serves others."""

    name: str
    suffix: bool
    shared: str | None
    ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CatalogHosts:
    """The catalog export the pack ships (``catalog_hosts.json``, written by ``policy/export_catalog.py``)."""

    version: str
    hosts: Mapping[str, CatalogHost]

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> CatalogHosts:
        hosts = {
            name: CatalogHost(
                name=name,
                suffix=bool(value.get("suffix")),
                shared=value.get("shared"),
                ids=tuple(value.get("ids", ())),
            )
            for name, value in document["hosts"].items()
        }
        return cls(version=str(document["catalogVersion"]), hosts=hosts)


@lru_cache(maxsize=1)
def load_catalog_hosts(path: Path = CATALOG_EXPORT) -> CatalogHosts:
    return CatalogHosts.from_document(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True, slots=True)
class PackConfig:
    """The policy configuration: what overlays add on top of the catalog.

    ``allowedHosts``: exact names (``lua.corp.example.com``); a ``*.`` or ``.`` prefix declares a domain and its
    subdomains, as an overlay's ``domain_suffix: true`` does. ``allowedDomainSuffixes``: domains whose subdomains
    are all allowed (``digicert.com``). ``enforcement``: the stack's ``sep-egress:enforcement`` (``observe`` or
    ``enforce``, the default). ``problems``: what was wrong in the configuration, reported as violations so that a
    typo cannot silently turn a check off.
    """

    hosts: frozenset[str] = frozenset()
    suffixes: frozenset[str] = frozenset()
    problems: tuple[str, ...] = ()
    enforcement: str = "enforce"

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any] | None) -> PackConfig:
        if not config:
            return cls()
        problems: list[str] = []
        hosts: set[str] = set()
        suffixes: set[str] = set()
        for key in config:
            if key not in CONFIG_KEYS and key != "enforcementLevel":
                problems.append(f"policy config: unknown key {key!r}; keys are {', '.join(CONFIG_KEYS)}")
        for key, into_suffix in (("allowedHosts", False), ("allowedDomainSuffixes", True)):
            values = config.get(key, [])
            if isinstance(values, str) or not isinstance(values, Sequence):
                problems.append(f"policy config: {key} must be a list of host names")
                continue
            for index, value in enumerate(values):
                name, is_suffix, problem = _declared_name(value, suffix=into_suffix)
                if problem:
                    problems.append(f"policy config: {key}[{index}]: {problem}")
                elif is_suffix:
                    suffixes.add(name)
                else:
                    hosts.add(name)
        enforcement = config.get("enforcement", "enforce")
        if enforcement not in ENFORCEMENTS:
            problems.append(f"policy config: enforcement must be one of {', '.join(ENFORCEMENTS)}, not {enforcement!r}")
            enforcement = "enforce"
        return cls(frozenset(hosts), frozenset(suffixes), tuple(problems), str(enforcement))


def _declared_name(value: Any, *, suffix: bool) -> tuple[str, bool, str | None]:
    if not isinstance(value, str) or not value.strip():
        return "", False, "a host name is required"
    name = value.strip().lower().rstrip(".")
    if name.startswith("*.") or name.startswith("."):
        name = name[2:] if name.startswith("*.") else name[1:]
        suffix = True
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return "", False, f"{value!r} is not a fully qualified host name"
    return name, suffix, None


@dataclass(frozen=True, slots=True)
class Allowlist:
    """The catalog plus the declared overlays: the names a rule may admit."""

    catalog: CatalogHosts
    config: PackConfig = field(default_factory=PackConfig)

    def admits_exact(self, name: str) -> bool:
        """Whether the exact name is declared (in the catalog, as an overlay host, or under a declared suffix)."""
        entry = self.catalog.hosts.get(name)
        if entry is not None or name in self.config.hosts:
            return True
        return self._under_suffix(name)

    def admits_suffix(self, name: str) -> bool:
        """Whether every subdomain of ``name`` is declared: only a catalog or overlay suffix covers that."""
        entry = self.catalog.hosts.get(name)
        if entry is not None and entry.suffix:
            return True
        return name in self.config.suffixes or self._under_suffix(name)

    def _under_suffix(self, name: str) -> bool:
        labels = name.split(".")
        for index in range(1, len(labels) - 1):
            parent = ".".join(labels[index:])
            entry = self.catalog.hosts.get(parent)
            if (entry is not None and entry.suffix) or parent in self.config.suffixes:
                return True
        return name in self.config.suffixes


# --- what a resource lets out -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EgressAllow:
    """One egress allow of a resource, normalised: where it is, whether it reaches every address, the names it
    matches, the ranges it names, and whether it passes only a TCP handshake."""

    where: str
    every_address: bool
    hosts: tuple[HostMatch, ...] = ()
    ranges: tuple[str, ...] = ()
    ports: str = "any port"
    handshake_only: bool = False
    #: What the destinations cover (None: not given as addresses, such as a domain list).
    coverage: Coverage | None = None
    #: Every connection it allows is logged (a Cloud NGFW rule with ``enableLogging``).
    logged: bool = False


def _get(value: Any, *path: str | int) -> Any:
    """Walk mappings and lists; None when a step is missing, UNKNOWN as soon as a step is unknown."""
    for step in path:
        if value is UNKNOWN:
            return UNKNOWN
        if isinstance(step, int):
            if isinstance(value, Sequence) and not isinstance(value, str) and step < len(value):
                value = value[step]
            else:
                return None
        elif isinstance(value, Mapping):
            value = value.get(step)
        else:
            return None
    return value


def _items(value: Any) -> list[Any]:
    """A list property as a list (a missing or unknown list is empty: nothing can be said about it)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return []


def _strings(value: Any) -> list[str]:
    return [item for item in _items(value) if isinstance(item, str)]


def _covers_everywhere(ranges: Sequence[str]) -> bool:
    """Whether plain ranges cover every address together, whatever their spelling (see ``addresses``)."""
    return ranges_coverage(ranges).everywhere


def _port_text(protocol: Any, from_port: Any, to_port: Any) -> str:
    if protocol in ("-1", "all", -1, "-1.0"):
        return "every protocol and port"
    low = int(from_port) if isinstance(from_port, int | float) else None
    high = int(to_port) if isinstance(to_port, int | float) else None
    if low is None or high is None or (low <= 0 and high >= 65535) or low == -1:
        return f"{protocol} on every port"
    return f"{protocol} port {low}" if low == high else f"{protocol} ports {low}-{high}"


def _security_group_egress(items: Any, prefix: str) -> list[EgressAllow]:
    allows = []
    for index, rule in enumerate(_items(items)):
        if not isinstance(rule, Mapping):
            continue
        ranges = _strings(rule.get("cidrBlocks")) + _strings(rule.get("ipv6CidrBlocks"))
        allows.append(
            EgressAllow(
                where=f"{prefix}[{index}]",
                every_address=_covers_everywhere(ranges),
                ranges=tuple(ranges),
                ports=_port_text(rule.get("protocol"), rule.get("fromPort"), rule.get("toPort")),
            )
        )
    return allows


def _rule_variables(rule_group: Any) -> dict[str, list[str]]:
    variables: dict[str, list[str]] = {}
    for item in _items(_get(rule_group, "ruleVariables", "ipSets")):
        key = _get(item, "key")
        if isinstance(key, str):
            variables[key] = _strings(_get(item, "ipSet", "definitions"))
    return variables


def _structured_rule(rule: Any, index: int) -> Rule | None:
    """A ``statefulRules`` item (header + ruleOptions) read as the equivalent Suricata line."""
    if not isinstance(rule, Mapping):
        return None
    header = rule.get("header")
    options: list[str] = []
    for option in _items(rule.get("ruleOptions")):
        keyword = _get(option, "keyword")
        if not isinstance(keyword, str):
            continue
        settings = _strings(_get(option, "settings"))
        options.append(f"{keyword}:{','.join(settings)}" if settings else keyword)
    return Rule(
        line=index + 1,
        text="",
        action=str(rule.get("action", "")).lower(),
        protocol=str(_get(header, "protocol") or "ip").lower(),
        destination=str(_get(header, "destination") or "any"),
        destination_port=str(_get(header, "destinationPort") or "any"),
        options=parse_options(";".join(options)),
        source=str(_get(header, "source") or "any"),
    )


@dataclass(frozen=True, slots=True)
class RuleChain:
    """The rules of one group in evaluation order, and what the pack can prove about the flowbits they set.

    A ``flowbits:isset,X`` gate bounds a pass only when every rule of the group that sets ``X`` is one the pack
    accepts: a pass that is bounded itself (a host match, a destination that is not everywhere, a TCP handshake,
    at most one ClientHello's bytes (``stream_size:client,<,N``) or empty segments only (``dsize:0``), or a gate of
    its own that is trusted), or, under ``STRICT_ORDER``, an ``alert`` on ``tls``/``http`` whose
    flows an earlier ``drop``/``reject`` of the same protocol and source refuses once the name is known, when the
    gated pass is a packet-scope ``tcp`` rule (sep-egress's guard: segments pass until the ClientHello is
    complete, and then the refusal comes first). A bit set in another group, by a rule the pack cannot see, or by
    ``alert ip ... noalert``, bounds nothing.
    """

    rules: tuple[Rule, ...]
    variables: Mapping[str, Sequence[str]]
    strict_order: bool

    def everywhere(self, rule: Rule) -> bool:
        return reaches_every_address(rule.destination, self.variables)

    def bounded(self, index: int, seen: frozenset[str] = frozenset()) -> bool:
        """Whether the pass at ``index`` lets out less than everything on its own or through a trusted gate."""
        rule = self.rules[index]
        if not self.everywhere(rule) or rule.hosts() or rule.handshake_only or rule.replies_only or rule.byte_bounded:
            return True
        return self.gated(index, seen)

    def gated(self, index: int, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            self.trusted(bit, index, seen | {bit}) for bit in self.rules[index].flowbits("isset") if bit not in seen
        )

    def trusted(self, bit: str, gated_index: int, seen: frozenset[str]) -> bool:
        setters = [
            position
            for position, rule in enumerate(self.rules)
            if bit in rule.flowbits("set") or bit in rule.flowbits("toggle")
        ]
        if not setters:
            return False
        return all(self._trusted_setter(position, gated_index, seen) for position in setters)

    def _trusted_setter(self, position: int, gated_index: int, seen: frozenset[str]) -> bool:
        setter = self.rules[position]
        if setter.action == "pass":
            return self.bounded(position, seen)
        gated = self.rules[gated_index]
        if setter.action != "alert" or setter.protocol not in ("tls", "http") or gated.protocol != "tcp":
            return False
        if not self.strict_order:
            return False  # under action order every pass runs before any drop: nothing refuses first
        return any(self._refuses(refusal, setter) for refusal in self.rules[:gated_index])

    def _refuses(self, refusal: Rule, setter: Rule) -> bool:
        return (
            refusal.action in ("drop", "reject")
            and refusal.protocol == setter.protocol
            and refusal.source.strip() == setter.source.strip()
            and self.everywhere(refusal)
            and refusal.destination_port.strip().lower() == "any"
            and not refusal.hosts()
            and not refusal.flowbits("isset")
            and not refusal.flowbits("isnotset")
        )

    def allows(self, where: Callable[[Rule], str]) -> list[EgressAllow]:
        return [
            EgressAllow(
                where=where(rule),
                every_address=self.everywhere(rule),
                hosts=rule.hosts(),
                ranges=(rule.destination,),
                coverage=suricata_coverage(rule.destination, self.variables),
                ports=f"{rule.protocol} on port {rule.destination_port}",
                handshake_only=rule.handshake_only or rule.replies_only or rule.byte_bounded or self.gated(index),
            )
            for index, rule in enumerate(self.rules)
            if rule.action == "pass"
        ]


def _rule_group_allows(props: Mapping[str, Any]) -> list[EgressAllow]:
    rule_group = props.get("ruleGroup")
    source = _get(rule_group, "rulesSource")
    variables = _rule_variables(rule_group)
    strict = str(_get(rule_group, "statefulRuleOptions", "ruleOrder") or "").upper() == "STRICT_ORDER"
    allows: list[EgressAllow] = []
    top_rules = props.get("rules")
    if isinstance(top_rules, str):
        chain = RuleChain(tuple(parse_rules(top_rules)), variables, strict)
        allows += chain.allows(lambda rule: f"rules {rule.label}")
    rules_string = _get(source, "rulesString")
    if isinstance(rules_string, str):
        chain = RuleChain(tuple(parse_rules(rules_string)), variables, strict)
        allows += chain.allows(lambda rule: f"ruleGroup.rulesSource.rulesString {rule.label}")
    source_list = _get(source, "rulesSourceList")
    if isinstance(source_list, Mapping) and str(source_list.get("generatedRulesType", "")).upper() == "ALLOWLIST":
        hosts = []
        for target in _strings(source_list.get("targets")):
            name = target.strip().lower().rstrip(".")
            # A leading dot is Network Firewall's "this domain and its subdomains".
            kind: HostKind = "suffix" if name.startswith(".") else "exact"
            hosts.append(HostMatch(name=name.lstrip("."), kind=kind, buffer="domain list"))
        allows.append(
            EgressAllow(
                where="ruleGroup.rulesSource.rulesSourceList.targets",
                every_address=False,
                hosts=tuple(hosts),
                ports=", ".join(_strings(source_list.get("targetTypes"))) or "domain list",
            )
        )
    structured = [_structured_rule(rule, index) for index, rule in enumerate(_items(_get(source, "statefulRules")))]
    chain = RuleChain(tuple(rule for rule in structured if rule is not None), variables, strict)
    allows += chain.allows(lambda rule: f"ruleGroup.rulesSource.statefulRules {rule.label}")
    stateless = _items(_get(source, "statelessRulesAndCustomActions", "statelessRules"))
    for index, rule in enumerate(stateless):
        definition = _get(rule, "ruleDefinition")
        if "aws:pass" not in _strings(_get(definition, "actions")):
            continue
        destinations = [
            address
            for item in _items(_get(definition, "matchAttributes", "destinations"))
            if isinstance(address := _get(item, "addressDefinition"), str)
        ]
        allows.append(
            EgressAllow(
                # A stateless pass skips the stateful engine: no name can ever be matched for it.
                where=f"ruleGroup.rulesSource.statelessRulesAndCustomActions.statelessRules[{index}] (aws:pass)",
                every_address=not destinations or _covers_everywhere(destinations),
                ranges=tuple(destinations),
            )
        )
    return allows


def _gcp_rule_allow(rule: Mapping[str, Any], where: str, *, default_direction: str) -> EgressAllow | None:
    """One Cloud NGFW policy rule, or None when it does not allow egress (deny, goto_next, ingress, disabled)."""
    direction = str(rule.get("direction") or default_direction).upper()
    action = str(rule.get("action") or "").lower()
    if direction != "EGRESS" or action not in ("allow", "apply_security_profile_group") or rule.get("disabled") is True:
        return None
    match = rule.get("match")
    ranges = _strings(_get(match, "destIpRanges"))
    fqdns = _strings(_get(match, "destFqdns"))
    other_destinations = any(
        _items(_get(match, key)) for key in ("destAddressGroups", "destRegionCodes", "destThreatIntelligences")
    )
    scope = str(_get(match, "destNetworkScope") or _get(match, "destNetworkType") or "").upper()
    no_destination = not ranges and not fqdns and not other_destinations
    # An egress rule with no destination matches every destination; a network scope narrower than the internet
    # (INTRA_VPC, NON_INTERNET, VPC_NETWORKS) still bounds it.
    every = _covers_everywhere(ranges) or (no_destination and scope in ("", "UNSPECIFIED", "INTERNET"))
    layer4 = []
    for item in _items(_get(match, "layer4Configs")):
        protocol = _get(item, "ipProtocol")
        ports = _strings(_get(item, "ports"))
        layer4.append(f"{protocol} {','.join(ports)}" if ports else f"{protocol} on every port")
    return EgressAllow(
        where=where,
        every_address=every,
        hosts=tuple(
            HostMatch(name=name.strip().lower().rstrip("."), kind="exact", buffer="destFqdns") for name in fqdns
        ),
        ranges=tuple(ranges),
        ports="; ".join(layer4) or "every protocol and port",
        logged=rule.get("enableLogging") is True,
    )


def _gcp_classic_allow(props: Mapping[str, Any]) -> list[EgressAllow]:
    if str(props.get("direction") or "INGRESS").upper() != "EGRESS" or props.get("disabled") is True:
        return []
    allows = [item for item in _items(props.get("allows")) if isinstance(item, Mapping)]
    if not allows:
        return []
    ranges = _strings(props.get("destinationRanges"))
    unknown = props.get("destinationRanges") is UNKNOWN
    ports = "; ".join(
        f"{item.get('protocol')} {','.join(_strings(item.get('ports')))}"
        if _strings(item.get("ports"))
        else f"{item.get('protocol')} on every port"
        for item in allows
    )
    return [
        EgressAllow(
            where="destinationRanges",
            # Without destinationRanges an egress rule applies to 0.0.0.0/0 (the Compute API's default).
            every_address=(not ranges and not unknown) or _covers_everywhere(ranges),
            ranges=tuple(ranges),
            ports=ports,
        )
    ]


def egress_allows(resource_type: str, props: Mapping[str, Any]) -> list[EgressAllow]:
    """Every egress allow ``props`` declares, for the resource types the pack knows; [] for any other type. Allows
    on the same ports with no host match are also judged together: ``0.0.0.0/1`` in one rule and ``128.0.0.0/1``
    in another allow every address between them."""
    allows = _egress_allows(resource_type, props)
    return allows + _together(allows)


def _with_coverage(allow: EgressAllow) -> EgressAllow:
    if allow.coverage is not None or not allow.ranges:
        return allow
    return replace(allow, coverage=ranges_coverage(allow.ranges))


def _together(allows: Sequence[EgressAllow]) -> list[EgressAllow]:
    by_ports: dict[str, list[EgressAllow]] = {}
    for allow in allows:
        if allow.hosts or allow.handshake_only or allow.every_address or not allow.ranges:
            continue
        by_ports.setdefault(allow.ports, []).append(_with_coverage(allow))
    found = []
    for ports, group in by_ports.items():
        if len(group) < 2:
            continue
        union = Coverage()
        for allow in group:
            assert allow.coverage is not None
            union = union.union(allow.coverage)
        if union.everywhere:
            found.append(
                EgressAllow(
                    where=" + ".join(allow.where for allow in group) + " (together)",
                    every_address=True,
                    ranges=tuple(cidr for allow in group for cidr in allow.ranges),
                    ports=ports,
                    coverage=union,
                )
            )
    return found


def _egress_allows(resource_type: str, props: Mapping[str, Any]) -> list[EgressAllow]:
    if resource_type in (AWS_SECURITY_GROUP, AWS_DEFAULT_SECURITY_GROUP):
        return _security_group_egress(props.get("egress"), "egress")
    if resource_type == AWS_SECURITY_GROUP_RULE:
        if str(props.get("type", "")).lower() != "egress":
            return []
        return [replace(allow, where="cidrBlocks/ipv6CidrBlocks") for allow in _security_group_egress([props], "rule")]
    if resource_type == AWS_EGRESS_RULE:
        ranges = [value for value in (props.get("cidrIpv4"), props.get("cidrIpv6")) if isinstance(value, str)]
        return [
            EgressAllow(
                where="cidrIpv4/cidrIpv6",
                every_address=_covers_everywhere(ranges),
                ranges=tuple(ranges),
                ports=_port_text(props.get("ipProtocol"), props.get("fromPort"), props.get("toPort")),
            )
        ]
    if resource_type == AWS_RULE_GROUP:
        return _rule_group_allows(props)
    if resource_type == GCP_FIREWALL:
        return _gcp_classic_allow(props)
    if resource_type in GCP_RULE_TYPES:
        allow = _gcp_rule_allow(props, "match", default_direction="")
        return [allow] if allow else []
    if resource_type in GCP_WITH_RULES_TYPES:
        found = []
        for index, rule in enumerate(_items(props.get("rules"))):
            if isinstance(rule, Mapping):
                # The WithRules API defaults a rule's direction to INGRESS.
                allow = _gcp_rule_allow(rule, f"rules[{index}]", default_direction="INGRESS")
                if allow:
                    found.append(allow)
        return found
    return []


# --- the checks -----------------------------------------------------------------------------------------------


def allow_all_egress(
    resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None
) -> list[str]:
    """Egress allowed to every address without a host match, and Network Firewall policies that pass by default.

    A rule that also matches names (an SNI, a Host, an FQDN) is not an allow-all: the names bound it, and
    ``hosts_outside_catalog`` judges them. A Cloud NGFW rule ORs its destinations, so ``destFqdns`` beside
    ``0.0.0.0/0`` still allows everything. A ``tcp`` pass with ``flow:not_established`` passes only the TCP
    handshake (sep-egress's guard group does so, so that the SNI can be read), and a pass gated by a flowbit that
    ``RuleChain`` can trust passes only what the rules setting it bound: neither is an allow-all.

    ``config``: the policy's own configuration; its ``enforcement`` decides what a firewall policy's defaults must
    do (``_policy_defaults``), and every problem in it is reported, so that a typo cannot relax the check.
    """
    pack_config = PackConfig.from_mapping(config)
    violations = list(pack_config.problems)
    if resource_type == AWS_FIREWALL_POLICY:
        violations += _policy_defaults(props, pack_config.enforcement)
    gcp = resource_type in GCP_RULE_TYPES or resource_type in GCP_WITH_RULES_TYPES
    for allow in egress_allows(resource_type, props):
        if not allow.every_address or allow.handshake_only:
            continue
        if allow.hosts and not gcp:
            continue
        if gcp and allow.logged and pack_config.enforcement == "observe":
            # Observe mode: sep-egress turns its default deny into a logged allow at the same place, so that the
            # logs show what enforce would refuse. Logged, it is what the stack asked for; unlogged, it stays a
            # violation (and in enforce mode every allow-all does).
            continue
        violations.append(
            f"{allow.where}: allows egress to every address ({_everywhere_text(allow)}), {allow.ports}."
            f"{_coverage_text(allow)} Allow only the vendor's hosts (sep-egress's components compile them) or name "
            "the destination ranges."
        )
    return violations


def _everywhere_text(allow: EgressAllow) -> str:
    return ", ".join(allow.ranges) if allow.ranges else "no destination given"


def _coverage_text(allow: EgressAllow) -> str:
    coverage = _with_coverage(allow).coverage
    return f" Together the destinations cover {coverage.describe()}." if coverage is not None else ""


def _policy_defaults(props: Mapping[str, Any], enforcement: str = "enforce") -> list[str]:
    """What a firewall policy's defaults let through: an ``aws:pass`` stateless default, and, under
    ``STRICT_ORDER``, stateful defaults that do not drop what no rule matched. In observe mode defaults that log it
    (an ``aws:alert_*`` action) are enough, as sep-egress compiles them then; defaults that neither drop nor log
    are not (``wider_than_vendor`` notes the observed policy)."""
    policy = props.get("firewallPolicy")
    violations = []
    for key in ("statelessDefaultActions", "statelessFragmentDefaultActions"):
        if "aws:pass" in _strings(_get(policy, key)):
            violations.append(
                f"firewallPolicy.{key}: aws:pass lets every packet no stateless rule matches out without "
                "inspection; use aws:forward_to_sfe"
            )
    order = _get(policy, "statefulEngineOptions", "ruleOrder")
    defaults = _get(policy, "statefulDefaultActions")
    if order == "STRICT_ORDER" and defaults is not UNKNOWN:
        actions = set(_strings(defaults))
        if actions & DROP_DEFAULT_ACTIONS:
            return violations
        if enforcement == "observe":
            if not _alert_actions(actions):
                violations.append(
                    "firewallPolicy.statefulDefaultActions: under STRICT_ORDER, traffic no rule matches passes; in "
                    "observe mode a default action must at least log it: add aws:alert_established_app_layer_to_server "
                    "(or aws:drop_established_app_layer_to_server with it, to enforce)"
                )
        else:
            violations.append(
                "firewallPolicy.statefulDefaultActions: under STRICT_ORDER, traffic no rule matches passes unless a "
                "default action drops it; add aws:drop_established_app_layer (with aws:alert_established_app_layer)"
                + (
                    f"; the policy only logs it ({', '.join(sorted(_alert_actions(actions)))}), which only a stack "
                    "in observe mode may do (policy config enforcement: observe)"
                    if _alert_actions(actions)
                    else ""
                )
            )
    return violations


def _alert_actions(actions: set[str]) -> set[str]:
    return {action for action in actions if action.startswith("aws:alert_")}


def _observed_defaults(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Advisory: a firewall policy whose stateful defaults, under ``STRICT_ORDER``, log but do not drop what no
    rule matched: everything outside the rules passes (observe mode)."""
    if resource_type != AWS_FIREWALL_POLICY:
        return []
    policy = props.get("firewallPolicy")
    defaults = _get(policy, "statefulDefaultActions")
    if _get(policy, "statefulEngineOptions", "ruleOrder") != "STRICT_ORDER" or defaults is UNKNOWN:
        return []
    actions = set(_strings(defaults))
    alerts = _alert_actions(actions)
    if actions & DROP_DEFAULT_ACTIONS or not alerts:
        return []
    return [
        f"firewallPolicy.statefulDefaultActions: {', '.join(sorted(alerts))} only: traffic no rule matches passes "
        "and is logged, not dropped (observe mode); set sep-egress:enforcement to enforce once the logs are "
        "explained (docs/rollout.md)"
    ]


def hosts_outside_catalog(
    resource_type: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    catalog: CatalogHosts | None = None,
) -> list[str]:
    """Names an allow admits that are neither in the catalog nor declared in the policy config."""
    pack_config = PackConfig.from_mapping(config)
    violations = list(pack_config.problems)
    allowlist = Allowlist(catalog or load_catalog_hosts(), pack_config)
    for allow in egress_allows(resource_type, props):
        for host in allow.hosts:
            problem = _undeclared(host, allowlist)
            if problem:
                violations.append(f"{allow.where}: {problem}")
    return violations


def _undeclared(host: HostMatch, allowlist: Allowlist) -> str | None:
    declare = "add it to an overlay and declare it in the policy config (allowedHosts / allowedDomainSuffixes)"
    if host.kind == "pattern":
        return (
            f"{host.buffer} pcre {host.name} cannot be compared with the catalog; match exact names with content "
            "(startswith; endswith)"
        )
    if host.kind == "suffix":
        if allowlist.admits_suffix(host.name) or allowlist.admits_exact(host.name):
            # A suffix over a declared host is wider, not foreign: wider_than_vendor says so.
            return None
        return (
            f"{host.buffer} .{host.name} (a domain and all its subdomains) is not in catalog "
            f"{_version(allowlist)}; {declare}"
        )
    if allowlist.admits_exact(host.name):
        return None
    return f"{host.buffer} {host.name} is not in catalog {_version(allowlist)}; {declare}"


def _version(allowlist: Allowlist) -> str:
    return allowlist.catalog.version


def wider_than_vendor(
    resource_type: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    catalog: CatalogHosts | None = None,
) -> list[str]:
    """Advisory: allows that admit more than the vendor's service, even where every name is declared, and a
    firewall policy in observe mode (whatever the config says: it is what the policy does)."""
    del config
    catalog = catalog or load_catalog_hosts()
    warnings = _observed_defaults(resource_type, props)
    for allow in egress_allows(resource_type, props):
        if allow.handshake_only:
            continue
        for host in allow.hosts:
            entry = catalog.hosts.get(host.name)
            if entry is not None and entry.shared:
                warnings.append(f"{allow.where}: {host.name} is shared: {entry.shared}")
            if host.kind == "suffix":
                reason = (
                    f"the catalog lists only the host {host.name}"
                    if entry is not None and not entry.suffix
                    else "every subdomain is allowed"
                )
                warnings.append(f"{allow.where}: .{host.name} admits {host.name} and all its subdomains ({reason})")
            elif host.kind == "substring":
                warnings.append(
                    f"{allow.where}: {host.buffer} content {host.name!r} is not anchored (startswith; endswith), so "
                    f"any name containing it passes, such as {host.name}.attacker.example"
                )
        coverage = _with_coverage(allow).coverage
        if coverage is not None and not allow.every_address and coverage.ipv4_addresses > WIDE_IPV4:
            warnings.append(
                f"{allow.where}: {', '.join(allow.ranges)} covers {coverage.describe()}, more than a /8 "
                f"({WIDE_IPV4} addresses)"
            )
        for cidr in allow.ranges:
            vip = PRIVATE_GOOGLE_ACCESS_RANGES.get(cidr.strip())
            if vip:
                warnings.append(
                    f"{allow.where}: {cidr} ({vip}) reaches every Google API through Private Google Access, not only "
                    "storage.googleapis.com"
                )
    return warnings


# --- logging of what this project makes ---------------------------------------------------------------------


def _qualified_types(urn: str | None) -> list[str]:
    # urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>
    if not urn or not urn.startswith("urn:pulumi:"):
        return []
    parts = urn.split("::")
    return parts[2].split("$") if len(parts) >= 4 else []


def made_by_sep_egress(props: Mapping[str, Any], urn: str | None = None, parent: str | None = None) -> bool:
    """Whether this project made the resource: a child of a ``sep-egress:`` component (its URN's type chain, or
    its parent's), a description starting with ``sep-egress:``, or the ``managed-by: sep-egress`` tag."""
    if any(token.startswith(PROJECT_PREFIX) for token in _qualified_types(urn) + _qualified_types(parent)):
        return True
    description = props.get("description")
    if isinstance(description, str) and description.startswith(PROJECT_PREFIX):
        return True
    return bool(_get(props, "tags", "managed-by") == "sep-egress")


def logging_off(
    resource_type: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
    *,
    urn: str | None = None,
    parent: str | None = None,
) -> list[str]:
    """Rules this project made that do not log: Cloud NGFW rules without ``enableLogging``, a classic VPC firewall
    rule without ``logConfig``, a Network Firewall logging configuration without ALERT logs."""
    del config
    ours = made_by_sep_egress(props, urn, parent)
    violations = []
    if resource_type in GCP_RULE_TYPES and ours:
        if props.get("enableLogging") is not True and props.get("enableLogging") is not UNKNOWN:
            violations.append("enableLogging: sep-egress rules must log (set enableLogging: true)")
    elif resource_type in GCP_WITH_RULES_TYPES:
        for index, rule in enumerate(_items(props.get("rules"))):
            if not isinstance(rule, Mapping):
                continue
            description = rule.get("description")
            rule_ours = ours or (isinstance(description, str) and description.startswith(PROJECT_PREFIX))
            if rule_ours and rule.get("enableLogging") is not True and rule.get("enableLogging") is not UNKNOWN:
                name = rule.get("ruleName") or rule.get("priority")
                violations.append(f"rules[{index}] ({name}): sep-egress rules must log (set enableLogging: true)")
    elif resource_type == GCP_FIREWALL and ours:
        if props.get("logConfig") is None:
            violations.append("logConfig: sep-egress firewall rules must log (set logConfig.metadata)")
    elif resource_type == AWS_LOGGING and ours:
        configs = props.get("loggingConfiguration")
        if configs is not UNKNOWN:
            types = {_get(item, "logType") for item in _items(_get(configs, "logDestinationConfigs"))}
            if "ALERT" not in types and UNKNOWN not in types:
                violations.append(
                    "loggingConfiguration.logDestinationConfigs: no ALERT destination; the allowlist's drops and "
                    "alerts would go unrecorded"
                )
    return violations


@dataclass(frozen=True, slots=True)
class StackResource:
    """What a stack check needs of one resource (built from a ``PolicyResource``, or by hand in tests)."""

    resource_type: str
    urn: str
    props: Mapping[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()


def firewalls_without_logging(resources: Sequence[StackResource]) -> list[tuple[str, str]]:
    """``(message, urn)`` for every Network Firewall this project made that no logging configuration points at.

    A logging configuration points at a firewall when it depends on it (its ``firewallArn`` comes from the
    firewall: true at preview, when the ARN is not known yet) or names the firewall's ARN.
    """
    loggings = [resource for resource in resources if resource.resource_type == AWS_LOGGING]
    violations = []
    for firewall in resources:
        if firewall.resource_type != AWS_FIREWALL:
            continue
        if not made_by_sep_egress(firewall.props, firewall.urn, firewall.parent):
            continue
        arn = firewall.props.get("arn")
        covered = any(
            firewall.urn in logging.dependencies or (isinstance(arn, str) and logging.props.get("firewallArn") == arn)
            for logging in loggings
        )
        if not covered:
            violations.append(
                (
                    f"{firewall.urn}: this sep-egress Network Firewall has no logging configuration; set the "
                    "component's logging (ALERT to CloudWatch Logs or S3) so drops of unlisted hosts are recorded",
                    firewall.urn,
                )
            )
    return violations
