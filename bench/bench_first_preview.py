"""Wall time of a newcomer's first `make preview`: a fresh clone, empty package caches, nothing installed.

The repository's committed HEAD is cloned into a temporary directory; `UV_CACHE_DIR` and `PIP_CACHE_DIR` point at a
new empty directory, so every wheel is downloaded from the package index (PyPI) again. `make preview` then
bootstraps uv when it is not on PATH (`--path-uv` keeps the caller's PATH, so an installed uv is used), creates
.venv with the runtime dependencies only and runs the offline preview of the stack.

Prints the time to a ready virtualenv, the preview's own time, the total, the virtualenv's size, and exits 1 when
the total exceeds the goal (20 s). Needs network access to the package index.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 20.0


def _size(path: Path) -> int:
    return sum(item.lstat().st_size for item in path.rglob("*") if item.is_file() and not item.is_symlink())


def _environment(cache: Path, keep_uv: bool) -> dict[str, str]:
    env = dict(os.environ, UV_CACHE_DIR=str(cache / "uv"), PIP_CACHE_DIR=str(cache / "pip"))
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    if not keep_uv:
        # Leave out every PATH entry that holds a uv, so the run measures the bootstrap a newcomer without uv pays.
        entries = env.get("PATH", "").split(os.pathsep)
        env["PATH"] = os.pathsep.join(entry for entry in entries if not (Path(entry) / "uv").exists())
    return env


def run_once(stack: str, keep_uv: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="sep-egress-first-preview-") as temp:
        clone, cache = Path(temp) / "clone", Path(temp) / "cache"
        cache.mkdir()
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        if (clone / ".venv").exists() or (clone / ".venv").is_symlink():
            raise SystemExit("bench_first_preview: the clone holds a .venv (committed?); refusing to install into it")
        env = _environment(cache, keep_uv)
        start = time.perf_counter()
        # The virtualenv alone first (the same rule `make preview` depends on), then the preview: two figures.
        subprocess.run(["make", "--no-print-directory", ".venv/.runtime"], cwd=clone, env=env, check=True)
        ready = time.perf_counter()
        subprocess.run(
            ["make", "--no-print-directory", "preview", f"STACK={stack}"],
            cwd=clone,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        done = time.perf_counter()
        size = _size(clone / ".venv")
        shutil.rmtree(clone, ignore_errors=True)
        return {"install": ready - start, "preview": done - ready, "total": done - start, "size_mb": size / 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--path-uv", action="store_true", help="use a uv on PATH instead of bootstrapping one")
    args = parser.parse_args(argv)
    results = [run_once(args.stack, args.path_uv) for _ in range(args.runs)]
    worst = max(result["total"] for result in results)
    uv = "uv from PATH" if args.path_uv else "uv bootstrapped from PyPI"
    print(f"bench_first_preview: fresh clone, empty package caches, {uv}, {os.cpu_count()} CPUs, stack {args.stack}")
    for index, result in enumerate(results, 1):
        print(
            f"  run {index}: virtualenv ready {result['install']:5.1f} s, preview {result['preview']:4.1f} s, "
            f"total {result['total']:5.1f} s, .venv {result['size_mb']:.0f} MB"
        )
    print(f"  worst total {worst:.1f} s (goal <= {GOAL:.0f} s)")
    return 0 if worst <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
