"""The package's output object types, and the outputs of a Python component as the package hands them over.

These types are written here, once: the Python components and the compilers give plain dicts for them (the
analyzer needs a TypedDict with a documented field per key), and ``package_output`` derives from a component's
output annotation which outputs hold them.
"""

import typing
from typing import Any, TypedDict

import pulumi
from pulumi.provider.experimental.util import camel_case


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


class NetworkCheck(TypedDict):
    """What was read of a network the default deny relies on, at deployment."""

    network: str
    """The network (projects/<p>/global/networks/<n>)."""
    enforcement_order: str | None
    """Its networkFirewallPolicyEnforcementOrder, or none when it could not be read."""
    holds: bool
    """Whether the default deny holds there (BEFORE_CLASSIC_FIREWALL)."""
    read: bool
    """Whether the order was read."""


class RecordCheck(TypedDict):
    """A record set of an existing googleapis.com. zone, read at deployment and compared with the expected one."""

    name: str
    """The record name."""
    type: str
    """A or CNAME."""
    expected: list[str]
    """What the Google Access VIP needs."""
    found: list[str]
    """What the zone has."""
    read: bool
    """Whether the record set was read."""
    matches: bool
    """Whether it is the expected one."""


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


def package_output(annotation: Any, value: Any) -> Any:
    """A Python component's output ``value`` as the package output declared ``annotation`` hands it over.

    Objects inside a list or map output (``pulumi.Output[list[NatRule]]``, ``pulumi.Output[dict[str,
    RuleGroupCapacity]]``) get their keys in schema spelling (``_schema_items``), from the snake_case or camelCase
    keys the Python component gives; every other output passes as it is.
    """
    if typing.get_origin(annotation) is not pulumi.Output:
        return value
    [declared] = typing.get_args(annotation)
    origin, arguments = typing.get_origin(declared), typing.get_args(declared)
    if origin is list and typing.is_typeddict(arguments[0]):
        item = arguments[0]
        return value.apply(lambda items: _schema_items(item, _snake_keys(items)))
    if origin is dict and typing.is_typeddict(arguments[1]):
        item = arguments[1]
        return value.apply(
            lambda items: dict(zip(items, _schema_items(item, _snake_keys(list(items.values()))), strict=True))
        )
    return value
