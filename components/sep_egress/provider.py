"""The sep-egress components as a Pulumi component package, for stacks written in YAML, TypeScript, Go or .NET.

``provider/`` (beside this package) holds ``PulumiPlugin.yaml`` and the entry point; a consuming project runs
``pulumi package add <path or git URL>/provider`` and gets a typed SDK generated from the schema that Pulumi's
component provider host (``pulumi.provider.experimental``) infers from the classes below.

**Inputs are derived from the Python args, not restated.** The host's analyzer reads TypedDicts (live
annotations, property docs from the class source), not pydantic models. ``package_args_source`` therefore writes
one TypedDict per args model of ``sep_egress.aws`` / ``sep_egress.gcp`` (same names, same fields, the field
descriptions as property docs, ``pulumi.Input[...]`` exactly where the Python model accepts an Output; ``plan``
left out, since a ready ``EgressPlan`` is Python-only), and that module is built from the source when this module
is imported. An argument added to a Python args model appears in the package without editing this file.

**One set of components, one type token each.** Every package component registers
``sep-egress:index:<ClassName>`` (``schema.generate_schema`` writes ``{name}:index:``, and
``ComponentProvider.validate_resource_type`` refuses any other module) and creates the Python component
(``sep-egress:aws:...`` / ``sep-egress:gcp:...``) as its only child, passing the validated args through. No host,
port or rule logic lives here. The child carries ``Alias(parent=ROOT_STACK_RESOURCE)``: its URN as a direct child
of the stack, which is where a Python program creates it. Pulumi derives the children's aliases from their
parent's (the SDKs' ``inheritedChildAlias``; pulumi/pulumi ``tests/integration/aliases/python/rename_component``),
so a stack that moves from the Python library to the package keeps every URN. For the opposite move, give the
Python component ``opts=pulumi.ResourceOptions(aliases=[package_alias(<package class>, name)])``.
"""

import importlib.metadata
import json
import linecache
import sys
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

import pulumi
from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import aws as aws_components
from . import gcp as gcp_components
from .arguments import InputStr, InputStrItems, InputStrList, InputStrMap
from .catalog.plan import EgressPlan

PACKAGE_NAME = "sep-egress"
"""The Pulumi package name: the first part of every type token, and the key under ``packages:`` of a consumer."""


# --- inputs: generated from the Python args models ----------------------------------------------------------------

ARGS_MODELS: tuple[type[BaseModel], ...] = (
    aws_components.NetworkFirewallAllowlistArgs,
    gcp_components.EgressFirewallPolicyArgs,
    gcp_components.EgressNatArgs,
    gcp_components.StoragePrivateAccessArgs,
)
"""The args of the four components; the models they nest are found from their fields."""

_INPUT_TYPES: dict[Any, str] = {
    InputStr: "pulumi.Input[str]",
    InputStrList: "pulumi.Input[list[pulumi.Input[str]]]",
    InputStrItems: "list[pulumi.Input[str]]",
    InputStrMap: "pulumi.Input[dict[str, pulumi.Input[str]]]",
}


def _annotation(annotation: Any, models: dict[str, type[BaseModel]]) -> tuple[str, bool] | None:
    """The TypedDict spelling of a pydantic field type and whether it is optional; None for Python-only fields."""
    if annotation in _INPUT_TYPES:
        return _INPUT_TYPES[annotation], False
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union) and type(None) in arguments:
        rest = [argument for argument in arguments if argument is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"no package type for {annotation!r}")
        inner = _annotation(rest[0], models)
        return None if inner is None else (inner[0], True)
    if isinstance(annotation, type) and issubclass(annotation, EgressPlan):
        return None  # a ready plan is a Python object: the package takes the selection
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _collect(annotation, models)
        return annotation.__name__, False
    if origin is Literal:  # the analyzer knows no Literal: the choices go into the description
        return "str", False
    if annotation in (str, int, bool, float):
        return str(annotation.__name__), False
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:  # tuple[X, ...] is a list on the wire
        item = _annotation(arguments[0], models)
        return None if item is None else (f"list[{item[0]}]", False)
    if origin is list:
        item = _annotation(arguments[0], models)
        return None if item is None else (f"list[{item[0]}]", False)
    if origin is dict and arguments[0] is str:
        value = _annotation(arguments[1], models)
        return None if value is None else (f"dict[str, {value[0]}]", False)
    raise TypeError(f"no package type for {annotation!r}")


def _collect(model: type[BaseModel], models: dict[str, type[BaseModel]]) -> None:
    """Add ``model`` and the models it nests to ``models``, nested ones first."""
    if model.__name__ in models:
        return
    for field in model.model_fields.values():
        _annotation(_field_type(field), models)
    models[model.__name__] = model


def _field_type(field: FieldInfo) -> Any:
    """The field's type with its metadata, as declared (pydantic keeps ``Annotated`` metadata apart)."""
    if field.metadata:
        return typing.Annotated[(field.annotation, *field.metadata)]
    return field.annotation


def _docstring(text: str) -> str:
    escaped = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"""{escaped}"""'


