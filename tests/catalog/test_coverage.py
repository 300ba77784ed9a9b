"""Coverage, not prefix length: what ranges cover together, IPv4-equivalent IPv6 counted as IPv4, a warning past
the wide threshold and a refusal for ranges that cover every address, wherever the project accepts ranges."""

from __future__ import annotations

import ipaddress
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sep_egress.catalog import Catalog, SourcedOverlay, parse_overlay, select
from sep_egress.catalog.coverage import IPV4_SIZE, WIDE_IPV4_ADDRESSES, measure
from sep_egress.catalog.vendor.plan import EgressPlan
from sep_egress.compile.aws import AwsFirewallError, AwsFirewallOptions, compile_network_firewall
from sep_egress.errors import SelectionError

from support import hybrid


def partition(seed: int, splits: int, top: str = "0.0.0.0/0") -> list[ipaddress.IPv4Network]:
    """A random partition of ``top`` into CIDRs."""
    rng = random.Random(seed)
    pieces = [ipaddress.IPv4Network(top)]
    for _ in range(splits):
        index = rng.randrange(len(pieces))
        if pieces[index].prefixlen < 30:
            pieces[index : index + 1] = list(pieces[index].subnets())
    return pieces


@pytest.mark.property
@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=0, max_value=40), st.booleans())
def test_a_partition_of_ipv4_covers_everything_in_any_spelling(seed: int, splits: int, mapped: bool) -> None:
    pieces = partition(seed, splits)
    spelled = [f"::ffff:{piece.network_address}/{96 + piece.prefixlen}" if mapped else str(piece) for piece in pieces]
    covered = measure(spelled)
    assert covered.ipv4_addresses == IPV4_SIZE
    assert covered.covers_everything
    if len(pieces) > 1:
        assert not measure(spelled[1:]).covers_everything


@pytest.mark.property
@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=50), st.integers(8, 32))
def test_coverage_is_the_size_of_the_union(addresses: list[int], prefix: int) -> None:
    networks = {ipaddress.IPv4Network((address, prefix), strict=False) for address in addresses}
    expected = len({int(address) for network in networks for address in (network.network_address,)}) * (
        1 << (32 - prefix)
    )
    assert measure(networks).ipv4_addresses == expected
    # Overlapping forms of the same addresses do not count twice.
    doubled = [*networks, *(f"::ffff:{network.network_address}/{96 + prefix}" for network in networks)]
    assert measure(doubled).ipv4_addresses == expected


@pytest.mark.parametrize("text", ["::ffff:0:0/96", "64:ff9b::/96", "::/0"])
def test_ipv4_equivalent_ipv6_counts_as_all_of_ipv4(text: str) -> None:
    assert measure([text]).ipv4_addresses == IPV4_SIZE
    assert measure([text]).covers_everything


def test_65536_slash_16s_are_as_wide_as_everything() -> None:
    sixteens = [ipaddress.IPv4Network((index << 16, 16)) for index in range(1 << 16)]
    assert measure(sixteens).covers_everything
    assert measure(sixteens[:2]).is_wide
    assert not measure(sixteens[:1]).is_wide
    assert measure(sixteens[:1]).ipv4_addresses == WIDE_IPV4_ADDRESSES


# --- where the project accepts ranges -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sources",
    [["0.0.0.0/1", "128.0.0.0/1"], ["::ffff:0:0/96"], ["64:ff9b::/96"], ["::/1", "8000::/1"]],
)
def test_aws_source_cidrs_covering_everything_are_refused(on_prem_plan: EgressPlan, sources: list[str]) -> None:
    with pytest.raises(AwsFirewallError, match=r"source_cidrs\['agent'\]: these CIDRs cover every address together"):
        compile_network_firewall(on_prem_plan, {"agent": sources}, AwsFirewallOptions())
    spec = compile_network_firewall(on_prem_plan, {"agent": sources}, AwsFirewallOptions(allow_any_source=True))
    assert spec.groups


def test_internal_destinations_covering_everything_are_refused(catalog: Catalog) -> None:
    with pytest.raises(SelectionError, match=r"^internal\.sepm\[1\]: the addresses of 'sepm' cover every address"):
        hybrid(catalog, {"sepm": ["0.0.0.0/1", "128.0.0.0/1"]})
    with pytest.raises(SelectionError, match="cover every address"):
        hybrid(catalog, {"sepm": ["::ffff:0:0/96"]})


def _range_overlay(*cidrs: str) -> SourcedOverlay:
    entries = [
        {"id": f"corp-range-{index}", "role": "agent", "usage": {"en": "x"}, "cidrs": [cidr], "ports": [3128]}
        for index, cidr in enumerate(cidrs)
    ]
    return SourcedOverlay("ranges.yaml", parse_overlay({"entries": entries}, "ranges.yaml"))


def test_overlay_ranges_are_judged_together(catalog: Catalog) -> None:
    quarters = ("0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2")
    with pytest.raises(SelectionError, match="cover every address together for agent on port 3128/tcp"):
        select(catalog, mode="on-prem", version="14.3 RU1", overlays=[_range_overlay(*quarters)])
    plan = select(catalog, mode="on-prem", version="14.3 RU1", overlays=[_range_overlay("10.0.0.0/16", "10.1.0.0/17")])
    [warning] = [warning for warning in plan.warnings if warning.code == "wide-coverage"]
    assert "98304 IPv4 addresses" in warning.message
    assert warning.ids == ("corp-range-0", "corp-range-1")
