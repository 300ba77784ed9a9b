"""``sep-egress export``: the plan as on-premises proxy configuration (Squid, PAC) or plain lists (hosts, CSV)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ..catalog import ROLES, Role
from ..catalog.vendor.plan import EgressPlan
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
        help="where the PAC sends the plan's hosts: a proxy, or DIRECT to keep them away from an inspecting proxy "
        "(not with a --stack that has a GCP Secure Web Proxy: its names go there, the plan's others DIRECT)",
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
    lists.add_argument(
        "--swp-names",
        choices=["served", "direct"],
        help="with a --stack that has a GCP Secure Web Proxy: only the names it serves (served), or only the plan's "
        "other names, which the firewall allows directly (direct: a proxy bypass list)",
    )


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


@dataclass(frozen=True)
class StackProxy:
    """The stack's Secure Web Proxy as clients see it: where it listens and the plan names it serves."""

    route: str
    names: frozenset[str]


def _stack_proxy(args: argparse.Namespace, plan: EgressPlan) -> StackProxy | None:
    """With ``--stack``, the stack's ``gcp.secure_web_proxy`` part (None without one). The names come from
    ``proxied_names``, the function that takes them out of the firewall policy's FQDN rules, with the options the
    program wires: the proxy's ``address``/``port``/``names`` and the firewall's ``private_google_access``."""
    if not args.stack:
        return None
    from ..compile.gcp import GcpSpecError, ProxyRoute  # the GCP compiler only for a stack that may need it
    from ..compile.gcp.firewall import proxied_names
    from ..settings import NAMESPACE, read_stack_file

    gcp = read_stack_file(args.project_dir, args.stack).settings.gcp or {}
    proxy = gcp.get("secure_web_proxy")
    if proxy is None:
        return None
    where = f"{NAMESPACE}:gcp.secure_web_proxy.options"
    options = proxy.get("options") if isinstance(proxy, Mapping) else None
    if not isinstance(options, Mapping):
        raise ProxyExportError(f"stack {args.stack}: {where} must be a mapping with the proxy's address")
    firewall = gcp.get("firewall")
    firewall_options = firewall.get("options", {}) if isinstance(firewall, Mapping) else {}
    access = isinstance(firewall_options, Mapping) and firewall_options.get("private_google_access") is True
    try:
        route = ProxyRoute.parse(where, {key: options[key] for key in ("address", "port", "names") if key in options})
    except GcpSpecError as error:
        raise ProxyExportError(f"stack {args.stack}: {error}") from None
    return StackProxy(route=f"PROXY {route.address}:{route.port}", names=proxied_names(plan, route.names, access))


def render(args: argparse.Namespace) -> str:
    """The export text the arguments ask for."""
    if args.format != "squid" and (
        args.source or args.squid_mode != "fragment" or args.listen != "3128" or args.enforcement
    ):
        raise ProxyExportError("--squid-mode, --listen, --source and --enforcement apply to 'export squid' only")
    if args.format != "pac" and (args.proxy_url or args.pac_default != "DIRECT"):
        raise ProxyExportError("--proxy-url and --pac-default apply to 'export pac' only")
    if args.format != "hosts" and args.swp_names:
        raise ProxyExportError("--swp-names applies to 'export hosts' only")
    plan = plan_from_args(args)
    proxy = _stack_proxy(args, plan) if args.format == "pac" or args.swp_names else None
    if args.swp_names:
        if proxy is None:
            raise ProxyExportError(
                "--swp-names needs a --stack with a GCP Secure Web Proxy (sep-egress:gcp.secure_web_proxy)"
            )
        served = args.swp_names == "served"
        names = proxy.names if served else frozenset(rule.host for rule in plan.allow) - proxy.names
        note = (
            f"the names the Secure Web Proxy serves (send them to {proxy.route})"
            if served
            else "the names the firewall policy allows directly (the proxy's bypass list)"
        )
        return host_list(
            plan,
            suffix_form=cast(SuffixForm, args.suffix_form),
            comments=args.comments,
            only=names,
            only_note=note,
        )
    if proxy is not None:
        if args.proxy_url:
            raise ProxyExportError(
                f"stack {args.stack} has a Secure Web Proxy: the PAC sends the names it serves to {proxy.route} and "
                "the plan's other names DIRECT (the firewall policy allows them by name); drop --proxy-url"
            )
        return pac_file(plan, route="DIRECT", default=args.pac_default, proxied=proxy.names, proxied_route=proxy.route)
    if args.format == "pac" and not args.proxy_url:
        raise ProxyExportError("export pac needs --proxy-url HOST:PORT (or DIRECT) for the plan's hosts")
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
