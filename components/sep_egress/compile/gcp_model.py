"""What the GCP compilers take besides the plan: per-role targets, options, and the errors they raise.

Everything here is plain data, validated once: a mistake names the argument it came from (``targets.agent``,
``options.parent``) before any spec, let alone any resource, exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from ..catalog.hosts import unsafe_text
from ..catalog.models import ROLES, Role
from ..errors import SepEgressError

Scope = Literal["global", "regional", "folder", "organization"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
EnforcementOrder = Literal["BEFORE_CLASSIC_FIREWALL", "AFTER_CLASSIC_FIREWALL"]
ENFORCEMENT_ORDERS: tuple[EnforcementOrder, ...] = get_args(EnforcementOrder)
SuffixPolicy = Literal["refuse", "apex-only"]
SUFFIX_POLICIES: tuple[SuffixPolicy, ...] = get_args(SuffixPolicy)

# Secure tag values are referred to by their numeric resource name; "created:<short name>" stands for a value the
# Pulumi component creates itself, whose number only exists once it has been created.
TAG_VALUE = re.compile(r"^tagValues/[0-9]+$")
CREATED_TAG = re.compile(r"^created:[a-z][a-z0-9-]{0,62}$")
SERVICE_ACCOUNT = re.compile(r"^[a-z0-9][a-z0-9._+-]*@[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$")
RESOURCE_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")
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
    """

    secure_tags: tuple[str, ...] = ()
    service_accounts: tuple[str, ...] = ()

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
            raw: Mapping[str, Any] = {"secure_tags": value.secure_tags, "service_accounts": value.service_accounts}
        elif isinstance(value, Mapping):
            raw = value
        else:
            raise GcpSpecError(argument, "a target is {secure_tags: [...]} or {service_accounts: [...]}")
        unknown = sorted(set(raw) - {"secure_tags", "service_accounts"})
        if unknown:
            raise GcpSpecError(argument, f"unknown field(s) {', '.join(unknown)}; use secure_tags or service_accounts")
        tags = _string_tuple(f"{argument}.secure_tags", raw.get("secure_tags") or ())
        accounts = _string_tuple(f"{argument}.service_accounts", raw.get("service_accounts") or ())
        if tags and accounts:
            raise GcpSpecError(
                argument,
                "a rule targets secure tags or service accounts, never both (Compute API); choose one for this role",
            )
        if not tags and not accounts:
            raise GcpSpecError(
                argument, "no secure tag and no service account: a rule without targets would apply to every VM"
            )
        for index, tag in enumerate(tags):
            if not (TAG_VALUE.match(tag) or CREATED_TAG.match(tag)):
                raise GcpSpecError(
                    f"{argument}.secure_tags[{index}]",
                    f"{tag!r} is not a tag value name ('tagValues/123456') nor 'created:<short name>'",
                )
        for index, account in enumerate(accounts):
            if not SERVICE_ACCOUNT.match(account):
                raise GcpSpecError(f"{argument}.service_accounts[{index}]", f"{account!r} is not a service account")
        values = tags or accounts
        if len(set(values)) != len(values):
            raise GcpSpecError(argument, "a target is listed twice")
        if len(values) > MAX_TARGETS_PER_RULE:
            raise GcpSpecError(argument, f"{len(values)} targets; a rule accepts at most {MAX_TARGETS_PER_RULE}")
        return cls(secure_tags=tuple(sorted(tags)), service_accounts=tuple(sorted(accounts)))


