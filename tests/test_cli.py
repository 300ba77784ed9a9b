"""The ``sep-egress`` command line as a user and other tools meet it: shapes, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT, run_cli

run = run_cli


def test_catalog_json_is_one_object_per_host_of_an_entry() -> None:
    result = run("catalog", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"version", "source", "endpoints"}
    assert any(edition["read"] for edition in document["source"]["editions"])
    endpoints = document["endpoints"]
    assert len(endpoints) == 51  # every URL occurrence of the article
    licensing = next(item for item in endpoints if item["id"] == "sepm-licensing")
    assert licensing["host"] == "services-prod.symantec.com"
    assert licensing["path"] == "/service/IPLService.serviceagent/IPLendpoint1"
    assert licensing["ports"] == [443]
    for item in endpoints:
        assert {"id", "role", "host", "path", "ports", "min_version", "max_version"} <= set(item)
    symqual = next(item for item in endpoints if item["id"] == "agent-symqual-legacy")
    assert (symqual["min_version"], symqual["max_version"]) == (None, "14.3 MP1")


def test_catalog_csv_and_table() -> None:
    rows = list(csv.DictReader(io.StringIO(run("catalog", "--format", "csv").stdout)))
    assert len(rows) == 51  # every URL occurrence of the article
    assert rows[0]["id"] == "agent-install-package"
    table = run("catalog").stdout
    assert "services-prod.symantec.com" in table and table.startswith("catalog ")


def test_plan_json_contract() -> None:
    result = run("plan", "--mode", "hybrid", "--version", "14.3 RU1", "--format", "json")
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
    assert run(*args).stdout == run(*args).stdout


def test_plan_table_lists_rules_and_warnings() -> None:
    result = run("plan", "--role", "sepm", "--version", "14.3 MP1", "--proxy")
    assert result.returncode == 0
    assert "liveupdate.symantec.com            80    http" in result.stdout
    assert "[widened-path]" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "--version", "14.3"), "choose --role"),
        (("plan", "--mode", "cloud"), "--version is required"),
        (("plan", "--mode", "cloud", "--version", "latest"), "is not a product version"),
        (("plan", "--mode", "cloud", "--version", "14.3", "--overlay", "absent.yaml"), "absent.yaml: cannot read"),
        (("plan", "--stack", "dev", "--mode", "cloud"), "drop --mode"),
        (("plan", "--stack", "no-such-stack"), "no such stack"),
        (("changes", "--since", "yesterday"), "is not a catalog version"),
        (("catalog", "--catalog", "absent.yaml"), "absent.yaml: cannot read"),
    ],
)
def test_user_mistakes_exit_2_with_one_message_and_no_traceback(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_argparse_mistakes_also_exit_2() -> None:
    result = run("plan", "--mode", "saas", "--version", "14.3")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_changes_lists_history_and_since_filters() -> None:
    full = run("changes")
    assert full.returncode == 0 and "2026.11.28" in full.stdout and "added:" in full.stdout
    document = json.loads(run("changes", "--format", "json").stdout)
    assert document["changes"][0]["version"] == "2026.11.28"
    assert len(document["changes"][0]["added"]) == 32
    later = run("changes", "--since", "2026.11.28")
    assert later.returncode == 0 and "No changes after 2026.11.28" in later.stdout
    assert json.loads(run("changes", "--since", "2026.11.28", "--format", "json").stdout)["changes"] == []


def test_plan_from_a_stack_file() -> None:
    by_stack = json.loads(run("plan", "--stack", "dev", "--format", "json").stdout)
    by_flags = json.loads(run("plan", "--mode", "on-prem", "--version", "14.3 RU1", "--format", "json").stdout)
    assert by_stack["allow"] == by_flags["allow"]


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "sep-egress"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.startswith("sep-egress ")


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
