"""Servers on 127.0.0.1 shared by the connectivity, check and Squid tests (pytest puts this folder on sys.path).

``LoopbackOrigin`` stands in for a vendor host; ``running_squid`` runs the real Squid from a generated configuration;
``TestProxy`` is a small CONNECT proxy in a thread.
Nothing here resolves a name or leaves the machine.
"""

from __future__ import annotations

import base64
import contextlib
import os
import pwd
import selectors
import shutil
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import pytest
import trustme

WAIT = 15.0  # generous: a loaded CI machine running Squid is slow, and every wait here is bounded by it
CATALOG_HOST = "liveupdate.symantec.com"  # an agent host of every on-prem plan, on port 443
OTHER_CATALOG_HOST = "liveupdate.symantecliveupdate.com"  # another one, which the test Squid resolves too
# The names the test Squid resolves to 127.0.0.1 through its hosts file.
SQUID_HOSTS = (CATALOG_HOST, OTHER_CATALOG_HOST, "inspect-me.example.org", "not-allowed.example")
PROXY_USER, PROXY_PASSWORD = "alice", "s3cret-Pa55"  # credentials for a TestProxy that asks for them


def tls_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    """A server context with a certificate from ``ca`` for ``names``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


def write_ca(ca: trustme.CA, path: Path) -> str:
    """Write ``ca``'s certificate to ``path`` (a trust bundle for ``--ca-file`` and friends); return the path."""
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def free_port() -> int:
    """A loopback port nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


HEAD_LIMIT = 65536  # no test sends a longer request head; a peer that does is cut off there


def read_head(sock: socket.socket, *, chunk: int = 4096) -> bytes:
    """Read until the end of an HTTP head, HEAD_LIMIT bytes, or until the peer stops sending. ``chunk=1`` reads
    nothing past the head (a proxy must not swallow what the client sends next)."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < HEAD_LIMIT and (received := sock.recv(chunk)):
        data += received
    return data


# What the Squid tests' origin answers, so a client can tell the origin's answer from the proxy's.
ORIGIN_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\norigin"


class LoopbackServer:
    """A server on 127.0.0.1 (``port`` 0: a free one) accepting in a thread until ``close()``, each connection
    handled in a thread of its own, or held open and silent while ``silent()`` says so. Subclasses set what their
    handler reads before calling ``__init__``, which starts accepting."""

    def __init__(self, *, port: int = 0, wait: float = WAIT) -> None:
        self.listener = socket.create_server(("127.0.0.1", port))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.wait = wait
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def silent(self) -> bool:
        return False

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.silent():
                self.held.append(conn)
            else:
                threading.Thread(target=self._handle_within_bounds, args=(conn,), daemon=True).start()

    def _handle_within_bounds(self, conn: socket.socket) -> None:
        conn.settimeout(self.wait)
        with contextlib.suppress(OSError), conn:
            self.handle(conn)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(self.wait)
        self.listener.close()
        for conn in self.held:
            conn.close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class LoopbackOrigin(LoopbackServer):
    """An origin server on 127.0.0.1 (``port`` 0: a free one), accepting in a thread until ``close()``.

    With a ``context`` it completes a TLS handshake on every connection and records the SNI in ``sni``; without one
    it speaks clear text. Then, with ``reply``, it reads the request head and answers ``reply``; without, a TLS
    origin reads until the client hangs up, and a clear-text one holds the connection open and silent until
    ``close()`` (a server that never answers, for timeout tests).
    """

    def __init__(self, context: ssl.SSLContext | None = None, *, reply: bytes | None = None, port: int = 0) -> None:
        self.context, self.reply = context, reply
        self.sni: list[str | None] = []
        if context is not None:

            def remember(sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, ctx: ssl.SSLContext) -> None:
                self.sni.append(name)

            context.sni_callback = remember
        super().__init__(port=port)

    def __enter__(self) -> LoopbackOrigin:
        return self

    def silent(self) -> bool:
        return self.context is None and self.reply is None

    def handle(self, conn: socket.socket) -> None:
        with contextlib.ExitStack() as stack:
            sock = (
                conn if self.context is None else stack.enter_context(self.context.wrap_socket(conn, server_side=True))
            )
            if self.reply is None:
                sock.recv(1)
            else:
                read_head(sock)
                sock.sendall(self.reply)


# --- the real Squid ------------------------------------------------------------------------------------------------


