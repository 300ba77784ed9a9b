"""``sep-egress feed build DIR``: the catalog as a static, versioned feed that a proxy, a script or a spreadsheet
reads without installing sep-egress (the shape of Microsoft's endpoints web service: a version to poll, the list,
and what changed since each version).

Files, all byte-identical for the same catalog (no clock is read; dates are the catalog's own):

- ``version.json``: ``{"catalog": "<latest version>", "versions": [...], "schema": ...}``: poll this;
- ``catalog.json`` / ``catalog.csv``: every endpoint (as ``sep-egress catalog --format json|csv``);
- ``roles/<role>.json`` / ``roles/<role>.csv``: the same, one role each;
- ``changes.json``: the whole history; ``changes/since/<version>.json``: what changed after that version (as
  ``sep-egress changes --since <version> --format json``), one file per version of the history;
- ``changes.atom``: the history as an Atom feed (RFC 4287), newest first;
- ``internal.json`` / ``internal.csv``: SEP's internal paths (as ``sep-egress catalog internal``);
- ``schemas/``: the JSON Schemas of these files (as the repository's ``schemas/``);
- ``index.json``: every file with its SHA-256, and ``index.html`` listing them.

The directory is written next to its final place and swapped in, so a reader never sees half a feed.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from .. import __version__
from ..catalog.internal import load_internal_catalog
from ..catalog.vendor.load import load_catalog
from ..catalog.vendor.models import Catalog
from ..errors import SepEgressError
from ..escape import plain_text
from .catalog import COLUMNS, INTERNAL_COLUMNS, _cell, endpoints, internal_paths, provenance
from .changes import changes_document
from .output import to_csv, to_json
from .schemas import all_schemas

FEED_MARKER = "version.json"


class FeedError(SepEgressError):
    """The feed cannot be written where asked."""


def configure(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="feed_command", metavar="SUBCOMMAND", required=True)
    build = commands.add_parser(
        "build",
        help="write the feed into DIR (created, or replaced when it holds a previous feed)",
        description="Write the catalog feed into DIR: version.json, catalog.json/.csv, roles/<role>.json/.csv, "
        "changes.json, changes/since/<version>.json, changes.atom, internal.json/.csv, index.json and "
        "index.html. Byte-identical output for the same catalog.",
    )
    build.add_argument("directory", metavar="DIR", type=Path, help="the folder to write (e.g. site/)")
    build.add_argument(
        "--base-url",
        metavar="URL",
        default="",
        help="where DIR is published (e.g. https://org.github.io/sep-egress/): the Atom feed's links and ids",
    )
    build.add_argument("--catalog", metavar="FILE", type=Path, help="publish another catalog file")


def _csv(records: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    return to_csv(columns, [[_cell(record, column) for column in columns] for record in records])


def _atom(catalog: Catalog, base_url: str) -> str:
    """The change history as Atom: one entry per catalog version, newest first; ids are stable per version."""
    base = base_url.rstrip("/") + "/" if base_url else ""
    feed_id = f"{base}changes.atom" if base else "urn:sep-egress:catalog:changes"
    changes = list(reversed(catalog.changes))
    updated = f"{changes[0].date}T00:00:00Z" if changes else "1970-01-01T00:00:00Z"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>{xml_escape(feed_id)}</id>",
        "  <title>sep-egress catalog changes</title>",
        f"  <updated>{updated}</updated>",
        "  <author><name>sep-egress</name></author>",
        f'  <generator version="{xml_escape(__version__)}">sep-egress</generator>',
    ]
    if base:
        lines.append(f'  <link rel="self" href="{xml_escape(base)}changes.atom"/>')
    for change in changes:
        entry_id = f"{base}changes/since/{change.version}.json" if base else f"urn:sep-egress:catalog:{change.version}"
        lists = (("added", change.added), ("removed", change.removed), ("changed", change.changed))
        parts = [f"{label}: {', '.join(ids)}" for label, ids in lists if ids]
        for detail in change.details:
            note = f": {detail.note}" if detail.note else ""
            parts.append(f"{detail.id} [{detail.disposition}; {', '.join(detail.impact)}]{note}")
        lines += [
            "  <entry>",
            f"    <id>{xml_escape(entry_id)}</id>",
            f"    <title>{xml_escape(plain_text(f'{change.version}: {change.summary}'))}</title>",
            f"    <updated>{change.date}T00:00:00Z</updated>",
            f"    <summary>{xml_escape(plain_text(change.summary))}</summary>",
            f'    <content type="text">{xml_escape(plain_text(chr(10).join(parts)))}</content>',
        ]
        if base:
            lines.append(f'    <link href="{xml_escape(base)}catalog.json"/>')
        lines.append("  </entry>")
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def _index_html(files: Mapping[str, str], catalog: Catalog) -> str:
    rows = "\n".join(
        f'    <li><a href="{html.escape(name)}">{html.escape(name)}</a> <code>{digest}</code></li>'
        for name, digest in files.items()
    )
    return (
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>sep-egress catalog feed</title>'
        "</head>\n<body>\n"
        f"  <h1>sep-egress catalog {html.escape(catalog.version)}</h1>\n"
        '  <p>Symantec Endpoint Protection / Endpoint Security outbound endpoints. Poll <a href="version.json">'
        "version.json</a>; on a new version read <code>changes/since/&lt;your version&gt;.json</code> and "
        '<a href="catalog.json">catalog.json</a>.</p>\n'
        f"  <ul>\n{rows}\n  </ul>\n</body>\n</html>\n"
    )


def feed_files(catalog: Catalog, base_url: str = "") -> dict[str, str]:
    """Every file of the feed: relative path -> text."""
    records = endpoints(catalog)
    internal = load_internal_catalog()
    versions = [change.version for change in catalog.changes]
    files: dict[str, str] = {
        "catalog.json": to_json({"version": catalog.version, "source": provenance(catalog), "endpoints": records}),
        "catalog.csv": _csv(records, COLUMNS),
        "changes.json": to_json(changes_document(catalog, None)),
        "changes.atom": _atom(catalog, base_url),
        "internal.json": to_json(
            {
                "version": internal.version,
                "destinations": dict(internal.destinations),
                "sources": {key: asdict(source) for key, source in internal.sources.items()},
                "paths": internal_paths(internal),
                "not_transcribed": [{"id": key, "why": why} for key, why in internal.not_transcribed],
            }
        ),
        "internal.csv": _csv(internal_paths(internal), INTERNAL_COLUMNS),
    }
    for role in sorted({record["role"] for record in records}):
        mine = [record for record in records if record["role"] == role]
        files[f"roles/{role}.json"] = to_json({"version": catalog.version, "role": role, "endpoints": mine})
        files[f"roles/{role}.csv"] = _csv(mine, COLUMNS)
    for version in versions:
        files[f"changes/since/{version}.json"] = to_json(changes_document(catalog, version))
    files["version.json"] = to_json(
        {
            "catalog": catalog.version,
            "versions": versions,
            "internal": internal.version,
            "roles": sorted({record["role"] for record in records}),
            "generator": f"sep-egress {__version__}",
        }
    )
    for name, schema in all_schemas().items():
        files[f"schemas/{name}"] = to_json(schema)
    digests = {name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in sorted(files.items())}
    files["index.json"] = to_json({"catalog": catalog.version, "files": digests})
    files["index.html"] = _index_html(digests, catalog)
    return dict(sorted(files.items()))


def write_feed(directory: Path, files: Mapping[str, str]) -> None:
    """Write ``files`` as ``directory``, swapping a previous feed out; never touches a folder that is not one."""
    target = directory.resolve()
    if target.exists():
        if not target.is_dir():
            raise FeedError(f"{plain_text(directory)}: not a directory")
        if any(target.iterdir()) and not (target / FEED_MARKER).is_file():
            raise FeedError(
                f"{plain_text(directory)}: the folder holds other files and no previous feed ({FEED_MARKER}); "
                "choose an empty or new folder"
            )
    if not target.parent.is_dir():
        raise FeedError(f"{plain_text(directory)}: the folder {plain_text(target.parent)} does not exist")
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        for name, text in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.chmod(path, 0o644)
        os.chmod(staging, 0o755)  # noqa: S103 - a published folder: everyone reads it
        if target.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, retired / "feed")
            os.replace(staging, target)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, target)
    except OSError as exc:
        raise FeedError(f"{plain_text(directory)}: cannot write the feed ({exc.strerror or exc})") from None


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    files = feed_files(catalog, args.base_url)
    write_feed(args.directory, files)
    sys.stdout.write(f"wrote {len(files)} files of catalog {catalog.version} to {plain_text(args.directory)}\n")
    return 0
