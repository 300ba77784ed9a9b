"""Selection: from the catalog, the user's overlays and a deployment's facts to one ``EgressPlan``."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

from ...errors import CatalogError, SelectionError
from .. import coverage
from ..internal.destinations import destinations_from_config, internal_rules
from ..internal.load import load_internal_catalog
from ..internal.models import InternalCatalog, InternalDestinations, InternalRule
from ..roles import ROLES, Role
from ..versions import ProductVersion, VersionError
from .models import Catalog, Entry, Overlay
from .plan import AllowRule, CidrRule, EgressPlan, PlanWarning

Mode = Literal["on-prem", "hybrid", "cloud"]
StoragePhase = Literal["both", "gcp", "aws"]
STORAGE_PHASES: tuple[StoragePhase, ...] = get_args(StoragePhase)

MODES: dict[Mode, tuple[Role, ...]] = {
    "on-prem": ("agent", "sepm"),
    "hybrid": ("agent", "agent-cloud", "sepm", "sepm-cloud"),
    "cloud": ("agent", "agent-cloud"),
}
_ROLE_ORDER = {role: index for index, role in enumerate(ROLES)}
_WIDE_CIDR_PREFIX = {4: 16, 6: 48}


@dataclass(frozen=True, slots=True)
class SourcedOverlay:
    """An overlay with the name of the file it came from, for error messages and provenance."""

    source: str
    overlay: Overlay


def select(
    catalog: Catalog,
    *,
    version: str | ProductVersion,
    roles: Iterable[str] = (),
    mode: str | None = None,
    proxy: bool = False,
    storage: str = "both",
    overlays: Sequence[SourcedOverlay] = (),
    internal: InternalDestinations | Mapping[str, Any] | None = None,
    internal_catalog: InternalCatalog | None = None,
) -> EgressPlan:
    """Build the plan for one deployment.

    ``roles`` and ``mode`` combine (``mode="on-prem", roles=["console"]``); ``version`` is the SEP/SES release the
    deployment runs; ``proxy`` says whether agents and managers go through a proxy; ``storage`` is the phase of
    the vendor's storage move: ``both`` (the article's current text, default), ``gcp`` or ``aws``.

    ``internal`` gives the addresses of SEP's own internal destinations (SEPM, GUP, push targets), as the stack
    key writes them (``{"sepm": ["10.20.0.10/32"]}``) or as ``destinations_from_config`` /
    ``destinations_from_flags`` return them: the internal catalog's paths towards them become ``cidrs`` rules whose
    ids are the path ids. Without it, nothing internal is allowed.
    """
    chosen, parsed_version, phase = _checked_selection(roles, mode, version, storage)
    entries, excluded = merge_overlays(catalog, overlays)
    selected = _applicable(entries, chosen, parsed_version, proxy, phase)
    hosts, cidrs, shared_notes = _deduplicated(selected)
    inner = _internal_selection(internal, internal_catalog, chosen, parsed_version, entries)
    allow = _allow_rules(hosts)
    cidr_rules = _cidr_rules(cidrs, inner.rules if inner is not None else ())
    _require_rules(allow, cidr_rules, chosen, parsed_version, excluded)
    warnings = _warnings(catalog, allow, cidr_rules, shared_notes, phase, excluded)
    if inner is not None:
        warnings += _internal_warnings(inner.catalog, inner.declared, inner.rules, chosen)
    return EgressPlan(
        catalog_version=catalog.version,
        roles=chosen,
        version=str(parsed_version),
        proxy=proxy,
        storage=phase,
        allow=allow,
        cidrs=cidr_rules,
        warnings=warnings,
        excluded=tuple(excluded),
        overlays=tuple(sourced.source for sourced in overlays),
        internal=inner.declared if inner is not None else None,
        internal_catalog_version=inner.catalog.version if inner is not None else None,
    )


def _checked_selection(
    roles: Iterable[str], mode: str | None, version: str | ProductVersion, storage: str
) -> tuple[tuple[Role, ...], ProductVersion, StoragePhase]:
    """The roles, the release and the storage phase, checked in that order (the first wrong one raises)."""
    chosen = resolve_roles(roles, mode)
    try:
        parsed_version = ProductVersion.parse(version)
    except VersionError as exc:
        raise SelectionError(f"version: {exc}", "version") from None
    if storage not in STORAGE_PHASES:
        raise SelectionError(f"unknown storage phase {storage!r}; choose one of {', '.join(STORAGE_PHASES)}", "storage")
    phase: StoragePhase = storage
    return chosen, parsed_version, phase


def resolve_roles(roles: Iterable[str] = (), mode: str | None = None) -> tuple[Role, ...]:
    """The roles of a management mode plus any explicit roles, in canonical order.

    ``console`` is never implied by a mode: add it where administrators browse from.
    """
    chosen: set[str] = set()
    if mode is not None:
        if mode not in MODES:
            raise SelectionError(f"unknown management mode {mode!r}; choose one of {', '.join(MODES)}", "mode")
        chosen.update(MODES[mode])
    for role in roles:
        if role not in _ROLE_ORDER:
            raise SelectionError(f"unknown role {role!r}; choose among {', '.join(ROLES)}", "roles")
        chosen.add(role)
    if not chosen:
        raise SelectionError("choose roles or a management mode (on-prem, hybrid, cloud)", "mode")
    return tuple(sorted(cast(set[Role], chosen), key=_ROLE_ORDER.__getitem__))


def merge_overlays(catalog: Catalog, overlays: Sequence[SourcedOverlay]) -> tuple[list[Entry], list[str]]:
    """Catalog entries plus overlay entries, minus exclusions; returns (entries, excluded ids).

    An overlay may not reuse an id already defined, and may only exclude ids that exist: a typo would otherwise
    silently leave a host open or closed.
    """
    entries: dict[str, Entry] = {entry.id: entry for entry in catalog.entries}
    origin: dict[str, str] = {entry.id: "the catalog" for entry in catalog.entries}
    excluded: list[str] = []
    for sourced in overlays:
        problems: list[tuple[str, str]] = []
        for entry in sourced.overlay.entries:
            if entry.id in entries:
                problems.append((f"entry {entry.id!r}, field 'id'", f"id already defined in {origin[entry.id]}"))
        for index, entry_id in enumerate(sourced.overlay.exclude):
            if entry_id not in entries:
                problems.append((f"field 'exclude[{index}]'", f"no entry {entry_id!r} to exclude"))
        if problems:
            raise CatalogError(sourced.source, problems)
        for entry in sourced.overlay.entries:
            entries[entry.id] = entry
            origin[entry.id] = sourced.source
        for entry_id in sourced.overlay.exclude:
            entries.pop(entry_id, None)
            excluded.append(entry_id)
    return list(entries.values()), sorted(set(excluded))


def _applicable(
    entries: Sequence[Entry], roles: tuple[Role, ...], version: ProductVersion, proxy: bool, storage: StoragePhase
) -> list[Entry]:
    """The entries this deployment needs (its roles, its release, its proxy, its storage phase), in their order."""
    return [entry for entry in entries if _applies(entry, set(roles), version, proxy, storage)]


def _applies(entry: Entry, roles: set[str], version: ProductVersion, proxy: bool, storage: StoragePhase) -> bool:
    """Whether one entry is needed: its role is chosen, the release is within its bounds, proxy and storage fit."""
    if entry.role not in roles:
        return False
    if entry.min_version is not None and version < entry.min_version:
        return False
    if entry.max_version is not None and entry.max_version < version:
        return False
    if entry.before_version is not None and not version < entry.before_version:
        return False
    if entry.requires_proxy is not None and entry.requires_proxy != proxy:
        return False
    return entry.storage is None or storage in ("both", entry.storage)


#: Plan rules being gathered: per (host, match, port, protocol) or (cidr, port, protocol), the sets of roles and
#: ids (and for hosts, paths and shared-host ids) of the entries that need it.
_HostSlots = dict[tuple[str, str, int, str], dict[str, set[str]]]
_CidrSlots = dict[tuple[str, int, str], dict[str, set[str]]]


def _deduplicated(selected: Sequence[Entry]) -> tuple[_HostSlots, _CidrSlots, dict[str, set[str]]]:
    """One slot per host rule and per address-range rule the entries need, and the shared-host notes per host."""
    hosts: _HostSlots = {}
    shared_notes: dict[str, set[str]] = {}
    cidrs: _CidrSlots = {}
    for entry in selected:
        for url in entry.urls:
            for port in entry.url_ports(url):
                key = (url.host, "suffix" if url.suffix else "exact", port, entry.url_protocol(url))
                slot = hosts.setdefault(key, {"roles": set(), "ids": set(), "paths": set(), "shared": set()})
                slot["roles"].add(entry.role)
                slot["ids"].add(entry.id)
                if url.path:
                    slot["paths"].add(url.path)
                if entry.shared_host:
                    slot["shared"].add(entry.id)
                    shared_notes.setdefault(url.host, set()).add(entry.shared_host)
        for network in entry.cidrs:
            for port in entry.ports:
                cidr_key = (str(network), port, entry.cidr_protocol())
                cidr_slot = cidrs.setdefault(cidr_key, {"roles": set(), "ids": set()})
                cidr_slot["roles"].add(entry.role)
                cidr_slot["ids"].add(entry.id)
    return hosts, cidrs, shared_notes


@dataclass(frozen=True, slots=True)
class _InternalSelection:
    """The declared internal destinations, the internal catalog read for them and the rules they allow."""

    declared: InternalDestinations
    catalog: InternalCatalog
    rules: tuple[InternalRule, ...]


def _internal_selection(
    internal: InternalDestinations | Mapping[str, Any] | None,
    internal_catalog: InternalCatalog | None,
    roles: tuple[Role, ...],
    version: ProductVersion,
    entries: Sequence[Entry],
) -> _InternalSelection | None:
    """The internal rules towards the declared destinations; None when no destination has an address."""
    if internal is not None and not isinstance(internal, InternalDestinations):
        internal = destinations_from_config(internal, internal_catalog)
    if internal is None or not internal.addresses:
        return None
    paths = load_internal_catalog() if internal_catalog is None else internal_catalog
    inner = internal_rules(paths, internal, roles, version)
    clashes = sorted({rule.path.id for rule in inner} & {entry.id for entry in entries})
    if clashes:
        raise SelectionError(
            f"internal: the internal path id {clashes[0]} is also an entry id of the catalog or an overlay; "
            "rename the overlay entry",
            "overlays",
        )
    return _InternalSelection(internal, paths, inner)


def _role_order(values: set[str]) -> tuple[Role, ...]:
    """Roles in canonical order."""
    return tuple(sorted(cast(set[Role], values), key=_ROLE_ORDER.__getitem__))


def _allow_rules(hosts: _HostSlots) -> tuple[AllowRule, ...]:
    """One host rule per slot, sorted by (host, match, port, protocol)."""
    return tuple(
        AllowRule(
            host=host,
            port=port,
            protocol=cast(Literal["tls", "http"], protocol),
            match=cast(Literal["exact", "suffix"], match),
            roles=_role_order(slot["roles"]),
            ids=tuple(sorted(slot["ids"])),
            paths=tuple(sorted(slot["paths"])),
            shared=bool(slot["shared"]),
        )
        for (host, match, port, protocol), slot in sorted(hosts.items(), key=lambda item: item[0])
    )


def _cidr_rules(cidrs: _CidrSlots, inner: tuple[InternalRule, ...]) -> tuple[CidrRule, ...]:
    """One address-range rule per slot, the internal rules added to the entries' slots, sorted by address."""
    for rule in inner:
        cidr_slot = cidrs.setdefault((rule.cidr, rule.port, rule.path.protocol), {"roles": set(), "ids": set()})
        cidr_slot["roles"].add(rule.path.from_role)
        cidr_slot["ids"].add(rule.path.id)
    return tuple(
        CidrRule(
            cidr=cidr,
            port=port,
            protocol=cast(Literal["tcp", "udp"], protocol),
            roles=_role_order(slot["roles"]),
            ids=tuple(sorted(slot["ids"])),
        )
        for (cidr, port, protocol), slot in sorted(cidrs.items(), key=lambda item: _cidr_sort_key(item[0]))
    )


