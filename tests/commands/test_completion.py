"""``sep-egress completion bash|zsh``: scripts generated from the parser tree, run by the real shells."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from support import run_cli

pytestmark = pytest.mark.real_program


def script(shell: str, tmp_path: Path) -> Path:
    result = run_cli("completion", shell)
    assert result.returncode == 0, result.stderr
    path = tmp_path / f"sep-egress.{shell}"
    path.write_text(result.stdout, encoding="utf-8")
    return path


def complete_bash(path: Path, line: str) -> list[str]:
    """What bash offers after ``line`` (the words typed so far; a trailing space starts a new word)."""
    words = line.split(" ")
    program = (
        f"source {path}\n"
        f"COMP_WORDS=({' '.join(repr(word) for word in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_sep_egress\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    result = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30, check=True)
    return [word for word in result.stdout.split("\n") if word]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_commands_subcommands_options_and_choices(tmp_path: Path) -> None:
    path = script("bash", tmp_path)
    assert complete_bash(path, "sep-egress ca") == ["catalog"]
    assert {"changes", "check", "completion"} <= set(complete_bash(path, "sep-egress c"))
    after_catalog = complete_bash(path, "sep-egress catalog ")
    assert {"verify", "internal", "--format", "--catalog"} <= set(after_catalog)
    assert complete_bash(path, "sep-egress catalog internal --format ") == ["table", "json", "csv"]
    assert complete_bash(path, "sep-egress plan --mode h") == ["hybrid"]
    assert complete_bash(path, "sep-egress export ")[:4] == ["squid", "pac", "hosts", "csv"]
    assert "--product-version" in complete_bash(path, "sep-egress plan --pro")
    assert complete_bash(path, "sep-egress stack new staging --f") == ["--from"]
    assert complete_bash(path, "sep-egress completion ")[:2] == ["bash", "zsh"]
    # A value nothing can guess is left to the user; a file argument gets file names.
    assert complete_bash(path, "sep-egress plan --version ") == []
    (tmp_path / "overlay-x.yaml").write_text("exclude: []\n", encoding="utf-8")
    assert complete_bash(path, f"sep-egress plan --overlay {tmp_path}/overlay-") == [f"{tmp_path}/overlay-x.yaml"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_the_zsh_script_is_valid_zsh_and_registers_itself(tmp_path: Path) -> None:
    path = script("zsh", tmp_path)
    assert path.read_text(encoding="utf-8").startswith("#compdef sep-egress\n")
    subprocess.run(["zsh", "-n", str(path)], check=True, timeout=30)
    program = f"autoload -U compinit && compinit -u -D && source {path} && print -r -- $_comps[sep-egress]"
    result = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, timeout=30, check=True)
    assert result.stdout.strip() == "_sep_egress"


def test_the_scripts_follow_the_parser() -> None:
    """Every command and option of the parser is in both scripts (they are generated from it)."""
    from sep_egress.cli import COMMANDS, build_parser

    parser, _ = build_parser(None)
    options = {option for action in parser._actions for option in action.option_strings}
    for shell in ("bash", "zsh"):
        text = run_cli("completion", shell).stdout
        for word in [*COMMANDS, *options, "--stack", "--format", "--base-url", "--propose"]:
            assert word in text, (shell, word)
