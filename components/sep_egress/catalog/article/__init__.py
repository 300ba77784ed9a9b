"""Broadcom's article against the catalog: reading it, comparing it, and proposing the catalog that agrees with it.

The data flows through the files in this order:

- ``reader.py``: the one reader of the article (its structure per edition, plain text or saved HTML in, an
  ``Article`` of canonical values out);
- ``drift.py``: the vendor's catalog against an edition of the article, difference by difference;
- ``propose.py``: the catalog file that agrees with an edition (``sep-egress catalog verify --propose``).

It reads the vendor's catalog (``vendor/``); nothing in the catalog imports it.
"""

from .reader import (
    EDITIONS,
    ENGLISH,
    FOOTNOTE_NOTICE,
    FRENCH,
    KNOWN_UNSUPPORTED_TITLES,
    MAX_ARTICLE_BYTES,
    MAX_LINE_CHARS,
    MAX_PROBLEMS,
    MAX_TEXT_CHARS,
    MAX_URLS,
    ROW,
    TABLE_END,
    TABLE_START,
    Article,
    ArticleError,
    ArticleProblem,
    ArticleUrl,
    EditionStructure,
    decode_article,
    parse_article,
    plain_text,
    read_article_file,
)

__all__ = [
    "EDITIONS",
    "ENGLISH",
    "FOOTNOTE_NOTICE",
    "FRENCH",
    "KNOWN_UNSUPPORTED_TITLES",
    "MAX_ARTICLE_BYTES",
    "MAX_LINE_CHARS",
    "MAX_PROBLEMS",
    "MAX_TEXT_CHARS",
    "MAX_URLS",
    "ROW",
    "TABLE_END",
    "TABLE_START",
    "Article",
    "ArticleError",
    "ArticleProblem",
    "ArticleUrl",
    "EditionStructure",
    "decode_article",
    "parse_article",
    "plain_text",
    "read_article_file",
]
