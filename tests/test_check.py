"""``sep-egress check`` and ``sep_egress.connectivity`` against servers on 127.0.0.1 only.

A trustme CA plays the corporate TLS-inspection CA (or, passed as the "public" roots, a real public CA, so the
non-intercepted path is tested without the internet). Every name is mapped to 127.0.0.1 by an override or an
injected resolver, so no query or connection leaves the machine.
"""

from __future__ import annotations

import io
import json
import socket
import ssl
import time
from pathlib import Path

import pytest
import trustme
from cryptography import x509

from sep_egress.cli import main
from sep_egress.commands.check import _Progress
from sep_egress.connectivity import (
    CheckError,
    CheckResult,
    Overrides,
    Target,
    TrustStores,
    check_all,
    check_target,
    der_names,
)

from loopback import LoopbackOrigin, free_port, tls_context, write_ca

HOST = "liveupdate.symantec.com"
OTHER = "telemetry.broadcom.com"
SELECTION = ["--mode", "on-prem", "--version", "14.3 RU1"]


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Corp Inspection")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    return write_ca(ca, tmp_path / "corp-ca.pem")


def no_dns(host: str, port: int, timeout: float) -> list[tuple[str, int]]:
    raise AssertionError(f"the system resolver must not be asked about {host}")


def to(port: int, host: str = HOST) -> Overrides:
    return Overrides(connect_to={(host, 443): ("127.0.0.1", port)})


def test_inspection_ca_is_reported_as_intercepted(ca: trustme.CA, ca_file: str) -> None:
    """The machine trusts the corporate CA (``--ca-file``); certifi's public roots do not: intercepted."""
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        result = check_target(
            Target(HOST, 443, "tls"), overrides=to(server.port), trust=TrustStores(local_cafile=ca_file), timeout=5
        )
    assert not result.ok
    assert result.verdict == "intercepted"
    assert (result.dns.status, result.dns.source, result.tcp.status) == ("ok", "override", "ok")
    tls = result.tls
    assert (tls.status, tls.intercepted, tls.public_trust, tls.local_trust) == ("failed", True, False, True)
    assert tls.issuer is not None
    assert "Corp Inspection" in tls.issuer
    assert tls.error is not None
    assert "accepted by the local store" in tls.error
    assert server.sni == [HOST, HOST]  # SNI sent on every handshake


def test_public_chain_is_not_intercepted(ca: trustme.CA, ca_file: str) -> None:
    """The trust bundle that counts as public is injectable, so the passing path needs no internet."""
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        result = check_target(
            Target(HOST, 443, "tls"), overrides=to(server.port), trust=TrustStores(public_cafile=ca_file), timeout=5
        )
    assert result.ok, result.to_dict()
    assert (result.tls.intercepted, result.tls.public_trust, result.tls.local_trust) == (False, True, None)
    assert result.tls.version is not None
    assert result.tls.version.startswith("TLS")
    assert result.tls.subject is not None
    assert server.sni == [HOST]


def test_certificate_nobody_trusts_still_names_its_issuer(ca: trustme.CA, tmp_path: Path) -> None:
    unrelated = write_ca(trustme.CA(), tmp_path / "unrelated.pem")
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        result = check_target(
            Target(HOST, 443, "tls"),
            overrides=to(server.port),
            trust=TrustStores(local_cafile=unrelated),
            timeout=5,
        )
    assert (result.tls.intercepted, result.tls.local_trust) == (True, False)
    assert result.tls.issuer is not None
    assert "Corp Inspection" in result.tls.issuer
    assert result.tls.error is not None
    assert "trusted neither" in result.tls.error


def test_wrong_name_is_not_trusted(ca: trustme.CA, ca_file: str) -> None:
    """A certificate for another name fails the hostname check even against the right roots."""
    with LoopbackOrigin(tls_context(ca, "other.example.org")) as server:
        result = check_target(
            Target(HOST, 443, "tls"), overrides=to(server.port), trust=TrustStores(public_cafile=ca_file), timeout=5
        )
    assert not result.ok
    assert result.tls.public_trust is False


def test_unreachable_port_fails_tcp() -> None:
    result = check_target(Target(HOST, 443, "tls"), overrides=to(free_port()), timeout=2)
    assert (result.dns.status, result.tcp.status, result.tls.status) == ("ok", "failed", "skipped")
    assert result.verdict == "tcp failed"
    assert result.tcp.error is not None
    assert "refused" in result.tcp.error.lower()


def test_silent_server_times_out_within_the_bound() -> None:
    with LoopbackOrigin() as server:
        start = time.monotonic()
        result = check_target(Target(HOST, 443, "tls"), overrides=to(server.port), timeout=0.5)
        elapsed = time.monotonic() - start
    assert result.tcp.status == "ok"
    assert result.tls.status == "timeout"
    assert result.verdict == "tls timeout"
    assert elapsed < 3


