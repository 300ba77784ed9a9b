"""The product's internal paths and the user's internal destinations.

``data/internal.yaml`` lists how SEP's own machines talk to each other (client to manager, client to Group Update
Provider, console to manager, manager to push-deployment targets), transcribed from Broadcom's documentation. A
path is a direction (from a role to a *kind* of internal destination: ``sepm``, ``gup``, ``clients``), a transport
and its ports. Nothing is allowed until the user declares the addresses of a destination kind
(``sep-egress:internal`` in a stack, ``--internal KIND=CIDR`` on the command line); then ``select()`` turns every
applicable path into ordinary ``CidrRule``s of the plan, so every compiler handles them like overlay CIDRs.

This module loads without pydantic or YAML when the validated file is in the cache (as ``load.py`` does for the
vendor's list); ``internal_schema.py`` holds the file schema.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from .. import __version__
from ..errors import CatalogError, SelectionError
from . import hosts
from .bounded_yaml import MAX_CATALOG_BYTES, read_bounded
from .load import DATA_DIR, MAX_CACHE_BYTES, NO_CACHE_ENV, cache_dir, read_yaml, validate_document, write_cache_file
from .models import Change, Role
from .versions import ProductVersion

INTERNAL_CATALOG_PATH = DATA_DIR / "internal.yaml"
DESTINATION_KIND = re.compile(r"^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$")
# A CIDR exactly as written: an address, a slash and a prefix length; whitespace or anything else is refused.
_CONFIG_KEYS = ("ports", "paths")


@dataclass(frozen=True, slots=True)
class Quote:
    """The source's own words for a path, and the language they were read in."""

    language: str
    text: str


@dataclass(frozen=True, slots=True)
class InternalSource:
    """A document the paths are transcribed from; ``read`` says how much of it could be read."""

    title: str
    publisher: str
    kind: str
    language: str
    url: str
    read: str


@dataclass(frozen=True, slots=True)
class InternalReading:
    """How the file reads an ambiguous passage (``text``) of a source."""

    id: str
    source: str
    text: str
    reading: str


@dataclass(frozen=True, slots=True)
class InternalPath:
    """One internal path: connections from ``from_role`` machines to a kind of destination (``to``).

    ``configurable`` says whether the source documents the port as changeable (only then may the user override
    it); ``optional`` paths are selected only when the user names them. ``blocked`` says what breaks without it,
    ``caveat`` is a plan warning shown whenever it is selected.
    """

    id: str
    from_role: Role
    to: str
    protocol: Literal["tcp", "udp"]
    ports: tuple[int, ...]
    configurable: bool
    optional: bool
    usage: str
    blocked: str
    caveat: str | None
    source: str
    quote: Quote
    min_version: ProductVersion | None = None
    max_version: ProductVersion | None = None
    before_version: ProductVersion | None = None

    def applies_to(self, version: ProductVersion) -> bool:
        """Whether release ``version`` needs this path (inclusive min/max, exclusive ``before_version``)."""
        if self.min_version is not None and version < self.min_version:
            return False
        if self.max_version is not None and self.max_version < version:
            return False
        return self.before_version is None or version < self.before_version


@dataclass(frozen=True, slots=True)
class InternalCatalog:
    """The internal-paths file: its version, sources, destination kinds, readings, paths and history."""

    version: str
    sources: dict[str, InternalSource]
    destinations: dict[str, str]
    readings: tuple[InternalReading, ...]
    paths: tuple[InternalPath, ...]
    not_transcribed: tuple[tuple[str, str], ...]
    changes: tuple[Change, ...]

    def path(self, path_id: str) -> InternalPath | None:
        return next((path for path in self.paths if path.id == path_id), None)


