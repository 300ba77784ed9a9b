"""Load Suricata rules with the installed Suricata 7 (``suricata -T``), so that a test can prove a rule it feeds the
policy pack is one the engine accepts, not a spelling only our parser reads.

Self-contained: a minimal ``suricata.yaml`` in a temporary folder, the rules in a file beside it, the address groups
(``HOME_NET``, ``EXTERNAL_NET`` and a rule group's own IP sets) declared as Suricata variables. Without Suricata the
tests skip, except under CI (``CI`` set), where a missing engine is a failure: the engine is the judge there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

SURICATA = shutil.which("suricata")
DEFAULT_GROUPS = {"HOME_NET": ["10.0.0.0/8"], "EXTERNAL_NET": ["!$HOME_NET"]}


def require_suricata() -> str:
    """The path of ``suricata``; skips the test without it, fails it under CI."""
    if SURICATA is None:
        if os.environ.get("CI"):
            pytest.fail("suricata is not installed; CI installs it (.ci/install-suricata)")
        pytest.skip("suricata is not installed")
    return SURICATA


def _group_value(definitions: Sequence[str]) -> str:
    return definitions[0] if len(definitions) == 1 else "[" + ",".join(definitions) + "]"


def _config(folder: Path, groups: Mapping[str, Sequence[str]]) -> str:
    # YAML is a superset of JSON: json.dumps quotes each value safely.
    lines = ["%YAML 1.1", "---", "vars:", "  address-groups:"]
    lines += [f"    {name}: {json.dumps(_group_value(values))}" for name, values in groups.items()]
    lines += [
        "  port-groups:",
        '    HTTP_PORTS: "80"',
        f"default-rule-path: {json.dumps(str(folder))}",
        "rule-files:",
        "  - test.rules",
        f"default-log-dir: {json.dumps(str(folder))}",
        "logging:",
        "  outputs:",
        "    - console:",
        "        enabled: yes",
        "app-layer:",
        "  protocols:",
        "    tls:",
        "      enabled: yes",
        "    http:",
        "      enabled: yes",
    ]
    return "\n".join(lines) + "\n"


def suricata_loads(rules: Sequence[str], variables: Mapping[str, Sequence[str]] | None = None) -> tuple[bool, str]:
    """Whether Suricata loads every rule (``suricata -T`` exits 0), and what it printed."""
    binary = require_suricata()
    groups = {**DEFAULT_GROUPS, **(variables or {})}
    with tempfile.TemporaryDirectory(prefix="sep-egress-suricata-") as name:
        folder = Path(name)
        (folder / "suricata.yaml").write_text(_config(folder, groups), encoding="utf-8")
        (folder / "test.rules").write_text("\n".join(rules) + "\n", encoding="utf-8")
        result = subprocess.run(
            [binary, "-T", "-c", str(folder / "suricata.yaml"), "-l", str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    output = result.stdout + result.stderr
    return result.returncode == 0 and "Loading signatures failed" not in output, output


def assert_suricata_loads(rules: Sequence[str], variables: Mapping[str, Sequence[str]] | None = None) -> None:
    loaded, output = suricata_loads(rules, variables)
    assert loaded, f"Suricata refused the rules:\n{chr(10).join(rules)}\n{output}"
