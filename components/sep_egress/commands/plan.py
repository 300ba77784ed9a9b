"""``sep-egress plan``: what one deployment must allow, deduplicated, with warnings."""

from __future__ import annotations

import argparse
import sys

from ..compile.escape import plain_text
from .output import to_table
from .selection import add_selection_arguments, plan_from_args


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection_arguments(parser)
    parser.add_argument("--format", choices=["table", "json"], default="table")


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    if args.format == "json":
        sys.stdout.write(plan.to_json())
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
    sys.stdout.write(out)
    return 0
