"""sep-egress plan: the JSON contract, the table, stack files, and what it does not import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sep_egress.catalog.internal import (
    load_internal_catalog,
)

from support import ROOT, SEPM, run_cli

pytestmark = pytest.mark.real_program


def test_plan_json_contract() -> None:
    result = run_cli("plan", "--mode", "hybrid", "--version", "14.3 RU1", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert {"allow", "warnings"} <= set(document)
    for item in document["allow"]:
        assert {"host", "port", "protocol", "roles", "ids"} <= set(item)
        assert item["protocol"] in ("tls", "http")
        assert isinstance(item["port"], int)
    assert all({"code", "message"} <= set(warning) for warning in document["warnings"])


def test_plan_output_is_byte_identical_across_runs() -> None:
    args = ("plan", "--mode", "hybrid", "--role", "console", "--version", "14.3 MP1", "--proxy", "--format", "json")
    assert run_cli(*args).stdout == run_cli(*args).stdout


def test_plan_table_lists_rules_and_warnings() -> None:
    result = run_cli("plan", "--role", "sepm", "--version", "14.3 MP1", "--proxy")
    assert result.returncode == 0
    assert "liveupdate.symantec.com            80    http" in result.stdout
    assert "[widened-path]" in result.stdout


def test_plan_from_a_stack_file() -> None:
    by_stack = json.loads(run_cli("plan", "--stack", "dev", "--format", "json").stdout)
    by_flags = json.loads(run_cli("plan", "--mode", "on-prem", "--version", "14.3 RU1", "--format", "json").stdout)
    assert by_stack["allow"] == by_flags["allow"]


def test_plan_does_not_import_pulumi_or_cloud_sdks() -> None:
    code = (
        "import sys\n"
        "from sep_egress.cli import main\n"
        "main(['plan', '--mode', 'hybrid', '--version', '14.3 RU1', '--format', 'json'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_gcp', 'grpc'))\n"
        "print(heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "[]"


def test_plan_command_lists_internal_rules_under_cidrs() -> None:
    result = run_cli(
        "plan", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cidrs"] == [
        {"cidr": SEPM, "ids": ["sepm-agent-https"], "port": 443, "protocol": "tcp", "roles": ["agent"]}
    ]
    bad = run_cli("plan", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", "sepm=0.0.0.0/0")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr == (
        "sep-egress plan: error: --internal sepm=0.0.0.0/0: '0.0.0.0/0' is every address; sep-egress never allows "
        "all destinations\n"
    )
    stack = run_cli("plan", "--stack", "prod", "--internal", f"sepm={SEPM}")
    assert stack.returncode == 2 and "drop --internal" in stack.stderr
    assert "--internal KIND=CIDR" in run_cli("plan", "--help").stdout


def test_plan_table_names_the_internal_destinations() -> None:
    result = run_cli("plan", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert header.endswith(f"| internal {load_internal_catalog().version}: sepm={SEPM}")
    assert f"{SEPM} " in result.stdout and "sepm-agent-https" in result.stdout
