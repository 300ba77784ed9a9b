"""``sep-egress catalog``: the vendor's list as the catalog holds it, one row per host of an entry."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..catalog.load import load_catalog
from ..catalog.models import Catalog
from .output import to_csv, to_json, to_table
from .selection import add_catalog_argument

COLUMNS = (
    "id",
    "role",
    "host",
    "path",
    "ports",
    "protocol",
    "min_version",
    "max_version",
    "before_version",
    "storage",
    "proxy_only",
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["table", "json", "csv"], default="table")
    add_catalog_argument(parser)


def endpoints(catalog: Catalog) -> list[dict[str, Any]]:
    """One record per host of an entry, in catalog order."""
    records = []
    for entry in catalog.entries:
        for url in entry.urls:
            records.append(
                {
                    "id": entry.id,
                    "role": entry.role,
                    "url": url.raw,
                    "host": url.host,
                    "match": "suffix" if url.suffix else "exact",
                    "path": url.path,
                    "ports": list(entry.url_ports(url)),
                    "protocol": entry.url_protocol(url),
                    "min_version": str(entry.min_version) if entry.min_version else None,
                    "max_version": str(entry.max_version) if entry.max_version else None,
                    "before_version": str(entry.before_version) if entry.before_version else None,
                    "storage": entry.storage,
                    "proxy_only": bool(entry.requires_proxy),
                    "shared_host": entry.shared_host,
                    "row": entry.row,
                    "usage": {"fr": entry.usage.fr, "en": entry.usage.en},
                    "blocked": entry.blocked,
                }
            )
    return records


def run(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog)
    records = endpoints(catalog)
    if args.format == "json":
        sys.stdout.write(to_json({"version": catalog.version, "endpoints": records}))
        return 0

    def cell(record: dict[str, Any], column: str) -> str:
        value = record[column]
        if isinstance(value, list):
            return " ".join(str(item) for item in value)
        if isinstance(value, bool):
            return "yes" if value else ""
        return "" if value is None else str(value)

    rows = [[cell(record, column) for column in COLUMNS] for record in records]
    if args.format == "csv":
        sys.stdout.write(to_csv(COLUMNS, rows))
    else:
        sys.stdout.write(f"catalog {catalog.version} ({len(catalog.entries)} entries)\n\n")
        sys.stdout.write(to_table([column.upper() for column in COLUMNS], rows))
    return 0