@dataclass(frozen=True, slots=True)
class FirewallOptions:
    """How the firewall policy is built. Defaults favour a policy that actually restricts egress.

    - ``name``: policy name (RFC 1035, 1-63), also the prefix of rule names. Default ``sep-egress``.
    - ``scope``: ``global`` (default) or ``regional`` network policy, or a hierarchical policy at a ``folder`` or
      ``organization`` (``parent`` = ``folders/N`` or ``organizations/N``).
    - ``networks``: VPC networks (self links or ``projects/p/global/networks/n``) the network policy is associated
      with; for hierarchical scopes they become the rules' ``targetResources`` (empty = every network below).
    - ``default_deny``: add a deny-all egress rule for the targeted workloads after the allow rules (default on).
    - ``enforcement_order``: the order the networks must use; ``BEFORE_CLASSIC_FIREWALL`` (default) or the API
      default ``AFTER_CLASSIC_FIREWALL``, under which classic VPC allow rules are evaluated first and win.
    - ``private_google_access``: serve storage.googleapis.com by an allow rule to 199.36.153.8/30 (PGA) instead of an
      FQDN object.
    - ``suffix_policy``: ``refuse`` (default) a plan rule that allows a domain and its subdomains, which FQDN
      objects cannot express, or ``apex-only``: allow the apex name alone and warn.
    - ``skip_roles``: plan roles that do not run in this GCP scope (no targets needed, no rules emitted).
    """

    name: str = "sep-egress"
    scope: Scope = "global"
    region: str | None = None
    parent: str | None = None
    networks: tuple[str, ...] = ()
    default_deny: bool = True
    enforcement_order: EnforcementOrder = "BEFORE_CLASSIC_FIREWALL"
    private_google_access: bool = False
    suffix_policy: SuffixPolicy = "refuse"
    skip_roles: tuple[Role, ...] = ()
    description: str = "Symantec Endpoint Protection egress allowlist (sep-egress)"

    def __post_init__(self) -> None:
        for key in ("name", "scope", "enforcement_order", "suffix_policy", "description"):
            check_str(f"options.{key}", getattr(self, key))
        for key in ("region", "parent"):
            check_str(f"options.{key}", getattr(self, key), optional=True)
        check_bool("options.default_deny", self.default_deny)
        check_bool("options.private_google_access", self.private_google_access)
        if not RESOURCE_NAME.match(self.name):
            raise GcpSpecError("options.name", f"{self.name!r} is not an RFC 1035 name (a-z, 0-9, '-', 1-63)")
        if len(self.name) > 40:
            raise GcpSpecError("options.name", "at most 40 characters, so that derived resource names fit in 63")
        if self.scope not in SCOPES:
            raise GcpSpecError("options.scope", f"{self.scope!r}; choose one of {', '.join(SCOPES)}")
        if self.enforcement_order not in ENFORCEMENT_ORDERS:
            choices = ", ".join(ENFORCEMENT_ORDERS)
            raise GcpSpecError("options.enforcement_order", f"{self.enforcement_order!r}; choose one of {choices}")
        if self.suffix_policy not in SUFFIX_POLICIES:
            raise GcpSpecError(
                "options.suffix_policy", f"{self.suffix_policy!r}; choose one of {', '.join(SUFFIX_POLICIES)}"
            )
        if self.scope == "regional":
            if not self.region or not REGION.match(self.region):
                raise GcpSpecError("options.region", "a regional policy needs a region such as 'europe-west1'")
        elif self.region is not None:
            raise GcpSpecError("options.region", f"only a regional policy takes a region (scope is {self.scope!r})")
        if self.scope in PARENTS:
            if not self.parent or not PARENTS[self.scope].match(self.parent):
                example = "folders/123456789" if self.scope == "folder" else "organizations/123456789"
                raise GcpSpecError("options.parent", f"a {self.scope} policy needs its parent, e.g. {example!r}")
        elif self.parent is not None:
            raise GcpSpecError("options.parent", f"only folder and organization policies take a parent ({self.scope})")
        else:
            if not self.networks:
                raise GcpSpecError("options.networks", "a network policy does nothing until associated with a network")
        for index, network in enumerate(self.networks):
            if not isinstance(network, str) or "/networks/" not in f"/{network}":
                raise GcpSpecError(
                    f"options.networks[{index}]", f"{network!r} is not a network ('projects/p/global/networks/n')"
                )
        if len(set(self.networks)) != len(self.networks):
            raise GcpSpecError("options.networks", "a network is listed twice")
        for index, role in enumerate(self.skip_roles):
            if role not in ROLES:
                raise GcpSpecError(f"options.skip_roles[{index}]", f"unknown role {role!r}")

    @property
    def hierarchical(self) -> bool:
        return self.scope in PARENTS


@dataclass(frozen=True, slots=True)
class NatRuleNumber:
    """A NAT rule number chosen by the user for the destinations of one plan entry id."""

    entry_id: str
    rule_number: int

    def __post_init__(self) -> None:
        check_str("options.rule_numbers", self.entry_id)
        check_int(f"options.rule_numbers.{self.entry_id}", self.rule_number)


