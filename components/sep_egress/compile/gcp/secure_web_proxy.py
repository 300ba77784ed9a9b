"""Plan -> Secure Web Proxy: an explicit proxy for the names Cloud NGFW FQDN objects cannot hold.

An FQDN object programs at most 32 IPv4 addresses per name; the S3 host names and storage.googleapis.com rotate
through far larger pools. A Secure Web Proxy matches the name the client asks for (``host()``: the target of an
HTTP CONNECT, the Host header of a plain HTTP request) and resolves it itself, so no address list is involved
(https://cloud.google.com/secure-web-proxy/docs/cel-matcher-language-reference).

The output is shaped like the Network Services ``Gateway`` and Network Security ``GatewaySecurityPolicy`` /
``GatewaySecurityPolicyRule`` request bodies (the discovery documents google-api-python-client ships):

- a gateway of type ``SECURE_WEB_GATEWAY`` in ``EXPLICIT_ROUTING_MODE`` on one internal IPv4 address and port;
- its gateway security policy, with no TLS inspection policy: SEP pins its certificates, so a proxy that
  decrypted and re-signed would break it;
- one ``ALLOW`` rule per (machine kind group, port set, hash bucket of names); a rule matches the kind's service
  accounts or secure tag values (``source.matchServiceAccount`` / ``source.matchTag``), the ports and the names.
  Anything no rule allows is denied: "by default, Secure Web Proxy is configured to deny all egress web traffic
  (HTTP or HTTPS) through the proxy unless you include specific rules in the policy"
  (https://cloud.google.com/secure-web-proxy/docs/policies-overview);
- optionally the region's proxy-only subnet (``purpose REGIONAL_MANAGED_PROXY``), which the gateway needs.

Rule identity and priorities follow the firewall's scheme: a rule's priority is computed from its own identity
(the kinds' bit mask, the port key, the bucket's hash prefix), never from a position, so adding or removing a name
touches the one bucket it hashes to. A port set's key comes from the set alone (no probing: a collision of two
multi-port hashes is refused), so no rule id or priority moves when another port set appears. A bucket holds as
many names as the matcher's logical-operator quota leaves room for (``session_matcher.MAX_LOGICAL_OPERATORS``).
Rule ids use letters and hyphens only, as the API's rule id parameter states ("valid characters are /a-z-/",
``gatewaySecurityPolicies.rules.create``).

Which names go through the proxy is ``firewall.proxied_names``: the same function takes them out of the firewall
policy's FQDN rules, so the two controls never disagree on a name.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ...catalog.vendor.plan import EgressPlan
from .firewall import bucketize, proxied_names, stable_hash
from .options import (
    KIND_ROLES,
    MACHINE_KINDS,
    NETWORK_PROJECT,
    PROXY_NAMES,
    REGION,
    RESOURCE_NAME,
    GcpSpecError,
    GcpWarning,
    MachineKind,
    ProxyNames,
    ProxyRoute,
    RoleTarget,
    check_bool,
    check_str,
    is_stand_in,
    machine_targets,
)
from .session_matcher import MAX_LOGICAL_OPERATORS, any_of, logical_operators, quoted

ROUTING_MODE = "EXPLICIT_ROUTING_MODE"
MAX_BUCKET_DEPTH = 7
# A proxy-only subnet has at least 64 addresses, a /26 or a shorter prefix; Google's example uses a /23
# (https://cloud.google.com/load-balancing/docs/proxy-only-subnets). Secure Web Proxy needs one (same page).
PROXY_ONLY_MAX_PREFIX = 26
SUBNETWORK_PATH = (
    r"(?:https://(?:www|compute)\.googleapis\.com/compute/v1/)?"
    r"projects/([a-z](?:[-a-z0-9.:]{0,61}[a-z0-9])?)/regions/([a-z][-a-z0-9]{0,62})/subnetworks/"
    r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?"
)
_KIND_BIT = {kind: 1 << index for index, kind in enumerate(MACHINE_KINDS)}


def _relative(path: str) -> str:
    """A network or subnetwork as the relative resource name the Network Services API takes."""
    marker = path.find("projects/")
    return path[marker:] if marker > 0 else path


@dataclass(frozen=True, slots=True)
class SecureWebProxyOptions:
    """How the Secure Web Proxy is built.

    - ``region``, ``network`` (``projects/p/global/networks/n``), ``subnetwork``
      (``projects/p/regions/r/subnetworks/s``, in ``region``): where the gateway takes its address.
    - ``address``: the gateway's internal IPv4 address in that subnetwork (required: the firewall allows the
      machines to it, so it must be known when compiling); ``port``: the port SEP clients are configured with.
    - ``names``: ``address-limited`` (default: only the names an FQDN object cannot hold) or ``all``.
    - ``name``: prefix of the gateway (``<name>-swp``), policy (``<name>-swp-policy``) and subnet names.
    - ``proxy_only_subnet_range``: create the region's proxy-only subnet with this IPv4 range (``/26`` or
      larger); None (default) when one already exists in the region and network (a region and network hold one
      active proxy-only subnet, shared with every Envoy-based load balancer there).
    - ``private_google_access``: storage.googleapis.com goes through Private Google Access, not the proxy (must
      match the firewall policy's option of the same name).
    - ``skip_roles``: machine kinds that do not run here (as the firewall's option).
    - ``routing_mode``: ``EXPLICIT_ROUTING_MODE`` only (``NEXT_HOP_ROUTING_MODE`` is refused, see docs/gcp.md).
    """

    region: str
    network: str
    subnetwork: str
    address: str
    port: int = 443
    names: ProxyNames = "address-limited"
    name: str = "sep-egress"
    proxy_only_subnet_range: str | None = None
    private_google_access: bool = False
    skip_roles: tuple[str, ...] = ()
    routing_mode: str = ROUTING_MODE

    def __post_init__(self) -> None:
        for key in ("region", "network", "subnetwork", "name", "routing_mode"):
            check_str(f"options.{key}", getattr(self, key))
        check_str("options.proxy_only_subnet_range", self.proxy_only_subnet_range, optional=True)
        check_bool("options.private_google_access", self.private_google_access)
        ProxyRoute.parse("options", {"address": self.address, "port": self.port, "names": self.names})
        if not RESOURCE_NAME.fullmatch(self.name) or len(self.name) > 40:
            raise GcpSpecError("options.name", f"{self.name!r} is not an RFC 1035 name of at most 40 characters")
        if not REGION.fullmatch(self.region):
            raise GcpSpecError("options.region", f"{self.region!r} is not a region such as 'europe-west1'")
        if not NETWORK_PROJECT.fullmatch(self.network):
            raise GcpSpecError("options.network", f"{self.network!r} is not a network ('projects/p/global/networks/n')")
        self._check_routing_mode()
        self._check_subnetwork()
        self._check_proxy_only_range()
        for index, kind in enumerate(self.skip_roles):
            if kind not in MACHINE_KINDS:
                raise GcpSpecError(f"options.skip_roles[{index}]", f"{kind!r}; choose among {', '.join(MACHINE_KINDS)}")

    def _check_routing_mode(self) -> None:
        """Explicit proxy only: as a next hop, the firewall policy would see the real destination addresses of the
        proxied names and would have to allow every address on their ports, which this project never emits."""
        if self.routing_mode == ROUTING_MODE:
            return
        if self.routing_mode == "NEXT_HOP_ROUTING_MODE":
            raise GcpSpecError(
                "options.routing_mode",
                "NEXT_HOP_ROUTING_MODE is not offered: routed traffic keeps its destination address, so the firewall "
                "policy would have to allow these machines to every address on the proxied ports (an allow-all the "
                "project never emits), and the route that steers it to the proxy selects VMs by network tag, not "
                "by the secure tags or service accounts the rules use; use EXPLICIT_ROUTING_MODE",
            )
        raise GcpSpecError("options.routing_mode", f"{self.routing_mode!r}; choose {ROUTING_MODE}")

    def _check_subnetwork(self) -> None:
        found = re.fullmatch(SUBNETWORK_PATH, self.subnetwork)
        if found is None:
            raise GcpSpecError(
                "options.subnetwork",
                f"{self.subnetwork!r} is not a subnetwork path ('projects/p/regions/r/subnetworks/s')",
            )
        if not is_stand_in(self.subnetwork) and found.group(2) != self.region:
            raise GcpSpecError(
                "options.subnetwork",
                f"{self.subnetwork!r} is not in {self.region}: a Secure Web Proxy takes its address from a subnet "
                "of its own region",
            )

    def _check_proxy_only_range(self) -> None:
        if self.proxy_only_subnet_range is None:
            return
        try:
            network = ipaddress.IPv4Network(self.proxy_only_subnet_range)
        except ValueError:
            raise GcpSpecError(
                "options.proxy_only_subnet_range",
                f"{self.proxy_only_subnet_range!r} is not an IPv4 network such as 10.129.0.0/23",
            ) from None
        if str(network) != self.proxy_only_subnet_range or not network.is_private:
            raise GcpSpecError(
                "options.proxy_only_subnet_range", f"{self.proxy_only_subnet_range!r} is not a canonical private range"
            )
        if network.prefixlen > PROXY_ONLY_MAX_PREFIX:
            raise GcpSpecError(
                "options.proxy_only_subnet_range",
                f"/{network.prefixlen} is too small: a proxy-only subnet is a /{PROXY_ONLY_MAX_PREFIX} or larger "
                "(Google's example uses a /23)",
            )
        if ipaddress.IPv4Address(self.address) in network:
            raise GcpSpecError(
                "options.address",
                f"{self.address} lies in the proxy-only subnet; give an address of options.subnetwork",
            )

    @property
    def route(self) -> ProxyRoute:
        """What the firewall policy needs to allow the machines to the proxy."""
        return ProxyRoute(address=self.address, port=self.port, names=self.names)

    @property
    def gateway_name(self) -> str:
        return f"{self.name}-swp"

    @property
    def policy_name(self) -> str:
        return f"{self.name}-swp-policy"

    @property
    def proxy_only_subnet_name(self) -> str:
        return f"{self.name}-swp-proxy-only"


@dataclass(frozen=True, slots=True)
class ProxyGroup:
    """Machine kinds with identical targets (as the firewall's target groups), and the roles they play."""

    mask: int
    kinds: tuple[MachineKind, ...]
    roles: tuple[str, ...]
    target: RoleTarget


@dataclass(frozen=True, slots=True)
class ProxyRule:
    """One ``ALLOW`` rule of the gateway security policy, with the identity its priority came from."""

    rule_id: str
    priority: int
    description: str
    session_matcher: str
    kinds: tuple[MachineKind, ...]
    ports: tuple[int, ...]
    hosts: tuple[str, ...]

    def to_api(self, policy: str) -> dict[str, Any]:
        """The ``GatewaySecurityPolicyRule`` body under ``policy`` (its full resource name)."""
        return {
            "name": f"{policy}/rules/{self.rule_id}",
            "description": self.description,
            "enabled": True,
            "priority": self.priority,
            "sessionMatcher": self.session_matcher,
            "basicProfile": "ALLOW",
            "tlsInspectionEnabled": False,
        }


@dataclass(frozen=True, slots=True)
class SecureWebProxySpec:
    """The compiled proxy: gateway, policy, rules in priority order, the optional proxy-only subnet, warnings."""

    options: SecureWebProxyOptions
    groups: tuple[ProxyGroup, ...]
    rules: tuple[ProxyRule, ...]
    hosts: tuple[str, ...]
    warnings: tuple[GcpWarning, ...]

    def location(self, project: str) -> str:
        return f"projects/{project}/locations/{self.options.region}"

    def policy_path(self, project: str) -> str:
        return f"{self.location(project)}/gatewaySecurityPolicies/{self.options.policy_name}"

    def gateway_to_api(self, project: str) -> dict[str, Any]:
        """The ``Gateway`` body: explicit proxy, no certificate (no TLS inspection, no TLS to the proxy)."""
        return {
            "name": f"{self.location(project)}/gateways/{self.options.gateway_name}",
            "description": "sep-egress: Secure Web Proxy for the vendor names FQDN objects cannot hold",
            "type": "SECURE_WEB_GATEWAY",
            "routingMode": self.options.routing_mode,
            "ports": [self.options.port],
            "addresses": [self.options.address],
            "network": _relative(self.options.network),
            "subnetwork": _relative(self.options.subnetwork),
            "gatewaySecurityPolicy": self.policy_path(project),
        }

    def policy_to_api(self, project: str) -> dict[str, Any]:
        """The ``GatewaySecurityPolicy`` body, without ``tlsInspectionPolicy``."""
        return {
            "name": self.policy_path(project),
            "description": "sep-egress: the vendor host names each SEP machine kind may reach through the proxy",
        }

    def rules_to_api(self, project: str) -> list[dict[str, Any]]:
        return [rule.to_api(self.policy_path(project)) for rule in self.rules]

    def proxy_only_subnet_to_api(self) -> dict[str, Any] | None:
        """The Compute ``Subnetwork`` body of the proxy-only subnet, when it is created."""
        if self.options.proxy_only_subnet_range is None:
            return None
        return {
            "name": self.options.proxy_only_subnet_name,
            "description": "sep-egress: proxy-only subnet of the Secure Web Proxy",
            "ipCidrRange": self.options.proxy_only_subnet_range,
            "network": self.options.network,
            "region": self.options.region,
            "purpose": "REGIONAL_MANAGED_PROXY",
            "role": "ACTIVE",
        }

    @property
    def route(self) -> ProxyRoute:
        return self.options.route

    def to_dict(self, project: str = "PROJECT") -> dict[str, Any]:
        result: dict[str, Any] = {
            "gateway": self.gateway_to_api(project),
            "gatewaySecurityPolicy": self.policy_to_api(project),
            "rules": self.rules_to_api(project),
            "hosts": list(self.hosts),
            "warnings": [warning.to_dict() for warning in self.warnings],
        }
        subnet = self.proxy_only_subnet_to_api()
        if subnet is not None:
            result["proxyOnlySubnet"] = subnet
        return result

    def to_json(self, project: str = "PROJECT") -> str:
        """Canonical JSON: sorted keys, two-space indent, trailing newline."""
        return json.dumps(self.to_dict(project), indent=2, sort_keys=True) + "\n"


def compile_secure_web_proxy(
    plan: EgressPlan, targets: Mapping[str, RoleTarget], options: SecureWebProxyOptions
) -> SecureWebProxySpec:
    """Compile the proxy. Raises ``GcpSpecError`` naming the argument for anything it cannot express."""
    served = proxied_names(plan, options.names, options.private_google_access)
    if not served:
        raise GcpSpecError(
            "options.names",
            f"no name of the plan goes through the proxy with names {options.names!r} (private_google_access "
            f"{str(options.private_google_access).lower()}): a Secure Web Proxy here would cost without serving; "
            "remove it, or choose names 'all'",
        )
    groups = proxy_groups(plan, targets, options.skip_roles)
    rules: list[ProxyRule] = []
    for group in groups:
        rules.extend(_group_rules(plan, group, served))
    rules.sort(key=lambda rule: rule.priority)
    _check_rules(rules)
    hosts = tuple(sorted({host for rule in rules for host in rule.hosts}))
    return SecureWebProxySpec(
        options=options, groups=groups, rules=tuple(rules), hosts=hosts, warnings=_warnings(plan, options, hosts)
    )


def proxy_groups(
    plan: EgressPlan, targets: Mapping[str, RoleTarget], skip: Sequence[str] = ()
) -> tuple[ProxyGroup, ...]:
    """Machine kinds grouped by identical targets, with the firewall's masks (``machine_targets`` checks them)."""
    by_kind = machine_targets(plan.roles, targets, skip)
    by_target: dict[RoleTarget, list[MachineKind]] = {}
    for kind in MACHINE_KINDS:
        if kind in by_kind:
            by_target.setdefault(by_kind[kind], []).append(kind)
    groups = [
        ProxyGroup(
            mask=sum(_KIND_BIT[kind] for kind in kinds),
            kinds=tuple(kinds),
            roles=tuple(role for kind in kinds for role in KIND_ROLES[kind] if role in plan.roles),
            target=target,
        )
        for target, kinds in by_target.items()
    ]
    return tuple(sorted(groups, key=lambda group: group.mask))


def source_matcher(target: RoleTarget) -> str:
    """The machines of a target: any of its service accounts, or any of its secure tag values."""
    if target.service_accounts:
        return any_of([f"source.matchServiceAccount({quoted(account)})" for account in target.service_accounts])
    return any_of([f"source.matchTag({quoted(tag)})" for tag in target.secure_tags])


def host_terms(item: str) -> list[str]:
    """One bucket item as host tests: ``host`` exactly, or ``.domain`` as the domain and every subdomain."""
    if item.startswith("."):
        return [f"host() == {quoted(item[1:])}", f"host().endsWith({quoted(item)})"]
    return [f"host() == {quoted(item)}"]


def letters(number: int) -> str:
    """``number`` in base 26 with the letters a..z (rule ids take letters and hyphens only)."""
    digits = ""
    while True:
        number, remainder = divmod(number, 26)
        digits = chr(ord("a") + remainder) + digits
        if number == 0:
            return digits


def _group_rules(plan: EgressPlan, group: ProxyGroup, served: frozenset[str]) -> list[ProxyRule]:
    """The group's rules: served names sharing a port set, in hash buckets that fit the operator quota."""
    item_ports: dict[str, set[int]] = {}
    for allow in plan.allow:
        if allow.host in served and set(allow.roles) & set(group.roles):
            item = f".{allow.host}" if allow.match == "suffix" else allow.host
            item_ports.setdefault(item, set()).add(allow.port)
    by_ports: dict[tuple[int, ...], list[str]] = {}
    for item, item_port_set in item_ports.items():
        by_ports.setdefault(tuple(sorted(item_port_set)), []).append(item)
    keys = _port_keys(group, list(by_ports))
    source = source_matcher(group.target)
    rules = []
    for ports, items in sorted(by_ports.items()):
        port_test = any_of([f"destination.port == {port}" for port in ports])
        # The source and port tests and the two "&&" joining them to the names leave room for this many
        # host tests (n tests take n - 1 "||").
        room = MAX_LOGICAL_OPERATORS - logical_operators(source) - logical_operators(port_test) - 2 + 1
        per_item = 2 if any(item.startswith(".") for item in items) else 1
        limit = room // per_item
        if limit < 1:
            raise GcpSpecError(
                f"targets.{group.kinds[0]}",
                f"{len(group.target.values)} targets and {len(ports)} ports leave no room for a name in a session "
                f"matcher (at most {MAX_LOGICAL_OPERATORS} logical operators): give this machine kind fewer "
                "secure tag values or service accounts",
            )
        try:
            buckets = bucketize(items, limit, MAX_BUCKET_DEPTH)
        except OverflowError:
            raise GcpSpecError(
                "plan.allow",
                f"{len(items)} names for {', '.join(group.kinds)} on ports {ports}: more than the proxy's rule "
                "buckets hold; give this machine kind fewer targets, or send fewer names through the proxy",
            ) from None
        key = keys[ports]
        for heap, bucket in buckets:
            terms = [term for item in bucket for term in host_terms(item)]
            hosts = tuple(sorted(item.lstrip(".") for item in bucket))
            rules.append(
                ProxyRule(
                    rule_id=_rule_id(group, ports, heap),
                    priority=((group.mask * (1 << 17) + key) << 8) | heap,
                    description=(
                        f"sep-egress: {', '.join(group.roles)} to {len(hosts)} vendor host names on port(s) "
                        f"{','.join(map(str, ports))} (hash bucket {heap:b})"
                    ),
                    session_matcher=f"{source} && {port_test} && {any_of(terms)}",
                    kinds=group.kinds,
                    ports=ports,
                    hosts=hosts,
                )
            )
    return rules


def _port_keys(group: ProxyGroup, port_sets: Sequence[tuple[int, ...]]) -> dict[tuple[int, ...], int]:
    """A number per port set from the set alone: the port itself, or 65536 + a 16-bit hash of several ports. Two
    sets whose hashes collide are refused, never probed: a probed key would move one set's rules (and its ids and
    priorities) when the other is added, and Pulumi creates the newcomer before deleting what it replaces."""
    keys: dict[tuple[int, ...], int] = {}
    owner: dict[int, tuple[int, ...]] = {}
    for ports in sorted(port_sets):
        key = ports[0] if len(ports) == 1 else 65536 + stable_hash(",".join(map(str, ports)), 16)
        if key in owner:
            raise GcpSpecError(
                "plan.allow",
                f"the port sets {owner[key]} and {ports} of {', '.join(group.kinds)} hash to the same rule key "
                f"{key}; list one of those hosts on other ports in an overlay so that the sets differ",
            )
        owner[key] = ports
        keys[ports] = key
    return keys


def _rule_id(group: ProxyGroup, ports: tuple[int, ...], heap: int) -> str:
    """``allow-<kinds>-<each port in letters>-<bucket in letters>``: kind names are 5 letters or more, a port or
    bucket at most 4, and the bucket comes last, so distinct identities never share an id."""
    rule_id = f"allow-{'-'.join(group.kinds)}-{'-'.join(letters(port) for port in ports)}-{letters(heap)}"
    if len(rule_id) > 63:
        raise GcpSpecError(
            "plan.allow",
            f"{len(ports)} ports ({', '.join(map(str, ports))}) for the same hosts of {', '.join(group.kinds)} make a "
            "rule id longer than 63 characters; split those hosts' ports in an overlay",
        )
    return rule_id


def _check_rules(rules: Sequence[ProxyRule]) -> None:
    """Invariants no plan may break; a failure here is a compiler bug."""
    seen_priorities: set[int] = set()
    seen_ids: set[str] = set()
    for rule in rules:
        if rule.priority in seen_priorities or not 0 <= rule.priority <= 2**31 - 1:
            raise AssertionError(f"priority {rule.priority} of {rule.rule_id} is duplicated or out of range")
        if rule.rule_id in seen_ids or not 4 <= len(rule.rule_id) <= 63:
            raise AssertionError(f"rule id {rule.rule_id} is duplicated or of a length the API refuses")
        if logical_operators(rule.session_matcher) > MAX_LOGICAL_OPERATORS:
            raise AssertionError(f"{rule.rule_id} uses more than {MAX_LOGICAL_OPERATORS} logical operators")
        seen_priorities.add(rule.priority)
        seen_ids.add(rule.rule_id)


def _warnings(plan: EgressPlan, options: SecureWebProxyOptions, hosts: tuple[str, ...]) -> tuple[GcpWarning, ...]:
    """What the clients, the selection and the network must do for the proxy to work."""
    url = f"http://{options.address}:{options.port}"
    if options.names == "all":
        clients = (
            f"Configure every SEP client and manager served here to use the explicit proxy {url} for HTTP and "
            "HTTPS (the manager's and the clients' proxy settings, or a PAC file: sep-egress export pac --stack "
            "<this stack> routes every plan host there). The firewall allows "
            "these machines only to the proxy for the vendor's names."
        )
    else:
        clients = (
            f"Only these names go through the proxy {url}; the rest stay on the FQDN rules. A client configured "
            "to send every request to the proxy is denied the other names by the proxy (it has no rule for them), "
            "and one sending these names direct is denied by the firewall: send exactly these names to the proxy "
            "(sep-egress export pac --stack <this stack> writes that PAC file; or the system proxy's bypass list), "
            "or choose names 'all'."
        )
    warnings = [GcpWarning(code="gcp-swp-client-proxy", message=clients, hosts=hosts)]
    shared = tuple(sorted({rule.host for rule in plan.allow if rule.shared and rule.host in hosts}))
    if shared:
        warnings.append(
            GcpWarning(
                code="gcp-swp-shared-bucket",
                message=(
                    f"{', '.join(shared)} serves every customer's buckets: without TLS inspection the proxy sees the "
                    "name only, so the machines can reach any bucket there through it."
                ),
                hosts=shared,
            )
        )
    if not plan.proxy:
        warnings.append(
            GcpWarning(
                code="gcp-swp-selection-proxy",
                message=(
                    "The machines reach these names through a proxy but the selection says proxy: false; set "
                    "sep-egress:proxy to true so that the entries the vendor lists only for deployments behind a "
                    "proxy are selected (and allowed)."
                ),
                hosts=hosts,
            )
        )
    if options.proxy_only_subnet_range is None:
        warnings.append(
            GcpWarning(
                code="gcp-swp-proxy-only-subnet",
                message=(
                    f"No proxy-only subnet is created: one with purpose REGIONAL_MANAGED_PROXY and role ACTIVE must "
                    f"exist in {options.region} of {options.network}, or the gateway's creation fails. Set "
                    "proxy_only_subnet_range to create it."
                ),
            )
        )
    warnings.append(
        GcpWarning(
            code="gcp-swp-cloud-nat",
            message=(
                "The first Secure Web Proxy of a region and network provisions its own Cloud NAT gateway (and Cloud "
                "Router) for the proxy's egress: the proxied names leave from its addresses, not from the EgressNat "
                "addresses. An upstream allowlist by source address must list them too."
            ),
        )
    )
    warnings.append(
        GcpWarning(
            code="gcp-swp-no-tls-inspection",
            message=(
                "The proxy matches the CONNECT target and the HTTP Host header without TLS inspection (SEP pins its "
                "certificates); it cannot see URL paths, so a rule allows the whole host."
            ),
        )
    )
    return tuple(warnings)


def parse_options(value: Any) -> SecureWebProxyOptions:
    """``SecureWebProxyOptions`` from a mapping of its fields (unknown keys refused)."""
    if isinstance(value, SecureWebProxyOptions):
        return value
    if not isinstance(value, Mapping):
        raise GcpSpecError("options", "a mapping of Secure Web Proxy options")
    fields = set(SecureWebProxyOptions.__dataclass_fields__)
    unknown = sorted(set(value) - fields)
    if unknown:
        raise GcpSpecError(f"options.{unknown[0]}", f"unknown option; expected {', '.join(sorted(fields))}")
    missing = [key for key in ("region", "network", "subnetwork", "address") if key not in value]
    if missing:
        raise GcpSpecError(f"options.{missing[0]}", "required")
    given = dict(value)
    if "names" in given and given["names"] not in PROXY_NAMES:
        raise GcpSpecError("options.names", f"{given['names']!r}; choose one of {', '.join(PROXY_NAMES)}")
    if "skip_roles" in given:
        given["skip_roles"] = tuple(given["skip_roles"])
    return SecureWebProxyOptions(**cast(Any, given))
