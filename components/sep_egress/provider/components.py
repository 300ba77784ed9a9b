"""The four package components: each wraps one Python component, with the URN a Python program gives it.

**One set of components, one type token each.** Every package component registers
``sep-egress:index:<ClassName>`` (``schema.generate_schema`` writes ``{name}:index:``, and
``ComponentProvider.validate_resource_type`` refuses any other module) and creates the Python component
(``sep-egress:aws:...`` / ``sep-egress:gcp:...``) as its only child, passing the validated args through. No host,
port or rule logic lives here. The child carries ``Alias(parent=ROOT_STACK_RESOURCE)``: its URN as a direct child
of the stack, which is where a Python program creates it. Pulumi derives the children's aliases from their
parent's (the SDKs' ``inheritedChildAlias``; pulumi/pulumi ``tests/integration/aliases/python/rename_component``),
so a stack that moves from the Python library to the package keeps every URN. For the opposite move, give the
Python component ``opts=pulumi.ResourceOptions(aliases=[package_alias(<package class>, name)])``.

**What each class still writes, and why.** ``PackageComponent`` does the wrapping once; a package component names
only the Python component it wraps and the check that runs before anything is registered. Pulumi's analyzer
(``pulumi.provider.experimental.analyzer``) reads the rest from the class itself, so it stays written there:

- the docstring and each output as an annotated class attribute followed by its docstring (``analyze_type`` reads
  ``inspect.get_annotations`` of the class, ``get_docstring`` parses the class's own source). The Python
  components declare the same output names (``OUTPUTS``) but loose types and no docs: the package's are the
  typed, documented ones, and a test keeps the two sets of names equal;
- an ``__init__`` whose ``args`` names the generated input type (``analyze_component`` reads
  ``inspect.get_annotations(component.__init__)``, which an inherited ``__init__`` would answer with the base's).
  That annotation is also where the args model comes from (``inputs.args_model``).

The outputs are then copied from the Python component by the annotations (``outputs.package_output`` converts the
objects inside list and map outputs), the type token is derived from the class name (``package_type``), and the
outputs are registered under their schema names.
"""

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import pulumi
from pulumi.provider.experimental.util import camel_case

from .. import aws as aws_components
from .. import gcp as gcp_components
from ..arguments import ComponentArgs
from .inputs import (
    EgressFirewallPolicyInputs,
    EgressNatInputs,
    NetworkFirewallAllowlistInputs,
    StoragePrivateAccessInputs,
    args_model,
)
from .outputs import (
    EgressWarning,
    NatRule,
    NetworkCheck,
    PrivateAccessRoute,
    RecordCheck,
    RuleGroupCapacity,
    RuleGroupReference,
    SubnetSetting,
    package_output,
)

PACKAGE_NAME = "sep-egress"
"""The Pulumi package name: the first part of every type token, and the key under ``packages:`` of a consumer."""


def package_type(package_class: type[pulumi.ComponentResource]) -> str:
    """The type token of a package component: ``sep-egress:index:<class name>``."""
    return f"{PACKAGE_NAME}:index:{package_class.__name__}"


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
    parent = pulumi.create_urn(name, package_type(package_class))
    return pulumi.Alias(parent=parent)


@dataclass(frozen=True)
class Wrapped:
    """What a package component creates: the Python component, its args model, and the check run before it."""

    component: type[pulumi.ComponentResource]
    """The Python component, created as the only child (``(name, args, opts)``)."""
    args_model: type[ComponentArgs]
    """Its args model: what the package inputs are parsed into."""
    validate: Callable[[Any], object]
    """Validates the parsed args completely without registering anything (raises the component's error)."""


