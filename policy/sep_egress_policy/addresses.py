"""Addresses as networks, judged by what they cover together, whatever their spelling.

A destination is read the way the engine that enforces it reads it: Suricata's address expressions (``any`` in any
case, ``[a, b, ...]`` groups, nested groups, ``!`` negations, ``$VARIABLES`` from the rule group's ``ruleVariables``,
CIDRs with a netmask or a zero-padded prefix such as ``0.0.0.0/0.0.0.0`` or ``0.0.0.0/00``, ``a-b`` ranges), and
the plain ranges of security groups and Cloud NGFW (``cidrBlocks``, ``destIpRanges``). IPv6 forms that stand for
IPv4 addresses (IPv4-mapped ``::ffff:0:0/96``, RFC 6052's NAT64 prefix ``64:ff9b::/96``) are counted as the IPv4
addresses they reach, so ``::ffff:0:0/96`` is all of IPv4.

What several ranges cover together is what they allow: ``[0.0.0.0/1, 128.0.0.0/1]`` is every IPv4 address even
though no range of it is ``/0``. ``Coverage`` holds the union as sorted, merged half-open intervals per family.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

IPV4_SIZE = 1 << 32
IPV6_SIZE = 1 << 128
#: IPv6 prefixes whose last 32 bits are an IPv4 address: IPv4-mapped (RFC 4291 2.5.5.2) and NAT64's well-known
#: prefix (RFC 6052 2.1). Traffic to them reaches (or is translated to) that IPv4 address.
IPV4_EMBEDDING = (
    int(ipaddress.IPv6Address("::ffff:0:0")),
    int(ipaddress.IPv6Address("64:ff9b::")),
)
#: IPv6 global unicast (2000::/3): what "every IPv6 address" means on the internet.
GLOBAL_UNICAST = (int(ipaddress.IPv6Address("2000::")), int(ipaddress.IPv6Address("4000::")))
#: A destination covering at least this share of IPv4 (or of IPv6 global unicast) is an allow-all: half the
#: internet (``0.0.0.0/1``) is no vendor's service.
EVERYWHERE_SHARE = 0.5
#: Past this many IPv4 addresses (a /8) a range is wide enough to warn about, even when it is declared.
WIDE_IPV4 = 1 << 24
MAX_VARIABLE_DEPTH = 8

Interval = tuple[int, int]


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


def _subtract(base: tuple[Interval, ...], cut: tuple[Interval, ...]) -> tuple[Interval, ...]:
    result: list[Interval] = []
    for start, end in base:
        pieces = [(start, end)]
        for cut_start, cut_end in cut:
            next_pieces = []
            for low, high in pieces:
                if cut_end <= low or cut_start >= high:
                    next_pieces.append((low, high))
                    continue
                if low < cut_start:
                    next_pieces.append((low, cut_start))
                if cut_end < high:
                    next_pieces.append((cut_end, high))
            pieces = next_pieces
        result.extend(pieces)
    return _merge(result)


def _size(intervals: tuple[Interval, ...]) -> int:
    return sum(end - start for start, end in intervals)


def _clip(intervals: tuple[Interval, ...], low: int, high: int) -> tuple[Interval, ...]:
    return _merge((max(start, low), min(end, high)) for start, end in intervals)


@dataclass(frozen=True, slots=True)
class Coverage:
    """A set of addresses: merged half-open intervals of IPv4 and IPv6 integers. ``unknown`` when part of the
    expression could not be read (an undefined variable): that part counts as nothing, so an unknown part never
    makes a destination look everywhere by itself, but its negation does."""

    ipv4: tuple[Interval, ...] = ()
    ipv6: tuple[Interval, ...] = ()
    unknown: bool = False

    @classmethod
    def everything(cls) -> Coverage:
        return cls(((0, IPV4_SIZE),), ((0, IPV6_SIZE),))

    def union(self, other: Coverage) -> Coverage:
        return Coverage(_merge(self.ipv4 + other.ipv4), _merge(self.ipv6 + other.ipv6), self.unknown or other.unknown)

    def minus(self, other: Coverage) -> Coverage:
        return Coverage(_subtract(self.ipv4, other.ipv4), _subtract(self.ipv6, other.ipv6), self.unknown)

    def complement(self) -> Coverage:
        # The negation of something unreadable may be almost everything: judge it as everything.
        if self.unknown:
            return Coverage.everything()
        return Coverage.everything().minus(self)

    @property
    def ipv4_addresses(self) -> int:
        """IPv4 addresses covered, IPv4-equivalent IPv6 forms included."""
        return _size(self.ipv4)

    @property
    def global_ipv6_addresses(self) -> int:
        return _size(_clip(self.ipv6, *GLOBAL_UNICAST))

    @property
    def everywhere(self) -> bool:
        """Whether this covers at least ``EVERYWHERE_SHARE`` of IPv4 or of IPv6 global unicast."""
        global_size = GLOBAL_UNICAST[1] - GLOBAL_UNICAST[0]
        return (
            self.ipv4_addresses >= EVERYWHERE_SHARE * IPV4_SIZE
            or self.global_ipv6_addresses >= EVERYWHERE_SHARE * global_size
        )

    def describe(self) -> str:
        """How much this covers, for a message: ``2**32 IPv4 addresses (all of IPv4)``."""
        parts = []
        if self.ipv4:
            count = self.ipv4_addresses
            share = "all of IPv4" if count == IPV4_SIZE else f"{count / IPV4_SIZE:.1%} of IPv4"
            parts.append(f"{count} IPv4 addresses ({share})")
        if self.ipv6:
            global_share = self.global_ipv6_addresses / (GLOBAL_UNICAST[1] - GLOBAL_UNICAST[0])
            parts.append(f"{global_share:.1%} of IPv6 global unicast")
        return ", ".join(parts) or "no address"


def _from_network(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Coverage:
    start = int(network.network_address)
    end = start + network.num_addresses
    if network.version == 4:
        return Coverage(((start, end),))
    ipv4 = []
    for prefix in IPV4_EMBEDDING:
        low, high = max(start, prefix), min(end, prefix + IPV4_SIZE)
        if low < high:
            ipv4.append((low - prefix, high - prefix))
    return Coverage(_merge(ipv4), ((start, end),))


def parse_range(text: str) -> Coverage | None:
    """One plain range as AWS, Google or Suricata write it: a CIDR (prefix or netmask), an address, or ``a-b``;
    None when it is none of these."""
    text = text.strip()
    if "-" in text and "/" not in text:
        low_text, _, high_text = text.partition("-")
        try:
            low, high = ipaddress.ip_address(low_text.strip()), ipaddress.ip_address(high_text.strip())
        except ValueError:
            return None
        if low.version != high.version or int(high) < int(low):
            return None
        networks = ipaddress.summarize_address_range(low, high)
        coverage = Coverage()
        for network in networks:
            coverage = coverage.union(_from_network(network))
        return coverage
    try:
        return _from_network(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return None


def ranges_coverage(ranges: Iterable[str]) -> Coverage:
    """The union of plain ranges (security groups, Cloud NGFW, stateless rules); an unreadable one is unknown."""
    coverage = Coverage()
    for text in ranges:
        if text.strip().lower() == "any":
            coverage = coverage.union(Coverage.everything())
            continue
        parsed = parse_range(text)
        coverage = coverage.union(parsed if parsed is not None else Coverage(unknown=True))
    return coverage


def split_group(text: str) -> list[str]:
    """The top-level items of a group's inside (``a, [b, c], !d``)."""
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        items.append("".join(current).strip())
    return [item for item in items if item]


