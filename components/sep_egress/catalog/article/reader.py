"""Reading Broadcom's article itself: the one definition of its structure, and the parser that uses it.

The article ("URL qui autorisent SEP et SES à se connecter aux serveurs Symantec" in French) is five tables, one
per role, each row a purpose, its URLs and a port, with a few conditions written as text: a minimum release for a
row ("Pour 14.3 MP1 ou version ultérieure."), a bound after one URL ("(à partir de la version 14.3 RU1)"), a
port-80 sentence for LiveUpdate behind a proxy ("n'est plus requis dans 14.3 RU1"), and a ``*`` on the Google
Cloud storage URLs that refers to a footnote about the move from AWS to Google Cloud.

``EDITIONS`` holds, per language edition, the headings and labels that find those parts; everything else (row
splitting, URL, port and condition parsing) is shared. The same reader serves ``sep-egress catalog verify`` and
the tests, so there is one reader of the article in the project.

Two input forms are read: plain text as copied from a browser (the shape of ``tests/data/vendor-article-fr.txt``)
and the HTML page as saved from a browser (tables become rows through the standard library's ``html.parser``).
The input is untrusted: its size is bounded, binary or undecodable content is refused with one
``ArticleError``, and every value that leaves this module is canonical (host names through the catalog's own
validator, versions through ``ProductVersion``, ports as integers) or plain text stripped of control characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ...errors import SepEgressError
from ..bounded_yaml import open_regular
from ..hosts import DEFAULT_PORTS, HostError, ParsedUrl, parse_url
from ..roles import Role
from ..versions import ProductVersion, VersionError

#: A saved techdocs page is a few hundred kilobytes; anything far larger is not the article.
MAX_ARTICLE_BYTES = 8 * 1024 * 1024
#: Longest line the parser looks at; longer lines are cut (no row title or URL of the article comes close).
MAX_LINE_CHARS = 4096
#: Longest free text (title, row title) that reaches any output.
MAX_TEXT_CHARS = 200
#: The article lists about fifty URLs; a file with far more is not the article (and would only cost time).
MAX_URLS = 2000
#: Most problems one reading reports (the rest are counted out).
MAX_PROBLEMS = 50
#: The notice id of the ``*`` footnote in the catalog (``notices: storage-move``).
FOOTNOTE_NOTICE = "storage-move"


class ArticleError(SepEgressError):
    """The file is not a readable, recognisable edition of the article (the CLI exits 2)."""


@dataclass(frozen=True)
class EditionStructure:
    """How one language edition writes the article's structure.

    ``tables`` maps each role to a pattern for its table's heading, in the article's order; ``columns`` are the
    labels of the three columns (purpose, URL, port), lower-case. The remaining patterns read the conditions
    written as text, each against one normalised line (single spaces, straight apostrophes), case-insensitively:

    - ``row_minimum``: a row's own line giving its first release (group ``version``);
    - ``url_minimum`` / ``url_maximum``: the parenthesised bound after a URL (groups ``version``, or ``later``
      for "X and later"), without the parentheses;
    - ``port_sentence``: the sentence that gives the URLs after it another port (``port``) and, optionally, the
      first release that no longer needs them (``before``); ``proxy_words`` in it make them proxy-only;
    - ``footnote``: the start of the ``*`` footnote under the tables.
    """

    language: str
    name: str
    titles: tuple[str, ...]
    tables: tuple[tuple[Role, re.Pattern[str]], ...]
    columns: tuple[frozenset[str], frozenset[str], frozenset[str]]
    row_minimum: re.Pattern[str]
    url_minimum: re.Pattern[str]
    url_maximum: re.Pattern[str]
    port_sentence: re.Pattern[str]
    proxy_words: re.Pattern[str]
    footnote: re.Pattern[str]


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(text, re.IGNORECASE)


FRENCH = EditionStructure(
    language="fr",
    name="French",
    titles=("URL qui autorisent SEP et SES à se connecter aux serveurs Symantec",),
    tables=(
        ("agent", _pattern(r"^AGENT SYMANTEC ?/ ?CLIENT SYMANTEC ENDPOINT PROTECTION$")),
        ("agent-cloud", _pattern(r"^URL supplémentaires pour autoriser l'agent Symantec géré")),
        ("sepm", _pattern(r"^MANAGEMENT CONSOLE$")),
        (
            "sepm-cloud",
            _pattern(r"^URL supplémentaires pour autoriser si Symantec Endpoint Protection Manager est inscrit"),
        ),
        ("console", _pattern(r"^URL permettant d'accéder à la console de Cloud ICDm")),
    ),
    columns=(frozenset({"utilisation", "objectif"}), frozenset({"url"}), frozenset({"port", "ports"})),
    row_minimum=_pattern(r"^Pour (?P<version>.+?) ou (?:version )?ultérieure\.?$"),
    url_minimum=_pattern(r"^à partir de la version (?P<version>.+)$|^(?P<later>.+) et versions ultérieures$"),
    url_maximum=_pattern(r"^(?P<version>.+?) et versions antérieures$"),
    port_sentence=_pattern(r"avec le port (?P<port>\d{1,5})(?: \(n'est plus requis dans (?P<before>[^)]{1,40})\))?"),
    proxy_words=_pattern(r"\bserveur proxy\b|\bun proxy\b"),
    footnote=_pattern(r"^\* ?En novembre 2020\b"),
)

# Broadcom's English techdocs edition of this page was not available to the project when this structure was
# written (see docs/catalog.md): its headings and labels follow Broadcom's English wording of the same tables as
# found in KB 154433 and the product documentation, and accept the common variants. If the live English page
# writes a heading differently, `catalog verify` exits 2 and names the headings it looked for.
ENGLISH = EditionStructure(
    language="en",
    name="English",
    titles=(
        "URLs that allow SEP and SES to connect to Symantec servers",
        "URLs to allow SEP and SES to connect to Symantec servers",
        "Required URLs for Symantec Endpoint Protection",
    ),
    tables=(
        (
            "agent",
            _pattern(
                r"^(?:SYMANTEC AGENT ?/ ?SYMANTEC ENDPOINT PROTECTION CLIENT"
                r"|SYMANTEC ENDPOINT PROTECTION CLIENT ?/ ?SYMANTEC AGENT)$"
            ),
        ),
        # "Additional URLs ..." for agents managed in hybrid mode or from the cloud (never the manager's table).
        ("agent-cloud", _pattern(r"^Additional URLs\b(?!.*Protection Manager)(?!.*\bSEPM\b)(?=.*\bagents?\b)")),
        ("sepm", _pattern(r"^MANAGEMENT CONSOLE$")),
        (
            "sepm-cloud",
            _pattern(r"^Additional URLs\b(?=.*(?:Symantec Endpoint Protection Manager|\bSEPM\b))(?=.*enrol)"),
        ),
        ("console", _pattern(r"^URLs?\b(?=.*\bICDm\b)(?=.*\bconsole\b)")),
    ),
    columns=(
        frozenset({"purpose", "usage", "use", "description"}),
        frozenset({"url", "urls"}),
        frozenset({"port", "ports"}),
    ),
    row_minimum=_pattern(r"^For (?:version )?(?P<version>.+?) (?:or|and) later\.?$"),
    url_minimum=_pattern(
        r"^(?:starting (?:with|in|from) |from )(?:version )?(?P<version>.+)$|^(?P<later>.+) (?:and|or) later$"
    ),
    url_maximum=_pattern(r"^(?P<version>.+?) (?:and|or) earlier$"),
    port_sentence=_pattern(
        r"(?:with|on|using) port (?P<port>\d{1,5})(?: \((?:no longer|not) required (?:in|as of|from|starting "
        r"(?:with|in|from)) (?:version )?(?P<before>[^)]{1,40})\))?"
    ),
    proxy_words=_pattern(r"\bproxy\b"),
    footnote=_pattern(r"^\* ?In November,? 2020\b"),
)

#: Every edition whose tables the parser can read, in the order they are tried.
EDITIONS: tuple[EditionStructure, ...] = (FRENCH, ENGLISH)

#: Editions Broadcom publishes whose titles are known but whose table headings are not (yet) part of ``EDITIONS``:
#: a copy of one is named in the error instead of being called unrecognisable. Titles as the techdocs pages
#: write them (techdocs.broadcom.com/{es/es,br/pt_br,jp/ja}/.../urls-to-whitelist-for-v129099891-d4155e9710.html).
KNOWN_UNSUPPORTED_TITLES: dict[str, str] = {
    "Direcciones URL que permiten que SEP y SES se conecten a los servidores de Symantec": "Spanish (es)",
    "URLs que permitem que o SEP e o SES se conectem aos servidores Symantec": "Brazilian Portuguese (pt-BR)",
    "SEP および SES がシマンテック社のサーバーへ接続するために許可する URL": "Japanese (ja)",
}


@dataclass(frozen=True, slots=True)
class ArticleUrl:
    """One URL of one table row, with everything the article says about it, in canonical form."""

    role: Role
    url: ParsedUrl
    ports: tuple[int, ...]
    min_version: ProductVersion | None = None
    max_version: ProductVersion | None = None
    before_version: ProductVersion | None = None
    proxy: bool = False
    storage: str | None = None
    footnote: str | None = None
    row: str = ""
    row_index: int = 0
    port_cell: bool = True

    @property
    def host(self) -> str:
        return self.url.host


@dataclass(frozen=True, slots=True)
class ArticleProblem:
    """Something in a table the reader could not turn into a canonical value (never echoes the raw text)."""

    line: int
    role: Role | None
    message: str


@dataclass(frozen=True, slots=True)
class Article:
    """An edition of the article as read: which edition, its title, and every URL of its five tables."""

    language: str
    edition: str
    title: str
    form: str
    urls: tuple[ArticleUrl, ...]
    tables: tuple[Role, ...]
    footnote: bool
    problems: tuple[ArticleProblem, ...] = ()

    def by_role(self, role: Role) -> list[ArticleUrl]:
        return [item for item in self.urls if item.role == role]


def plain_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Article free text made safe for any output: control and format characters removed, spaces collapsed, cut."""
    cleaned = "".join(
        " " if unicodedata.category(char) in ("Zs", "Zl", "Zp") or char in "\t\n\r" else char
        for char in text
        if not unicodedata.category(char).startswith("C") or char in "\t\n\r"
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _normalise(line: str) -> str:
    line = line[:MAX_LINE_CHARS].replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")
    return " ".join(line.split())


# ---- input forms -------------------------------------------------------------------------------------------------

ROW = "\x00row"
TABLE_START = "\x00table-start"
TABLE_END = "\x00table-end"
_TOKENS = (ROW, TABLE_START, TABLE_END)
_BLOCK_TAGS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt"),
        *("figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main"),
        *("nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title"),
        *("tr", "ul"),
    }
)
_SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})


