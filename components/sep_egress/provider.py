"""The sep-egress components as a Pulumi component package, for stacks written in YAML, TypeScript, Go or .NET.

``provider/`` (beside this package) holds ``PulumiPlugin.yaml`` and the entry point; a consuming project runs
``pulumi package add <path or git URL>/provider`` and gets a typed SDK generated from the schema that Pulumi's
component provider host (``pulumi.provider.experimental``) infers from the classes below.

Why separate classes instead of hosting ``sep_egress.aws`` and ``sep_egress.gcp`` directly: the host's analyzer
cannot read those as they are, and making them readable would change their Python API.

- It reads ``__init__``'s ``args`` annotation and every class-level annotation as live objects; both modules use
  ``from __future__ import annotations`` (strings), and the components annotate non-outputs such as ``spec``.
- It knows TypedDicts, dataclasses, ``str``/``int``/``float``/``bool``, lists, ``str``-keyed dicts and enums; not
  ``Literal`` (``LogDestinationType``), and a dataclass field with a default is still *required* in the schema.
- The provider calls ``Component(name, args_dict, opts)``: the AWS component wants a ``NetworkFirewallAllowlistArgs``
  instance, and the GCP components take ``opts`` as a keyword only.
- Every type token is ``sep-egress:index:<ClassName>`` (``schema.generate_schema`` writes ``{name}:index:``, and
  ``ComponentProvider.validate_resource_type`` refuses any module other than ``index``), while the Python
  components register ``sep-egress:aws:...`` / ``sep-egress:gcp:...``. Renaming those would change the URN of every
  resource of existing stacks.

So each class here is a thin twin: TypedDict inputs whose Python keys are exactly the keys the existing
components take (tests check it), class-level ``pulumi.Output[...]`` outputs, and an ``__init__`` that validates
and compiles with the existing code (``compile_args``, ``prepare``), registers ``sep-egress:index:<Name>``, and
creates the existing component as its only child. No host, port or rule logic lives here. A resource made through
the package therefore sits one level deeper than in a Python stack::

    sep-egress:index:NetworkFirewallAllowlist  (this module)
      └─ sep-egress:aws:NetworkFirewallAllowlist  (sep_egress.aws, unchanged)
           └─ aws:networkfirewall/ruleGroup:RuleGroup ...

Inputs are plain values, not ``pulumi.Input``: the rules are compiled when the component is constructed, so the
selection, CIDRs and options must be known then. An output of another resource passed to any input is refused
with a message naming the input. Errors from the compilers name arguments in their Python spelling
(``source_cidrs`` for ``sourceCidrs``).
"""

import importlib.metadata
import json
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NotRequired, TypedDict, cast

import pulumi
from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case

from . import aws as aws_components
from . import gcp as gcp_components
from .errors import SepEgressError

PACKAGE_NAME = "sep-egress"
"""The Pulumi package name: the first part of every type token, and the key under ``packages:`` of a consumer."""


# --- AWS Network Firewall -------------------------------------------------------------------------------------


class FirewallSettings(TypedDict):
    """Create the AWS Network Firewall itself, with one endpoint per subnet (one subnet per Availability Zone)."""

    vpc_id: str
    """The VPC of the firewall (`vpc-...`)."""
    subnet_ids: list[str]
    """The firewall subnets (`subnet-...`), one per Availability Zone."""
    name: NotRequired[str]
    """Firewall name; default `<namePrefix>-firewall`."""
    delete_protection: NotRequired[bool]
    """Refuse deletion of the firewall; default true."""


class LoggingSettings(TypedDict):
    """Alert (and optionally flow) logs of the firewall, to CloudWatch Logs log groups or S3 buckets."""

    alert_destination: str
    """Log group name (CloudWatchLogs) or bucket name (S3) for ALERT logs."""
    destination_type: NotRequired[str]
    """`CloudWatchLogs` (default) or `S3`."""
    flow_destination: NotRequired[str]
    """Log group or bucket for FLOW logs; none when absent."""
    s3_prefix: NotRequired[str]
    """Key prefix in the bucket(s), for S3 destinations."""


