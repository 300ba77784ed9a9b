"""A model of how Network Firewall's stateful engine judges one connection under rule groups we compiled.

It reads the same request bodies we send to AWS (rules strings, domain lists, rule variables, the policy's default
actions and HOME_NET) and answers *pass* or *drop* for a connection described by its source, destination, port,
transport, application protocol and the name it presents (TLS SNI or HTTP Host). It exists to prove properties of
the compiled rules (every plan host passes from the roles that need it; other hosts, ports and sources do not),
so it is deliberately narrow:

- Connection level. TCP in two steps: the handshake (rules that can see a packet of a not-yet-established flow),
  then the established flow (every other rule). Every other transport (UDP, ICMP, GRE, ESP, ...) is judged on its
  *first packet*, which is never established: Suricata, and Network Firewall after it, count a UDP flow as
  established only once traffic has been seen from both sides, so the first packet, and every packet of a flow
  that gets no answer, is "not established". Under ``STRICT_ORDER`` the first ``pass`` or ``drop`` that matches
  decides; ``alert`` rules only log. When nothing matches, the policy's default actions apply:
  ``aws:drop_strict`` drops everything; ``aws:drop_established`` drops established TCP, not the handshake, and is
  read here as *not* dropping the first packet of a UDP or other flow. (AWS's developer guide also says that "for
  connectionless protocols, such as UDP and ICMP, the drop established action drops all packets", next to the
  both-sides rule; the model takes the weaker reading, so that a property proved here holds under either.)
- Only the Suricata subset we generate is understood (``msg``, ``flow``, ``sid``, ``rev``, ``ip_proto``,
  ``tls.sni``, ``http.host``, ``content``, ``startswith``, ``endswith``, ``nocase``, ``dotprefix``); anything
  else raises ``ValueError`` rather than being guessed.
- A domain list ``ALLOWLIST`` is read as the rules Network Firewall documents generating for it: pass the listed
  names (exact, or a leading dot for a domain and its subdomains) from HOME_NET to EXTERNAL_NET on any port, then
  drop the other names of that protocol from HOME_NET.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .aws import STATEFUL_DEFAULT_ACTIONS, AwsEgressSpec

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressTest = Callable[[Address], bool]
PortTest = Callable[[int], bool]
Transport = Literal["tcp", "udp", "icmp", "gre", "esp"]

#: IP protocol numbers of the transports a ``Connection`` can use, and the names ``ip_proto`` accepts for them.
IP_PROTOCOLS: dict[str, int] = {"icmp": 1, "tcp": 6, "udp": 17, "gre": 47, "esp": 50}

_HEADER = re.compile(
    r"^(?P<action>pass|drop|reject|alert)\s+(?P<protocol>\S+)\s+(?P<source>\S+)\s+(?P<source_port>\S+)\s+"
    r"(?P<direction>->|<>)\s+(?P<destination>\S+)\s+(?P<destination_port>\S+)\s+\((?P<options>.*)\)\s*$"
)
_KNOWN_OPTIONS = {
    "msg",
    "flow",
    "sid",
    "rev",
    "ip_proto",
    "tls.sni",
    "http.host",
    "content",
    "startswith",
    "endswith",
    "nocase",
    "dotprefix",
}
_APP_PROTOCOLS = {"tls", "http"}


@dataclass(frozen=True, slots=True)
class Connection:
    """One connection attempt through the firewall.

    ``application`` is what the client speaks once connected; ``name`` is the TLS SNI or HTTP Host it sends (None
    when it sends none). ``port`` is ignored by transports without ports (ICMP, GRE, ESP): only rules whose
    destination port is ``any`` can match them.
    """

    source: str
    port: int
    destination: str = "198.51.100.10"
    transport: Transport = "tcp"
    application: Literal["tls", "http", "other"] = "tls"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """``pass`` or ``drop``, whether it raised an alert, and what decided it (``group#sid`` or a default action)."""

    action: Literal["pass", "drop"]
    alert: bool
    decided_by: str

    @property
    def allowed(self) -> bool:
        return self.action == "pass"


@dataclass(frozen=True, slots=True)
class _Content:
    buffer: Literal["tls.sni", "http.host"]
    value: str
    startswith: bool
    endswith: bool
    nocase: bool
    dotprefix: bool

    def matches(self, connection: Connection) -> bool:
        if connection.name is None:
            return False
        if self.buffer == "tls.sni" and connection.application != "tls":
            return False
        if self.buffer == "http.host" and connection.application != "http":
            return False
        # Suricata normalises http.host to lower case; tls.sni is what the client sent.
        text = connection.name.lower() if self.buffer == "http.host" else connection.name
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


@dataclass(frozen=True, slots=True)
class _Rule:
    group: str
    sid: int
    action: str
    protocol: str
    source: AddressTest
    destination: AddressTest
    destination_port: PortTest
    flow: frozenset[str]
    contents: tuple[_Content, ...]
    ip_protocols: tuple[tuple[bool, int], ...] = ()  # (negated, number) per ip_proto keyword; all must hold

    @property
    def label(self) -> str:
        return f"{self.group}#{self.sid}"

    def header_matches(self, connection: Connection) -> bool:
        if connection.transport in ("tcp", "udp"):
            port_matches = self.destination_port(connection.port)
        else:
            port_matches = self.destination_port is _any_port
        return (
            self.source(ipaddress.ip_address(connection.source))
            and self.destination(ipaddress.ip_address(connection.destination))
            and port_matches
        )

    def protocol_matches(self, connection: Connection) -> bool:
        number = IP_PROTOCOLS[connection.transport]
        if not all((number != wanted) if negated else (number == wanted) for negated, wanted in self.ip_protocols):
            return False
        if self.protocol == "ip":
            return True
        if self.protocol in ("tcp", "udp", "icmp"):
            return connection.transport == self.protocol
        if self.protocol in _APP_PROTOCOLS:
            return connection.transport == "tcp" and connection.application == self.protocol
        return False

    def can_see_handshake(self) -> bool:
        return self.protocol in ("tcp", "ip") and not self.contents and "established" not in self.flow

    def can_see_first_packet(self) -> bool:
        """Whether the rule can match the first packet of a flow (which is not established), beyond TCP."""
        return "established" not in self.flow

    def can_see_established(self) -> bool:
        return "not_established" not in self.flow


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
    def from_spec(cls, spec: AwsEgressSpec) -> NetworkFirewallModel:
        """The model of the policy ``spec.firewall_policy`` describes (groups sorted by priority)."""
        ordered = sorted(spec.groups, key=lambda group: group.priority)
        return cls([(group.key, group.rule_group) for group in ordered], spec.home_net)

    def judge(self, connection: Connection) -> Verdict:
        if connection.transport != "tcp":
            return self._judge_first_packet(connection)
        alert = False
        for rule in self.rules:
            if rule.can_see_handshake() and rule.protocol_matches(connection) and rule.header_matches(connection):
                if rule.action == "alert":
                    alert = True
                    continue
                if rule.action in ("drop", "reject"):
                    return Verdict("drop", True, rule.label)
                break
        else:
            if "aws:drop_strict" in self.default_actions:
                return Verdict("drop", "aws:alert_strict" in self.default_actions, "aws:drop_strict")
        verdict, alert = self._first_match(connection, _Rule.can_see_established, alert)
        if verdict is not None:
            return verdict
        drops = {"aws:drop_established", "aws:drop_strict", "aws:drop_established_app_layer"}
        dropping = [action for action in self.default_actions if action in drops]
        alerting = any(action.startswith("aws:alert_") for action in self.default_actions)
        if dropping:
            return Verdict("drop", alerting, dropping[0])
        return Verdict("pass", alerting, "no default drop")

    def _first_match(
        self, connection: Connection, sees: Callable[[_Rule], bool], alert: bool
    ) -> tuple[Verdict | None, bool]:
        """Strict order: the first pass or drop rule that sees this packet and matches it decides; alert rules
        before it only add an alert. Returns (verdict or None when no rule decides, whether an alert fired)."""
        for rule in self.rules:
            if not (sees(rule) and rule.protocol_matches(connection) and rule.header_matches(connection)):
                continue
            if not all(content.matches(connection) for content in rule.contents):
                continue
            if rule.action == "alert":
                alert = True
                continue
            if rule.action == "pass":
                return Verdict("pass", alert, rule.label), alert
            return Verdict("drop", True, rule.label), alert
        return None, alert

    def _judge_first_packet(self, connection: Connection) -> Verdict:
        """UDP and every other non-TCP transport: the first packet decides, and it is not established."""
        verdict, alert = self._first_match(connection, _Rule.can_see_first_packet, False)
        if verdict is not None:
            return verdict
        if "aws:drop_strict" in self.default_actions:
            return Verdict("drop", alert or "aws:alert_strict" in self.default_actions, "aws:drop_strict")
        # No rule matched and the first packet is not established: aws:drop_established (read as above) lets it go.
        return Verdict("pass", alert or "aws:alert_strict" in self.default_actions, "first packet not established")


def _group_rules(key: str, rule_group: Mapping[str, Any], home_net: tuple[str, ...]) -> list[_Rule]:
    variables: dict[str, tuple[str, ...]] = {"HOME_NET": home_net}
    ip_sets = rule_group.get("RuleVariables", {}).get("IPSets", {})
    for name, ip_set in ip_sets.items():
        variables[name] = tuple(ip_set["Definition"])
    home = variables["HOME_NET"]
    source = rule_group["RulesSource"]
    if "RulesSourceList" in source:
        return _domain_list_rules(key, source["RulesSourceList"], home)
    rules: list[_Rule] = []
    for line in str(source.get("RulesString", "")).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            rules.append(_parse_rule(key, line, variables))
    return rules


def _domain_list_rules(key: str, source_list: Mapping[str, Any], home_net: tuple[str, ...]) -> list[_Rule]:
    if source_list["GeneratedRulesType"] != "ALLOWLIST":
        raise ValueError(f"{key}: only ALLOWLIST domain lists are modelled")
    home = _address_test("$HOME_NET", {"HOME_NET": home_net})
    external = _address_test("!$HOME_NET", {"HOME_NET": home_net})
    rules: list[_Rule] = []
    for target_type in source_list["TargetTypes"]:
        protocol = "tls" if target_type == "TLS_SNI" else "http"
        buffer: Literal["tls.sni", "http.host"] = "tls.sni" if target_type == "TLS_SNI" else "http.host"
        for index, target in enumerate(source_list["Targets"]):
            suffix = target.startswith(".")
            content = _Content(buffer, target, not suffix, True, True, suffix)
            flow = frozenset({"to_server", "established"})
            rules.append(_Rule(key, index + 1, "pass", protocol, home, external, _any_port, flow, (content,)))
        flow = frozenset({"to_server", "established"})
        rules.append(_Rule(key, 0, "drop", protocol, home, external, _any_port, flow, ()))
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


def _parse_rule(key: str, line: str, variables: Mapping[str, tuple[str, ...]]) -> _Rule:
    header = _HEADER.match(line.strip())
    if not header:
        raise ValueError(f"{key}: not a rule: {line!r}")
    if header["direction"] != "->" or header["source_port"] != "any":
        raise ValueError(f"{key}: only one-way rules from any source port are modelled: {line!r}")
    sid: int | None = None
    flow: frozenset[str] = frozenset()
    contents: list[_Content] = []
    buffer: Literal["tls.sni", "http.host"] | None = None
    pending_dotprefix = False
    ip_protocols: list[tuple[bool, int]] = []
    for name, value in _split_options(header["options"]):
        if name not in _KNOWN_OPTIONS:
            raise ValueError(f"{key}: keyword {name!r} is not modelled: {line!r}")
        if name == "sid":
            sid = int(str(value))
        elif name == "ip_proto":
            ip_protocols.append(_ip_proto(str(value), line))
        elif name == "flow":
            flow = frozenset(part.strip() for part in str(value).split(","))
        elif name in ("tls.sni", "http.host"):
            buffer = "tls.sni" if name == "tls.sni" else "http.host"
        elif name == "dotprefix":
            pending_dotprefix = True
        elif name == "content":
            if buffer is None or value is None:
                raise ValueError(f"{key}: content outside a sticky buffer: {line!r}")
            contents.append(_Content(buffer, value.strip('"'), False, False, False, pending_dotprefix))
            pending_dotprefix = False
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
    return _Rule(
        group=key,
        sid=sid,
        action=header["action"],
        protocol=header["protocol"],
        source=_address_test(header["source"], variables),
        destination=_address_test(header["destination"], variables),
        destination_port=_port_test(header["destination_port"]),
        flow=flow,
        contents=tuple(contents),
        ip_protocols=tuple(ip_protocols),
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
