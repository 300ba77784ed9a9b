"""``sep-egress check`` and ``sep_egress.connectivity`` against servers on 127.0.0.1 only.

A trustme CA plays the corporate TLS-inspection CA (or, passed as the "public" roots, a real public CA, so the
non-intercepted path is tested without the internet). Every name is mapped to 127.0.0.1 by an override or an
injected resolver, so no query or connection leaves the machine.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import trustme

from sep_egress.connectivity import (
    Overrides,
    Target,
    TrustStores,
    check_all,
    check_target,
)

from loopback import CATALOG_HOST as HOST
from loopback import LoopbackOrigin, free_port, tls_context, write_ca

OTHER = "telemetry.broadcom.com"


def no_dns(host: str, port: int, timeout: float) -> list[tuple[str, int]]:
    raise AssertionError(f"the system resolver must not be asked about {host}")


def to(port: int, host: str = HOST) -> Overrides:
    return Overrides(connect_to={(host, 443): ("127.0.0.1", port)})


def test_inspection_ca_is_reported_as_intercepted(ca: trustme.CA, ca_file: str) -> None:
    """The machine trusts the corporate CA (``--ca-file``); certifi's public roots do not: intercepted."""
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        result = check_target(
            Target(HOST, 443, "tls"), overrides=to(server.port), trust=TrustStores(local_cafile=ca_file), timeout=5
        )
    assert not result.ok
    assert result.verdict == "intercepted"
    assert (result.dns.status, result.dns.source, result.tcp.status) == ("ok", "override", "ok")
    tls = result.tls
    assert (tls.status, tls.intercepted, tls.public_trust, tls.local_trust) == ("failed", True, False, True)
    assert tls.issuer is not None
    assert "Corp Inspection" in tls.issuer
    assert tls.error is not None
    assert "accepted by the local store" in tls.error
    assert server.sni == [HOST, HOST]  # SNI sent on every handshake


def test_public_chain_is_not_intercepted(ca: trustme.CA, ca_file: str) -> None:
    """The trust bundle that counts as public is injectable, so the passing path needs no internet."""
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        result = check_target(
            Target(HOST, 443, "tls"), overrides=to(server.port), trust=TrustStores(public_cafile=ca_file), timeout=5
        )
    assert result.ok, result.to_dict()
    assert (result.tls.intercepted, result.tls.public_trust, result.tls.local_trust) == (False, True, None)
    assert result.tls.version is not None
    assert result.tls.version.startswith("TLS")
    assert result.tls.subject is not None
    assert server.sni == [HOST]


def test_certificate_nobody_trusts_still_names_its_issuer(ca: trustme.CA, tmp_path: Path) -> None:
    unrelated = write_ca(trustme.CA(), tmp_path / "unrelated.pem")
    with LoopbackOrigin(tls_context(ca, HOST)) as server:
        result = check_target(
            Target(HOST, 443, "tls"),
            overrides=to(server.port),
            trust=TrustStores(local_cafile=unrelated),
            timeout=5,
        )
    assert (result.tls.intercepted, result.tls.local_trust) == (True, False)
    assert result.tls.issuer is not None
    assert "Corp Inspection" in result.tls.issuer
    assert result.tls.error is not None
    assert "trusted neither" in result.tls.error


def test_wrong_name_is_not_trusted(ca: trustme.CA, ca_file: str) -> None:
    """A certificate for another name fails the hostname check even against the right roots."""
    with LoopbackOrigin(tls_context(ca, "other.example.org")) as server:
        result = check_target(
            Target(HOST, 443, "tls"), overrides=to(server.port), trust=TrustStores(public_cafile=ca_file), timeout=5
        )
    assert not result.ok
    assert result.tls.public_trust is False


def test_unreachable_port_fails_tcp() -> None:
    result = check_target(Target(HOST, 443, "tls"), overrides=to(free_port()), timeout=2)
    assert (result.dns.status, result.tcp.status, result.tls.status) == ("ok", "failed", "skipped")
    assert result.verdict == "tcp failed"
    assert result.tcp.error is not None
    assert "refused" in result.tcp.error.lower()


def test_silent_server_times_out_within_the_bound() -> None:
    with LoopbackOrigin() as server:
        start = time.monotonic()
        result = check_target(Target(HOST, 443, "tls"), overrides=to(server.port), timeout=0.5)
        elapsed = time.monotonic() - start
    assert result.tcp.status == "ok"
    assert result.tls.status == "timeout"
    assert result.verdict == "tls timeout"
    assert elapsed < 3


def test_dns_failure_and_timeout_come_from_the_resolver() -> None:
    def nxdomain(host: str, port: int, timeout: float) -> list[tuple[str, int]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    def slow(host: str, port: int, timeout: float) -> list[tuple[str, int]]:
        raise TimeoutError(f"no answer within {timeout:g}s")

    failed = check_target(Target(HOST, 443, "tls"), resolver=nxdomain)
    assert (failed.dns.status, failed.tcp.status, failed.verdict) == ("failed", "skipped", "dns failed")
    timed_out = check_target(Target(HOST, 443, "tls"), resolver=slow)
    assert (timed_out.dns.status, timed_out.verdict) == ("timeout", "dns timeout")


def test_http_targets_get_dns_and_tcp_only() -> None:
    with LoopbackOrigin() as server:
        result = check_target(
            Target(HOST, 80, "http"),
            overrides=Overrides(connect_to={(HOST, 80): ("127.0.0.1", server.port)}),
            resolver=no_dns,
        )
    assert result.ok
    assert result.tls.status == "not-applicable"


def test_overrides_resolve_every_name_without_dns(ca: trustme.CA, ca_file: str) -> None:
    with LoopbackOrigin(tls_context(ca, HOST, OTHER)) as server:
        overrides = Overrides.parse(connect_to=[f"*:443:127.0.0.1:{server.port}"])
        results = check_all(
            [Target(HOST, 443, "tls"), Target(OTHER, 443, "tls")],
            overrides=overrides,
            resolver=no_dns,
            trust=TrustStores(public_cafile=ca_file),
            timeout=5,
        )
    assert [result.target.host for result in results] == [HOST, OTHER]
    assert all(result.ok for result in results)


def test_checks_run_concurrently_and_keep_their_order() -> None:
    """Eight targets that each time out after 0.5 s finish in about 0.5 s, not 4 s."""
    with LoopbackOrigin() as server:
        targets = [Target(f"h{index}.example.org", 443, "tls") for index in range(8)]
        progress: list[int] = []
        start = time.monotonic()
        results = check_all(
            targets,
            overrides=Overrides.parse(connect_to=[f"*:443:127.0.0.1:{server.port}"]),
            resolver=no_dns,
            timeout=0.5,
            concurrency=8,
            progress=lambda done, total, result: progress.append(done),
        )
        elapsed = time.monotonic() - start
    assert [result.target for result in results] == targets
    assert progress == list(range(1, 9))
    assert elapsed < 2.5
