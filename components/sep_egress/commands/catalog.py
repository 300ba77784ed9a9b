"""``sep-egress catalog``: the vendor's list as the catalog holds it, one row per host of an entry, and where it
was read from; ``sep-egress catalog verify ARTICLE``: the catalog against a saved copy of the vendor's article."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..catalog.bounded_yaml import MAX_CATALOG_BYTES, read_bounded
from ..catalog.internal import InternalCatalog, load_internal_catalog
from ..catalog.vendor.load import CATALOG_PATH, load_catalog
from ..catalog.vendor.models import Catalog
from ..errors import CatalogError
from ..escape import plain_text
from .output import to_csv, to_json, to_table, write_output
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
    commands = parser.add_subparsers(dest="catalog_command", metavar="SUBCOMMAND")
    verify = commands.add_parser(
        "verify",
        help="compare the catalog with a saved copy of the vendor's article (exit 0 agree, 1 drift, 2 unreadable)",
        description=(
            "Read a saved copy of Broadcom's article (plain text as copied from a browser, or the HTML page as "
            "saved; French or English edition), compare every URL, port and condition with the catalog, and say "
            "what each difference means for a deployment. Exit 0 when they agree, 1 on drift, 2 when the file is "
            "not a readable edition of the article."
        ),
    )
    verify.add_argument("article", metavar="ARTICLE", type=Path, help="saved copy of the article (.txt or .html)")
    verify.add_argument("--format", choices=["table", "json"], default="table")
    verify.add_argument(
        "--propose",
        metavar="OUT.yaml",
        type=Path,
        help="on drift, write the catalog that agrees with the article (version bumped, changes recorded)",
    )
    internal = commands.add_parser(
        "internal",
        help="list SEP's internal paths (agents, GUPs and consoles to the manager, push deployment, replication)",
        description=(
            "List the internal catalog: each path's id (for --internal-port and --internal-path), from which role "
            "to which kind of internal destination, protocol and ports, whether its port may be overridden, whether "
            "it is optional, its version bounds and its source (docs/internal.md)."
        ),
    )
    internal.add_argument("--format", choices=["table", "json", "csv"], default="table")
    # Not the shared helper: a default here would override `sep-egress catalog --catalog FILE verify ...`.
    verify.add_argument(
        "--catalog",
        metavar="FILE",
        type=Path,
        default=argparse.SUPPRESS,
        help="compare with another catalog file instead of the packaged one",
    )


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


def provenance(catalog: Catalog) -> dict[str, Any]:
    """The catalog's source: the article, and the editions it was read from or is checked against."""
    return {**catalog.source, "editions": [asdict(edition) for edition in catalog.editions]}


INTERNAL_COLUMNS = (
    "id",
    "from_role",
    "to",
    "protocol",
    "ports",
    "configurable",
    "optional",
    "min_version",
    "max_version",
    "before_version",
    "source",
)


def internal_paths(catalog: InternalCatalog) -> list[dict[str, Any]]:
    """One record per internal path, in file order."""
    return [
        {
            "id": path.id,
            "from_role": path.from_role,
            "to": path.to,
            "protocol": path.protocol,
            "ports": list(path.ports),
            "configurable": path.configurable,
            "optional": path.optional,
            "min_version": str(path.min_version) if path.min_version else None,
            "max_version": str(path.max_version) if path.max_version else None,
            "before_version": str(path.before_version) if path.before_version else None,
            "source": path.source,
            "usage": path.usage,
            "blocked": path.blocked,
            "caveat": path.caveat,
        }
        for path in catalog.paths
    ]


def _cell(record: dict[str, Any], column: str) -> str:
    value = record[column]
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else ""
    return "" if value is None else str(value)


def run_internal(args: argparse.Namespace) -> int:
    """``catalog internal``: the internal paths, their destinations and sources."""
    catalog = load_internal_catalog()
    records = internal_paths(catalog)
    if args.format == "json":
        sys.stdout.write(
            to_json(
                {
                    "version": catalog.version,
                    "destinations": dict(catalog.destinations),
                    "sources": {key: asdict(source) for key, source in catalog.sources.items()},
                    "paths": records,
                    "not_transcribed": [{"id": key, "why": why} for key, why in catalog.not_transcribed],
                }
            )
        )
        return 0
    rows = [[_cell(record, column) for column in INTERNAL_COLUMNS] for record in records]
    if args.format == "csv":
        sys.stdout.write(to_csv(INTERNAL_COLUMNS, rows))
        return 0
    sys.stdout.write(f"internal catalog {catalog.version} ({len(catalog.paths)} paths)\n")
    for kind, text in catalog.destinations.items():
        sys.stdout.write(f"destination {kind}: {plain_text(text)}\n")
    sys.stdout.write("\n")
    sys.stdout.write(to_table([column.upper() for column in INTERNAL_COLUMNS], rows))
    if catalog.not_transcribed:
        sys.stdout.write("\nNot transcribed (describe them with an overlay): ")
        sys.stdout.write(plain_text(", ".join(key for key, _ in catalog.not_transcribed)) + "\n")
    return 0


