"""The one way free text reaches generated output: one escaping function per output format.

Everything sep-egress generates is built from validated canonical values (host names, ports, CIDRs, entry ids, role
names) that cannot carry syntax. Free text (usage notes, ``shared_host`` explanations, URL paths, file names,
messages that quote them, and anything received from the network) goes out through exactly one function of this
module for the format it lands in, so no input can end a comment, close a string, open a markdown block or move a
terminal's cursor:

- ``plain_text``: one line of plain text (text tables, error messages, host-list comments)
- ``json_document``: canonical JSON whose strings carry no raw unsafe character (``\\u202e`` escapes instead)
- ``terminal_text``: text received from the network: escape sequences removed, then ``plain_text``
- ``squid_comment``: the text after ``#`` on one Squid configuration line, kept short
- ``js_comment``: the text after ``//`` in a PAC file
- ``js_string``: a JavaScript string literal, quotes included
- ``suricata_msg``: the value of a Suricata ``msg:"..."`` option, quotes excluded
- ``gcp_description``: a Compute API ``description`` field
- ``csv_cell``: a CSV cell that a spreadsheet will not evaluate as a formula
- ``markdown_text``: inline markdown text, rendered literally by CommonMark/GitHub
- ``markdown_code_span``: an inline code span
- ``markdown_code``: the lines of a fenced code block, with a fence no line can close

``plain_text`` is the base of every line-oriented format: characters that end a line in some reader (``\\n``,
``\\r``, U+0085, U+2028, U+2029, ...), control and format characters (including bidirectional overrides, which
can make a reviewer read text in another order) and lone surrogates (from file names that are not UTF-8) are
written as visible escapes (``\\n``, ``\\u2028``, ``\\xff``). A backslash is kept as it is (``CORP\\alice``
stays readable): an escape in the output is only ever a sign, never a way to produce a character. Squid does not
continue a comment line that ends with a backslash (checked with ``squid -k parse``), but it reads a line into a
fixed-size buffer and treats the rest of an overlong line as a new line, hence ``SQUID_COMMENT_MAX``.
Pure functions of their input; no imports beyond the standard library. The character classes refused in free text
(``UNSAFE_CATEGORIES``) are defined here and read by the catalog's validators, so input and output agree on them.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable

#: Unicode categories refused in any text: controls, format characters (bidi overrides, zero widths), line and
#: paragraph separators, surrogates (bytes of a non-UTF-8 name), private use and unassigned code points.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})

#: Longest comment text on one line of a Squid configuration (Squid reads a line into a fixed-size buffer, and the
#: remainder of a longer line would be read as a new line, that is as a directive).
SQUID_COMMENT_MAX = 400
#: The Compute API's limit for a firewall policy rule's description.
GCP_DESCRIPTION_MAX = 2048

# ECMA-48 sequences a terminal acts on: CSI (ESC [ or 0x9B) ... final byte; OSC, DCS, SOS, PM, APC (ESC ] P X ^ _ or
# their C1 forms) up to the string terminator (BEL, ESC \ or 0x9C); any other two-character ESC sequence.
_TERMINAL_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|\Z)"
    r"|\x1b[ -/]*[0-~]?",
    re.DOTALL,
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_unsafe(char: str) -> bool:
    """Whether one character is a control, format, separator, surrogate, private-use or unassigned code point."""
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def unsafe_characters(text: str) -> list[str]:
    """The unsafe characters of ``text`` (see ``is_unsafe``), as escapes for an error message, in order, once."""
    found: list[str] = []
    for char in text:
        if is_unsafe(char):
            shown = _escape_char(char)
            if shown not in found:
                found.append(shown)
    return found


def _escape_char(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a non-UTF-8 file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def plain_text(text: object) -> str:
    """One line of plain text: unsafe characters as visible escapes (``a\\nb`` for a newline)."""
    return _MAYBE_UNSAFE.sub(_escape_match, str(text))


# Printable ASCII is never unsafe: only runs of other characters are looked at, one by one.
_MAYBE_UNSAFE = re.compile(r"[^\x20-\x7e]+")


def _escape_match(match: re.Match[str]) -> str:
    return "".join(_escape_char(char) if is_unsafe(char) else char for char in match.group(0))


def _json_escape(char: str) -> str:
    # json.dumps with ensure_ascii escapes the character the JSON way (a surrogate pair past U+FFFF, a lone
    # surrogate as itself), so the document still decodes to the same value.
    return json.dumps(char, ensure_ascii=True)[1:-1]


def json_document(document: object) -> str:
    """Canonical JSON (sorted keys, two-space indent, UTF-8 kept, trailing newline) in which no string carries a
    raw unsafe character: C1 controls, bidirectional overrides, zero widths, line separators, lone surrogates and
    the rest of ``UNSAFE_CATEGORIES`` are written as ``\\uXXXX`` escapes, as ``plain_text`` writes them in text
    outputs. The values decode unchanged; a reviewer reading the file sees the escape, not reordered text. JSON
    already escapes C0 controls inside strings, so the only raw line breaks left are the indentation's."""
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
    return _NOT_PRINTABLE_ASCII.sub(_json_escape_match, text) + "\n"


