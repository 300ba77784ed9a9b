"""Regression tests for hostile input: no overlay, stack file, flag or network answer can write a directive, a rule or
code into what sep-egress generates or prints, exhaust memory, or end in a traceback.

Each test reproduces one case found by an adversarial review; the round-trip properties through the real parsers
are in ``test_output_roundtrip.py``.
"""

from __future__ import annotations

import os
import pickle
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path

import pacparser
import pytest
import trustme
from markdown_it import MarkdownIt

from sep_egress.cli import main
from sep_egress.connectivity import Target, TrustStores, check_all
from sep_egress.preview import Preview, render_markdown

from loopback import LoopbackOrigin, free_port, tls_context, write_ca

SELECTION = ["--mode", "on-prem", "--version", "14.3 RU1"]
LIMITED = 600 * 1024 * 1024  # address space for the subprocess cases that used to eat memory


def overlay(tmp_path: Path, body: str, name: str = "overlay.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


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


# --- 1. what an overlay says cannot become a directive ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example.com/x\nhttp_access allow all",
        "https://a.example.com/x\rhttp_access allow all",
        "https://a.example.com/x\u2028y",
        "https://a.example.com/x y",
        'https://a.example.com/x"y',
        "https://a.example.com/x<y>",
        "https://a.example.com/%zz",
        "https://evil\n.com",
        "https://evil.com\n",
        "a.example.com/x\nhttp_access allow all",
        "evil\n.com",
        "evil.com\n",
        "\tevil.com",
        "https://a.example.com:\u0664\u0664\u0663",  # Arabic-Indic digits
        "https://a.example.com:\u00b2",
    ],
)
def test_an_overlay_url_that_is_not_canonical_is_refused(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "overlay.yaml"
    path.write_text(
        'entries:\n  - id: corp-x\n    role: agent\n    usage: {en: x}\n    urls: ["'
        + url.encode("unicode_escape").decode("ascii").replace('"', '\\"')
        + '"]\n    ports: [443]\n',
        encoding="utf-8",
    )
    code, out, err = run(["export", "squid", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2, out
    assert out == ""
    assert "corp-x" in err and "urls[0]" in err
    assert len(err.strip().splitlines()) == 1, err


def test_the_reported_squid_injection_through_a_path_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = overlay(
        tmp_path,
        """\
        entries:
          - id: corp-x
            role: agent
            usage: {en: x}
            urls: ["a.example.com/x\\nhttp_access allow all"]
            ports: [443]
        """,
    )
    code, out, _ = run(["export", "squid", *SELECTION, "--squid-mode", "full", "--overlay", str(path)], capsys)
    assert code == 2
    assert "http_access allow all" not in out


@pytest.mark.parametrize(
    "cidr",
    [
        "fe80::%eth0/64",
        "fe80::%x\npass ip any any -> any any (sid:1;)/64",
        "10.0.0.0/8\n",
        "\u0661\u0660.0.0.0/8",
    ],
)
def test_a_cidr_with_a_zone_id_or_any_extra_text_is_refused(
    cidr: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    escaped = cidr.encode("unicode_escape").decode("ascii")
    path = overlay(
        tmp_path,
        "entries:\n  - id: corp-net\n    role: agent\n    usage: {en: x}\n"
        f'    cidrs: ["{escaped}"]\n    ports: [443]\n',
    )
    code, out, err = run(["plan", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2, out
    assert "corp-net" in err and "cidrs" in err


@pytest.mark.parametrize("entry_id", ["corp-x\n", "corp-x\u2028", "corp\u0131"])
def test_an_entry_id_is_matched_whole(entry_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    escaped = entry_id.encode("unicode_escape").decode("ascii")
    path = overlay(
        tmp_path, f'entries:\n  - id: "{escaped}"\n    role: agent\n    usage: {{en: x}}\n    urls: [a.example.com]\n'
    )
    code, _, err = run(["plan", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2
    assert "not a valid id" in err


@pytest.mark.parametrize("field", ["shared_host", "blocked", "row"])
@pytest.mark.parametrize("text", ["a\u2028return 'SOCKS attacker:1080';//", "a\nb", "a\x1b[2Jb", "a\u202eb"])
def test_free_text_with_line_breaks_or_controls_is_refused(
    field: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    escaped = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    path = overlay(
        tmp_path,
        "entries:\n  - id: corp-x\n    role: agent\n    usage: {en: x}\n    urls: [a.example.com]\n"
        f'    {field}: "{escaped}"\n',
    )
    code, out, err = run(["export", "pac", *SELECTION, "--proxy-url", "DIRECT", "--overlay", str(path)], capsys)
    assert code == 2, out
    assert f"field '{field}'" in err


def test_the_pac_cannot_be_taken_over_through_shared_host_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reported case: U+2028 ends a // comment in JavaScript; the PAC must answer DIRECT for other hosts."""
    escaped = "x\\u2028return 'SOCKS attacker:1080';//"
    path = overlay(
        tmp_path,
        "entries:\n  - id: corp-x\n    role: agent\n    usage: {en: x}\n    urls: [a.example.com]\n"
        f'    shared_host: "{escaped}"\n',
    )
    code, out, _ = run(["export", "pac", *SELECTION, "--proxy-url", "DIRECT", "--overlay", str(path)], capsys)
    if code == 0:  # accepted text must be inert
        pacparser.init()
        try:
            pacparser.parse_pac_string(out)
            assert pacparser.find_proxy("http://unrelated.example/", "unrelated.example") == "DIRECT"
        finally:
            pacparser.cleanup()
    assert "\u2028" not in out and "SOCKS attacker" not in out


def test_an_overlay_file_name_cannot_add_a_directive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "x\nhttp_access allow all\n"
    folder.mkdir()
    path = overlay(folder, "exclude: []\n")
    code, out, err = run(["export", "squid", *SELECTION, "--squid-mode", "full", "--overlay", str(path)], capsys)
    assert code == 0, err
    assert not [line for line in out.splitlines() if line.startswith("http_access allow all")]
    code, out, err = run(["export", "pac", *SELECTION, "--proxy-url", "DIRECT", "--overlay", str(path)], capsys)
    assert code == 0, err
    assert all(line.startswith("//") or not line.startswith("http_access") for line in out.splitlines())
    assert not [line for line in out.splitlines() if line.startswith("http_access")]


def test_a_long_comment_cannot_spill_into_a_squid_directive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Squid reads a configuration line into a fixed buffer: an overlong comment line would continue as a
    directive. Comment lines stay short whatever the input."""
    path = overlay(
        tmp_path,
        f"entries:\n  - id: corp-x\n    role: agent\n    usage: {{en: x}}\n"
        f'    urls: ["https://a.example.com/{"a" * 9000}"]\n',
    )
    code, out, err = run(["export", "squid", *SELECTION, "--overlay", str(path)], capsys)
    assert code in (0, 2), err
    assert all(len(line) < 1024 for line in out.splitlines())


def test_overlay_text_cannot_close_the_markdown_details() -> None:
    message = "x</details>\n\n<details><summary>Nothing to see</summary>\n\n"
    preview = Preview(stack="dev", resources=[], outputs={}, warnings=[{"code": "shared-host", "message": message}])
    text = render_markdown(preview)
    tokens = MarkdownIt("commonmark").parse(text)
    html = "".join(token.content for token in tokens if token.type == "html_block") + "".join(
        child.content
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "html_inline"
    )
    assert html.count("<details>") == html.count("</details>") == 2  # the preview's own two sections
    assert "Nothing to see" not in html


def test_csv_cells_cannot_start_a_formula(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = overlay(
        tmp_path,
        """\
        entries:
          - id: corp-x
            role: agent
            usage: {en: "=HYPERLINK(\\"http://evil.example\\",\\"x\\")"}
            urls: ["https://a.example.com/=1+1"]
        """,
    )
    code, out, err = run(["catalog", "--format", "csv"], capsys)
    assert code == 0, err
    code, out, err = run(["export", "csv", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 0, err
    import csv
    import io

    for row in csv.reader(io.StringIO(out)):
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), row


# --- 3. resource limits ----------------------------------------------------------------------------------------------

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


def test_a_billion_laughs_stack_file_is_refused_quickly(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.laughs.yaml").write_text(LAUGHS, encoding="utf-8")
    result = run_limited(["plan", "--stack", "laughs", "--project-dir", str(tmp_path)], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "alias" in result.stderr and "Pulumi.laughs.yaml" in result.stderr


def test_billion_laughs_in_an_overlay_is_refused(tmp_path: Path) -> None:
    text = LAUGHS.replace("config:", "other:").replace("sep-egress:aws", "z")
    path = overlay(tmp_path, text)
    result = run_limited(["plan", *SELECTION, "--overlay", str(path)], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "alias" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", ["--overlay", "--catalog"])
def test_an_endless_file_is_refused_by_its_size(flag: str, tmp_path: Path) -> None:
    result = run_limited(["plan", *SELECTION, flag, "/dev/zero"], tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "/dev/zero" in result.stderr and "larger than" in result.stderr
    assert "Traceback" not in result.stderr


# --- 4. no tracebacks -----------------------------------------------------------------------------------------------


def test_yaml_merge_keys_give_one_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = overlay(tmp_path, "base: &b {role: agent}\nentries:\n  - <<: *b\n    id: corp-x\n")
    code, _, err = run(["plan", *SELECTION, "--overlay", str(path)], capsys)
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


def test_a_missing_output_directory_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "missing" / "hosts.txt"
    code, _, err = run(["export", "hosts", *SELECTION, "--output", str(target)], capsys)
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
    code, _, err = run(["export", "squid", *SELECTION, "--output", str(link)], capsys)
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_text(encoding="utf-8").startswith("# Squid include fragment")
    assert real.stat().st_mode & 0o777 == 0o640
    assert [path.name for path in real.parent.iterdir()] == ["sep-egress.conf"]


@pytest.mark.parametrize("listen", ["\u0663\u0661\u0662\u0668", "127.0.0.1:\u0663\u0661\u0662\u0668", "\U0001d7d1"])
def test_unicode_digits_in_listen_are_refused(listen: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["export", "squid", *SELECTION, "--squid-mode", "full", "--listen", listen], capsys)
    assert code == 2, out
    assert "--listen" in err


@pytest.mark.parametrize("route", ["proxy.example:\u0663\u0661\u0662\u0668", "PROXY proxy.example:\u00b3"])
def test_unicode_digits_in_a_pac_route_are_refused(route: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["export", "pac", *SELECTION, "--proxy-url", route], capsys)
    assert code == 2, out


@pytest.mark.parametrize(
    "via",
    [
        "http://a..b:3128",
        "http://" + "a" * 64 + ".example:3128",
        "http://-a.example:3128",
        "http://a.example:\u0663\u0661\u0662\u0668",
        "http://fe80::1%25eth0:3128",
        "http://[fe80::1%25eth0]:3128",
    ],
)
def test_a_bad_proxy_host_is_a_usage_error(via: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", *SELECTION, "--only", "liveupdate.symantec.com", "--via", via], capsys)
    assert code == 2, err
    assert "--via" in err


def test_a_non_utf8_password_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SEP_EGRESS_PROXY_PASSWORD", os.fsdecode(b"pa\xffss"))
    code, out, err = run(
        ["check", *SELECTION, "--only", "liveupdate.symantec.com", "--via", "http://alice@127.0.0.1:9"], capsys
    )
    assert code == 2, out
    assert "SEP_EGRESS_PROXY_PASSWORD" in err and "UTF-8" in err
    assert "pa" not in err.replace("SEP_EGRESS_PROXY_PASSWORD", "")


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


# --- 5. secrets and terminal output ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "via",
    [
        "http://alice:pa/ss@127.0.0.1:3128",
        "http://alice:pa?ss@127.0.0.1:3128",
        "http://alice:pa#ss@127.0.0.1:3128",
        "http://alice:pa@ss@127.0.0.1:3128",
        "alice:pa/ss@127.0.0.1:3128",
        "http://alice:pa/ss@127.0.0.1:x",
    ],
)
def test_a_password_on_the_command_line_is_never_repeated(via: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", *SELECTION, "--via", via], capsys)
    assert code == 2
    assert "pa" not in (out + err).replace("password", "").replace("SEP_EGRESS_PROXY_PASSWORD", "").replace(
        "path", ""
    ), err


def rude_proxy(head: bytes) -> LoopbackOrigin:
    """A "proxy" that answers every request with a fixed head (terminal escape sequences in its reason phrase and
    headers): the loopback origin, which reads the request head and answers ``reply``."""
    return LoopbackOrigin(reply=head)


def test_terminal_escapes_from_a_proxy_are_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    head = (
        b"HTTP/1.1 403 \x1b]0;owned\x07Forbidden\x1b[2J\x9b31m\r\n"
        b"X-Squid-Error: ERR_ACCESS_DENIED \x1b[31m0\r\n"
        b"Proxy-Authenticate: \x1b[5mBasic realm=x\r\nContent-Length: 0\r\n\r\n"
    )
    with rude_proxy(head) as proxy:
        code, out, err = run(
            ["check", *SELECTION, "--only", "liveupdate.symantec.com", "--via", f"http://127.0.0.1:{proxy.port}"],
            capsys,
        )
    assert code == 1, err
    assert "\x1b" not in out + err and "\x07" not in out + err and "\x9b" not in out + err
    assert "Forbidden" in out and "ERR_ACCESS_DENIED" in out


def test_terminal_escapes_in_certificate_names_are_not_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = trustme.CA(organization_name="Corp\x1b]0;owned\x07\x1b[2J CA")
    with LoopbackOrigin(tls_context(hostile, "liveupdate.symantec.com")) as origin:
        code, out, err = run(
            [
                "check",
                *SELECTION,
                "--only",
                "liveupdate.symantec.com",
                "--resolve",
                "liveupdate.symantec.com:127.0.0.1",
                "--connect-to",
                f"liveupdate.symantec.com:443:127.0.0.1:{origin.port}",
                "--ca-file",
                write_ca(hostile, tmp_path / "ca.pem"),
                "--public-ca-file",
                write_ca(trustme.CA(), tmp_path / "public.pem"),
            ],
            capsys,
        )
    assert code == 1, err
    assert "INTERCEPTED" in out and "Corp" in out
    assert "\x1b" not in out + err and "\x07" not in out + err


# --- 6. the catalog cache runs no code -------------------------------------------------------------------------------


class _Marker:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {MARKER_NAME}",))


MARKER_NAME = "unpickled-marker"


def test_the_catalog_cache_never_unpickles(tmp_path: Path) -> None:
    """Both caches (the vendor's list, and the internal paths an --internal destination loads)."""
    cache = tmp_path / "cache"
    env = {**os.environ, "SEP_EGRESS_CACHE_DIR": str(cache)}
    env.pop("SEP_EGRESS_NO_CACHE", None)
    internal = ("--internal", "sepm=10.20.0.10/32")
    command = [sys.executable, "-m", "sep_egress", "plan", *SELECTION, *internal, "--format", "json"]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    entries = [path for path in cache.iterdir() if path.is_file()]
    assert {path.name.split("-")[0] for path in entries} == {"catalog", "internal"}
    for path in entries:
        path.write_bytes(pickle.dumps(_Marker()))
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=60, check=False)
    assert second.returncode == 0, second.stderr
    assert not (tmp_path / MARKER_NAME).exists()
    assert second.stdout == first.stdout


def test_a_tampered_cache_entry_cannot_smuggle_a_host(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "SEP_EGRESS_CACHE_DIR": str(cache)}
    env.pop("SEP_EGRESS_NO_CACHE", None)
    command = [sys.executable, "-m", "sep_egress", "export", "squid", *SELECTION]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    for path in cache.iterdir():
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "liveupdate.symantec.com" in text
            path.write_text(
                text.replace("liveupdate.symantec.com", "liveupdate.symantec.com\\nhttp_access allow all"),
                encoding="utf-8",
            )
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 0, second.stderr
    assert "http_access allow all" not in second.stdout
    assert second.stdout == first.stdout


# --- 8. TLS contexts are built once per run ---------------------------------------------------------------------------


def test_tls_contexts_are_built_once_not_per_handshake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    ca_file = write_ca(ca, tmp_path / "ca.pem")
    built: list[object] = []
    original = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        built.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    with LoopbackOrigin(tls_context(ca, "a.example.com")) as origin:
        from sep_egress.connectivity import Overrides

        targets = [Target("a.example.com", 443 + index, "tls") for index in range(12)]
        overrides = Overrides.parse(connect_to=[f"a.example.com:{443 + i}:127.0.0.1:{origin.port}" for i in range(12)])
        monkeypatch.setattr(ssl, "create_default_context", counting)
        # A store the public roots do not hold: every target takes all three handshakes.
        results = check_all(
            targets,
            timeout=5,
            concurrency=4,
            overrides=overrides,
            trust=TrustStores(public_cafile=write_ca(trustme.CA(), tmp_path / "other.pem"), local_cafile=ca_file),
        )
    assert all(result.tls.intercepted for result in results)
    assert len(built) <= 3, len(built)


@pytest.mark.parametrize("version", ["14.3 RU1\n", "14.3\nRU1", "\u0661\u0664.3", "14.3 RU1\u2028"])
def test_a_product_version_is_matched_whole_in_ascii(version: str) -> None:
    from sep_egress.catalog import ProductVersion, VersionError

    with pytest.raises(VersionError):
        ProductVersion.parse(version)


@pytest.mark.parametrize("source", ["fe80::%eth0/64", "fe80::%x\npass ip any any -> any any (sid:1;)/64"])
def test_aws_source_cidrs_refuse_a_zone_id(source: str) -> None:
    from sep_egress.catalog import load_catalog, select
    from sep_egress.compile.aws import AwsFirewallError, compile_network_firewall

    plan = select(load_catalog(), mode="on-prem", version="14.3 RU1")
    with pytest.raises(AwsFirewallError, match="zone id"):
        compile_network_firewall(plan, {"agent": [source]})


@pytest.mark.parametrize("description", ["x\ny", "x\u2028y", "x\x1b[2Jy"])
def test_gcp_text_options_refuse_line_breaks_and_controls(description: str) -> None:
    from sep_egress.compile.gcp_model import FirewallOptions, GcpSpecError

    with pytest.raises(GcpSpecError, match=r"options\.description"):
        FirewallOptions(description=description)


def test_a_proxy_that_echoes_the_credentials_cannot_put_them_in_the_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import base64

    password = "s3cret-Pässword"
    token = base64.b64encode(f"alice:{password}".encode()).decode("ascii")
    head = (
        f"HTTP/1.1 403 Forbidden for alice:{password}\r\nX-Squid-Error: ERR {token}\r\n".encode()
        + f'Proxy-Status: x; error=denied; details="Basic {token}"\r\n\r\n'.encode()
    )
    monkeypatch.setenv("SEP_EGRESS_PROXY_PASSWORD", password)
    with rude_proxy(head) as proxy:
        for output in ("table", "json"):
            code, out, err = run(
                [
                    "check",
                    *SELECTION,
                    "--only",
                    "liveupdate.symantec.com",
                    "--format",
                    output,
                    "--via",
                    f"http://alice@127.0.0.1:{proxy.port}",
                ],
                capsys,
            )
            assert code == 1, err
            assert "403" in out
            for secret in (password, token, "s3cret", password.encode().decode("iso-8859-1")):
                assert secret not in out + err