def _cidr_sort_key(key: tuple[str, int, str]) -> tuple[int, int, int, int, str]:
    """Address ranges sort by IP version, then address, prefix length, port and protocol."""
    network = ipaddress.ip_network(key[0])
    return (network.version, int(network.network_address), network.prefixlen, key[1], key[2])


def _require_rules(
    allow: tuple[AllowRule, ...],
    cidrs: tuple[CidrRule, ...],
    roles: tuple[Role, ...],
    version: ProductVersion,
    excluded: list[str],
) -> None:
    """Refuse a plan that allows nothing, blaming the overlays if they excluded entries, else the roles."""
    if not allow and not cidrs:
        raise SelectionError(
            f"nothing to allow for roles {', '.join(roles)} at version {version} "
            "(every entry was excluded or out of its version bounds)",
            "overlays" if excluded else "roles",
        )


def _warnings(
    catalog: Catalog,
    allow: tuple[AllowRule, ...],
    cidrs: tuple[CidrRule, ...],
    shared_notes: dict[str, set[str]],
    storage: StoragePhase,
    excluded: list[str],
) -> tuple[PlanWarning, ...]:
    """The plan's warnings about the catalog's rules, in the order the plan lists them."""
    return (
        *_tls_bypass_warnings(catalog, allow),
        *_shared_host_warnings(allow, shared_notes),
        *_widened_path_warnings(allow),
        *_domain_suffix_warnings(allow),
        *_clear_text_warnings(allow),
        *_wide_cidr_warnings(cidrs),
        *_coverage_warnings(cidrs),
        *_storage_phase_warnings(storage),
        *_excluded_warnings(catalog, excluded),
    )


