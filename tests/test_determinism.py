"""Byte-identical output across processes with different hash seeds, so a pull-request diff shows only real
changes. (Comparing two runs in one process cannot catch an order that depends on Python's string hashing.)"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from support import ROOT

SELECTION = ["--mode", "hybrid", "--role", "console", "--version", "14.3 MP1", "--proxy"]
OVERLAY = ["--overlay", "examples/overlays/corporate.yaml", "--overlay", "examples/overlays/digicert-ocsp-crl.yaml"]
COMMANDS = {
    "catalog": ["catalog", "--format", "json"],
    "plan": ["plan", *SELECTION, *OVERLAY, "--format", "json"],
    "squid": ["export", "squid", *SELECTION, *OVERLAY, "--squid-mode", "full", "--source", "agent=10.10.0.0/16"],
    "pac": ["export", "pac", *SELECTION, "--proxy-url", "proxy.corp.example:3128"],
    "hosts": ["export", "hosts", *SELECTION],
    "csv": ["export", "csv", *SELECTION],
    "preview-prod": ["preview", "--stack", "prod", "--format", "json"],
    "preview-gcp-cloud": ["preview", "--stack", "gcp-cloud", "--format", "markdown"],
}


def run(args: list[str], seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-m", "sep_egress", *args], capture_output=True, cwd=ROOT, env=env, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.mark.real_program
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_output_does_not_depend_on_the_hash_seed(name: str) -> None:
    first, second = run(COMMANDS[name], "1"), run(COMMANDS[name], "2")
    assert first, "the command printed nothing"
    assert first == second
