"""``sep-egress changes``: what each catalog version added, removed or changed, with each entry's disposition and
impact where the version records them (``--catalog`` reads another catalog file, such as a proposal)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from ..catalog.history import CATALOG_VERSION, catalog_version_key
from ..catalog.vendor.load import load_catalog
from ..errors import SelectionError
from ..escape import plain_text
from .output import to_json
from .selection import add_catalog_argument


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="VERSION", help="only changes after this catalog version")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    add_catalog_argument(parser)


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    changes = list(catalog.changes)
    if args.since:
        if not CATALOG_VERSION.fullmatch(args.since):
            raise SelectionError(f"--since {args.since!r} is not a catalog version (YYYY.MM.DD, optionally .N)")
        since = catalog_version_key(args.since)
        changes = [change for change in changes if catalog_version_key(change.version) > since]
    if args.format == "json":
        sys.stdout.write(to_json({"version": catalog.version, "changes": [asdict(change) for change in changes]}))
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
