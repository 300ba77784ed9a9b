"""Plan -> Squid configuration: an include fragment (the default) or a complete, fail-closed squid.conf.

Directives and ACLs are built only from the plan's canonical values (host names, ports, CIDRs, ids, roles) and the
options validated here (``--listen``, source CIDRs), re-emitted in canonical form.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ...catalog import ROLES, Role
from ...catalog.hosts import HostError, parse_cidr
from ...catalog.vendor.plan import AllowRule, EgressPlan
from ...escape import squid_comment
from .text import ProxyExportError, covered, header, host_port, warning_lines

SquidMode = Literal["fragment", "full"]
SQUID_MODES: tuple[SquidMode, ...] = ("fragment", "full")
Enforcement = Literal["observe", "enforce"]
ENFORCEMENTS: tuple[Enforcement, ...] = ("observe", "enforce")
ACL_PREFIX = "sep_egress"
#: Observe mode: the transaction annotation (``annotate_transaction``) a request no rule allows gets, and the
#: access-log format that appends it to Squid's native line (``-`` for every other request).
OBSERVE_NOTE = "sep_egress"
OBSERVE_MARKER = "would-refuse"
OBSERVE_LOGFORMAT = "sep_egress_observe"
#: Squid's built-in ``squid`` (native) log format (https://www.squid-cache.org/Doc/config/logformat/), then the note.
NATIVE_LOGFORMAT = "%ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt"


@dataclass(frozen=True, slots=True)
class SquidOptions:
    """How to render Squid configuration.

    ``mode``: ``fragment`` (default) is ACLs, ``http_access`` allows and ``ssl_bump`` splices to ``include`` in an
    existing squid.conf before its own ``http_access deny all`` and ``ssl_bump`` rules; ``full`` is a complete,
    fail-closed squid.conf listening on ``listen``. ``role_sources`` maps a role to the client CIDRs allowed to use
    its rules; roles without sources apply to every client that can reach the proxy. ``ssl_bump`` emits the
    ``ssl_bump splice`` rules, which only Squid built with OpenSSL parses (Debian: ``squid-openssl``).
    """

    mode: SquidMode = "fragment"
    listen: str = "3128"
    role_sources: Mapping[Role, tuple[str, ...]] = field(default_factory=dict)
    ssl_bump: bool = True
    #: ``observe``: what the rules do not allow is allowed too, annotated and logged as ``would-refuse``.
    enforcement: Enforcement = "enforce"


def _observe_lines(mode: SquidMode) -> list[str]:
    """Observe mode: after every allow, allow the rest too, annotated so that the access log marks it.

    ``annotate_transaction`` (an ACL that always matches and adds a note to the transaction) is reached only by a
    request no allow above matched, so its note names exactly what enforce mode would refuse; ``%{name}note`` in a
    ``logformat`` prints it (https://www.squid-cache.org/Doc/config/acl/, .../logformat/).
    """
    where = (
        "Whatever the rules above do not allow"
        if mode == "full"
        else "Whatever the rules above do not allow, and whatever your own rules after this include would decide,"
    )
    return [
        "",
        "# OBSERVE MODE: nothing is refused. " + where,
        "# is allowed and annotated; point an access_log at the format below (for example",
        f"# 'access_log daemon:/var/log/squid/access.log {OBSERVE_LOGFORMAT}'): each line is Squid's native line",
        f"# followed by '{OBSERVE_MARKER}' for a request enforce mode would refuse, '-' otherwise",
        "# (`sep-egress logs explain` reads it). Export again without --enforcement observe to enforce.",
        f"logformat {OBSERVE_LOGFORMAT} {NATIVE_LOGFORMAT} %{{{OBSERVE_NOTE}}}note",
        f"acl {ACL_PREFIX}_would_refuse annotate_transaction {OBSERVE_NOTE}={OBSERVE_MARKER}",
        f"http_access allow {ACL_PREFIX}_would_refuse",
    ]


def _domain_items(rules: Sequence[AllowRule]) -> tuple[list[str], list[str]]:
    """Squid domain items (``.x`` for a suffix) for ``rules``, and comments for names a suffix already covers.

    Squid warns about, and drops, a name that is a subdomain of another item of the same ACL; removing it here
    keeps ``squid -k parse`` silent and the output honest about what matches.
    """
    suffixes = sorted({rule.host for rule in rules if rule.match == "suffix"})
    items: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for rule in sorted(rules, key=lambda rule: (rule.host, rule.match)):
        item = ("." if rule.match == "suffix" else "") + rule.host
        if item in seen:
            continue
        seen.add(item)
        parent = covered(rule.host, suffixes)
        if parent is not None:
            notes.append(f"# {rule.host} is covered by .{parent}")
            continue
        if rule.match == "exact" and rule.host in suffixes:
            notes.append(f"# {rule.host} is covered by .{rule.host}")
            continue
        items.append(item)
    return items, notes


def _role_token(role: str) -> str:
    return role.replace("-", "_")


def _network_key(text: str) -> tuple[int, int, int]:
    network = ipaddress.ip_network(text)
    return (network.version, int(network.network_address), network.prefixlen)


def _check_sources(plan: EgressPlan, role_sources: Mapping[Role, tuple[str, ...]]) -> dict[Role, tuple[str, ...]]:
    checked: dict[Role, tuple[str, ...]] = {}
    for role, cidrs in role_sources.items():
        if role not in ROLES:
            raise ProxyExportError(f"unknown role {role!r} in a source; choose among {', '.join(ROLES)}")
        if role not in plan.roles:
            raise ProxyExportError(f"a source is given for role {role!r}, which the selection does not include")
        networks = []
        for cidr in cidrs:
            try:
                network = parse_cidr(cidr)
            except HostError as exc:
                raise ProxyExportError(f"source for {role}: {exc}") from None
            if network.prefixlen == 0:
                raise ProxyExportError(f"source for {role}: {cidr!r} is every address; omit the source instead")
            networks.append(str(network))
        checked[role] = tuple(sorted(set(networks), key=_network_key))
    return checked


def _check_listen(listen: str) -> str:
    """``PORT`` or ``ADDRESS:PORT`` in canonical form (ASCII digits only: ``\\d`` would take any script's digits)."""
    if re.fullmatch(r"[0-9]{1,5}", listen) and 1 <= int(listen) <= 65535:
        return str(int(listen))
    address = host_port(listen)
    if address is None:
        raise ProxyExportError(
            f"--listen {listen!r}: expected PORT or ADDRESS:PORT in ASCII digits, port 1-65535, e.g. 127.0.0.1:3128"
        )
    return f"{address[0]}:{address[1]}"


def squid_config(plan: EgressPlan, options: SquidOptions | None = None) -> str:
    """Squid configuration text for ``plan`` (see ``SquidOptions`` for fragment and full modes).

    ACLs are per role, protocol and port: TLS rules allow ``CONNECT`` to the port, HTTP rules allow plain proxied
    ``http://`` requests (never ``CONNECT``, which would tunnel anything). ``dstdomain -n`` stops Squid matching a
    CONNECT to a bare IP address through its reverse DNS, which whoever owns the address controls.
    """
    options = options or SquidOptions()
    if options.mode not in SQUID_MODES:
        raise ProxyExportError(f"unknown Squid mode {options.mode!r}; choose fragment or full")
    if options.enforcement not in ENFORCEMENTS:
        raise ProxyExportError(f"unknown enforcement {options.enforcement!r}; choose observe or enforce")
    sources = _check_sources(plan, options.role_sources)
    what = "Squid configuration" if options.mode == "full" else "Squid include fragment"
    out = header(plan, what)
    if options.mode == "fragment":
        out += [
            "#",
            "# Include this file in squid.conf with 'include /path/to/this/file' BEFORE your own 'http_access deny",
            "# all' and before any ssl_bump rule of yours: Squid applies the first matching http_access and",
            "# ssl_bump line. This fragment only allows; it denies nothing, so your own final deny must exist.",
        ]
    out += ["#", *warning_lines(plan)]
    if plan.cidrs:
        out += [
            "#",
            "# Address ranges in the plan are not proxied traffic; allow them on the network firewall instead:",
            *(f"#   {rule.cidr} {rule.protocol}/{rule.port} ({', '.join(rule.ids)})" for rule in plan.cidrs),
        ]
    if options.mode == "full":
        out += ["", "http_port " + _check_listen(options.listen)]

    out += ["", "# Ports the plan allows; CONNECT is allowed to these ports only, and only to the listed names."]
    ports = sorted({rule.port for rule in plan.allow})
    for port in ports:
        out.append(f"acl {ACL_PREFIX}_port_{port} port {port}")
    if any(rule.protocol == "http" for rule in plan.allow):
        out.append(f"acl {ACL_PREFIX}_http proto HTTP")

    if sources:
        out += ["", "# Clients allowed to use each role's rules (--source)."]
        for role, cidrs in sources.items():
            out += [f"acl {ACL_PREFIX}_src_{_role_token(role)} src {cidr}" for cidr in cidrs]
    unsourced = [role for role in plan.roles if role not in sources]
    if unsourced:
        out += [
            "",
            f"# No client CIDRs given for {', '.join(unsourced)}: their rules apply to every client that can reach",
            "# this proxy. Give --source ROLE=CIDR to restrict them.",
        ]

    access: list[str] = []
    for role in plan.roles:
        role_rules = plan.rules_for(role)
        for protocol in ("tls", "http"):
            for port in sorted({rule.port for rule in role_rules if rule.protocol == protocol}):
                group = [rule for rule in role_rules if rule.protocol == protocol and rule.port == port]
                acl = f"{ACL_PREFIX}_{_role_token(role)}_{protocol}_{port}"
                items, notes = _domain_items(group)
                out += ["", f"# {role}: {protocol} on port {port}"]
                out += notes
                for rule in group:
                    if rule.shared:
                        out.append(f"# shared host: {rule.host} serves other parties too (see warnings above)")
                    if rule.paths:
                        paths = squid_comment(", ".join(rule.paths))
                        out.append(f"# widened: the vendor names only {paths} on {rule.host}")
                out += [f"acl {acl} dstdomain -n {item}" for item in items]
                source = f" {ACL_PREFIX}_src_{_role_token(role)}" if role in sources else ""
                if protocol == "tls":
                    access.append(f"http_access allow CONNECT {ACL_PREFIX}_port_{port} {acl}{source}")
                else:
                    access.append(
                        f"http_access allow !CONNECT {ACL_PREFIX}_http {ACL_PREFIX}_port_{port} {acl}{source}"
                    )
    out += ["", "# Allow each role its names on its ports; nothing else is allowed here.", *access]

    bypass = plan.tls_inspection_bypass
    if bypass and options.ssl_bump:
        bypass_rules = [rule for rule in plan.allow if rule.host in set(bypass) and rule.protocol == "tls"]
        items, notes = _domain_items(bypass_rules)
        out += [
            "",
            "# Never decrypt the vendor's hosts: the products pin their certificates, so an intercepting Squid that",
            "# bumps them breaks the agents (vendor's TLS-inspection notice). Splice first, on the CONNECT name or",
            "# the client's SNI, then peek at step 1 so an intercepted connection's SNI is known at step 2. These",
            "# lines must come before any 'ssl_bump bump' of yours; on a Squid that does not bump they are inert.",
            f"acl {ACL_PREFIX}_step1 at_step SslBump1",
            *notes,
            *(f"acl {ACL_PREFIX}_no_bump ssl::server_name {item}" for item in items),
            f"ssl_bump splice {ACL_PREFIX}_no_bump",
            f"ssl_bump peek {ACL_PREFIX}_step1",
        ]
    elif bypass:
        out += [
            "",
            "# ssl_bump rules left out (--no-ssl-bump): this Squid must not intercept TLS, or it would decrypt the",
            "# vendor's pinned hosts and break the agents (vendor's TLS-inspection notice).",
        ]

    if options.enforcement == "observe":
        out += _observe_lines(options.mode)
    if options.mode == "full":
        out += [
            "",
            "# Fail closed: whatever the rules above do not allow is refused.",
            "http_access deny all",
        ]
    return "\n".join(out) + "\n"
