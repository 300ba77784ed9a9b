"""Reading YAML files within bounds: every YAML file sep-egress reads (the catalog, overlays, stack files) comes
through ``read_yaml``, so no file can make a run read forever, exhaust memory or end in a traceback.

The bounds, and why:

- **kind**: only regular files are opened (``open_regular``): a FIFO named as an overlay would block forever;
- **size**: at most ``max_bytes`` are read (``/dev/zero`` would be read forever);
- **alias expansion**: YAML aliases let a few hundred bytes stand for billions of nodes ("billion laughs") or one
  long value for gigabytes of text; the loader shares aliased nodes, but every consumer (validation, JSON encoding
  for the engine) walks them expanded, so the document is refused when its *expanded* size exceeds ``MAX_NODES``
  values or ``MAX_EXPANDED_BYTES`` bytes of text, or an alias refers to itself;
- **nesting**: at most ``MAX_DEPTH`` levels (libyaml stops at 1000, Python's recursion earlier);
- **merge keys** (``<<``) are refused with a clear message: PyYAML's safe loader has no constructor for them, and
  keys merged from elsewhere would escape the check for keys written twice;
- a key written twice in one mapping is refused (YAML would keep the last silently).

Any other YAML problem, a file that is not UTF-8, or a ``MemoryError``/``RecursionError`` becomes one
``CatalogError`` naming the file and, where known, the line and column.
"""

from __future__ import annotations

import errno
import os
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import CatalogError

#: Size caps, in bytes. The packaged catalog is about 26 kB; overlays and stack files are a few kB. The caps bound
#: time and memory too: bench/bench_limits.py measures the largest input each one admits (a few seconds at most).
MAX_CATALOG_BYTES = 1024 * 1024
MAX_FILE_BYTES = 256 * 1024
#: The most nodes a document may stand for once every alias is expanded (the packaged catalog has about 4,000).
MAX_NODES = 50_000
#: The most bytes of text (keys and values) a document may stand for once every alias is expanded: the largest file
#: sep-egress reads, twice over (the packaged catalog stands for about 20 kB). bench/bench_limits.py measures the
#: worst case this admits.
MAX_EXPANDED_BYTES = 2 * MAX_CATALOG_BYTES
MAX_DEPTH = 64
MERGE_TAG = "tag:yaml.org,2002:merge"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def open_regular(path: Path) -> BinaryIO:
    """Open a regular file for reading, refusing anything else (a FIFO, a device, a socket, a directory) *before*
    opening it, and checking again on the open descriptor: a FIFO opened for reading blocks until someone writes to
    it, and ``/dev/zero`` never ends. Raises ``OSError`` (``strerror`` says what the path is)."""
    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, f"{_kind(info.st_mode)}, not a regular file; sep-egress reads only regular files")
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    opened = os.fstat(handle)
    if not stat.S_ISREG(opened.st_mode):  # replaced between the check and the open
        os.close(handle)
        raise OSError(errno.EINVAL, f"{_kind(opened.st_mode)}, not a regular file; sep-egress reads only regular files")
    return os.fdopen(handle, "rb")


