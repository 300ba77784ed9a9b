"""Wall time of `check` for 600 TLS targets at concurrency 256, all on 127.0.0.1, with TLS contexts built once per
run (as `check` does) against a context built for every handshake (as it did before).

Every target is a distinct name routed to one loopback TLS origin (a trustme certificate), checked as `check` does
by default: the public roots are certifi's bundle, which does not trust the test CA, so each target takes a
second handshake against the local store (the test CA, as `--ca-file`) and comes out `intercepted`. Nothing is
resolved and nothing leaves the machine. Loading certifi's ~150 roots costs milliseconds of CPU, so a context per
handshake dominates a large run (on a shared 2-core machine, two runs: 3.7-3.9 s against 27-52 s; in the slower
run some per-handshake checks even ran past their timeout and were misreported). Exit status 1 if the cached
run is not faster or not right.
"""

from __future__ import annotations

import ssl
import sys
import tempfile
import time
from pathlib import Path

import trustme

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sep_egress.connectivity import Overrides, Target, TrustStores, check_all  # noqa: E402
from sep_egress.connectivity.trust import certifi_bundle, load_context  # noqa: E402

from loopback import LoopbackOrigin, tls_context, write_ca  # noqa: E402

TARGETS = 600
CONCURRENCY = 256


class PerHandshakeTrust(TrustStores):
    """The behaviour before contexts were cached: every handshake loads its CA bundle again."""

    __slots__ = ()

    def public_context(self) -> ssl.SSLContext:

        return load_context(self.public_cafile or certifi_bundle())

    def local_context(self) -> ssl.SSLContext:
        return load_context(self.local_cafile)


def timed(trust: TrustStores, port: int) -> tuple[float, int]:
    targets = [Target(f"host{index}.example.com", 443, "tls") for index in range(TARGETS)]
    overrides = Overrides.parse(connect_to=[f"*:443:127.0.0.1:{port}"])
    start = time.perf_counter()
    results = check_all(targets, timeout=30, concurrency=CONCURRENCY, overrides=overrides, trust=trust)
    elapsed = time.perf_counter() - start
    return elapsed, sum(1 for result in results if result.tls.intercepted and result.tls.local_trust)


def main() -> int:
    ca = trustme.CA()
    names = [f"host{index}.example.com" for index in range(TARGETS)]
    with tempfile.TemporaryDirectory() as folder, LoopbackOrigin(tls_context(ca, *names)) as origin:
        ca_file = write_ca(ca, Path(folder) / "ca.pem")
        timed(TrustStores(local_cafile=ca_file), origin.port)  # warm up imports and the origin
        cached, cached_ok = timed(TrustStores(local_cafile=ca_file), origin.port)
        per_handshake, per_ok = timed(PerHandshakeTrust(local_cafile=ca_file), origin.port)
    print(f"bench_check: {TARGETS} loopback TLS targets, concurrency {CONCURRENCY}, Python {sys.version.split()[0]}")
    print(f"  contexts built once per run        {cached:7.2f} s  ({cached_ok}/{TARGETS} found intercepted)")
    print(f"  a context per handshake (before)   {per_handshake:7.2f} s  ({per_ok}/{TARGETS} found intercepted)")
    print(f"  speed-up                           {per_handshake / cached:7.2f}x")
    if per_ok < TARGETS:
        print(f"  (per handshake, {TARGETS - per_ok} checks ran out of time under the CPU load and were misreported)")
    return 0 if cached < per_handshake and cached_ok == TARGETS else 1


if __name__ == "__main__":
    raise SystemExit(main())
