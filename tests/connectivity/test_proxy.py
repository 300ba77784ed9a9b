"""``sep-egress check --via``: the same checks through an explicit HTTP proxy, on 127.0.0.1 only.

A small CONNECT proxy runs in a thread (an allow-list of ``host:port``, 403 otherwise, 407 when it wants credentials
that are missing or wrong) and tunnels to trustme TLS servers on loopback; it can also decrypt ("bump") with its
own CA, which must come out as intercepted. The last test runs the real Squid from ``sep-egress export squid``.
Nothing here resolves a name or leaves the machine: the proxy maps names to loopback ports itself.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import trustme
import yaml

from sep_egress.cli import main
from sep_egress.connectivity import CheckError, Proxy, Target, TrustStores, check_all, check_target

from loopback import CATALOG_HOST as HOST
from loopback import (
    ORIGIN_REPLY,
    LoopbackOrigin,
    TestProxy,
    find_squid,
    free_port,
    running,
    running_squid,
    tls_context,
    write_ca,
)
from loopback import OTHER_CATALOG_HOST as OTHER
from loopback import PROXY_PASSWORD as PASSWORD
from loopback import PROXY_USER as USER
from support import SELECTION, run_check

WAIT = 5.0


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Vendor Public CA")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    return write_ca(ca, tmp_path / "public-ca.pem")


def no_dns(host: str, port: int, timeout: float) -> list[tuple[str, int]]:
    raise AssertionError(f"a proxied check must not resolve {host} itself")


def via(proxy: TestProxy, **environ: str) -> Proxy:
    return Proxy.parse(proxy.url, environ)


# --- TLS through the proxy -----------------------------------------------------------------------------------------


def test_allowed_host_is_tunnelled_and_not_intercepted(ca: trustme.CA, ca_file: str) -> None:
    origin = LoopbackOrigin(tls_context(ca, HOST))
    proxy = TestProxy({f"{HOST}:443": ("127.0.0.1", origin.port)})
    with running(origin), running(proxy):
        result = check_target(
            Target(HOST, 443, "tls"), proxy=via(proxy), resolver=no_dns, trust=TrustStores(public_cafile=ca_file)
        )
    assert result.ok, result.to_dict()
    assert result.verdict == "ok"
    assert (result.dns.status, result.dns.source, result.dns.addresses) == ("skipped", "proxy", [])
    assert (result.tcp.status, result.tcp.address) == ("ok", f"127.0.0.1:{proxy.port}")
    phase = result.proxy
    assert (phase.status, phase.code, phase.request, phase.url) == ("ok", 200, f"CONNECT {HOST}:443", proxy.url)
    assert phase.authenticated is False
    assert (result.tls.status, result.tls.intercepted, result.tls.public_trust) == ("ok", False, True)
    assert origin.sni == [HOST]  # SNI travels inside the tunnel
    assert [seen.line for seen in proxy.seen] == [f"CONNECT {HOST}:443 HTTP/1.1"]
    assert proxy.seen[0].headers["host"] == f"{HOST}:443"
    assert "proxy-authorization" not in proxy.seen[0].headers


def test_a_bumping_proxy_shows_up_as_intercepted(ca: trustme.CA, ca_file: str, tmp_path: Path) -> None:
    """The proxy answers 200 but decrypts with its own CA, which the machine trusts: exactly what the vendor's
    "ignorer l'inspection SSL" forbids, and what ``--via`` exists to catch."""
    inspection = trustme.CA(organization_name="Corp Proxy Inspection")
    local = write_ca(inspection, tmp_path / "inspection-ca.pem")
    proxy = TestProxy(
        {f"{HOST}:443": ("127.0.0.1", free_port())}, mode="bump", bump_context=tls_context(inspection, HOST)
    )
    with running(proxy):
        result = check_target(
            Target(HOST, 443, "tls"),
            proxy=via(proxy),
            resolver=no_dns,
            trust=TrustStores(public_cafile=ca_file, local_cafile=local),
        )
    assert (result.proxy.status, result.proxy.code) == ("ok", 200)
    assert result.verdict == "intercepted"
    assert (result.tls.intercepted, result.tls.public_trust, result.tls.local_trust) == (True, False, True)
    assert result.tls.issuer is not None
    assert "Corp Proxy Inspection" in result.tls.issuer
    # The local-store handshake needed a tunnel of its own.
    assert [seen.line for seen in proxy.seen] == [f"CONNECT {HOST}:443 HTTP/1.1"] * 2


def test_a_host_the_proxy_does_not_allow_is_denied() -> None:
    proxy = TestProxy({f"{OTHER}:443": ("127.0.0.1", free_port())})
    with running(proxy):
        result = check_target(Target(HOST, 443, "tls"), proxy=via(proxy), resolver=no_dns)
    assert not result.ok
    assert result.verdict == "proxy 403"
    assert (result.tcp.status, result.proxy.status, result.proxy.code) == ("ok", "failed", 403)
    assert result.tls.status == "skipped"
    assert result.proxy.error == f"the proxy denies CONNECT {HOST}:443 (403 Forbidden)"


def test_an_upstream_failure_is_the_proxys_502() -> None:
    proxy = TestProxy({f"{HOST}:443": ("127.0.0.1", free_port())})
    with running(proxy):
        result = check_target(Target(HOST, 443, "tls"), proxy=via(proxy), resolver=no_dns)
    assert result.verdict == "proxy 502"
    assert result.proxy.error is not None
    assert "could not reach" in result.proxy.error


def test_credentials_missing_or_wrong_get_407_and_right_ones_pass(ca: trustme.CA, ca_file: str) -> None:
    origin = LoopbackOrigin(tls_context(ca, HOST))
    proxy = TestProxy({f"{HOST}:443": ("127.0.0.1", origin.port)}, credentials=(USER, PASSWORD))
    target, trust = Target(HOST, 443, "tls"), TrustStores(public_cafile=ca_file)
    with running(origin), running(proxy):
        missing = check_target(target, proxy=via(proxy), resolver=no_dns, trust=trust)
        wrong = check_target(
            target, proxy=via(proxy, SEP_EGRESS_PROXY_USER=USER, SEP_EGRESS_PROXY_PASSWORD="nope"), trust=trust
        )
        right = check_target(
            target,
            proxy=Proxy.parse(f"http://{USER}@127.0.0.1:{proxy.port}", {"SEP_EGRESS_PROXY_PASSWORD": PASSWORD}),
            trust=trust,
        )
    assert (missing.verdict, missing.proxy.authenticated) == ("proxy 407", False)
    assert missing.proxy.error is not None
    assert "requires authentication" in missing.proxy.error
    assert "Basic" in missing.proxy.error  # the scheme the proxy offers
    assert wrong.verdict == "proxy 407"
    assert wrong.proxy.error is not None
    assert "refused the credentials" in wrong.proxy.error
    assert right.ok, right.to_dict()
    assert right.proxy.authenticated is True
    for result in (missing, wrong, right):
        assert PASSWORD not in json.dumps(result.to_dict())
        assert "nope" not in json.dumps(result.to_dict())


def test_an_unreachable_proxy_fails_tcp() -> None:
    proxy = Proxy.parse(f"http://127.0.0.1:{free_port()}")
    result = check_target(Target(HOST, 443, "tls"), proxy=proxy, resolver=no_dns, timeout=2)
    assert (result.dns.status, result.tcp.status, result.proxy.status) == ("skipped", "failed", "skipped")
    assert result.verdict == "tcp failed"
    assert result.tcp.error is not None
    assert result.tcp.error.startswith("proxy 127.0.0.1:")


@pytest.mark.parametrize(
    ("mode", "status", "words"), [("silent", "timeout", "within 0.5s"), ("garbage", "failed", "not an HTTP answer")]
)
def test_a_proxy_that_does_not_answer_http_is_bounded(mode: str, status: str, words: str) -> None:
    proxy = TestProxy(mode=mode)
    with running(proxy):
        start = time.monotonic()
        result = check_target(Target(HOST, 443, "tls"), proxy=via(proxy), resolver=no_dns, timeout=0.5)
        elapsed = time.monotonic() - start
    assert (result.tcp.status, result.proxy.status) == ("ok", status)
    assert result.verdict == f"proxy {status}"
    assert result.proxy.error is not None
    assert words in result.proxy.error
    assert elapsed < 3


# --- HTTP through the proxy ----------------------------------------------------------------------------------------


def test_http_targets_send_an_absolute_form_head() -> None:
    """Any answer from the origin, even a 404, proves the proxy lets the request through; a 403 does not."""
    origin = LoopbackOrigin(reply=b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    proxy = TestProxy({f"{HOST}:80": ("127.0.0.1", origin.port)})
    with running(origin), running(proxy):
        allowed, denied = check_all(
            [Target(HOST, 80, "http"), Target(OTHER, 80, "http")], proxy=via(proxy), resolver=no_dns
        )
    assert allowed.ok, allowed.to_dict()
    assert (allowed.proxy.request, allowed.proxy.code, allowed.tls.status) == (
        f"HEAD http://{HOST}/",
        404,
        "not-applicable",
    )
    assert proxy.seen[0].line in (f"HEAD http://{HOST}/ HTTP/1.1", f"HEAD http://{OTHER}/ HTTP/1.1")
    assert {seen.headers["host"] for seen in proxy.seen} == {HOST, OTHER}
    assert (denied.ok, denied.verdict) == (False, "proxy 403")
    assert denied.proxy.error == f"the proxy denies HEAD http://{OTHER}/ (403 Forbidden)"


# --- the proxy URL -------------------------------------------------------------------------------------------------


def test_proxy_urls_and_credentials() -> None:
    proxy = Proxy.parse("http://[::1]:3128")
    assert (proxy.host, proxy.port, proxy.url, proxy.authorization()) == ("::1", 3128, "http://[::1]:3128", None)
    escaped = Proxy.parse("http://CORP%5Calice@proxy.corp.example:8080/", {"SEP_EGRESS_PROXY_PASSWORD": "x"})
    assert escaped.user == "CORP\\alice"
    assert escaped.url == "http://proxy.corp.example:8080"  # never the user
    assert escaped.authorization() == "Basic " + base64.b64encode(b"CORP\\alice:x").decode()
    from_env = Proxy.parse(
        "http://p.example:3128", {"SEP_EGRESS_PROXY_USER": "bob", "SEP_EGRESS_PROXY_PASSWORD": PASSWORD}
    )
    assert (from_env.user, from_env.authenticated) == ("bob", True)
    assert PASSWORD not in repr(from_env)
    assert "bob" not in repr(from_env)


@pytest.mark.parametrize(
    "value",
    [
        "proxy:3128",
        "http://proxy",
        "http://proxy:0",
        "http://proxy:99999",
        "https://proxy:3128",
        "socks5://proxy:1080",
        "http://proxy:3128/path",
        "http://proxy:3128?x=1",
        "http://:3128",
        "http://bad_host!:3128",
        "http://[fe80::zz]:3128",
    ],
)
def test_bad_proxy_urls_are_refused(value: str) -> None:
    with pytest.raises(CheckError):
        Proxy.parse(value)


# --- the real Squid ------------------------------------------------------------------------------------------------


def _overlay(path: Path, *hosts: str, port: int) -> str:
    """The on-prem plan with the LiveUpdate names moved from 443 to ``port`` (where the test origin listens): the
    catalog entries are excluded, so each name is a single target, and an overlay entry adds them on ``port``."""
    document = {
        "entries": [
            {
                "id": "test-liveupdate",
                "role": "agent",
                "usage": {"en": "test origin on an ephemeral port"},
                "urls": [f"https://{host}:{port}" for host in hosts],
            }
        ],
        "exclude": ["agent-install-package", "sepm-liveupdate"],
    }
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return str(path)


@pytest.mark.real_program
def test_through_squid_the_allowed_host_passes_and_the_other_gets_403(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Squid runs the unmodified ``export squid --squid-mode full`` of a plan that allows only HOST on the origin's
    port; ``check --via`` of a wider plan (HOST and OTHER) passes HOST end to end, not intercepted, and reports
    Squid's own 403 for OTHER."""
    squid = find_squid()  # skips locally when Squid is missing, fails in CI
    version = subprocess.run([squid, "-v"], capture_output=True, text=True, timeout=WAIT, check=False).stdout
    ca = trustme.CA()
    ca_file = write_ca(ca, tmp_path / "ca.pem")
    origin = LoopbackOrigin(tls_context(ca, HOST, OTHER), reply=ORIGIN_REPLY)
    proxy_port = free_port()
    narrow = _overlay(tmp_path / "narrow.yaml", HOST, port=origin.port)
    wide = _overlay(tmp_path / "wide.yaml", HOST, OTHER, port=origin.port)
    conf = tmp_path / "sep-egress-squid.conf"
    export = ["export", "squid", *SELECTION, "--overlay", narrow, "--squid-mode", "full"]
    export += ["--listen", f"127.0.0.1:{proxy_port}", "-o", str(conf)]
    if "--with-openssl" not in version:
        export.append("--no-ssl-bump")  # Debian's GnuTLS build cannot parse the splice rules
    assert main(export) == 0
    capsys.readouterr()
    workdir = Path(tempfile.mkdtemp(prefix="sep-egress-squid-"))  # see test_squid's squid_dir: private parents
    try:
        with running(origin), running_squid(squid, workdir, conf.read_text(), proxy_port) as proxy:
            start = time.monotonic()
            code, out, err = run_check(
                capsys,
                "--overlay",
                wide,
                "--only",
                HOST,
                "--only",
                OTHER,
                "--via",
                f"http://127.0.0.1:{proxy_port}",
                "--public-ca-file",
                ca_file,
                "--timeout",
                str(WAIT),
                "--format",
                "json",
            )
            elapsed = time.monotonic() - start
            access_log = proxy.access_log()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert code == 1, (out, err, access_log)
    results = {(record["host"], record["port"]): record for record in json.loads(out)["results"]}
    assert set(results) == {(HOST, origin.port), (OTHER, origin.port)}
    allowed, denied = results[HOST, origin.port], results[OTHER, origin.port]
    assert allowed["ok"] is True, (allowed, access_log)
    assert (allowed["proxy"]["code"], allowed["tls"]["intercepted"]) == (200, False)
    assert origin.sni == [HOST]
    assert (denied["verdict"], denied["proxy"]["code"]) == ("proxy 403", 403)
    assert "ERR_ACCESS_DENIED" in denied["proxy"]["error"]  # Squid's own mark: the proxy decided, not the origin
    assert "TCP_DENIED/403" in access_log
    assert elapsed < 2 * WAIT
