"""A destination seen in the logs, against the catalog, the overlays and the selection.

Classes, from the most to the least actionable:

- ``allowed-now``: the current plan allows it for that source (the logs predate a change, or came from elsewhere);
- ``left-out``: a catalog (or overlay) entry names it, and the selection left that entry out; the verdict says the
  change that selects it (role, version, proxy, storage phase, an exclusion, or the source's role);
- ``internal-undeclared``: one of SEP's internal paths (the internal catalog: port, transport, the source's role)
  to an address not declared as that destination, and the declaration that allows it;
- ``wider-or-non-sep``: the catalog knows the name as wider than SEP needs or not SEP's: a name under a host the
  catalog marks as shared (any customer's bucket on storage.googleapis.com), or another tenant's name on a storage
  service the catalog's storage entries use (``*.s3.amazonaws.com``);
- ``unknown``: none of these; ``--propose-overlay`` writes an overlay for the names.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..catalog.internal.models import InternalCatalog, InternalPath
from ..catalog.roles import Role
from ..catalog.vendor.models import Entry
from ..catalog.vendor.plan import AllowRule, CidrRule, EgressPlan
from ..catalog.versions import ProductVersion

Class = Literal["allowed-now", "left-out", "internal-undeclared", "wider-or-non-sep", "unknown"]
CLASSES: tuple[Class, ...] = ("allowed-now", "left-out", "internal-undeclared", "wider-or-non-sep", "unknown")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a destination is: its class, the entry or internal path it is, the selection change, and why."""

    klass: Class
    entry: str | None = None
    change: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Selection:
    """What the classifier knows: the plan, every entry of the catalog and the overlays (excluded ones too), and
    the internal catalog."""

    plan: EgressPlan
    entries: tuple[Entry, ...]
    excluded: frozenset[str]
    internal: InternalCatalog


