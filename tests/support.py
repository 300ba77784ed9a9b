"""Paths and small helpers shared by the test modules (pytest puts this folder on sys.path)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "vendor-article-fr.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "000_e63e462fe2a2c458.txt"
PROJECT_SCHEMA = ROOT / "tests" / "data" / "pulumi-project.schema.json"
SHARED_PROJECT_SCHEMA = ROOT.parent / "shared" / "reference" / "pulumi-project.schema.json"


def run_cli(*args: str, cwd: Path = ROOT, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """``sep-egress ARGS`` in a fresh interpreter, as a user runs it; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "sep_egress", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