@dataclass(frozen=True, slots=True)
class InternalDestinations:
    """Validated internal destinations: canonical CIDRs per destination kind, port overrides, optional paths.

    Build it with ``destinations_from_config`` or ``destinations_from_flags``, which validate against the internal
    catalog; every tuple is sorted, so the same declaration always gives the same plan.
    """

    addresses: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ports: tuple[tuple[str, tuple[int, ...]], ...] = ()
    paths: tuple[str, ...] = ()

    def addresses_of(self, kind: str) -> tuple[str, ...]:
        return next((cidrs for name, cidrs in self.addresses if name == kind), ())

    def ports_of(self, path: InternalPath) -> tuple[int, ...]:
        return next((ports for name, ports in self.ports if name == path.id), path.ports)

    def to_dict(self) -> dict[str, Any]:
        """The declaration as the stack key writes it (``{kind: [cidr], "ports": {...}, "paths": [...]}``)."""
        out: dict[str, Any] = {kind: list(cidrs) for kind, cidrs in self.addresses}
        if self.ports:
            out["ports"] = {path_id: list(ports) for path_id, ports in self.ports}
        if self.paths:
            out["paths"] = list(self.paths)
        return out


@dataclass(frozen=True, slots=True)
class InternalRule:
    """One (path, destination range, port) a selection allows."""

    path: InternalPath
    cidr: str
    port: int


# --- loading -------------------------------------------------------------------------------------------------


def load_internal_catalog(path: Path | str | None = None) -> InternalCatalog:
    """Load and validate the internal-paths file (the packaged one by default); errors name the file and path."""
    if path is None:
        return _packaged_internal_catalog()
    file = Path(path)
    return _cached_internal_catalog(file, str(file))


@lru_cache(maxsize=1)
def _packaged_internal_catalog() -> InternalCatalog:
    return _cached_internal_catalog(INTERNAL_CATALOG_PATH, "catalog internal.yaml")


def _validate(path: Path, source: str, content: bytes) -> InternalCatalog:
    from .internal_schema import InternalCatalogDocument

    raw = read_yaml(path, source, content)
    try:
        return validate_document(InternalCatalogDocument, raw, source).to_model()
    except CatalogError as error:
        raise CatalogError(source, [(_name_path(raw, where), message) for where, message in error.problems]) from None


_PATH_FIELD = re.compile(r"^field 'paths\[(\d+)\]\.?(.*)'$")


def _name_path(raw: Any, where: str) -> str:
    """``field 'paths[3].ports[0]'`` becomes ``path 'sepm-agent-https', field 'ports[0]'``."""
    match = _PATH_FIELD.match(where)
    paths = raw.get("paths") if isinstance(raw, dict) else None
    if not match or not isinstance(paths, list) or int(match[1]) >= len(paths):
        return where
    item = paths[int(match[1])]
    label = (
        f"path {item['id']!r}" if isinstance(item, dict) and isinstance(item.get("id"), str) else f"paths[{match[1]}]"
    )
    return f"{label}, field {match[2]!r}" if match[2] else label


def _cached_internal_catalog(path: Path, source: str) -> InternalCatalog:
    """Validate the file, or reuse the validated result of the very same bytes and code (see ``load.py``)."""
    content = read_bounded(path, source, MAX_CATALOG_BYTES)
    if os.environ.get(NO_CACHE_ENV):
        return _validate(path, source, content)
    # The same cache as the vendor's list (load.py): JSON in the user's cache folder, every value checked again
    # when read back, never pickle (the folder is configurable, so its files are untrusted).
    from .cache_format import CacheFormatError, internal_from_json, internal_to_json

    digest = hashlib.sha256(b"\0".join([content, __version__.encode(), _code_fingerprint()])).hexdigest()
    entry = cache_dir() / f"internal-{digest[:32]}.json"
    try:
        return internal_from_json(json.loads(read_bounded(entry, str(entry), MAX_CACHE_BYTES).decode("utf-8")))
    except (CatalogError, CacheFormatError, ValueError, TypeError, KeyError, RecursionError):
        pass  # any unusable cache entry is simply rebuilt
    catalog = _validate(path, source, content)
    write_cache_file(entry, json.dumps(internal_to_json(catalog), ensure_ascii=True, sort_keys=True))
    return catalog


def _code_fingerprint() -> bytes:
    folder = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("internal.py", "internal_schema.py", "schema.py", "models.py", "versions.py", "cache_format.py"):
        digest.update((folder / name).read_bytes())
    return digest.hexdigest().encode()


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