def suricata_coverage(
    expression: str, variables: Mapping[str, Sequence[str]], _depth: int = 0, _seen: frozenset[str] = frozenset()
) -> Coverage:
    """What a Suricata address expression covers. ``variables``: the rule group's IP sets (``HOME_NET`` ...). An
    undefined ``$EXTERNAL_NET`` is everything (Suricata's own default is ``!$HOME_NET``); any other undefined
    variable is unknown."""
    text = expression.strip()
    if _depth > 64:
        return Coverage(unknown=True)
    if text.startswith("!"):
        return suricata_coverage(text[1:], variables, _depth + 1, _seen).complement()
    if text.startswith("[") and text.endswith("]"):
        positive = Coverage()
        negative = Coverage()
        has_positive = False
        for item in split_group(text[1:-1]):
            if item.startswith("!"):
                negative = negative.union(suricata_coverage(item[1:], variables, _depth + 1, _seen))
            else:
                has_positive = True
                positive = positive.union(suricata_coverage(item, variables, _depth + 1, _seen))
        if not has_positive:  # a group of negations only: everything but those
            positive = Coverage.everything()
        if negative.unknown and not positive.unknown:
            # Subtracting something unreadable cannot be judged: keep the positives whole (stricter).
            negative = Coverage()
        return positive.minus(negative)
    if text.lower() == "any":
        return Coverage.everything()
    if text.startswith("$"):
        name = text[1:]
        if name in variables and name not in _seen and len(_seen) < MAX_VARIABLE_DEPTH:
            coverage = Coverage()
            for definition in variables[name]:
                coverage = coverage.union(suricata_coverage(definition, variables, _depth + 1, _seen | {name}))
            return coverage
        if name == "EXTERNAL_NET" and name not in variables:
            return Coverage.everything()
        return Coverage(unknown=True)
    parsed = parse_range(text)
    return parsed if parsed is not None else Coverage(unknown=True)
