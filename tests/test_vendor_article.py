"""The catalog against the vendor's article itself: every URL, under the right role, port, bounds and phase.

The article is read as text, not through the catalog, so a URL dropped, moved to another table or given the
wrong port in the YAML fails here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from sep_egress.catalog import Catalog, ProductVersion

from support import SEED, SHARED_SEED

SECTIONS = (
    ("AGENT SYMANTEC/CLIENT SYMANTEC ENDPOINT PROTECTION", "agent"),
    ("URL supplémentaires pour autoriser l’agent Symantec géré", "agent-cloud"),
    ("MANAGEMENT CONSOLE", "sepm"),
    ("URL supplémentaires pour autoriser si Symantec Endpoint Protection Manager est inscrit", "sepm-cloud"),
    ("URL permettant d’accéder à la console de Cloud ICDm", "console"),
)
URL_LINE = re.compile(r"^(?P<star>\* )?(?P<url>https?://\S+)(?: \((?P<bound>[^)]*)\))?$")


@dataclass(frozen=True)
class ArticleUrl:
    role: str
    url: str
    port: int
    footnoted: bool
    min_version: str | None
    max_version: str | None
    before_version: str | None
    proxy_only: bool


def read_article() -> list[ArticleUrl]:
    text = SEED.read_text(encoding="utf-8")
    role: str | None = None
    pending: list[dict[str, object]] = []
    found: list[ArticleUrl] = []
    row_min: str | None = None
    http_condition = False
    http_before: str | None = None

    def flush(port: int | None) -> None:
        for item in pending:
            url = str(item["url"])
            scheme_port = 80 if url.startswith("http://") else 443
            found.append(
                ArticleUrl(
                    role=str(item["role"]),
                    url=url,
                    # A row's port cell applies to its https URLs; http URLs are the port-80 sentence's.
                    port=scheme_port if (port is None or url.startswith("http://")) else port,
                    footnoted=bool(item["star"]),
                    min_version=item["min"],  # type: ignore[arg-type]
                    max_version=item["max"],  # type: ignore[arg-type]
                    before_version=item["before"],  # type: ignore[arg-type]
                    proxy_only=bool(item["proxy"]),
                )
            )
        pending.clear()

    for line in text.splitlines():
        line = line.strip()
        if line.startswith("* En novembre 2020"):
            break
        for heading, section_role in SECTIONS:
            if line.startswith(heading):
                flush(None)
                role = section_role
        if role is None:
            continue
        if line == "Utilisation" or (line == "Shell dynamique" and pending):
            flush(None)  # a new row starts: a row without a port cell ends here
        version_sentence = re.match(r"^Pour (.+) ou version ultérieure\.$", line)
        if version_sentence:
            row_min = version_sentence.group(1)
        no_longer = re.search(r"avec le port 80 \(n’est plus requis dans (.+?)\)", line)
        if no_longer:
            http_condition = True
            http_before = no_longer.group(1)
        match = URL_LINE.match(line)
        if match:
            bound = match["bound"] or ""
            bound_max = re.match(r"^(.+) et versions antérieures$", bound)
            bound_min = re.match(r"^à partir de la version (.+)$", bound)
            is_http = match["url"].startswith("http://")
            pending.append(
                {
                    "role": role,
                    "url": match["url"],
                    "star": match["star"],
                    "min": bound_min.group(1) if bound_min else row_min,
                    "max": bound_max.group(1) if bound_max else None,
                    # "n'est plus requis dans 14.3 RU1": needed by every release before that one.
                    "before": http_before if is_http and http_condition else None,
                    "proxy": is_http and http_condition,
                }
            )
        elif line.isdigit() and pending:
            flush(int(line))
            row_min = None
            http_condition = False
    flush(None)
    return found


ARTICLE = read_article()


def test_the_fixture_is_the_shared_seed() -> None:
    if not SHARED_SEED.exists():
        pytest.skip("the shared seed is not beside this checkout; the fixture copy is used alone")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()


def test_article_parser_sees_every_url_of_the_text() -> None:
    text = SEED.read_text(encoding="utf-8").split("* En novembre 2020")[0]
    assert len(ARTICLE) == len(re.findall(r"https?://", text))
    assert {item.role for item in ARTICLE} == {"agent", "agent-cloud", "sepm", "sepm-cloud", "console"}


@pytest.mark.parametrize("expected", ARTICLE, ids=lambda item: f"{item.role}:{item.url}:{item.port}")
def test_every_article_url_is_in_the_catalog_under_its_role_and_port(catalog: Catalog, expected: ArticleUrl) -> None:
    matches = [
        entry
        for entry in catalog.entries
        if entry.role == expected.role
        and any(url.raw == expected.url and expected.port in entry.url_ports(url) for url in entry.urls)
    ]
    assert matches, f"{expected.url} on port {expected.port} is missing from role {expected.role}"
    entry = matches[0]
    assert (str(entry.min_version) if entry.min_version else None) == expected.min_version
    assert (str(entry.max_version) if entry.max_version else None) == expected.max_version
    assert (str(entry.before_version) if entry.before_version else None) == expected.before_version
    assert bool(entry.requires_proxy) == expected.proxy_only
    if expected.footnoted:
        assert entry.storage == "gcp"
        assert entry.footnote == "storage-move"
    elif ".s3.amazonaws.com" in expected.url:
        assert entry.storage == "aws"
    else:
        assert entry.storage is None


def test_catalog_has_no_url_the_article_does_not_list(catalog: Catalog) -> None:
    article = {(item.role, item.url, item.port) for item in ARTICLE}
    for entry in catalog.entries:
        for url in entry.urls:
            for port in entry.url_ports(url):
                assert (entry.role, url.raw, port) in article, f"{entry.id}: {url.raw}:{port} is not in the article"


def test_version_bounds_are_product_versions(catalog: Catalog) -> None:
    for entry in catalog.entries:
        for bound in (entry.min_version, entry.max_version):
            if bound is not None:
                assert ProductVersion.parse(str(bound)) == bound
