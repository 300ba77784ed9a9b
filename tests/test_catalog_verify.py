"""`sep-egress catalog verify`: edited copies of the article (French text, English rendering, HTML rendering) give
exactly one difference each, with the right role and field; `--propose` writes a catalog that then agrees; files
that are not the article exit 2 with one message and no traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from sep_egress.catalog import load_catalog
from sep_egress.catalog.article import MAX_ARTICLE_BYTES, MAX_URLS, ArticleError, parse_article
from sep_egress.cli import main

from support import ROOT, SEED

ENGLISH = ROOT / "tests" / "data" / "vendor-article-en-rendering.txt"
HTML = ROOT / "tests" / "data" / "vendor-article-fr-rendering.html"
RENDERINGS = {"french-text": SEED, "english-text": ENGLISH, "french-html": HTML}


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["catalog", "verify", *args, "--format", "json"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out else {"stderr": captured.err})


def between(text: str, form: str, *parts: str) -> str:
    """The parts as they follow each other in a rendering: lines in text, paragraphs in the HTML table cells."""
    return ("</p><p>" if form == "french-html" else "\n").join(parts)


def replace_once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def add_url(text: str, form: str) -> str:
    anchor = "https://ent-shasta-rrs.symantec.com"
    return replace_once(text, anchor, between(text, form, anchor, "https://new-reputation.symantec.com"))


def remove_url(text: str, form: str) -> str:
    url = "https://tus1gwynwapex01.symantec.com"
    return replace_once(text, f"<p>{url}</p>" if form == "french-html" else f"{url}\n", "")


def change_port(text: str, form: str) -> str:
    if form == "french-html":
        return replace_once(
            text, "ent-shasta-rrs.symantec.com</p></td><td><p>443<", "ent-shasta-rrs.symantec.com</p></td><td><p>8443<"
        )
    return replace_once(
        text, "https://ent-shasta-rrs.symantec.com\n443\n", "https://ent-shasta-rrs.symantec.com\n8443\n"
    )


def change_version(text: str, form: str) -> str:
    sentence = "For 14.3 MP1 or later." if form == "english-text" else "Pour 14.3 MP1 ou version ultérieure."
    return replace_once(text, sentence, sentence.replace("MP1", "RU2"))


def move_row(text: str, form: str) -> str:
    """The Linux agent row leaves the agents' table for the ICDm console's."""
    console = "ICDm cloud console" if form == "english-text" else "Console Cloud ICDm"
    if form == "french-html":
        row = re.search(r"<tr>(?:(?!</tr>).)*linux-repo(?:(?!</tr>).)*</tr>", text)
        assert row
        text = text.replace(row.group(0), "", 1)
        return replace_once(text, f"<tr><td><p><b>{console}", row.group(0) + f"<tr><td><p><b>{console}")
    title = "Linux Agent" if form == "english-text" else "Agent Linux"
    bound = "(starting with 14.3 RU1)" if form == "english-text" else "(à partir de la version 14.3 RU1)"
    row_text = f"{title}\nhttps://linux-repo.us.securitycloud.symantec.com {bound}\n443\n"
    text = replace_once(text, row_text, "")
    return replace_once(text, f"{console}\n", row_text + f"{console}\n")


def unstar_url(text: str, form: str) -> str:
    """The `*` of the console's file-staging row goes: that storage URL is no longer tied to the footnote."""
    s3 = "https://us-east-1-s3-symc-prod-saep-edr-samples.s3.amazonaws.com"
    return replace_once(
        text,
        between(text, form, s3, "* https://storage.googleapis.com"),
        between(text, form, s3, "https://storage.googleapis.com"),
    )