def _tls_bypass_warnings(catalog: Catalog, allow: tuple[AllowRule, ...]) -> list[PlanWarning]:
    """One warning naming every TLS host a catalog entry (not only an overlay) needs: keep it out of inspection."""
    catalog_ids = {entry.id for entry in catalog.entries}
    bypass = sorted({rule.host for rule in allow if rule.protocol == "tls" and catalog_ids.intersection(rule.ids)})
    if not bypass:
        return []
    return [
        PlanWarning(
            code="tls-inspection-bypass",
            message=(
                f"Keep these {len(bypass)} hosts out of any TLS/SSL inspection: the products pin their "
                "certificates, so decrypting them breaks services such as Insight (vendor's notice)."
            ),
            hosts=tuple(bypass),
        )
    ]


def _shared_host_warnings(allow: tuple[AllowRule, ...], shared_notes: dict[str, set[str]]) -> list[PlanWarning]:
    """A warning per host rule that also opens services other than the vendor's, with the catalog's notes."""
    warnings: list[PlanWarning] = []
    for rule in allow:
        if rule.shared:
            notes = " ".join(sorted(shared_notes.get(rule.host, ())))
            warnings.append(
                PlanWarning(
                    code="shared-host",
                    message=f"{rule.host}:{rule.port} is wider than the vendor's service. {notes}".strip(),
                    hosts=(rule.host,),
                    ids=rule.ids,
                )
            )
    return warnings


