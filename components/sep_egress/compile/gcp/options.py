"""What the GCP compilers take besides the plan: targets per machine kind, options, and the errors they raise.

Everything here is plain data, validated once: a mistake names the argument it came from (``targets.clients``,
``options.parent``) before any spec, let alone any resource, exists.

Machines, not roles
-------------------
A role is a table of the vendor's article; a machine plays several. A cloud-managed or hybrid agent needs both the
``agent`` and the ``agent-cloud`` tables, an enrolled manager both ``sepm`` and ``sepm-cloud``. A VM carries at
most one value per tag key ("A tag can only ever have one value for a given key on a particular resource",
https://cloud.google.com/resource-manager/docs/tags/tags-overview) and exactly one service account, so firewall
targets are given per *machine kind* (``MACHINE_KINDS``): every rule of a kind carries the union of its roles'
hosts. Role-keyed targets are still read when they describe the same thing (the roles of one kind with identical
targets); anything a real machine could not carry is refused.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from ...catalog.hosts import unsafe_text
from ...catalog.roles import ROLES, Role
from ...errors import SepEgressError

MachineKind = Literal["clients", "managers", "admin-workstations"]
MACHINE_KINDS: tuple[MachineKind, ...] = get_args(MachineKind)
# The roles a machine of each kind plays, in the plan's modes: clients run the SEP agent (plus the cloud table when
# hybrid- or cloud-managed), managers run SEPM (plus the cloud table when enrolled in the ICDm console), and
# administrators' workstations browse to the console.
KIND_ROLES: dict[MachineKind, tuple[Role, ...]] = {
    "clients": ("agent", "agent-cloud"),
    "managers": ("sepm", "sepm-cloud"),
    "admin-workstations": ("console",),
}
ROLE_KIND: dict[Role, MachineKind] = {role: kind for kind, roles in KIND_ROLES.items() for role in roles}

Scope = Literal["global", "regional", "folder", "organization"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
EnforcementOrder = Literal["BEFORE_CLASSIC_FIREWALL", "AFTER_CLASSIC_FIREWALL"]
ENFORCEMENT_ORDERS: tuple[EnforcementOrder, ...] = get_args(EnforcementOrder)
Enforcement = Literal["observe", "enforce"]
ENFORCEMENTS: tuple[Enforcement, ...] = get_args(Enforcement)
SuffixPolicy = Literal["refuse", "apex-only"]
SUFFIX_POLICIES: tuple[SuffixPolicy, ...] = get_args(SuffixPolicy)
GoogleAccessVip = Literal["private", "restricted"]
GOOGLE_ACCESS_VIPS: tuple[GoogleAccessVip, ...] = get_args(GoogleAccessVip)
# https://cloud.google.com/vpc/docs/configure-private-google-access#domain-options: private.googleapis.com serves
# most Google APIs; restricted.googleapis.com only the APIs VPC Service Controls supports.
GOOGLE_ACCESS_RANGES: dict[GoogleAccessVip, str] = {"private": "199.36.153.8/30", "restricted": "199.36.153.4/30"}
# An existing policy receives the rules in a reserved band of this many priorities from ``priority_band_start``
# (see firewall.PriorityLayout); the default start keeps clear of the 0..65535 range teams write by hand and of
# the policy's own default rules at 2147483548 and above.
PRIORITY_BAND_SIZE = 1 << 22
# Inside the band every port set gets a 10-bit port key (``firewall.PriorityLayout.band``): its hash, or the number
# pinned in ``options.port_keys``.
BAND_PORT_KEY_BITS = 10
DEFAULT_PRIORITY_BAND_START = 1_000_000_000
MAX_RULE_PRIORITY = 2147483547

# Secure tag values are referred to by their numeric resource name; "created:<short name>" stands for a value the
# Pulumi component creates itself, whose number only exists once it has been created.
TAG_VALUE = re.compile(r"^tagValues/[0-9]+$")
CREATED_TAG = re.compile(r"^created:[a-z][a-z0-9-]{0,62}$")
# A target value given as a ``pulumi.Output`` (a service account or tag value created in the same stack) is compiled
# as a stand-in; the component hands the Output to the rule. Rule names and priorities never read target values.
OUTPUT_TAG = re.compile(r"^pulumi-output:[a-z0-9-]{1,80}$")
OUTPUT_ACCOUNT_DOMAIN = "pulumi-output.invalid"
SERVICE_ACCOUNT = re.compile(r"^[a-z0-9][a-z0-9._+-]*@[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$")
RESOURCE_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
# Project ids are 6-30 characters; domain-scoped ones ("example.com:project") carry a prefix.
PROJECT_ID = re.compile(r"^[a-z](?:[-a-z0-9.:]{0,61}[a-z0-9])?$")
# The project of a stand-in for a network whose value is not known when compiling (a ``pulumi.Output``): it takes
# no part in the one-project check.
UNKNOWN_PROJECT = "pulumi-output"


def is_stand_in(name: str) -> bool:
    """Whether a network or subnetwork is the stand-in of a ``pulumi.Output`` (not a name to print in a message)."""
    return f"projects/{UNKNOWN_PROJECT}/" in name


# A network: its path, or its full URL (https://cloud.google.com/compute/docs/reference/rest/v1/networks); matched
# whole, so nothing but the network reaches the API (a trailing newline or a prefix is refused).
NETWORK_PROJECT = re.compile(
    r"(?:https://(?:www|compute)\.googleapis\.com/compute/v1/)?"
    r"projects/([a-z](?:[-a-z0-9.:]{0,61}[a-z0-9])?)/global/networks/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?"
)
# A subnetwork: its name, path or full URL, matched whole.
SUBNETWORK = re.compile(
    r"(?:(?:https://(?:www|compute)\.googleapis\.com/compute/v1/)?"
    r"projects/[a-z](?:[-a-z0-9.:]{0,61}[a-z0-9])?/regions/[a-z][-a-z0-9]{0,62}/subnetworks/)?"
    r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?"
)
# An existing policy: a network policy's name (or its projects/<p>/global|regions/<r>/firewallPolicies/<name>
# path), or a hierarchical policy's numeric id (or locations/global/firewallPolicies/<id>).
EXISTING_NETWORK_POLICY = re.compile(
    r"^(?:projects/[a-z][-a-z0-9]{4,28}[a-z0-9]/(?:global|regions/[a-z]+-[a-z]+[0-9]+)/firewallPolicies/)?"
    r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$"
)
EXISTING_HIERARCHICAL_POLICY = re.compile(r"^(?:locations/global/firewallPolicies/)?[0-9]{1,20}$")
REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
PARENTS: dict[Scope, re.Pattern[str]] = {
    "folder": re.compile(r"^folders/[0-9]+$"),
    "organization": re.compile(r"^organizations/[0-9]+$"),
}
MAX_TARGETS_PER_RULE = 256  # Compute API: "Maximum number of target label tags allowed is 256."


class GcpSpecError(SepEgressError):
    """A GCP argument cannot be compiled; the message starts with the argument's name."""

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        super().__init__(f"{argument}: {message}")


