"""Just enough of Suricata's rule syntax to tell what a ``pass`` rule lets out: its destination, its ports, the
host names it matches (``tls.sni`` / ``http.host`` content) and whether it passes only the TCP handshake.

This is not a validator: Network Firewall rejects malformed rules itself. Anything this parser cannot read is
left out of the host list and so counts as *no host match*, which makes the policies stricter, never laxer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .addresses import suricata_coverage

HostKind = Literal["exact", "suffix", "substring", "pattern"]

# Sticky buffers that carry the name a client asks for. tls_sni / http_host are the pre-Suricata-5 modifiers.
_HOST_BUFFERS = {"tls.sni": "tls.sni", "http.host": "http.host", "http.host.raw": "http.host"}
_LEGACY_MODIFIERS = {"tls_sni": "tls.sni", "http_host": "http.host", "http_raw_host": "http.host"}
_HEX = re.compile(r"\|([0-9A-Fa-f ]*)\|")


@dataclass(frozen=True, slots=True)
class HostMatch:
    """A name a rule matches: ``exact`` (startswith + endswith), ``suffix`` (dotprefix or a leading-dot endswith),
    ``substring`` (unanchored content: any name containing it), or ``pattern`` (pcre, which cannot be compared)."""

    name: str
    kind: HostKind
    buffer: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One parsed rule line."""

    line: int
    text: str
    action: str
    protocol: str
    destination: str
    destination_port: str
    options: tuple[tuple[str, str | None], ...]
    source: str = "any"

    @property
    def sid(self) -> str | None:
        for keyword, value in self.options:
            if keyword == "sid" and value:
                return value.strip()
        return None

    @property
    def label(self) -> str:
        """How a message names this rule: its sid when it has one, else its line."""
        sid = self.sid
        return f"line {self.line} (sid {sid})" if sid else f"line {self.line}"

    @property
    def handshake_only(self) -> bool:
        """Passes only a TCP handshake: ``flow:not_established`` on a ``tcp`` rule. Only TCP has a handshake: a UDP
        flow that gets no answer is never established, so ``pass udp ... flow:not_established`` passes it all."""
        if self.protocol != "tcp":
            return False
        for keyword, value in self.options:
            if keyword == "flow" and value and "not_established" in {part.strip() for part in value.split(",")}:
                return True
        return False

    @property
    def replies_only(self) -> bool:
        """Matches only what servers send back (``flow:to_client`` or ``from_server``): what a client sends out is
        on ``to_server`` packets, which another rule must pass and the pack judges on their own."""
        for keyword, value in self.options:
            if (
                keyword == "flow"
                and value
                and {part.strip() for part in value.split(",")} & {"to_client", "from_server"}
            ):
                return True
        return False

    #: One TLS record of 16 KiB and its 5-byte header, plus the 2 bytes Suricata's stream_size counts for the
    #: handshake's sequence numbers: the most a ClientHello needs (RFC 8446, section 5.1).
    CLIENT_HELLO_BYTES = 16391

    @property
    def byte_bounded(self) -> bool:
        """Lets out at most one ClientHello's worth of bytes per flow: a ``tcp`` pass on ``to_server`` packets with
        ``stream_size:client,<,N`` (N at most ``CLIENT_HELLO_BYTES``), or one that matches only empty segments
        (``dsize:0``, acknowledgements). Anything past the bound falls to the rules after it."""
        if self.protocol != "tcp":
            return False
        flow: set[str] = set()
        for keyword, value in self.options:
            if keyword == "flow" and value:
                flow |= {part.strip() for part in value.split(",")}
        for keyword, value in self.options:
            text = (value or "").replace(" ", "").lower()
            if keyword == "dsize" and text in ("0", "<1"):
                return True
            if keyword == "stream_size" and flow & {"to_server", "from_client"}:
                parts = text.split(",")
                if len(parts) == 3 and parts[0] == "client" and parts[2].isdigit():
                    limit = int(parts[2]) - (1 if parts[1] == "<" else 0)
                    if parts[1] in ("<", "<=") and limit < self.CLIENT_HELLO_BYTES:
                        return True
        return False

    def flowbits(self, command: str) -> tuple[str, ...]:
        """The flowbit names of every ``flowbits:<command>,a|b`` option (``set``, ``isset``, ...), in order."""
        names: list[str] = []
        for keyword, value in self.options:
            if keyword != "flowbits" or not value:
                continue
            verb, _, bits = value.partition(",")
            if verb.strip().lower() == command:
                names.extend(bit.strip() for bit in bits.replace("&", "|").split("|") if bit.strip())
        return tuple(names)

    def hosts(self) -> tuple[HostMatch, ...]:
        return host_matches(self.options)


def split_rules(text: str) -> list[tuple[int, str]]:
    """Rule lines with their 1-based line numbers; comments and blank lines dropped, ``\\`` continuations joined."""
    rules: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        rules.append((start, pending + line))
        pending = ""
    if pending.strip():
        rules.append((start, pending.strip()))
    return rules


