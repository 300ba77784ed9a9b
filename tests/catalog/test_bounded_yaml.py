"""The bounded YAML reader every sep-egress file goes through: a size limit, no aliases that multiply, no merge keys, no
binary data, repeated keys named with their line."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sep_egress.catalog import load_overlay
from sep_egress.errors import CatalogError

from support import SELECTION, call_main, overlay_file, run_cli

LIMITED = 600 * 1024 * 1024  # address space for the subprocess cases that used to eat memory


def run_limited(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess with bounded memory and time, for inputs that used to exhaust both."""
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({LIMITED}, {LIMITED}))\n"
        "from sep_egress.cli import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


LAUGHS = (
    "config:\n"
    "  sep-egress:version: '14.3 RU1'\n"
    "  sep-egress:mode: on-prem\n"
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "  sep-egress:aws: {i: [*h,*h,*h,*h,*h,*h,*h,*h,*h]}\n"
)


@pytest.mark.real_program
def test_a_billion_laughs_stack_file_is_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.laughs.yaml").write_text(LAUGHS, encoding="utf-8")
    result = run_limited(["plan", "--stack", "laughs", "--project-dir", str(tmp_path)], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "alias" in result.stderr and "Pulumi.laughs.yaml" in result.stderr


@pytest.mark.real_program
def test_billion_laughs_in_an_overlay_is_refused(tmp_path: Path) -> None:
    text = LAUGHS.replace("config:", "other:").replace("sep-egress:aws", "z")
    path = overlay_file(tmp_path, text)
    result = run_limited(["plan", *SELECTION, "--overlay", str(path)], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "alias" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.real_program
@pytest.mark.parametrize("flag", ["--overlay", "--catalog"])
def test_an_endless_file_is_refused(flag: str, tmp_path: Path) -> None:
    """A device is refused before it is opened (it is not a regular file); an endless regular file could not be
    made, but the size bound would stop one (test_a_file_past_the_size_bound_is_refused)."""
    result = run_limited(["plan", *SELECTION, flag, "/dev/zero"], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "/dev/zero" in result.stderr and "a device, not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_past_the_size_bound_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (1024 * 1024 + 1))
    code, _, err = call_main(["plan", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2
    assert "larger than 1048576 bytes" in err


def test_yaml_merge_keys_give_one_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = overlay_file(tmp_path, "base: &b {role: agent}\nentries:\n  - <<: *b\n    id: corp-x\n")
    code, _, err = call_main(["plan", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2
    assert "merge key" in err


def test_yaml_merge_keys_in_a_base_revision_stack_file_do_not_raise(tmp_path: Path) -> None:
    from sep_egress.errors import SepEgressError
    from sep_egress.preview import engine_config

    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.x.yaml").write_text(
        "config:\n  sep-egress:gcp: {<<: [1, 2]}\n  sep-egress:version: '14.3'\n", encoding="utf-8"
    )
    with pytest.raises(SepEgressError, match="merge key"):
        engine_config(tmp_path, "x", validate=False)


@pytest.mark.real_program
def test_binary_yaml_text_is_refused(tmp_path: Path) -> None:
    """`!!binary` decodes to bytes that pydantic would turn into text after the free-text check."""
    hidden = base64.b64encode(b"x\nhttp_access allow all").decode()
    overlay = tmp_path / "binary.yaml"
    overlay.write_text(
        "entries:\n  - id: bin\n    role: agent\n    usage: {en: x}\n    urls: [https://a.example.com]\n"
        f"    shared_host: !!binary {hidden}\n",
        encoding="utf-8",
    )
    result = run_cli("plan", *SELECTION, "--overlay", str(overlay), "--format", "json")
    assert result.returncode == 2 and "!!binary" in result.stderr and "http_access" not in result.stdout


def test_yaml_syntax_errors_and_repeated_keys_name_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("entries:\n  - id: a\n    id: b\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"line 3.*written twice"):
        load_overlay(broken)
    broken.write_text("entries: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_overlay(broken)
