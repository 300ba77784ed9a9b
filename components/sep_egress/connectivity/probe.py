"""Running checks: DNS, TCP and TLS for one target (directly or through a proxy), and many targets at once."""

from __future__ import annotations

import concurrent.futures
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Sequence

from ..escape import terminal_text
from .proxy import Proxy, authority, head_via, tunnel
from .resolve import Address, Overrides, Resolver, format_address, system_resolver
from .results import CheckError, CheckResult, Target, TcpPhase
from .trust import TrustStores, certificate_name, der_names

MAX_ADDRESSES = 3  # how many resolved addresses a check tries before giving up (bounds the time per target)


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
                errors.append(f"{format_address(address)}: {_error_text(exc)}")
                continue
            tcp.status, tcp.address = "ok", format_address(address)
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
            phase.request = f"CONNECT {authority(target.host, target.port)}"
            tunnel(sock, target, proxy, timeout, phase)
        else:
            with sock:
                head_via(result, sock, proxy, timeout)
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
            tunnel(raw, target, proxy, timeout, None)
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


def _check_tls(result: CheckResult, sock: socket.socket, reopen: Opener, timeout: float, trust: TrustStores) -> None:
    tls = result.tls
    host = result.target.host
    start = time.monotonic()
    try:
        try:
            with _handshake(host, trust.public_context(), timeout, sock) as conn:
                peer = conn.getpeercert() or {}
                tls.version, tls.public_trust, tls.intercepted = conn.version(), True, False
                tls.issuer, tls.subject = certificate_name(peer.get("issuer")), certificate_name(peer.get("subject"))
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
                tls.issuer, tls.subject = certificate_name(peer.get("issuer")), certificate_name(peer.get("subject"))
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
