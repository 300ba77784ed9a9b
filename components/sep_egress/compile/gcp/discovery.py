"""Check request bodies against a Google API discovery document, and against the limits the document only states
in prose.

The discovery document (``compute.v1.json``, ``dns.v1.json``; google-api-python-client ships them) is passed in as
parsed JSON, so this module stays free of any SDK. It walks ``schemas``: types, enums, integer formats, unknown
fields, and fields the document marks output-only. Discovery documents carry no ``required`` lists; the ones here
come from the API reference (and match the arguments pulumi-gcp declares required).
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "FirewallPolicyRule": ("priority", "action", "direction", "match"),
    "FirewallPolicyRuleMatcher": ("layer4Configs",),
    "FirewallPolicyRuleMatcherLayer4Config": ("ipProtocol",),
    "FirewallPolicyRuleSecureTag": ("name",),
    "FirewallPolicyAssociation": ("name", "attachmentTarget"),
    "Router": ("name", "network"),
    "RouterNat": ("name", "sourceSubnetworkIpRangesToNat"),
    "RouterNatRule": ("ruleNumber", "match"),
    "RouterNatSubnetworkToNat": ("name",),
    "Route": ("name", "network", "destRange"),
    "Address": ("name",),
    "ManagedZone": ("name", "dnsName", "description"),
    "ResourceRecordSet": ("name", "type", "ttl", "rrdatas"),
}
# Fields whose description says "output only" for another variant of the resource: a network policy's ``name`` is
# user-provided (only a hierarchical policy's is a server-assigned number).
SETTABLE_DESPITE_DESCRIPTION = {("FirewallPolicy", "name")}
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "uint32": (0, 2**32 - 1)}
_OUTPUT_ONLY = re.compile(r"\[Output Only\]|^Output only", re.IGNORECASE)


class DiscoveryValidator:
    """Validate bodies against the ``schemas`` of one discovery document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.schemas: Mapping[str, Any] = document["schemas"]
        self.revision = str(document.get("revision", ""))

    def errors(self, schema: str, body: Any) -> list[str]:
        """Every problem of ``body`` as a ``schema``, each as ``path: message``; empty when valid."""
        problems: list[str] = []
        self._check({"$ref": schema}, body, schema, problems)
        return problems

    def _check(self, spec: Mapping[str, Any], value: Any, path: str, problems: list[str]) -> None:
        if "$ref" in spec:
            name = spec["$ref"]
            resolved = self.schemas.get(name)
            if resolved is None:
                problems.append(f"{path}: unknown schema {name}")
                return
            self._check_object(name, resolved, value, path, problems)
            return
        kind = spec.get("type")
        if kind == "object":
            if not isinstance(value, Mapping):
                problems.append(f"{path}: expected an object, got {type(value).__name__}")
                return
            if "properties" in spec:
                self._check_object(path, spec, value, path, problems)
            elif "additionalProperties" in spec:
                for key, item in value.items():
                    self._check(spec["additionalProperties"], item, f"{path}.{key}", problems)
        elif kind == "array":
            if not isinstance(value, list):
                problems.append(f"{path}: expected an array, got {type(value).__name__}")
                return
            for index, item in enumerate(value):
                self._check(spec.get("items", {}), item, f"{path}[{index}]", problems)
        elif kind == "string":
            if not isinstance(value, str):
                problems.append(f"{path}: expected a string, got {type(value).__name__}")
            elif "enum" in spec and value not in spec["enum"]:
                problems.append(f"{path}: {value!r} is not one of {', '.join(spec['enum'])}")
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(f"{path}: expected an integer, got {type(value).__name__}")
            elif spec.get("format") in _INT_RANGES:
                low, high = _INT_RANGES[spec["format"]]
                if not low <= value <= high:
                    problems.append(f"{path}: {value} is out of {spec['format']} range")
        elif kind == "boolean":
            if not isinstance(value, bool):
                problems.append(f"{path}: expected a boolean, got {type(value).__name__}")
        elif kind == "number" and (not isinstance(value, int | float) or isinstance(value, bool)):
            problems.append(f"{path}: expected a number, got {type(value).__name__}")

    def _check_object(self, name: str, spec: Mapping[str, Any], value: Any, path: str, problems: list[str]) -> None:
        if not isinstance(value, Mapping):
            problems.append(f"{path}: expected a {name} object, got {type(value).__name__}")
            return
        properties: Mapping[str, Any] = spec.get("properties", {})
        for key in REQUIRED_FIELDS.get(name, ()):
            if key not in value:
                problems.append(f"{path}: {name}.{key} is required")
        for key, item in value.items():
            if key not in properties:
                problems.append(f"{path}.{key}: not a field of {name}")
                continue
            field = properties[key]
            if _OUTPUT_ONLY.search(field.get("description", "")) and (name, key) not in SETTABLE_DESPITE_DESCRIPTION:
                problems.append(f"{path}.{key}: output only, cannot be set")
                continue
            self._check(field, item, f"{path}.{key}", problems)


