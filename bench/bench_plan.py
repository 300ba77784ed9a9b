"""Time of `sep-egress plan --mode hybrid --version "14.3 RU1" --format json` against the import floor.

The floor is `python -c "import pydantic, yaml"`: the plan command cannot be faster than importing its own
dependencies, and must stay within 2x of it (it must not import pulumi or the cloud SDKs). Both are measured in
the same run, interleaved, as the median of N fresh processes. Exit status 1 when the ratio exceeds the goal.
The first run on a machine validates the catalog and caches the result; that cold run is printed too.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 15
GOAL = 2.0
PLAN = [sys.executable, "-m", "sep_egress", "plan", "--mode", "hybrid", "--version", "14.3 RU1", "--format", "json"]
FLOOR = [sys.executable, "-c", "import pydantic, yaml"]


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> int:
    timed(PLAN)  # warm the file cache and bytecode
    timed(FLOOR)
    plan_times, floor_times = [], []
    for _ in range(RUNS):
        plan_times.append(timed(PLAN))
        floor_times.append(timed(FLOOR))
    uncached_env = {**os.environ, "SEP_EGRESS_NO_CACHE": "1"}
    uncached = statistics.median(timed(PLAN, uncached_env) for _ in range(5))
    plan, floor = statistics.median(plan_times), statistics.median(floor_times)
    ratio = plan / floor
    print(f"bench_plan: {RUNS} runs each, medians, Python {sys.version.split()[0]}")
    print(f"  import pydantic, yaml (floor)          {floor * 1000:8.1f} ms")
    print(f"  sep-egress plan --mode hybrid (json)   {plan * 1000:8.1f} ms")
    print(f"  ratio                                   {ratio:8.2f}x  (goal <= {GOAL:.1f}x)")
    print(f"  without the catalog cache (first run)   {uncached * 1000:8.1f} ms  (validates the YAML with pydantic)")
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
