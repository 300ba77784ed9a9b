"""``sep-egress logs``: firewall and proxy logs explained in the catalog's terms (``explain``), or the same
classification as one SQL query for the engines where an organisation's logs live (``query``); docs/rollout.md."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..catalog.internal.load import load_internal_catalog
from ..catalog.roles import ROLES, Role
from ..catalog.vendor.load import load_catalog, load_overlay
from ..catalog.vendor.models import Entry
from ..catalog.vendor.plan import EgressPlan
from ..errors import SelectionError
from ..escape import markdown_text, plain_text
from ..logs.classify import CLASSES, Classifier, selection_of
from ..logs.controls import Controls, controls_from_specs
from ..logs.readers import ReadStats, read_dns_answers, read_records, terminal_progress
from ..logs.records import DnsAnswer
from ..logs.report import MAX_DISTINCT, Analysis, proposed_overlay
from .output import OutputError, check_output, to_json, to_table, write_output
from .selection import add_selection_arguments, plan_from_args

FORMATS = ("text", "json", "markdown")
ENGINES = ("athena", "bigquery")


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    explain = actions.add_parser(
        "explain",
        help="explain refused (or, observing, would-be refused) and allowed flows of AWS Network Firewall, GCP "
        "firewall/DNS and Squid logs against the catalog and the selection",
    )
    explain.add_argument("logs", nargs="+", type=Path, metavar="LOG", help="log files (gzip accepted)")
    add_selection_arguments(explain)
    explain.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="ROLE=CIDR",
        help="the role of a source range, for logs of a selection without a stack; repeatable",
    )
    explain.add_argument("--format", choices=FORMATS, default="text")
    explain.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here instead of stdout")
    explain.add_argument(
        "--propose-overlay",
        type=Path,
        metavar="OUT.yaml",
        help="write an overlay allowing the unknown destinations, each entry saying where it was seen",
    )
    query = actions.add_parser(
        "query",
        help="print the same classification as one SQL query over Athena's Network Firewall tables or the BigQuery "
        "export of Cloud Logging",
    )
    query.add_argument("--engine", choices=ENGINES, required=True)
    add_selection_arguments(query)
    query.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here instead of stdout")


@dataclass(frozen=True, slots=True)
class Context:
    """A selection with what its classification needs: the plan, the entries, the controls of the stack."""

    plan: EgressPlan
    classifier: Classifier
    controls: Controls


def _role_sources(values: list[str]) -> dict[Role, list[str]]:
    import ipaddress

    sources: dict[Role, list[str]] = {}
    for value in values:
        role, sep, cidr = value.partition("=")
        if not sep or role not in ROLES:
            raise SelectionError(f"--source {value!r}: expected ROLE=CIDR with a role among {', '.join(ROLES)}")
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=True)
        except ValueError as exc:
            raise SelectionError(f"--source {value!r}: {exc}") from None
        sources.setdefault(role, []).append(str(network))
    return sources


def _enforce_specs(deployment: Any) -> list[Any]:
    """The stack's compiled controls, the AWS one as enforce mode compiles it: in observe mode its refusing rules
    keep their sids and messages but say ``alert``, like rules that only log, so the enforce compile is what names
    them (``logs/controls.py``). GCP's default deny keeps its kind in both modes."""
    from ..aws import NetworkFirewallAllowlistArgs, compile_args
    from ..compile.aws import AwsEgressSpec

    args = deployment.aws
    if args is None or getattr(args, "enforcement", "enforce") != "observe":
        return list(deployment.specs)
    assert isinstance(args, NetworkFirewallAllowlistArgs)
    enforce = compile_args(args.model_copy(update={"enforcement": "enforce"}))
    return [enforce if isinstance(spec, AwsEgressSpec) else spec for spec in deployment.specs]