def firewall_policy_limit_errors(policy: Mapping[str, Any], observe: bool = False) -> list[str]:
    """The limits the Compute API states in prose for a ``FirewallPolicy`` body and its rules, and ours: no allow to
    every address, except (``observe``) the observed default deny, which must log."""
    problems: list[str] = []
    priorities: set[int] = set()
    for index, rule in enumerate(policy.get("rules", [])):
        where = f"rules[{index}]"
        priority = rule.get("priority")
        if not isinstance(priority, int) or not 0 <= priority <= 2147483547:
            problems.append(f"{where}: priority {priority!r} is outside 0..2147483547 (the rest is reserved)")
        elif priority in priorities:
            problems.append(f"{where}: priority {priority} is used twice")
        else:
            priorities.add(priority)
        match = rule.get("match", {})
        fqdns = match.get("destFqdns", [])
        if len(fqdns) > 100:
            problems.append(f"{where}: {len(fqdns)} destFqdns, at most 100")
        if len(set(fqdns)) != len(fqdns):
            problems.append(f"{where}: a destFqdn is listed twice")
        for fqdn in fqdns:
            if "*" in fqdn or fqdn.startswith(".") or fqdn != fqdn.lower():
                problems.append(f"{where}: {fqdn!r} is not an exact lower-case name (FQDN objects take no wildcards)")
        ranges = match.get("destIpRanges", [])
        if len(ranges) > 5000:
            problems.append(f"{where}: {len(ranges)} destIpRanges, at most 5000")
        versions = {ipaddress.ip_network(cidr).version for cidr in ranges}
        if len(versions) > 1:
            problems.append(f"{where}: IPv4 and IPv6 ranges in one rule")
        if rule.get("action") == "allow" and any(ipaddress.ip_network(cidr).prefixlen == 0 for cidr in ranges):
            if not observe:
                problems.append(f"{where}: an allow rule to every address")
            elif rule.get("enableLogging") is not True:
                problems.append(f"{where}: an observed default deny (allow to every address) that does not log")
        if rule.get("direction") == "EGRESS" and not fqdns and not ranges and not match.get("destAddressGroups"):
            problems.append(f"{where}: an egress rule without destination")
        tags = rule.get("targetSecureTags", [])
        accounts = rule.get("targetServiceAccounts", [])
        if tags and accounts:
            problems.append(f"{where}: targetSecureTags and targetServiceAccounts together")
        if not tags and not accounts:
            problems.append(f"{where}: no target: the rule would apply to every VM of the network")
        if len(tags) > 256:
            problems.append(f"{where}: {len(tags)} targetSecureTags, at most 256")
        if rule.get("action") in ("allow", "deny") and rule.get("enableLogging") is not True:
            problems.append(f"{where}: logging is off")
    return problems


def nat_limit_errors(nat: Mapping[str, Any]) -> list[str]:
    """The NAT-rule conditions: MANUAL_ONLY addresses, endpoint-independent mapping off, numbers unique in 0..65000,
    destination ranges that do not overlap, rule addresses not shared with the gateway's."""
    problems: list[str] = []
    rules: Sequence[Mapping[str, Any]] = nat.get("rules", [])
    if nat.get("natIpAllocateOption") != "MANUAL_ONLY":
        problems.append("natIpAllocateOption: NAT rules need MANUAL_ONLY")
    if nat.get("enableEndpointIndependentMapping") is not False:
        problems.append("enableEndpointIndependentMapping: must be false")
    if not nat.get("logConfig", {}).get("enable"):
        problems.append("logConfig: logging is off")
    numbers: set[int] = set()
    spans: list[tuple[int, int, str]] = []
    gateway_ips = set(nat.get("natIps", []))
    for index, rule in enumerate(rules):
        number = rule.get("ruleNumber")
        if not isinstance(number, int) or not 0 <= number <= 65000:
            problems.append(f"rules[{index}]: ruleNumber {number!r} is outside 0..65000")
        elif number in numbers:
            problems.append(f"rules[{index}]: ruleNumber {number} is used twice")
        else:
            numbers.add(number)
        cidrs = re.findall(r"inIpRange\(destination\.ip, '([^']+)'\)", rule.get("match", ""))
        if not cidrs:
            problems.append(f"rules[{index}]: match has no inIpRange(destination.ip, ...)")
        for cidr in cidrs:
            network = ipaddress.ip_network(cidr)
            spans.append((int(network.network_address), int(network.broadcast_address), cidr))
        active = rule.get("action", {}).get("sourceNatActiveIps", [])
        if not active:
            problems.append(f"rules[{index}]: no sourceNatActiveIps")
        if gateway_ips.intersection(active):
            problems.append(f"rules[{index}]: an address is both a gateway natIp and a rule address")
    spans.sort()
    for (_, end, cidr), (start, _, other) in itertools.pairwise(spans):
        if start <= end:
            problems.append(f"{other} overlaps {cidr}")
    return problems
