"""Deterministic packet captures for the replay suite: a pcap writer (Ethernet, IPv4/IPv6, TCP/UDP/ICMP with real
checksums), a TCP conversation that keeps sequence numbers, and the TLS and HTTP messages the scenarios send.

No third-party packet library: every byte is built here, so a capture is the same on every machine and the tests
say exactly what a client sent. Each packet carries a ``Step`` (what it is, which way it goes, whether the flow is
established and whether the client's ClientHello or request is complete at it) for the strict-order emulation.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ETHERNET_IPV4 = 0x0800
ETHERNET_IPV6 = 0x86DD
CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")
#: Flags of a TCP header.
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@dataclass(frozen=True, slots=True)
class Step:
    """One packet as the emulation needs to know it.

    ``established``: after the three-way handshake (the handshake's own ACK is not: AWS's ``aws:drop_established``
    "allows the layer 3 and 4 connection establishment packets"). ``decided``: the client's ClientHello or HTTP
    request headers are complete at or before this packet (the point where ``*_app_layer`` default actions act on
    TLS and HTTP flows). ``payload``: the packet carries data.
    """

    label: str
    to_server: bool
    established: bool
    decided: bool = False
    payload: bool = False


@dataclass
class Capture:
    """Frames with their steps, in order; ``write`` gives the pcap bytes."""

    frames: list[tuple[bytes, Step]] = field(default_factory=list)

    def add(self, frame: bytes, step: Step) -> None:
        self.frames.append((frame, step))

    def extend(self, other: Capture) -> None:
        self.frames.extend(other.frames)

    @property
    def steps(self) -> list[Step]:
        return [step for _, step in self.frames]

    def write(self) -> bytes:
        """libpcap format, Ethernet link type, one frame per millisecond from a fixed epoch."""
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
        for index, (frame, _) in enumerate(self.frames):
            seconds, micros = 1_700_000_000 + index // 1000, (index % 1000) * 1000
            out.append(struct.pack("<IIII", seconds, micros, len(frame), len(frame)))
            out.append(frame)
        return b"".join(out)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_frame(source: str, destination: str, protocol: int, body: bytes, *, to_server: bool) -> bytes:
    """An Ethernet frame carrying ``body`` (a transport header and payload whose checksum field is zero at offset
    ``_CHECKSUM_AT[protocol]``) from ``source`` to ``destination``; the transport checksum is filled in here."""
    src, dst = ipaddress.ip_address(source), ipaddress.ip_address(destination)
    macs = (SERVER_MAC + CLIENT_MAC) if to_server else (CLIENT_MAC + SERVER_MAC)
    if src.version != dst.version:
        raise ValueError(f"{source} and {destination} are not of one IP version")
    at = _CHECKSUM_AT[protocol]
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, protocol, len(body))
        if protocol == 1:
            pseudo = b""  # ICMPv4's checksum covers the message only
        body = body[:at] + struct.pack("!H", _checksum(pseudo + body)) + body[at + 2 :]
        header = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0x4000, 64, protocol, 0, src.packed, dst.packed
        )
        header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
        return macs + struct.pack("!H", ETHERNET_IPV4) + header + body
    next_header = 58 if protocol == 1 else protocol
    pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(body), next_header)
    body = body[:at] + struct.pack("!H", _checksum(pseudo + body)) + body[at + 2 :]
    header = struct.pack("!IHBB16s16s", 0x60000000, len(body), next_header, 64, src.packed, dst.packed)
    return macs + struct.pack("!H", ETHERNET_IPV6) + header + body


_CHECKSUM_AT = {6: 16, 17: 6, 1: 2}


class TcpConversation:
    """One TCP connection, client and server sequence numbers kept, packets appended to ``capture``."""

    def __init__(self, client: str, server: str, port: int, client_port: int = 49152) -> None:
        self.client, self.server, self.port, self.client_port = client, server, port, client_port
        self.client_seq, self.server_seq = 1_000, 500_000
        self.capture = Capture()
        self.established = False
        self.decided = False

    def _segment(self, to_server: bool, flags: int, payload: bytes, label: str) -> None:
        if to_server:
            sport, dport, seq, ack = self.client_port, self.port, self.client_seq, self.server_seq
            src, dst = self.client, self.server
        else:
            sport, dport, seq, ack = self.port, self.client_port, self.server_seq, self.client_seq
            src, dst = self.server, self.client
        ack_field = ack if flags & ACK else 0
        header = struct.pack("!HHIIBBHHH", sport, dport, seq, ack_field, 5 << 4, flags, 64240, 0, 0)
        frame = ip_frame(src, dst, 6, header + payload, to_server=to_server)
        self.capture.add(frame, Step(label, to_server, self.established, self.decided, bool(payload)))
        advance = len(payload) + (1 if flags & (SYN | FIN) else 0)
        if to_server:
            self.client_seq += advance
        else:
            self.server_seq += advance

    def handshake(self) -> TcpConversation:
        self._segment(True, SYN, b"", "SYN")
        self._segment(False, SYN | ACK, b"", "SYN-ACK")
        self._segment(True, ACK, b"", "ACK")
        self.established = True
        return self

    def syn_only(self) -> TcpConversation:
        self._segment(True, SYN, b"", "SYN")
        return self

    def client_sends(self, chunks: Iterable[bytes], label: str, *, completes: bool = False) -> TcpConversation:
        """Client data in the given segments; the server acknowledges each. ``completes``: the last segment
        completes the ClientHello or request."""
        parts = list(chunks)
        for index, chunk in enumerate(parts):
            if completes and index == len(parts) - 1:
                self.decided = True
            self._segment(True, PSH | ACK, chunk, f"{label} {index + 1}/{len(parts)}")
            self._segment(False, ACK, b"", f"server ACK of {label} {index + 1}/{len(parts)}")
        return self

    def server_sends(self, payload: bytes, label: str) -> TcpConversation:
        self._segment(False, PSH | ACK, payload, label)
        self._segment(True, ACK, b"", f"client ACK of {label}")
        return self


def udp_exchange(client: str, server: str, port: int, payload: bytes, reply: bytes | None) -> Capture:
    capture = Capture()
    for to_server, data in ((True, payload), (False, reply)):
        if data is None:
            continue
        sport, dport = (49153, port) if to_server else (port, 49153)
        src, dst = (client, server) if to_server else (server, client)
        header = struct.pack("!HHHH", sport, dport, 8 + len(data), 0)
        label = "UDP query" if to_server else "UDP reply"
        capture.add(ip_frame(src, dst, 17, header + data, to_server=to_server), Step(label, to_server, not to_server))
    return capture


def icmp_echo(client: str, server: str) -> Capture:
    capture = Capture()
    v6 = ipaddress.ip_address(client).version == 6
    kinds = (128, 129) if v6 else (8, 0)
    for to_server, kind in ((True, kinds[0]), (False, kinds[1])):
        src, dst = (client, server) if to_server else (server, client)
        body = struct.pack("!BBHHH", kind, 0, 0, 0x1234, 1) + b"sep-egress-replay"
        label = "echo request" if to_server else "echo reply"
        capture.add(ip_frame(src, dst, 1, body, to_server=to_server), Step(label, to_server, not to_server))
    return capture


# --- TLS and HTTP messages ------------------------------------------------------------------------------------


def _vector(data: bytes, length_bytes: int) -> bytes:
    return len(data).to_bytes(length_bytes, "big") + data


def _extension(kind: int, data: bytes) -> bytes:
    return struct.pack("!HH", kind, len(data)) + data


def client_hello(sni: str | None, *, key_share_bytes: int = 1216) -> bytes:
    """A TLS 1.3 ClientHello handshake message (type 1, with its 4-byte header), with the SNI when given and a key
    share the size of a post-quantum hybrid one (X25519MLKEM768: 1,216 bytes), which makes the ClientHello span
    more than one 1,460-byte segment on the wire, as browsers' and current libraries' do."""
    extensions = b""
    if sni is not None:
        name = sni.encode()
        extensions += _extension(0, _vector(b"\x00" + _vector(name, 2), 2))
    extensions += _extension(10, _vector(struct.pack("!HH", 0x11EC, 0x001D), 2))  # groups: X25519MLKEM768, x25519
    extensions += _extension(13, _vector(struct.pack("!HHH", 0x0403, 0x0804, 0x0401), 2))  # signature algorithms
    extensions += _extension(16, _vector(_vector(b"h2", 1) + _vector(b"http/1.1", 1), 2))  # ALPN
    extensions += _extension(43, _vector(struct.pack("!HH", 0x0304, 0x0303), 1))  # supported versions
    share = struct.pack("!H", 0x11EC) + _vector(bytes((index * 7) % 251 for index in range(key_share_bytes)), 2)
    extensions += _extension(51, _vector(share, 2))
    body = (
        b"\x03\x03"
        + bytes(range(32))  # random (fixed: captures are deterministic)
        + _vector(bytes(range(32, 64)), 1)  # legacy session id
        + _vector(struct.pack("!HHH", 0x1301, 0x1302, 0x1303), 2)
        + _vector(b"\x00", 1)
        + _vector(extensions, 2)
    )
    return b"\x01" + len(body).to_bytes(3, "big") + body


def server_hello() -> bytes:
    extensions = _extension(43, struct.pack("!H", 0x0304)) + _extension(51, struct.pack("!HH", 0x001D, 32) + bytes(32))
    body = (
        b"\x03\x03" + bytes(range(64, 96)) + _vector(bytes(range(32, 64)), 1) + b"\x13\x01\x00" + _vector(extensions, 2)
    )
    return b"\x02" + len(body).to_bytes(3, "big") + body


def record(content_type: int, fragment: bytes, version: int = 0x0301) -> bytes:
    return struct.pack("!BHH", content_type, version, len(fragment)) + fragment


HANDSHAKE, APPLICATION_DATA, CHANGE_CIPHER_SPEC = 22, 23, 20


def records(message: bytes, count: int) -> bytes:
    """``message`` as ``count`` handshake records (a ClientHello split over records, as RFC 8446 allows)."""
    size = -(-len(message) // count)
    return b"".join(record(HANDSHAKE, message[i : i + size]) for i in range(0, len(message), size))


def segments(data: bytes, count: int | None = None, *, size: int | None = None) -> list[bytes]:
    """``data`` cut into ``count`` nearly equal segments, or segments of ``size`` bytes."""
    if size is None:
        size = -(-len(data) // (count or 1))
    return [data[i : i + size] for i in range(0, len(data), size)]


def http_request(host: str | None, path: str = "/") -> bytes:
    head = f"GET {path} HTTP/1.1\r\n" if host is not None else f"GET {path} HTTP/1.0\r\n"
    headers = (f"Host: {host}\r\n" if host is not None else "") + "User-Agent: sep-egress-replay\r\n"
    return (head + headers + "\r\n").encode()


def application_data(size: int) -> bytes:
    return record(APPLICATION_DATA, bytes((index * 13) % 256 for index in range(size)), version=0x0303)


def tls_session(
    client: str, server: str, port: int, hello_wire: Sequence[bytes], *, answer: bool = True, client_port: int = 49152
) -> TcpConversation:
    """Handshake, the ClientHello as ``hello_wire`` segments, then the server's ServerHello and application data."""
    conversation = TcpConversation(client, server, port, client_port).handshake()
    conversation.client_sends(hello_wire, "ClientHello segment", completes=True)
    if answer:
        conversation.server_sends(record(HANDSHAKE, server_hello(), 0x0303) + application_data(64), "ServerHello")
        conversation.client_sends([application_data(200)], "client application data")
    return conversation