def context_from_args(args: argparse.Namespace) -> Context:
    """The plan, the classifier and the stack's controls the arguments ask for; mistakes raise ``SepEgressError``."""
    specs: list[Any] = []
    overlay_entries: list[Entry] = []
    if args.stack:
        from ..settings import read_stack_file

        plan = plan_from_args(args)
        config = read_stack_file(args.project_dir, args.stack)
        for name in config.settings.overlays:
            path = Path(name) if Path(name).is_absolute() else config.base_dir / name
            overlay_entries += load_overlay(path).entries
        if config.settings.aws is not None or config.settings.gcp is not None:
            from ..program import prepare_deployment  # imports pulumi and the cloud SDKs

            specs = _enforce_specs(prepare_deployment(config))
        catalog = load_catalog()
    else:
        plan = plan_from_args(args)
        for path in args.overlay:
            overlay_entries += load_overlay(path).entries
        catalog = load_catalog(args.catalog)
    sources = _role_sources(getattr(args, "source", []) or [])
    selection = selection_of(plan, catalog.entries, overlay_entries, load_internal_catalog())
    return Context(plan, Classifier(selection), controls_from_specs(specs, sources))


def explain(args: argparse.Namespace) -> dict[str, Any]:
    """Read every log (DNS answers first, so firewall entries of addresses only get their names), classify."""
    context = context_from_args(args)
    analysis = Analysis(context.classifier, context.controls)
    progress = terminal_progress()
    for answer in read_dns_answers(list(args.logs)):
        analysis.add_dns(answer)
    stats = ReadStats()
    for item in read_records(list(args.logs), stats, progress):
        if not isinstance(item, DnsAnswer):
            analysis.add(item)
    if progress is not None:
        sys.stderr.write("\n")
    for bad in stats.shown:
        sys.stderr.write(f"sep-egress logs: {plain_text(str(bad))}\n")
    if stats.skipped > len(stats.shown):
        sys.stderr.write(f"sep-egress logs: ... and {stats.skipped - len(stats.shown)} more lines skipped\n")
    document = analysis.document(stats, len(args.logs))
    if analysis.not_itemised:
        sys.stderr.write(
            f"sep-egress logs: {analysis.not_itemised} flows counted but not itemised: more than {MAX_DISTINCT} "
            "distinct destinations (split the logs, or query them where they live: sep-egress logs query)\n"
        )
    if args.propose_overlay is not None:
        taken = [entry.id for entry in context.classifier.selection.entries]
        taken += [path.id for path in context.classifier.selection.internal.paths]
        left_out: list[str] = []
        overlay = proposed_overlay(document, context.plan.roles, taken, left_out)
        text = "# Proposed by `sep-egress logs explain`: review every entry before adding it to a stack.\n"
        for destination in left_out:
            note = f"not proposed: {plain_text(destination)} (not a host name an overlay can allow)"
            text += f"# {note}\n"
            sys.stderr.write(f"sep-egress logs: --propose-overlay: {note}\n")
        text += yaml.safe_dump(overlay, sort_keys=False, allow_unicode=False, width=120)
        write_output(args.propose_overlay, text, "--propose-overlay")
    return document


#: With no allowed flow read (an empty file, an AWS alert log alone), every plan rule is "unused": not advice.
_NO_ALLOWED_FLOW = (
    "plan rules no allowed flow used: not listed, the logs hold no allowed flow (an alert log lists refusals only; "
    "add the flow log, or the GCP log of the allow rules, to judge them)"
)


def _refused_row(item: dict[str, Any]) -> tuple[Any, ...]:
    """One refused destination as the text table and the markdown table both show it (escaped by each)."""
    return (
        item["source"],
        item["destination"],
        "" if item["port"] is None else item["port"],
        item["outcome"],
        item["count"],
        item["first_seen"],
        item["last_seen"],
        item["entry"] or "",
        item["change"] or item["note"],
    )


