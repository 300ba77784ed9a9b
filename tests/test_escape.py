"""The escaping functions, one per output format, each checked with the reader of that format where one exists."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pacparser
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from sep_egress.escape import (
    SQUID_COMMENT_MAX,
    csv_cell,
    gcp_description,
    is_unsafe,
    js_comment,
    js_string,
    json_document,
    markdown_code,
    markdown_code_span,
    markdown_text,
    plain_text,
    squid_comment,
    suricata_msg,
    terminal_text,
)

from support import call_main

SEPARATORS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(SEPARATORS + "\"';)(%#\\`|*_<>&[]!\x1b\x07\x9b\u202e\u200b\udcff")),
        st.characters(codec="utf-8"),
    ),
    max_size=40,
)


@pytest.mark.property
@settings(max_examples=300)
@given(TEXT)
def test_plain_text_is_one_line_without_controls(text: str) -> None:
    value = plain_text(text)
    assert len(value.splitlines()) <= 1 and not any(char in value for char in SEPARATORS)
    value.encode("utf-8")  # no lone surrogate left (this would raise)
    assert plain_text("CORP\\alice") == "CORP\\alice"
    assert plain_text("a\nb\u2028c\udcff") == "a\\nb\\u2028c\\xff"


def test_terminal_text_removes_escape_sequences() -> None:
    hostile = "ok\x1b]0;title\x07\x1b[2J\x1b[31mred\x9b1mX\x1bPdcs\x1b\\ \x1b7end"
    assert terminal_text(hostile) == "okredX end"
    assert "\x1b" not in terminal_text("\x1b") and "\x1b" not in terminal_text("\x1b[")


@pytest.mark.property
@pytest.mark.real_program
@settings(max_examples=200)
@given(TEXT)
def test_a_js_comment_stays_a_comment_and_a_js_string_a_string(text: str) -> None:
    pac = (
        f"// {js_comment(text)}\n"
        f'function FindProxyForURL(url, host) {{ var s = {js_string(text)}; return "DIRECT"; }}\n'
    )
    pacparser.init()
    try:
        pacparser.parse_pac_string(pac)
        assert pacparser.find_proxy("http://a.example/", "a.example") == "DIRECT"
    finally:
        pacparser.cleanup()
    assert json.loads(js_string(text).replace("<\\/", "</")) == text


@pytest.mark.property
@settings(max_examples=200)
@given(TEXT)
def test_squid_comment_and_gcp_description_are_one_bounded_line(text: str) -> None:
    for value in (squid_comment(text * 50), gcp_description(text * 200)):
        assert not any(char in value for char in SEPARATORS)
    assert len(squid_comment(text * 50)) <= SQUID_COMMENT_MAX


@pytest.mark.property
@settings(max_examples=200)
@given(TEXT)
def test_suricata_msg_cannot_end_the_option(text: str) -> None:
    value = suricata_msg(text)
    unescaped = value.replace("\\\\", "").replace('\\"', "").replace("\\;", "")
    assert '"' not in unescaped and ";" not in unescaped and "\\" not in unescaped
    assert not any(char in value for char in SEPARATORS)


@pytest.mark.property
@settings(max_examples=200)
@given(TEXT)
def test_csv_cells_round_trip_and_never_start_a_formula(text: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([csv_cell(text), "next"])
    [row] = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert row[1] == "next"
    assert row[0][:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert row[0] == csv_cell(text) in (plain_text(text), "'" + plain_text(text))
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("-2") == "'-2" and csv_cell("@SUM(A1)") == "'@SUM(A1)"


MARKDOWN = MarkdownIt("commonmark").enable("table")


@pytest.mark.property
@settings(max_examples=300)
@given(TEXT)
@example("    0")  # four leading spaces after a list marker: an indented code block, before the leading space escape
def test_markdown_text_renders_as_the_text_itself(text: str) -> None:
    tokens = MARKDOWN.parse(f"- {markdown_text(text)}\n")
    assert [token.type for token in tokens] == [
        "bullet_list_open",
        "list_item_open",
        "paragraph_open",
        "inline",
        "paragraph_close",
        "list_item_close",
        "bullet_list_close",
    ] or not plain_text(text).strip()
    inline = [token for token in tokens if token.type == "inline"]
    if inline:
        children = inline[0].children or []
        assert {child.type for child in children} <= {"text", "softbreak"}
        assert "".join(child.content for child in children).strip() == plain_text(text).strip()


@pytest.mark.property
@settings(max_examples=200)
@given(st.lists(TEXT, max_size=4), TEXT)
def test_markdown_code_holds_any_lines_and_span_any_text(lines: list[str], text: str) -> None:
    tokens = MARKDOWN.parse("\n".join(markdown_code(lines)) + "\n")
    assert [token.type for token in tokens] == ["fence"]
    assert tokens[0].content == "".join(plain_text(line) + "\n" for line in lines)
    [inline] = [token for token in MARKDOWN.parse(f"x {markdown_code_span(text)}\n") if token.type == "inline"]
    assert [child.type for child in inline.children or []] == ["text", "code_inline"]


@pytest.mark.property
@given(st.dictionaries(TEXT, st.one_of(TEXT, st.lists(TEXT, max_size=3)), max_size=4))
@example({"overlay\u202e\x85": ["a\u2028b", "\udcff", "\U000e0001"]})
def test_json_documents_carry_no_raw_unsafe_character_and_decode_unchanged(document: dict[str, object]) -> None:
    text = json_document(document)
    assert text.endswith("\n")
    assert not [char for char in text if char != "\n" and is_unsafe(char)]
    assert json.loads(text) == document
    text.encode("utf-8")  # a lone surrogate would make writing the output fail


def _hostile_overlay_stack(tmp_path: Path) -> str:
    """A stack whose overlays: names a file with bidi and C1 characters in its name (the reproducer)."""
    name = "corp\u202eyaml.\x85evil.yaml"
    (tmp_path / "stacks").mkdir()
    (tmp_path / name).write_text("exclude: []\n", encoding="utf-8")
    (tmp_path / "stacks" / "Pulumi.hostile.yaml").write_text(
        json.dumps(
            {"config": {"sep-egress:version": "14.3 RU1", "sep-egress:mode": "hybrid", "sep-egress:overlays": [name]}}
        ),
        encoding="utf-8",
    )
    return name


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "--format", "json"],
        ["plan", "--format", "table"],
        ["export", "hosts"],
        ["export", "squid"],
    ],
)
def test_overlay_names_from_a_stack_reach_no_output_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    name = _hostile_overlay_stack(tmp_path)
    code, out, err = call_main([*argv, "--stack", "hostile", "--project-dir", str(tmp_path)], capsys)
    assert code == 0, err
    assert not [char for char in out + err if char not in "\n\t" and is_unsafe(char)]
    if argv[-1] == "json":
        assert name in json.dumps(json.loads(out), ensure_ascii=False)  # the value itself is kept