@dataclass(frozen=True, slots=True)
class NatOptions:
    """How the Cloud NAT gateway is built.

    - ``name``: prefix of the router, NAT and address names (RFC 1035). Default ``sep-egress``.
    - ``region``, ``network``: where the Cloud Router lives.
    - ``subnetworks``: the workload subnets to translate (self links or names); every IP range of each.
    - ``address_count``: static addresses for general egress (default 2), exported for allowlisting.
    - ``rule_address_count``: static addresses per NAT rule (default 1), used only for that rule's destinations.
    - ``rule_numbers``: pin the number of the NAT rule holding a plan entry's destinations; otherwise it is derived
      from the rule's destination ranges. Rule addresses are named after the number.
    - ``log_filter``: ``ALL`` (default), ``ERRORS_ONLY`` or ``TRANSLATIONS_ONLY``.
    - ``min_ports_per_vm``: static port allocation per VM (default 64, the API default).
    """

    region: str
    network: str
    subnetworks: tuple[str, ...]
    name: str = "sep-egress"
    address_count: int = 2
    rule_address_count: int = 1
    rule_numbers: tuple[NatRuleNumber, ...] = ()
    log_filter: Literal["ALL", "ERRORS_ONLY", "TRANSLATIONS_ONLY"] = "ALL"
    min_ports_per_vm: int = 64
    network_tier: Literal["PREMIUM", "STANDARD"] = "PREMIUM"

    def __post_init__(self) -> None:
        for key in ("name", "region", "network", "log_filter", "network_tier"):
            check_str(f"options.{key}", getattr(self, key))
        for key in ("address_count", "rule_address_count", "min_ports_per_vm"):
            check_int(f"options.{key}", getattr(self, key))
        for pin in self.rule_numbers:
            if not isinstance(pin, NatRuleNumber):
                raise GcpSpecError("options.rule_numbers", f"{pin!r} is not a NatRuleNumber")
        if not RESOURCE_NAME.match(self.name) or len(self.name) > 40:
            raise GcpSpecError("options.name", f"{self.name!r} is not an RFC 1035 name of at most 40 characters")
        if not REGION.match(self.region or ""):
            raise GcpSpecError("options.region", f"{self.region!r} is not a region such as 'europe-west1'")
        if not isinstance(self.network, str) or not self.network:
            raise GcpSpecError("options.network", "the VPC network of the Cloud Router is required")
        if not self.subnetworks:
            raise GcpSpecError("options.subnetworks", "list the workload subnets whose egress Cloud NAT translates")
        if len(set(self.subnetworks)) != len(self.subnetworks):
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
    """How storage.googleapis.com is reached through Private Google Access (private.googleapis.com).

    - ``networks``: VPC networks that get the route and see the private ``googleapis.com.`` zone.
    - ``subnetworks``: subnets that must have ``privateIpGoogleAccess`` on (reported, since their owner sets it).
    - ``name``: prefix of the route and zone names. ``route_priority``: default 1000 (the default route's).
    """

    networks: tuple[str, ...]
    subnetworks: tuple[str, ...] = ()
    name: str = "sep-egress"
    route_priority: int = 1000

    def __post_init__(self) -> None:
        check_str("options.name", self.name)
        check_int("options.route_priority", self.route_priority)
        if not self.networks:
            raise GcpSpecError("options.networks", "Private Google Access needs the VPC networks to route and resolve")
        if not RESOURCE_NAME.match(self.name) or len(self.name) > 40:
            raise GcpSpecError("options.name", f"{self.name!r} is not an RFC 1035 name of at most 40 characters")
        if not 0 <= self.route_priority <= 65535:
            raise GcpSpecError("options.route_priority", f"{self.route_priority} is out of 0..65535")
        if len(set(self.networks)) != len(self.networks):
            raise GcpSpecError("options.networks", "a network is listed twice")


def parse_targets(value: Any, argument: str = "targets") -> dict[Role, RoleTarget]:
    """Read ``{role: {secure_tags|service_accounts: [...]}}``; unknown roles are refused (a typo would leave a
    role without rules)."""
    if not isinstance(value, Mapping):
        raise GcpSpecError(argument, "a mapping of role to {secure_tags: [...]} or {service_accounts: [...]}")
    targets: dict[Role, RoleTarget] = {}
    for role, target in value.items():
        if role not in ROLES:
            raise GcpSpecError(f"{argument}.{role}", f"unknown role; choose among {', '.join(ROLES)}")
        targets[cast(Role, role)] = RoleTarget.parse(f"{argument}.{role}", target)
    return targets


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
