"""The user's internal destinations, and the internal rules a selection allows towards them.

A user declares the addresses of a destination kind (``sep-egress:internal`` in a stack, ``--internal KIND=CIDR``
on the command line): ``destinations_from_config`` and ``destinations_from_flags`` validate them against the
internal catalog into ``InternalDestinations``; ``internal_rules`` gives every (path, range, port) a selection allows,
which ``select()`` (``vendor/select.py``) turns into ``CidrRule``s of the plan.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ...errors import SelectionError
from .. import coverage, hosts
from ..versions import ProductVersion
from .load import load_internal_catalog
from .models import InternalCatalog, InternalDestinations, InternalRule

# A CIDR exactly as written: an address, a slash and a prefix length; whitespace or anything else is refused.
_CONFIG_KEYS = ("ports", "paths")


# --- the user's destinations ---------------------------------------------------------------------------------


class _Problem(Exception):
    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


def parse_cidr(value: Any, where: str) -> str:
    """A destination range as canonical text; refuses loose text, host bits, and any allow-all (``/0``)."""
    if not isinstance(value, str):
        raise _Problem(where, f"a CIDR is text such as '10.20.0.10/32', not {type(value).__name__}")
    try:
        network = hosts.parse_cidr(value)  # the catalog's and overlays' own CIDR rule
    except hosts.HostError as exc:
        raise _Problem(where, str(exc)) from None
    if network.prefixlen == 0:
        raise _Problem(where, f"{value!r} is every address; sep-egress never allows all destinations")
    return str(network)


def _parse_port(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        else:
            raise _Problem(where, f"a port is a whole number from 1 to 65535, not {value!r}")
    if not 1 <= value <= 65535:
        raise _Problem(where, f"port {value} is outside 1..65535")
    return int(value)


def _known_kinds(catalog: InternalCatalog) -> str:
    return ", ".join(catalog.destinations)


def _build(
    catalog: InternalCatalog,
    addresses: Sequence[tuple[str, str, Any]],
    ports: Sequence[tuple[str, str, Sequence[tuple[str, Any]]]],
    paths: Sequence[tuple[str, Any]],
) -> InternalDestinations:
    """Validate the user's items against the catalog. Each item carries the label a message must name."""
    by_kind: dict[str, list[str]] = {}
    for where, kind, value in addresses:
        if kind not in catalog.destinations:
            raise _Problem(
                where,
                f"unknown destination kind {kind!r}; known kinds: {_known_kinds(catalog)} (an internal LiveUpdate "
                "Administrator or database is not in the internal catalog: describe it with an overlay)",
            )
        cidr = parse_cidr(value, where)
        if cidr in by_kind.setdefault(kind, []):
            raise _Problem(where, f"{cidr} is listed twice for {kind!r}")
        by_kind[kind].append(cidr)
        if coverage.measure(by_kind[kind]).covers_everything:
            raise _Problem(where, f"the addresses of {kind!r} cover every address together; list the real ones")
    chosen: list[str] = []
    for where, value in paths:
        path = catalog.path(value) if isinstance(value, str) else None
        if path is None:
            optional = ", ".join(item.id for item in catalog.paths if item.optional)
            raise _Problem(where, f"unknown internal path {value!r}; optional paths: {optional}")
        if not path.optional:
            raise _Problem(where, f"{path.id} is always selected when {path.to!r} has addresses; do not list it")
        if path.to not in by_kind:
            raise _Problem(where, f"{path.id} goes to {path.to!r}, which has no addresses")
        if path.id in chosen:
            raise _Problem(where, f"{path.id} is listed twice")
        chosen.append(path.id)
    overrides: dict[str, tuple[int, ...]] = {}
    for where, path_id, values in ports:
        path = catalog.path(path_id)
        if path is None:
            configurable = ", ".join(item.id for item in catalog.paths if item.configurable)
            raise _Problem(where, f"unknown internal path {path_id!r}; paths with a configurable port: {configurable}")
        if not path.configurable:
            raise _Problem(where, f"the documentation gives {path.id}'s port as fixed; use an overlay instead")
        if path.to not in by_kind:
            raise _Problem(where, f"{path.id} goes to {path.to!r}, which has no addresses")
        if path.optional and path.id not in chosen:
            raise _Problem(where, f"{path.id} is optional: select it as well (paths / --internal-path)")
        if path.id in overrides:
            raise _Problem(where, f"the ports of {path.id} are given twice")
        if not values:
            raise _Problem(where, "list at least one port")
        parsed: list[int] = []
        for item_where, item in values:
            port = _parse_port(item, item_where)
            if port in parsed:
                raise _Problem(item_where, f"port {port} is listed twice")
            parsed.append(port)
        overrides[path.id] = tuple(sorted(parsed))
    return InternalDestinations(
        addresses=tuple(sorted((kind, tuple(sorted(cidrs, key=_cidr_order))) for kind, cidrs in by_kind.items())),
        ports=tuple(sorted(overrides.items())),
        paths=tuple(sorted(chosen)),
    )


def _cidr_order(cidr: str) -> tuple[int, int, int]:
    network = ipaddress.ip_network(cidr)
    return (network.version, int(network.network_address), network.prefixlen)


