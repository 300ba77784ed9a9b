"""Where a command writes its output: stdout, or a file replaced atomically (through a symlink, keeping its mode)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import SELECTION, call_main


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