def _widened_path_warnings(allow: tuple[AllowRule, ...]) -> list[PlanWarning]:
    """A warning per host rule whose vendor URLs name paths: the rule allows every path of the host."""
    warnings: list[PlanWarning] = []
    for rule in allow:
        if rule.paths:
            warnings.append(
                PlanWarning(
                    code="widened-path",
                    message=(
                        f"The vendor names only {', '.join(rule.paths)} on {rule.host}; a host rule cannot keep a "
                        f"path, so every path of {rule.host} is allowed on port {rule.port}."
                    ),
                    hosts=(rule.host,),
                    ids=rule.ids,
                )
            )
    return warnings


def _domain_suffix_warnings(allow: tuple[AllowRule, ...]) -> list[PlanWarning]:
    """A warning per host rule that matches a domain and all its subdomains."""
    warnings: list[PlanWarning] = []
    for rule in allow:
        if rule.match == "suffix":
            warnings.append(
                PlanWarning(
                    code="domain-suffix",
                    message=f"{rule.host} and every subdomain of it are allowed on port {rule.port}.",
                    hosts=(rule.host,),
                    ids=rule.ids,
                )
            )
    return warnings


def _clear_text_warnings(allow: tuple[AllowRule, ...]) -> list[PlanWarning]:
    """One warning naming every host reached over clear-text HTTP."""
    clear_text = [rule for rule in allow if rule.protocol == "http"]
    if not clear_text:
        return []
    return [
        PlanWarning(
            code="clear-text-http",
            message=(
                "Clear-text HTTP is allowed to these hosts (matched on the Host header): "
                + ", ".join(f"{rule.host}:{rule.port}" for rule in clear_text)
                + "."
            ),
            hosts=tuple(sorted({rule.host for rule in clear_text})),
            ids=tuple(sorted({entry_id for rule in clear_text for entry_id in rule.ids})),
        )
    ]


