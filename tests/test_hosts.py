from __future__ import annotations

import pytest

from sep_egress.catalog.hosts import HostError, check_host, parse_url


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
