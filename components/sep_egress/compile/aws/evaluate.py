"""A model of how Network Firewall's stateful engine judges one connection, packet by packet, under rule groups we
compiled and the default actions a policy may use.

It reads the same request bodies we send to AWS (rules strings, domain lists, rule variables, the policy's default
actions and HOME_NET) and answers *pass*, *drop* or *reject* for a connection described by its source,
destination, port, transport, application protocol, the name it presents (TLS SNI or HTTP Host), and how many TCP
segments its ClientHello or request headers span. It exists to prove properties of the compiled rules, so it
models what the field review found the earlier, connection-level model left out:

- **Packets, both directions.** A TCP connection is SYN (to server), SYN-ACK (to client), the handshake's ACK,
  then the client's data segments, the server's acknowledgement of a partial ClientHello, and the server's
  answer. A UDP flow is its first packet and the reply; ICMP, GRE and ESP their first packet. The connection
  works only if every one of these packets passes. The handshake's final ACK is counted as not established: the
  developer guide says ``aws:drop_established`` "allows the layer 3 and 4 connection establishment packets", and
  AWS's strict-order sample passes the handshake with ``flow:not_established`` alone under ``aws:drop_strict``.
- **Segmentation.** ``segments`` > 1 splits the ClientHello (post-quantum key shares: X25519MLKEM768) or the HTTP
  request headers: the application protocol is known from the first segment, ``ssl_state:client_hello`` is taken
  to match from the first segment too (the record header says "client hello" before the message is whole: the
  cautious reading), while ``tls.sni``, ``ja4.hash``, ``http.host``, ``http.start`` and ``http.header_names``
  exist only at the last segment.
- **Scope of a rule's action.** Application-layer rules (protocol ``tls``/``http``, or an application-layer buffer
  or keyword) act on the whole flow: a pass lets every later packet through uninspected, a drop or reject ends it.
  ``tcp``/``udp``/``icmp``/``ip`` rules with a ``flow`` keyword act on the packet they match only (Suricata's
  SIG_TYPE_PKT; AWS, "Which rules need a flow: keyword", aws-security-services-best-practices). A drop of any
  packet of a connection breaks the connection. Rules without ``flow`` (IP-only) are refused: we never emit them.
- **Strict order.** Per packet, the first ``pass``, ``drop`` or ``reject`` that matches decides; ``alert`` rules
  before it log and run their ``flowbits`` (``set``/``isset``/``isnotset``), which later rules of the same packet
  and later packets see. ``noalert`` silences a rule; ``alert;`` on a pass makes it log.
- **Default actions** (appended after every rule group), for a packet no rule decided: ``aws:drop_strict`` drops
  it; ``aws:drop_established`` drops it when established; ``aws:drop_established_app_layer`` drops it when
  established *and* the application layer has said what it needed to (for TLS and HTTP: the ClientHello or
  request headers are complete; for other protocols: from the first data segment); no drop action passes it.
  The first packet of a UDP or other non-TCP flow is not established (the "both sides" reading of the developer
  guide: the weaker one, so a property proved here holds under either reading).
- **Domain lists** under ``STRICT_ORDER`` generate pass rules only (no drop): per target,
  ``pass tls|http $HOME_NET any -> $EXTERNAL_NET any (<buffer>; content...; flow:to_server, established)``.

- **Payload and sizes**: the first data segment begins a ClientHello record (TLS), a request line (HTTP) or other
  bytes; ``content`` outside a sticky buffer (with ``depth``/``offset``) reads that segment, ``dsize`` whether a
  packet carries data, ``stream_size:client,<,N`` the client's bytes so far (the model's ClientHello is 1,800 bytes).

The replay suite (tests/engines) judges the same scenarios with real Suricata 7 under an emulation of strict order,
and fails where this model disagrees; this model stays for what Suricata cannot answer (AWS's default actions) and
for properties over many random plans. What it still leaves out (docs/aws.md lists it too): IP fragments,
retransmissions and reordering, TCP resets and half-closed flows, HTTP/2 and several requests on one connection,
QUIC, the stream exception policy (midstream flows), idle timeouts, TLS inspection, first segments that are not
what the application says (the replay suite covers those), rule-group-level ``EXTERNAL_NET``, and any keyword
outside the subset we generate (anything else raises ``ValueError`` rather than being guessed).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from .options import STATEFUL_DEFAULT_ACTIONS
from .spec import AwsEgressSpec

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressTest = Callable[[Address], bool]
PortTest = Callable[[int], bool]
Transport = Literal["tcp", "udp", "icmp", "gre", "esp"]
Action = Literal["pass", "drop", "reject"]

#: IP protocol numbers of the transports a ``Connection`` can use, and the names ``ip_proto`` accepts for them.
IP_PROTOCOLS: dict[str, int] = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50}
#: Every default action the model knows (botocore's documentation of ``StatefulDefaultActions``): a consumer's
#: policy may use any of them around these groups.
DEFAULT_ACTION_MODELS: dict[str, tuple[str, ...]] = {
    "drop_strict": ("aws:drop_strict", "aws:alert_strict"),
    "drop_established": ("aws:drop_established", "aws:alert_established"),
    "drop_established_app_layer": ("aws:drop_established_app_layer", "aws:alert_established_app_layer"),
    "drop_established_app_layer_to_server": (
        "aws:drop_established_app_layer_to_server",
        "aws:alert_established_app_layer_to_server",
    ),
    "none": (),
}

_HEADER = re.compile(
    r"^(?P<action>pass|drop|reject|alert)\s+(?P<protocol>\S+)\s+(?P<source>\S+)\s+(?P<source_port>\S+)\s+"
    r"(?P<direction>->|<>)\s+(?P<destination>\S+)\s+(?P<destination_port>\S+)\s+\((?P<options>.*)\)\s*$"
)
_BUFFERS = ("tls.sni", "http.host", "ja4.hash", "http.header_names", "http.start")
#: ``payload`` is the packet's own data (content outside a sticky buffer).
Buffer = Literal["tls.sni", "http.host", "ja4.hash", "http.header_names", "http.start", "payload"]
_KNOWN_OPTIONS = {
    "msg",
    "flow",
    "sid",
    "rev",
    "ip_proto",
    "content",
    "startswith",
    "endswith",
    "nocase",
    "dotprefix",
    "flowbits",
    "noalert",
    "alert",
    "ssl_state",
    "depth",
    "offset",
    "dsize",
    "stream_size",
    *_BUFFERS,
}
#: What the first data segment of a connection begins with, per application: a TLS handshake record holding a
#: ClientHello (type 1), an HTTP request line; anything else for other protocols.
_FIRST_PAYLOAD = {"tls": b"\x16\x03\x01\x06\x00\x01", "http": b"GET / HTTP/1.1\r\n", "other": b"\x00\x00\x00\x2f"}
#: The bytes of the model's ClientHello or request headers, spread evenly over its segments.
_OPENING_BYTES = {"tls": 1_800, "http": 120, "other": 60}
_APP_PROTOCOLS = {"tls", "http"}
_FLOW_OPTIONS = {"to_server", "to_client", "from_client", "from_server", "established", "not_established", "stateless"}
#: A JA4 fingerprint always holds underscores between its parts (FoxIO's JA4 spec): what the guard's
#: ``ja4.hash; content:"_"`` relies on to know the ClientHello was parsed whole.
_MODEL_JA4 = "t13d1516h2_8daaf6152771_02713d6af862"


@dataclass(frozen=True, slots=True)
class Connection:
    """One connection attempt through the firewall.

    ``application`` is what the client speaks once connected; ``name`` is the TLS SNI or HTTP Host it sends (None
    when it sends none). ``segments`` is how many TCP segments the ClientHello or the request headers span (the
    name is known only at the last). ``port`` is ignored by transports without ports (ICMP, GRE, ESP): only rules
    whose destination port is ``any`` can match them.
    """

    source: str
    port: int
    destination: str = "198.51.100.10"
    transport: Transport = "tcp"
    application: Literal["tls", "http", "other"] = "tls"
    name: str | None = None
    segments: int = 1
    source_port: int = 49152


@dataclass(frozen=True, slots=True)
class Packet:
    """One packet of a connection, as the engine sees it."""

    stage: str
    to_server: bool
    established: bool
    app_known: bool  # the flow's application protocol is detected (from the first data segment)
    complete: bool  # the ClientHello / request headers are whole: SNI, JA4, Host, header names exist
    payload: bytes = b""  # the start of the packet's data (the first data segment's only: what the rules read)
    data: bool = False  # the packet carries data
    client_bytes: int = 0  # sequence space the client has used so far, the SYN included (``stream_size``)


@dataclass(frozen=True, slots=True)
class Verdict:
    """``pass``, ``drop`` or ``reject``; whether an alert was logged; what decided it (``group#sid``, a default
    action, or the stage of the packet no rule and no default stopped); and the packet it happened on."""

    action: Action
    alert: bool
    decided_by: str
    stage: str = ""
    #: How many packets of the flow logged an alert record (the log's volume per flow).
    alerts: int = 0

    @property
    def allowed(self) -> bool:
        return self.action == "pass"


@dataclass(frozen=True, slots=True)
class _Content:
    buffer: Buffer
    value: str
    startswith: bool
    endswith: bool
    nocase: bool
    dotprefix: bool
    offset: int = 0
    depth: int | None = None

    def matches(self, text: str) -> bool:
        if self.buffer == "payload":
            end = None if self.depth is None else self.offset + self.depth
            return self.value in text[self.offset : end]
        if self.dotprefix:
            text = "." + text
        wanted = self.value
        if self.nocase:
            text, wanted = text.lower(), wanted.lower()
        if self.startswith and self.endswith:
            return text == wanted
        if self.startswith:
            return text.startswith(wanted)
        if self.endswith:
            return text.endswith(wanted)
        return wanted in text


def _buffer(buffer: Buffer, connection: Connection, packet: Packet) -> str | None:
    """The buffer's content on this packet, or None when it does not exist (yet)."""
    if buffer == "payload":
        return packet.payload.decode("latin-1") if packet.data else None
    if not packet.to_server or not packet.complete:
        return None
    if buffer in ("tls.sni", "ja4.hash") and connection.application != "tls":
        return None
    if buffer in ("http.host", "http.header_names", "http.start") and connection.application != "http":
        return None
    if buffer == "ja4.hash":
        return _MODEL_JA4
    if buffer == "http.start":
        # The request line and headers: present for every complete request, with or without headers.
        return "GET / HTTP/1.1\r\n" + (f"Host: {connection.name}\r\n" if connection.name is not None else "") + "\r\n"
    if buffer == "http.header_names":
        # The model's request carries no header but Host (an HTTP/1.0 request may have none at all): Suricata does
        # not inspect an empty names buffer (GetBuffer1ForTX returns NULL for length 0).
        return "\r\nHost\r\n\r\n" if connection.name is not None else None
    if connection.name is None:
        return None
    # Suricata normalises http.host to lower case; tls.sni is what the client sent.
    return connection.name.lower() if buffer == "http.host" else connection.name