def _description(field: FieldInfo, name: str) -> str:
    text = field.description or name.replace("_", " ")
    if typing.get_origin(field.annotation) is Literal:
        text += " One of: " + ", ".join(str(choice) for choice in typing.get_args(field.annotation)) + "."
    if not field.is_required():
        default = field.get_default(call_default_factory=True)
        if default not in (None, [], {}) and not isinstance(default, BaseModel):
            text += f" Default: {json.dumps(default)}."
    return text


def package_args_source() -> str:
    """The Python source of the package's input types, one TypedDict per args model (nested models first)."""
    models: dict[str, type[BaseModel]] = {}
    for model in ARGS_MODELS:
        _collect(model, models)
    lines = [
        '"""Input types of the sep-egress component package, generated from the Python args models."""',
        "",
        "from typing import NotRequired, TypedDict",
        "",
        "import pulumi",
    ]
    for name, model in models.items():
        lines += ["", "", f"class {name}(TypedDict):", f"    {_docstring((model.__doc__ or name).strip())}"]
        spelled_fields = {field: _annotation(_field_type(info), models) for field, info in model.model_fields.items()}
        for field_name, field in model.model_fields.items():
            spelled = spelled_fields[field_name]
            if spelled is None:
                continue
            kind, optional = spelled
            # Python takes a selection or a ready plan; the package has no plan, so its selection is required.
            needed = field_name == "selection" and spelled_fields.get("plan", ...) is None
            if (optional or not field.is_required()) and not needed:
                kind = f"NotRequired[{kind}]"
            lines += ["", f"    {field_name}: {kind}", f"    {_docstring(_description(field, field_name))}"]
    return "\n".join(lines) + "\n"


def _load_package_args() -> types.ModuleType:
    """Build the input types from ``package_args_source``.

    The source is registered with ``linecache`` under the module's file name, so that ``inspect.getsource``, which
    the analyzer uses for the property docs, finds it.
    """
    name = f"{__name__}_args"
    filename = f"<{name}: generated from the Python args models>"
    source = package_args_source()
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - source generated just above
    return module


PACKAGE_ARGS = _load_package_args()
"""The generated input types (``PACKAGE_ARGS.NetworkFirewallAllowlistArgs``, ...)."""

if TYPE_CHECKING:
    NetworkFirewallAllowlistInputs = Mapping[str, Any]
    EgressFirewallPolicyInputs = Mapping[str, Any]
    EgressNatInputs = Mapping[str, Any]
    StoragePrivateAccessInputs = Mapping[str, Any]
else:
    NetworkFirewallAllowlistInputs = PACKAGE_ARGS.NetworkFirewallAllowlistArgs
    EgressFirewallPolicyInputs = PACKAGE_ARGS.EgressFirewallPolicyArgs
    EgressNatInputs = PACKAGE_ARGS.EgressNatArgs
    StoragePrivateAccessInputs = PACKAGE_ARGS.StoragePrivateAccessArgs


def _python_args(args: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs the host hands over, as the Python args take them.

    Numbers cross the wire as floats, and the host hands them over as floats even for ``integer`` properties
    (``ComponentProvider.map_input_properties`` converts, then overwrites with the original value). Every number of
    this package is an integer (a test keeps the schema free of ``number``), so whole floats become ints here.
    Outputs pass as they are: the Python args accept them where a value only passes through, and say why not
    elsewhere.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    return cast(dict[str, Any], plain(args))


def _child_options(parent: pulumi.Resource) -> pulumi.ResourceOptions:
    """The Python component's URN as a Python program creates it (a child of the stack) is its alias."""
    return pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)])


def package_alias(package_class: type[pulumi.ComponentResource], name: str) -> pulumi.Alias:
    """The alias a Python component needs in a stack that moves from the component package to the library.

    ``opts=pulumi.ResourceOptions(aliases=[package_alias(provider.NetworkFirewallAllowlist, name)])``: the Python
    component (and, through it, every child) keeps the URN it had under the package component of that name.
    """
    parent = pulumi.create_urn(name, f"{PACKAGE_NAME}:index:{package_class.__name__}")
    return pulumi.Alias(parent=parent)


