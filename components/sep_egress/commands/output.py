"""Rendering for people (aligned tables) and tools (canonical JSON, CSV).

Cells may hold free text (usage notes, paths, network answers): tables print each cell through ``plain_text`` and
CSV through ``csv_cell`` (no line break, control or formula), JSON escapes what it must by itself.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..errors import SepEgressError
from ..escape import csv_cell, json_document, plain_text


class OutputError(SepEgressError):
    """An ``--output`` file cannot be written (missing directory, permissions, a full disk)."""


def to_json(document: Any) -> str:
    """Canonical JSON: sorted keys, two-space indent, UTF-8 kept, trailing newline; byte-identical for equal input."""
    return json_document(document)


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


#: How long a write to a FIFO waits for a reader before it is refused (a FIFO nobody reads would block forever).
FIFO_READER_WAIT = 5.0


def write_output(path: Path, text: str, option: str = "--output") -> None:
    """Write ``text`` to ``path`` atomically: a reader (a proxy reloading its configuration, a CI step) sees the
    old file or the new one, never half of one. ``--output`` and ``--propose`` both write through here.

    A symbolic link is followed: the file it points to is replaced (in the link's target directory), and the link
    stays a link. This process's own stdout or stderr (``/dev/stdout`` in a pipe, a terminal, a file) is written as
    a stream. A FIFO is written in place once something reads it (refused after ``FIFO_READER_WAIT`` seconds with
    no reader, rather than blocking forever); a character device (``/dev/null``) in place. Anything else that is
    not a regular file (a directory, a socket, a block device) is refused. An existing file keeps its permissions;
    a new one gets 0644.
    """
    shown = f"{option} {plain_text(path)}"
    try:
        existing = os.stat(path)  # follows symbolic links: what the path names now
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise OutputError(f"{shown}: {exc.strerror}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        _write_in_place(path, existing, text, shown)
        return
    target = Path(os.path.realpath(path))
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


def folder_problem(directory: Path, names: set[str], *, follow_links: bool) -> str | None:
    """What stops writing ``names`` into ``directory`` whole, found before anything is written: ``directory`` is not
    a folder, or one of the names is there as something other than a regular file (a folder would stop the run
    halfway, a FIFO block it; without ``follow_links`` a link, which could lead out of the folder, is refused too).
    The text names the entry, escaped; None when nothing stands in the way."""
    if directory.exists() and not directory.is_dir():
        return "not a directory"
    for name in sorted(names):
        try:
            mode = (os.stat if follow_links else os.lstat)(directory / name).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            return f"{plain_text(name)}: {exc.strerror}"
        if not stat.S_ISREG(mode):
            return f"holds {plain_text(name)}, which is not a regular file; remove it or use a new directory"
    return None


def check_output(path: Path, option: str = "--output") -> None:
    """Refuse ``path`` now for what ``write_output`` would refuse it later (a directory, a socket, a missing
    directory), so a command writing several files, or reading long before it writes, writes none of them."""
    shown = f"{option} {plain_text(path)}"
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise OutputError(f"{shown}: {exc.strerror}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        mode = existing.st_mode
        if _own_stream(existing) is None and not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise OutputError(f"{shown}: {kind}; write to a file, or to /dev/stdout")
        return
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise OutputError(f"{shown}: the directory {plain_text(target.parent)} does not exist")


def _own_stream(info: os.stat_result) -> TextIO | None:
    """sys.stdout or sys.stderr when ``info`` is the file this process writes them to."""
    for descriptor, stream in ((1, sys.stdout), (2, sys.stderr)):
        try:
            own = os.fstat(descriptor)
        except OSError:
            continue
        if (own.st_dev, own.st_ino) == (info.st_dev, info.st_ino):
            return stream
    return None


def _write_in_place(path: Path, info: os.stat_result, text: str, shown: str) -> None:
    stream = _own_stream(info)
    if stream is not None:
        stream.write(text)
        stream.flush()
        return
    if stat.S_ISFIFO(info.st_mode):
        descriptor = _open_fifo(path, shown)
    elif stat.S_ISCHR(info.st_mode):
        try:
            descriptor = os.open(path, os.O_WRONLY)
        except OSError as exc:
            raise OutputError(f"{shown}: {exc.strerror}") from None
    else:
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise OutputError(f"{shown}: {kind}; write to a file, or to /dev/stdout")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except OSError as exc:
        raise OutputError(f"{shown}: {exc.strerror}") from None


def _open_fifo(path: Path, shown: str) -> int:
    """A FIFO opened for writing once a reader has it open; refused when none comes within the wait."""
    deadline = time.monotonic() + FIFO_READER_WAIT
    while True:
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise OutputError(f"{shown}: {exc.strerror}") from None
            if time.monotonic() >= deadline:
                raise OutputError(
                    f"{shown}: a FIFO that nothing reads (waited {FIFO_READER_WAIT:g} s); start its reader first"
                ) from None
            time.sleep(0.05)
            continue
        os.set_blocking(descriptor, True)
        return descriptor
