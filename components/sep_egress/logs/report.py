"""The flows grouped per source and destination, with counts and first/last seen, classified; the allowed flows
summarised against the plan (which rules are used, which are not); the overlay proposed for unknown names."""

from __future__ import annotations

import datetime
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..catalog.history import ENTRY_ID
from ..catalog.roles import Role
from ..catalog.vendor.load import parse_overlay
from ..catalog.vendor.plan import AllowRule, CidrRule
from ..errors import CatalogError
from .classify import CLASSES, Classifier, Verdict
from .controls import Controls
from .readers import ReadStats
from .records import DnsAnswer, FlowRecord

#: Per group, how many source addresses and files are kept as examples (the counts are exact).
MAX_EXAMPLES = 5
#: Per address, how many names a DNS log may give it (a CDN address serves many).
MAX_NAMES_PER_ADDRESS = 8
#: Entries of each lookup cache before it starts over (memory stays bounded whatever the logs hold).
CACHE_LIMIT = 1 << 16
#: Distinct groups kept per table (refused destinations, allowed destinations outside the plan, DNS addresses):
#: a hostile or huge log with millions of distinct names cannot grow memory past this. Flows of a group that
#: would be new past the bound are counted in ``not_itemised`` (the totals stay exact).
MAX_DISTINCT = 100_000


def iso(moment: float) -> str:
    """Epoch seconds as RFC 3339 UTC, to the second."""
    return datetime.datetime.fromtimestamp(int(moment), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Seen:
    """How often, when first and last, from which addresses and files (a few as examples)."""

    count: int = 0
    first: float = float("inf")
    last: float = float("-inf")
    examples: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    vendors: set[str] = field(default_factory=set)

    def add(self, record: FlowRecord) -> None:
        self.count += 1
        self.first = min(self.first, record.time)
        self.last = max(self.last, record.time)
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.add(record.src_ip)
        if len(self.files) < MAX_EXAMPLES:
            self.files.add(record.file)
        self.vendors.add(record.vendor)

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "first_seen": iso(self.first),
            "last_seen": iso(self.last),
            "examples": sorted(self.examples),
            "seen_in": sorted(self.files),
            "vendors": sorted(self.vendors),
        }


RefusedKey = tuple[str, str, int, str, str]  # source, destination, port (-1 unknown), transport, outcome