@dataclass(frozen=True, slots=True)
class _Rule:
    group: str
    sid: int
    action: str
    protocol: str
    source: AddressTest
    destination: AddressTest
    source_port: PortTest
    destination_port: PortTest
    both_ways: bool
    flow: frozenset[str]
    contents: tuple[_Content, ...]
    ip_protocols: tuple[tuple[bool, int], ...] = ()  # (negated, number) per ip_proto keyword; all must hold
    flowbits: tuple[tuple[str, str], ...] = ()  # (command, name) in rule order
    ssl_client_hello: bool = False
    noalert: bool = False
    pass_alert: bool = False
    dsize: tuple[str, int] | None = None  # (">" or "=", size): only "dsize:>N" and "dsize:N" are modelled
    client_bytes_below: int | None = None  # stream_size:client,<,N

    @property
    def label(self) -> str:
        return f"{self.group}#{self.sid}"

    @property
    def flow_scope(self) -> bool:
        """Application-layer rules act on the whole flow; packet rules (tcp/udp/icmp/ip with flow:) on a packet."""
        sticky = any(content.buffer != "payload" for content in self.contents)
        return self.protocol in _APP_PROTOCOLS or sticky or self.ssl_client_hello

    def matches(self, connection: Connection, packet: Packet, bits: set[str]) -> bool:
        return (
            self._protocol_matches(connection, packet)
            and self._header_matches(connection, packet)
            and self._flow_matches(packet)
            and self._app_matches(connection, packet)
            and all(
                (name in bits) == (command == "isset")
                for command, name in self.flowbits
                if command in ("isset", "isnotset")
            )
        )

    def _protocol_matches(self, connection: Connection, packet: Packet) -> bool:
        number = IP_PROTOCOLS[connection.transport]
        if not all((number != wanted) if negated else (number == wanted) for negated, wanted in self.ip_protocols):
            return False
        if self.protocol == "ip":
            return True
        if self.protocol in ("tcp", "udp", "icmp"):
            return connection.transport == self.protocol
        if self.protocol in _APP_PROTOCOLS:
            return connection.transport == "tcp" and connection.application == self.protocol and packet.app_known
        return False

    def _header_matches(self, connection: Connection, packet: Packet) -> bool:
        client, server = ipaddress.ip_address(connection.source), ipaddress.ip_address(connection.destination)
        ported = connection.transport in ("tcp", "udp")
        client_port, server_port = connection.source_port, connection.port

        def oriented(src: Address, src_port: int, dst: Address, dst_port: int) -> bool:
            if ported:
                ports = self.source_port(src_port) and self.destination_port(dst_port)
            else:
                ports = self.destination_port is _any_port and self.source_port is _any_port
            return ports and self.source(src) and self.destination(dst)

        if packet.to_server:
            forward = oriented(client, client_port, server, server_port)
            backward = oriented(server, server_port, client, client_port)
        else:
            forward = oriented(server, server_port, client, client_port)
            backward = oriented(client, client_port, server, server_port)
        return forward or (self.both_ways and backward)

    def _flow_matches(self, packet: Packet) -> bool:
        flow = self.flow
        if ("to_server" in flow or "from_client" in flow) and not packet.to_server:
            return False
        if ("to_client" in flow or "from_server" in flow) and packet.to_server:
            return False
        if "established" in flow and not packet.established:
            return False
        return not ("not_established" in flow and packet.established)

    def _app_matches(self, connection: Connection, packet: Packet) -> bool:
        if self.ssl_client_hello and not (connection.application == "tls" and packet.app_known and packet.to_server):
            return False
        if self.dsize is not None:
            size = 1 if packet.data else 0  # the model knows only whether a packet carries data
            operator, wanted = self.dsize
            if (operator == ">" and not size > wanted) or (operator == "=" and size != wanted):
                return False
        if self.client_bytes_below is not None and not packet.client_bytes < self.client_bytes_below:
            return False
        for content in self.contents:
            text = _buffer(content.buffer, connection, packet)
            if text is None or not content.matches(text):
                return False
        return True

    def run_flowbits(self, bits: set[str]) -> None:
        for command, name in self.flowbits:
            if command == "set":
                bits.add(name)
            elif command == "unset":
                bits.discard(name)