def parse_options(body: str) -> tuple[tuple[str, str | None], ...]:
    """``keyword:value;`` pairs in order. Quotes and backslash escapes are honoured, so ``;`` inside a content
    string does not end the option."""
    options: list[tuple[str, str | None]] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in body:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            current.append(char)
            escaped = True
        elif char == '"':
            current.append(char)
            quoted = not quoted
        elif char == ";" and not quoted:
            _add_option(options, "".join(current))
            current = []
        else:
            current.append(char)
    _add_option(options, "".join(current))
    return tuple(options)


def _add_option(options: list[tuple[str, str | None]], text: str) -> None:
    text = text.strip()
    if not text:
        return
    keyword, colon, value = text.partition(":")
    options.append((keyword.strip().lower(), value.strip() if colon else None))


def parse_rule(line: int, text: str) -> Rule | None:
    """A rule line, or None when it does not have the ``action proto src sport dir dst dport (...)`` shape."""
    head, paren, rest = text.partition("(")
    fields = _header_fields(head)
    if len(fields) != 7 or not paren:
        return None
    body = rest[: rest.rfind(")")] if ")" in rest else rest
    return Rule(
        line=line,
        text=text,
        action=fields[0].lower(),
        protocol=fields[1].lower(),
        destination=fields[5],
        destination_port=fields[6],
        options=parse_options(body),
        source=fields[2],
    )


def _header_fields(head: str) -> list[str]:
    # Address and port groups may contain spaces inside brackets ("[10.0.0.0/8, 192.168.0.0/16]").
    fields: list[str] = []
    depth = 0
    current: list[str] = []
    for char in head.strip():
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char.isspace() and depth <= 0:
            if current:
                fields.append("".join(current))
                current = []
            continue
        current.append(char)
    if current:
        fields.append("".join(current))
    return fields


def parse_rules(text: str) -> list[Rule]:
    rules = []
    for line, rule_text in split_rules(text):
        rule = parse_rule(line, rule_text)
        if rule is not None:
            rules.append(rule)
    return rules


def decode_content(value: str) -> tuple[str, bool]:
    """A content argument as text, and whether it is negated (``content:!"x"``). ``|2e|`` hex bytes are decoded."""
    value = value.strip()
    negated = value.startswith("!")
    if negated:
        value = value[1:].strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    value = re.sub(r"\\(.)", r"\1", value)

    def hex_bytes(match: re.Match[str]) -> str:
        digits = match.group(1).replace(" ", "")
        try:
            return bytes.fromhex(digits).decode("latin-1")
        except ValueError:
            return match.group(0)

    return _HEX.sub(hex_bytes, value), negated


def host_matches(options: Sequence[tuple[str, str | None]]) -> tuple[HostMatch, ...]:
    """The names a rule's options match in a host buffer, each with how tightly it is anchored."""
    found: list[HostMatch] = []
    buffer: str | None = None
    # (name, buffer, modifiers) of the content being built; closed by the next content or sticky buffer.
    pending: tuple[str, str | None, set[str]] | None = None

    def close() -> None:
        nonlocal pending
        if pending is None:
            return
        name, where, modifiers = pending
        pending = None
        if where is None:
            return
        found.append(_classify(name, where, modifiers))

    for keyword, value in options:
        if keyword in _HOST_BUFFERS:
            close()
            buffer = _HOST_BUFFERS[keyword]
        elif "." in keyword and keyword not in ("tls.sni", "http.host"):
            # Any other sticky buffer (http.uri, tls.cert_subject, dns.query, ...) ends the host buffer.
            close()
            buffer = None
        elif keyword == "content" and value is not None:
            close()
            name, negated = decode_content(value)
            pending = None if negated else (name, buffer, set())
        elif keyword in _LEGACY_MODIFIERS and pending is not None:
            pending = (pending[0], _LEGACY_MODIFIERS[keyword], pending[2])
        elif keyword == "pcre" and buffer is not None:
            close()
            found.append(HostMatch(name=value or "", kind="pattern", buffer=buffer))
        elif keyword == "isdataat" and pending is not None:
            # isdataat:!1,relative right after a content: nothing follows it, the same anchor as endswith.
            compact = (value or "").replace(" ", "")
            if compact.startswith("!1") and "relative" in compact:
                pending[2].add("endswith")
        elif pending is not None:
            pending[2].add(keyword)
    close()
    return tuple(found)


def _classify(name: str, buffer: str, modifiers: set[str]) -> HostMatch:
    lowered = name.lower().rstrip(".")
    ends = "endswith" in modifiers
    if "dotprefix" in modifiers and ends:
        return HostMatch(name=lowered.lstrip("."), kind="suffix", buffer=buffer)
    if "startswith" in modifiers and ends:
        return HostMatch(name=lowered, kind="exact", buffer=buffer)
    if ends and lowered.startswith("."):
        return HostMatch(name=lowered.lstrip("."), kind="suffix", buffer=buffer)
    return HostMatch(name=lowered.lstrip("."), kind="substring", buffer=buffer)


def reaches_every_address(expression: str, variables: Mapping[str, Sequence[str]]) -> bool:
    """Whether a destination covers every address (or most of them), whatever its spelling: ``any``/``ANY``,
    ``0.0.0.0/0.0.0.0``, ``0::/0``, ``[0.0.0.0/1,128.0.0.0/1]``, ``::ffff:0:0/96``, a negation, an undefined
    ``$EXTERNAL_NET``. See ``addresses``."""
    return suricata_coverage(expression, variables).everywhere