class DistributionSettings(TypedDict):
    """Share one reviewed allowlist with many accounts instead of copying it."""

    method: NotRequired[str]
    """`none` (default), `firewall-manager` (an FMS policy applied to VPCs) or `ram` (share the rule groups)."""
    include_accounts: NotRequired[list[str]]
    """firewall-manager: account IDs in scope (every account when this and includeOrgUnits are empty)."""
    include_org_units: NotRequired[list[str]]
    """firewall-manager: organizational units in scope (`ou-...`)."""
    remediation_enabled: NotRequired[bool]
    """firewall-manager: enforce (true) or audit only (false, the default)."""
    principals: NotRequired[list[str]]
    """ram: account IDs, or organization or OU ARNs, to share the rule groups with (required for ram)."""


class NetworkFirewallAllowlistArgs(TypedDict):
    """Inputs of `NetworkFirewallAllowlist`: the catalog selection, the sources per role and the deployment."""

    version: str
    """The SEP/SES release deployed, e.g. `14.3 RU1`."""
    source_cidrs: dict[str, list[str]]
    """Per role (agent, agent-cloud, sepm, sepm-cloud, console), its networks; a role without any gets no rule."""
    mode: NotRequired[str]
    """`on-prem` (agent + sepm), `hybrid` (+ agent-cloud, sepm-cloud) or `cloud` (agent + agent-cloud)."""
    roles: NotRequired[list[str]]
    """Roles to add to the mode's (`console` is never implied)."""
    proxy: NotRequired[bool]
    """Clients and the manager go through a proxy; default false."""
    storage: NotRequired[str]
    """Phase of the vendor's storage move: `both` (default), `gcp` or `aws`."""
    style: NotRequired[str]
    """`suricata` (default: pins ports and per-role sources) or `domain-list`."""
    headroom_percent: NotRequired[int]
    """Spare capacity per rule group, so that new hosts are in-place updates; default 25."""
    capacity_rounding: NotRequired[int]
    """Capacities are rounded up to a multiple of this; default 100."""
    min_capacity: NotRequired[int]
    """Smallest capacity of a rule group; default 100."""
    max_rules_bytes: NotRequired[int]
    """Largest rules string per group (1000 to 2000000); default 2000000."""
    name_prefix: NotRequired[str]
    """Start of every physical name; default `sep-egress`."""
    allow_any_source: NotRequired[bool]
    """Accept `0.0.0.0/0` as a source; default false."""
    create_policy: NotRequired[bool]
    """Create a STRICT_ORDER policy that drops the rest (default true); false if you own it (`ruleGroupReferences`)."""
    firewall: NotRequired[FirewallSettings]
    """Create the firewall itself (needs createPolicy)."""
    logging: NotRequired[LoggingSettings]
    """Firewall logs (needs firewall)."""
    distribution: NotRequired[DistributionSettings]
    """Firewall Manager policy or RAM share of the rule groups."""
    tags: NotRequired[dict[str, str]]
    """Tags on every taggable resource (`managed-by: sep-egress` is always added)."""


class RuleGroupReference(TypedDict):
    """A rule group as a firewall policy you own must reference it."""

    arn: str
    """The rule group's ARN."""
    priority: int
    """Its priority under STRICT_ORDER."""


class RuleGroupCapacity(TypedDict):
    """Fixed capacity of a rule group, what the rules use of it, and its priority."""

    capacity: int
    """Capacity set at creation (changing it replaces the group)."""
    used: int
    """Capacity the current rules use."""
    priority: int
    """Priority in the policy."""


