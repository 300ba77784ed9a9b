"""`sep-egress catalog verify`: edited copies of the article (French text, English rendering, HTML rendering) give
exactly one difference each, with the right role and field; `--propose` writes a catalog that then agrees; files
that are not the article exit 2 with one message and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sep_egress.cli import main

from renderings import (
    EDITS,
    RENDERINGS,
    add_url,
    change_port,
    change_version,
    move_row,
    remove_url,
    replace_once,
    verify,
)
from support import ROOT, SEED


@pytest.mark.parametrize("form", RENDERINGS)
def test_an_unedited_rendering_agrees(capsys: pytest.CaptureFixture[str], form: str) -> None:
    code, report = verify(capsys, str(RENDERINGS[form]))
    assert code == 0, report
    assert report["agrees"] is True and not report["added"] and not report["removed"] and not report["changed"]
    edition = report["edition"]
    assert isinstance(edition, dict)
    assert edition["language"] == ("en" if form == "english-text" else "fr")
    assert edition["title"] and edition["missing_tables"] == []


@pytest.mark.parametrize("form", RENDERINGS)
@pytest.mark.parametrize("name", EDITS)
def test_each_edit_is_reported_once_with_its_role_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, form: str, name: str
) -> None:
    edit, kind, role, host, fields = EDITS[name]
    path = tmp_path / f"article{RENDERINGS[form].suffix}"
    path.write_text(edit(RENDERINGS[form].read_text(encoding="utf-8"), form), encoding="utf-8")
    code, report = verify(capsys, str(path))
    assert code == 1, report
    items = [(bucket, item) for bucket in ("added", "removed", "changed") for item in report[bucket]]  # type: ignore[attr-defined]
    assert len(items) == 1, items
    bucket, item = items[0]
    assert (bucket, item["role"], item["host"]) == (kind, role, host)
    if kind == "changed":
        assert item["fields"] == fields
    assert item["meaning"]


def test_the_human_report_says_which_role_gains_or_loses_what(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "moved.txt"
    path.write_text(move_row(SEED.read_text(encoding="utf-8"), "french-text"), encoding="utf-8")
    assert main(["catalog", "verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Drift: 0 added, 0 removed, 1 changed" in out
    assert "moves from role agent to role console: console gains it and agent loses it" in out
    path.write_text(remove_url(SEED.read_text(encoding="utf-8"), "french-text"), encoding="utf-8")
    assert main(["catalog", "verify", str(path)]) == 1
    assert "role agent loses https://tus1gwynwapex01.symantec.com on port 443" in capsys.readouterr().out
    for edit, says in (
        (change_version, "releases from 14.3 MP1 to before 14.3 RU2 allow it needlessly"),
        (change_port, "deployments block port 8443 and allow port 443 needlessly"),
        (add_url, "role agent gains https://new-reputation.symantec.com on port 443"),
    ):
        path.write_text(edit(SEED.read_text(encoding="utf-8"), "french-text"), encoding="utf-8")
        assert main(["catalog", "verify", str(path)]) == 1
        assert says in capsys.readouterr().out


def test_a_missing_footnote_is_reported_once_per_url_it_marked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = "\n".join(line for line in SEED.read_text(encoding="utf-8").split("\n") if not line.startswith("* En nov"))
    path = tmp_path / "no-footnote.txt"
    path.write_text(text, encoding="utf-8")
    code, report = verify(capsys, str(path))
    assert code == 1
    assert report["edition"]["footnote"] is False  # type: ignore[index]
    assert not report["added"] and not report["removed"]
    changed = report["changed"]
    assert isinstance(changed, list) and len(changed) == 5
    assert {item["host"] for item in changed} == {"storage.googleapis.com"}
    assert all(item["fields"] == {"footnote": {"catalog": "storage-move", "article": None}} for item in changed)
    assert len({item["entry"] for item in changed}) == 5


def test_hostile_text_reaches_the_output_only_as_plain_canonical_values(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = SEED.read_text(encoding="utf-8")
    text = replace_once(text, "URL qui autorisent", "URL\x1b[31m qui\u202e autorisent")
    text = replace_once(
        text,
        "https://ent-shasta-rrs.symantec.com\n",
        "https://ent-shasta-rrs.symantec.com\nhttps://evil\x1b]0;x\x07.example.com\n",
    )
    text = replace_once(
        text,
        "https://tses.broadcom.com\n",
        "https://tses.broadcom.com\nhttps://ok.symantec.com/<script>\n",
    )
    path = tmp_path / "hostile.txt"
    path.write_text(text, encoding="utf-8")
    code, report = verify(capsys, str(path))
    assert code == 1
    dumped = json.dumps(report, ensure_ascii=False)
    assert "\x1b" not in dumped and "\u202e" not in dumped and "<script>" not in dumped and "evil" not in dumped
    problems = report["edition"]["problems"]  # type: ignore[index]
    assert [problem["role"] for problem in problems] == ["agent", "agent"]
    assert main(["catalog", "verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "UNREADABLE" in out


def test_a_row_given_two_ports_is_one_change_per_url(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = replace_once(
        SEED.read_text(encoding="utf-8"),
        "https://ent-shasta-rrs.symantec.com\n443\n",
        "https://ent-shasta-rrs.symantec.com\n80, 443\n",
    )
    path = tmp_path / "two-ports.txt"
    path.write_text(text, encoding="utf-8")
    code, report = verify(capsys, str(path))
    assert code == 1
    (item,) = report["changed"]  # type: ignore[misc]
    assert item["fields"] == {"ports": {"catalog": [443], "article": [80, 443]}}


def test_urls_under_a_table_whose_labels_changed_are_not_silently_removed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = SEED.read_text(encoding="utf-8")
    labels = "MANAGEMENT CONSOLE\nURL à autoriser pour\n(sur site)\nUtilisation\nURL\nPort\n"
    text = replace_once(text, labels, labels.replace("Utilisation\nURL\nPort", "Objet\nAdresse\nPort"))
    path = tmp_path / "relabelled.txt"
    path.write_text(text, encoding="utf-8")
    code, report = verify(capsys, str(path))
    assert code == 1
    problems = report["edition"]["problems"]  # type: ignore[index]
    assert problems and {problem["role"] for problem in problems} == {"sepm"}
    assert all("outside the tables" in problem["message"] for problem in problems)


def test_the_json_example_of_the_docs_is_the_real_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    block = document.split("```json\n", 1)[1].split("```\n", 1)[0]
    path = tmp_path / "moved.txt"
    path.write_text(move_row(SEED.read_text(encoding="utf-8"), "french-text"), encoding="utf-8")
    assert main(["catalog", "verify", str(path), "--format", "json"]) == 1
    assert capsys.readouterr().out == block
