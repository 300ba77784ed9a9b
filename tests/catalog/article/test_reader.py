"""The catalog against the vendor's article itself: every URL, under the right role, port, bounds and phase.

The article is read by the project's one reader (``sep_egress.catalog.article``), not through the catalog, so a
URL dropped, moved to another table or given the wrong port in the YAML fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sep_egress.catalog import Catalog, ProductVersion
from sep_egress.catalog.article import (
    MAX_ARTICLE_BYTES,
    MAX_URLS,
    ArticleError,
    ArticleUrl,
    parse_article,
    read_article_file,
)
from sep_egress.catalog.article.drift import compare
from sep_egress.cli import main

from renderings import ENGLISH, HTML, replace_once, verify
from support import ROOT, SEED, SHARED_SEED

ARTICLE = read_article_file(SEED)


def test_the_fixture_is_the_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("the shared seed is not beside this checkout; the fixture copy is used alone")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_the_reader_recognises_the_french_edition_and_its_five_tables() -> None:
    assert (ARTICLE.language, ARTICLE.form) == ("fr", "text")
    assert ARTICLE.title == "URL qui autorisent SEP et SES à se connecter aux serveurs Symantec"
    assert ARTICLE.tables == ("agent", "agent-cloud", "sepm", "sepm-cloud", "console")
    assert ARTICLE.footnote and not ARTICLE.problems


def test_article_parser_sees_every_url_of_the_text() -> None:
    text = SEED.read_text(encoding="utf-8").split("* En novembre 2020")[0]
    assert len(ARTICLE.urls) == len(re.findall(r"https?://", text))


def test_the_row_without_a_port_cell_reads_443_from_its_scheme() -> None:
    storage = [item for item in ARTICLE.by_role("agent-cloud") if item.row == "Services de stockage cloud"]
    assert len(storage) == 3 and all(item.ports == (443,) and not item.port_cell for item in storage)


def test_conditions_written_as_text_are_read() -> None:
    by_url = {(item.role, item.url.raw): item for item in ARTICLE.urls}
    assert by_url["agent", "https://sp.cwfservice.net"].min_version == ProductVersion.parse("14.3 MP1")
    assert by_url["agent", "https://faults.qalabs.symantec.com"].max_version == ProductVersion.parse("14.3 MP1")
    assert by_url["agent", "https://faults.symantec.com"].min_version == ProductVersion.parse("14.3 RU1")
    http = by_url["sepm", "http://liveupdate.symantec.com"]
    assert (http.ports, http.proxy, str(http.before_version)) == ((80,), True, "14.3 RU1")
    assert by_url["sepm", "https://liveupdate.symantec.com"].ports == (443,)
    starred = [item for item in ARTICLE.urls if item.footnote]
    assert {item.url.host for item in starred} == {"storage.googleapis.com"} and len(starred) == 5


@pytest.mark.parametrize("expected", ARTICLE.urls, ids=lambda item: f"{item.role}:{item.url.raw}:{item.ports}")
def test_every_article_url_is_in_the_catalog_under_its_role_and_port(catalog: Catalog, expected: ArticleUrl) -> None:
    matches = [
        entry
        for entry in catalog.entries
        if entry.role == expected.role
        and any(url.raw == expected.url.raw and entry.url_ports(url) == expected.ports for url in entry.urls)
    ]
    assert matches, f"{expected.url.raw} on {expected.ports} is missing from role {expected.role}"
    entry = matches[0]
    assert entry.min_version == expected.min_version
    assert entry.max_version == expected.max_version
    assert entry.before_version == expected.before_version
    assert bool(entry.requires_proxy) == expected.proxy
    assert entry.storage == expected.storage
    if expected.footnote:
        assert entry.footnote == "storage-move"


def test_catalog_has_no_url_the_article_does_not_list(catalog: Catalog) -> None:
    article = {(item.role, item.url.raw, item.ports) for item in ARTICLE.urls}
    for entry in catalog.entries:
        for url in entry.urls:
            assert (entry.role, url.raw, entry.url_ports(url)) in article, (
                f"{entry.id}: {url.raw} is not in the article"
            )


@pytest.mark.parametrize("path", [SEED, ENGLISH, HTML], ids=["french-text", "english-text", "french-html"])
def test_the_catalog_agrees_with_every_rendering_of_the_article(catalog: Catalog, path: object) -> None:
    drift = compare(read_article_file(str(path)), catalog)
    assert drift.agrees, drift.to_json()
    assert len(drift.matched) == len(ARTICLE.urls)


def test_the_english_and_html_renderings_read_the_same_urls_and_conditions() -> None:
    def shape(items: tuple[ArticleUrl, ...]) -> list[tuple[object, ...]]:
        # The localized page of www.symantec.com differs by edition (readings: localized-path).
        return [
            (
                i.role,
                i.url.host,
                i.ports,
                i.min_version,
                i.max_version,
                i.before_version,
                i.proxy,
                i.storage,
                i.footnote,
            )
            for i in items
        ]

    english, html = read_article_file(ENGLISH), read_article_file(HTML)
    assert (english.language, html.form) == ("en", "html")
    assert shape(english.urls) == shape(ARTICLE.urls) == shape(html.urls)


def test_version_bounds_are_product_versions(catalog: Catalog) -> None:
    for entry in catalog.entries:
        for bound in (entry.min_version, entry.max_version):
            if bound is not None:
                assert ProductVersion.parse(str(bound)) == bound


def test_the_english_structure_accepts_common_variants_of_its_wording(catalog: Catalog) -> None:
    """The live English page was not available when the structure was written: variants of its wording must read
    the same (docs/catalog.md)."""
    text = ENGLISH.read_text(encoding="utf-8")
    for old, new in (
        ("SYMANTEC AGENT/SYMANTEC ENDPOINT PROTECTION CLIENT", "Symantec Endpoint Protection client / Symantec Agent"),
        (
            "Additional URLs to allow for the hybrid-managed or cloud-managed Symantec Agent",
            "Additional URLs to allow for hybrid managed or cloud managed Symantec Agents",
        ),
        (
            "Additional URLs to allow if Symantec Endpoint Protection Manager is enrolled in the cloud console",
            "Additional URLs to allow if SEPM is enrolled in the cloud console",
        ),
        (
            "URLs to access the integrated ICDm cloud console (Integrated Cyber Defense Manager)",
            "URLs to allow access to the integrated cloud console (ICDm)",
        ),
        ("Purpose\nURL\nPort", "Usage\nURLs\nPorts"),
        ("For 14.3 MP1 or later.", "For version 14.3 MP1 and later."),
        ("(14.3 MP1 and earlier)", "(14.3 MP1 or earlier)"),
        ("https://faults.symantec.com (starting with 14.3 RU1)", "https://faults.symantec.com (14.3 RU1 and later)"),
        ("with port 80 (no longer required in 14.3 RU1)", "on port 80 (not required starting with 14.3 RU1)"),
        ("* In November 2020,", "* In November, 2020,"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    article = parse_article(text, "variant.txt")
    assert article.language == "en" and len(article.tables) == 5
    drift = compare(article, catalog)
    assert drift.agrees, drift.to_json()


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
