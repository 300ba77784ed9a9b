"""The ``sep-egress`` command line as a user and other tools meet it: shapes, exit codes, no tracebacks."""

from __future__ import annotations

import json
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


def run_with(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``sep-egress ARGS`` with extra environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "sep_egress", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **env},
    )


def test_the_tool_version_and_the_sep_version_cannot_be_confused() -> None:
    misread = run_cli("--version", "14.3 RU1", "plan", "--mode", "cloud")
    assert misread.returncode == 2 and misread.stdout == ""
    assert "--product-version" in misread.stderr and "sep-egress version" in misread.stderr
    for attached in (["--version=14.3 RU1", "plan", "--mode", "cloud"], ["--version=14.3 RU1"]):
        misread = run_cli(*attached)
        assert misread.returncode == 2 and misread.stdout == "" and "--product-version" in misread.stderr
    alone = run_cli("--version")
    assert alone.returncode == 0 and alone.stdout.startswith("sep-egress ")
    version = run_cli("version", "--format", "json")
    assert version.returncode == 0
    assert json.loads(version.stdout)["tool"] == alone.stdout.split()[1]
    # The SEP release under either spelling, after the command.
    old = run_cli("plan", "--mode", "cloud", "--version", "14.3 RU1", "--format", "json")
    new = run_cli("plan", "--mode", "cloud", "--product-version", "14.3 RU1", "--format", "json")
    assert old.returncode == new.returncode == 0 and old.stdout == new.stdout


def test_an_option_given_before_a_subcommand_is_honoured() -> None:
    before = run_cli("catalog", "--format", "json", "internal")
    after = run_cli("catalog", "internal", "--format", "json")
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout and json.loads(before.stdout)["paths"]
    refused = run_cli("catalog", "--format", "csv", "verify", "article.txt")
    assert refused.returncode == 2 and "invalid choice: 'csv'" in refused.stderr


def test_every_option_a_subcommand_repeats_keeps_the_value_given_before_it() -> None:
    """The general rule, over the whole parser tree: for each option a command and its subcommand both declare,
    the value given before the subcommand reaches the namespace."""
    import argparse

    from sep_egress.cli import build_parser

    parser, _ = build_parser(None)
    checked = 0

    def walk(node: argparse.ArgumentParser, path: list[str]) -> None:
        nonlocal checked
        own = {action.dest: action for action in node._actions if action.option_strings and action.dest != "help"}
        for action in node._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            for name, child in action.choices.items():
                for child_action in child._actions:
                    parent = own.get(child_action.dest)
                    if parent is None or not child_action.option_strings or child_action.dest == "help":
                        continue
                    choices = [c for c in (child_action.choices or ["x"]) if c in (parent.choices or [c])]
                    positionals = ["ARG" for a in child._actions if not a.option_strings and a.required]
                    argv = [*path, parent.option_strings[0], str(choices[-1]), name, *positionals]
                    assert str(getattr(parser.parse_args(argv), child_action.dest)) == choices[-1], argv
                    checked += 1
                walk(child, [*path, name])

    for command, sub in parser._subparsers._group_actions[0].choices.items():  # type: ignore[union-attr]
        walk(sub, [command])
    assert checked >= 1  # catalog --format ... internal


def test_text_fits_columns_and_json_is_untouched() -> None:
    wide = run_cli("catalog")
    narrow = run_with({"COLUMNS": "72"}, "catalog")
    assert wide.returncode == narrow.returncode == 0
    assert max(len(line) for line in wide.stdout.splitlines()) > 72  # a pipe keeps whole lines
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 72
    assert "…" in narrow.stdout
    # Every row is still there (cut, not dropped): each entry id starts a row.
    ids = {line.split()[0] for line in wide.stdout.splitlines()[8:] if line and not line.startswith("-")}
    assert all(any(line.startswith(i[:4]) for line in narrow.stdout.splitlines()) for i in ids)
    plan = run_with({"COLUMNS": "60"}, "plan", *SELECTION)
    assert plan.returncode == 0 and max(len(line) for line in plan.stdout.splitlines()) <= 60
    for args in (("catalog", "--format", "json"), ("plan", *SELECTION, "--format", "json")):
        assert run_with({"COLUMNS": "40"}, *args).stdout == run_cli(*args).stdout
    # Deterministic for the same width.
    assert run_with({"COLUMNS": "72"}, "catalog").stdout == narrow.stdout


def test_every_command_help_shows_examples() -> None:
    from sep_egress.cli import COMMANDS

    for command in ["", *COMMANDS]:
        result = run_cli(*([command] if command else []), "--help")
        assert result.returncode == 0
        assert "examples:\n  sep-egress " in result.stdout, command


def test_every_subcommand_help_shows_its_examples() -> None:
    """``logs explain --help`` or ``feed build --help`` shows the lines of the command's examples that run it."""
    from sep_egress.cli import EXAMPLES, _subparser_actions, build_parser

    parser, _ = build_parser()
    checked = 0
    for command in _subparser_actions(parser)[0].choices.values():
        name = command.prog.split()[-1]
        for action in _subparser_actions(command):
            for child_name, child in action.choices.items():
                prefix = f"  sep-egress {name} {child_name}"
                expected = [line for line in (EXAMPLES.get(name) or "").splitlines() if line.startswith(prefix)]
                if expected:
                    checked += 1
                    shown = child.format_help()
                    assert "examples:\n" in shown and all(line in shown for line in expected), child.prog
    assert checked >= 5  # logs explain, logs query, feed build, schemas write, schemas check at least