# Only characters outside printable ASCII can be unsafe (C0 controls inside strings are escaped by json already).
_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e\n]+")


def _json_escape_match(match: re.Match[str]) -> str:
    return "".join(_json_escape(char) if is_unsafe(char) else char for char in match.group(0))


def terminal_text(text: object) -> str:
    """Text received from the network, for a terminal or a report: escape sequences removed, then ``plain_text``."""
    return plain_text(_TERMINAL_SEQUENCE.sub("", str(text)))


def squid_comment(text: object) -> str:
    """The text of one ``#`` comment line of a Squid configuration: one line, at most ``SQUID_COMMENT_MAX``
    characters (longer text is cut and ends with ``...``)."""
    value = plain_text(text)
    return value if len(value) <= SQUID_COMMENT_MAX else value[: SQUID_COMMENT_MAX - 3] + "..."


def js_comment(text: object) -> str:
    """The text after ``//`` in JavaScript: nothing in it can end the comment (JavaScript ends a line at LF, CR,
    U+2028 and U+2029, which ``plain_text`` escapes)."""
    return plain_text(text)


def js_string(text: object) -> str:
    """A double-quoted JavaScript string literal for ``text`` (ASCII only, so U+2028/U+2029 are escaped too, and
    ``</`` cannot close a script element)."""
    return json.dumps(str(text), ensure_ascii=True).replace("</", "<\\/")


def suricata_msg(text: object) -> str:
    """The value of a Suricata ``msg`` option (between its quotes): one line, with Suricata's escapes for the
    characters its rule parser treats as syntax (``"``, ``;``, ``\\``) and no other backslash."""
    value = "".join("?" if is_unsafe(char) else char for char in str(text))
    return value.replace("\\", "\\\\").replace('"', '\\"').replace(";", "\\;")


def gcp_description(text: object) -> str:
    """A Compute API ``description``: one line of plain text, at most ``GCP_DESCRIPTION_MAX`` characters."""
    value = plain_text(text)
    return value if len(value) <= GCP_DESCRIPTION_MAX else value[: GCP_DESCRIPTION_MAX - 3] + "..."


def csv_cell(value: object) -> str:
    """A CSV cell: ``plain_text``, and a leading ``'`` when a spreadsheet would read the cell as a formula
    (OWASP's CSV-injection guidance: cells starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return)."""
    text = plain_text(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


#: Characters with a meaning in CommonMark inline text or GitHub's extensions (tables, autolinks, strikethrough).
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()#+-.!|~<>&\"':@=")


def markdown_text(text: object) -> str:
    """Inline markdown that renders as exactly ``plain_text(text)``: every ASCII punctuation character that
    CommonMark or GitHub could read as syntax is backslash-escaped, and ``<``/``>``/``&`` become entities, so no
    input opens or closes HTML (``</details>``), a link, an emphasis, a table cell or a heading. A leading space is
    written ``&#32;``: after a list marker, four spaces would start an indented code block."""
    out = []
    value = plain_text(text)
    if value.startswith(" "):
        out.append("&#32;")
        value = value[1:]
    for char in value:
        if char == "<":
            out.append("&lt;")
        elif char == ">":
            out.append("&gt;")
        elif char == "&":
            out.append("&amp;")
        elif char in _MARKDOWN_SPECIAL:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def markdown_code_span(text: object) -> str:
    """An inline code span holding ``plain_text(text)`` literally (not for table cells, where GitHub splits on
    ``|`` first): delimited by one backtick more than the longest run inside."""
    value = plain_text(text)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest or not value.strip(" ") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def markdown_code(lines: Iterable[object], info: str = "") -> list[str]:
    """A fenced code block holding ``lines`` literally (each through ``plain_text``): the fence is longer than any
    run of backticks in the content, so no line can close it."""
    body = [plain_text(line) for line in lines]
    longest = max((len(run) for line in body for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *body, fence]
