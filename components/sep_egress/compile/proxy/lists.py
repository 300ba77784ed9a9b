"""Plan -> plain lists: one host name per line, and CSV (one row per plan rule, for spreadsheets and importers).

CSV carries no header comment (a comment row would break the importers it is meant for); each cell goes out
through ``csv_cell``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Literal

from ...catalog.vendor.plan import EgressPlan
from ...escape import csv_cell
from .text import ProxyExportError, header, warning_lines

SuffixForm = Literal["dot", "star"]


def host_list(
    plan: EgressPlan,
    *,
    suffix_form: SuffixForm = "dot",
    comments: bool = True,
    only: frozenset[str] | None = None,
    only_note: str = "",
) -> str:
    """One host name per line, sorted and deduplicated across ports; a suffix is ``.example.com`` (``dot``) or
    ``*.example.com`` (``star``). With ``comments``, a ``#`` header and the warnings come first. With ``only``,
    just the plan's names in that set (``only_note`` says which, in the header)."""
    if suffix_form not in ("dot", "star"):
        raise ProxyExportError(f"unknown suffix form {suffix_form!r}; choose dot or star")
    marker = "." if suffix_form == "dot" else "*."
    rules = [rule for rule in plan.allow if only is None or rule.host in only]
    names = sorted({(marker if rule.match == "suffix" else "") + rule.host for rule in rules})
    out: list[str] = []
    if comments:
        out += header(plan, "Host list")
        if only is not None:
            out += [f"# Only {only_note}: {len(names)} of the plan's {len({rule.host for rule in plan.allow})} names."]
        out += [
            f"# Ports: {', '.join(str(port) for port in sorted({rule.port for rule in rules}))}; "
            "a host list carries no port, so restrict ports on the firewall.",
            *warning_lines(plan),
        ]
    return "\n".join([*out, *names]) + "\n"


CSV_COLUMNS = (
    "destination",
    "kind",
    "match",
    "port",
    "protocol",
    "roles",
    "ids",
    "shared",
    "paths",
    "tls_inspection_bypass",
    "catalog_version",
)


def _cidr_source_version(plan: EgressPlan, ids: Sequence[str], internal_ids: frozenset[str]) -> str:
    """Which catalog version a range rule comes from: the vendor catalog's, the internal catalog's, or both."""
    internal = any(entry_id in internal_ids for entry_id in ids)
    vendor = any(entry_id not in internal_ids for entry_id in ids)
    parts = ([plan.catalog_version] if vendor or not internal else []) + (
        [f"internal {plan.internal_catalog_version}"] if internal else []
    )
    return " ".join(parts)


def csv_list(plan: EgressPlan) -> str:
    """One row per plan rule (host rules, then address ranges), with the columns of ``CSV_COLUMNS``.

    Multi-valued cells (roles, ids, paths) are joined with spaces. The catalog version is a column because a
    comment row would break spreadsheet and firewall importers; an internal path's row names the internal
    catalog's version (``internal <version>``).
    """
    bypass = set(plan.tls_inspection_bypass)
    internal_ids: frozenset[str] = frozenset()
    if plan.internal_catalog_version is not None:
        from ...catalog.internal import load_internal_catalog

        internal_ids = frozenset(path.id for path in load_internal_catalog().paths)
    rows: list[tuple[object, ...]] = [
        (
            rule.host,
            "host",
            rule.match,
            rule.port,
            rule.protocol,
            " ".join(rule.roles),
            " ".join(rule.ids),
            str(rule.shared).lower(),
            " ".join(rule.paths),
            str(rule.host in bypass and rule.protocol == "tls").lower(),
            plan.catalog_version,
        )
        for rule in plan.allow
    ]
    rows += [
        (
            rule.cidr,
            "cidr",
            "",
            rule.port,
            rule.protocol,
            " ".join(rule.roles),
            " ".join(rule.ids),
            "false",
            "",
            "false",
            _cidr_source_version(plan, rule.ids, internal_ids),
        )
        for rule in plan.cidrs
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()
