"""Rendering for people (aligned tables) and tools (canonical JSON, CSV).

Cells may hold free text (usage notes, paths, network answers): tables print each cell through ``plain_text`` and
CSV through ``csv_cell`` (no line break, control or formula), JSON escapes what it must by itself.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import SepEgressError
from ..escape import csv_cell, plain_text


class OutputError(SepEgressError):
    """An ``--output`` file cannot be written (missing directory, permissions, a full disk)."""


def to_json(document: Any) -> str:
    """Canonical JSON: sorted keys, two-space indent, UTF-8 kept, trailing newline; byte-identical for equal input."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(header) for header in headers])
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue()


def to_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], width: int | None = None) -> str:
    """A plain aligned table; the last column is not padded so long values do not wrap every line.

    Within ``width`` (by default the width the command line fits text to, ``commands/terminal.py``), the widest
    columns give way and their cells are cut with a ``…`` marker.
    """
    from .terminal import active_width, column_widths, cut

    cells = [[plain_text(value) for value in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in cells:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(value))
    width = active_width() if width is None else width
    if width is not None and sum(widths) + 2 * (len(widths) - 1) > width:
        # Too wide: a header is no reason for a column to stay wide (it is cut like a cell).
        content = [max((len(row[index]) for row in cells), default=0) for index in range(len(headers))]
        widths = [max(size, min(len(header), 5)) for size, header in zip(content, headers, strict=True)]
        widths = column_widths(widths, headers, width)
        headers = [cut(header, widths[index]) for index, header in enumerate(headers)]
        cells = [[cut(value, widths[index]) for index, value in enumerate(row)] for row in cells]

    def line(values: Sequence[str]) -> str:
        padded = [value.ljust(widths[index]) for index, value in enumerate(values[:-1])]
        return "  ".join([*padded, values[-1]]).rstrip()

    out = [line(list(headers)), line(["-" * width for width in widths])]
    out.extend(line(row) for row in cells)
    return "\n".join(out) + "\n"


def write_output(path: Path, text: str, option: str = "--output") -> None:
    """Write ``text`` to ``path`` atomically: a reader (a proxy reloading its configuration, a CI step) sees the
    old file or the new one, never half of one.

    A symbolic link is followed: the file it points to is replaced (in the link's target directory), and the link
    stays a link. A FIFO, ``/dev/stdout`` or another non-regular file is written in place, since renaming over it
    would replace the device node itself. An existing file keeps its permissions; a new one gets 0644.
    """
    shown = f"{option} {plain_text(path)}"
    target = Path(os.path.realpath(path))
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise OutputError(f"{shown}: {exc.strerror}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        try:
            with target.open("w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
        except OSError as exc:
            raise OutputError(f"{shown}: {exc.strerror}") from None
        return
    if not target.parent.is_dir():
        raise OutputError(f"{shown}: the directory {plain_text(target.parent)} does not exist")
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o644
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"{shown}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"{shown}: {exc.strerror}") from None
