"""Just enough of Suricata's rule syntax to tell what a ``pass`` rule lets out: its destination, its ports, the
host names it matches (``tls.sni`` / ``http.host`` content) and whether it passes only the TCP handshake.

This is not a validator: Network Firewall rejects malformed rules itself. Anything this parser cannot read is
left out of the host list and so counts as *no host match*, which makes the policies stricter, never laxer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

HostKind = Literal["exact", "suffix", "substring", "pattern"]

# Sticky buffers that carry the name a client asks for. tls_sni / http_host are the pre-Suricata-5 modifiers.
_HOST_BUFFERS = {"tls.sni": "tls.sni", "http.host": "http.host", "http.host.raw": "http.host"}
_LEGACY_MODIFIERS = {"tls_sni": "tls.sni", "http_host": "http.host", "http_raw_host": "http.host"}
_EVERY_ADDRESS = {"any", "0.0.0.0/0", "::/0", "$EXTERNAL_NET"}
_HEX = re.compile(r"\|([0-9A-Fa-f ]*)\|")
#: The flowbit sep-egress's guard group sets while a ClientHello or HTTP request is incomplete.
PENDING_FLOWBIT = "sep_egress_pending"
#: The flowbit sep-egress's address-range passes set on the flows they allow (the guard passes their replies).
RANGE_FLOWBIT = "sep_egress_range"


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
        """Passes only what it takes to read the SNI or Host, not the session: ``flow:not_established`` (the TCP
        handshake), ``flowbits:isset,sep_egress_pending`` (the segments of a ClientHello or HTTP request that is
        not complete yet: sep-egress's guard sets that flowbit and refuses the flow once the name is known), or
        ``flowbits:isset,sep_egress_range`` (the replies on a flow an address-range pass, judged on its own, let
        out)."""
        for keyword, value in self.options:
            if keyword == "flow" and value and "not_established" in {part.strip() for part in value.split(",")}:
                return True
            gate = [part.strip() for part in (value or "").split(",")]
            if keyword == "flowbits" and gate in (["isset", PENDING_FLOWBIT], ["isset", RANGE_FLOWBIT]):
                return True
        return False

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


def resolve_addresses(expression: str, variables: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The address items of a rule's destination, variables expanded where the group defines them."""
    text = expression.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    items: list[str] = []
    for item in _split_group(text):
        if item.startswith("$") and item[1:] in variables:
            items.extend(variables[item[1:]])
        else:
            items.append(item)
    return tuple(items)


def _split_group(text: str) -> Iterable[str]:
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "," and depth == 0:
            yield "".join(current).strip()
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        yield "".join(current).strip()


def reaches_every_address(expression: str, variables: Mapping[str, Sequence[str]]) -> bool:
    """Whether a destination is everywhere: ``any``, ``0.0.0.0/0``, ``::/0``, ``$EXTERNAL_NET`` or a negation
    (``!10.0.0.0/8`` is everything else). An undefined variable is not assumed to be everywhere."""
    for item in resolve_addresses(expression, variables):
        if item in _EVERY_ADDRESS or item.startswith("!"):
            return True
        if item.startswith("[") and reaches_every_address(item, variables):
            return True
    return False
