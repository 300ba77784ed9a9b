"""``sep-egress check``: from a machine behind the controls, can every plan host and port really be reached?

Exit codes: 0 every check passed, 1 at least one failed (unreachable, timed out, denied by the proxy, or
intercepted), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from typing import Any, TextIO

from ..connectivity import (
    PASSWORD_ENV,
    USER_ENV,
    CheckError,
    CheckResult,
    Overrides,
    Proxy,
    TrustStores,
    check_all,
    targets_from_plan,
)
from ..escape import plain_text
from .output import to_json, to_table
from .selection import add_selection_arguments, plan_from_args

MAX_TIMEOUT = 120.0


def configure(parser: argparse.ArgumentParser) -> None:
    add_selection_arguments(parser)
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="seconds per phase and attempt (default: 5)"
    )
    parser.add_argument("--concurrency", type=int, default=16, metavar="N", help="checks at once (default: 16)")
    parser.add_argument("--only", action="append", default=[], metavar="HOST", help="check only this plan host")
    parser.add_argument(
        "--resolve",
        action="append",
        default=[],
        metavar="HOST:IP",
        help="use IP for HOST (or * for every host) instead of DNS, like curl; repeatable",
    )
    parser.add_argument(
        "--connect-to",
        action="append",
        default=[],
        metavar="HOST:PORT:IP:PORT",
        help="connect to IP:PORT when checking HOST:PORT (HOST may be *), like curl; repeatable",
    )
    parser.add_argument(
        "--ca-file",
        metavar="FILE",
        help="the local trust store to compare with (default: the system's), e.g. your inspection CA",
    )
    parser.add_argument(
        "--public-ca-file",
        metavar="FILE",
        help="the roots that count as public (default: certifi's bundle of public CAs)",
    )
    parser.add_argument(
        "--via",
        metavar="http://[USER@]HOST:PORT",
        help=(
            "go through this explicit HTTP proxy: CONNECT for TLS hosts (then the same TLS check in the tunnel), "
            f"HEAD http://host/ for HTTP hosts; the proxy resolves names. Password only from {PASSWORD_ENV} "
            f"(user in the URL or {USER_ENV})"
        ),
    )


class _Progress:
    """A one-line counter on stderr, only when stderr is a terminal: stdout stays clean for JSON and pipes."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.failed = 0

    def __call__(self, done: int, total: int, result: CheckResult) -> None:
        self.failed += 0 if result.ok else 1
        self.stream.write(f"\rchecked {done}/{total}, {self.failed} failing ")
        if done == total:
            self.stream.write("\r" + " " * 40 + "\r")
        self.stream.flush()


def report(results: list[CheckResult], document: dict[str, Any]) -> dict[str, Any]:
    """The JSON document: the selection, a summary and one record per target, in plan order."""
    return {
        **document,
        "summary": {
            "targets": len(results),
            "ok": sum(1 for result in results if result.ok),
            "failed": sum(1 for result in results if not result.ok),
            "intercepted": sum(1 for result in results if result.tls.intercepted),
        },
        "results": [result.to_dict() for result in results],
    }


def _dns_cell(result: CheckResult) -> str:
    dns = result.dns
    if dns.source == "proxy":
        return "by proxy"
    if dns.status != "ok":
        return dns.status
    return dns.addresses[0] if dns.addresses else "ok"


def _proxy_cell(result: CheckResult) -> str:
    phase = result.proxy
    if phase.code is not None:
        return str(phase.code)
    return {"skipped": "-"}.get(phase.status, phase.status)