def _text(document: dict[str, Any]) -> str:
    summary = document["summary"]
    out = [
        f"{summary['files']} file(s), {summary['lines']} lines: {summary['records']} flows, "
        f"{summary['dns_answers']} DNS answers, {summary['skipped']} lines skipped",
        f"refused {summary['refused']}, would be refused (observe) {summary['would_refuse']}, "
        f"allowed {summary['allowed']}",
        "",
    ]
    for klass in CLASSES:
        items = [item for item in document["refused"] if item["class"] == klass]
        if not items:
            continue
        out.append(f"{klass} ({sum(item['count'] for item in items)} flows):")
        rows = [_refused_row(item) for item in items]
        headers = ("SOURCE", "DESTINATION", "PORT", "OUTCOME", "COUNT", "FIRST", "LAST", "ENTRY", "CHANGE / NOTE")
        out += ["  " + line if line else line for line in to_table(headers, rows).splitlines()]
        out.append("")
    allowed = document["allowed"]
    if allowed["used"]:
        out.append("allowed, by plan rule:")
        used_rows: list[tuple[Any, ...]] = [
            (item["rule"], ",".join(item["ids"]), item["count"], item["last_seen"]) for item in allowed["used"]
        ]
        out += ["  " + line for line in to_table(("RULE", "ENTRIES", "COUNT", "LAST"), used_rows).splitlines()]
        out.append("")
    if allowed["unused"] and not summary["allowed"]:
        out += [_NO_ALLOWED_FLOW, ""]
    elif allowed["unused"]:
        out.append("plan rules no allowed flow used (candidates to drop, if the logs cover every site):")
        out += [f"  {plain_text(item['rule'])} ({', '.join(item['ids'])})" for item in allowed["unused"]]
        out.append("")
    if allowed["outside_plan"]:
        out.append("allowed, by no rule of this plan:")
        outside_rows: list[tuple[Any, ...]] = [
            (item["destination"], item["port"] or "", item["count"]) for item in allowed["outside_plan"]
        ]
        out += ["  " + line for line in to_table(("DESTINATION", "PORT", "COUNT"), outside_rows).splitlines()]
    return "\n".join(out).rstrip("\n") + "\n"


def _markdown(document: dict[str, Any]) -> str:
    summary = document["summary"]
    out = [
        "## Egress logs explained",
        "",
        f"{summary['lines']} lines in {summary['files']} file(s): {summary['records']} flows, "
        f"{summary['skipped']} lines skipped; refused {summary['refused']}, would be refused "
        f"{summary['would_refuse']}, allowed {summary['allowed']}.",
    ]
    for klass in CLASSES:
        items = [item for item in document["refused"] if item["class"] == klass]
        if not items:
            continue
        out += [
            "",
            f"### {klass}",
            "",
            "| source | destination | port | outcome | count | first | last | entry | change |",
        ]
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for item in items:
            out.append("| " + " | ".join(markdown_text(cell) for cell in _refused_row(item)) + " |")
    unused = document["allowed"]["unused"]
    if unused and not summary["allowed"]:
        out += ["", markdown_text(_NO_ALLOWED_FLOW)]
    elif unused:
        out += ["", "### Plan rules no allowed flow used", ""]
        out += [f"- {markdown_text(item['rule'])} ({markdown_text(', '.join(item['ids']))})" for item in unused]
    return "\n".join(out) + "\n"


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _check_outputs(args: argparse.Namespace) -> None:
    """Both destinations refused before the logs are read: a run that fails on ``--output`` after writing
    ``--propose-overlay`` would leave half of what it was asked for."""
    if args.output is not None:
        check_output(args.output)
    overlay = getattr(args, "propose_overlay", None)
    for option, path in (("--output", args.output), ("--propose-overlay", overlay)):
        if path is not None and path.is_file() and any(_same_file(path, log) for log in getattr(args, "logs", [])):
            raise OutputError(f"{option} {plain_text(path)}: one of the logs read; write the result to another file")
    if overlay is None:
        return
    check_output(overlay, "--propose-overlay")
    same = args.output is not None and os.path.realpath(args.output) == os.path.realpath(overlay)
    if same and not (overlay.exists() and not overlay.is_file()):  # /dev/null twice is no conflict
        shown = plain_text(overlay)
        raise OutputError(f"--propose-overlay {shown}: the same file as --output; give the overlay its own file")


def run(args: argparse.Namespace) -> int:
    _check_outputs(args)
    if args.action == "query":
        from ..logs.sql import query

        context = context_from_args(args)
        text = query(args.engine, context.classifier, context.controls)
    else:
        document = explain(args)
        text = {"json": to_json, "text": _text, "markdown": _markdown}[args.format](document)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_output(args.output, text)
    return 0