def find_squid() -> str:
    """The Squid binary; a missing Squid skips the calling test, except in CI (``CI`` set), where it fails it."""
    found = shutil.which("squid") or next(
        (path for path in ("/usr/sbin/squid", "/usr/local/sbin/squid") if os.access(path, os.X_OK)), None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("squid is not installed, and CI must run the Squid tests (.ci/run installs squid-openssl)")
        pytest.skip("squid is not installed (apt-get install squid-openssl); CI installs it")
    return found


def squid_parse(squid: str, conf: Path) -> str:
    """``squid -k parse``, which must pass without a warning; return its output."""
    result = subprocess.run(
        [squid, "-k", "parse", "-f", str(conf)], capture_output=True, text=True, timeout=WAIT, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Squid parses with warnings (a name covered by a suffix, an unknown option it ignores): those are bugs here.
    problems = [line for line in output.splitlines() if any(word in line for word in ("WARNING", "ERROR", "FATAL"))]
    assert not problems, output
    return output


class Squid:
    """A Squid running in the foreground from ``conf`` in ``workdir``; ``stop()`` always ends it."""

    def __init__(self, binary: str, workdir: Path, text: str, port: int, extra: str = "") -> None:
        self.port = port
        self.workdir = workdir
        hosts = workdir / "hosts"
        hosts.write_text(f"127.0.0.1 {' '.join(SQUID_HOSTS)}\n")
        conf = workdir / "squid.conf"
        conf.write_text(
            text
            + "\n# Test harness: everything under the test's own directory, names from the hosts file only.\n"
            + f"pid_filename {workdir / 'squid.pid'}\n"
            + f"cache_log {workdir / 'cache.log'}\n"
            + f"access_log stdio:{workdir / 'access.log'}\n"
            + f"coredump_dir {workdir}\n"
            + f"hosts_file {hosts}\n"
            + "dns_nameservers 127.0.0.1\n"
            + "visible_hostname sep-egress-test\n"
            + "shutdown_lifetime 0 seconds\n"
            + "pinger_enable off\n"
            + extra
        )
        if os.geteuid() == 0:
            # Squid drops root for cache_effective_user (Debian: proxy), which must be able to write its logs here.
            user = next((name for name in ("proxy", "nobody") if _has_user(name)), None)
            assert user is not None, "no unprivileged user for Squid to run as"
            for path in [workdir, *workdir.rglob("*")]:
                shutil.chown(path, user=user)
        squid_parse(binary, conf)
        self.process = subprocess.Popen(
            [binary, "-N", "-f", str(conf), "-n", f"sepegress{uuid.uuid4().hex[:8]}"],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "stderr.log").open("w"),
        )
        deadline = time.monotonic() + WAIT
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"squid exited with {self.process.returncode}: {self.logs()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"squid did not listen on {port} within {WAIT}s: {self.logs()}")
            time.sleep(0.1)

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for name in ("stderr.log", "cache.log")
            if (path := self.workdir / name).exists()
        )

    def access_log(self) -> str:
        path = self.workdir / "access.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(WAIT)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@contextlib.contextmanager
def running_squid(binary: str, workdir: Path, text: str, port: int, extra: str = "") -> Iterator[Squid]:
    proxy = Squid(binary, workdir, text, port, extra)
    try:
        yield proxy
    finally:
        proxy.stop()


# --- a CONNECT proxy in a thread ----------------------------------------------------------------------------------

PROXY_WAIT = 5.0


@dataclass
class Seen:
    """One request the proxy received: the request line and its headers (names lower-cased)."""

    line: str
    headers: dict[str, str] = field(default_factory=dict)


class TestProxy(LoopbackServer):
    """A CONNECT and absolute-form proxy on 127.0.0.1.

    ``allow`` maps ``host:port`` (as the client writes it) to the loopback address to reach; anything else gets 403.
    ``credentials`` makes it answer 407 unless the request carries them. ``mode``: ``tunnel`` (relay bytes),
    ``bump`` (answer 200, then terminate TLS itself with ``bump_context``), ``silent`` (accept, never answer),
    ``garbage`` (answer something that is not HTTP).
    """

    __test__ = False  # not a test class, despite its name

    def __init__(
        self,
        allow: dict[str, tuple[str, int]] | None = None,
        *,
        credentials: tuple[str, str] | None = None,
        mode: str = "tunnel",
        bump_context: ssl.SSLContext | None = None,
    ) -> None:
        self.allow = allow or {}
        self.credentials = credentials
        self.mode = mode
        self.bump_context = bump_context
        self.seen: list[Seen] = []
        super().__init__(wait=PROXY_WAIT)

    def silent(self) -> bool:
        return self.mode == "silent"

    def handle(self, conn: socket.socket) -> None:
        head = read_head(conn, chunk=1)
        if b"\r\n\r\n" not in head and len(head) < HEAD_LIMIT:
            return  # the client hung up before the end of its head
        lines = head.decode("latin-1").split("\r\n")
        seen = Seen(lines[0])
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                seen.headers[name.strip().lower()] = value.strip()
        self.seen.append(seen)
        if self.mode == "garbage":
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
            return
        method, target, _ = seen.line.split(" ", 2)
        if self.credentials is not None:
            token = base64.b64encode(":".join(self.credentials).encode()).decode()
            if seen.headers.get("proxy-authorization") != f"Basic {token}":
                conn.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                )
                return
        key = target if method == "CONNECT" else target.removeprefix("http://").split("/", 1)[0]
        if method != "CONNECT" and ":" not in key:
            key += ":80"
        upstream = self.allow.get(key)
        if upstream is None:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        if method == "CONNECT" and self.mode == "bump":
            assert self.bump_context is not None
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with self.bump_context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
            return
        try:
            origin = socket.create_connection(upstream, timeout=PROXY_WAIT)
        except OSError:
            conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        with origin:
            if method == "CONNECT":
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:
                path = "/" + target.removeprefix("http://").partition("/")[2]
                origin.sendall(f"{method} {path} HTTP/1.1\r\nHost: {key}\r\nConnection: close\r\n\r\n".encode())
            _relay(conn, origin)


def _relay(left: socket.socket, right: socket.socket) -> None:
    """Copy bytes both ways until either side closes, or nothing moves for PROXY_WAIT seconds."""
    with selectors.DefaultSelector() as selector:
        selector.register(left, selectors.EVENT_READ, right)
        selector.register(right, selectors.EVENT_READ, left)
        while events := selector.select(PROXY_WAIT):
            for key, _ in events:
                source = key.fileobj
                assert isinstance(source, socket.socket)
                data = source.recv(65536)
                if not data:
                    return
                key.data.sendall(data)


@contextlib.contextmanager
def running(server: TestProxy | LoopbackOrigin) -> Iterator[None]:
    try:
        yield
    finally:
        server.close()


def rude_proxy(head: bytes) -> LoopbackOrigin:
    """A "proxy" that answers every request with a fixed head (terminal escape sequences in its reason phrase and
    headers): the loopback origin, which reads the request head and answers ``reply``."""
    return LoopbackOrigin(reply=head)
