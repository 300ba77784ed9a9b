"""Field checks: can this machine reach every host and port of a plan, and is anyone decrypting the traffic?

For each plan rule this resolves the name, opens a TCP connection and, for TLS rules, completes a handshake with
SNI. The certificate is validated first against the public roots (certifi's bundle, or a bundle the caller names);
a chain that fails there is reported as ``intercepted``, and checked again against the machine's own store (or a
given CA file) to tell a corporate inspection CA (accepted locally) from a broken or foreign certificate. The
vendor pins its certificates, so an agent fails in both cases, and both fail the check.

HTTP rules (port 80, clear text) get DNS and TCP only: sending a request would prove nothing about the agent's
own requests and could be logged as one.

Through an explicit HTTP proxy (``Proxy``), the proxy resolves the names, so the local DNS phase is skipped; TCP is
the connection to the proxy, and a ``proxy`` phase records its answer: ``CONNECT host:port`` for TLS rules (then
the same handshake and trust comparison inside the tunnel, which is how a proxy that decrypts the vendor's hosts
shows up), ``HEAD http://host/`` for HTTP rules, since a proxy's allow-list is only visible in its answer to a
request. This module is the only place in the package that opens connections.
"""

from __future__ import annotations

import base64
import concurrent.futures
import ipaddress
import re
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .catalog.plan import EgressPlan
from .compile.escape import terminal_text
from .errors import SepEgressError

Status = Literal["ok", "failed", "timeout", "skipped", "not-applicable"]
DnsSource = Literal["system", "override", "proxy"]
Address = tuple[str, int]
#: Resolves ``(host, port)`` to the addresses to try, in order; raises ``OSError`` (or ``TimeoutError``) on failure.
Resolver = Callable[[str, int, float], list[Address]]

MAX_ADDRESSES = 3  # how many resolved addresses a check tries before giving up (bounds the time per target)
MAX_HEAD = 64 * 1024  # a proxy's answer head longer than this is not an HTTP proxy talking
USER_ENV = "SEP_EGRESS_PROXY_USER"
PASSWORD_ENV = "SEP_EGRESS_PROXY_PASSWORD"  # noqa: S105 - the name of the variable, not a password


class CheckError(SepEgressError):
    """A check option is invalid (an override, a CA file, a timeout)."""


@dataclass(frozen=True, slots=True)
class Target:
    """One host and port to check, with the plan rule's provenance."""

    host: str
    port: int
    protocol: Literal["tls", "http"]
    match: Literal["exact", "suffix"] = "exact"
    roles: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()


def targets_from_plan(plan: EgressPlan, only: Iterable[str] = ()) -> list[Target]:
    """Every host rule of ``plan`` (a suffix rule is checked on the domain name itself), optionally only ``only``."""
    wanted = {name.lower().rstrip(".") for name in only}
    targets = [
        Target(rule.host, rule.port, rule.protocol, rule.match, tuple(rule.roles), rule.ids)
        for rule in plan.allow
        if not wanted or rule.host in wanted
    ]
    missing = wanted - {target.host for target in targets}
    if missing:
        raise CheckError(f"--only: not in the plan: {', '.join(sorted(missing))}")
    return targets


@dataclass(slots=True)
class Phase:
    """The outcome of one phase (dns, tcp or tls) of one check."""

    status: Status = "skipped"
    error: str | None = None
    ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "ms": None if self.ms is None else round(self.ms, 1)}


@dataclass(slots=True)
class DnsPhase(Phase):
    addresses: list[str] = field(default_factory=list)
    source: DnsSource = "system"

    def to_dict(self) -> dict[str, Any]:
        return {**Phase.to_dict(self), "addresses": self.addresses, "source": self.source}


@dataclass(slots=True)
class TcpPhase(Phase):
    address: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**Phase.to_dict(self), "address": self.address}


@dataclass(slots=True)
class TlsPhase(Phase):
    version: str | None = None
    issuer: str | None = None
    subject: str | None = None
    public_trust: bool | None = None
    local_trust: bool | None = None
    intercepted: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **Phase.to_dict(self),
            "version": self.version,
            "issuer": self.issuer,
            "subject": self.subject,
            "public_trust": self.public_trust,
            "local_trust": self.local_trust,
            "intercepted": self.intercepted,
        }