class NetworkFirewallModel:
    """The stateful part of one firewall policy: groups in priority order, HOME_NET, default actions."""

    def __init__(
        self,
        groups: Sequence[tuple[str, Mapping[str, Any]]],
        home_net: Sequence[str],
        default_actions: Sequence[str] = STATEFUL_DEFAULT_ACTIONS,
    ) -> None:
        self.home_net = tuple(home_net)
        self.default_actions = tuple(default_actions)
        self.rules: list[_Rule] = []
        for key, rule_group in groups:
            self.rules.extend(_group_rules(key, rule_group, self.home_net))

    @classmethod
    def from_spec(cls, spec: AwsEgressSpec, default_actions: Sequence[str] | None = None) -> NetworkFirewallModel:
        """The model of the policy ``spec.firewall_policy`` describes (groups sorted by priority), or of a
        consumer's policy holding the same groups with other ``default_actions``."""
        ordered = sorted(spec.groups, key=lambda group: group.priority)
        actions = spec.default_actions if default_actions is None else default_actions
        return cls([(group.key, group.rule_group) for group in ordered], spec.home_net, actions)

    def judge(self, connection: Connection) -> Verdict:
        """Whether the connection works: every packet of it passes."""
        if connection.segments < 1:
            raise ValueError("segments: at least 1")
        bits: set[str] = set()
        alert = False
        alerts = 0
        flow_passed: str | None = None
        deciders: list[str] = []
        for packet in _packets(connection):
            if flow_passed is not None:
                continue  # a flow-scope pass: the rest of the flow is not inspected
            action, decided_by, alerted = self._judge_packet(connection, packet, bits)
            alert = alert or alerted
            alerts += alerted
            if action != "pass":
                return Verdict(action, alert, decided_by, packet.stage, alerts)
            if decided_by.startswith("flow:"):
                flow_passed = decided_by[len("flow:") :]
            deciders.append(decided_by)
        # A pass is credited to the flow-scope pass rule, else to the first rule that passed a packet, else to the
        # absence of a default drop on the first packet.
        rules = [label for label in deciders if not label.startswith("no rule")]
        return Verdict("pass", alert, flow_passed or (rules[0] if rules else deciders[0]), "", alerts)

    def _judge_packet(self, connection: Connection, packet: Packet, bits: set[str]) -> tuple[Action, str, bool]:
        alert = False
        for rule in self.rules:
            if not rule.matches(connection, packet, bits):
                continue
            rule.run_flowbits(bits)
            if rule.action == "alert":
                alert = alert or not rule.noalert
                continue
            if rule.action == "pass":
                alert = alert or rule.pass_alert
                return "pass", ("flow:" if rule.flow_scope else "") + rule.label, alert
            return rule.action, rule.label, alert or not rule.noalert  # type: ignore[return-value]
        return self._default(connection, packet, alert)

    def _default(self, connection: Connection, packet: Packet, alert: bool) -> tuple[Action, str, bool]:
        actions = self.default_actions
        app_decided = packet.complete if connection.application in _APP_PROTOCOLS else packet.app_known
        if "aws:drop_strict" in actions:
            return "drop", "aws:drop_strict", alert or "aws:alert_strict" in actions
        if "aws:drop_established" in actions and packet.established:
            return "drop", "aws:drop_established", alert or "aws:alert_established" in actions
        if "aws:drop_established_app_layer" in actions and packet.established and app_decided:
            return "drop", "aws:drop_established_app_layer", alert or "aws:alert_established_app_layer" in actions
        # The server-directed variant: the same, for packets from the client only (replies are not dropped).
        to_server_app = packet.established and app_decided and packet.to_server
        if "aws:drop_established_app_layer_to_server" in actions and to_server_app:
            alerted = alert or "aws:alert_established_app_layer_to_server" in actions
            return "drop", "aws:drop_established_app_layer_to_server", alerted
        alerting = (
            "aws:alert_strict" in actions
            or ("aws:alert_established" in actions and packet.established)
            or ("aws:alert_established_app_layer" in actions and packet.established and app_decided)
            or ("aws:alert_established_app_layer_to_server" in actions and to_server_app)
        )
        return "pass", f"no rule, no default drop ({packet.stage})", alert or alerting


