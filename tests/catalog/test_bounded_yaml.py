"""The bounded YAML reader every sep-egress file goes through: a size limit, no aliases that multiply, no merge keys, no
binary data, repeated keys named with their line."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sep_egress.catalog import load_overlay
from sep_egress.catalog.bounded_yaml import MAX_EXPANDED_BYTES, MAX_FILE_BYTES, parse_yaml
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
    assert "/dev/zero" in result.stderr
    # An overlay must be named .yaml/.yml first; the catalog is refused as a device, before it is opened.
    assert ("a device, not a regular file" if flag == "--catalog" else "not an overlay") in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_past_the_size_bound_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    code, _, err = call_main(["plan", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2
    assert f"larger than {MAX_FILE_BYTES} bytes" in err


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


# --- bytes, not only values ------------------------------------------------------------------------------------------


def _aliased(value_bytes: int, aliases: int) -> bytes:
    """One long URL anchored once and repeated through aliases, as an overlay's list of URLs."""
    url = "https://a.example.com/" + "x" * max(0, value_bytes - 22)
    return (f"urls:\n  - &u {url}\n" + "  - *u\n" * aliases).encode()


@pytest.mark.real_program
def test_ten_thousand_aliases_of_a_100_kb_value_are_refused_at_once(tmp_path: Path) -> None:
    """The reproducer: inside the file bound, 10,000 aliases of a 100 kB value stood for 1 GB of text."""
    path = tmp_path / "overlay.yaml"
    path.write_bytes(_aliased(100_000, 10_000))
    assert path.stat().st_size < MAX_FILE_BYTES
    started = time.monotonic()
    result = run_limited(["plan", *SELECTION, "--overlay", str(path)], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"more than {MAX_EXPANDED_BYTES} bytes of text" in result.stderr
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 20


@pytest.mark.property
@given(st.integers(min_value=1, max_value=200_000), st.integers(min_value=0, max_value=2_000))
def test_alias_expansion_is_bounded_in_bytes(value_bytes: int, aliases: int) -> None:
    data = _aliased(value_bytes, aliases)
    value = max(value_bytes, 22)
    expanded = len(b"urls") + value * (aliases + 1)
    if expanded > MAX_EXPANDED_BYTES:
        with pytest.raises(CatalogError, match="bytes of text once its aliases are expanded"):
            parse_yaml(data, "o.yaml")
    else:
        document = parse_yaml(data, "o.yaml")
        assert len(document["urls"]) == aliases + 1


@pytest.mark.parametrize("kind", ["fifo", "directory"])
@pytest.mark.parametrize("flag", ["--overlay", "--catalog", "article", "stack"])
def test_readers_refuse_what_is_not_a_regular_file_without_blocking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, flag: str
) -> None:
    """A FIFO given as any input file is refused before it is opened (opening it for reading would block)."""
    special = tmp_path / ("Pulumi.pipe.yaml" if flag == "stack" else "pipe.yaml")
    if flag == "stack":
        (tmp_path / "stacks").mkdir()
        special = tmp_path / "stacks" / "Pulumi.pipe.yaml"
    if kind == "fifo":
        os.mkfifo(special)
    else:
        special.mkdir()
    if flag == "article":
        argv = ["catalog", "verify", str(special)]
    elif flag == "stack":
        argv = ["plan", "--stack", "pipe", "--project-dir", str(tmp_path)]
    else:
        argv = ["plan", *SELECTION, flag, str(special)]
    signal.alarm(30)  # a blocked open fails the test instead of hanging the suite
    try:
        code, _, err = call_main(argv, capsys)
    finally:
        signal.alarm(0)
    assert code == 2, err
    assert "not a regular file" in err or (kind == "directory" and "directory" in err), err
    assert "Traceback" not in err
