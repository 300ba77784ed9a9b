"""``sep-egress export``: the plan as on-premises proxy configuration (Squid, PAC) or plain lists (hosts, CSV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import cast

from ..catalog import ROLES, Role
from ..compile.proxy import (
    ENFORCEMENTS,
    SQUID_MODES,
    Enforcement,
    ProxyExportError,
    SquidMode,
    SquidOptions,
    SuffixForm,
    csv_list,
    host_list,
    pac_file,
    squid_config,
)
from .output import write_output
from .selection import add_selection_arguments, plan_from_args

FORMATS = ("squid", "pac", "hosts", "csv")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("format", choices=FORMATS, help="squid, pac, hosts or csv")
    add_selection_arguments(parser)
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here instead of stdout")
    squid = parser.add_argument_group("squid")
    squid.add_argument(
        "--squid-mode",
        choices=SQUID_MODES,
        default="fragment",
        help="fragment (default): rules to include in your squid.conf; full: a complete fail-closed squid.conf",
    )
    squid.add_argument(
        "--listen", default="3128", metavar="[ADDR:]PORT", help="http_port of a full squid.conf (default: 3128)"
    )
    squid.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="ROLE=CIDR",
        help="clients allowed to use a role's rules; repeatable (default: every client that reaches the proxy)",
    )
    squid.add_argument(
        "--enforcement",
        choices=ENFORCEMENTS,
        help="enforce refuses what the plan does not allow; observe allows it and logs it as would-refuse "
        "(default: the stack's sep-egress:enforcement with --stack, else enforce; docs/rollout.md)",
    )
    squid.add_argument(
        "--no-ssl-bump",
        dest="ssl_bump",
        action="store_false",
        help="leave out the ssl_bump splice rules (for a Squid built without OpenSSL, which cannot parse them)",
    )
    pac = parser.add_argument_group("pac")
    pac.add_argument(
        "--proxy-url",
        metavar="HOST:PORT|DIRECT",
        help="where the PAC sends the plan's hosts: a proxy, or DIRECT to keep them away from an inspecting proxy",
    )
    pac.add_argument(
        "--pac-default",
        default="DIRECT",
        metavar="ROUTE",
        help="where the PAC sends every other host: DIRECT (default) or HOST:PORT / 'PROXY HOST:PORT'",
    )
    lists = parser.add_argument_group("hosts")
    lists.add_argument(
        "--suffix-form",
        choices=["dot", "star"],
        default="dot",
        help="write a domain suffix as .example.com (dot, default) or *.example.com (star)",
    )
    lists.add_argument("--no-comments", dest="comments", action="store_false", help="hosts: no # header")


def _role_sources(values: list[str]) -> dict[Role, tuple[str, ...]]:
    sources: dict[Role, list[str]] = {}
    for value in values:
        role, sep, cidr = value.partition("=")
        if not sep or not cidr.strip():
            raise ProxyExportError(f"--source {value!r}: expected ROLE=CIDR, e.g. agent=10.20.0.0/16")
        if role not in ROLES:
            raise ProxyExportError(f"--source {value!r}: unknown role {role!r}; choose among {', '.join(ROLES)}")
        sources.setdefault(role, []).append(cidr.strip())
    return {role: tuple(cidrs) for role, cidrs in sources.items()}


def _enforcement(args: argparse.Namespace) -> Enforcement:
    """``--enforcement``, else the stack's ``sep-egress:enforcement`` with ``--stack``, else enforce."""
    if args.enforcement:
        return cast(Enforcement, args.enforcement)
    if args.stack:
        from ..settings import read_stack_file  # a stack file needs pydantic; plain flags do not

        return read_stack_file(args.project_dir, args.stack).settings.enforcement
    return "enforce"


def render(args: argparse.Namespace) -> str:
    """The export text the arguments ask for."""
    if args.format != "squid" and (
        args.source or args.squid_mode != "fragment" or args.listen != "3128" or args.enforcement
    ):
        raise ProxyExportError("--squid-mode, --listen, --source and --enforcement apply to 'export squid' only")
    if args.format != "pac" and (args.proxy_url or args.pac_default != "DIRECT"):
        raise ProxyExportError("--proxy-url and --pac-default apply to 'export pac' only")
    if args.format == "pac" and not args.proxy_url:
        raise ProxyExportError("export pac needs --proxy-url HOST:PORT (or DIRECT) for the plan's hosts")
    plan = plan_from_args(args)
    if args.format == "squid":
        options = SquidOptions(
            mode=cast(SquidMode, args.squid_mode),
            listen=args.listen,
            role_sources=_role_sources(args.source),
            ssl_bump=args.ssl_bump,
            enforcement=_enforcement(args),
        )
        return squid_config(plan, options)
    if args.format == "pac":
        return pac_file(plan, route=args.proxy_url, default=args.pac_default)
    if args.format == "hosts":
        return host_list(plan, suffix_form=cast(SuffixForm, args.suffix_form), comments=args.comments)
    return csv_list(plan)


def run(args: argparse.Namespace) -> int:
    text = render(args)
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_output(args.output, text)
    return 0
