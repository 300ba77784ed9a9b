"""The catalog against the vendor's article itself: every URL, under the right role, port, bounds and phase.

The article is read by the project's one reader (``sep_egress.catalog.article``), not through the catalog, so a
URL dropped, moved to another table or given the wrong port in the YAML fails here.
"""

from __future__ import annotations

import re

import pytest

from sep_egress.catalog import Catalog, ProductVersion
from sep_egress.catalog.article import ArticleUrl, parse_article, read_article_file
from sep_egress.catalog.drift import compare

from support import ROOT, SEED, SHARED_SEED

ARTICLE = read_article_file(SEED)
ENGLISH = ROOT / "tests" / "data" / "vendor-article-en-rendering.txt"
HTML = ROOT / "tests" / "data" / "vendor-article-fr-rendering.html"


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
