"""The crafted connections of the replay suite, each with the verdict it must get and the rule that must decide it.

A scenario builds its capture from ``engines.packets`` (so every byte is known) and names its expectation as
``Expect(action, rule)``: ``rule`` is a guard rule's role and kind (``agent:drop-tls``), ``allow`` (a catalog
pass rule, by its host label), ``range`` (an address-range pass) or a default action (``aws:...``). The tests
turn the rule into a sid by reading the compiled rules, never by hard-coding one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engines.packets import (
    Capture,
    TcpConversation,
    application_data,
    client_hello,
    http_request,
    icmp_echo,
    record,
    records,
    segments,
    server_hello,
    tls_session,
    udp_exchange,
)

AGENT = "10.10.0.5"
AGENT_V6 = "2001:db8:10::5"
SEPM = "10.20.0.10"
CONSOLE = "10.30.0.7"
INTERNET = "198.51.100.10"
INTERNET_V6 = "2001:db8:ffff::10"
DOMAIN_CONTROLLER = "10.40.0.2"
ALLOWED = "central.avsi.symantec.com"
ALLOWED_HTTP = "updates.http.sep-egress.example"
DISALLOWED = "exfil.attacker.example"


@dataclass(frozen=True, slots=True)
class Expect:
    """``action``: pass, reject or drop; ``rule``: what decides (see the module docstring)."""

    action: str
    rule: str


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    transport: str
    app: str
    build: Callable[[int], Capture]
    expect: Expect
    #: The evaluator's description of the same connection, when it can express it (None: it cannot).
    connection: dict[str, object] | None = None


def _hello(name: str | None, *, count: int = 1, record_count: int = 1, size: int | None = None) -> list[bytes]:
    wire = records(client_hello(name), record_count)
    return segments(wire, size=size) if size else segments(wire, count)


def _tls(source: str, destination: str, port: int, wire: list[bytes]) -> Callable[[int], Capture]:
    return lambda client_port: tls_session(source, destination, port, wire, client_port=client_port).capture


def _tunnel(client_port: int, source: str = AGENT, destination: str = INTERNET) -> Capture:
    """A first record of the handshake type that is not a ClientHello (a ServerHello), then application data."""
    conversation = TcpConversation(source, destination, 443, client_port).handshake()
    conversation.client_sends([record(22, server_hello())], "ServerHello-type first record")
    conversation.server_sends(application_data(600), "server application data")
    conversation.client_sends([application_data(4000)], "client application data")
    return conversation.capture


def _app_data_first(client_port: int) -> Capture:
    conversation = TcpConversation(AGENT, INTERNET, 443, client_port).handshake()
    conversation.client_sends([application_data(900)], "application data first")
    return conversation.capture


def _never_completes(client_port: int) -> Capture:
    """A ClientHello record announcing 16 KiB that never completes; the server answers with data meanwhile."""
    conversation = TcpConversation(AGENT, INTERNET, 443, client_port).handshake()
    header = bytes([22, 3, 1, 0x40, 0x00, 1, 0x00, 0x3F, 0xFC])
    conversation.client_sends(segments(header + bytes(4000), size=1400), "partial ClientHello")
    conversation.server_sends(application_data(800), "server data")
    return conversation.capture


def _never_completes_quiet_server(client_port: int) -> Capture:
    """A ClientHello message announcing 64 KiB over several handshake records, the server silent: the client keeps
    sending past one record's worth and the message never completes."""
    conversation = TcpConversation(AGENT, INTERNET, 443, client_port).handshake()
    message = bytes([1, 0x00, 0xFF, 0xFF]) + bytes(20_000)
    wire = record(22, message[:16_384]) + record(22, message[16_384:20_000])
    conversation.client_sends(segments(wire, size=1400), "oversized ClientHello")
    return conversation.capture


def _http(host: str | None, *, split: bool = False, source: str = AGENT) -> Callable[[int], Capture]:
    def build(client_port: int) -> Capture:
        request = http_request(host)
        wire = [request[:20], request[20:]] if split else [request]
        conversation = TcpConversation(source, INTERNET, 80, client_port).handshake()
        conversation.client_sends(wire, "request segment", completes=True)
        conversation.server_sends(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "response")
        return conversation.capture

    return build