# --- outputs --------------------------------------------------------------------------------------------------


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
        self, name: str, args: NetworkFirewallAllowlistInputs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        python_args = aws_components.NetworkFirewallAllowlistArgs.parse(_python_args(args))
        aws_components.compile_args(python_args)  # every mistake raised before anything is registered
        super().__init__(f"{PACKAGE_NAME}:index:NetworkFirewallAllowlist", name, None, opts)
        inner = aws_components.NetworkFirewallAllowlist(name, python_args, _child_options(self))
        self.component = inner
        self.rule_group_arns = inner.rule_group_arns
        self.rule_group_references = cast(Any, inner.rule_group_references)
        self.firewall_policy_arn = cast(Any, inner.firewall_policy_arn)
        self.firewall_arn = cast(Any, inner.firewall_arn)
        self.allowed_hosts = inner.allowed_hosts
        self.tls_inspection_bypass = inner.tls_inspection_bypass
        self.skipped_roles = inner.skipped_roles
        self.capacity = cast(Any, inner.capacity)
        self.notes = inner.notes
        self.register_outputs(_outputs(self, type(self)))


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
    secure_tag_values: pulumi.Output[dict[str, str]]
    """Per role, the id (tagValues/...) of the tag value this component created: bind it to that role's VMs."""
    warnings: pulumi.Output[list[EgressWarning]]
    """What a reviewer must know."""

    def __init__(self, name: str, args: EgressFirewallPolicyInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        python_args = gcp_components.EgressFirewallPolicyArgs.parse(_python_args(args))
        gcp_components.EgressFirewallPolicy.prepare(python_args)
        super().__init__(f"{PACKAGE_NAME}:index:EgressFirewallPolicy", name, None, opts)
        inner = gcp_components.EgressFirewallPolicy(name, python_args, _child_options(self))
        self.component = inner
        self.policy_id = inner.policy_id
        self.policy_name = inner.policy_name
        self.rule_priorities = inner.rule_priorities
        self.tier = inner.tier
        self.network_settings = cast(Any, inner.network_settings)
        self.secure_tag_values = inner.secure_tag_values
        self.warnings = inner.warnings.apply(lambda items: _schema_items(EgressWarning, items))
        self.register_outputs(_outputs(self, type(self)))


class EgressNat(pulumi.ComponentResource):
    """A Cloud Router and Cloud NAT for the workload subnets, with MANUAL_ONLY static addresses and NAT rules that
    give the catalog's CIDR destinations their own source addresses."""

    egress_addresses: pulumi.Output[list[str]]
    """The general NAT addresses. Every VM of the translated subnet ranges shares them (gcp-nat-shared-addresses),
    so a perimeter rule on these addresses admits all those VMs, not only the SEP machines."""
    rule_addresses: pulumi.Output[dict[str, list[str]]]
    """Per NAT rule number, the addresses used only for that rule's destinations."""
    router_name: pulumi.Output[str]
    """Name of the Cloud Router."""
    nat_name: pulumi.Output[str]
    """Name of the NAT configuration."""
    nat_rules: pulumi.Output[list[NatRule]]
    """The NAT rules: number, plan entries, destination ranges."""
    warnings: pulumi.Output[list[EgressWarning]]
    """What a reviewer must know."""

    def __init__(self, name: str, args: EgressNatInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        python_args = gcp_components.EgressNatArgs.parse(_python_args(args))
        gcp_components.EgressNat.prepare(python_args)
        super().__init__(f"{PACKAGE_NAME}:index:EgressNat", name, None, opts)
        inner = gcp_components.EgressNat(name, python_args, _child_options(self))
        self.component = inner
        self.egress_addresses = inner.egress_addresses
        self.rule_addresses = inner.rule_addresses
        self.router_name = inner.router_name
        self.nat_name = inner.nat_name
        self.nat_rules = inner.nat_rules.apply(lambda items: _schema_items(NatRule, items))
        self.warnings = inner.warnings.apply(lambda items: _schema_items(EgressWarning, items))
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

    def __init__(self, name: str, args: StoragePrivateAccessInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        python_args = gcp_components.StoragePrivateAccessArgs.parse(_python_args(args))
        gcp_components.StoragePrivateAccess.prepare(python_args)
        super().__init__(f"{PACKAGE_NAME}:index:StoragePrivateAccess", name, None, opts)
        inner = gcp_components.StoragePrivateAccess(name, python_args, _child_options(self))
        self.component = inner
        self.enabled = inner.enabled
        self.zone_name = cast(Any, inner.zone_name)
        self.routes = inner.routes.apply(lambda items: _schema_items(PrivateAccessRoute, _snake_keys(items)))
        self.required_subnet_settings = inner.required_subnet_settings.apply(
            lambda items: _schema_items(SubnetSetting, _snake_keys(items))
        )
        self.warnings = inner.warnings.apply(lambda items: _schema_items(EgressWarning, items))
        self.register_outputs(_outputs(self, type(self)))


COMPONENTS: list[type[pulumi.ComponentResource]] = [
    NetworkFirewallAllowlist,
    EgressFirewallPolicy,
    EgressNat,
    StoragePrivateAccess,
]
"""What the package hosts; each becomes `sep-egress:index:<class name>`."""

WRAPS: dict[type[pulumi.ComponentResource], type[pulumi.ComponentResource]] = {
    NetworkFirewallAllowlist: aws_components.NetworkFirewallAllowlist,
    EgressFirewallPolicy: gcp_components.EgressFirewallPolicy,
    EgressNat: gcp_components.EgressNat,
    StoragePrivateAccess: gcp_components.StoragePrivateAccess,
}
"""The Python component each package component creates as its only child."""


# --- helpers --------------------------------------------------------------------------------------------------


def _snake(name: str) -> str:
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in name)


def _snake_keys(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{_snake(key): value for key, value in item.items()} for item in items]


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
        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"  # components/sep_egress/provider.py
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