class _HtmlLines(HTMLParser):
    """Turns a saved page into lines, with a ``ROW`` token at each table row and ``TABLE_START``/``TABLE_END``
    around each table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.heading = ""
        self._current: list[str] = []
        self._skipping = 0
        self._heading_parts: list[str] | None = None

    def _flush(self) -> None:
        text = "".join(self._current)
        self._current = []
        if text.strip():
            self.lines.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "h1" and not self._skipping and not self.heading:
            self._heading_parts = []
        if tag == "tr" and not self._skipping:
            self.lines.append(ROW)
        if tag == "table" and not self._skipping:
            self.lines.append(TABLE_START)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
            return
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag == "h1" and self._heading_parts is not None:
            self.heading = "".join(self._heading_parts)
            self._heading_parts = None
        if tag == "table" and not self._skipping:
            self.lines.append(TABLE_END)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._current.append(data)
            if self._heading_parts is not None:
                self._heading_parts.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _looks_like_html(text: str) -> bool:
    head = text[:4096].lstrip().lower()
    return head.startswith("<") and any(marker in head for marker in ("<html", "<!doctype", "<body", "<table", "<div"))


def decode_article(data: bytes, source: str) -> tuple[list[str], str, str]:
    """The article's lines, its form (``text`` or ``html``) and its title (a page's first ``h1``; else the first
    line), or one ``ArticleError`` naming ``source``."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise ArticleError(f"{source}: larger than {MAX_ARTICLE_BYTES // (1024 * 1024)} MiB; not a copy of the article")
    if b"\x00" in data:
        raise ArticleError(f"{source}: binary content; save the article as text or HTML")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ArticleError(f"{source}: not UTF-8 or Windows-1252 text; save the article as text or HTML") from None
    if _looks_like_html(text):
        parser = _HtmlLines()
        try:
            parser.feed(text)
            parser.close()
        except Exception:  # html.parser is lenient; any failure is bad input, never a traceback
            raise ArticleError(f"{source}: the HTML cannot be read") from None
        return parser.lines, "html", parser.heading
    lines = text.splitlines()
    return lines, "text", next((line for line in lines if line.strip()), "")


def read_article_file(path: Path | str) -> Article:
    """Read a saved copy of the article (plain text or HTML); ``ArticleError`` if it is not a readable edition."""
    file = Path(path)
    try:
        with open_regular(file) as handle:  # a FIFO or a device would block or never end
            data = handle.read(MAX_ARTICLE_BYTES + 1)
    except OSError as exc:
        raise ArticleError(f"{file}: cannot read the file ({exc.strerror or exc})") from None
    return parse_article(data, str(file))


def parse_article(data: bytes | str, source: str = "article") -> Article:
    """Parse the article's bytes (or text); ``ArticleError`` names ``source`` if it is not a readable edition."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    lines, form, title = decode_article(raw, source)
    return _read(lines, form, title, source)


# ---- structure ---------------------------------------------------------------------------------------------------

_URL_LINE = re.compile(
    r"^(?P<star>\*\s?)?(?P<url>https?://[^\s()*]+)\s?(?P<star_after>\*)?(?:\s?\((?P<bound>[^()]{1,80})\))?\s?(?P<star_end>\*)?$",
    re.IGNORECASE,
)
_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'+,;=:@%/-]{0,400}$")
_BOUND_LINE = re.compile(r"^\((?P<bound>[^()]{1,80})\)$")
# A port cell: "443", and the forms a saved page may give it ("TCP 443", "80, 443", "80/443", "80 and 443").
_PORT_LINE = re.compile(
    r"^(?:TCP\s?)?(?P<ports>\d{1,5}(?:\s?(?:,|/|and|et|y|e|および)\s?\d{1,5}){0,3})(?:\s?\(?TCP\)?)?$", re.IGNORECASE
)
_URL_ANYWHERE = re.compile(r"https?://", re.IGNORECASE)


def _find_edition(lines: Sequence[str], title: str) -> EditionStructure | None:
    """The edition whose table headings (and title) the text holds, most found winning."""
    normalised = [_normalise(line) for line in lines if line not in _TOKENS]
    title = _normalise(title)
    best: tuple[int, EditionStructure | None] = (0, None)
    for edition in EDITIONS:
        found = sum(1 for _, heading in edition.tables if any(heading.search(line) for line in normalised))
        if any(title.startswith(known) for known in edition.titles):
            found += 1
        if found > best[0]:
            best = (found, edition)
    # Three of the five headings (or the title and two) make an edition; fewer is another page.
    return best[1] if best[0] >= 3 else None


#: A port sentence: its port, the first release that no longer needs it, and whether it is only behind a proxy.
_Condition = tuple[int, ProductVersion | None, bool]
#: A URL of a row: parsed, starred, its own minimum and maximum release, and the port sentence before it.
_RowUrl = tuple[ParsedUrl, bool, ProductVersion | None, ProductVersion | None, _Condition | None]


@dataclass
class _Row:
    role: Role
    index: int
    title: str = ""
    ports: tuple[int, ...] = ()
    minimum: ProductVersion | None = None
    urls: list[_RowUrl] = field(default_factory=list)
    condition: _Condition | None = None


def _bounds(edition: EditionStructure, text: str) -> tuple[ProductVersion | None, ProductVersion | None] | None:
    """``(minimum, maximum)`` from a URL's parenthesised bound, or None if it is not one the edition writes."""
    text = text.strip()
    found_min = edition.url_minimum.match(text)
    if found_min:
        minimum = _version(found_min["version"] or found_min["later"] or "")
        return None if minimum is None else (minimum, None)
    found_max = edition.url_maximum.match(text)
    if found_max:
        maximum = _version(found_max["version"])
        return None if maximum is None else (None, maximum)
    return None


def _version(text: str) -> ProductVersion | None:
    try:
        return ProductVersion.parse(text.strip().rstrip("."))
    except VersionError:
        return None


def _read(lines: Sequence[str], form: str, raw_title: str, source: str) -> Article:
    edition = _find_edition(lines, raw_title)
    title = plain_text(raw_title)
    if edition is None:
        for known, language in KNOWN_UNSUPPORTED_TITLES.items():
            if _normalise(raw_title).startswith(known):
                raise ArticleError(
                    f"{source}: this is the {language} edition of the article; sep-egress reads the "
                    f"{' and '.join(e.name for e in EDITIONS)} editions (see docs/catalog.md)"
                )
        raise ArticleError(
            f"{source}: not a recognisable edition of Broadcom's article (fewer than three of the five table "
            f"headings of the {' or '.join(e.name for e in EDITIONS)} edition were found)"
        )
    urls: list[ArticleUrl] = []
    problems: list[ArticleProblem] = []
    tables: list[Role] = []
    footnote = False
    role: Role | None = None
    in_table = False
    explicit_rows = ROW in lines
    row: _Row | None = None
    row_count = 0

    def problem(message: str) -> None:
        # Bounded: a hostile file could make every line a problem.
        if len(problems) < MAX_PROBLEMS:
            problems.append(ArticleProblem(line_number, role, message))

    def close() -> None:
        nonlocal row
        if row is not None and row.urls:
            urls.extend(_row_urls(row))
        row = None

    opened: set[Role] = set()

    def labels_follow(position: int, first: str) -> bool:
        """Whether ``first`` and the next two non-empty lines are this edition's column labels (a table starts)."""
        if first.lower() not in edition.columns[0]:
            return False
        following = [_normalise(item).lower() for item in lines[position : position + 4] if item not in _TOKENS]
        following = [item for item in following if item][:2]
        return len(following) == 2 and following[0] in edition.columns[1] and following[1] in edition.columns[2]

    def open_table() -> bool:
        """A table starts under the current heading; a second one under the same heading has lost its own heading
        (reworded): its rows belong to no role sep-egress can name, so they are not read (the catalog's URLs of
        that table are then reported removed, and the heading missing)."""
        nonlocal role
        assert role is not None
        if role in opened:
            problem(
                f"a second table after the {role} table, under a heading sep-egress does not recognise: its rows "
                "are not read (has the heading changed? see docs/catalog.md)"
            )
            role = None
            return False
        opened.add(role)
        return True

    def start(title_text: str) -> _Row:
        nonlocal row_count
        assert role is not None
        row_count += 1
        return _Row(role=role, index=row_count, title=plain_text(title_text))

    index = 0
    line_number = 0
    url_count = 0
    while index < len(lines):
        token = lines[index]
        index += 1
        if token not in _TOKENS:
            line_number += 1
        if token == ROW:
            close()
            if in_table:
                row = start("")
            continue
        if token == TABLE_START:
            # In HTML a table under a role's heading is that role's table, with or without a row of labels.
            close()
            in_table = role is not None and open_table()
            continue
        if token == TABLE_END:
            close()
            in_table = False
            continue
        line = _normalise(token)
        if not line:
            continue
        if edition.footnote.search(line):
            close()
            footnote = True
            in_table = False
            role = None
            continue
        heading = next((table_role for table_role, pattern in edition.tables if pattern.search(line)), None)
        if heading is not None:
            close()
            role = heading
            in_table = False
            if heading not in tables:
                tables.append(heading)
            continue
        if role is None:
            continue
        if in_table and not explicit_rows and labels_follow(index, line):
            # A second label block while a table is open: a new table whose heading was not recognised.
            close()
            in_table = False
            open_table()
            if role is None:
                continue
        if not in_table:
            if line.lower() in edition.columns[0]:
                if labels_follow(index, line):
                    in_table = open_table()
                    if not in_table:
                        continue
                    # Skip the two labels (and, in HTML, nothing else: the next ROW starts the first row).
                    skipped = 0
                    while index < len(lines) and skipped < 2:
                        if lines[index] not in _TOKENS:
                            line_number += 1
                            if _normalise(lines[index]):
                                skipped += 1
                        index += 1
            elif _URL_ANYWHERE.search(line):
                # URLs under a heading but outside a table this edition's column labels open: the labels may
                # have changed, and the URLs would otherwise silently count as removed.
                problem("a URL outside the tables (are the column labels still the ones in docs/catalog.md?)")
            continue
        url_match = _URL_LINE.match(line)
        if url_match:
            if row is None:
                row = start("")
            try:
                parsed = parse_url(url_match["url"])
            except HostError:
                problem("a URL that is not a valid host name")
                continue
            if parsed.path is not None and not _PATH.match(parsed.path):
                problem(f"a URL path on {parsed.host} with characters outside RFC 3986")
                continue
            minimum = maximum = None
            if url_match["bound"]:
                bounds = _bounds(edition, url_match["bound"])
                if bounds is None:
                    problem(f"a version condition sep-egress cannot read after {parsed.host}")
                else:
                    minimum, maximum = bounds
            starred = bool(url_match["star"] or url_match["star_after"] or url_match["star_end"])
            row.urls.append((parsed, starred, minimum, maximum, row.condition))
            url_count += 1
            if url_count > MAX_URLS:
                raise ArticleError(f"{source}: more than {MAX_URLS} URLs in the tables; not a copy of the article")
            continue
        own_line = _BOUND_LINE.match(line)
        if own_line and row is not None and row.urls:
            # A bound on the line after its URL (a saved page may break the cell there): it is that URL's.
            bounds = _bounds(edition, own_line["bound"])
            if bounds is None:
                problem(f"a version condition sep-egress cannot read after {row.urls[-1][0].host}")
            else:
                parsed, starred, _, _, condition = row.urls[-1]
                row.urls[-1] = (parsed, starred, bounds[0], bounds[1], condition)
            continue
        port_match = _PORT_LINE.match(line)
        if port_match and row is not None:
            ports = tuple(sorted({int(port) for port in re.findall(r"\d+", port_match["ports"])}))
            if not all(1 <= port <= 65535 for port in ports):
                problem("a port outside 1..65535")
            else:
                row.ports = ports
            if not explicit_rows:
                close()
            continue
        sentence = edition.port_sentence.search(line)
        if sentence and row is not None:
            before = _version(sentence["before"]) if sentence["before"] else None
            if sentence["before"] and before is None:
                problem("a 'no longer required' release sep-egress cannot read")
            row.condition = (int(sentence["port"]), before, bool(edition.proxy_words.search(line)))
            continue
        minimum_sentence = edition.row_minimum.match(line)
        if minimum_sentence and row is not None:
            row.minimum = _version(minimum_sentence["version"])
            if row.minimum is None:
                problem("a minimum release sep-egress cannot read")
            continue
        if _URL_ANYWHERE.search(line) and row is not None:
            problem("a URL inside a sentence, not on its own line")
            continue
        # Any other text: a row's title, or its description. In plain text, text after a row's URLs starts the
        # next row (a row without a port cell ends there); in HTML the rows are explicit.
        if row is None or (row.urls and not explicit_rows):
            close()
            row = start(line)
        elif not row.title:
            row.title = plain_text(line)
    close()
    if not urls:
        # The headings are there but no table was read (the page builds its tables in the browser, or their
        # column labels changed): nothing to compare, which is not the same as "every URL was removed".
        raise ArticleError(
            f"{source}: the {edition.name} edition's headings are there but no table rows with URLs were found "
            f"(save the page after it has loaded, or check the column labels in docs/catalog.md)"
        )
    if not footnote:
        # A '*' with no footnote under the tables refers to nothing the catalog can name.
        urls = [replace(item, footnote=None) for item in urls]
    return Article(
        language=edition.language,
        edition=edition.name,
        title=title,
        form=form,
        urls=tuple(urls),
        tables=tuple(tables),
        footnote=footnote,
        problems=tuple(problems),
    )


def _row_urls(row: _Row) -> Iterator[ArticleUrl]:
    seen: set[tuple[Any, ...]] = set()
    for item in row.urls:
        # The same URL with the same conditions twice in one cell says nothing more (a copy-paste on the page).
        key = (item[0].raw, *item[1:])
        if key in seen:
            continue
        seen.add(key)
        parsed, starred, minimum, maximum, condition = item
        scheme_port = DEFAULT_PORTS[parsed.scheme or "https"]
        if parsed.port is not None:
            ports: tuple[int, ...] = (parsed.port,)
        elif condition is not None:
            ports = (condition[0],)
        elif row.ports and parsed.scheme != "http":
            ports = row.ports
        else:
            # A row without a port cell: the URL's scheme says it (readings: row-without-port).
            ports = (scheme_port,)
        storage = "gcp" if starred else ("aws" if parsed.host.endswith(".s3.amazonaws.com") else None)
        yield ArticleUrl(
            role=row.role,
            url=parsed,
            ports=ports,
            min_version=minimum if minimum is not None else (None if maximum is not None else row.minimum),
            max_version=maximum,
            before_version=condition[1] if condition else None,
            proxy=bool(condition and condition[2]),
            storage=storage,
            footnote=FOOTNOTE_NOTICE if starred else None,
            row=row.title,
            row_index=row.index,
            port_cell=bool(row.ports),
        )
