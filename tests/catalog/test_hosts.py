from __future__ import annotations

from pathlib import Path

import pytest

from sep_egress.catalog.hosts import HostError, check_host, parse_url

from support import SELECTION, call_main, run_cli


def test_url_keeps_scheme_host_and_path() -> None:
    url = parse_url("https://services-prod.symantec.com/service/IPLService.serviceagent/IPLendpoint1")
    assert (url.scheme, url.host, url.port, url.path) == (
        "https",
        "services-prod.symantec.com",
        None,
        "/service/IPLService.serviceagent/IPLendpoint1",
    )


def test_a_lone_slash_is_no_path_and_hosts_are_lower_cased() -> None:
    url = parse_url("https://AvagoExt.Okta.com/")
    assert (url.host, url.path) == ("avagoext.okta.com", None)


def test_explicit_port_and_bare_host() -> None:
    assert parse_url("https://proxy.corp.example:8443").port == 8443
    bare = parse_url("updates.example.com")
    assert (bare.scheme, bare.host, bare.port) == (None, "updates.example.com", None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ftp://files.example.com", "only http"),
        ("https://bad_host.example.com", "RFC 1123"),
        ("https://-lead.example.com", "RFC 1123"),
        ("https://localhost", "fully qualified"),
        ("https://10.0.0.1", "IP address"),
        ("https://*.example.com", "wildcard"),
        ("https://a.*.example.com", "wildcard"),
        ("https://example.com:0", "outside 1..65535"),
        ("https://example.com:70000", "outside 1..65535"),
        ("https://example.com/?q=1", "query"),
        ("https://user@example.com", "credentials"),
        ("https://" + "a" * 64 + ".example.com", "RFC 1123"),
        ("https://" + ".".join(["abcdefgh"] * 30) + ".com", "253"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(HostError, match=problem):
        parse_url(text)


def test_a_suffix_needs_the_entry_to_declare_it() -> None:
    assert check_host("*.example.com", allow_suffix=True) == ("example.com", True)
    assert check_host(".example.com", allow_suffix=True) == ("example.com", True)
    with pytest.raises(HostError, match="domain_suffix"):
        check_host(".example.com")


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example.com/x\nhttp_access allow all",
        "https://a.example.com/x\rhttp_access allow all",
        "https://a.example.com/x\u2028y",
        "https://a.example.com/x y",
        'https://a.example.com/x"y',
        "https://a.example.com/x<y>",
        "https://a.example.com/%zz",
        "https://evil\n.com",
        "https://evil.com\n",
        "a.example.com/x\nhttp_access allow all",
        "evil\n.com",
        "evil.com\n",
        "\tevil.com",
        "https://a.example.com:\u0664\u0664\u0663",  # Arabic-Indic digits
        "https://a.example.com:\u00b2",
    ],
)
def test_an_overlay_url_that_is_not_canonical_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text(
        'entries:\n  - id: corp-x\n    role: agent\n    usage: {en: x}\n    urls: ["'
        + url.encode("unicode_escape").decode("ascii").replace('"', '\\"')
        + '"]\n    ports: [443]\n',
        encoding="utf-8",
    )
    code, out, err = call_main(["export", "squid", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2, out
    assert out == ""
    assert "corp-x" in err and "urls[0]" in err
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.real_program
@pytest.mark.parametrize("host", ["1.2.3.0x4", "0x7f.0x0.0x0.0x1", "a.0X1F"])
def test_a_host_that_url_parsers_read_as_an_address_is_refused(tmp_path: Path, host: str) -> None:
    overlay = tmp_path / "hex.yaml"
    overlay.write_text(
        f"entries:\n  - id: hex\n    role: agent\n    usage: {{en: x}}\n    urls: [https://{host}]\n", encoding="utf-8"
    )
    result = run_cli("plan", *SELECTION, "--overlay", str(overlay))
    assert result.returncode == 2 and "looks like an IP address" in result.stderr