def _wide_cidr_warnings(cidrs: tuple[CidrRule, ...]) -> list[PlanWarning]:
    """A warning per address range wider than /16 (IPv4) or /48 (IPv6)."""
    warnings: list[PlanWarning] = []
    for cidr_rule in cidrs:
        prefix = int(cidr_rule.cidr.rsplit("/", 1)[1])
        version = 6 if ":" in cidr_rule.cidr else 4
        if prefix < _WIDE_CIDR_PREFIX[version]:
            warnings.append(
                PlanWarning(
                    code="wide-cidr",
                    message=f"{cidr_rule.cidr} is a wide range (/{prefix}) allowed on port {cidr_rule.port}.",
                    ids=cidr_rule.ids,
                )
            )
    return warnings


def _coverage_warnings(cidrs: tuple[CidrRule, ...]) -> list[PlanWarning]:
    """What the address ranges cover together per role, port and transport (``coverage.py``): a warning past the
    wide threshold; a refusal when they cover every address, however they are split."""
    by_slot: dict[tuple[Role, int, str], list[CidrRule]] = {}
    for cidr_rule in cidrs:
        for role in cidr_rule.roles:
            by_slot.setdefault((role, cidr_rule.port, cidr_rule.protocol), []).append(cidr_rule)
    warnings: list[PlanWarning] = []
    for (role, port, protocol), rules in sorted(by_slot.items()):
        covered = coverage.measure(rule.cidr for rule in rules)
        ids = tuple(sorted({entry_id for rule in rules for entry_id in rule.ids}))
        if covered.covers_everything:
            raise SelectionError(
                f"the address ranges of {', '.join(ids)} cover every address together for {role} on port "
                f"{port}/{protocol} ({covered.describe()}); sep-egress never allows all destinations",
                "overlays",
            )
        if covered.is_wide and len(rules) > 1:
            warnings.append(
                PlanWarning(
                    code="wide-coverage",
                    message=(
                        f"{len(rules)} address ranges cover {covered.describe()} together for {role} on port "
                        f"{port}/{protocol}."
                    ),
                    ids=ids,
                )
            )
    return warnings


def _storage_phase_warnings(storage: StoragePhase) -> list[PlanWarning]:
    """A warning when the storage phase leaves out what the article asks to allow now."""
    if storage != "aws":
        return []
    return [
        PlanWarning(
            code="storage-phase-aws",
            message=(
                "Storage phase 'aws' leaves out storage.googleapis.com, against the article, which moved SEP/SES "
                "storage to Google Cloud in November 2020 and asks to allow it now."
            ),
        )
    ]


def _excluded_warnings(catalog: Catalog, excluded: list[str]) -> list[PlanWarning]:
    """A warning per entry an overlay excluded, with the catalog's note on what breaks without it."""
    warnings: list[PlanWarning] = []
    blocked = {entry.id: entry.blocked for entry in catalog.entries}
    for entry_id in excluded:
        impact = blocked.get(entry_id)
        warnings.append(
            PlanWarning(
                code="excluded",
                message=f"Entry {entry_id} is excluded by an overlay." + (f" Impact: {impact}" if impact else ""),
                ids=(entry_id,),
            )
        )
    return warnings


def _internal_warnings(
    catalog: InternalCatalog, declared: InternalDestinations, rules: tuple[InternalRule, ...], roles: tuple[Role, ...]
) -> tuple[PlanWarning, ...]:
    """A caveat for every selected path that has one, and a note for every declared kind nothing uses."""
    warnings: list[PlanWarning] = []
    selected = sorted({rule.path.id for rule in rules})
    for path_id in selected:
        path = catalog.path(path_id)
        if path is not None and path.caveat:
            warnings.append(PlanWarning(code="internal-caveat", message=f"{path.id}: {path.caveat}", ids=(path.id,)))
    used = {rule.path.to for rule in rules}
    for kind, _ in declared.addresses:
        if kind in used:
            continue
        needs = sorted(
            {
                path.from_role
                for path in catalog.paths
                if path.to == kind and (not path.optional or path.id in declared.paths)
            }
        )
        warnings.append(
            PlanWarning(
                code="internal-unused",
                message=(
                    f"Internal destination {kind!r} has addresses but no selected role reaches it (roles "
                    f"{', '.join(roles)}; its paths start from {', '.join(needs) or 'no role'})."
                ),
            )
        )
    return tuple(warnings)