def check_bool(argument: str, value: Any) -> bool:
    """``value`` itself must be ``True`` or ``False``: a string such as ``"false"`` is truthy, so it is refused."""
    if not isinstance(value, bool):
        raise GcpSpecError(argument, f"{value!r} is not a boolean; write true or false (not a string or a number)")
    return value


def check_int(argument: str, value: Any) -> int:
    """``value`` must be an integer; booleans (an ``int`` subclass in Python) and numeric strings are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise GcpSpecError(argument, f"{value!r} is not an integer")
    return value


def check_str(argument: str, value: Any, *, optional: bool = False) -> str | None:
    """``value`` must be a string (or None when ``optional``) without line breaks or control characters."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise GcpSpecError(argument, f"{value!r} is not a string")
    problem = unsafe_text(value)
    if problem:
        raise GcpSpecError(argument, problem)
    return value


@dataclass(frozen=True, slots=True)
class RoleTarget:
    """The workloads that play one role: secure tag values or service accounts, never both.

    ``secure_tags`` are ``tagValues/<number>`` (a TagValue under a TagKey whose purpose is ``GCE_FIREWALL``) or
    ``created:<short name>`` for a value the Pulumi component creates. ``service_accounts`` are e-mail addresses.
    ``runs_agent`` (managers and admin workstations only): ``True`` when these machines also run the SEP agent, so
    their rules carry the agent's tables too; ``False`` when they run no client; ``None`` (not said) makes the
    compiler warn for managers (``gcp-manager-without-agent``).
    """

    secure_tags: tuple[str, ...] = ()
    service_accounts: tuple[str, ...] = ()
    runs_agent: bool | None = None

    @property
    def kind(self) -> Literal["secure_tags", "service_accounts"]:
        return "secure_tags" if self.secure_tags else "service_accounts"

    @property
    def values(self) -> tuple[str, ...]:
        return self.secure_tags or self.service_accounts

    @classmethod
    def parse(cls, argument: str, value: Any) -> RoleTarget:
        """Read ``{"secure_tags": [...]}`` or ``{"service_accounts": [...]}`` (or a ``RoleTarget``)."""
        if isinstance(value, RoleTarget):
            raw: Mapping[str, Any] = {
                "secure_tags": value.secure_tags,
                "service_accounts": value.service_accounts,
                "runs_agent": value.runs_agent,
            }
        elif isinstance(value, Mapping):
            raw = value
        else:
            raise GcpSpecError(argument, "a target is {secure_tags: [...]} or {service_accounts: [...]}")
        unknown = sorted(set(raw) - {"secure_tags", "service_accounts", "runs_agent"})
        if unknown:
            raise GcpSpecError(
                argument, f"unknown field(s) {', '.join(unknown)}; use secure_tags or service_accounts (and runs_agent)"
            )
        runs_agent = raw.get("runs_agent")
        if runs_agent is not None:
            check_bool(f"{argument}.runs_agent", runs_agent)
        tags = _string_tuple(f"{argument}.secure_tags", raw.get("secure_tags") or ())
        accounts = _string_tuple(f"{argument}.service_accounts", raw.get("service_accounts") or ())
        if tags and accounts:
            raise GcpSpecError(
                argument,
                "a rule targets secure tags or service accounts, never both (Compute API); choose one",
            )
        if not tags and not accounts:
            raise GcpSpecError(
                argument, "no secure tag and no service account: a rule without targets would apply to every VM"
            )
        for index, tag in enumerate(tags):
            if not (TAG_VALUE.fullmatch(tag) or CREATED_TAG.fullmatch(tag) or OUTPUT_TAG.fullmatch(tag)):
                raise GcpSpecError(
                    f"{argument}.secure_tags[{index}]",
                    f"{tag!r} is not a tag value name ('tagValues/123456') nor 'created:<short name>'",
                )
        for index, account in enumerate(accounts):
            if not SERVICE_ACCOUNT.fullmatch(account):
                raise GcpSpecError(f"{argument}.service_accounts[{index}]", f"{account!r} is not a service account")
        values = tags or accounts
        if len(set(values)) != len(values):
            raise GcpSpecError(argument, "a target is listed twice")
        if len(values) > MAX_TARGETS_PER_RULE:
            raise GcpSpecError(argument, f"{len(values)} targets; a rule accepts at most {MAX_TARGETS_PER_RULE}")
        return cls(secure_tags=tuple(sorted(tags)), service_accounts=tuple(sorted(accounts)), runs_agent=runs_agent)

    @property
    def machines(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What identifies the machines (tag values, service accounts), whatever they are said to run."""
        return (self.secure_tags, self.service_accounts)


ProxyNames = Literal["address-limited", "all"]
PROXY_NAMES: tuple[ProxyNames, ...] = get_args(ProxyNames)


@dataclass(frozen=True, slots=True)
class ProxyRoute:
    """Where the machines reach the Secure Web Proxy and which plan names it serves (``secure_web_proxy``).

    ``address`` is the proxy's internal IPv4 address and ``port`` the port SEP clients are configured with;
    ``names`` is ``address-limited`` (only the names an FQDN object cannot hold: large rotating address pools) or
    ``all``. The firewall leaves those names out of its FQDN rules and allows the machines to ``address:port``.
    """

    address: str
    port: int = 443
    names: ProxyNames = "address-limited"

    @classmethod
    def parse(cls, argument: str, value: Any) -> ProxyRoute:
        """Read ``{address, port, names}`` (or a ``ProxyRoute``), every field checked."""
        if not isinstance(value, Mapping) and all(hasattr(value, key) for key in ("address", "port", "names")):
            value = {"address": value.address, "port": value.port, "names": value.names}  # a ProxyRoute or its args
        if not isinstance(value, Mapping):
            raise GcpSpecError(argument, "a mapping {address: 10.0.0.10, port: 443, names: address-limited|all}")
        unknown = sorted(set(value) - {"address", "port", "names"})
        if unknown:
            raise GcpSpecError(argument, f"unknown field(s) {', '.join(map(str, unknown))}; use address, port, names")
        address = cast(str, check_str(f"{argument}.address", value.get("address")))
        port = check_int(f"{argument}.port", value.get("port", 443))
        names = cast(str, check_str(f"{argument}.names", value.get("names", "address-limited")))
        try:
            parsed = ipaddress.IPv4Address(address)
        except ValueError:
            raise GcpSpecError(
                f"{argument}.address", f"{address!r} is not an IPv4 address (Secure Web Proxy supports IPv4 only)"
            ) from None
        if str(parsed) != address or not parsed.is_private or parsed.is_unspecified or parsed.is_loopback:
            raise GcpSpecError(
                f"{argument}.address", f"{address!r} is not a canonical internal address of a subnet, e.g. 10.0.0.10"
            )
        if not 1 <= port <= 65535:
            raise GcpSpecError(f"{argument}.port", f"{port} is out of 1..65535")
        if names not in PROXY_NAMES:
            raise GcpSpecError(f"{argument}.names", f"{names!r}; choose one of {', '.join(PROXY_NAMES)}")
        return cls(address=address, port=port, names=names)


@dataclass(frozen=True, slots=True)
class FirewallOptions:
    """How the firewall policy is built. Defaults favour a policy that actually restricts egress.

    - ``name``: policy name (RFC 1035, 1-63), also the prefix of rule names. Default ``sep-egress``.
    - ``scope``: ``global`` (default) or ``regional`` network policy, or a hierarchical policy at a ``folder`` or
      ``organization`` (``parent`` = ``folders/N`` or ``organizations/N``).
    - ``networks``: VPC networks (``projects/p/global/networks/n`` or self links) the network policy is associated
      with, all in the policy's project; for hierarchical scopes they become the rules' ``targetResources`` (empty
      = every network below).
    - ``project``: the project of a network policy; default the networks' project (a policy is associated only
      with networks of its own project).
    - ``existing_policy``: add the rules to this existing policy (a network policy's name or path, a hierarchical
      policy's id) instead of creating one: no policy and no association is created, every rule lies in the
      reserved band ``priority_band_start`` .. ``+ PRIORITY_BAND_SIZE - 1`` and nothing outside it is touched.
    - ``priority_band_start``: start of that band (default 1,000,000,000); only with ``existing_policy``.
    - ``port_keys``: only with ``existing_policy``: pin the 10-bit port key of a port set (``{"587": 523}``,
      ``{"80,443": 12}``) that would otherwise take its hash; two port sets on one key are refused, never moved.
    - ``enforcement``: ``enforce`` (default) or ``observe``: the default deny rules become logged allows at the same
      names and priorities, so the logs show what enforcing would refuse.
    - ``default_deny``: add a deny-all egress rule for the targeted workloads after the allow rules (default on).
    - ``enforcement_order``: the order the networks must use; ``BEFORE_CLASSIC_FIREWALL`` (default) or the API
      default ``AFTER_CLASSIC_FIREWALL``, under which classic VPC allow rules are evaluated first and win.
    - ``private_google_access``: serve storage.googleapis.com by an allow rule to the Private Google Access range
      instead of an FQDN object; ``google_access_vip`` chooses ``private`` (199.36.153.8/30, default) or
      ``restricted`` (199.36.153.4/30, for VPC Service Controls).
    - ``suffix_policy``: ``refuse`` (default) a plan rule that allows a domain and its subdomains, which FQDN
      objects cannot express, or ``apex-only``: allow the apex name alone and warn.
    - ``skip_roles``: machine kinds (or all the plan roles of a kind) that do not run in this GCP scope.
    - ``secure_web_proxy``: a ``ProxyRoute``: the names a Secure Web Proxy serves are left out of the FQDN rules
      and each machine kind that needs one of them is allowed to the proxy's address and port instead.
    """

    name: str = "sep-egress"
    scope: Scope = "global"
    region: str | None = None
    parent: str | None = None
    networks: tuple[str, ...] = ()
    project: str | None = None
    existing_policy: str | None = None
    priority_band_start: int | None = None
    port_keys: Any = ()
    enforcement: Enforcement = "enforce"
    default_deny: bool = True
    enforcement_order: EnforcementOrder = "BEFORE_CLASSIC_FIREWALL"
    private_google_access: bool = False
    google_access_vip: GoogleAccessVip = "private"
    suffix_policy: SuffixPolicy = "refuse"
    skip_roles: tuple[str, ...] = ()
    description: str = "Symantec Endpoint Protection egress allowlist (sep-egress)"
    secure_web_proxy: ProxyRoute | None = None

    def __post_init__(self) -> None:
        self._check_secure_web_proxy()
        self._check_types()
        self._check_choices()
        self._check_placement()
        self._check_networks()
        self._check_existing_policy()
        self._check_band()
        self._check_port_keys()
        self._check_skip_roles()

    def _check_secure_web_proxy(self) -> None:
        """The Secure Web Proxy route, read from a mapping when given as one."""
        if self.secure_web_proxy is not None:
            route = ProxyRoute.parse("options.secure_web_proxy", self.secure_web_proxy)
            object.__setattr__(self, "secure_web_proxy", route)

    def _check_types(self) -> None:
        """Each field is of its type: strings without control characters, real booleans."""
        for key in (
            "name",
            "scope",
            "enforcement_order",
            "suffix_policy",
            "description",
            "google_access_vip",
            "enforcement",
        ):
            check_str(f"options.{key}", getattr(self, key))
        for key in ("region", "parent", "project", "existing_policy"):
            check_str(f"options.{key}", getattr(self, key), optional=True)
        check_bool("options.default_deny", self.default_deny)
        check_bool("options.private_google_access", self.private_google_access)

    def _check_choices(self) -> None:
        """The name is a short RFC 1035 name and every enumerated field one of its choices."""
        if not RESOURCE_NAME.fullmatch(self.name):
            raise GcpSpecError("options.name", f"{self.name!r} is not an RFC 1035 name (a-z, 0-9, '-', 1-63)")
        if len(self.name) > 40:
            raise GcpSpecError("options.name", "at most 40 characters, so that derived resource names fit in 63")
        if self.scope not in SCOPES:
            raise GcpSpecError("options.scope", f"{self.scope!r}; choose one of {', '.join(SCOPES)}")
        if self.enforcement_order not in ENFORCEMENT_ORDERS:
            choices = ", ".join(ENFORCEMENT_ORDERS)
            raise GcpSpecError("options.enforcement_order", f"{self.enforcement_order!r}; choose one of {choices}")
        if self.enforcement not in ENFORCEMENTS:
            raise GcpSpecError("enforcement", f"{self.enforcement!r}; choose one of {', '.join(ENFORCEMENTS)}")
        if self.suffix_policy not in SUFFIX_POLICIES:
            raise GcpSpecError(
                "options.suffix_policy", f"{self.suffix_policy!r}; choose one of {', '.join(SUFFIX_POLICIES)}"
            )
        if self.google_access_vip not in GOOGLE_ACCESS_VIPS:
            raise GcpSpecError(
                "options.google_access_vip",
                f"{self.google_access_vip!r}; choose one of {', '.join(GOOGLE_ACCESS_VIPS)}",
            )

    def _check_placement(self) -> None:
        """Region, parent and project fit the scope, and a new network policy has networks to attach to."""
        if self.scope == "regional":
            if not self.region or not REGION.fullmatch(self.region):
                raise GcpSpecError("options.region", "a regional policy needs a region such as 'europe-west1'")
        elif self.region is not None:
            raise GcpSpecError("options.region", f"only a regional policy takes a region (scope is {self.scope!r})")
        if self.scope in PARENTS:
            if self.existing_policy is None and (not self.parent or not PARENTS[self.scope].fullmatch(self.parent)):
                example = "folders/123456789" if self.scope == "folder" else "organizations/123456789"
                raise GcpSpecError("options.parent", f"a {self.scope} policy needs its parent, e.g. {example!r}")
            if self.existing_policy is not None and self.parent is not None:
                raise GcpSpecError("options.parent", "an existing policy already has its parent; leave parent out")
            if self.project is not None:
                raise GcpSpecError("options.project", f"a {self.scope} policy has no project")
        elif self.parent is not None:
            raise GcpSpecError("options.parent", f"only folder and organization policies take a parent ({self.scope})")
        elif self.existing_policy is None and not self.networks:
            raise GcpSpecError("options.networks", "a network policy does nothing until associated with a network")

    def _check_networks(self) -> None:
        """Networks valid and distinct, the project an id, and a new network policy's networks in its project."""
        for index, network in enumerate(self.networks):
            if not isinstance(network, str) or not NETWORK_PROJECT.fullmatch(network):
                raise GcpSpecError(
                    f"options.networks[{index}]", f"{network!r} is not a network ('projects/p/global/networks/n')"
                )
        if len(set(self.networks)) != len(self.networks):
            raise GcpSpecError("options.networks", "a network is listed twice")
        if self.project is not None and not PROJECT_ID.fullmatch(self.project):
            raise GcpSpecError("options.project", f"{self.project!r} is not a project id")
        if not self.hierarchical and self.existing_policy is None:
            # "Make sure that the firewall policy and the associated network are in the same project":
            # https://cloud.google.com/vpc/docs/network-firewall-policies#specifications
            projects = sorted({network_project(network) for network in self.networks} - {UNKNOWN_PROJECT})
            if len(projects) > 1:
                raise GcpSpecError(
                    "options.networks",
                    f"networks of several projects ({', '.join(projects)}): a network firewall policy can only be "
                    "associated with networks of its own project; give one policy per project",
                )
            if self.project is not None and projects and projects[0] != self.project:
                raise GcpSpecError(
                    "options.project",
                    f"the policy would be created in {self.project!r} but the networks are in {projects[0]!r}: a "
                    "network firewall policy can only be associated with networks of its own project",
                )

    def _check_existing_policy(self) -> None:
        """An existing policy is named as its scope names one, in the region and project given."""
        if self.existing_policy is not None:
            pattern = EXISTING_HIERARCHICAL_POLICY if self.hierarchical else EXISTING_NETWORK_POLICY
            if not pattern.fullmatch(self.existing_policy):
                example = "'123456789012'" if self.hierarchical else "'landing-zone-policy'"
                raise GcpSpecError(
                    "options.existing_policy",
                    f"{self.existing_policy!r} is not a {self.scope} policy id, e.g. {example}",
                )
            parts = self.existing_policy.split("/")
            if not self.hierarchical and len(parts) > 1:
                in_region = parts[2] == "regions"
                if in_region != (self.scope == "regional") or (in_region and parts[3] != self.region):
                    raise GcpSpecError(
                        "options.existing_policy",
                        f"{self.existing_policy!r} is not a {self.scope} policy"
                        + (f" of {self.region}" if self.scope == "regional" else ""),
                    )
                if self.project is not None and parts[1] != self.project:
                    raise GcpSpecError(
                        "options.project", f"{self.project!r}, but the existing policy is in {parts[1]!r}"
                    )

    def _check_band(self) -> None:
        """A priority band is given only for an existing policy, and fits in the rule priorities."""
        if self.priority_band_start is not None:
            check_int("options.priority_band_start", self.priority_band_start)
            if self.existing_policy is None:
                raise GcpSpecError(
                    "options.priority_band_start", "only an existing policy (options.existing_policy) takes a band"
                )
            if not 0 <= self.priority_band_start <= MAX_RULE_PRIORITY + 1 - PRIORITY_BAND_SIZE:
                raise GcpSpecError(
                    "options.priority_band_start",
                    f"{self.priority_band_start}: the band of {PRIORITY_BAND_SIZE} priorities must fit in "
                    f"0..{MAX_RULE_PRIORITY}",
                )

    def _check_port_keys(self) -> None:
        """Pinned port keys: ``{"587": 523, "80,443": 12}`` (or pairs), only in a band, each key in 0..1023 and
        used once; stored as sorted ``((ports...), key)`` pairs."""
        raw = self.port_keys
        if isinstance(raw, Mapping):
            items = list(raw.items())
        elif isinstance(raw, (tuple, list)):
            items = list(raw)
        else:
            raise GcpSpecError("options.port_keys", 'a mapping of port set to key, e.g. {"587": 523}')
        if items and self.existing_policy is None:
            raise GcpSpecError(
                "options.port_keys",
                "only an existing policy (options.existing_policy) takes port keys; a created policy changes its "
                "rules in one request",
            )
        pins: dict[tuple[int, ...], int] = {}
        for item in items:
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise GcpSpecError("options.port_keys", f"{item!r} is not a (port set, key) pair")
            ports_text, key = item
            ports = _port_set(f"options.port_keys.{ports_text}", ports_text)
            check_int(f"options.port_keys.{ports_text}", key)
            if not 0 <= key < 1 << BAND_PORT_KEY_BITS:
                raise GcpSpecError(
                    f"options.port_keys.{ports_text}", f"{key} is out of 0..{(1 << BAND_PORT_KEY_BITS) - 1}"
                )
            if ports in pins:
                raise GcpSpecError(f"options.port_keys.{ports_text}", "this port set is pinned twice")
            pins[ports] = key
        taken: dict[int, tuple[int, ...]] = {}
        for ports, key in sorted(pins.items()):
            if key in taken:
                raise GcpSpecError(
                    "options.port_keys",
                    f"{_ports_text(taken[key])} and {_ports_text(ports)} are both pinned to {key}; give each its "
                    "own key",
                )
            taken[key] = ports
        object.__setattr__(self, "port_keys", tuple(sorted(pins.items())))

    @property
    def pinned_port_keys(self) -> dict[tuple[int, ...], int]:
        """``port_keys`` as a mapping of sorted port tuple to key."""
        return dict(self.port_keys)

    def _check_skip_roles(self) -> None:
        """Every skipped name is a machine kind or a role."""
        for index, role in enumerate(self.skip_roles):
            if role not in ROLES and role not in MACHINE_KINDS:
                raise GcpSpecError(
                    f"options.skip_roles[{index}]",
                    f"unknown machine kind or role {role!r}; choose among {', '.join(MACHINE_KINDS + ROLES)}",
                )

    @property
    def hierarchical(self) -> bool:
        return self.scope in PARENTS

    @property
    def band(self) -> tuple[int, int] | None:
        """The reserved priority band (first, last) of an existing policy; None when the policy is created."""
        if self.existing_policy is None:
            return None
        start = DEFAULT_PRIORITY_BAND_START if self.priority_band_start is None else self.priority_band_start
        return (start, start + PRIORITY_BAND_SIZE - 1)

    @property
    def policy_project(self) -> str | None:
        """The project the network policy lives in: ``project``, else the existing policy's path or the networks'
        project (None when unknown: the provider's default project)."""
        if self.hierarchical:
            return None
        if self.project is not None:
            return self.project
        if self.existing_policy is not None:
            parts = self.existing_policy.split("/")
            return parts[1] if len(parts) > 1 else None
        known = [network_project(network) for network in self.networks]
        known = [project for project in known if project != UNKNOWN_PROJECT]
        return known[0] if known else None

    @property
    def existing_policy_name(self) -> str | None:
        """The existing policy's short name (network policies) or numeric id (hierarchical), without its path."""
        return None if self.existing_policy is None else self.existing_policy.rsplit("/", 1)[-1]


def _port_set(argument: str, value: Any) -> tuple[int, ...]:
    """A port set written as ``"587"`` or ``"80,443"`` (or a number, or a list of numbers): sorted, distinct."""
    if isinstance(value, int) and not isinstance(value, bool):
        parts: list[Any] = [value]
    elif isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        raise GcpSpecError(argument, f"{value!r} is not a port set such as '587' or '80,443'")
    ports: set[int] = set()
    for part in parts:
        text = str(part).strip()
        if not text.isdigit() or not 1 <= int(text) <= 65535:
            raise GcpSpecError(argument, f"{value!r} is not a port set such as '587' or '80,443' (ports 1..65535)")
        ports.add(int(text))
    return tuple(sorted(ports))


def _ports_text(ports: Sequence[int]) -> str:
    """A port set as ``options.port_keys`` spells it: ``"80,443"``."""
    return ",".join(map(str, ports))


def check_project(project: Any, argument: str = "options.project") -> None:
    """A plain project is a project id (an Output's stand-in is not a string and passes through)."""
    if isinstance(project, str) and not PROJECT_ID.fullmatch(project):
        raise GcpSpecError(argument, f"{project!r} is not a project id")


# Resource Manager TagKey: parent projects/<id or number> or organizations/<number>; short_name 1-63 characters,
# alphanumeric at both ends, [A-Za-z0-9_.-] between; purpose_data network "<project>/<vpc>" (a GCE_FIREWALL key is
# made for one network). Matched whole.
TAG_PARENT = re.compile(r"projects/[a-z0-9](?:[-a-z0-9.:]{0,61}[a-z0-9])?|organizations/[0-9]{1,20}")
TAG_KEY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?")
TAG_NETWORK = re.compile(r"[a-z0-9](?:[-a-z0-9.:]{0,61}[a-z0-9])?/[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")


def check_secure_tags(parent: Any, key: str, network: Any, networks: Any) -> None:
    """The TagKey the firewall component creates: its parent, short name and network, and that network is one the
    policy applies to (a GCE_FIREWALL key made for one network is usable only there). Outputs pass through."""
    if isinstance(parent, str) and not TAG_PARENT.fullmatch(parent):
        raise GcpSpecError("secure_tags.parent", "'projects/<id>' or 'organizations/<id>' is required")
    if not TAG_KEY.fullmatch(key):
        raise GcpSpecError(
            "secure_tags.key",
            f"{key!r} is not a tag key short name (1-63 letters, digits, '_', '-', '.', starting and ending with a "
            "letter or digit)",
        )
    if isinstance(parent, str) and parent.startswith("projects/") and network is None:
        raise GcpSpecError("secure_tags.network", "a project-level tag key needs its VPC as '<project>/<vpc>'")
    count = len(networks) if isinstance(networks, list | tuple) else 0
    if network is not None and count > 1:
        # A GCE_FIREWALL key made for one network (purpose_data network) is usable only there: VMs of the other
        # networks could not carry its values, so they would get no allow and no deny.
        raise GcpSpecError(
            "secure_tags.network",
            f"a tag key created for one network, but the policy applies to {count} networks: machines of the "
            "others cannot carry its values and would get neither the allows nor the default deny; give one "
            "policy per network, or an organization key without network (secure_tags.parent: "
            "organizations/<id>) usable in every network",
        )
    if not isinstance(network, str):
        return
    if not TAG_NETWORK.fullmatch(network):
        raise GcpSpecError("secure_tags.network", f"{network!r} is not '<project>/<vpc>'")
    given = list(networks) if isinstance(networks, list | tuple) else []
    if not given or not all(isinstance(item, str) and NETWORK_PROJECT.fullmatch(item) for item in given):
        return  # no networks, or some only known at deployment
    pairs = {f"{network_project(item)}/{item.rsplit('/', 1)[-1]}" for item in given}
    if network not in pairs:
        raise GcpSpecError(
            "secure_tags.network",
            f"{network!r} is not one of the policy's networks ({', '.join(sorted(pairs))}): a firewall tag key made "
            "for another network cannot be bound to these machines",
        )


def network_project(network: str) -> str:
    """The project id in a network's path or self link."""
    found = NETWORK_PROJECT.fullmatch(network)
    if found is None:
        raise GcpSpecError("options.networks", f"{network!r} names no project ('projects/p/global/networks/n')")
    return found.group(1)


@dataclass(frozen=True, slots=True)
class NatRuleNumber:
    """A NAT rule number chosen by the user for the destinations of one plan entry id."""

    entry_id: str
    rule_number: int

    def __post_init__(self) -> None:
        check_str("options.rule_numbers", self.entry_id)
        check_int(f"options.rule_numbers.{self.entry_id}", self.rule_number)


@dataclass(frozen=True, slots=True)
class NatSubnetwork:
    """One subnet whose egress the gateway translates, and which of its ranges.

    ``all_ranges`` (default) translates every range of the subnet; otherwise ``primary_range`` and/or the named
    ``secondary_ranges`` only, as Cloud Foundation Fabric's net-cloudnat ``config_source_subnetworks`` does. List
    the subnets (and ranges) that hold the SEP workloads: every VM of a translated range shares the addresses.
    """

    name: str
    all_ranges: bool = True
    primary_range: bool = False
    secondary_ranges: tuple[str, ...] = ()

    @classmethod
    def parse(cls, argument: str, value: Any) -> NatSubnetwork:
        if isinstance(value, NatSubnetwork):
            return value
        if isinstance(value, str):
            if not SUBNETWORK.fullmatch(value):
                raise GcpSpecError(argument, f"{value!r} is not a subnetwork name, path or self link")
            return cls(name=value)
        if not isinstance(value, Mapping):
            raise GcpSpecError(argument, "a subnetwork name, or {name, primary_range, secondary_ranges}")
        unknown = sorted(set(value) - {"name", "all_ranges", "primary_range", "secondary_ranges"})
        if unknown:
            raise GcpSpecError(f"{argument}.{unknown[0]}", "unknown field; use name, primary_range, secondary_ranges")
        name = check_str(f"{argument}.name", value.get("name"))
        if not name or not SUBNETWORK.fullmatch(name):
            raise GcpSpecError(f"{argument}.name", f"{name!r} is not a subnetwork name, path or self link")
        primary = check_bool(f"{argument}.primary_range", value.get("primary_range", False))
        secondary = _string_tuple(f"{argument}.secondary_ranges", value.get("secondary_ranges") or ())
        for index, range_name in enumerate(secondary):
            if not RESOURCE_NAME.fullmatch(range_name):
                raise GcpSpecError(f"{argument}.secondary_ranges[{index}]", f"{range_name!r} is not a range name")
        explicit = primary or bool(secondary)
        all_ranges = check_bool(f"{argument}.all_ranges", value.get("all_ranges", not explicit))
        if all_ranges and explicit:
            raise GcpSpecError(argument, "all_ranges translates every range; leave primary_range/secondary_ranges out")
        if not all_ranges and not explicit:
            raise GcpSpecError(argument, "choose the ranges to translate: primary_range and/or secondary_ranges")
        if len(set(secondary)) != len(secondary):
            raise GcpSpecError(f"{argument}.secondary_ranges", "a range is listed twice")
        return cls(name=name, all_ranges=all_ranges, primary_range=primary, secondary_ranges=tuple(sorted(secondary)))

    def to_api(self) -> dict[str, Any]:
        """The ``RouterNatSubnetworkToNat`` body."""
        if self.all_ranges:
            return {"name": self.name, "sourceIpRangesToNat": ["ALL_IP_RANGES"]}
        ranges = (["PRIMARY_IP_RANGE"] if self.primary_range else []) + (
            ["LIST_OF_SECONDARY_IP_RANGES"] if self.secondary_ranges else []
        )
        body: dict[str, Any] = {"name": self.name, "sourceIpRangesToNat": ranges}
        if self.secondary_ranges:
            body["secondaryIpRangeNames"] = list(self.secondary_ranges)
        return body


@dataclass(frozen=True, slots=True)
class NatOptions:
    """How the Cloud NAT gateway is built.

    - ``name``: prefix of the router, NAT and address names (RFC 1035). Default ``sep-egress``.
    - ``region``, ``network``: where the Cloud Router lives.
    - ``router``: the name of an existing Cloud Router in that region and network to add the NAT to (as Cloud
      Foundation Fabric's net-cloudnat with ``router_create = false``); default: create ``<name>-router``.
    - ``subnetworks``: the subnets holding the SEP workloads, as names/self links (every range) or
      ``NatSubnetwork`` mappings (``primary_range``, ``secondary_ranges``). Every VM of a translated range shares
      the addresses, so list only ranges whose machines are SEP clients or managers.
    - ``address_count``: static addresses for general egress (default 2).
    - ``rule_address_count``: static addresses per NAT rule (default 1), used only for that rule's destinations.
    - ``rule_numbers``: pin the number of the NAT rule holding a plan entry's destinations; otherwise it is derived
      from the rule's destination ranges. Rule addresses are named after the number.
    - ``log_filter``: ``ALL`` (default), ``ERRORS_ONLY`` or ``TRANSLATIONS_ONLY``.
    - ``min_ports_per_vm``: static port allocation per VM (default 64, the API default).
    """

    region: str
    network: str
    subnetworks: tuple[Any, ...]
    name: str = "sep-egress"
    router: str | None = None
    address_count: int = 2
    rule_address_count: int = 1
    rule_numbers: tuple[NatRuleNumber, ...] = ()
    log_filter: Literal["ALL", "ERRORS_ONLY", "TRANSLATIONS_ONLY"] = "ALL"
    min_ports_per_vm: int = 64
    network_tier: Literal["PREMIUM", "STANDARD"] = "PREMIUM"

    def __post_init__(self) -> None:
        for key in ("name", "region", "network", "log_filter", "network_tier"):
            check_str(f"options.{key}", getattr(self, key))
        check_str("options.router", self.router, optional=True)
        for key in ("address_count", "rule_address_count", "min_ports_per_vm"):
            check_int(f"options.{key}", getattr(self, key))
        for pin in self.rule_numbers:
            if not isinstance(pin, NatRuleNumber):
                raise GcpSpecError("options.rule_numbers", f"{pin!r} is not a NatRuleNumber")
        if not RESOURCE_NAME.fullmatch(self.name) or len(self.name) > 40:
            raise GcpSpecError("options.name", f"{self.name!r} is not an RFC 1035 name of at most 40 characters")
        if self.router is not None and not RESOURCE_NAME.fullmatch(self.router):
            raise GcpSpecError("options.router", f"{self.router!r} is not a router name (RFC 1035)")
        if not REGION.fullmatch(self.region or ""):
            raise GcpSpecError("options.region", f"{self.region!r} is not a region such as 'europe-west1'")
        if not isinstance(self.network, str) or not self.network:
            raise GcpSpecError("options.network", "the VPC network of the Cloud Router is required")
        if not (RESOURCE_NAME.fullmatch(self.network) or NETWORK_PROJECT.fullmatch(self.network)):
            raise GcpSpecError(
                "options.network",
                f"{self.network!r} is not a network name, path or self link ('projects/p/global/networks/n')",
            )
        if isinstance(self.subnetworks, (str, Mapping)) or not isinstance(self.subnetworks, Sequence):
            raise GcpSpecError("options.subnetworks", "a list of subnetworks")
        parsed = tuple(
            NatSubnetwork.parse(f"options.subnetworks[{index}]", item) for index, item in enumerate(self.subnetworks)
        )
        object.__setattr__(self, "subnetworks", parsed)
        if not parsed:
            raise GcpSpecError(
                "options.subnetworks", "list the subnets of the SEP workloads whose egress NAT translates"
            )
        names = [item.name for item in parsed]
        if len(set(names)) != len(names):
            raise GcpSpecError("options.subnetworks", "a subnetwork is listed twice")
        if not 1 <= self.address_count <= 16:
            raise GcpSpecError("options.address_count", f"{self.address_count}; reserve between 1 and 16 addresses")
        if not 1 <= self.rule_address_count <= 8:
            raise GcpSpecError("options.rule_address_count", f"{self.rule_address_count}; between 1 and 8 per rule")
        if self.log_filter not in ("ALL", "ERRORS_ONLY", "TRANSLATIONS_ONLY"):
            raise GcpSpecError("options.log_filter", f"{self.log_filter!r}; ALL, ERRORS_ONLY or TRANSLATIONS_ONLY")
        if self.min_ports_per_vm < 2 or self.min_ports_per_vm > 65536:
            raise GcpSpecError("options.min_ports_per_vm", f"{self.min_ports_per_vm} is out of 2..65536")
        if self.network_tier not in ("PREMIUM", "STANDARD"):
            raise GcpSpecError("options.network_tier", f"{self.network_tier!r}; PREMIUM or STANDARD")


@dataclass(frozen=True, slots=True)
class PrivateAccessOptions:
    """How storage.googleapis.com is reached through Private Google Access.

    - ``networks``: VPC networks that get the route and see the private ``googleapis.com.`` zone.
    - ``google_access_vip``: ``private`` (private.googleapis.com, 199.36.153.8/30, default) or ``restricted``
      (restricted.googleapis.com, 199.36.153.4/30: only the APIs VPC Service Controls supports); the firewall
      option of the same name must match.
    - ``subnetworks``: subnets that must have ``privateIpGoogleAccess`` on (reported, since their owner sets it).
    - ``name``: prefix of the route and zone names. ``route_priority``: default 1000 (the default route's).
    - ``existing_zone``: the name of an existing private ``googleapis.com.`` Cloud DNS zone (a landing zone's) to
      use instead of creating one; its records are checked, not created.
    """

    networks: tuple[str, ...]
    subnetworks: tuple[str, ...] = ()
    name: str = "sep-egress"
    route_priority: int = 1000
    google_access_vip: GoogleAccessVip = "private"
    existing_zone: str | None = None

    def __post_init__(self) -> None:
        check_str("options.name", self.name)
        check_str("options.existing_zone", self.existing_zone, optional=True)
        if self.existing_zone is not None and not RESOURCE_NAME.fullmatch(self.existing_zone):
            raise GcpSpecError(
                "options.existing_zone", f"{self.existing_zone!r} is not a Cloud DNS managed zone name (RFC 1035)"
            )
        check_str("options.google_access_vip", self.google_access_vip)
        if self.google_access_vip not in GOOGLE_ACCESS_VIPS:
            raise GcpSpecError(
                "options.google_access_vip",
                f"{self.google_access_vip!r}; choose one of {', '.join(GOOGLE_ACCESS_VIPS)}",
            )
        check_int("options.route_priority", self.route_priority)
        if not self.networks:
            raise GcpSpecError("options.networks", "Private Google Access needs the VPC networks to route and resolve")
        if not RESOURCE_NAME.fullmatch(self.name) or len(self.name) > 40:
            raise GcpSpecError("options.name", f"{self.name!r} is not an RFC 1035 name of at most 40 characters")
        if not 0 <= self.route_priority <= 65535:
            raise GcpSpecError("options.route_priority", f"{self.route_priority} is out of 0..65535")
        if len(set(self.networks)) != len(self.networks):
            raise GcpSpecError("options.networks", "a network is listed twice")
        for index, network in enumerate(self.networks):
            # The private zone binds networks by URL: a path or self link, not a bare name.
            if not isinstance(network, str) or not NETWORK_PROJECT.fullmatch(network):
                raise GcpSpecError(
                    f"options.networks[{index}]", f"{network!r} is not a network ('projects/p/global/networks/n')"
                )
        for index, subnetwork in enumerate(self.subnetworks):
            if not isinstance(subnetwork, str) or not SUBNETWORK.fullmatch(subnetwork):
                raise GcpSpecError(
                    f"options.subnetworks[{index}]", f"{subnetwork!r} is not a subnetwork name, path or self link"
                )


def parse_targets(value: Any, argument: str = "targets") -> dict[str, RoleTarget]:
    """Read ``{machine kind or role: {secure_tags|service_accounts: [...]}}``.

    Keys are machine kinds (``clients``, ``managers``, ``admin-workstations``) or, as before, roles; which roles
    share a machine is checked against the plan by ``machine_targets``. Unknown keys are refused (a typo would
    leave machines without rules), and so is a kind given together with one of its own roles.
    """
    if not isinstance(value, Mapping):
        raise GcpSpecError(argument, "a mapping of machine kind to {secure_tags: [...]} or {service_accounts: [...]}")
    targets: dict[str, RoleTarget] = {}
    for key, target in value.items():
        if key not in MACHINE_KINDS and key not in ROLES:
            raise GcpSpecError(
                f"{argument}.{key}",
                f"unknown machine kind; choose among {', '.join(MACHINE_KINDS)} (or the roles {', '.join(ROLES)})",
            )
        if key in ROLES and ROLE_KIND[cast(Role, key)] in value:
            kind = ROLE_KIND[cast(Role, key)]
            raise GcpSpecError(
                f"{argument}.{key}", f"given both for the machine kind {kind!r} and for its role {key!r}"
            )
        targets[str(key)] = RoleTarget.parse(f"{argument}.{key}", target)
    return targets


def machine_targets(
    plan_roles: Sequence[Role], targets: Mapping[str, RoleTarget], skip: Sequence[str] = (), argument: str = "targets"
) -> dict[MachineKind, RoleTarget]:
    """The target of every machine kind that runs here, checked so that each machine can get all its roles' rules.

    A kind's roles are those of ``plan_roles`` in ``KIND_ROLES``. Role-keyed targets are accepted only when every
    plan role of a kind has one and they are identical: a cloud-managed agent VM carries one value of a tag key
    and one service account, so ``agent`` on one tag value and ``agent-cloud`` on another would leave every such
    VM without one of the two tables. Skipping works by kind, for the same reason.
    """
    skipped_kinds: set[MachineKind] = set()
    for index, name in enumerate(skip):
        if name in MACHINE_KINDS:
            skipped_kinds.add(name)
            continue
        kind = ROLE_KIND[cast(Role, name)]
        partners = [role for role in KIND_ROLES[kind] if role in plan_roles and role not in skip]
        if partners:
            raise GcpSpecError(
                f"options.skip_roles[{index}]",
                f"{name!r} runs on the same machines as {', '.join(partners)} ({kind}): a machine that plays "
                f"{partners[0]} here needs {name} too; skip the machine kind {kind!r} or neither",
            )
        skipped_kinds.add(kind)
    result: dict[MachineKind, RoleTarget] = {}
    for name in (*KIND_ROLES["clients"], "clients"):
        if name in targets and targets[name].runs_agent is not None:
            raise GcpSpecError(
                f"{argument}.{name}.runs_agent", "clients run the agent by definition; runs_agent is for managers"
            )
    for kind in MACHINE_KINDS:
        roles = [role for role in KIND_ROLES[kind] if role in plan_roles]
        given = [name for name in (kind, *KIND_ROLES[kind]) if name in targets]
        if kind in skipped_kinds or not roles:
            if given:
                reason = (
                    "is skipped" if kind in skipped_kinds else f"plays no role of the plan ({', '.join(plan_roles)})"
                )
                raise GcpSpecError(f"{argument}.{given[0]}", f"the machine kind {kind!r} {reason}; remove this target")
            continue
        if kind in targets:
            result[kind] = targets[kind]
            continue
        if not given:
            raise GcpSpecError(
                f"{argument}.{kind}",
                f"the plan needs role(s) {', '.join(roles)} but no target is given for the machines that play them; "
                f"give targets.{kind} (secure_tags or service_accounts), or list {kind!r} in options.skip_roles if "
                "no such machine runs here",
            )
        missing = [role for role in roles if role not in targets]
        if missing:
            raise GcpSpecError(
                f"{argument}.{missing[0]}",
                f"no target, but the machines of targets.{given[0]} also play {missing[0]} ({kind}); give "
                f"targets.{kind} for all of them",
            )
        first = targets[roles[0]]
        for role in roles[1:]:
            if targets[role] != first:
                raise GcpSpecError(
                    f"{argument}.{role}",
                    f"differs from targets.{roles[0]}, but one machine ({kind}) plays both roles and carries one "
                    "value per tag key and one service account, so it could match only one of them and would be "
                    f"denied the other's hosts; give the same targets, or one targets.{kind}",
                )
        extra = [role for role in KIND_ROLES[kind] if role in targets and role not in roles]
        if extra:
            raise GcpSpecError(f"{argument}.{extra[0]}", f"role {extra[0]!r} is not in the plan; remove this target")
        result[kind] = first
    if not result:
        raise GcpSpecError("options.skip_roles", "every machine kind of the plan is skipped: nothing to allow")
    return result


def _string_tuple(argument: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise GcpSpecError(argument, "a list of strings")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise GcpSpecError(f"{argument}[{index}]", "a non-empty string")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class GcpWarning:
    """Something a reviewer of the GCP controls must know; ``code`` is stable, ``message`` is for people."""

    code: str
    message: str
    hosts: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "hosts": list(self.hosts)}