EDITS: dict[str, tuple[Callable[[str, str], str], str, str, str, dict[str, object]]] = {
    # name: (edit, kind, role, host, fields that must differ (catalog -> article))
    "url-added": (add_url, "added", "agent", "new-reputation.symantec.com", {}),
    "url-removed": (remove_url, "removed", "agent", "tus1gwynwapex01.symantec.com", {}),
    "port-changed": (
        change_port,
        "changed",
        "agent",
        "ent-shasta-rrs.symantec.com",
        {"ports": {"catalog": [443], "article": [8443]}},
    ),
    "version-changed": (
        change_version,
        "changed",
        "agent",
        "sp.cwfservice.net",
        {"min_version": {"catalog": "14.3 MP1", "article": "14.3 RU2"}},
    ),
    "row-moved": (
        move_row,
        "changed",
        "console",
        "linux-repo.us.securitycloud.symantec.com",
        {"role": {"catalog": "agent", "article": "console"}},
    ),
    "footnote-mark-removed": (
        unstar_url,
        "changed",
        "console",
        "storage.googleapis.com",
        {"storage": {"catalog": "gcp", "article": None}, "footnote": {"catalog": "storage-move", "article": None}},
    ),
}


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
    assert catalog.editions == original.editions
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


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param((ROOT / "README.md").read_bytes(), id="unrelated-text"),
        pytest.param(b"<html><body><p>Page not found</p><table><tr><td>x", id="unrelated-html"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="binary"),
        pytest.param(b"\xff\xfe" + "URL qui autorisent".encode("utf-16-le"), id="utf-16"),
        pytest.param(
            b"Direcciones URL que permiten que SEP y SES se conecten a los servidores de Symantec\n",
            id="spanish-edition",
        ),
    ],
)
def test_a_file_that_is_not_a_readable_edition_exits_2_with_one_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    assert main(["catalog", "verify", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and str(path) in captured.err and "Traceback" not in captured.err


def test_the_spanish_edition_is_named_rather_than_called_unrelated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "es.txt"
    path.write_text(
        "Direcciones URL que permiten que SEP y SES se conecten a los servidores de Symantec\n", encoding="utf-8"
    )
    assert main(["catalog", "verify", str(path)]) == 2
    assert "Spanish (es) edition" in capsys.readouterr().err


def test_a_huge_file_and_a_missing_file_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.write(SEED.read_bytes())
        handle.seek(MAX_ARTICLE_BYTES + 10)
        handle.write(b"\n")
    assert main(["catalog", "verify", str(huge)]) == 2
    assert "larger than" in capsys.readouterr().err
    assert main(["catalog", "verify", str(tmp_path / "absent.txt")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


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


@pytest.mark.parametrize(
    "content",
    [
        b"<html><body><h2>MANAGEMENT CONSOLE</h2><table><tr><td>Utilisation<td>URL<td>Port<tr><td><p>x</td>",
        b"<html>" + b"<div>" * 50000,
        b"<html><body><![CDATA[ <table> ]]><!-- <tr> --><script>document.write('<table>')</script>",
        b"<html><body>&#xD800;&#1114112;&bogus;<p>https://</p>",
    ],
    ids=["unclosed", "deep", "cdata-comment-script", "bad-references"],
)
def test_malformed_html_gives_the_one_documented_error(content: bytes) -> None:
    with pytest.raises(ArticleError, match=r"page\.html: not a recognisable edition"):
        parse_article(content, "page.html")


def test_a_truncated_page_is_read_as_far_as_it_goes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = HTML.read_bytes()
    path = tmp_path / "truncated.html"
    path.write_bytes(data[: data.index(b"<b>Console Cloud ICDm")])  # cut inside the last table's first row
    code, report = verify(capsys, str(path))
    assert code == 1
    removed = report["removed"]
    assert isinstance(removed, list) and removed and {item["role"] for item in removed} == {"console"}
    assert not report["added"]
    # The footnote under the tables is cut off too: each starred URL left loses it, once.
    changed = report["changed"]
    assert isinstance(changed, list) and all(set(item["fields"]) == {"footnote"} for item in changed)
    path.write_bytes(data[: len(data) // 3])  # two tables of five: not enough to tell an edition
    assert verify(capsys, str(path))[0] == 2


def test_a_heading_inside_a_script_is_not_read() -> None:
    page = HTML.read_text(encoding="utf-8")
    assert "<script>var menu = '<table><tr><td>MANAGEMENT CONSOLE" in page
    article = parse_article(page, "page.html")
    assert article.tables == ("agent", "agent-cloud", "sepm", "sepm-cloud", "console")


def test_a_file_with_thousands_of_urls_is_refused_early(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    anchor = "https://ent-shasta-rrs.symantec.com\n"
    flood = "".join(f"https://host{number}.symantec.com\n" for number in range(MAX_URLS + 10))
    path = tmp_path / "flood.txt"
    path.write_text(replace_once(SEED.read_text(encoding="utf-8"), anchor, anchor + flood), encoding="utf-8")
    assert main(["catalog", "verify", str(path)]) == 2
    assert f"more than {MAX_URLS} URLs" in capsys.readouterr().err


def test_a_catalog_named_before_the_subcommand_is_the_one_compared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    article = tmp_path / "article.txt"
    article.write_text(add_url(SEED.read_text(encoding="utf-8"), "french-text"), encoding="utf-8")
    proposal = tmp_path / "proposal.yaml"
    assert main(["catalog", "verify", str(article), "--propose", str(proposal)]) == 1
    capsys.readouterr()
    assert main(["catalog", "--catalog", str(proposal), "verify", str(article)]) == 0
    assert "catalog: 2026.12.01" in capsys.readouterr().out


def test_the_catalog_listing_shows_where_the_catalog_was_read_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog"]) == 0
    head = capsys.readouterr().out.split("\n\n")[0]
    assert "read from: fr edition, https://techdocs.broadcom.com/fr/fr/" in head
    assert "checked against: en edition, KB 154433, https://knowledge.broadcom.com/external/article/154433" in head
    assert main(["catalog", "--format", "json"]) == 0
    editions = json.loads(capsys.readouterr().out)["source"]["editions"]
    read = [edition for edition in editions if edition["read"]]
    assert [(edition["language"], edition["retrieved"]) for edition in read] == [("fr", "unverified")]
    assert set(read[0]) == {"language", "title", "url", "kb", "retrieved", "read", "note"}


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("retrieved: unverified\n      read: true", 'retrieved: "2026-13-01"\n      read: true'),
            "not a calendar date",
        ),
        (("retrieved: unverified\n      read: true", "retrieved: 2026-13-01\n      read: true"), "not valid YAML"),
        (("url: https://techdocs.broadcom.com/fr/fr/", "url: http://techdocs.broadcom.com/fr/fr/"), "https://"),
        (('kb: "154433"', 'kb: "KB154433"'), "not a knowledge-base article number"),
        (
            (
                "    removed: []\n",
                "    removed: []\n    details:\n"
                "      - {id: console-icdm, disposition: remove, impact: [removed-entry]}\n",
            ),
            "not listed there",
        ),
        (
            (
                "    removed: []\n",
                "    removed: []\n    details:\n      - {id: console-icdm, disposition: add, impact: [moved]}\n",
            ),
            "impact",
        ),
    ],
    ids=["bad-date", "bad-unquoted-date", "clear-text-url", "bad-kb", "detail-not-listed", "unknown-impact"],
)
def test_provenance_and_change_details_are_validated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    from sep_egress.catalog.load import CATALOG_PATH

    path = tmp_path / "catalog.yaml"
    path.write_text(replace_once(CATALOG_PATH.read_text(encoding="utf-8"), *edit), encoding="utf-8")
    assert main(["catalog", "--catalog", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err


def test_an_unquoted_retrieval_date_is_a_date(tmp_path: Path) -> None:
    from sep_egress.catalog.load import CATALOG_PATH

    path = tmp_path / "catalog.yaml"
    edit = ("retrieved: unverified\n      read: true", "retrieved: 2026-11-28\n      read: true")
    path.write_text(replace_once(CATALOG_PATH.read_text(encoding="utf-8"), *edit), encoding="utf-8")
    assert load_catalog(path).editions[0].retrieved == "2026-11-28"


def test_a_bound_on_the_line_after_its_url_is_that_urls(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = HTML.read_text(encoding="utf-8")
    for url, bound in (
        ("https://faults.symantec.com", "(à partir de la version 14.3 RU1)"),
        ("https://faults.qalabs.symantec.com", "(14.3 MP1 et versions antérieures)"),
    ):
        page = replace_once(page, f"<p>{url} {bound}</p>", f"<p>{url}</p><p>{bound}</p>")
    path = tmp_path / "split.html"
    path.write_text(page, encoding="utf-8")
    assert verify(capsys, str(path))[0] == 0


def test_the_proposal_changes_only_the_lines_that_differ(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import difflib

    from sep_egress.catalog.load import CATALOG_PATH

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
    assert removed == ['-version: "2026.11.28"', '-    min_version: "14.3 MP1"']
    assert added[:2] == ['+version: "2026.12.01"', '+    min_version: "14.3 RU2"']
    assert added[2:5] == ['+  - version: "2026.12.01"', '+    date: "2026-12-01"', "+    summary: >-"]
    assert "+    changed: [agent-web-pulse-reputation]" in added


def test_headings_without_readable_tables_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A page whose tables are built by scripts in the browser: the headings are there, the rows are not."""
    page = re.sub(
        r"<table>.*?</table>", "<div id='table-placeholder'></div>", HTML.read_text(encoding="utf-8"), flags=re.S
    )
    path = tmp_path / "unrendered.html"
    path.write_text(page, encoding="utf-8")
    assert main(["catalog", "verify", str(path)]) == 2
    assert "no table rows with URLs were found" in capsys.readouterr().err


def test_html_tables_without_a_row_of_column_labels_are_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    page = re.sub(r"<thead>.*?</thead>", "", HTML.read_text(encoding="utf-8"), flags=re.S)
    page = page.replace("<tbody>", "").replace("</tbody>", "")
    path = tmp_path / "no-labels.html"
    path.write_text(page, encoding="utf-8")
    assert verify(capsys, str(path))[0] == 0


@pytest.mark.parametrize("cell", ["TCP 443", "443 (TCP)"])
def test_a_port_cell_written_with_its_protocol_reads_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, cell: str
) -> None:
    path = tmp_path / "tcp.txt"
    path.write_text(SEED.read_text(encoding="utf-8").replace("\n443\n", f"\n{cell}\n"), encoding="utf-8")
    assert verify(capsys, str(path))[0] == 0


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


def test_a_table_under_a_reworded_heading_is_not_given_to_the_table_above(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The agent-cloud heading reworded: its rows must not become agent rows (a proposal would widen agent);
    they are unread, the table is missing, and no proposal is written."""
    text = replace_once(
        SEED.read_text(encoding="utf-8"),
        "URL supplémentaires pour autoriser l’agent Symantec géré de manière hybride ou gérée par le Cloud",
        "URL supplémentaires pour l’agent Symantec en mode hybride ou Cloud",
    )
    article = tmp_path / "reworded.txt"
    article.write_text(text, encoding="utf-8")
    code, report = verify(capsys, str(article))
    assert code == 1
    assert report["edition"]["missing_tables"] == ["agent-cloud"]  # type: ignore[index]
    assert report["changed"] == [] and report["added"] == []
    assert {item["role"] for item in report["removed"]} == {"agent-cloud"}  # type: ignore[attr-defined]
    proposal = tmp_path / "proposal.yaml"
    assert main(["catalog", "verify", str(article), "--propose", str(proposal)]) == 2
    assert "no proposal" in capsys.readouterr().err and not proposal.exists()


def test_a_url_repeated_in_one_cell_is_one_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = "https://ent-shasta-rrs.symantec.com\n"
    article = tmp_path / "repeated.txt"
    article.write_text(replace_once(SEED.read_text(encoding="utf-8"), line, line + line), encoding="utf-8")
    code, report = verify(capsys, str(article))
    assert code == 0, report