def destinations_from_config(value: Any, catalog: InternalCatalog | None = None) -> InternalDestinations:
    """Validate the stack key ``sep-egress:internal``::

        {sepm: [10.20.0.10/32], gup: [...], ports: {sepm-agent-https: [8443]}, paths: [sepm-replication]}

    Raises ``SelectionError`` whose ``field`` is the full key at fault (``internal.sepm[0]``).
    """
    internal = catalog or load_internal_catalog()
    try:
        if not isinstance(value, Mapping):
            raise _Problem("internal", "a mapping of destination kinds to CIDR lists, e.g. {sepm: [10.20.0.10/32]}")
        addresses: list[tuple[str, str, Any]] = []
        ports: list[tuple[str, str, Sequence[tuple[str, Any]]]] = []
        paths: list[tuple[str, Any]] = []
        for key, item in value.items():
            where = f"internal.{key}"
            if key == "ports":
                if not isinstance(item, Mapping):
                    raise _Problem(where, "a mapping of path id to a list of ports, e.g. {sepm-agent-https: [8443]}")
                for path_id, port_list in item.items():
                    port_where = f"{where}.{path_id}"
                    if not isinstance(port_list, list):
                        raise _Problem(port_where, "a list of ports, e.g. [8443]")
                    ports.append(
                        (port_where, str(path_id), [(f"{port_where}[{i}]", port) for i, port in enumerate(port_list)])
                    )
            elif key == "paths":
                if not isinstance(item, list):
                    raise _Problem(where, "a list of optional path ids, e.g. [sepm-replication]")
                paths += [(f"{where}[{i}]", path_id) for i, path_id in enumerate(item)]
            else:
                if not isinstance(key, str) or key not in internal.destinations:
                    raise _Problem(
                        where,
                        f"unknown key; expected a destination kind ({_known_kinds(internal)}) or "
                        f"{' or '.join(_CONFIG_KEYS)} (an internal LiveUpdate Administrator or database is not in "
                        "the internal catalog: describe it with an overlay)",
                    )
                if not isinstance(item, list) or not item:
                    raise _Problem(where, "a non-empty list of CIDRs, e.g. [10.20.0.10/32]")
                addresses += [(f"{where}[{i}]", key, cidr) for i, cidr in enumerate(item)]
        if (ports or paths) and not addresses:
            raise _Problem("internal", "ports and paths need the addresses of at least one destination kind")
        return _build(internal, addresses, ports, paths)
    except _Problem as problem:
        raise SelectionError(f"{problem.where}: {problem.message}", problem.where) from None


def destinations_from_flags(
    internal: Sequence[str] = (),
    ports: Sequence[str] = (),
    paths: Sequence[str] = (),
    catalog: InternalCatalog | None = None,
) -> InternalDestinations:
    """Validate ``--internal KIND=CIDR[,CIDR]``, ``--internal-port PATH=PORT[,PORT]`` and ``--internal-path PATH``.

    Raises ``SelectionError`` whose message starts with the flag and value at fault.
    """
    known = catalog or load_internal_catalog()
    try:
        addresses: list[tuple[str, str, Any]] = []
        for text in internal:
            where = f"--internal {text}"
            kind, equals, values = text.partition("=")
            if not equals or not values:
                raise _Problem(where, "expected KIND=CIDR, e.g. --internal sepm=10.20.0.10/32")
            addresses += [(where, kind, cidr) for cidr in values.split(",")]
        port_items: list[tuple[str, str, Sequence[tuple[str, Any]]]] = []
        for text in ports:
            where = f"--internal-port {text}"
            path_id, equals, values = text.partition("=")
            if not equals or not values:
                raise _Problem(where, "expected PATH=PORT[,PORT], e.g. --internal-port sepm-agent-https=8443")
            port_items.append((where, path_id, [(where, value) for value in values.split(",")]))
        path_items = [(f"--internal-path {text}", text) for text in paths]
        if (port_items or path_items) and not addresses:
            raise _Problem("--internal-port/--internal-path", "give the addresses first: --internal KIND=CIDR")
        return _build(known, addresses, port_items, path_items)
    except _Problem as problem:
        raise SelectionError(f"{problem.where}: {problem.message}", "internal") from None


# --- selection -----------------------------------------------------------------------------------------------


def internal_rules(
    catalog: InternalCatalog, destinations: InternalDestinations, roles: Sequence[str], version: ProductVersion
) -> tuple[InternalRule, ...]:
    """Every (path, range, port) the selection allows: the path's role is selected, its destination kind has
    addresses, the release needs it, and it is not optional or the user named it.

    ``destinations`` is validated again against ``catalog`` first, so one built by hand (not through
    ``destinations_from_config``) can never bring an allow-all, loose text or an unknown kind into the plan.
    """
    if destinations_from_config(destinations.to_dict(), catalog) != destinations:
        raise SelectionError(
            "internal: the destinations are not in canonical form; build them with "
            "destinations_from_config or destinations_from_flags",
            "internal",
        )
    rules: list[InternalRule] = []
    for path in catalog.paths:
        cidrs = destinations.addresses_of(path.to)
        if not cidrs or path.from_role not in roles or not path.applies_to(version):
            continue
        if path.optional and path.id not in destinations.paths:
            continue
        rules += [InternalRule(path, cidr, port) for cidr in cidrs for port in destinations.ports_of(path)]
    return tuple(rules)