def run(args: argparse.Namespace) -> int:
    if getattr(args, "catalog_command", None) == "verify":
        return verify(args)
    if getattr(args, "catalog_command", None) == "internal":
        return run_internal(args)
    catalog = load_catalog(args.catalog)
    records = endpoints(catalog)
    if args.format == "json":
        sys.stdout.write(to_json({"version": catalog.version, "source": provenance(catalog), "endpoints": records}))
        return 0

    rows = [[_cell(record, column) for column in COLUMNS] for record in records]
    if args.format == "csv":
        sys.stdout.write(to_csv(COLUMNS, rows))
    else:
        sys.stdout.write(f"catalog {catalog.version} ({len(catalog.entries)} entries)\n")
        for edition in catalog.editions:
            label = "read from" if edition.read else "checked against"
            kb = f", KB {edition.kb}" if edition.kb else ""
            sys.stdout.write(f"{label}: {edition.language} edition{kb}, {edition.url}, retrieved {edition.retrieved}\n")
        sys.stdout.write("\n")
        sys.stdout.write(to_table([column.upper() for column in COLUMNS], rows))
    return 0


def verify(args: argparse.Namespace) -> int:
    """``catalog verify``: 0 when the article and the catalog agree, 1 on drift; errors raise (exit 2)."""
    from ..catalog.article import read_article_file
    from ..catalog.article.drift import compare

    catalog = load_catalog(args.catalog)
    article = read_article_file(args.article)
    drift = compare(article, catalog)
    if args.format == "json":
        sys.stdout.write(to_json(drift.to_json()))
    else:
        sys.stdout.write(_verify_text(drift, catalog))
    if drift.agrees:
        if args.propose:
            sys.stderr.write("sep-egress catalog verify: the catalog agrees with the article; nothing to propose\n")
        return 0
    if args.propose:
        _write_proposal(args, article, catalog)
    return 1


def _write_proposal(args: argparse.Namespace, article: Any, catalog: Catalog) -> None:
    from ..catalog.article.propose import propose

    source_path = Path(args.catalog) if args.catalog else CATALOG_PATH
    try:
        text = read_bounded(source_path, str(source_path), MAX_CATALOG_BYTES).decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(str(source_path), [("", "cannot read the catalog to propose from (not UTF-8)")]) from None
    proposal = propose(article, catalog, text, str(args.propose))
    out = Path(args.propose)
    # The same writer as --output: atomic, through a symbolic link, a FIFO only once something reads it.
    write_output(out, proposal.text, "--propose")
    sys.stderr.write(
        f"sep-egress catalog verify: wrote {out}: catalog {proposal.version} "
        f"({len(proposal.added)} added, {len(proposal.removed)} removed, {len(proposal.changed)} changed entries)\n"
    )
    if article.problems:
        sys.stderr.write(
            "sep-egress catalog verify: the proposal leaves out what the reader could not read (see 'problems')\n"
        )


def _verify_text(drift: Any, catalog: Catalog) -> str:
    article = drift.article
    out = [
        f"article: {article.edition} edition ({article.language}, {article.form}): {article.title}",
        f"  {len(article.tables)} of 5 tables, {len(article.urls)} URLs, footnote "
        + ("present" if article.footnote else "absent"),
        f"catalog: {catalog.version}",
    ]
    if drift.agrees:
        out.append("The catalog agrees with the article: every URL, role, port and condition matches.")
        return _lines(out)
    out.append(
        f"Drift: {len(drift.added)} added, {len(drift.removed)} removed, {len(drift.changed)} changed"
        + (f", {len(article.problems)} unreadable" if article.problems else "")
    )
    sections = (
        ("ADDED: the article asks for these; deployments block them until the catalog lists them", drift.added),
        ("REMOVED: the article no longer lists these; deployments still allow them", drift.removed),
        ("CHANGED", drift.changed),
    )
    for heading, items in sections:
        if items:
            out.append("")
            out.append(heading)
            out.extend(f"  - {item.to_json()['meaning']}" for item in items)
    if article.problems:
        out.append("")
        out.append("UNREADABLE: parts of the tables sep-egress could not read (check the article by hand)")
        out.extend(
            f"  - line {problem.line}" + (f", role {problem.role}" if problem.role else "") + f": {problem.message}"
            for problem in article.problems
        )
    out.append("")
    out.append("To update the catalog: sep-egress catalog verify ARTICLE --propose OUT.yaml (see docs/catalog.md).")
    return _lines(out)


def _lines(lines: list[str]) -> str:
    """Terminal text: each line through ``plain_text``, since titles and messages carry text read from the page."""
    return "".join(plain_text(line) + "\n" for line in lines)