class NetworkFirewallAllowlist(pulumi.ComponentResource):
    """The Symantec Endpoint Protection egress allowlist on AWS Network Firewall: stateful STRICT_ORDER rule groups
    compiled from the vendor catalog and, as the inputs ask, a firewall policy, the firewall and its logs, and a
    Firewall Manager policy or RAM share. Every input is validated before anything is registered."""

    rule_group_arns: pulumi.Output[list[str]]
    """ARNs of the rule groups, in priority order."""
    rule_group_references: pulumi.Output[list[RuleGroupReference]]
    """The rule groups with their priorities, for a firewall policy you own."""
    firewall_policy_arn: pulumi.Output[str] | None
    """ARN of the firewall policy; absent when createPolicy is false."""
    firewall_arn: pulumi.Output[str] | None
    """ARN of the firewall; absent unless firewall is set."""
    allowed_hosts: pulumi.Output[dict[str, list[str]]]
    """Per role, the hosts its sources may reach."""
    tls_inspection_bypass: pulumi.Output[list[str]]
    """Hosts to keep out of any TLS inspection (the agents pin their certificates)."""
    skipped_roles: pulumi.Output[list[str]]
    """Plan roles that got no rule because they have no source CIDRs."""
    capacity: pulumi.Output[dict[str, RuleGroupCapacity]]
    """Per rule group key, its capacity, the capacity used and its priority."""
    notes: pulumi.Output[list[str]]
    """What a reviewer should know about the compiled rules."""

    def __init__(
        self, name: str, args: NetworkFirewallAllowlistArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        raw = _plain_inputs(args)
        selection = {key: raw.pop(key) for key in ("version", "mode", "roles", "proxy", "storage") if key in raw}
        allowlist_args = aws_components.NetworkFirewallAllowlistArgs.parse({**raw, "selection": selection})
        spec = aws_components.compile_args(allowlist_args)  # every mistake raised before anything is registered
        super().__init__(f"{PACKAGE_NAME}:index:NetworkFirewallAllowlist", name, None, opts)
        self.component = aws_components.NetworkFirewallAllowlist(
            name, allowlist_args, pulumi.ResourceOptions(parent=self)
        )
        self.rule_group_arns = self.component.rule_group_arns
        self.rule_group_references = cast(pulumi.Output[list[RuleGroupReference]], self.component.rule_group_references)
        self.firewall_policy_arn = cast(pulumi.Output[str], self.component.firewall_policy_arn)
        self.firewall_arn = cast(pulumi.Output[str], self.component.firewall_arn)
        self.allowed_hosts = self.component.allowed_hosts
        self.tls_inspection_bypass = self.component.tls_inspection_bypass
        self.skipped_roles = self.component.skipped_roles
        self.capacity = cast(pulumi.Output[dict[str, RuleGroupCapacity]], self.component.capacity)
        self.notes = pulumi.Output.from_input(list(spec.notes))
        self.register_outputs(_outputs(self, type(self)))


# --- GCP --------------------------------------------------------------------------------------------------------


class Selection(TypedDict):
    """What sep-egress selects from the vendor catalog."""

    version: str
    """The SEP/SES release deployed, e.g. `14.3 RU1`."""
    mode: NotRequired[str]
    """`on-prem`, `hybrid` or `cloud`."""
    roles: NotRequired[list[str]]
    """Roles to add to the mode's: agent, agent-cloud, sepm, sepm-cloud, console."""
    proxy: NotRequired[bool]
    """Clients and the manager go through a proxy; default false."""
    storage: NotRequired[str]
    """Phase of the vendor's storage move: `both` (default), `gcp` or `aws`."""


class RoleTarget(TypedDict):
    """The workloads of one role: secure tags or service accounts, not both."""

    secure_tags: NotRequired[list[str]]
    """Secure tag values (`tagValues/N`, or `created:<role>` for a tag this component creates)."""
    service_accounts: NotRequired[list[str]]
    """Service account e-mails."""


class SecureTags(TypedDict):
    """Secure tags to create: a TagKey (purpose GCE_FIREWALL) and one TagValue per role without explicit targets."""

    parent: str
    """`projects/<id>` or `organizations/<id>`."""
    key: NotRequired[str]
    """Short name of the TagKey; default `sep-egress`."""
    network: NotRequired[str]
    """`<project>/<vpc>` the key is scoped to (required for a project key)."""


class FirewallPolicyOptions(TypedDict):
    """How the Cloud NGFW policy is built."""

    name: NotRequired[str]
    """Policy name and rule-name prefix (RFC 1035, at most 40 characters); default `sep-egress`."""
    scope: NotRequired[str]
    """`global` (default) or `regional` network policy, or a `folder` or `organization` policy."""
    region: NotRequired[str]
    """Region of a regional policy."""
    parent: NotRequired[str]
    """`folders/N` or `organizations/N` of a hierarchical policy."""
    networks: NotRequired[list[str]]
    """VPC networks (`projects/p/global/networks/n`) to associate (a hierarchical policy's rule targets)."""
    default_deny: NotRequired[bool]
    """Add a deny-all egress rule for the targeted workloads after the allow rules; default true."""
    enforcement_order: NotRequired[str]
    """`BEFORE_CLASSIC_FIREWALL` (default) or `AFTER_CLASSIC_FIREWALL`: what the networks must set."""
    private_google_access: NotRequired[bool]
    """Allow storage.googleapis.com as 199.36.153.8/30 (with StoragePrivateAccess); default false."""
    suffix_policy: NotRequired[str]
    """`refuse` (default) a domain-and-subdomains rule, or `apex-only` with a warning."""
    skip_roles: NotRequired[list[str]]
    """Plan roles that do not run in this scope."""
    description: NotRequired[str]
    """Policy description."""
    project: NotRequired[str]
    """Project of a network policy; the provider's default when absent."""


class EgressFirewallPolicyArgs(TypedDict):
    """Inputs of `EgressFirewallPolicy`."""

    selection: Selection
    """What to allow, from the vendor catalog."""
    options: FirewallPolicyOptions
    """How the policy is built and where it applies."""
    targets: NotRequired[dict[str, RoleTarget]]
    """Per role, the workloads its rules apply to."""
    secure_tags: NotRequired[SecureTags]
    """Secure tags to create for the roles without explicit targets."""


class NatOptions(TypedDict):
    """How the Cloud NAT gateway is built."""

    region: str
    """Region of the Cloud Router."""
    network: str
    """VPC network of the Cloud Router."""
    subnetworks: list[str]
    """Workload subnets whose egress is translated (every IP range of each)."""
    name: NotRequired[str]
    """Prefix of the router, NAT and address names; default `sep-egress`."""
    address_count: NotRequired[int]
    """Static addresses for general egress (1-16); default 2."""
    rule_address_count: NotRequired[int]
    """Static addresses per NAT rule (1-8); default 1."""
    rule_numbers: NotRequired[dict[str, int]]
    """Pin the NAT rule number of a plan entry id's destinations."""
    log_filter: NotRequired[str]
    """`ALL` (default), `ERRORS_ONLY` or `TRANSLATIONS_ONLY`."""
    min_ports_per_vm: NotRequired[int]
    """Static port allocation per VM; default 64."""
    network_tier: NotRequired[str]
    """`PREMIUM` (default) or `STANDARD`."""
    project: NotRequired[str]
    """Project; the provider's default when absent."""


class EgressNatArgs(TypedDict):
    """Inputs of `EgressNat`."""

    selection: Selection
    """What to allow, from the vendor catalog (its CIDR entries get NAT rules)."""
    options: NatOptions
    """How the gateway is built."""


class PrivateAccessOptions(TypedDict):
    """How storage.googleapis.com is reached through Private Google Access."""

    networks: list[str]
    """VPC networks that get the route and see the private googleapis.com zone."""
    subnetworks: NotRequired[list[str]]
    """Subnets that must turn privateIpGoogleAccess on (reported in requiredSubnetSettings)."""
    name: NotRequired[str]
    """Prefix of the route and zone names; default `sep-egress`."""
    route_priority: NotRequired[int]
    """Priority of the routes (0-65535); default 1000."""
    project: NotRequired[str]
    """Project; the provider's default when absent."""


class StoragePrivateAccessArgs(TypedDict):
    """Inputs of `StoragePrivateAccess`."""

    selection: Selection
    """The same selection as the firewall policy's (nothing is created when it has no storage.googleapis.com)."""
    options: PrivateAccessOptions
    """Where the route and zone apply."""


class EgressWarning(TypedDict):
    """Something a reviewer of the GCP controls must know."""

    code: str
    """Stable identifier of the warning."""
    message: str
    """What it means, for people."""
    hosts: list[str]
    """Hosts concerned, if any."""


class NatRule(TypedDict):
    """A NAT rule: destinations translated with their own addresses."""

    rule_number: int
    """The rule number."""
    entry_ids: list[str]
    """Plan entries that declare these destinations."""
    ranges: list[str]
    """Destination CIDRs."""


class PrivateAccessRoute(TypedDict):
    """A route to private.googleapis.com."""

    name: str
    """Route name."""
    description: str
    """Route description."""
    network: str
    """VPC network of the route."""
    dest_range: str
    """Destination range (199.36.153.8/30)."""
    next_hop_gateway: str
    """Next hop (the default internet gateway)."""
    priority: int
    """Route priority."""


class SubnetSetting(TypedDict):
    """What the owner of a workload subnet must set."""

    subnetwork: str
    """The subnet."""
    private_ip_google_access: bool
    """Always true: Private Google Access on."""


class EgressFirewallPolicy(pulumi.ComponentResource):
    """A Cloud NGFW egress policy with FQDN rules compiled from the vendor catalog, in one *FirewallPolicyWithRules
    resource, its associations, and optionally the secure tags it targets. Every input is validated before anything
    is registered."""

    policy_id: pulumi.Output[str]
    """ID of the policy."""
    policy_name: pulumi.Output[str]
    """Name of the policy."""
    rule_priorities: pulumi.Output[list[int]]
    """Priorities of the rules, in order."""
    tier: pulumi.Output[str]
    """`standard` when FQDN objects are used (Cloud NGFW Standard), `essentials` otherwise."""
    network_settings: pulumi.Output[dict[str, str]]
    """What each associated VPC network must set (networkFirewallPolicyEnforcementOrder)."""
    warnings: pulumi.Output[list[EgressWarning]]
    """What a reviewer must know."""

    def __init__(self, name: str, args: EgressFirewallPolicyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        raw = cast(gcp_components.EgressFirewallPolicyArgs, _plain_inputs(args))
        spec = gcp_components.EgressFirewallPolicy.prepare(raw)[0]
        super().__init__(f"{PACKAGE_NAME}:index:EgressFirewallPolicy", name, None, opts)
        self.component = gcp_components.EgressFirewallPolicy(name, raw, opts=pulumi.ResourceOptions(parent=self))
        self.policy_id = self.component.policy_id
        self.policy_name = self.component.policy_name
        self.rule_priorities = pulumi.Output.from_input([rule.priority for rule in spec.rules])
        self.tier = pulumi.Output.from_input(spec.tier)
        self.network_settings = pulumi.Output.from_input(cast(dict[str, str], spec.network_settings()))
        self.warnings = pulumi.Output.from_input(_schema_items(EgressWarning, [w.to_dict() for w in spec.warnings]))
        self.register_outputs(_outputs(self, type(self)))


class EgressNat(pulumi.ComponentResource):
    """A Cloud Router and Cloud NAT for the workload subnets, with MANUAL_ONLY static addresses and NAT rules that
    give the catalog's CIDR destinations their own source addresses."""

    egress_addresses: pulumi.Output[list[str]]
    """The general NAT addresses: allowlist them on a perimeter firewall or upstream proxy."""
    router_name: pulumi.Output[str]
    """Name of the Cloud Router."""
    nat_name: pulumi.Output[str]
    """Name of the NAT configuration."""
    nat_rules: pulumi.Output[list[NatRule]]
    """The NAT rules: number, plan entries, destination ranges."""
    warnings: pulumi.Output[list[EgressWarning]]
    """What a reviewer must know."""

    def __init__(self, name: str, args: EgressNatArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        nat_args = cast(gcp_components.EgressNatArgs, _plain_inputs(args))
        spec = gcp_components.EgressNat.prepare(nat_args)[0]
        super().__init__(f"{PACKAGE_NAME}:index:EgressNat", name, None, opts)
        self.component = gcp_components.EgressNat(name, nat_args, opts=pulumi.ResourceOptions(parent=self))
        self.egress_addresses = self.component.egress_addresses
        self.router_name = pulumi.Output.from_input(spec.router_name)
        self.nat_name = pulumi.Output.from_input(spec.nat_name)
        self.nat_rules = pulumi.Output.from_input(
            _schema_items(
                NatRule,
                [
                    {"rule_number": rule.rule_number, "entry_ids": list(rule.entry_ids), "ranges": list(rule.ranges)}
                    for rule in spec.rules
                ],
            )
        )
        self.warnings = pulumi.Output.from_input(_schema_items(EgressWarning, [w.to_dict() for w in spec.warnings]))
        self.register_outputs(_outputs(self, type(self)))


class StoragePrivateAccess(pulumi.ComponentResource):
    """Routes and a private googleapis.com zone so that storage.googleapis.com is reached through Private Google
    Access; nothing is created when the selection has no storage.googleapis.com (storage phase `aws`)."""

    enabled: pulumi.Output[bool]
    """Whether anything was created."""
    zone_name: pulumi.Output[str] | None
    """Name of the private DNS zone; absent when not enabled."""
    routes: pulumi.Output[list[PrivateAccessRoute]]
    """The routes to private.googleapis.com."""
    required_subnet_settings: pulumi.Output[list[SubnetSetting]]
    """What each workload subnet's owner must set."""
    warnings: pulumi.Output[list[EgressWarning]]
    """What a reviewer must know."""

    def __init__(self, name: str, args: StoragePrivateAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        raw = cast(gcp_components.StoragePrivateAccessArgs, _plain_inputs(args))
        spec = gcp_components.StoragePrivateAccess.prepare(raw)[0]
        super().__init__(f"{PACKAGE_NAME}:index:StoragePrivateAccess", name, None, opts)
        self.component = gcp_components.StoragePrivateAccess(name, raw, opts=pulumi.ResourceOptions(parent=self))
        self.enabled = pulumi.Output.from_input(spec.enabled)
        self.zone_name = pulumi.Output.from_input(spec.zone_name) if spec.enabled else None
        routes = [{_snake(key): value for key, value in route.to_api().items()} for route in spec.routes]
        self.routes = pulumi.Output.from_input(_schema_items(PrivateAccessRoute, routes))
        settings = [{_snake(key): value for key, value in item.items()} for item in spec.subnet_settings()]
        self.required_subnet_settings = pulumi.Output.from_input(_schema_items(SubnetSetting, settings))
        self.warnings = pulumi.Output.from_input(_schema_items(EgressWarning, [w.to_dict() for w in spec.warnings]))
        self.register_outputs(_outputs(self, type(self)))


COMPONENTS: list[type[pulumi.ComponentResource]] = [
    NetworkFirewallAllowlist,
    EgressFirewallPolicy,
    EgressNat,
    StoragePrivateAccess,
]
"""What the package hosts; each becomes `sep-egress:index:<class name>`."""


# --- helpers --------------------------------------------------------------------------------------------------


def _plain_inputs(args: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``args``; refuses an output of another resource (the rules are compiled from the values).

    Numbers cross the wire as floats, and the host hands them over as floats even for ``integer`` properties
    (``ComponentProvider.map_input_properties`` converts, then overwrites with the original value). Every number of
    this package is an integer (a test keeps the schema free of ``number``), so whole floats become ints here.
    """

    def copy(value: Any, path: str) -> Any:
        if isinstance(value, pulumi.Output):
            raise SepEgressError(
                f"{path}: a plain value is required (the rules are compiled from it when the component is "
                "constructed); an output of another resource cannot be used here"
            )
        if isinstance(value, Mapping):
            return {key: copy(item, f"{path}.{camel_case(str(key))}") for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [copy(item, f"{path}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    if not isinstance(args, Mapping):
        raise SepEgressError("args: a mapping of input names to values")
    return {key: copy(value, camel_case(key)) for key, value in args.items()}


def _snake(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


def _schema_items(kind: type[Any], items: list[dict[str, Any]]) -> Any:
    """Items of a list output of object type ``kind``, keyed by their schema (camelCase) names.

    The host renames the keys of an object-typed output, but not those of objects inside a list or map output
    (``ComponentProvider.get_state``), so they are written in schema spelling here. Unknown keys are an error.
    """
    known = set(kind.__annotations__)
    for item in items:
        unknown = set(item) - known
        if unknown:
            raise ValueError(f"{kind.__name__}: unexpected keys {sorted(unknown)}")
    return [{camel_case(key): value for key, value in item.items()} for item in items]


def _outputs(component: pulumi.ComponentResource, kind: type[Any]) -> dict[str, Any]:
    """The declared outputs by their schema names, for ``register_outputs``."""
    names = [name for name in kind.__annotations__ if not name.startswith("_")]
    return {camel_case(name): getattr(component, name) for name in names}


def package_version() -> str:
    """The version of the installed ``sep-egress`` distribution, else ``pyproject.toml``'s (a bare checkout)."""
    try:
        return importlib.metadata.version(PACKAGE_NAME)
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])


def package_schema(version: str | None = None) -> dict[str, Any]:
    """The package schema, inferred by the same ``ComponentProvider`` that ``component_provider_host`` serves.

    Building it analyses the classes and starts nothing (no gRPC server, no engine).
    """
    provider = ComponentProvider(COMPONENTS, PACKAGE_NAME, None, version or package_version())
    return cast(dict[str, Any], json.loads(provider.schema or "{}"))


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``provider/__main__.py``: serve the components to the Pulumi engine.

    ``--schema`` prints the inferred schema instead (no Pulumi CLI or engine needed).
    """
    arguments = sys.argv[1:] if argv is None else argv
    if arguments == ["--schema"]:
        print(json.dumps(package_schema(), indent=2, sort_keys=True))
        return
    component_provider_host(COMPONENTS, name=PACKAGE_NAME, version=package_version())
