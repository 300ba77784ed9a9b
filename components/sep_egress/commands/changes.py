"""``sep-egress changes``: what each catalog version added, removed or changed, with each entry's disposition and
impact where the version records them (``--catalog`` reads another catalog file, such as a proposal)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from ..catalog.history import CATALOG_VERSION, Change, catalog_version_key
from ..catalog.vendor.load import load_catalog
from ..catalog.vendor.models import Catalog
from ..errors import SelectionError
from ..escape import plain_text
from .output import to_json
from .selection import add_catalog_argument


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="VERSION", help="only changes after this catalog version")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    add_catalog_argument(parser)


def changes_since(catalog: Catalog, since: str | None) -> list[Change]:
    """The catalog's changes after catalog version ``since`` (all of them when None), oldest first."""
    changes = list(catalog.changes)
    if since:
        if not CATALOG_VERSION.fullmatch(since):
            raise SelectionError(f"--since {since!r} is not a catalog version (YYYY.MM.DD, optionally .N)")
        key = catalog_version_key(since)
        changes = [change for change in changes if catalog_version_key(change.version) > key]
    return changes


def changes_document(catalog: Catalog, since: str | None) -> dict[str, Any]:
    """What ``changes --format json`` prints (and the catalog feed publishes per version)."""
    return {"version": catalog.version, "changes": [asdict(change) for change in changes_since(catalog, since)]}


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    changes = changes_since(catalog, args.since)
    if args.format == "json":
        sys.stdout.write(to_json(changes_document(catalog, args.since)))
        return 0
    if not changes:
        sys.stdout.write(f"No changes after {args.since}; the catalog is at {catalog.version}.\n")
        return 0
    out = []
    for change in reversed(changes):
        out.append(f"{change.version} ({plain_text(change.date)}): {plain_text(change.summary)}")
        for label, ids in (("added", change.added), ("removed", change.removed), ("changed", change.changed)):
            if ids:
                out.append(f"  {label}: {', '.join(plain_text(item) for item in ids)}")
        for detail in change.details:
            note = f": {plain_text(detail.note)}" if detail.note else ""
            out.append(f"    {detail.id} [{detail.disposition}; {', '.join(detail.impact)}]{note}")
    sys.stdout.write("\n".join(out) + "\n")
    return 0