#: Where SEP's internal destinations can be: RFC 1918 and IPv6 unique local addresses. ``is_private`` would also
#: take the documentation and benchmarking ranges, which are public addresses in logs.
INTERNAL_RANGES = tuple(
    ipaddress.ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


def is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return any(address.version == network.version and address in network for network in INTERNAL_RANGES)


def _under(name: str, host: str) -> bool:
    return name == host or name.endswith("." + host)


def _parent(host: str) -> str:
    return host.split(".", 1)[1] if host.count(".") >= 2 else host


class Classifier:
    """Classifies destinations for one selection; the same input always gives the same verdict."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.plan = selection.plan
        self.version = ProductVersion.parse(selection.plan.version)
        self._exact: dict[str, list[tuple[Entry, tuple[int, ...], str]]] = {}
        self._suffix: list[tuple[str, Entry, tuple[int, ...], str]] = []
        shared: dict[str, str] = {}
        storage_domains: set[str] = set()
        catalog_hosts: set[str] = set()
        for entry in sorted(selection.entries, key=lambda entry: entry.id):
            for url in entry.urls:
                slot = (entry, entry.url_ports(url), entry.url_protocol(url))
                catalog_hosts.add(url.host)
                if url.suffix:
                    self._suffix.append((url.host, *slot))
                else:
                    self._exact.setdefault(url.host, []).append(slot)
                if entry.shared_host:
                    shared[url.host] = entry.shared_host
                if entry.storage is not None and not url.suffix:
                    storage_domains.add(_parent(url.host))
        self.shared_hosts = dict(sorted(shared.items()))
        #: Storage services the catalog's storage entries use, minus the names it lists there.
        self.storage_domains = tuple(sorted(storage_domains))
        self.catalog_hosts = frozenset(catalog_hosts)
        self._cidrs = [(ipaddress.ip_network(rule.cidr), rule) for rule in self.plan.cidrs]

    # --- the plan -------------------------------------------------------------------------------------------

    def plan_rules(self, name: str | None, dest_ip: str | None, port: int | None) -> list[AllowRule | CidrRule]:
        """The plan rules that allow this destination (for any role)."""
        found: list[AllowRule | CidrRule] = []
        if name is not None:
            for rule in self.plan.allow:
                hit = rule.host == name if rule.match == "exact" else _under(name, rule.host)
                if hit and (port is None or rule.port == port):
                    found.append(rule)
        if dest_ip is not None:
            address = ipaddress.ip_address(dest_ip)
            found += [
                rule
                for network, rule in self._cidrs
                if address.version == network.version and address in network and (port is None or rule.port == port)
            ]
        return found

    # --- the catalog ----------------------------------------------------------------------------------------

    def entry_changes(self, entry: Entry) -> list[str]:
        """What the selection must change to select ``entry`` (empty when it is selected)."""
        plan, version = self.plan, self.version
        changes = []
        if entry.id in self.selection.excluded:
            changes.append(f"stop excluding {entry.id} (the exclude list of its overlay)")
        if entry.role not in plan.roles:
            changes.append(f"add the role {entry.role} (sep-egress:roles / --role {entry.role})")
        if entry.min_version is not None and version < entry.min_version:
            changes.append(f"version {entry.min_version} or later (sep-egress:version / --version)")
        if entry.max_version is not None and entry.max_version < version:
            changes.append(f"version {entry.max_version} or earlier (sep-egress:version / --version)")
        if entry.before_version is not None and not version < entry.before_version:
            changes.append(f"a version before {entry.before_version} (sep-egress:version / --version)")
        if entry.requires_proxy is not None and entry.requires_proxy != plan.proxy:
            flag = "--proxy" if entry.requires_proxy else "no --proxy"
            changes.append(f"proxy {str(entry.requires_proxy).lower()} (sep-egress:proxy / {flag})")
        if entry.storage is not None and plan.storage not in ("both", entry.storage):
            changes.append(f"storage phase {entry.storage} or both (sep-egress:storage / --storage)")
        return changes

    def catalog_slots(self, name: str) -> list[tuple[Entry, tuple[int, ...], str]]:
        found = list(self._exact.get(name, ()))
        found += [(entry, ports, protocol) for host, entry, ports, protocol in self._suffix if _under(name, host)]
        return found

    # --- internal paths -------------------------------------------------------------------------------------

    def internal_verdict(
        self, dest_ip: str, port: int | None, transport: str, roles: Sequence[Role] | None
    ) -> Verdict | None:
        address = ipaddress.ip_address(dest_ip)
        if not is_internal(address) or port is None:
            return None
        declared = self.plan.internal
        candidates: list[InternalPath] = []
        for path in sorted(self.selection.internal.paths, key=lambda path: path.id):
            ports = declared.ports_of(path) if declared is not None else path.ports
            if port not in ports or path.protocol != transport or not path.applies_to(self.version):
                continue
            if roles is not None and path.from_role not in roles:
                continue
            if roles is None and path.from_role not in self.plan.roles:
                continue
            candidates.append(path)
        if not candidates:
            return None
        path = candidates[0]
        cidrs = declared.addresses_of(path.to) if declared is not None else ()
        inside = any(address in ipaddress.ip_network(cidr) for cidr in cidrs)
        if not inside:
            change = (
                f"declare {dest_ip} as {path.to}: sep-egress:internal.{path.to} (--internal {path.to}={dest_ip}/32)"
            )
        elif path.optional and (declared is None or path.id not in declared.paths):
            change = f"add the optional path {path.id} (sep-egress:internal.paths / --internal-path {path.id})"
        else:
            change = f"check the sources of {path.from_role}: the path {path.id} is allowed from them"
        return Verdict("internal-undeclared", path.id, change, f"{path.from_role} to {path.to}: {path.usage}")

    # --- the verdict ----------------------------------------------------------------------------------------

    def classify(
        self,
        name: str | None,
        dest_ip: str | None,
        port: int | None,
        transport: str,
        roles: Sequence[Role] | None,
        source: str = "the source",
    ) -> Verdict:
        """The verdict for a destination refused (or, observing, that would be) from a source of ``roles``
        (None: the source's role is not known)."""
        rules = self.plan_rules(name, dest_ip, port) if transport in ("tcp", "udp", "") else []
        for rule in rules:
            if roles is None or set(rule.roles) & set(roles):
                return Verdict(
                    "allowed-now",
                    ",".join(rule.ids),
                    None,
                    "the current selection allows it; the logs predate it, or another control refused it",
                )
        if rules:
            rule = rules[0]
            role = rule.roles[0]
            return Verdict(
                "left-out",
                ",".join(rule.ids),
                f"make {source} a source of {role} (sep-egress:aws.source_cidrs.{role}, or the GCP target of its "
                "machine kind)",
                f"the plan allows it for {', '.join(rule.roles)} only",
            )
        if name is not None:
            slots = self.catalog_slots(name)
            matching = [slot for slot in slots if port is None or port in slot[1]]
            if matching:
                options = sorted(
                    ((self.entry_changes(entry), entry) for entry, _, _ in matching),
                    key=lambda item: (len(item[0]), item[1].id),
                )
                changes, entry = options[0]
                if roles is not None and entry.role not in roles:
                    changes = [
                        *changes,
                        f"make {source} a source of {entry.role} (sep-egress:aws.source_cidrs.{entry.role}, or the GCP "
                        "target of its machine kind)",
                    ]
                if changes:
                    return Verdict("left-out", entry.id, "; ".join(changes), entry.usage.en)
            elif slots:
                ports = sorted({port for _, slot_ports, _ in slots for port in slot_ports})
                return Verdict(
                    "unknown",
                    None,
                    None,
                    f"a catalog name on port {port}; the catalog gives it {', '.join(map(str, ports))} only",
                )
        if dest_ip is not None:
            internal = self.internal_verdict(dest_ip, port, transport, roles)
            if internal is not None:
                return internal
        if name is not None:
            for host, why in self.shared_hosts.items():
                if name != host and _under(name, host):
                    return Verdict("wider-or-non-sep", None, None, f"under the shared host {host}: {why}")
            for domain in self.storage_domains:
                if _under(name, domain) and name not in self.catalog_hosts:
                    return Verdict(
                        "wider-or-non-sep",
                        None,
                        None,
                        f"another tenant's name on {domain}, a storage service SEP uses only for the catalog's names",
                    )
        return Verdict("unknown", None, None, "")


def selection_of(
    plan: EgressPlan,
    catalog_entries: Sequence[Entry],
    overlay_entries: Sequence[Entry],
    internal: InternalCatalog,
    excluded: Sequence[str] = (),
) -> Selection:
    """The classifier's view of a selection: every entry of the catalog and the overlays, and what is excluded."""
    entries: Mapping[str, Entry] = {entry.id: entry for entry in [*catalog_entries, *overlay_entries]}
    return Selection(plan, tuple(entries.values()), frozenset(excluded) | frozenset(plan.excluded), internal)