def _packets(connection: Connection) -> list[Packet]:
    if connection.transport != "tcp":
        first = Packet("first packet", True, False, False, False, data=True)
        if connection.transport != "udp":
            return [first]
        return [first, Packet("reply", False, True, False, False, data=True)]
    app = connection.application in _APP_PROTOCOLS
    packets = [
        Packet("SYN", True, False, False, False, client_bytes=1),
        Packet("SYN-ACK", False, False, False, False, client_bytes=1),
        Packet("ACK", True, False, False, False, client_bytes=1),
    ]
    count = connection.segments if app else 1
    size = -(-_OPENING_BYTES[connection.application] // count)
    sent = 1
    for index in range(1, count + 1):
        sent += size
        payload = _FIRST_PAYLOAD[connection.application] if index == 1 else b"\xab" * 4
        segment = Packet(f"segment {index}/{count}", True, True, True, index == count, payload, True, sent)
        packets.append(segment)
        if index == 1 and count > 1:
            packets.append(Packet("server ACK of a partial segment", False, True, True, False, client_bytes=sent))
    packets.append(Packet("server answer", False, True, True, True, b"\x17\x03\x03", True, sent))
    return packets


def _group_rules(key: str, rule_group: Mapping[str, Any], home_net: tuple[str, ...]) -> list[_Rule]:
    variables: dict[str, tuple[str, ...]] = {"HOME_NET": home_net}
    ip_sets = rule_group.get("RuleVariables", {}).get("IPSets", {})
    for name, ip_set in ip_sets.items():
        variables[name] = tuple(ip_set["Definition"])
    source = rule_group["RulesSource"]
    if "RulesSourceList" in source:
        return _domain_list_rules(key, source["RulesSourceList"], variables["HOME_NET"], home_net)
    rules: list[_Rule] = []
    for line in str(source.get("RulesString", "")).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rules.append(_parse_rule(key, line, variables))
    return rules


def _domain_list_rules(
    key: str, source_list: Mapping[str, Any], home_net: tuple[str, ...], policy_home_net: tuple[str, ...]
) -> list[_Rule]:
    """Pass rules only: under STRICT_ORDER a domain list generates no drop rule of its own."""
    if source_list["GeneratedRulesType"] != "ALLOWLIST":
        raise ValueError(f"{key}: only ALLOWLIST domain lists are modelled")
    home = _address_test("$HOME_NET", {"HOME_NET": home_net})
    # EXTERNAL_NET follows the policy's HOME_NET, not a group-level override (aws-security-services-best-practices,
    # firewall-policy-configuration).
    external = _address_test("!$HOME_NET", {"HOME_NET": policy_home_net})
    rules: list[_Rule] = []
    for target_type in source_list["TargetTypes"]:
        protocol = "tls" if target_type == "TLS_SNI" else "http"
        buffer: Buffer = "tls.sni" if target_type == "TLS_SNI" else "http.host"
        for index, target in enumerate(source_list["Targets"]):
            suffix = target.startswith(".")
            content = _Content(buffer, target, not suffix, True, protocol == "tls", suffix)
            flow = frozenset({"to_server", "established"})
            rules.append(
                _Rule(key, index + 1, "pass", protocol, home, external, _any_port, _any_port, False, flow, (content,))
            )
    return rules


def _any_port(port: int) -> bool:
    return True


def _split_options(text: str) -> list[tuple[str, str | None]]:
    options: list[tuple[str, str | None]] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            option = "".join(current).strip()
            if option:
                name, _, value = option.partition(":")
                options.append((name.strip(), value.strip() if value else None))
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        raise ValueError(f"option not closed by ';': {''.join(current).strip()!r}")
    return options


def _content_value(raw: str) -> str:
    """A content string with its ``|hex|`` parts decoded."""
    text = raw.strip('"')
    return re.sub(r"\|([0-9A-Fa-f ]+)\|", lambda match: bytes.fromhex(match.group(1)).decode("latin-1"), text)


def _parse_rule(key: str, line: str, variables: Mapping[str, tuple[str, ...]]) -> _Rule:
    header = _HEADER.match(line.strip())
    if not header:
        raise ValueError(f"{key}: not a rule: {line!r}")
    sid: int | None = None
    flow: frozenset[str] | None = None
    contents: list[_Content] = []
    buffer: Buffer | None = None
    pending_dotprefix = False
    ip_protocols: list[tuple[bool, int]] = []
    flowbits: list[tuple[str, str]] = []
    ssl_client_hello = noalert = pass_alert = False
    dsize: tuple[str, int] | None = None
    client_bytes_below: int | None = None
    for name, value in _split_options(header["options"]):
        if name not in _KNOWN_OPTIONS:
            raise ValueError(f"{key}: keyword {name!r} is not modelled: {line!r}")
        if name == "sid":
            sid = int(str(value))
        elif name == "ip_proto":
            ip_protocols.append(_ip_proto(str(value), line))
        elif name == "flow":
            flow = frozenset(part.strip() for part in str(value).split(","))
            if not flow <= _FLOW_OPTIONS:
                raise ValueError(f"{key}: flow options {sorted(flow - _FLOW_OPTIONS)} are not modelled: {line!r}")
        elif name == "flowbits":
            command, _, bit = str(value).partition(",")
            if command.strip() not in ("set", "unset", "isset", "isnotset") or not bit.strip():
                raise ValueError(f"{key}: flowbits {value!r} is not modelled: {line!r}")
            flowbits.append((command.strip(), bit.strip()))
        elif name == "ssl_state":
            if value != "client_hello":
                raise ValueError(f"{key}: ssl_state {value!r} is not modelled: {line!r}")
            ssl_client_hello = True
        elif name == "noalert":
            noalert = True
        elif name == "alert":
            pass_alert = True
        elif name in _BUFFERS:
            buffer = name  # type: ignore[assignment]
        elif name == "dotprefix":
            pending_dotprefix = True
        elif name == "content":
            if value is None:
                raise ValueError(f"{key}: content without a value: {line!r}")
            if value.startswith("!"):
                raise ValueError(f"{key}: negated content is not modelled: {line!r}")
            contents.append(
                _Content(buffer or "payload", _content_value(value), False, False, False, pending_dotprefix)
            )
            pending_dotprefix = False
        elif name in ("depth", "offset"):
            if not contents or contents[-1].buffer != "payload" or not str(value).isdigit():
                raise ValueError(f"{key}: {name} is modelled on payload content only: {line!r}")
            last = contents[-1]
            number = int(str(value))
            contents[-1] = replace(last, offset=number) if name == "offset" else replace(last, depth=number)
        elif name == "dsize":
            match = re.fullmatch(r"(>?)(\d+)", str(value))
            if match is None:
                raise ValueError(f"{key}: dsize {value!r} is not modelled: {line!r}")
            dsize = (match.group(1) or "=", int(match.group(2)))
        elif name == "stream_size":
            match = re.fullmatch(r"client\s*,\s*<\s*,\s*(\d+)", str(value))
            if match is None:
                raise ValueError(f"{key}: stream_size {value!r} is not modelled: {line!r}")
            client_bytes_below = int(match.group(1))
        elif name in ("startswith", "endswith", "nocase"):
            if not contents:
                raise ValueError(f"{key}: {name} before any content: {line!r}")
            last = contents[-1]
            contents[-1] = _Content(
                last.buffer,
                last.value,
                last.startswith or name == "startswith",
                last.endswith or name == "endswith",
                last.nocase or name == "nocase",
                last.dotprefix,
            )
    if sid is None:
        raise ValueError(f"{key}: rule without sid: {line!r}")
    if flow is None and header["protocol"] not in _APP_PROTOCOLS and not contents:
        # Without flow: a tcp/udp/ip rule is IP-only: Suricata judges it on the first packet and locks the flow
        # (out of strict order). We never emit one, so the model refuses rather than guess.
        raise ValueError(f"{key}: an IP-only rule (no flow keyword) is not modelled: {line!r}")
    return _Rule(
        group=key,
        sid=sid,
        action=header["action"],
        protocol=header["protocol"],
        source=_address_test(header["source"], variables),
        destination=_address_test(header["destination"], variables),
        source_port=_port_test(header["source_port"]),
        destination_port=_port_test(header["destination_port"]),
        both_ways=header["direction"] == "<>",
        flow=flow or frozenset(),
        contents=tuple(contents),
        ip_protocols=tuple(ip_protocols),
        flowbits=tuple(flowbits),
        ssl_client_hello=ssl_client_hello,
        noalert=noalert,
        pass_alert=pass_alert,
        dsize=dsize,
        client_bytes_below=client_bytes_below,
    )


def _ip_proto(value: str, line: str) -> tuple[bool, int]:
    negated = value.startswith("!")
    name = value[1:] if negated else value
    if name.isdigit() and 0 <= int(name) <= 255:
        return negated, int(name)
    if name.lower() in IP_PROTOCOLS:
        return negated, IP_PROTOCOLS[name.lower()]
    raise ValueError(f"ip_proto {value!r} is not modelled: {line!r}")


def _address_test(expression: str, variables: Mapping[str, tuple[str, ...]]) -> AddressTest:
    if expression == "any":
        return lambda address: True
    if expression.startswith("!"):
        inner = _address_test(expression[1:], variables)
        return lambda address: not inner(address)
    if expression.startswith("$"):
        name = expression[1:]
        if name == "EXTERNAL_NET" and name not in variables:
            return _address_test("!$HOME_NET", variables)
        if name not in variables:
            raise ValueError(f"undefined variable ${name}")
        return _address_test("[" + ",".join(variables[name]) + "]", variables)
    if expression.startswith("[") and expression.endswith("]"):
        tests = [_address_test(item.strip(), variables) for item in _split_list(expression[1:-1])]
        return lambda address: any(test(address) for test in tests)
    network = ipaddress.ip_network(expression, strict=False)
    return lambda address: address.version == network.version and address in network


def _split_list(text: str) -> list[str]:
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "," and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item for item in items if item.strip()]


def _port_test(expression: str) -> PortTest:
    if expression == "any":
        return _any_port
    if expression.startswith("!"):
        inner = _port_test(expression[1:])
        return lambda port: not inner(port)
    if expression.startswith("[") and expression.endswith("]"):
        tests = [_port_test(item.strip()) for item in _split_list(expression[1:-1])]
        return lambda port: any(test(port) for test in tests)
    if ":" in expression:
        low, _, high = expression.partition(":")
        first, last = int(low or 0), int(high or 65535)
        return lambda port: first <= port <= last
    wanted = int(expression)
    return lambda port: port == wanted
