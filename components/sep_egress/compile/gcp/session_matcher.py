"""Secure Web Proxy session matchers: the CEL subset ``secure_web_proxy`` emits, written, parsed and evaluated.

Google's reference (https://cloud.google.com/secure-web-proxy/docs/cel-matcher-language-reference) lists, for a
``SessionMatcher``: ``host()`` (the Host header of a plain HTTP request, the target of an HTTP CONNECT, without
the port), ``destination.port``, ``source.matchServiceAccount('<e-mail>')`` and ``source.matchTag('tagValues/N')``
(the secure tag value's permanent id), joined with ``&&``, ``||`` and ``!``; the Japanese edition of the same
page states at most 12 logical operators per expression
(https://cloud.google.com/secure-web-proxy/docs/cel-matcher-language-reference?hl=ja). ``endsWith`` is the CEL
string function (https://github.com/google/cel-spec/blob/master/doc/langdef.md#list-of-standard-definitions).

The grammar read here is exactly what the compiler writes, nothing more::

    expr    := and ( "||" and )*
    and     := unary ( "&&" unary )*
    unary   := "!" unary | "(" expr ")" | test
    test    := "host()" "==" STRING | "host()" ".endsWith(" STRING ")" | "destination.port" "==" INT
             | "source.matchServiceAccount(" STRING ")" | "source.matchTag(" STRING ")"

Strings are single-quoted with no escapes: every value the compiler quotes is a validated host name, service
account or tag value, and ``quoted`` refuses anything that would need one. Anything else is a ``MatcherError``,
so a test that parses every emitted matcher proves the compiler stays inside the subset Google documents.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

MAX_LOGICAL_OPERATORS = 12
_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\||==|!|\(|\)|,)|(?P<string>'[^'\\]*')|(?P<int>[0-9]+)"
    r"|(?P<name>host\(\)\.endsWith|host\(\)|destination\.port|source\.matchServiceAccount|source\.matchTag))"
)


class MatcherError(ValueError):
    """A session matcher outside the subset this module reads."""


@dataclass(frozen=True, slots=True)
class Session:
    """What a session matcher sees of one proxied connection: the requested host and port, and the source VM's
    service account and secure tag values."""

    host: str
    port: int
    service_account: str | None = None
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Test:
    """One attribute test: ``host`` (equals), ``suffix`` (``host().endsWith``), ``port``, ``account``, ``tag``."""

    kind: Literal["host", "suffix", "port", "account", "tag"]
    value: str

    def matches(self, session: Session) -> bool:
        if self.kind == "host":
            return session.host == self.value
        if self.kind == "suffix":
            return session.host.endswith(self.value)
        if self.kind == "port":
            return session.port == int(self.value)
        if self.kind == "account":
            return session.service_account == self.value
        return self.value in session.tags


@dataclass(frozen=True, slots=True)
class Node:
    """``op`` applied to ``items`` (``and``, ``or``), or ``not`` of one item."""

    op: Literal["and", "or", "not"]
    items: tuple[Node | Test, ...]

    def matches(self, session: Session) -> bool:
        if self.op == "and":
            return all(item.matches(session) for item in self.items)
        if self.op == "or":
            return any(item.matches(session) for item in self.items)
        return not self.items[0].matches(session)


Expression = Node | Test


def quoted(value: str) -> str:
    """``value`` as a CEL string literal; refused when it would need an escape (the compiler emits none)."""
    if (
        not value
        or any(char in value for char in "'\\\"")
        or any(ord(char) < 0x20 or ord(char) > 0x7E for char in value)
    ):
        raise MatcherError(f"{value!r} cannot be written as a plain single-quoted CEL string")
    return f"'{value}'"


def any_of(terms: Sequence[str]) -> str:
    """``terms`` joined by ``||``, parenthesised when there are several."""
    return terms[0] if len(terms) == 1 else "(" + " || ".join(terms) + ")"


def logical_operators(text: str) -> int:
    """How many ``&&``, ``||`` and ``!`` an expression uses (the quota Google states per expression)."""
    return sum(1 for kind, value in _tokens(text) if kind == "op" and value in ("&&", "||", "!"))


def parse(text: str) -> Expression:
    """The expression tree of ``text``; ``MatcherError`` for anything outside the subset."""
    tokens = _tokens(text)
    parser = _Parser(tokens)
    tree = parser.expression()
    if parser.position != len(tokens):
        raise MatcherError(f"unexpected {tokens[parser.position][1]!r} in {text!r}")
    return tree


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise MatcherError(f"cannot read {text[position : position + 20]!r} in {text!r}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, kind: str, value: str | None = None) -> str:
        token = self._peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise MatcherError(f"expected {value or kind}, found {token[1] if token else 'the end'}")
        self.position += 1
        return token[1]

    def expression(self) -> Expression:
        items = [self._conjunction()]
        while self._peek() == ("op", "||"):
            self.position += 1
            items.append(self._conjunction())
        return items[0] if len(items) == 1 else Node("or", tuple(items))

    def _conjunction(self) -> Expression:
        items = [self._unary()]
        while self._peek() == ("op", "&&"):
            self.position += 1
            items.append(self._unary())
        return items[0] if len(items) == 1 else Node("and", tuple(items))

    def _unary(self) -> Expression:
        token = self._peek()
        if token == ("op", "!"):
            self.position += 1
            return Node("not", (self._unary(),))
        if token == ("op", "("):
            self.position += 1
            inner = self.expression()
            self._take("op", ")")
            return inner
        return self._test()

    def _test(self) -> Test:
        name = self._take("name")
        if name == "host()":
            self._take("op", "==")
            return Test("host", self._string())
        if name == "destination.port":
            self._take("op", "==")
            return Test("port", str(int(self._take("int"))))
        self._take("op", "(")
        value = self._string()
        self._take("op", ")")
        kinds: dict[str, Literal["suffix", "account", "tag"]] = {
            "host().endsWith": "suffix",
            "source.matchServiceAccount": "account",
            "source.matchTag": "tag",
        }
        return Test(kinds[name], value)

    def _string(self) -> str:
        return self._take("string")[1:-1]
