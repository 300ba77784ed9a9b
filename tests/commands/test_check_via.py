"""``sep-egress check --via``: the command through the in-test CONNECT proxy of ``loopback.TestProxy``: its JSON and
table reports, and the usage errors of --via."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
import trustme

from loopback import CATALOG_HOST as HOST
from loopback import OTHER_CATALOG_HOST as OTHER
from loopback import PROXY_PASSWORD as PASSWORD
from loopback import PROXY_USER as USER
from loopback import (
    LoopbackOrigin,
    TestProxy,
    free_port,
    rude_proxy,
    running,
    tls_context,
    write_ca,
)
from support import SELECTION, call_main, run_check


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Vendor Public CA")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    return write_ca(ca, tmp_path / "public-ca.pem")


def test_cli_json_through_the_proxy(
    ca: trustme.CA, ca_file: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEP_EGRESS_PROXY_USER", USER)
    monkeypatch.setenv("SEP_EGRESS_PROXY_PASSWORD", PASSWORD)
    origin = LoopbackOrigin(tls_context(ca, HOST))
    proxy = TestProxy({f"{HOST}:443": ("127.0.0.1", origin.port)}, credentials=(USER, PASSWORD))
    with running(origin), running(proxy):
        code, out, err = run_check(
            capsys, "--only", HOST, "--only", OTHER, "--via", proxy.url, "--public-ca-file", ca_file, "--format", "json"
        )
    assert code == 1, out  # OTHER is denied
    assert err == ""
    document = json.loads(out)
    assert document["proxy"] == {"url": proxy.url, "authenticated": True}
    assert document["summary"] == {"targets": 2, "ok": 1, "failed": 1, "intercepted": 0}
    allowed, denied = document["results"]
    assert allowed["host"] == HOST
    assert allowed["ok"] is True
    assert allowed["dns"] == {"status": "skipped", "error": None, "ms": None, "addresses": [], "source": "proxy"}
    assert allowed["tcp"]["address"] == f"127.0.0.1:{proxy.port}"
    assert set(allowed["proxy"]) == {"status", "error", "ms", "url", "request", "code", "reason", "authenticated"}
    assert (allowed["proxy"]["status"], allowed["proxy"]["code"]) == ("ok", 200)
    assert allowed["tls"]["intercepted"] is False
    assert (denied["host"], denied["verdict"], denied["proxy"]["code"]) == (OTHER, "proxy 403", 403)
    assert PASSWORD not in out
    assert USER not in out


def test_cli_table_says_dns_is_the_proxys(capsys: pytest.CaptureFixture[str]) -> None:
    proxy = TestProxy()
    with running(proxy):
        code, out, _ = run_check(capsys, "--only", HOST, "--via", proxy.url)
    assert code == 1
    assert f"Through the proxy {proxy.url}: names are resolved by the proxy" in out
    assert "by proxy" in out
    assert "PROXY" in out
    assert f"- {HOST}:443: the proxy denies CONNECT {HOST}:443 (403 Forbidden)" in out


def test_cli_direct_json_has_an_inert_proxy_phase(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_check(
        capsys,
        "--only",
        HOST,
        "--resolve",
        f"{HOST}:127.0.0.1",
        "--connect-to",
        f"*:443:127.0.0.1:{free_port()}",
        "--format",
        "json",
    )
    assert code == 1
    document = json.loads(out)
    assert document["proxy"] is None
    assert document["results"][0]["proxy"]["status"] == "not-applicable"
    assert document["results"][0]["verdict"] == "tcp failed"


@pytest.mark.parametrize(
    "argv",
    [
        ["--via", "proxy.corp.example:3128"],
        ["--via", "http://proxy.corp.example"],
        ["--via", "https://proxy.corp.example:3128"],
        ["--via", f"http://{USER}:{PASSWORD}@proxy.corp.example:3128"],
        ["--via", f"http://{USER}@proxy.corp.example:3128"],  # a user, but no password in the environment
        ["--via", "http://127.0.0.1:3128", "--resolve", f"{HOST}:127.0.0.1"],
        ["--via", "http://127.0.0.1:3128", "--connect-to", f"{HOST}:443:127.0.0.1:8443"],
    ],
)
def test_cli_bad_via_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    monkeypatch.delenv("SEP_EGRESS_PROXY_USER", raising=False)
    monkeypatch.delenv("SEP_EGRESS_PROXY_PASSWORD", raising=False)
    code, out, err = run_check(capsys, "--only", HOST, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("sep-egress check: error: ")
    assert len(err.strip().splitlines()) == 1
    assert PASSWORD not in err


@pytest.mark.parametrize(
    "via",
    [
        "http://a..b:3128",
        "http://" + "a" * 64 + ".example:3128",
        "http://-a.example:3128",
        "http://a.example:\u0663\u0661\u0662\u0668",
        "http://fe80::1%25eth0:3128",
        "http://[fe80::1%25eth0]:3128",
    ],
)
def test_a_bad_proxy_host_is_a_usage_error(via: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call_main(["check", *SELECTION, "--only", "liveupdate.symantec.com", "--via", via], capsys)
    assert code == 2, err
    assert "--via" in err


def test_a_non_utf8_password_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEP_EGRESS_PROXY_PASSWORD", os.fsdecode(b"pa\xffss"))
    code, out, err = call_main(
        ["check", *SELECTION, "--only", "liveupdate.symantec.com", "--via", "http://alice@127.0.0.1:9"], capsys
    )
    assert code == 2, out
    assert "SEP_EGRESS_PROXY_PASSWORD" in err and "UTF-8" in err
    assert "pa" not in err.replace("SEP_EGRESS_PROXY_PASSWORD", "")


@pytest.mark.parametrize(
    "via",
    [
        "http://alice:pa/ss@127.0.0.1:3128",
        "http://alice:pa?ss@127.0.0.1:3128",
        "http://alice:pa#ss@127.0.0.1:3128",
        "http://alice:pa@ss@127.0.0.1:3128",
        "alice:pa/ss@127.0.0.1:3128",
        "http://alice:pa/ss@127.0.0.1:x",
    ],
)
def test_a_password_on_the_command_line_is_never_repeated(via: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call_main(["check", *SELECTION, "--via", via], capsys)
    assert code == 2
    assert "pa" not in (out + err).replace("password", "").replace("SEP_EGRESS_PROXY_PASSWORD", "").replace(
        "path", ""
    ), err


def test_a_proxy_that_echoes_the_credentials_cannot_put_them_in_the_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:

    password = "s3cret-Pässword"
    token = base64.b64encode(f"alice:{password}".encode()).decode("ascii")
    head = (
        f"HTTP/1.1 403 Forbidden for alice:{password}\r\nX-Squid-Error: ERR {token}\r\n".encode()
        + f'Proxy-Status: x; error=denied; details="Basic {token}"\r\n\r\n'.encode()
    )
    monkeypatch.setenv("SEP_EGRESS_PROXY_PASSWORD", password)
    with rude_proxy(head) as proxy:
        for output in ("table", "json"):
            code, out, err = call_main(
                [
                    "check",
                    *SELECTION,
                    "--only",
                    "liveupdate.symantec.com",
                    "--format",
                    output,
                    "--via",
                    f"http://alice@127.0.0.1:{proxy.port}",
                ],
                capsys,
            )
            assert code == 1, err
            assert "403" in out
            for secret in (password, token, "s3cret", password.encode().decode("iso-8859-1")):
                assert secret not in out + err
