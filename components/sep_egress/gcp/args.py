"""The arguments of the GCP components: strict pydantic models, one ``*Args`` per component and the options and
targets it nests, whose mistakes raise ``GcpSpecError`` naming the argument."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..arguments import (
    ComponentArgs,
    ErrorFactory,
    InputStr,
    InputStrItems,
    InputStrList,
    SelectionArgs,
)
from ..catalog import EgressPlan
from ..compile.gcp import GcpSpecError


class GcpArgs(ComponentArgs):
    """Args of the GCP components: mistakes raise ``GcpSpecError``."""

    error: ClassVar[ErrorFactory] = staticmethod(GcpSpecError)


class RoleTargetArgs(GcpArgs):
    """The machines of one kind (``clients``, ``managers``, ``admin-workstations``; or of one role, when every
    role of the kind has the same targets): ``secure_tags`` (``tagValues/N`` or ``created:<kind>``) or
    ``service_accounts``. A VM carries one value per tag key and one service account."""

    secure_tags: InputStrItems = Field(
        default_factory=list,
        description="Secure tag values (tagValues/N, or created:<kind> for a created one); items may be Outputs.",
    )
    service_accounts: InputStrItems = Field(
        default_factory=list, description="Service account e-mail addresses; items may be Outputs."
    )
    runs_agent: bool | None = Field(
        default=None,
        description="Managers, admin workstations: these machines also run the SEP agent (true) or no client (false).",
    )


class SecureTagsArgs(GcpArgs):
    """Secure tags the component creates: a TagKey (purpose ``GCE_FIREWALL``) under ``parent`` (``projects/<id>``
    or ``organizations/<id>``) named ``key`` (default ``sep-egress``), and one TagValue per machine kind of the plan
    without an explicit target (a VM carries the one value of its kind). ``network`` (``<project>/<vpc>``) scopes a
    project key to its VPC; an organization key without ``network`` is usable in every network
    (``organization=auto``)."""

    parent: InputStr = Field(description="projects/<id> or organizations/<id>.")
    key: str = Field(default="sep-egress", description="Short name of the TagKey.")
    network: InputStr | None = Field(default=None, description="<project>/<vpc>: required for a project-level key.")
    keep_role_values: bool = Field(
        default=False,
        description="Upgrade from 0.1: keep the per-role values created before; a kind's rules target all of them.",
    )


class ProxyRouteArgs(GcpArgs):
    """Where the machines reach a Secure Web Proxy and which plan names it serves (see ``ProxyRoute``)."""

    address: str = Field(description="The proxy's internal IPv4 address.")
    port: int = Field(default=443, description="The port the clients use.")
    names: str = Field(default="address-limited", description="address-limited (FQDN objects cannot hold) or all.")


class FirewallPolicyOptionsArgs(GcpArgs):
    """How the policy is built (see ``FirewallOptions`` and docs/gcp.md); ``project`` for network policies."""

    name: str = Field(default="sep-egress", description="Policy name, also the prefix of rule names.")
    scope: str = Field(default="global", description="global or regional network policy, folder or organization.")
    region: str | None = Field(default=None, description="Region of a regional policy.")
    parent: str | None = Field(default=None, description="folders/N or organizations/N for hierarchical scopes.")
    networks: InputStrItems = Field(
        default_factory=list,
        description="VPC networks to associate; items may be Outputs.",
    )
    default_deny: bool = Field(default=True, description="Deny the targeted workloads' other egress.")
    enforcement_order: str = Field(default="BEFORE_CLASSIC_FIREWALL", description="The order the networks must use.")
    network_checks: Literal["stop", "warn"] = Field(
        default="stop",
        description="When a network read at deployment would not hold the default deny: stop (default) or warn.",
    )
    private_google_access: bool = Field(
        default=False, description="Serve storage.googleapis.com by a rule to the Google Access range."
    )
    google_access_vip: str = Field(
        default="private",
        description="private (private.googleapis.com, 199.36.153.8/30) or restricted (199.36.153.4/30, VPC-SC).",
    )
    existing_policy: str | None = Field(
        default=None,
        description="Add the rules to this existing policy (name, path or hierarchical id): no policy, no association.",
    )
    priority_band_start: int | None = Field(
        default=None,
        description="With existing_policy: first priority of the reserved band of 4,194,304 (default 1,000,000,000).",
    )
    port_keys: dict[str, int] = Field(
        default_factory=dict,
        description='With existing_policy: pin the band port key of a port set, e.g. {"587": 523} (0..1023).',
    )
    suffix_policy: str = Field(default="refuse", description="refuse or apex-only, for domain-and-subdomains rules.")
    skip_roles: list[str] = Field(
        default_factory=list, description="Machine kinds (or all plan roles of a kind) that do not run here."
    )
    description: str = Field(
        default="Symantec Endpoint Protection egress allowlist (sep-egress)", description="Policy description."
    )
    project: InputStr | None = Field(default=None, description="Project of a network policy (provider default).")
    secure_web_proxy: ProxyRouteArgs | None = Field(
        default=None,
        description="The names a Secure Web Proxy serves leave the FQDN rules for an allow to its address and port.",
    )


class EgressFirewallPolicyArgs(GcpArgs):
    """Inputs of ``EgressFirewallPolicy``: ``selection`` or ``plan``, ``targets`` per machine kind, optional
    ``secure_tags`` to create, and ``options``."""

    selection: SelectionArgs | None = Field(default=None, description="What to select from the catalog.")
    plan: EgressPlan | None = Field(default=None, description="A ready EgressPlan (Python only) instead.")
    targets: dict[str, RoleTargetArgs] = Field(
        default_factory=dict,
        description="Per machine kind (clients, managers, admin-workstations), the machines its rules apply to.",
    )
    secure_tags: SecureTagsArgs | None = Field(
        default=None, description="Create a tag key and a value per machine kind without a target."
    )
    options: FirewallPolicyOptionsArgs = Field(
        default_factory=FirewallPolicyOptionsArgs, description="How the policy is built."
    )
    enforcement: Literal["observe", "enforce"] = Field(
        default="enforce",
        description="observe: the default deny rules become logged allows at the same names and priorities.",
    )


class NatSubnetworkArgs(GcpArgs):
    """Chosen ranges of one subnet to translate: its primary range and/or named secondary ranges."""

    name: InputStr = Field(description="The subnetwork (name or self link; or an Output).")
    primary_range: bool = Field(default=False, description="Translate the subnet's primary range.")
    secondary_ranges: list[str] = Field(default_factory=list, description="Secondary ranges to translate, by name.")


class NatOptionsArgs(GcpArgs):
    """See ``NatOptions``: ``region``, ``network`` and ``subnetworks`` and/or ``subnetwork_ranges`` are required;
    ``rule_numbers`` maps a plan entry id to its NAT rule number; ``router`` reuses an existing Cloud Router."""

    region: str = Field(description="Region of the Cloud Router.")
    network: InputStr = Field(description="VPC network of the Cloud Router (or an Output).")
    subnetworks: InputStrList = Field(
        default_factory=list,
        description="Subnets of the SEP machines, every range translated; items or the whole list may be Outputs.",
    )
    subnetwork_ranges: list[NatSubnetworkArgs] = Field(
        default_factory=list, description="Subnets of the SEP machines of which only chosen ranges are translated."
    )
    router: str | None = Field(
        default=None, description="An existing Cloud Router (name) to add the NAT to; default: create one."
    )
    name: str = Field(default="sep-egress", description="Prefix of the router, NAT and address names.")
    address_count: int = Field(default=2, description="Static addresses for general egress.")
    rule_address_count: int = Field(default=1, description="Static addresses per NAT rule.")
    rule_numbers: dict[str, int] = Field(
        default_factory=dict, description="Pin the NAT rule number of a plan entry id."
    )
    log_filter: str = Field(default="ALL", description="ALL, ERRORS_ONLY or TRANSLATIONS_ONLY.")
    min_ports_per_vm: int = Field(default=64, description="Static port allocation per VM.")
    network_tier: str = Field(default="PREMIUM", description="PREMIUM or STANDARD.")
    protect_addresses: bool = Field(
        default=True, description="Protect the static addresses: a change that would release one fails at preview."
    )
    project: InputStr | None = Field(default=None, description="Project (provider default).")


class EgressNatArgs(GcpArgs):
    """Inputs of ``EgressNat``: ``selection`` or ``plan``, and ``options``."""

    selection: SelectionArgs | None = Field(default=None, description="What to select from the catalog.")
    plan: EgressPlan | None = Field(default=None, description="A ready EgressPlan (Python only) instead.")
    options: NatOptionsArgs = Field(description="Where and how the gateway is built.")


class PrivateAccessOptionsArgs(GcpArgs):
    """See ``PrivateAccessOptions``: ``networks`` (required), ``subnetworks``, ``name``, ``route_priority``."""

    networks: InputStrItems = Field(
        description="VPC networks that get the route and see the private zone; items may be Outputs."
    )
    subnetworks: InputStrList = Field(
        default_factory=list, description="Subnets that must turn Private Google Access on (reported)."
    )
    name: str = Field(default="sep-egress", description="Prefix of the route and zone names.")
    route_priority: int = Field(default=1000, description="Priority of the route to the Google Access range.")
    google_access_vip: str = Field(
        default="private",
        description="private (private.googleapis.com, 199.36.153.8/30) or restricted (199.36.153.4/30, VPC-SC).",
    )
    existing_zone: str | None = Field(
        default=None,
        description="An existing private googleapis.com. zone (name) to use: its records are checked, not created.",
    )
    record_checks: Literal["stop", "warn"] = Field(
        default="stop", description="With existing_zone: when its records differ at deployment, stop or warn."
    )
    project: InputStr | None = Field(default=None, description="Project (provider default).")


class StoragePrivateAccessArgs(GcpArgs):
    """Inputs of ``StoragePrivateAccess``: ``selection`` or ``plan``, and ``options``."""

    selection: SelectionArgs | None = Field(default=None, description="What to select from the catalog.")
    plan: EgressPlan | None = Field(default=None, description="A ready EgressPlan (Python only) instead.")
    options: PrivateAccessOptionsArgs = Field(description="Which networks and subnets.")
