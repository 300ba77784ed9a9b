"""The ``sep-egress`` command line as a user and other tools meet it: shapes, exit codes, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loopback import free_port
from support import SELECTION, run_cli

pytestmark = pytest.mark.real_program


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
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_argparse_mistakes_also_exit_2() -> None:
    result = run_cli("plan", "--mode", "saas", "--version", "14.3")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "sep-egress"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.startswith("sep-egress ")


def test_non_utf8_paths_never_raise(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    good = os.path.join(folder, b"o\xffverlay.yaml")
    with open(good, "wb") as handle:
        handle.write(b"exclude: []\n")
    missing = os.path.join(folder, b"gone\xfe.yaml")
    import certifi

    ca_file = os.path.join(folder, b"c\xffa.pem")
    with open(certifi.where(), "rb") as source, open(ca_file, "wb") as handle:
        handle.write(source.read())
    check = [b"check", *[arg.encode() for arg in SELECTION], b"--only", b"liveupdate.symantec.com", b"--format"]
    check += [b"json", b"--resolve", b"liveupdate.symantec.com:127.0.0.1", b"--connect-to"]
    check += [f"liveupdate.symantec.com:443:127.0.0.1:{free_port()}".encode(), b"--ca-file", ca_file]
    for argv, expected in (
        (check, 1),
        ([b"plan", *[arg.encode() for arg in SELECTION], b"--format", b"json", b"--overlay", good], 0),
        ([b"export", b"squid", *[arg.encode() for arg in SELECTION], b"--overlay", good], 0),
        ([b"plan", *[arg.encode() for arg in SELECTION], b"--overlay", missing], 2),
        ([b"export", b"hosts", *[arg.encode() for arg in SELECTION], b"--output", missing + b"/x"], 2),
    ):
        result = subprocess.run(
            [os.fsencode(sys.executable), b"-m", b"sep_egress", *argv],
            capture_output=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )
        assert result.returncode == expected, result.stderr.decode(errors="replace")
        assert b"Traceback" not in result.stderr


def test_a_line_break_in_a_file_name_stays_on_its_line(tmp_path: Path) -> None:
    overlay = tmp_path / "z\n::error::INJECTED\n.yaml"
    overlay.write_text("entries:\n  - id: bad\n", encoding="utf-8")
    result = run_cli("plan", *SELECTION, "--overlay", str(overlay))
    assert result.returncode == 2
    assert not any(line.startswith("::error::") for line in result.stderr.splitlines()), result.stderr
    stack = run_cli("plan", "--stack", "dev\n::error::X")
    assert stack.returncode == 2 and not any(line.startswith("::error::") for line in stack.stderr.splitlines())