class Analysis:
    """Feed it records (``add``), then read ``document()``; memory grows with distinct destinations, not lines, and
    at most ``MAX_DISTINCT`` of them per table."""

    def __init__(self, classifier: Classifier, controls: Controls) -> None:
        self.classifier = classifier
        self.controls = controls
        self.names: dict[str, set[str]] = {}
        self.refused: dict[RefusedKey, Seen] = {}
        self.verdicts: dict[RefusedKey, Verdict] = {}
        self.apps: dict[RefusedKey, str] = {}
        self.used: dict[tuple[str, ...], Seen] = {}
        self.outside: dict[tuple[str, int], Seen] = {}
        self.counts = {"refused": 0, "would-refuse": 0, "allowed": 0}
        self.not_itemised = 0
        # Sources and plan matches repeat across millions of lines: each is worked out once (bounded caches).
        self._sources: dict[tuple[str, str | None, str], tuple[str, tuple[Role, ...] | None]] = {}
        self._rules: dict[tuple[str | None, str | None, int | None], list[AllowRule | CidrRule]] = {}

    def add_dns(self, answer: DnsAnswer) -> None:
        for address in answer.addresses:
            if address not in self.names and len(self.names) >= MAX_DISTINCT:
                continue
            names = self.names.setdefault(address, set())
            if len(names) < MAX_NAMES_PER_ADDRESS:
                names.add(answer.name)

    def _name_for(self, record: FlowRecord) -> tuple[str | None, bool]:
        """The logged name, else the DNS answer's for the address: one the catalog knows first, else the first."""
        if record.name is not None or record.dest_ip is None:
            return record.name, False
        names = sorted(self.names.get(record.dest_ip, ()))
        if not names:
            return None, False
        known = [
            name
            for name in names
            if self.classifier.catalog_slots(name) or self.classifier.plan_rules(name, None, record.dest_port)
        ]
        return (known or names)[0], True

    def add(self, record: FlowRecord) -> None:
        outcome = self.controls.outcome(record)
        self.counts[outcome] += 1
        name, _ = self._name_for(record)
        if outcome == "allowed":
            self._allowed(record, name)
            return
        source_key = (record.vendor, record.rule, record.src_ip)
        if source_key not in self._sources:
            if len(self._sources) >= CACHE_LIMIT:
                self._sources.clear()
            self._sources[source_key] = self.controls.source(record)
        source, roles = self._sources[source_key]
        destination = name or record.dest_ip or "?"
        port = record.dest_port if record.dest_port is not None else -1
        key: RefusedKey = (source, destination, port, record.transport, outcome)
        seen = self.refused.get(key)
        if seen is None:
            if len(self.refused) >= MAX_DISTINCT:
                self.not_itemised += 1
                return
            seen = self.refused[key] = Seen()
            self.verdicts[key] = self.classifier.classify(
                name, record.dest_ip if name is None else None, record.dest_port, record.transport, roles, source
            )
            self.apps[key] = record.app or ""
        seen.add(record)

    def _allowed(self, record: FlowRecord, name: str | None) -> None:
        key = (name, record.dest_ip if name is None else None, record.dest_port)
        if key not in self._rules:
            if len(self._rules) >= CACHE_LIMIT:
                self._rules.clear()
            self._rules[key] = self.classifier.plan_rules(*key)
        rules = self._rules[key]
        if rules:
            for rule in rules:
                self.used.setdefault(_rule_key(rule), Seen()).add(record)
        else:
            destination = name or record.dest_ip or "?"
            outside_key = (destination, record.dest_port or -1)
            if outside_key not in self.outside and len(self.outside) >= MAX_DISTINCT:
                self.not_itemised += 1
                return
            self.outside.setdefault(outside_key, Seen()).add(record)

    def document(self, stats: ReadStats, files: int) -> dict[str, Any]:
        """The report as JSON data, in a fixed order (class, source, destination, port)."""
        order = {klass: index for index, klass in enumerate(CLASSES)}
        refused = []
        for key in sorted(self.refused, key=lambda key: (order[self.verdicts[key].klass], key)):
            source, destination, port, transport, outcome = key
            verdict = self.verdicts[key]
            refused.append(
                {
                    "source": source,
                    "destination": destination,
                    "port": None if port < 0 else port,
                    "transport": transport,
                    "app": self.apps[key] or None,
                    "outcome": outcome,
                    "class": verdict.klass,
                    "entry": verdict.entry,
                    "change": verdict.change,
                    "note": verdict.note,
                    **self.refused[key].to_dict(),
                }
            )
        plan = self.classifier.plan
        all_rules: list[AllowRule | CidrRule] = [*plan.allow, *plan.cidrs]
        used = [
            {"rule": _rule_label(rule), "ids": list(rule.ids), **self.used[_rule_key(rule)].to_dict()}
            for rule in all_rules
            if _rule_key(rule) in self.used
        ]
        unused = [
            {"rule": _rule_label(rule), "ids": list(rule.ids)} for rule in all_rules if _rule_key(rule) not in self.used
        ]
        outside = [
            {"destination": destination, "port": None if port < 0 else port, **seen.to_dict()}
            for (destination, port), seen in sorted(self.outside.items())
        ]
        by_class = dict.fromkeys(CLASSES, 0)
        for item in refused:
            by_class[item["class"]] += item["count"]
        return {
            "summary": {
                "files": files,
                "lines": stats.lines,
                "records": stats.records,
                "dns_answers": stats.dns_answers,
                "skipped": stats.skipped,
                "refused": self.counts["refused"],
                "would_refuse": self.counts["would-refuse"],
                "allowed": self.counts["allowed"],
                "by_class": by_class,
                "not_itemised": self.not_itemised,
            },
            "refused": refused,
            "allowed": {"used": used, "unused": unused, "outside_plan": outside},
        }