def _server_first(client_port: int) -> Capture:
    """The handshake 'in the other direction': a server on the Internet opens to an agent's port 443."""
    conversation = TcpConversation(INTERNET, AGENT, 443, client_port).handshake()
    conversation.client_sends(_hello(ALLOWED), "inbound ClientHello", completes=True)
    return conversation.capture


def _inbound_syn(client_port: int) -> Capture:
    conversation = TcpConversation(INTERNET, AGENT, 3389, client_port).handshake()
    conversation.client_sends([b"\x03\x00\x00\x13" + bytes(15)], "inbound data", completes=True)
    return conversation.capture


def _internal_tcp(source: str, destination: str, port: int) -> Callable[[int], Capture]:
    def build(client_port: int) -> Capture:
        conversation = TcpConversation(source, destination, port, client_port).handshake()
        conversation.client_sends([b"\x00\x00\x00\x2f\xffSMB" + bytes(40)], "request", completes=True)
        conversation.server_sends(b"\x00\x00\x00\x10\xffSMB" + bytes(12), "answer")
        return conversation.capture

    return build


def _dns(destination: str) -> Callable[[int], Capture]:
    query = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x07example\x03com\x00\x00\x01\x00\x01"
    return lambda client_port: udp_exchange(AGENT, destination, 53, query, query[:2] + b"\x81\x80" + query[4:])


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "tls two segments, allowed name",
        "tcp",
        "tls",
        _tls(AGENT, INTERNET, 443, _hello(ALLOWED, count=2)),
        Expect("pass", "allow"),
        {"name": ALLOWED, "segments": 2},
    ),
    Scenario(
        "tls two records, allowed name",
        "tcp",
        "tls",
        _tls(AGENT, INTERNET, 443, _hello(ALLOWED, record_count=2)),
        Expect("pass", "allow"),
        {"name": ALLOWED, "segments": 1},
    ),
    Scenario(
        "tls many small segments, allowed name",
        "tcp",
        "tls",
        _tls(AGENT, INTERNET, 443, _hello(ALLOWED, size=100)),
        Expect("pass", "allow"),
        {"name": ALLOWED, "segments": 15},
    ),
    Scenario(
        "tls two segments, disallowed name",
        "tcp",
        "tls",
        _tls(AGENT, INTERNET, 443, _hello(DISALLOWED, count=2)),
        Expect("reject", "agent:drop-tls"),
        {"name": DISALLOWED, "segments": 2},
    ),
    Scenario(
        "tls two records, disallowed name",
        "tcp",
        "tls",
        _tls(AGENT, INTERNET, 443, _hello(DISALLOWED, record_count=2)),
        Expect("reject", "agent:drop-tls"),
        {"name": DISALLOWED, "segments": 1},
    ),
    Scenario(
        "tls many small segments, disallowed name",
        "tcp",
        "tls",
        _tls(AGENT, INTERNET, 443, _hello(DISALLOWED, size=100)),
        Expect("reject", "agent:drop-tls"),
        {"name": DISALLOWED, "segments": 15},
    ),
    Scenario(
        "tls without SNI",
        "tcp",
        "tls",
        _tls(AGENT, INTERNET, 443, _hello(None, count=2)),
        Expect("reject", "agent:drop-tls"),
        {"name": None, "segments": 2},
    ),
    Scenario(
        "allowed name on a port the role does not have",
        "tcp",
        "tls",
        _tls(AGENT, INTERNET, 7070, _hello(ALLOWED)),
        Expect("reject", "agent:drop-tcp"),
        {"name": ALLOWED, "port": 7070},
    ),
    Scenario(
        "first record not a ClientHello, then application data",
        "tcp",
        "tls",
        _tunnel,
        Expect("reject", "agent:drop-tcp"),
    ),
    Scenario("application data first", "tcp", "tls", _app_data_first, Expect("reject", "agent:drop-tcp")),
    Scenario(
        "ClientHello never completes, server answers",
        "tcp",
        "tls",
        _never_completes,
        Expect("reject", "agent:drop-server-data"),
    ),
    Scenario(
        "ClientHello never completes, client keeps sending",
        "tcp",
        "tls",
        _never_completes_quiet_server,
        Expect("reject", "agent:drop-tcp"),
    ),
    Scenario(
        "plain HTTP, allowed host",
        "tcp",
        "http",
        _http(ALLOWED_HTTP),
        Expect("pass", "allow"),
        {"application": "http", "name": ALLOWED_HTTP, "port": 80},
    ),
    Scenario(
        "plain HTTP, disallowed host",
        "tcp",
        "http",
        _http(DISALLOWED),
        Expect("reject", "agent:drop-http"),
        {"application": "http", "name": DISALLOWED, "port": 80},
    ),
    Scenario(
        "headerless HTTP",
        "tcp",
        "http",
        _http(None),
        Expect("reject", "agent:drop-http"),
        {"application": "http", "name": None, "port": 80},
    ),
    Scenario(
        "HTTP, Host in a later segment",
        "tcp",
        "http",
        _http(ALLOWED_HTTP, split=True),
        Expect("pass", "allow"),
        {"application": "http", "name": ALLOWED_HTTP, "port": 80, "segments": 2},
    ),
    Scenario(
        "handshake in the other direction (Internet to agent:443)",
        "tcp",
        "tls",
        _server_first,
        Expect("drop", "default"),
    ),
    Scenario("inbound SYN to an agent", "tcp", "other", _inbound_syn, Expect("drop", "default")),
    Scenario(
        "internal range allowed (agent to SEPM 443)",
        "tcp",
        "other",
        _internal_tcp(AGENT, SEPM, 443),
        Expect("pass", "range"),
    ),
    Scenario(
        "internal, agent to a domain controller's SMB",
        "tcp",
        "other",
        _internal_tcp(AGENT, DOMAIN_CONTROLLER, 445),
        Expect("drop", "default"),
    ),
    Scenario(
        "internal, domain controller to an agent's SMB",
        "tcp",
        "other",
        _internal_tcp(DOMAIN_CONTROLLER, AGENT, 445),
        Expect("drop", "default"),
    ),
    Scenario(
        "DNS to a domain controller",
        "udp",
        "other",
        _dns(DOMAIN_CONTROLLER),
        Expect("pass", "default"),
        {"transport": "udp", "destination": DOMAIN_CONTROLLER, "port": 53, "application": "other"},
    ),
    Scenario(
        "DNS to an Internet resolver",
        "udp",
        "other",
        _dns(INTERNET),
        Expect("drop", "agent:drop-udp"),
        {"transport": "udp", "port": 53, "application": "other"},
    ),
    Scenario(
        "ICMP echo to the Internet",
        "icmp",
        "other",
        lambda port: icmp_echo(AGENT, INTERNET),
        Expect("drop", "agent:drop-icmp"),
        {"transport": "icmp", "port": 0, "application": "other"},
    ),
    Scenario(
        "IPv6 tls, allowed name",
        "tcp",
        "tls",
        _tls(AGENT_V6, INTERNET_V6, 443, _hello(ALLOWED, count=2)),
        Expect("pass", "allow"),
        {"source": AGENT_V6, "destination": INTERNET_V6, "name": ALLOWED, "segments": 2},
    ),
    Scenario(
        "IPv6 tls, disallowed name",
        "tcp",
        "tls",
        _tls(AGENT_V6, INTERNET_V6, 443, _hello(DISALLOWED, count=2)),
        Expect("reject", "agent:drop-tls"),
        {"source": AGENT_V6, "destination": INTERNET_V6, "name": DISALLOWED, "segments": 2},
    ),
    Scenario(
        "IPv6 tunnel",
        "tcp",
        "tls",
        lambda port: _tunnel(port, AGENT_V6, INTERNET_V6),
        Expect("reject", "agent:drop-tcp"),
    ),
)
