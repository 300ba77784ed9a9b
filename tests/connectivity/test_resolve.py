"""Overrides of name resolution (--resolve, --connect-to): parsed strictly, IPv6 and wildcards included."""

from __future__ import annotations

import pytest

from sep_egress.connectivity import (
    CheckError,
    Overrides,
)


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
