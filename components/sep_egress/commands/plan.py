"""``sep-egress plan``: what one deployment must allow, deduplicated, with warnings."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..escape import json_document, plain_text
from .output import to_table
from .selection import add_selection_arguments, plan_from_args


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection_arguments(parser)
    parser.add_argument("--format", choices=["table", "json"], default="table")


def stack_control_warnings(args: argparse.Namespace) -> list[dict[str, Any]]:
    """With ``--stack``: what the stack's controls add to know (GCP enforcement order, shared NAT addresses, internal
    names in FQDN rules, AWS notes), as its preview and ``pulumi up`` export them; the controls are validated too."""
    if not args.stack:
        return []
    from ..settings import read_stack_file

    config = read_stack_file(args.project_dir, args.stack)
    if config.settings.aws is None and config.settings.gcp is None:
        return []  # a consumer project's stack: its own program decides the controls
    from ..program import control_warnings, prepare_deployment  # imports pulumi and the cloud SDKs

    return control_warnings(prepare_deployment(config))


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    controls = stack_control_warnings(args)
    if args.format == "json":
        if not controls:
            sys.stdout.write(plan.to_json())
        else:
            document = {**plan.to_dict(), "control_warnings": controls}
            sys.stdout.write(json_document(document))
        return 0
    rows: list[tuple[str, int, str, str, str]] = [
        (
            ("." if rule.match == "suffix" else "") + rule.host,
            rule.port,
            rule.protocol,
            ",".join(rule.roles),
            ",".join(rule.ids),
        )
        for rule in plan.allow
    ]
    rows += [(rule.cidr, rule.port, rule.protocol, ",".join(rule.roles), ",".join(rule.ids)) for rule in plan.cidrs]
    header = (
        f"catalog {plan.catalog_version} | roles {', '.join(plan.roles)} | version {plan.version} | "
        f"proxy {'yes' if plan.proxy else 'no'} | storage {plan.storage}"
        + (
            f" | internal {plan.internal_catalog_version}: "
            + ", ".join(f"{kind}={','.join(cidrs)}" for kind, cidrs in plan.internal.addresses)
            if plan.internal is not None
            else ""
        )
        + "\n\n"
    )
    out = header + to_table(("DESTINATION", "PORT", "PROTO", "ROLES", "ENTRIES"), rows)
    if plan.warnings:
        out += "\nWarnings:\n"
        for warning in plan.warnings:
            out += f"- [{warning.code}] {plain_text(warning.message)}\n"
            if warning.code == "tls-inspection-bypass":
                out += "".join(f"    {host}\n" for host in warning.hosts)
    if controls:
        out += "\nWarnings of the stack's controls:\n"
        for item in controls:
            out += f"- [{item['code']}] {plain_text(item['message'])}\n"
    sys.stdout.write(out)
    return 0
