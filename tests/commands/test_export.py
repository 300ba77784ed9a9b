"""``sep-egress export``: formats, --output, and user mistakes as one line and exit code 2."""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sep_egress.catalog.internal import (
    load_internal_catalog,
)
from sep_egress.cli import main

from support import SELECTION, SEPM, run_cli


def export(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["export", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("argv", "marker"),
    [
        (["squid"], "http_access allow CONNECT sep_egress_port_443 sep_egress_agent_tls_443"),
        (["squid", "--squid-mode", "full", "--listen", "127.0.0.1:3128"], "http_access deny all"),
        (["squid", "--source", "agent=10.1.0.0/16"], "acl sep_egress_src_agent src 10.1.0.0/16"),
        (["pac", "--proxy-url", "proxy.corp.example:3128"], 'return "PROXY proxy.corp.example:3128";'),
        (["pac", "--proxy-url", "DIRECT", "--pac-default", "inspect.corp:8080"], 'return "PROXY inspect.corp:8080";'),
        (["hosts"], "\nliveupdate.symantec.com\n"),
        (["csv"], "destination,kind,match,port"),
    ],
)
def test_formats(capsys: pytest.CaptureFixture[str], argv: list[str], marker: str) -> None:
    code, out, err = export(capsys, *argv, *SELECTION)
    assert (code, err) == (0, "")
    assert marker in out


def test_output_file_matches_stdout(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, stdout_text, _ = export(capsys, "squid", *SELECTION)
    target = tmp_path / "sep-egress.conf"
    code, out, _ = export(capsys, "squid", *SELECTION, "--output", str(target))
    assert (code, out) == (0, "")
    assert target.read_text(encoding="utf-8") == stdout_text
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".")]  # no temporary file left


def test_csv_parses(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = export(capsys, "csv", *SELECTION)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows
    assert {row["catalog_version"] for row in rows} == {rows[0]["catalog_version"]}


@pytest.mark.parametrize(
    "argv",
    [
        ["pac"],  # no --proxy-url
        ["pac", "--proxy-url", "not a proxy"],
        ["pac", "--proxy-url", "p:1", "--pac-default", 'p:1"; x'],
        ["squid", "--proxy-url", "p:1"],
        ["hosts", "--source", "agent=10.0.0.0/8"],
        ["squid", "--source", "agent"],
        ["squid", "--source", "nobody=10.0.0.0/8"],
        ["squid", "--source", "console=10.0.0.0/8"],  # not a role of the selection
        ["squid", "--squid-mode", "full", "--listen", "3128 ssl-bump"],
        ["squid", "--output", "/nonexistent-dir/sep-egress.conf"],
    ],
)
def test_mistakes_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = export(capsys, *argv, *SELECTION)
    assert code == 2
    assert out == ""
    assert err.startswith("sep-egress export: error: ")
    assert len(err.strip().splitlines()) == 1


def test_selection_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = export(capsys, "hosts", "--mode", "on-prem")
    assert code == 2
    assert "--version" in err


def test_output_to_a_fifo_writes_through_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A non-regular --output (a FIFO here, /dev/stdout or a device in real use) is written, never renamed over."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    code, _, err = export(capsys, "hosts", *SELECTION, "--output", str(fifo))
    reader.join(10)
    assert (code, err) == (0, "")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received
    assert "liveupdate.symantec.com" in received[0]


@pytest.mark.real_program
def test_export_does_not_import_pulumi(tmp_path: Path) -> None:
    """The house rule: export is a pure command and must not pay for the cloud SDKs."""
    arguments = ["export", "squid", *SELECTION, "--output", str(tmp_path / "out.conf")]
    program = (
        "import sys; from sep_egress.cli import main; "
        f"assert main({arguments!r}) == 0; "
        "roots = ('pulumi', 'pulumi_aws', 'pulumi_gcp'); "
        "loaded = sorted(name for name in sys.modules if name.split('.')[0] in roots); "
        "assert not loaded, loaded"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False, cwd=Path.cwd()
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.real_program
def test_exports_name_the_internal_catalog_version() -> None:

    version = load_internal_catalog().version
    csv_out = run_cli("export", "csv", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}")
    assert csv_out.returncode == 0, csv_out.stderr
    [row] = [line for line in csv_out.stdout.splitlines() if line.startswith(SEPM)]
    assert row.endswith(f",internal {version}")
    squid = run_cli("export", "squid", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}")
    assert f"and internal catalog {version}." in squid.stdout.splitlines()[0]