def read_bounded(path: Path, source: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing what is not a regular file, and a file larger than ``max_bytes`` without reading
    more than one byte past it."""
    try:
        with open_regular(path) as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise CatalogError(source, [("", f"cannot read the file ({exc.strerror or exc})")]) from None
    except MemoryError:
        raise CatalogError(source, [("", "the file is too large to read")]) from None
    if len(data) > max_bytes:
        raise CatalogError(source, [("", f"the file is larger than {max_bytes} bytes, the most sep-egress reads")])
    return data


@lru_cache(maxsize=1)
def _loader() -> Any:
    """A safe loader that refuses keys written twice and merge keys; built on first use (yaml is imported late so
    a run served from the catalog cache never imports it)."""
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class BoundedLoader(base):  # type: ignore[valid-type,misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    "YAML merge keys ('<<') are not supported; write the keys out in each mapping",
                    key_node.start_mark,
                )
            key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            try:
                fresh = key not in seen
            except TypeError:  # a list or mapping as a key
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark
                ) from None
            if not fresh:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    def refuse_binary(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        # Every sep-egress file holds text: base64 bytes (!!binary) would carry what a text check never saw.
        raise yaml.constructor.ConstructorError(
            None, None, "binary data (!!binary) is not accepted; write the text itself", node.start_mark
        )

    BoundedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    BoundedLoader.add_constructor("tag:yaml.org,2002:binary", refuse_binary)
    return BoundedLoader


class _Refused(Exception):
    """A document outside the bounds, with the mark (line, column) where that shows."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message, self.mark = message, mark


def _check_expansion(text: str) -> None:
    """Refuse a document whose aliases expand past ``MAX_NODES`` values or ``MAX_EXPANDED_BYTES`` bytes of text,
    that nests deeper than ``MAX_DEPTH``, or whose alias refers to an anchor not yet complete (a self-reference).
    Works on the event stream: nothing is built, and an alias costs what its anchor stands for, expanded."""
    import yaml

    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (expanded values, expanded bytes)
    # [expanded values, expanded bytes, anchor] per open collection; the totals are kept as running sums.
    stack: list[list[Any]] = [[0, 0, None]]
    total_nodes = 0
    total_bytes = 0
    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            if isinstance(event, yaml.AliasEvent):
                if event.anchor not in sizes:
                    raise _Refused("an alias refers to the collection that contains it", event.start_mark)
                count, size = sizes[event.anchor]
            else:
                count, size = 1, len(event.value.encode("utf-8", "surrogatepass"))
                if event.anchor is not None:
                    sizes[event.anchor] = (count, size)
            stack[-1][0] += count
            stack[-1][1] += size
            total_nodes += count
            total_bytes += size
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(stack) > MAX_DEPTH:
                raise _Refused(f"the document nests deeper than {MAX_DEPTH} levels", event.start_mark)
            stack.append([1, 0, event.anchor])
            total_nodes += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            count, size, anchor = stack.pop()
            if anchor is not None:
                sizes[anchor] = (count, size)
            stack[-1][0] += count
            stack[-1][1] += size
            continue  # already counted in the totals when its items were
        else:
            continue
        if total_nodes > MAX_NODES:
            raise _Refused(
                f"the document stands for more than {MAX_NODES} values once its aliases are expanded "
                "(anchors and aliases repeated into a huge document)",
                event.start_mark,
            )
        if total_bytes > MAX_EXPANDED_BYTES:
            raise _Refused(
                f"the document stands for more than {MAX_EXPANDED_BYTES} bytes of text once its aliases are "
                "expanded (a long value repeated through aliases)",
                event.start_mark,
            )


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def parse_yaml(data: bytes, source: str) -> Any:
    """Parse one YAML document from ``data`` within the bounds above; problems raise ``CatalogError``."""
    import yaml

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(source, [("", "the file is not UTF-8 text")]) from None
    try:
        _check_expansion(text)
        return yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except _Refused as exc:
        raise CatalogError(source, [(_where(exc.mark), exc.message)]) from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a timestamp such as 2026-13-01 (not a date)
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(source, [(_where(mark), f"not valid YAML: {problem}")]) from None
    except (MemoryError, RecursionError):
        raise CatalogError(source, [("", "the document is too large or too deeply nested to load")]) from None


def read_yaml(path: Path, source: str, content: bytes | None = None, *, max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Read and parse a YAML file (or ``content`` already read from it) within the bounds; errors name ``source``."""
    if content is not None and len(content) > max_bytes:
        raise CatalogError(source, [("", f"the file is larger than {max_bytes} bytes, the most sep-egress reads")])
    data = content if content is not None else read_bounded(path, source, max_bytes)
    return parse_yaml(data, source)