def _rule_key(rule: AllowRule | CidrRule) -> tuple[str, ...]:
    return tuple(map(str, rule.key))


def _rule_label(rule: AllowRule | CidrRule) -> str:
    if isinstance(rule, AllowRule):
        return f"{'.' if rule.match == 'suffix' else ''}{rule.host}:{rule.port}/{rule.protocol}"
    return f"{rule.cidr}:{rule.port}/{rule.protocol}"


def _overlay_id(destination: str, taken: set[str]) -> str:
    base = "observed-" + re.sub(r"[^a-z0-9]+", "-", destination.lower()).strip("-")
    base = base[:56].rstrip("-")
    candidate, number = base, 2
    while candidate in taken or not ENTRY_ID.fullmatch(candidate):
        candidate = f"{base[:52].rstrip('-')}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def proposed_overlay(
    document: dict[str, Any], roles: Iterable[str], taken_ids: Iterable[str], left_out: list[str] | None = None
) -> dict[str, Any]:
    """An overlay allowing every ``unknown`` destination of the report, one entry per destination, each saying
    where it was seen; ``roles`` are the plan's (an unknown source is given its first). Validated as any overlay
    (``parse_overlay``) before it is returned. A destination no overlay can allow (a logged name with ``_`` or a
    wildcard, a name without a domain) is not proposed: it goes to ``left_out``, and the other entries stay."""
    plan_roles = list(roles)
    grouped: dict[str, dict[str, Any]] = {}
    for item in document["refused"]:
        if item["class"] != "unknown" or item["transport"] not in ("tcp", "udp"):
            continue
        slot = grouped.setdefault(
            item["destination"],
            {
                "ports": set(),
                "roles": set(),
                "count": 0,
                "first": None,
                "last": None,
                "where": set(),
                "apps": set(),
                "transport": item["transport"],
            },
        )
        if item["port"] is not None:
            slot["ports"].add(item["port"])
        slot["roles"].update(role for role in item["source"].split("+") if role in plan_roles)
        slot["count"] += item["count"]
        slot["first"] = min(filter(None, [slot["first"], item["first_seen"]]))
        slot["last"] = max(filter(None, [slot["last"], item["last_seen"]]))
        slot["where"].update(item["seen_in"])
        slot["apps"].add(item["app"] or "")
    taken = set(taken_ids)
    entries = []
    for destination, slot in sorted(grouped.items()):
        if not slot["ports"]:
            continue
        role = sorted(slot["roles"], key=plan_roles.index)[0] if slot["roles"] else plan_roles[0]
        where = ", ".join(sorted(slot["where"]))
        usage = (
            f"Seen refused {slot['count']} time(s) from {role if slot['roles'] else 'an unknown source'} between "
            f"{slot['first']} and {slot['last']} in {where} (sep-egress logs explain); review before allowing."
        )
        entry: dict[str, Any] = {"id": _overlay_id(destination, taken), "role": role, "usage": {"en": usage}}
        ports = sorted(slot["ports"])
        try:
            address = ipaddress.ip_address(destination)
        except ValueError:
            scheme = "http" if slot["apps"] == {"http"} else "https"
            entry["urls"] = [f"{scheme}://{destination}"]
            entry["ports"] = ports
        else:
            entry["cidrs"] = [f"{address}/{address.max_prefixlen}"]
            entry["ports"] = ports
            if slot["transport"] == "udp":
                entry["protocol"] = "udp"
        try:
            parse_overlay({"entries": [entry]}, "the proposed overlay")
        except CatalogError:
            if left_out is not None:
                left_out.append(destination)
            continue
        entries.append(entry)
    overlay = {
        "description": "Destinations `sep-egress logs explain` found refused and could not classify; review each.",
        "entries": entries,
    }
    parse_overlay(overlay, "the proposed overlay")
    return overlay
