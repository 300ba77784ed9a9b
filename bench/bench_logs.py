"""Lines per second of `sep-egress logs explain` against a plain `json.loads` loop over the same file, and its
peak memory at 100,000 and 1,000,000 lines (bounded memory: it must not grow with the number of lines).

The file is AWS Network Firewall alert log lines of the prod stack (blocked and allowed, 40 destinations, one bad
line in 10,000), written once to a temporary folder, plain and gzip. `json.loads` is the floor: every line must be
parsed. The run of `logs explain` includes reading the stack (compiling its controls, which imports Pulumi and the
cloud SDKs: about a second and most of the memory), measured on a one-line file and subtracted for the rate.
Figures go to stdout; exit 1 if memory grows more than 1.5x from 100,000 to 1,000,000 lines.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINES = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
SIDS = {"agent": 416584868, "sepm": 445136181}


def line(index: int) -> bytes:
    if index % 10_000 == 9_999:
        return b'{"firewall_name":"fw","event":{"truncated\n'
    role = "agent" if index % 3 else "sepm"
    source = f"10.10.{index % 200}.{1 + index % 250}" if role == "agent" else "10.20.0.10"
    name = f"host{index % 40}.example.net" if index % 2 else "tses.broadcom.com"
    blocked = index % 2 == 1
    event = {
        "timestamp": "2026-12-01T00:00:00.000000+0000",
        "flow_id": index,
        "event_type": "alert",
        "src_ip": source,
        "src_port": 40000 + index % 20000,
        "dest_ip": f"198.51.100.{index % 40}",
        "dest_port": 443,
        "proto": "TCP",
        "app_proto": "tls",
        "tls": {"sni": name},
        "alert": {
            "action": "blocked" if blocked else "allowed",
            "signature_id": SIDS[role] if blocked else 1,
            "rev": 1,
            "signature": "",
            "category": "",
            "severity": 3,
        },
    }
    record = {
        "firewall_name": "fw",
        "availability_zone": "az-a",
        "event_timestamp": str(1796083200 + index),
        "event": event,
    }
    return json.dumps(record, separators=(",", ":")).encode() + b"\n"


def write(path: Path, count: int) -> None:
    with path.open("wb") as stream:
        for index in range(count):
            stream.write(line(index))


def json_loop(path: Path) -> float:
    start = time.perf_counter()
    parsed = 0
    with path.open("rb") as stream:
        for raw in stream:
            try:
                json.loads(raw)
            except ValueError:
                continue
            parsed += 1
    return time.perf_counter() - start


def explain(path: Path) -> tuple[float, int]:
    """Seconds and peak RSS (KiB) of `sep-egress logs explain PATH --stack prod` in a fresh process."""
    code = (
        "import resource, sys, time; from sep_egress.cli import main; start = time.perf_counter(); "
        f"rc = main(['logs', 'explain', {str(path)!r}, '--stack', 'prod', '--format', 'json', '-o', '/dev/null']); "
        "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, rss = run.stdout.split()
    return float(seconds), int(rss)


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        small, big, one = base / "small.jsonl", base / "big.jsonl", base / "one.jsonl"
        write(one, 1)
        write(small, LINES // 10)
        write(big, LINES)
        packed = base / "big.jsonl.gz"
        with big.open("rb") as source, gzip.open(packed, "wb", compresslevel=6) as target:
            target.write(source.read())
        floor = min(json_loop(big) for _ in range(2))
        setup, base_rss = explain(one)
        _, small_rss = explain(small)
        big_time, big_rss = explain(big)
        gzip_time, gzip_rss = explain(packed)
    rate = LINES / floor
    ours = LINES / max(big_time - setup, 1e-9)
    print(f"bench_logs: {LINES:,} AWS Network Firewall alert lines, Python {sys.version.split()[0]}")
    print(f"  json.loads loop (floor)           {floor:7.2f} s  {rate:12,.0f} lines/s")
    print(
        f"  logs explain --stack prod         {big_time:7.2f} s  {ours:12,.0f} lines/s "
        f"(stack setup {setup:.2f} s subtracted)"
    )
    print(f"  ratio to the floor                {ours / rate:7.2f}")
    print(f"  logs explain, gzip input          {gzip_time:7.2f} s  peak RSS {gzip_rss / 1024:6.1f} MiB")
    print(f"  peak RSS at         1 line      {base_rss / 1024:6.1f} MiB  (the stack read: Pulumi and the cloud SDKs)")
    print(f"  peak RSS at {LINES // 10:>9,} lines     {small_rss / 1024:6.1f} MiB")
    print(f"  peak RSS at {LINES:>9,} lines     {big_rss / 1024:6.1f} MiB  ({big_rss / small_rss:.2f}x)")
    return 0 if big_rss <= 1.5 * small_rss else 1


if __name__ == "__main__":
    raise SystemExit(main())
