"""Text output that fits the terminal: long lines wrap (indented under their first line), table cells are cut
with a ``…`` marker. JSON, CSV, markdown and exports are never touched.

The width is ``COLUMNS`` when it is set (so output piped to a file or a CI log is the same on every run), else
the terminal's when standard output is one, else none: output to a pipe or file keeps its full lines.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

#: The ``--format`` values written for people, which the command line fits to the width.
TEXT_FORMATS = frozenset({"table", "text"})
MARKER = "…"
MIN_WIDTH = 20


def text_width() -> int | None:
    """The width to fit text output to, or None to leave lines whole (see the module docstring)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(int(columns), MIN_WIDTH)
    try:
        if sys.stdout.isatty():
            return max(shutil.get_terminal_size().columns, MIN_WIDTH)
    except (AttributeError, ValueError, OSError):
        return None
    return None


def fit_line(line: str, width: int) -> list[str]:
    """``line`` as lines of at most ``width`` characters: wrapped at spaces, continuation lines indented two more
    than the first; a word longer than the width is split."""
    if len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip(" "))]
    if len(indent) + 2 >= width // 2:
        indent = ""
    return textwrap.wrap(
        line.strip(" "),
        width=width,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
        replace_whitespace=False,
        drop_whitespace=True,
    ) or [line[:width]]


def cut(value: str, width: int) -> str:
    """``value`` within ``width`` characters, its end replaced by the marker when it is longer."""
    if len(value) <= width:
        return value
    return value[: max(width - len(MARKER), 0)] + MARKER


def column_widths(natural: Sequence[int], headers: Sequence[str], width: int) -> list[int]:
    """Column widths whose table (two spaces between columns) fits ``width``: the widest column gives way first,
    down to 6 characters (headers are cut like cells)."""
    widths = list(natural)
    floors = [min(size, 6) for size in natural]
    while sum(widths) + 2 * (len(widths) - 1) > width:
        candidates = [index for index, size in enumerate(widths) if size > floors[index]]
        if not candidates:
            break
        widest = max(candidates, key=lambda index: (widths[index], -index))
        widths[widest] -= 1
    return widths


class FittingWriter:
    """A standard output whose complete lines are fitted to ``width`` (``fit_line``) as they are written."""

    def __init__(self, stream: TextIO, width: int) -> None:
        self.stream = stream
        self.width = width
        self._pending = ""

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            self.stream.write("".join(part + "\n" for part in fit_line(line, self.width)))
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.stream.write("\n".join(fit_line(self._pending, self.width)))
            self._pending = ""
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    @property
    def encoding(self) -> str:
        return self.stream.encoding


def active_width() -> int | None:
    """The width the command line fits this command's text to (None: whole lines)."""
    stream = sys.stdout
    return stream.width if isinstance(stream, FittingWriter) else None