@dataclass(slots=True)
class ProxyPhase(Phase):
    """The proxy's answer to ``request``: ``code`` and ``reason`` from its status line. Never holds credentials."""

    status: Status = "not-applicable"
    url: str | None = None
    request: str | None = None
    code: int | None = None
    reason: str | None = None
    authenticated: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **Phase.to_dict(self),
            "url": self.url,
            "request": self.request,
            "code": self.code,
            "reason": self.reason,
            "authenticated": self.authenticated,
        }


@dataclass(slots=True)
class CheckResult:
    """What one target's check found. ``ok`` is true only when every applicable phase passed."""

    target: Target
    dns: DnsPhase = field(default_factory=DnsPhase)
    tcp: TcpPhase = field(default_factory=TcpPhase)
    tls: TlsPhase = field(default_factory=TlsPhase)
    proxy: ProxyPhase = field(default_factory=ProxyPhase)

    @property
    def ok(self) -> bool:
        # Through a proxy, the local DNS phase is skipped on purpose: the proxy resolves the name.
        dns_ok = self.dns.status == "ok" or (self.dns.source == "proxy" and self.dns.status == "skipped")
        phases_ok = dns_ok and self.tcp.status == "ok" and self.proxy.status in ("ok", "not-applicable")
        return phases_ok and self.tls.status in ("ok", "not-applicable")

    @property
    def verdict(self) -> str:
        """A short reason for people: ``ok`` or the first phase that failed (``proxy 403`` names the proxy's code)."""
        if self.ok:
            return "ok"
        phases: tuple[tuple[str, Phase], ...] = (
            ("dns", self.dns),
            ("tcp", self.tcp),
            ("proxy", self.proxy),
            ("tls", self.tls),
        )
        for name, phase in phases:
            if phase.status in ("failed", "timeout"):
                if name == "tls" and self.tls.intercepted:
                    return "intercepted"
                if name == "proxy" and self.proxy.code is not None:
                    return f"proxy {self.proxy.code}"
                return f"{name} {phase.status}"
        return "failed"

    @property
    def error(self) -> str | None:
        """The first phase's error, for one line per failure."""
        return self.dns.error or self.tcp.error or self.proxy.error or self.tls.error

    def to_dict(self) -> dict[str, Any]:
        target = self.target
        return {
            "host": target.host,
            "port": target.port,
            "protocol": target.protocol,
            "match": target.match,
            "roles": list(target.roles),
            "ids": list(target.ids),
            "ok": self.ok,
            "verdict": self.verdict,
            "dns": self.dns.to_dict(),
            "tcp": self.tcp.to_dict(),
            "tls": self.tls.to_dict(),
            "proxy": self.proxy.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class TrustStores:
    """Which roots count as public (default: certifi's bundle) and which as the machine's own (default: the
    system store). Tests point ``public_cafile`` at a test CA to exercise the non-intercepted path offline.

    Each context is built once per ``TrustStores`` and shared by every handshake (an ``SSLContext`` may wrap
    sockets from several threads): loading a CA bundle costs milliseconds of CPU, which at 600 targets and three
    handshakes each was most of a run."""

    public_cafile: str | None = None
    local_cafile: str | None = None
    _contexts: dict[str, ssl.SSLContext] = field(default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def _cached(self, key: str, build: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        with self._lock:
            context = self._contexts.get(key)
            if context is None:
                context = self._contexts[key] = build()
            return context

    def public_context(self) -> ssl.SSLContext:
        return self._cached("public", lambda: _context(self.public_cafile or _certifi_bundle()))

    def local_context(self) -> ssl.SSLContext:
        return self._cached("local", lambda: _context(self.local_cafile))

    def unverified_context(self) -> ssl.SSLContext:
        """A context that accepts any certificate: only to read the issuer of one that no store accepts."""
        return self._cached("unverified", _unverified_context)

    @property
    def public_name(self) -> str:
        return self.public_cafile or "certifi"


def _certifi_bundle() -> str:
    try:
        import certifi  # only `check` needs it, and it may be absent where only exports run
    except ImportError:  # pragma: no cover - certifi ships with the project's dependencies today
        raise CheckError(
            "the public roots come from the 'certifi' package; install it or pass --public-ca-file"
        ) from None
    return str(certifi.where())


def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _context(cafile: str | None) -> ssl.SSLContext:
    try:
        # With a cafile, create_default_context trusts that file only, which is what makes the comparison honest.
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise CheckError(f"cannot load CA file {cafile}: {terminal_text(exc)}") from None
    return context


# --- name resolution -----------------------------------------------------------------------------------------------


def system_resolver(host: str, port: int, timeout: float) -> list[Address]:
    """``getaddrinfo`` with a deadline: it has none of its own, so it runs in a daemon thread we can walk away from."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome["value"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            outcome["error"] = exc
        except (UnicodeError, ValueError) as exc:  # the IDNA codec refuses the name (an empty or long label)
            outcome["error"] = OSError(f"not a name DNS can look up ({exc})")
        finally:
            done.set()

    threading.Thread(target=lookup, name=f"dns {host}", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"no answer within {timeout:g}s")
    if "error" in outcome:
        raise outcome["error"]
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in outcome["value"]:
        address = (str(sockaddr[0]), int(sockaddr[1]))
        if address not in addresses:
            addresses.append(address)
    return addresses


_CONNECT_TO = re.compile(
    r"^(?P<host>\*|[^:\[\]]+):(?P<port>\d{1,5}):(?P<addr>\[[0-9a-fA-F:.]+\]|[0-9.]+):(?P<to>\d{1,5})$"
)
_RESOLVE = re.compile(r"^(?P<host>\*|[^:\[\]]+):(?P<addr>\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+)$")


def _address(text: str, option: str, value: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        raise CheckError(f"{option} {value!r}: {text!r} is not an IP address") from None


def _port(text: str, option: str, value: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise CheckError(f"{option} {value!r}: port {port} is not 1-65535")
    return port


@dataclass(frozen=True, slots=True)
class Overrides:
    """Name overrides, like curl's: ``resolve`` maps a host (or ``*``) to addresses on the target's own port;
    ``connect_to`` maps ``(host, port)`` (host may be ``*``) to one address and port. Overridden names never reach
    the system resolver."""

    resolve: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    connect_to: Mapping[tuple[str, int], Address] = field(default_factory=dict)

    @classmethod
    def parse(cls, resolve: Sequence[str] = (), connect_to: Sequence[str] = ()) -> Overrides:
        """From ``--resolve HOST:IP`` and ``--connect-to HOST:PORT:IP:PORT`` values (IPv6 in brackets)."""
        names: dict[str, list[str]] = {}
        for value in resolve:
            match = _RESOLVE.match(value.strip())
            if match is None:
                raise CheckError(f"--resolve {value!r}: expected HOST:IP, e.g. liveupdate.symantec.com:127.0.0.1")
            names.setdefault(match["host"].lower(), []).append(_address(match["addr"], "--resolve", value))
        routes: dict[tuple[str, int], Address] = {}
        for value in connect_to:
            match = _CONNECT_TO.match(value.strip())
            if match is None:
                raise CheckError(
                    f"--connect-to {value!r}: expected HOST:PORT:IP:PORT, e.g. example.com:443:127.0.0.1:8443"
                )
            key = (match["host"].lower(), _port(match["port"], "--connect-to", value))
            routes[key] = (_address(match["addr"], "--connect-to", value), _port(match["to"], "--connect-to", value))
        return cls({host: tuple(addrs) for host, addrs in names.items()}, routes)

    def lookup(self, host: str, port: int) -> list[Address] | None:
        for key in ((host, port), ("*", port)):
            if key in self.connect_to:
                return [self.connect_to[key]]
        for name in (host, "*"):
            if name in self.resolve:
                return [(address, port) for address in self.resolve[name]]
        return None


# --- an explicit HTTP proxy ----------------------------------------------------------------------------------------


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
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
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
        return f"http://{_format((self.host, self.port))}"

    @property
    def authenticated(self) -> bool:
        return self.user is not None

    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` header value, or None without credentials."""
        if self.user is None:
            return None
        token = base64.b64encode(f"{self.user}:{self.password or ''}".encode()).decode("ascii")
        return f"Basic {token}"


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


def _authority(host: str, port: int) -> str:
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
    text = head.decode("iso-8859-1").replace("\r\n", "\n").strip("\n").split("\n")
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


def _tunnel(sock: socket.socket, target: Target, proxy: Proxy, timeout: float, phase: ProxyPhase | None) -> None:
    """``CONNECT`` through ``sock``; records the answer in ``phase`` if given. Raises ``OSError`` unless it is 2xx."""
    authority = _authority(target.host, target.port)
    request = f"CONNECT {authority}"
    answer = _send_and_read(sock, f"{request} HTTP/1.1", authority, proxy, timeout)
    if phase is not None:
        phase.code, phase.reason = answer.code, answer.reason
    if not 200 <= answer.code < 300:
        raise ProxyRefused(_refusal(answer, request, proxy))


def _head_via(result: CheckResult, sock: socket.socket, proxy: Proxy, timeout: float) -> None:
    """``HEAD http://host/`` through the proxy. A refusal the proxy marks as its own, a 407, a 403 (an origin's
    403 cannot be told from a proxy's without such a mark, and a check that passes a denial is worse than one that
    asks to look twice) or a gateway error fails; any other answer came from the origin: reachable."""
    target, phase = result.target, result.proxy
    authority = target.host if target.port == 80 else _authority(target.host, target.port)
    phase.request = f"HEAD http://{authority}/"
    answer = _send_and_read(sock, f"{phase.request} HTTP/1.1", authority, proxy, timeout)
    phase.code, phase.reason = answer.code, answer.reason
    marked = _marked(answer)
    refused = answer.code == 407 or (answer.code >= 400 and marked == "proxy")
    refused = refused or (answer.code in (403, 502, 503, 504) and marked is None)
    if refused:
        raise ProxyRefused(_refusal(answer, phase.request, proxy))


# --- one check -----------------------------------------------------------------------------------------------------


def _ms(start: float) -> float:
    return (time.monotonic() - start) * 1000.0


def _error_text(exc: BaseException) -> str:
    return terminal_text(_raw_error_text(exc))


def _raw_error_text(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return str(exc.verify_message or exc.reason or exc)
    if isinstance(exc, socket.gaierror):
        return f"name not resolved ({exc.strerror})"
    if isinstance(exc, TimeoutError | socket.timeout):
        return str(exc) or "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _name(value: Any) -> str | None:
    """``getpeercert()``'s issuer/subject tuples as ``CN=..., O=...``."""
    short = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C"}
    # Certificate names come from whoever answers: no escape sequence of theirs reaches a terminal.
    parts = [f"{short.get(key, key)}={terminal_text(text)}" for rdn in value or () for key, text in rdn]
    return ", ".join(parts) or None


#: Opens a fresh raw connection to the target (directly, or a new tunnel through the proxy) for another handshake.
Opener = Callable[[], socket.socket]


def _handshake(host: str, context: ssl.SSLContext, timeout: float, raw: socket.socket) -> ssl.SSLSocket:
    raw.settimeout(timeout)
    try:
        return context.wrap_socket(raw, server_hostname=host)
    except BaseException:
        raw.close()
        raise


def check_target(
    target: Target,
    *,
    timeout: float = 5.0,
    resolver: Resolver = system_resolver,
    overrides: Overrides | None = None,
    trust: TrustStores | None = None,
    proxy: Proxy | None = None,
) -> CheckResult:
    """Check one target: DNS, TCP and (for TLS) a handshake with SNI and the trust comparison; through ``proxy``,
    TCP to the proxy and its answer instead of DNS. Never raises for network trouble: every failure is recorded in
    the result. ``timeout`` bounds each phase and attempt."""
    trust = trust or TrustStores()
    result = CheckResult(target)
    if proxy is not None:
        return _check_via(result, proxy, timeout, resolver, trust)
    start = time.monotonic()
    overridden = (overrides or Overrides()).lookup(target.host, target.port)
    try:
        if overridden is not None:
            addresses, result.dns.source = overridden, "override"
        else:
            addresses = resolver(target.host, target.port, timeout)
        if not addresses:
            raise OSError("no address")
        result.dns.status = "ok"
        result.dns.addresses = [address for address, _ in addresses]
    except (OSError, TimeoutError) as exc:
        result.dns.status = "timeout" if isinstance(exc, TimeoutError) else "failed"
        result.dns.error = _error_text(exc)
        return result
    finally:
        result.dns.ms = _ms(start)

    connected = _connect(result.tcp, addresses, timeout)
    if connected is None:
        return result
    sock, address = connected
    if target.protocol != "tls":
        sock.close()
        result.tls.status = "not-applicable"
        return result
    _check_tls(result, sock, lambda: socket.create_connection(address, timeout=timeout), timeout, trust)
    return result


def _connect(tcp: TcpPhase, addresses: Sequence[Address], timeout: float) -> tuple[socket.socket, Address] | None:
    """A TCP connection to the first of ``addresses`` that accepts, recorded in ``tcp``."""
    start = time.monotonic()
    errors: list[str] = []
    try:
        for address in addresses[:MAX_ADDRESSES]:
            try:
                sock = socket.create_connection(address, timeout=timeout)
            except OSError as exc:
                tcp.status = "timeout" if isinstance(exc, TimeoutError) else "failed"
                errors.append(f"{_format(address)}: {_error_text(exc)}")
                continue
            tcp.status, tcp.address = "ok", _format(address)
            return sock, address
        tcp.error = "; ".join(errors)
        return None
    finally:
        tcp.ms = _ms(start)


def _check_via(
    result: CheckResult, proxy: Proxy, timeout: float, resolver: Resolver, trust: TrustStores
) -> CheckResult:
    target, phase = result.target, result.proxy
    result.dns.source = "proxy"  # status stays "skipped": the proxy resolves the target's name, not this machine
    phase.status, phase.url, phase.authenticated = "skipped", proxy.url, proxy.authenticated
    try:
        addresses = _proxy_addresses(proxy, resolver, timeout)
    except (OSError, TimeoutError) as exc:
        result.tcp.status = "timeout" if isinstance(exc, TimeoutError) else "failed"
        result.tcp.error = f"proxy {proxy.host}: {_error_text(exc)}"
        return result
    connected = _connect(result.tcp, addresses, timeout)
    if connected is None:
        result.tcp.error = f"proxy {result.tcp.error}"
        return result
    sock, address = connected
    start = time.monotonic()
    try:
        if target.protocol == "tls":
            phase.request = f"CONNECT {_authority(target.host, target.port)}"
            _tunnel(sock, target, proxy, timeout, phase)
        else:
            with sock:
                _head_via(result, sock, proxy, timeout)
        phase.status = "ok"
    except OSError as exc:  # TimeoutError included
        sock.close()
        phase.status = "timeout" if isinstance(exc, TimeoutError) else "failed"
        phase.error = _error_text(exc)
        return result
    finally:
        phase.ms = _ms(start)
    if target.protocol != "tls":
        result.tls.status = "not-applicable"
        return result

    def reopen() -> socket.socket:
        # Each extra handshake needs its own tunnel; the proxy must grant it again, or the comparison is moot.
        raw = socket.create_connection(address, timeout=timeout)
        try:
            _tunnel(raw, target, proxy, timeout, None)
        except BaseException:
            raw.close()
            raise
        return raw

    _check_tls(result, sock, reopen, timeout, trust)
    return result


def _proxy_addresses(proxy: Proxy, resolver: Resolver, timeout: float) -> list[Address]:
    try:
        return [(str(ipaddress.ip_address(proxy.host)), proxy.port)]
    except ValueError:
        pass
    addresses = resolver(proxy.host, proxy.port, timeout)
    if not addresses:
        raise OSError("no address")
    return addresses


def _format(address: Address) -> str:
    host, port = address
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _check_tls(result: CheckResult, sock: socket.socket, reopen: Opener, timeout: float, trust: TrustStores) -> None:
    tls = result.tls
    host = result.target.host
    start = time.monotonic()
    try:
        try:
            with _handshake(host, trust.public_context(), timeout, sock) as conn:
                peer = conn.getpeercert() or {}
                tls.version, tls.public_trust, tls.intercepted = conn.version(), True, False
                tls.issuer, tls.subject = _name(peer.get("issuer")), _name(peer.get("subject"))
                tls.status = "ok"
                return
        except ssl.SSLCertVerificationError as exc:
            tls.public_trust, tls.intercepted = False, True
            public_error = _error_text(exc)
        # The chain is not publicly trusted. A second and, if needed, third handshake tell a corporate inspection
        # CA the machine trusts from a certificate nobody here trusts, and name the issuer either way.
        tls.status = "failed"
        try:
            with _handshake(host, trust.local_context(), timeout, reopen()) as conn:
                peer = conn.getpeercert() or {}
                tls.version, tls.local_trust = conn.version(), True
                tls.issuer, tls.subject = _name(peer.get("issuer")), _name(peer.get("subject"))
                tls.error = (
                    f"not trusted by the public roots ({trust.public_name}: {public_error}) but accepted by the local "
                    "store: a TLS-inspecting proxy or firewall is decrypting this host; exempt it from inspection"
                )
                return
        except ssl.SSLCertVerificationError as exc:
            tls.local_trust = False
            local_error = _error_text(exc)
        with _handshake(host, trust.unverified_context(), timeout, reopen()) as conn:
            tls.version = conn.version()
            der = conn.getpeercert(binary_form=True)
            if der:
                tls.issuer, tls.subject = der_names(der)
        tls.error = (
            f"certificate trusted neither by the public roots ({public_error}) nor by the local store ({local_error})"
        )
    except (OSError, ssl.SSLError) as exc:
        if tls.status != "failed" or tls.error is None:
            tls.status = "timeout" if isinstance(exc, TimeoutError) else "failed"
            tls.error = (tls.error + "; " if tls.error else "") + _error_text(exc)
    finally:
        tls.ms = _ms(start)


# --- a few lines of DER, to name the issuer of a certificate no store accepts ---------------------------------------

_OIDS = {b"\x55\x04\x03": "CN", b"\x55\x04\x0a": "O", b"\x55\x04\x0b": "OU", b"\x55\x04\x06": "C"}


def _tlv(data: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``offset``."""
    tag = data[offset]
    length = data[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    end = start + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, start, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    items = []
    while start < end:
        item = _tlv(data, start)
        items.append(item)
        start = item[2]
    return items


def _der_name(data: bytes, start: int, end: int) -> str | None:
    parts = []
    for _, set_start, set_end in _children(data, start, end):
        for _, pair_start, pair_end in _children(data, set_start, set_end):
            (_, oid_start, oid_end), (_, value_start, value_end) = _children(data, pair_start, pair_end)[:2]
            key = _OIDS.get(data[oid_start:oid_end])
            if key:
                parts.append(f"{key}={terminal_text(data[value_start:value_end].decode('utf-8', 'replace'))}")
    return ", ".join(parts) or None


def der_names(der: bytes) -> tuple[str | None, str | None]:
    """(issuer, subject) of a DER certificate as ``CN=..., O=...``; ``(None, None)`` if it cannot be read."""
    try:
        _, cert_start, cert_end = _tlv(der, 0)
        _, tbs_start, tbs_end = _children(der, cert_start, cert_end)[0]
        fields = _children(der, tbs_start, tbs_end)
        if fields[0][0] == 0xA0:  # explicit version
            fields = fields[1:]
        # serial, signature algorithm, issuer, validity, subject
        issuer, subject = fields[2], fields[4]
        return _der_name(der, issuer[1], issuer[2]), _der_name(der, subject[1], subject[2])
    except (IndexError, ValueError):
        return None, None


# --- many checks ---------------------------------------------------------------------------------------------------


def check_all(
    targets: Sequence[Target],
    *,
    timeout: float = 5.0,
    concurrency: int = 16,
    resolver: Resolver = system_resolver,
    overrides: Overrides | None = None,
    trust: TrustStores | None = None,
    proxy: Proxy | None = None,
    progress: Callable[[int, int, CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Check ``targets`` concurrently; results come back in target order. ``progress(done, total, result)`` is
    called from the calling thread as each check finishes."""
    if timeout <= 0:
        raise CheckError("--timeout must be positive")
    trust = trust or TrustStores()
    # Load both stores once, up front: a bad CA file is a usage error, not 34 failed checks.
    trust.public_context()
    trust.local_context()
    results: dict[int, CheckResult] = {}
    workers = max(1, min(concurrency, len(targets) or 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
        futures = {
            pool.submit(
                check_target,
                target,
                timeout=timeout,
                resolver=resolver,
                overrides=overrides,
                trust=trust,
                proxy=proxy,
            ): index
            for index, target in enumerate(targets)
        }
        for future in concurrent.futures.as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if progress is not None:
                progress(len(results), len(targets), results[index])
    return [results[index] for index in range(len(targets))]
