"""Time and peak memory of the largest inputs sep-egress accepts, at each of its input bounds.

Every input limit must bound bytes and time, not only values: each case below builds an input at (or just inside)
one bound of ``catalog/bounded_yaml.py`` or ``settings.py`` and runs ``sep-egress plan`` on it in a fresh process,
measuring wall time and the process's peak resident memory (``wait4``'s ``ru_maxrss``). The refused cases are the
inputs that once took minutes and gigabytes (10,000 aliases of a 100 kB value: 106 s and 1 GB before the byte
bound). Exit status 1 when a case exceeds ``MAX_SECONDS`` or ``MAX_MEGABYTES``, or ends otherwise than expected.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "components"))

from sep_egress.catalog.bounded_yaml import (  # noqa: E402
    MAX_EXPANDED_BYTES,
    MAX_FILE_BYTES,
    MAX_NODES,
)

MAX_SECONDS = 5.0
MAX_MEGABYTES = 300
SELECTION = ["--mode", "hybrid", "--version", "14.3 RU1"]


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[Path], list[str]]  # writes the input under the folder, returns the CLI arguments
    expected_exit: int


def _entry(index: int, usage: str) -> str:
    return (
        f"  - id: corp-bench-{index}\n    role: agent\n    usage:\n      en: {usage}\n"
        f"    urls: [https://h{index}.bench.example.com]\n"
    )


def aliased_text_at_the_byte_bound(folder: Path) -> list[str]:
    """Entries whose usage text is one long anchored value repeated by aliases, just under MAX_EXPANDED_BYTES."""
    value = "x" * 4000
    count = MAX_EXPANDED_BYTES // len(value) - 64
    body = "entries:\n" + _entry(0, f"&u {value}") + "".join(_entry(index, "*u") for index in range(1, count))
    path = folder / "bytes.yaml"
    path.write_text(body, encoding="utf-8")
    assert path.stat().st_size <= MAX_FILE_BYTES
    return ["plan", *SELECTION, "--overlay", str(path), "--format", "json"]


def aliased_values_at_the_node_bound(folder: Path) -> list[str]:
    """An exclude list of as many aliases of one id as the file and node bounds allow (each one checked)."""
    count = min(MAX_NODES - 16, (MAX_FILE_BYTES - 64) // len("*id, "))
    path = folder / "nodes.yaml"
    path.write_text("description: &id corp-bench-0\nexclude: [" + "*id, " * count + "*id]\n", encoding="utf-8")
    return ["plan", *SELECTION, "--overlay", str(path), "--format", "json"]


def plain_overlay_at_the_file_bound(folder: Path) -> list[str]:
    """Distinct entries filling the file bound (no aliases): every host validated and planned."""
    parts = ["entries:\n"]
    size, index = len(parts[0]), 0
    while True:
        item = _entry(index, f"Bench entry {index}.")
        if size + len(item) > MAX_FILE_BYTES:
            break
        parts.append(item)
        size += len(item)
        index += 1
    path = folder / "plain.yaml"
    path.write_text("".join(parts), encoding="utf-8")
    return ["plan", *SELECTION, "--overlay", str(path), "--format", "json"]


def refused_reproducer(folder: Path) -> list[str]:
    """10,000 aliases of a 100 kB URL inside the 1 MiB bound: about 1 GB once expanded."""
    url = "https://a.example.com/" + "x" * 100_000
    path = folder / "laughs.yaml"
    path.write_text("entries:\n  - urls:\n    - &u " + url + "\n" + "    - *u\n" * 10_000, encoding="utf-8")
    return ["plan", *SELECTION, "--overlay", str(path)]


def deep_json_stack_value(folder: Path) -> list[str]:
    """A stack value of nested JSON as large as a stack file may be (the engine passes lists as JSON text)."""
    (folder / "stacks").mkdir(exist_ok=True)
    depth = (MAX_FILE_BYTES - 200) // 2
    (folder / "stacks" / "Pulumi.deep.yaml").write_text(
        "config:\n  sep-egress:version: '14.3 RU1'\n  sep-egress:mode: hybrid\n"
        f"  sep-egress:overlays: '{'[' * depth}{']' * depth}'\n",
        encoding="utf-8",
    )
    return ["plan", "--stack", "deep", "--project-dir", str(folder)]


CASES = (
    Case("overlay, aliased text at the byte bound", aliased_text_at_the_byte_bound, 0),
    Case("overlay, aliased values at the node and file bounds", aliased_values_at_the_node_bound, 2),
    Case("overlay, distinct entries at the file bound", plain_overlay_at_the_file_bound, 0),
    Case("overlay, 10,000 aliases of 100 kB (refused)", refused_reproducer, 2),
    Case("stack value, nested JSON at the file bound (refused)", deep_json_stack_value, 2),
)


def measure(argv: list[str], cwd: Path) -> tuple[int, float, float, str]:
    """Exit status, wall seconds, peak resident MB, and the last line of stderr of one fresh CLI process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "components"), "SEP_EGRESS_NO_CACHE": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "sep_egress", *argv],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    stderr = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return process.returncode, elapsed, usage.ru_maxrss / 1024, last


def main() -> int:
    failures = 0
    print(f"bounds: file {MAX_FILE_BYTES} B, expanded text {MAX_EXPANDED_BYTES} B, values {MAX_NODES}")
    print(f"goal: each case under {MAX_SECONDS:g} s and {MAX_MEGABYTES} MB peak resident memory")
    with tempfile.TemporaryDirectory(prefix="sep-egress-bench-") as name:
        folder = Path(name)
        baseline = measure(["plan", *SELECTION, "--format", "json"], folder)
        print(
            f"{'baseline: plan without an overlay':55} exit {baseline[0]}  {baseline[1]:5.2f} s  {baseline[2]:6.0f} MB"
        )
        for case in CASES:
            argv = case.build(folder)
            code, seconds, megabytes, last = measure(argv, folder)
            ok = code == case.expected_exit and seconds <= MAX_SECONDS and megabytes <= MAX_MEGABYTES
            failures += not ok
            print(f"{case.name:55} exit {code}  {seconds:5.2f} s  {megabytes:6.0f} MB  {'ok' if ok else 'OVER'}")
            if last and code != 0:
                print(f"    {last[:150]}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
