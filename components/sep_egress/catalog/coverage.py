"""What a set of address ranges covers together, measured in addresses: the one measure of "how wide" every place
that accepts ranges uses (AWS ``source_cidrs``, internal destinations, the plan's address-range rules and so the
GCP ``destIpRanges`` and Network Firewall rules compiled from them).

Ranges are judged by their union, not one at a time and not by prefix length: ``0.0.0.0/1`` with ``128.0.0.0/1``
is every IPv4 address, and 65,536 ``/16`` ranges are as wide as a ``/0``. IPv6 ranges that stand for IPv4
addresses are counted as those IPv4 addresses: IPv4-mapped ``::ffff:0:0/96`` (RFC 4291 section 2.5.5.2) and the
NAT64 well-known prefix ``64:ff9b::/96`` (RFC 6052 section 2.1), so ``::ffff:0:0/96`` is all of IPv4.

Thresholds (documented in docs/internal.md):

- ``covers_everything``: every IPv4 address, or every IPv6 address. A source set like that is refused unless the
  stack says ``allow_any_source``; a destination set like that is always refused.
- ``is_wide``: more than ``WIDE_IPV4_ADDRESSES`` IPv4 addresses (a /16) or ``WIDE_IPV6_ADDRESSES`` IPv6 addresses
  (a /48), per role and port: a warning.

Pure: no I/O, no import of the rest of the package.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPV4_SIZE = 1 << 32
IPV6_SIZE = 1 << 128
#: More than this many IPv4 addresses (a /16) per role and port is wide.
WIDE_IPV4_ADDRESSES = 1 << 16
#: More than this many IPv6 addresses (a /48) per role and port is wide.
WIDE_IPV6_ADDRESSES = 1 << 80
#: IPv6 prefixes (/96) whose last 32 bits are an IPv4 address the traffic reaches.
IPV4_EMBEDDING = (
    ipaddress.IPv6Network("::ffff:0:0/96"),
    ipaddress.IPv6Network("64:ff9b::/96"),
)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _merge(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((start, end) for start, end in merged)


@dataclass(frozen=True, slots=True)
class Coverage:
    """The union of some ranges: IPv4 addresses (IPv4-equivalent IPv6 included) and IPv6 addresses (the
    IPv4-equivalent prefixes left out, as they are counted as IPv4)."""

    ipv4_addresses: int
    ipv6_addresses: int

    @property
    def covers_everything(self) -> bool:
        return self.ipv4_addresses >= IPV4_SIZE or self.ipv6_addresses >= IPV6_SIZE - len(IPV4_EMBEDDING) * IPV4_SIZE

    @property
    def is_wide(self) -> bool:
        return self.ipv4_addresses > WIDE_IPV4_ADDRESSES or self.ipv6_addresses > WIDE_IPV6_ADDRESSES

    def describe(self) -> str:
        """``65536 IPv4 addresses (a /16)``-style text for a message."""
        parts = []
        if self.ipv4_addresses:
            parts.append(f"{self.ipv4_addresses} IPv4 addresses ({_equivalent(self.ipv4_addresses, 32)})")
        if self.ipv6_addresses:
            parts.append(f"{self.ipv6_addresses} IPv6 addresses ({_equivalent(self.ipv6_addresses, 128)})")
        return " and ".join(parts) or "no address"


def _equivalent(count: int, bits: int) -> str:
    if count >= 1 << bits:
        return "every address"
    prefix = bits - (count.bit_length() - 1)
    return f"as many as a /{prefix}" if count == 1 << (bits - prefix) else f"more than a /{prefix}"


def measure(ranges: Iterable[str | Network]) -> Coverage:
    """The union of ``ranges`` (CIDR text or networks; host bits allowed), in addresses."""
    ipv4: list[tuple[int, int]] = []
    ipv6: list[tuple[int, int]] = []
    for item in ranges:
        network = item if not isinstance(item, str) else ipaddress.ip_network(item, strict=False)
        start = int(network.network_address)
        end = start + network.num_addresses
        if network.version == 4:
            ipv4.append((start, end))
            continue
        rest = [(start, end)]
        for prefix in IPV4_EMBEDDING:
            low, high = int(prefix.network_address), int(prefix.network_address) + IPV4_SIZE
            if max(start, low) < min(end, high):
                ipv4.append((max(start, low) - low, min(end, high) - low))
                rest = [
                    piece for a, b in rest for piece in ((a, min(b, low)), (max(a, high), b)) if piece[0] < piece[1]
                ]
        ipv6.extend(rest)
    return Coverage(
        ipv4_addresses=sum(end - start for start, end in _merge(ipv4)),
        ipv6_addresses=sum(end - start for start, end in _merge(ipv6)),
    )
