"""An explicit HTTP proxy (``--via``): its URL and credentials (never printed), the request sent to it and its
answer, read within a deadline and stripped of terminal escape sequences before anything keeps it."""

from __future__ import annotations

import base64
import ipaddress
import re
import socket
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..escape import terminal_text
from .resolve import format_address
from .results import CheckError, CheckResult, ProxyPhase, Target

MAX_HEAD = 64 * 1024  # a proxy's answer head longer than this is not an HTTP proxy talking
USER_ENV = "SEP_EGRESS_PROXY_USER"
PASSWORD_ENV = "SEP_EGRESS_PROXY_PASSWORD"  # noqa: S105 - the name of the variable, not a password


def _redacted(value: str) -> str:
    """``value`` with everything before its last ``@`` (after any ``scheme://``) replaced by ``***``, so no message
    ever repeats a credential: a password may hold ``/``, ``?``, ``#`` or ``@``, which end a URL's user information
    for a parser but not for the person who typed it."""
    if "@" not in value:
        return value
    scheme, separator, rest = value.partition("://")
    if not separator:
        scheme, rest = "", value
    shown = "***@" + rest.rpartition("@")[2]
    return f"{scheme}://{shown}" if separator else shown


def _utf8(text: str) -> bool:
    """Whether ``text`` encodes as UTF-8 (an environment variable of other bytes arrives with surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _proxy_host(hostname: str | None, netloc: str, problem: str) -> str:
    """The proxy's host from a parsed URL, canonical: an IP address (IPv6 in brackets, no zone id) or a host name
    of ASCII labels that DNS can look up (the IDNA codec would refuse an empty or a 64-character label later)."""
    if not hostname or "%" in netloc.rpartition("@")[2]:
        raise CheckError(problem)
    if ":" in hostname or re.fullmatch(r"[0-9.]+", hostname):
        try:
            return str(ipaddress.ip_address(hostname))
        except ValueError:
            raise CheckError(problem) from None
    name = hostname.lower().removesuffix(".")
    labels = name.split(".")
    # A last label that is a number (decimal or 0x hex) makes the name an IPv4 address to URL parsers.
    numeric = labels[-1].isdigit() or re.fullmatch(r"0x[0-9a-f]*", labels[-1])
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels) or numeric:
        raise CheckError(problem)
    return name


@dataclass(frozen=True, slots=True)
class Proxy:
    """An explicit HTTP proxy (``--via http://HOST:PORT``), with Basic credentials when a user is given.

    The password never comes from the command line, where ``ps`` and shell history would show it: only from
    ``SEP_EGRESS_PROXY_PASSWORD``. The user may be in the URL (``http://alice@proxy:3128``) or in
    ``SEP_EGRESS_PROXY_USER``. Neither is ever printed; ``url`` is the proxy without them.
    """

    host: str
    port: int
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, value: str, environ: Mapping[str, str] | None = None) -> Proxy:
        environ = {} if environ is None else environ
        shown = _redacted(value)
        problem = f"--via {shown!r}: expected http://HOST:PORT, e.g. http://proxy.corp.example:3128"
        try:
            parts = urllib.parse.urlsplit(value.strip())
            port = parts.port
        except ValueError:
            raise CheckError(problem) from None
        if parts.scheme.lower() == "https":
            raise CheckError(f"--via {shown!r}: only plain http:// proxies are supported (TLS to the proxy is not)")
        if parts.scheme.lower() != "http" or not parts.hostname or port is None or not 1 <= port <= 65535:
            raise CheckError(problem)
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise CheckError(f"--via {shown!r}: a proxy URL has no path, query or fragment")
        if parts.password is not None:
            raise CheckError(
                f"--via {shown!r}: a password on the command line is visible to other users (ps, shell history); "
                f"put it in {PASSWORD_ENV} and give only the user in the URL or in {USER_ENV}"
            )
        host = _proxy_host(parts.hostname, parts.netloc, problem)
        if not re.fullmatch(r"(?:[^@]*@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}", parts.netloc):
            raise CheckError(problem)  # ASCII digits only: urllib accepts any script's digits in the port
        user = (
            urllib.parse.unquote(parts.username, errors="surrogateescape")
            if parts.username is not None
            else environ.get(USER_ENV) or None
        )
        password = environ.get(PASSWORD_ENV)
        for name, secret in ((USER_ENV + " or the URL's user", user), (PASSWORD_ENV, password)):
            if secret is not None and not _utf8(secret):
                # Never shown: only where it came from and why it cannot be sent.
                raise CheckError(f"--via: the proxy credentials in {name} are not UTF-8 text")
        if user is None:
            return cls(host, port)
        if ":" in user:  # Basic credentials are "user:password": a colon cannot be part of the user
            raise CheckError(f"--via: the proxy user may not contain ':' ({USER_ENV} or the URL)")
        if password is None:
            raise CheckError(f"--via: a proxy user is given but {PASSWORD_ENV} is not set")
        return cls(host, port, user, password)

    @property
    def url(self) -> str:
        return f"http://{format_address((self.host, self.port))}"

    @property
    def authenticated(self) -> bool:
        return self.user is not None

    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` header value, or None without credentials."""
        if self.user is None:
            return None
        token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode("ascii")
        return f"Basic {token}"

    def redact(self, text: str) -> str:
        """``text`` (something the proxy sent back) with any echo of the password or of the Basic token replaced
        by ``***``: a proxy that reflects the request must not put the credentials into a report."""
        authorization = self.authorization()
        secrets = [self.password, authorization, authorization.split(" ", 1)[1] if authorization else None]
        if self.password:  # as it reads when the answer's bytes are decoded as ISO-8859-1
            secrets.append(self.password.encode("utf-8").decode("iso-8859-1"))
        for secret in sorted((value for value in secrets if value), key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


@dataclass(frozen=True, slots=True)
class ProxyAnswer:
    """The status line and headers of a proxy's answer (header names lower-cased, repeats joined by ``, ``)."""

    code: int
    reason: str
    headers: Mapping[str, str]


class ProxyProtocolError(OSError):
    """What came back is not an HTTP answer (or the proxy hung up before finishing one)."""


class ProxyRefused(OSError):
    """The proxy answered, and not with a success."""


def authority(host: str, port: int) -> str:
    """``host:port`` as a request target (an IPv6 address in brackets)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _send_and_read(
    sock: socket.socket, request_line: str, host_header: str, proxy: Proxy, timeout: float
) -> ProxyAnswer:
    """Send one request to the proxy and read its answer's head, all within ``timeout``; never reads past the head,
    so the bytes after a ``200`` to ``CONNECT`` are left for the TLS handshake."""
    lines = [request_line, f"Host: {host_header}", "User-Agent: sep-egress-check"]
    authorization = proxy.authorization()
    if authorization is not None:
        lines.append(f"Proxy-Authorization: {authorization}")
    deadline = time.monotonic() + timeout
    sock.settimeout(timeout)
    sock.sendall(("\r\n".join([*lines, "", ""])).encode("ascii"))
    head = bytearray()
    while not (head.endswith(b"\r\n\r\n") or head.endswith(b"\n\n")):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete answer from the proxy within {timeout:g}s")
        sock.settimeout(remaining)
        try:
            # One byte at a time: a head is a few hundred bytes, and reading more could swallow the tunnel's start.
            chunk = sock.recv(1)
        except TimeoutError:
            raise TimeoutError(f"no complete answer from the proxy within {timeout:g}s") from None
        if not chunk:
            raise ProxyProtocolError(
                "the proxy closed the connection "
                + ("without answering" if not head else "in the middle of its answer")
            )
        head += chunk
        if len(head) > MAX_HEAD:
            raise ProxyProtocolError(f"the proxy's answer head is longer than {MAX_HEAD} bytes")
    text = proxy.redact(head.decode("iso-8859-1")).replace("\r\n", "\n").strip("\n").split("\n")
    match = re.fullmatch(r"HTTP/[0-9](?:\.[0-9])? ([0-9]{3})(?: (.*))?", text[0])
    if match is None:
        raise ProxyProtocolError(f"not an HTTP answer from the proxy: {terminal_text(repr(text[0][:80]))}")
    headers: dict[str, str] = {}
    for line in text[1:]:
        name, _, content = line.partition(":")
        key = name.strip().lower()
        # What the proxy says is printed: terminal escape sequences and controls go before anything keeps it.
        value = terminal_text(content.strip())
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return ProxyAnswer(int(match[1]), terminal_text((match[2] or "").strip()), headers)


def _proxy_says(answer: ProxyAnswer) -> str:
    """Squid names its own errors (``X-Squid-Error: ERR_ACCESS_DENIED 0``), RFC 9209 proxies in ``Proxy-Status``:
    worth showing, since they tell a proxy's decision from an origin's answer."""
    said = [answer.headers[name] for name in ("x-squid-error", "proxy-status") if answer.headers.get(name)]
    return f" [{'; '.join(said)}]" if said else ""


def _marked(answer: ProxyAnswer) -> Literal["proxy", "origin"] | None:
    """Whether an answer says it is the proxy's own or forwarded from the origin; None when it does not say."""
    status = answer.headers.get("proxy-status", "")
    if answer.headers.get("x-squid-error") or "error=" in status:
        return "proxy"
    if "received-status=" in status:
        return "origin"
    return None


def _refusal(answer: ProxyAnswer, request: str, proxy: Proxy) -> str:
    """What a non-success answer means, in words."""
    code = f"{answer.code} {answer.reason}".strip()
    if answer.code == 407:
        offered = sorted(
            {
                challenge.split()[0]
                for challenge in answer.headers.get("proxy-authenticate", "").split(",")
                if challenge.strip() and "=" not in challenge.split()[0]
            }
        )
        schemes = f"; it offers {', '.join(offered)}" if offered else ""
        if proxy.authenticated:
            return f"the proxy refused the credentials ({code}{schemes}; only Basic is supported)"
        return f"the proxy requires authentication ({code}{schemes}); set {USER_ENV} and {PASSWORD_ENV}"
    if answer.code == 403:
        return f"the proxy denies {request} ({code}){_proxy_says(answer)}"
    if answer.code in (502, 503, 504):
        return f"the proxy could not reach the host ({code}){_proxy_says(answer)}"
    return f"the proxy answered {code} to {request}{_proxy_says(answer)}"


def tunnel(sock: socket.socket, target: Target, proxy: Proxy, timeout: float, phase: ProxyPhase | None) -> None:
    """``CONNECT`` through ``sock``; records the answer in ``phase`` if given. Raises ``OSError`` unless it is 2xx."""
    where = authority(target.host, target.port)
    request = f"CONNECT {where}"
    answer = _send_and_read(sock, f"{request} HTTP/1.1", where, proxy, timeout)
    if phase is not None:
        phase.code, phase.reason = answer.code, answer.reason
    if not 200 <= answer.code < 300:
        raise ProxyRefused(_refusal(answer, request, proxy))


def head_via(result: CheckResult, sock: socket.socket, proxy: Proxy, timeout: float) -> None:
    """``HEAD http://host/`` through the proxy. A refusal the proxy marks as its own, a 407, a 403 (an origin's
    403 cannot be told from a proxy's without such a mark, and a check that passes a denial is worse than one that
    asks to look twice) or a gateway error fails; any other answer came from the origin: reachable."""
    target, phase = result.target, result.proxy
    where = target.host if target.port == 80 else authority(target.host, target.port)
    phase.request = f"HEAD http://{where}/"
    answer = _send_and_read(sock, f"{phase.request} HTTP/1.1", where, proxy, timeout)
    phase.code, phase.reason = answer.code, answer.reason
    marked = _marked(answer)
    refused = answer.code == 407 or (answer.code >= 400 and marked == "proxy")
    refused = refused or (answer.code in (403, 502, 503, 504) and marked is None)
    if refused:
        raise ProxyRefused(_refusal(answer, phase.request, proxy))