def test_dns_failure_and_timeout_come_from_the_resolver() -> None:
    def nxdomain(host: str, port: int, timeout: float) -> list[tuple[str, int]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def slow(host: str, port: int, timeout: float) -> list[tuple[str, int]]:
        raise TimeoutError(f"no answer within {timeout:g}s")

    failed = check_target(Target(HOST, 443, "tls"), resolver=nxdomain)
    assert (failed.dns.status, failed.tcp.status, failed.verdict) == ("failed", "skipped", "dns failed")
    timed_out = check_target(Target(HOST, 443, "tls"), resolver=slow)
    assert (timed_out.dns.status, timed_out.verdict) == ("timeout", "dns timeout")


def test_http_targets_get_dns_and_tcp_only() -> None:
    with LoopbackOrigin() as server:
        result = check_target(
            Target(HOST, 80, "http"),
            overrides=Overrides(connect_to={(HOST, 80): ("127.0.0.1", server.port)}),
            resolver=no_dns,
        )
    assert result.ok
    assert result.tls.status == "not-applicable"


def test_overrides_resolve_every_name_without_dns(ca: trustme.CA, ca_file: str) -> None:
    with LoopbackOrigin(tls_context(ca, HOST, OTHER)) as server:
        overrides = Overrides.parse(connect_to=[f"*:443:127.0.0.1:{server.port}"])
        results = check_all(
            [Target(HOST, 443, "tls"), Target(OTHER, 443, "tls")],
            overrides=overrides,
            resolver=no_dns,
            trust=TrustStores(public_cafile=ca_file),
            timeout=5,
        )
    assert [result.target.host for result in results] == [HOST, OTHER]
    assert all(result.ok for result in results)


def test_checks_run_concurrently_and_keep_their_order() -> None:
    """Eight targets that each time out after 0.5 s finish in about 0.5 s, not 4 s."""
    with LoopbackOrigin() as server:
        targets = [Target(f"h{index}.example.org", 443, "tls") for index in range(8)]
        progress: list[int] = []
        start = time.monotonic()
        results = check_all(
            targets,
            overrides=Overrides.parse(connect_to=[f"*:443:127.0.0.1:{server.port}"]),
            resolver=no_dns,
            timeout=0.5,
            concurrency=8,
            progress=lambda done, total, result: progress.append(done),
        )
        elapsed = time.monotonic() - start
    assert [result.target for result in results] == targets
    assert progress == list(range(1, 9))
    assert elapsed < 2.5


@pytest.mark.parametrize(
    ("resolve", "connect_to"),
    [(["liveupdate"], []), (["h:not-an-ip"], []), ([], ["h:443:127.0.0.1"]), ([], ["h:443:127.0.0.1:0"])],
)
def test_bad_overrides_are_usage_errors(resolve: list[str], connect_to: list[str]) -> None:
    with pytest.raises(CheckError):
        Overrides.parse(resolve, connect_to)


def test_overrides_parse_ipv6_and_wildcards() -> None:
    overrides = Overrides.parse(["*:::1", "a.example.org:[::1]"], ["b.example.org:443:[::1]:8443"])
    assert overrides.lookup("a.example.org", 443) == [("::1", 443)]
    assert overrides.lookup("b.example.org", 443) == [("::1", 8443)]
    assert overrides.lookup("c.example.org", 80) == [("::1", 80)]


def test_der_names_match_cryptography(ca: trustme.CA) -> None:
    pem = ca.issue_cert(HOST).cert_chain_pems[0].bytes()
    der = ssl.PEM_cert_to_DER_cert(pem.decode())
    issuer, subject = der_names(der)
    cert = x509.load_der_x509_certificate(der)
    assert issuer is not None
    assert subject is not None
    for name, text in ((cert.issuer, issuer), (cert.subject, subject)):
        for attribute in name.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME):
            assert f"O={attribute.value!s}" in text
    assert der_names(b"\x30\x03\x02\x01") == (None, None)  # truncated input is tolerated


# --- the CLI --------------------------------------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *SELECTION, *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_exit_0_and_json_when_everything_passes(
    ca: trustme.CA, ca_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        code, out, err = run_cli(
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
        code, out, _ = run_cli(
            capsys, "--only", HOST, "--connect-to", f"{HOST}:443:127.0.0.1:{server.port}", "--ca-file", ca_file
        )
    assert code == 1
    assert "INTERCEPTED" in out
    assert "1 checked: 0 ok, 1 failing (1 intercepted)." in out


def test_cli_exit_1_when_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(
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
    code, out, err = run_cli(capsys, *argv)
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
