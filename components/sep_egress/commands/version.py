"""``sep-egress version``: this tool's version and the packaged catalog's (never the SEP/SES release a selection
names, which is each command's ``--version``)."""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from .output import to_json


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["text", "json"], default="text")


def run(args: argparse.Namespace) -> int:
    from ..catalog.vendor.load import load_catalog

    catalog = load_catalog(None).version
    if args.format == "json":
        sys.stdout.write(to_json({"tool": __version__, "catalog": catalog}))
    else:
        sys.stdout.write(f"sep-egress {__version__}\ncatalog {catalog}\n")
    return 0