def _table(results: list[CheckResult], proxy: Proxy | None = None) -> str:
    rows: list[tuple[object, ...]] = []
    for result in results:
        tls = result.tls
        tls_cell = {"not-applicable": "-", "skipped": "-"}.get(tls.status, tls.status)
        if tls.intercepted:
            tls_cell = "INTERCEPTED"
        via = (_proxy_cell(result),) if proxy is not None else ()
        rows.append(
            (
                result.target.host,
                result.target.port,
                _dns_cell(result),
                result.tcp.status,
                *via,
                tls_cell,
                tls.issuer or "-",
                result.verdict,
            )
        )
    columns = ("HOST", "PORT", "DNS", "TCP", *(("PROXY",) if proxy is not None else ()), "TLS", "ISSUER", "RESULT")
    out = ""
    if proxy is not None:
        # Said up front, so a reader does not take "by proxy" for a DNS check that passed.
        out += (
            f"Through the proxy {proxy.url}{' (with credentials)' if proxy.authenticated else ''}: names are "
            "resolved by the proxy, so DNS is not checked from this machine; TCP is the connection to the proxy.\n\n"
        )
    out += to_table(columns, rows)
    failures = [result for result in results if not result.ok]
    if failures:
        out += "\nFailures:\n"
        for result in failures:
            out += f"- {result.target.host}:{result.target.port}: {plain_text(result.error or result.verdict)}\n"
    passed = len(results) - len(failures)
    intercepted = sum(1 for result in results if result.tls.intercepted)
    out += f"\n{len(results)} checked: {passed} ok, {len(failures)} failing ({intercepted} intercepted).\n"
    return out


def _require_regular_file(option: str, path: str | None) -> None:
    """Refuse a CA file that is not a regular file before OpenSSL opens it (a FIFO would block the run)."""
    if path is None:
        return
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise CheckError(f"{option} {plain_text(path)}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise CheckError(f"{option} {plain_text(path)}: not a regular file; sep-egress reads only regular files")


def run(args: argparse.Namespace) -> int:
    if not 0 < args.timeout <= MAX_TIMEOUT:
        raise CheckError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds")
    if not 1 <= args.concurrency <= 256:
        raise CheckError("--concurrency must be 1-256")
    proxy = Proxy.parse(args.via, os.environ) if args.via is not None else None
    if proxy is not None and (args.resolve or args.connect_to):
        # They replace this machine's DNS, which a proxied check does not use: accepting them would mislead.
        raise CheckError("--resolve and --connect-to have no effect with --via: the proxy resolves the names")
    overrides = Overrides.parse(args.resolve, args.connect_to)
    plan = plan_from_args(args)
    targets = targets_from_plan(plan, args.only)
    for option, cafile in (("--ca-file", args.ca_file), ("--public-ca-file", args.public_ca_file)):
        _require_regular_file(option, cafile)
    trust = TrustStores(public_cafile=args.public_ca_file, local_cafile=args.ca_file)
    progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
    results = check_all(
        targets,
        timeout=args.timeout,
        concurrency=args.concurrency,
        overrides=overrides,
        trust=trust,
        proxy=proxy,
        progress=progress,
    )
    if args.format == "json":
        document = {
            "catalog_version": plan.catalog_version,
            "selection": plan.to_dict()["selection"],
            "timeout": args.timeout,
            # Named as the user wrote them; a file name that is not UTF-8 shows its bytes as \xNN.
            "public_roots": plain_text(trust.public_name),
            "local_roots": plain_text(args.ca_file or "system"),
            "proxy": None if proxy is None else {"url": proxy.url, "authenticated": proxy.authenticated},
            # Address ranges (overlay CIDRs, SEP's internal paths) have no name to resolve nor a certificate to
            # verify: `check` names them instead of silently leaving them out.
            "ranges_not_checked": [f"{rule.cidr}:{rule.port}/{rule.protocol}" for rule in plan.cidrs],
        }
        sys.stdout.write(to_json(report(results, document)))
    else:
        out = _table(results, proxy)
        if plan.cidrs:
            out += (
                f"Not checked: {len(plan.cidrs)} address range rule(s) of the plan (no name to resolve nor a "
                "certificate to verify): "
                + ", ".join(f"{rule.cidr}:{rule.port}/{rule.protocol}" for rule in plan.cidrs)
                + ".\n"
            )
        sys.stdout.write(out)
    return 0 if all(result.ok for result in results) else 1
