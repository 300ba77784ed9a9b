"""sep-egress check: its exit codes, its JSON and table reports, its usage errors, and what it refuses to print."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import trustme

from sep_egress.commands.check import _Progress
from sep_egress.connectivity import (
    CheckResult,
    Target,
)

import support
from loopback import CATALOG_HOST as HOST
from loopback import LoopbackOrigin, free_port, rude_proxy, tls_context, write_ca
from support import SELECTION, SEPM, call_main, run_check


def test_terminal_escapes_from_a_proxy_are_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    head = (
        b"HTTP/1.1 403 \x1b]0;owned\x07Forbidden\x1b[2J\x9b31m\r\n"
        b"X-Squid-Error: ERR_ACCESS_DENIED \x1b[31m0\r\n"
        b"Proxy-Authenticate: \x1b[5mBasic realm=x\r\nContent-Length: 0\r\n\r\n"
    )
    with rude_proxy(head) as proxy:
        code, out, err = call_main(
            ["check", *SELECTION, "--only", "liveupdate.symantec.com", "--via", f"http://127.0.0.1:{proxy.port}"],
            capsys,
        )
    assert code == 1, err
    assert "\x1b" not in out + err and "\x07" not in out + err and "\x9b" not in out + err
    assert "Forbidden" in out and "ERR_ACCESS_DENIED" in out


def test_terminal_escapes_in_certificate_names_are_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = trustme.CA(organization_name="Corp\x1b]0;owned\x07\x1b[2J CA")
    with LoopbackOrigin(tls_context(hostile, "liveupdate.symantec.com")) as origin:
        code, out, err = call_main(
            [
                "check",
                *SELECTION,
                "--only",
                "liveupdate.symantec.com",
                "--resolve",
                "liveupdate.symantec.com:127.0.0.1",
                "--connect-to",
                f"liveupdate.symantec.com:443:127.0.0.1:{origin.port}",
                "--ca-file",
                write_ca(hostile, tmp_path / "ca.pem"),
                "--public-ca-file",
                write_ca(trustme.CA(), tmp_path / "public.pem"),
            ],
            capsys,
        )
    assert code == 1, err
    assert "INTERCEPTED" in out and "Corp" in out
    assert "\x1b" not in out + err and "\x07" not in out + err


def test_cli_exit_0_and_json_when_everything_passes(
    ca: trustme.CA, ca_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        code, out, err = run_check(
            capsys,
            "--only",
            HOST,
            "--connect-to",
            f"{HOST}:443:127.0.0.1:{server.port}",
            "--public-ca-file",
            ca_file,
            "--format",
            "json",
        )
    assert code == 0, out
    assert err == ""  # no progress display when stderr is not a terminal
    document = json.loads(out)
    assert document["summary"] == {"targets": 1, "ok": 1, "failed": 0, "intercepted": 0}
    assert document["catalog_version"]
    assert document["public_roots"] == ca_file
    record = document["results"][0]
    assert record["host"] == HOST
    assert record["port"] == 443
    assert record["ok"] is True
    assert set(record) >= {"dns", "tcp", "tls", "roles", "ids", "verdict"}
    assert record["tls"]["intercepted"] is False


def test_cli_exit_1_when_intercepted(ca: trustme.CA, ca_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        code, out, _ = run_check(
            capsys, "--only", HOST, "--connect-to", f"{HOST}:443:127.0.0.1:{server.port}", "--ca-file", ca_file
        )
    assert code == 1
    assert "INTERCEPTED" in out
    assert "1 checked: 0 ok, 1 failing (1 intercepted)." in out


def test_cli_exit_1_when_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_check(
        capsys, "--only", HOST, "--resolve", f"{HOST}:127.0.0.1", "--connect-to", f"*:443:127.0.0.1:{free_port()}"
    )
    assert code == 1
    assert "tcp failed" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["--timeout", "0"],
        ["--timeout", "500"],
        ["--concurrency", "0"],
        ["--resolve", "nonsense"],
        ["--only", "not-in-the-plan.example.org"],
        ["--ca-file", "/nonexistent/ca.pem", "--only", HOST, "--resolve", "*:127.0.0.1"],
    ],
)
def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run_check(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("sep-egress check: error: ")
    assert len(err.strip().splitlines()) == 1


def test_progress_line_counts_and_clears() -> None:
    stream = io.StringIO()
    progress = _Progress(stream)
    for done, ok in ((1, True), (2, False)):
        result = CheckResult(Target(HOST, 443, "tls"))
        if ok:
            result.dns.status = result.tcp.status = result.tls.status = "ok"
        progress(done, 2, result)
    text = stream.getvalue()
    assert "\rchecked 1/2, 0 failing" in text
    assert "\rchecked 2/2, 1 failing" in text
    assert text.endswith("\r")  # the line is wiped so the shell prompt or table starts clean


@pytest.mark.real_program
def test_check_names_the_address_ranges_it_does_not_probe() -> None:
    """`check` probes names (DNS, TCP, TLS); the internal rules are address ranges: they are listed as not checked
    rather than silently left out. The one probed name goes to a closed loopback port."""
    args = ("check", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}")
    probe = ("--only", "ent-shasta-rrs.symantec.com", "--resolve", "*:127.0.0.1", "--timeout", "2")
    result = support.run_cli(*args, *probe, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["ranges_not_checked"] == [f"{SEPM}:443/tcp"]
    text = support.run_cli(*args, *probe)
    assert "Not checked: 1 address range rule(s)" in text.stdout and f"{SEPM}:443/tcp" in text.stdout
