"""sep-egress catalog propose: a catalog that agrees with the article, the change recorded, only the lines that differ
rewritten."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sep_egress.catalog import load_catalog
from sep_egress.cli import main

from renderings import EDITS, RENDERINGS, change_version, replace_once, verify
from support import SEED


@pytest.mark.parametrize("form", RENDERINGS)
@pytest.mark.parametrize("name", EDITS)
def test_propose_writes_a_catalog_that_agrees_and_records_the_change(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str, name: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")  # 2026-12-01
    edit = EDITS[name][0]
    article = tmp_path / f"article{RENDERINGS[form].suffix}"
    article.write_text(edit(RENDERINGS[form].read_text(encoding="utf-8"), form), encoding="utf-8")
    proposal = tmp_path / "proposal.yaml"
    code, _ = verify(capsys, str(article), "--propose", str(proposal))
    assert code == 1
    assert verify(capsys, str(article), "--catalog", str(proposal))[0] == 0
    catalog, original = load_catalog(proposal), load_catalog()
    assert catalog.version == "2026.12.01"
    assert catalog.readings == original.readings and catalog.notices == original.notices
    # The edition read records the day it was read; the others are kept as they were.
    language = form.split("-")[0][:2]
    read = [index for index, e in enumerate(original.editions) if e.language == language and e.kb is None]
    assert len(read) == 1
    assert [edition.retrieved for edition in catalog.editions] == [
        "2026-12-01" if index in read else edition.retrieved for index, edition in enumerate(original.editions)
    ]
    assert [replace(edition, retrieved="x") for edition in catalog.editions] == [
        replace(edition, retrieved="x") for edition in original.editions
    ]
    change = catalog.changes[-1]
    assert change.version == catalog.version and change.details
    assert all(detail.disposition in ("add", "change", "remove") and detail.impact for detail in change.details)
    # Ids of entries the edit did not touch are kept, with their texts.
    touched = {detail.id for detail in change.details}
    kept = {entry.id: entry for entry in catalog.entries}
    for entry in original.entries:
        if entry.id not in touched:
            assert kept[entry.id] == entry
    assert main(["changes", "--catalog", str(proposal)]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith(f"{catalog.version} (2026-12-01): Proposed") and f"{change.details[0].id} [" in listed


def test_propose_gives_a_new_row_a_new_stable_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    text = replace_once(
        SEED.read_text(encoding="utf-8"),
        "Agent Linux\n",
        "Agent macOS\nhttps://mac-repo.us.securitycloud.symantec.com (à partir de la version 14.3 RU8)\n443\n"
        "Agent Linux\n",
    )
    article = tmp_path / "article.txt"
    article.write_text(text, encoding="utf-8")
    first, second = tmp_path / "first.yaml", tmp_path / "second.yaml"
    assert verify(capsys, str(article), "--propose", str(first))[0] == 1
    assert verify(capsys, str(article), "--propose", str(second))[0] == 1
    assert first.read_bytes() == second.read_bytes()  # deterministic
    catalog = load_catalog(first)
    (new,) = [entry for entry in catalog.entries if entry.id not in {e.id for e in load_catalog().entries}]
    assert new.id == "agent-mac-repo-us-securitycloud-symantec-com"
    assert (new.role, new.ports, str(new.min_version)) == ("agent", (443,), "14.3 RU8")
    assert catalog.changes[-1].added == (new.id,)
    # The new entry sits with its role's entries, and the file keeps its comments.
    text_out = first.read_text(encoding="utf-8")
    assert text_out.index(new.id) < text_out.index("id: agent-cloud-api-gateway")
    assert "# --- AGENT SYMANTEC / CLIENT SYMANTEC ENDPOINT PROTECTION" in text_out


def test_nothing_is_proposed_when_the_article_agrees(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "proposal.yaml"
    assert main(["catalog", "verify", str(SEED), "--propose", str(out)]) == 0
    assert not out.exists() and "nothing to propose" in capsys.readouterr().err


def test_the_proposal_changes_only_the_lines_that_differ(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import difflib

    from sep_egress.catalog.vendor.load import CATALOG_PATH

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    article = tmp_path / "article.txt"
    article.write_text(change_version(SEED.read_text(encoding="utf-8"), "french-text"), encoding="utf-8")
    proposal = tmp_path / "proposal.yaml"
    assert verify(capsys, str(article), "--propose", str(proposal))[0] == 1
    before = CATALOG_PATH.read_text(encoding="utf-8").splitlines()
    after = proposal.read_text(encoding="utf-8").splitlines()
    diff = [line for line in difflib.unified_diff(before, after, lineterm="", n=0) if line[:1] in "+-"]
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    assert removed == ['-version: "2026.11.28"', "-      retrieved: unverified", '-    min_version: "14.3 MP1"']
    assert added[:3] == ['+version: "2026.12.01"', "+      retrieved: 2026-12-01", '+    min_version: "14.3 RU2"']
    assert added[3:6] == ['+  - version: "2026.12.01"', '+    date: "2026-12-01"', "+    summary: >-"]
    assert "+    changed: [agent-web-pulse-reputation]" in added


def test_a_proposal_leaves_out_what_could_not_be_read(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    anchor = "https://ent-shasta-rrs.symantec.com\n"
    text = replace_once(SEED.read_text(encoding="utf-8"), anchor, anchor + "https://bad_host.symantec.com\n")
    text = replace_once(text, "https://tus1gwynwapex01.symantec.com\n", "")
    article, proposal = tmp_path / "article.txt", tmp_path / "proposal.yaml"
    article.write_text(text, encoding="utf-8")
    assert main(["catalog", "verify", str(article), "--propose", str(proposal)]) == 1
    assert "leaves out what the reader could not read" in capsys.readouterr().err
    assert load_catalog(proposal).changes[-1].removed == ("agent-client-auth-token",)
    # The unreadable line keeps the article from agreeing with any catalog until a person looks at it.
    assert verify(capsys, str(article), "--catalog", str(proposal))[0] == 1
