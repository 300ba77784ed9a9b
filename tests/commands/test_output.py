"""Where a command writes its output: stdout, or a file replaced atomically (through a symlink, keeping its mode)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sep_egress.commands import output

from renderings import change_version
from support import SEED, SELECTION, call_main


def test_a_missing_output_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "hosts.txt"
    code, _, err = call_main(["export", "hosts", *SELECTION, "--output", str(target)], capsys)
    assert code == 2
    assert "missing" in err and "directory" in err


def test_output_through_a_symlink_replaces_the_target_atomically(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "conf" / "sep-egress.conf"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "squid.conf"
    link.symlink_to(real)
    code, _, err = call_main(["export", "squid", *SELECTION, "--output", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8").startswith("# Squid include fragment")
    assert real.stat().st_mode & 0o777 == 0o640
    assert [path.name for path in real.parent.iterdir()] == ["sep-egress.conf"]


@pytest.mark.real_program
def test_output_to_dev_stdout_works_in_a_pipe() -> None:
    """The README offers --output /dev/stdout; in a pipe it names the pipe, which must be written, not renamed over."""
    result = subprocess.run(
        [sys.executable, "-m", "sep_egress", "export", "hosts", *SELECTION, "--output", "/dev/stdout"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "liveupdate.symantec.com" in result.stdout


def test_a_fifo_nobody_reads_is_refused_not_waited_on_forever(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "FIFO_READER_WAIT", 0.2)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = call_main(["export", "hosts", *SELECTION, "--output", str(fifo)], capsys)
    assert code == 2
    assert "a FIFO that nothing reads" in err


def test_a_directory_is_refused_as_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call_main(["export", "hosts", *SELECTION, "--output", str(tmp_path)], capsys)
    assert code == 2 and "a directory" in err


# --- --propose writes like --output ---------------------------------------------------------------------------------


def _drifted_article(tmp_path: Path) -> Path:
    article = tmp_path / "article.txt"
    article.write_text(change_version(SEED.read_text(encoding="utf-8"), "french-text"), encoding="utf-8")
    return article


def test_propose_through_a_symlink_writes_the_target_like_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    real = tmp_path / "real" / "endpoints.yaml"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "proposal.yaml"
    link.symlink_to(real)
    code, _, err = call_main(["catalog", "verify", str(_drifted_article(tmp_path)), "--propose", str(link)], capsys)
    assert code == 1, err
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8").startswith("# The outbound URLs")
    assert real.stat().st_mode & 0o777 == 0o640
    assert [path.name for path in real.parent.iterdir()] == ["endpoints.yaml"]


def test_propose_to_a_fifo_writes_through_it_or_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    monkeypatch.setattr(output, "FIFO_READER_WAIT", 0.2)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    article = _drifted_article(tmp_path)
    code, _, err = call_main(["catalog", "verify", str(article), "--propose", str(fifo)], capsys)
    assert code == 2 and "--propose" in err and "a FIFO that nothing reads" in err
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # never replaced by a file
    monkeypatch.setattr(output, "FIFO_READER_WAIT", 10.0)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    code, _, err = call_main(["catalog", "verify", str(article), "--propose", str(fifo)], capsys)
    reader.join(10)
    assert code == 1, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and 'version: "2026.12.01"' in received[0]


@pytest.mark.parametrize(
    ("epoch", "problem"),
    [
        ("tomorrow", "is not a number of seconds"),
        ("1e9", "is not a number of seconds"),
        ("-5", "is not a number of seconds"),
        ("\u0661\u0662\u0663", "is not a number of seconds"),
        ("9" * 5000, "is not a number of seconds"),
        ("999999999999", "past the last day"),
    ],
)
def test_a_malformed_or_huge_source_date_epoch_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, epoch: str, problem: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    out = tmp_path / "proposal.yaml"
    code, _, err = call_main(["catalog", "verify", str(_drifted_article(tmp_path)), "--propose", str(out)], capsys)
    assert code == 2
    [line] = err.strip().splitlines()
    assert "SOURCE_DATE_EPOCH" in line and problem in line
    assert len(line) < 300
    assert not out.exists()


@pytest.mark.parametrize("option", ["--ca-file", "--public-ca-file"])
def test_check_refuses_a_ca_file_that_is_not_a_regular_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    fifo = tmp_path / "ca.pem"
    os.mkfifo(fifo)
    code, _, err = call_main(["check", *SELECTION, "--only", "liveupdate.symantec.com", option, str(fifo)], capsys)
    assert code == 2
    assert "not a regular file" in err


def test_check_output_refuses_what_write_output_refuses_without_opening_anything(tmp_path: Path) -> None:
    """The check before a long run: a directory or a missing directory refused; a FIFO (nothing reads it yet), a
    character device, a new or an existing file accepted, and nothing created or opened."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "existing.txt").write_text("kept\n")
    for accepted in (fifo, Path("/dev/null"), tmp_path / "new.txt", tmp_path / "existing.txt"):
        output.check_output(accepted)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["existing.txt", "fifo"]
    for refused, words in ((tmp_path, "a directory"), (tmp_path / "no" / "x.txt", "does not exist")):
        with pytest.raises(output.OutputError, match=words):
            output.check_output(refused, "--propose-overlay")
