"""Squid's observe mode: what enforce mode refuses is allowed, annotated and logged with a marker that
``sep-egress logs explain`` reads; enforce mode's output is the one it always was.

The live tests run the real Squid on loopback (``tests/loopback.py``): the same request is refused (403) by the
enforce configuration and tunnelled by the observe one, whose access log marks it ``would-refuse``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from sep_egress.catalog import EgressPlan, load_catalog, select
from sep_egress.compile.proxy import ProxyExportError, SquidOptions, squid_config
from sep_egress.compile.proxy.squid import OBSERVE_LOGFORMAT, OBSERVE_MARKER

from loopback import (
    CATALOG_HOST,
    ORIGIN_REPLY,
    WAIT,
    LoopbackOrigin,
    find_squid,
    free_port,
    read_head,
    running_squid,
    squid_parse,
    tls_context,
)
from support import call_main

PLAN_ARGS = ["--mode", "on-prem", "--version", "14.3 RU1"]


@pytest.fixture(scope="module")
def plan() -> EgressPlan:
    return select(load_catalog(), mode="on-prem", version="14.3 RU1")


@pytest.mark.parametrize("mode", ["fragment", "full"])
def test_enforce_is_the_default_and_adds_nothing(plan: EgressPlan, mode: str) -> None:
    enforce = squid_config(plan, SquidOptions(mode=mode, enforcement="enforce"))  # type: ignore[arg-type]
    assert enforce == squid_config(plan, SquidOptions(mode=mode))  # type: ignore[arg-type]
    assert "annotate_transaction" not in enforce and OBSERVE_LOGFORMAT not in enforce


@pytest.mark.parametrize("mode", ["fragment", "full"])
def test_observe_keeps_every_allow_and_adds_the_marked_allow_last(plan: EgressPlan, mode: str) -> None:
    enforce = squid_config(plan, SquidOptions(mode=mode))  # type: ignore[arg-type]
    observe = squid_config(plan, SquidOptions(mode=mode, enforcement="observe"))  # type: ignore[arg-type]
    access = [line for line in observe.splitlines() if line.startswith("http_access ")]
    enforce_access = [line for line in enforce.splitlines() if line.startswith("http_access ")]
    # Every allow of enforce mode, in its order, then the marked allow (then, in full mode, the unreachable deny).
    assert access[: len(enforce_access) - (mode == "full")] == [line for line in enforce_access if "deny" not in line]
    marked = access[len(enforce_access) - (mode == "full")]
    assert marked == "http_access allow sep_egress_would_refuse"
    assert f"annotate_transaction sep_egress={OBSERVE_MARKER}" in observe
    # Only lines are added: removing the observe block gives enforce mode's text back.
    added = [line for line in observe.splitlines() if line not in enforce.splitlines()]
    assert all(
        line.startswith(("#", "logformat", "acl sep_egress_would_refuse", "http_access allow sep_egress_w")) or not line
        for line in added
    )


def test_export_flag_and_stack_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, observe, err = call_main(["export", "squid", *PLAN_ARGS, "--enforcement", "observe"], capsys)
    assert code == 0, err
    assert "http_access allow sep_egress_would_refuse" in observe
    code, enforce, err = call_main(["export", "squid", *PLAN_ARGS], capsys)
    assert code == 0 and "would_refuse" not in enforce
    code, _, err = call_main(["export", "pac", *PLAN_ARGS, "--proxy-url", "DIRECT", "--enforcement", "observe"], capsys)
    assert code == 2 and "apply to 'export squid' only" in err
    # The stack's sep-egress:enforcement is used with --stack.
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "Pulumi.watch.yaml").write_text(
        'config:\n  sep-egress:mode: on-prem\n  sep-egress:version: "14.3 RU1"\n  sep-egress:enforcement: observe\n'
        "  sep-egress:aws:\n    source_cidrs: {agent: [10.10.0.0/16], sepm: [10.20.0.10/32]}\n",
        encoding="utf-8",
    )
    code, out, err = call_main(["export", "squid", "--stack", "watch", "--project-dir", str(tmp_path)], capsys)
    assert code == 0, err
    assert out == observe
    code, out, err = call_main(
        ["export", "squid", "--stack", "watch", "--project-dir", str(tmp_path), "--enforcement", "enforce"], capsys
    )
    assert code == 0 and out == enforce


def test_a_bad_enforcement_is_refused(plan: EgressPlan) -> None:
    with pytest.raises(ProxyExportError, match="observe or enforce"):
        squid_config(plan, SquidOptions(enforcement="audit"))  # type: ignore[arg-type]


# --- the real Squid -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def squid() -> str:
    return find_squid()


@pytest.fixture(scope="module")
def squid_has_ssl_bump(squid: str) -> bool:
    version = subprocess.run([squid, "-v"], capture_output=True, text=True, timeout=WAIT, check=False).stdout
    supported = "--with-openssl" in version
    if not supported and os.environ.get("CI"):
        pytest.fail("this squid is built without OpenSSL and cannot parse ssl_bump; CI installs squid-openssl")
    return supported


@pytest.fixture
def squid_dirs() -> Iterator[dict[str, Path]]:
    """A private directory per Squid run (Squid hands each to its unprivileged user; see test_squid.py)."""
    paths = {name: Path(tempfile.mkdtemp(prefix=f"sep-egress-squid-{name}-")) for name in ("enforce", "observe")}
    try:
        yield paths
    finally:
        for path in paths.values():
            shutil.rmtree(path, ignore_errors=True)


def _connect(proxy_port: int, host: str, port: int) -> int:
    import socket

    with socket.create_connection(("127.0.0.1", proxy_port), timeout=WAIT) as sock:
        sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        return int(read_head(sock).split(b" ", 2)[1])


@pytest.mark.real_program
@pytest.mark.parametrize("mode", ["fragment", "full"])
def test_squid_parses_observe_mode(
    squid: str, squid_has_ssl_bump: bool, plan: EgressPlan, tmp_path: Path, mode: str
) -> None:
    text = squid_config(plan, SquidOptions(mode=mode, enforcement="observe", ssl_bump=squid_has_ssl_bump))  # type: ignore[arg-type]
    conf = tmp_path / "squid.conf"
    if mode == "fragment":
        (tmp_path / "sep-egress.conf").write_text(text)
        conf.write_text(f"http_port 127.0.0.1:3128\ninclude {tmp_path / 'sep-egress.conf'}\nhttp_access deny all\n")
    else:
        conf.write_text(text)
    squid_parse(squid, conf)


@pytest.mark.real_program
def test_live_squid_observe_passes_what_enforce_refuses_and_logs_it(
    squid: str,
    squid_has_ssl_bump: bool,
    tmp_path: Path,
    squid_dirs: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    ca = trustme.CA()
    origin = LoopbackOrigin(tls_context(ca, CATALOG_HOST, "inspect-me.example.org"), reply=ORIGIN_REPLY)
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "entries:\n  - id: test-origin\n    role: agent\n    usage: {en: test}\n"
        f"    urls: ['https://{CATALOG_HOST}:{origin.port}']\n",
        encoding="utf-8",
    )
    from sep_egress.catalog import SourcedOverlay, load_overlay

    test_plan = select(
        load_catalog(),
        mode="on-prem",
        version="14.3 RU1",
        overlays=[SourcedOverlay(str(overlay), load_overlay(overlay))],
    )
    outside = ("inspect-me.example.org", origin.port)  # resolves to the origin, and no rule allows it
    try:
        for enforcement, expected in (("enforce", 403), ("observe", 200)):
            proxy_port = free_port()
            workdir = squid_dirs[enforcement]
            text = squid_config(
                test_plan,
                SquidOptions(
                    mode="full",
                    listen=f"127.0.0.1:{proxy_port}",
                    ssl_bump=squid_has_ssl_bump,
                    enforcement=enforcement,  # type: ignore[arg-type]
                ),
            )
            extra = (
                f"access_log stdio:{workdir / 'observe.log'} {OBSERVE_LOGFORMAT}\n" if enforcement == "observe" else ""
            )
            with running_squid(squid, workdir, text, proxy_port, extra) as proxy:
                assert _connect(proxy_port, CATALOG_HOST, origin.port) == 200, proxy.access_log()
                assert _connect(proxy_port, *outside) == expected, proxy.access_log()
            if enforcement == "observe":
                log = (workdir / "observe.log").read_text()
                lines = log.splitlines()
                marked = [line for line in lines if line.endswith(" " + OBSERVE_MARKER)]
                assert len(marked) == 1 and f"CONNECT {outside[0]}:{outside[1]}" in marked[0], log
                allowed = [line for line in lines if f"CONNECT {CATALOG_HOST}:" in line]
                assert allowed and all(line.endswith(" -") for line in allowed), log
                copy = tmp_path / "observe.log"
                copy.write_text(log)
                code, out, err = call_main(
                    ["logs", "explain", str(copy), *PLAN_ARGS, "--overlay", str(overlay), "--format", "json"], capsys
                )
                assert code == 0, err
                document = json.loads(out)
                [item] = document["refused"]
                assert (item["destination"], item["port"], item["outcome"], item["class"]) == (
                    outside[0],
                    outside[1],
                    "would-refuse",
                    "unknown",
                )
                assert document["summary"]["would_refuse"] == 1 and document["summary"]["skipped"] == 0, (log, err)
                used = {rule["rule"] for rule in document["allowed"]["used"]}
                assert f"{CATALOG_HOST}:{origin.port}/tls" in used
    finally:
        origin.close()