class PackageComponent(pulumi.ComponentResource):
    """Base of the package components: ``class X(PackageComponent, wraps=<Python component>, validate=<check>)``.

    A subclass declares its outputs and an ``__init__`` that names its input type and calls this one (the analyzer
    reads ``args`` from the class's own ``__init__``; see the module docstring). Every attribute declared here starts
    with ``_``: the analyzer reads annotations through the whole MRO and keeps those that do not, as outputs.
    """

    _wrapped: ClassVar[Wrapped]

    def __init_subclass__(
        cls, *, wraps: type[pulumi.ComponentResource], validate: Callable[[Any], object], **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            raise TypeError(f"{cls.__name__} needs its own __init__ naming its input type (the analyzer reads it)")
        inputs = inspect.get_annotations(cls.__init__)["args"]
        cls._wrapped = Wrapped(component=wraps, args_model=args_model(inputs), validate=validate)

    def __init__(self, name: str, args: Mapping[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        wrapped = self._wrapped
        python_args = wrapped.args_model.parse(_python_args(args))
        wrapped.validate(python_args)  # every mistake raised before anything is registered
        super().__init__(package_type(type(self)), name, None, opts)
        inner = cast(Any, wrapped.component)(name, python_args, _child_options(self))
        self.component = inner
        outputs = _outputs(type(self))
        for output, annotation in outputs.items():
            setattr(self, output, package_output(annotation, getattr(inner, output)))
        self.register_outputs({camel_case(output): getattr(self, output) for output in outputs})


def _outputs(kind: type[Any]) -> dict[str, Any]:
    """The outputs a package component declares, with their annotations."""
    return {name: annotation for name, annotation in inspect.get_annotations(kind).items() if not name.startswith("_")}


class NetworkFirewallAllowlist(
    PackageComponent, wraps=aws_components.NetworkFirewallAllowlist, validate=aws_components.compile_args
):
    """The Symantec Endpoint Protection egress allowlist on AWS Network Firewall: stateful STRICT_ORDER rule groups
    compiled from the vendor catalog and, as the inputs ask, a firewall policy, the firewall and its logs, and a
    Firewall Manager policy or RAM share. Every input is validated before anything is registered."""

    rule_group_arns: pulumi.Output[list[str]]
    """ARNs of the rule groups, in priority order."""
    rule_group_references: pulumi.Output[list[RuleGroupReference]]
    """The rule groups with their priorities, for a firewall policy you own."""
    rule_group_arns_by_name: pulumi.Output[dict[str, str]]
    """Physical rule group name -> ARN."""
    shared_rule_group_references: pulumi.Output[list[RuleGroupReference]]
    """The groups the distribution hands to other accounts, with their priorities (a RAM share never has the guard)."""
    firewall_policy_arn: pulumi.Output[str] | None
    """ARN of the firewall policy; absent when createPolicy is false."""
    firewall_arn: pulumi.Output[str] | None
    """ARN of the firewall; absent unless firewall is set."""
    firewall_endpoint_ids: pulumi.Output[dict[str, str]]
    """Availability Zone -> firewall endpoint id (vpce-...), for each zone's routes; empty without firewall."""
    log_destinations: pulumi.Output[dict[str, str]]
    """Log type (ALERT, FLOW) -> log group, bucket or delivery stream; empty without logging."""
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
        super().__init__(name, args, opts)


class EgressFirewallPolicy(
    PackageComponent, wraps=gcp_components.EgressFirewallPolicy, validate=gcp_components.EgressFirewallPolicy.prepare
):
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
    network_checks: pulumi.Output[list[NetworkCheck]]
    """What was read of each network at deployment: its enforcement order and whether the default deny holds."""
    secure_tag_values: pulumi.Output[dict[str, str]]
    """Per role, the id (tagValues/...) of the tag value this component created: bind it to that role's VMs."""
    warnings: pulumi.Output[list[EgressWarning]]
    """What a reviewer must know."""

    def __init__(self, name: str, args: EgressFirewallPolicyInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)


class EgressNat(PackageComponent, wraps=gcp_components.EgressNat, validate=gcp_components.EgressNat.prepare):
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
        super().__init__(name, args, opts)


class StoragePrivateAccess(
    PackageComponent, wraps=gcp_components.StoragePrivateAccess, validate=gcp_components.StoragePrivateAccess.prepare
):
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
    record_checks: pulumi.Output[list[RecordCheck]]
    """With an existing zone: its record sets as read at deployment, each compared with the expected one."""
    warnings: pulumi.Output[list[EgressWarning]]
    """What a reviewer must know."""

    def __init__(self, name: str, args: StoragePrivateAccessInputs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(name, args, opts)


COMPONENTS: list[type[pulumi.ComponentResource]] = [
    NetworkFirewallAllowlist,
    EgressFirewallPolicy,
    EgressNat,
    StoragePrivateAccess,
]
"""What the package hosts; each becomes `sep-egress:index:<class name>`."""

WRAPS: dict[type[pulumi.ComponentResource], type[pulumi.ComponentResource]] = {
    component: component._wrapped.component for component in COMPONENTS if issubclass(component, PackageComponent)
}
"""The Python component each package component creates as its only child."""
