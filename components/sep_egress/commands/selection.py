"""The selection flags shared by ``plan``, ``export`` and ``check``, and how they become an ``EgressPlan``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..catalog.internal import destinations_from_flags
from ..catalog.roles import ROLES
from ..catalog.vendor.load import load_catalog, load_overlay
from ..catalog.vendor.plan import EgressPlan
from ..catalog.vendor.select import MODES, STORAGE_PHASES, SourcedOverlay, select
from ..errors import SelectionError
from ..escape import plain_text


def add_catalog_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog", metavar="FILE", type=Path, help="use another catalog file instead of the packaged one"
    )


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """``--role``/``--mode``/``--version``/``--proxy``/``--storage``/``--overlay``/``--internal*``, or ``--stack``."""
    group = parser.add_argument_group("selection (or --stack)")
    group.add_argument("--role", action="append", default=[], choices=ROLES, help="a role; repeat for several")
    group.add_argument("--mode", choices=list(MODES), help="management mode: on-prem, hybrid or cloud")
    group.add_argument(
        "--version",
        "--product-version",
        dest="product_version",
        metavar="V",
        help='SEP/SES release, e.g. "14.3 RU1" (`sep-egress version` prints this tool\'s)',
    )
    group.add_argument("--proxy", action="store_true", help="agents and managers go through a proxy")
    group.add_argument("--storage", choices=STORAGE_PHASES, default="both", help="storage phase (default: both)")
    group.add_argument("--overlay", action="append", default=[], type=Path, metavar="FILE", help="overlay file")
    group.add_argument(
        "--internal",
        action="append",
        default=[],
        metavar="KIND=CIDR",
        help="address of an internal destination (sepm, gup, clients), e.g. sepm=10.20.0.10/32; repeatable. "
        "Allows SEP's own documented paths to it (docs/internal.md); without it nothing internal is allowed",
    )
    group.add_argument(
        "--internal-port",
        action="append",
        default=[],
        metavar="PATH=PORT[,PORT]",
        help="another port for an internal path whose port is configurable, e.g. sepm-agent-https=8443",
    )
    group.add_argument(
        "--internal-path",
        action="append",
        default=[],
        metavar="PATH",
        help="add an optional internal path, e.g. sepm-replication or sepm-agent-http; repeatable",
    )
    group.add_argument("--stack", metavar="NAME", help="take the selection from stacks/Pulumi.NAME.yaml")
    group.add_argument(
        "--project-dir", type=Path, default=Path("."), metavar="DIR", help="project holding stacks/ (default: .)"
    )
    add_catalog_argument(parser)


def plan_from_args(args: argparse.Namespace) -> EgressPlan:
    """Build the plan the flags (or the named stack) ask for; user mistakes raise ``SepEgressError``."""
    if args.stack:
        conflicting = [
            flag
            for flag, given in (
                ("--role", args.role),
                ("--mode", args.mode),
                ("--version", args.product_version),
                ("--proxy", args.proxy),
                ("--overlay", args.overlay),
                ("--storage", args.storage != "both"),
                ("--catalog", args.catalog),
                ("--internal", args.internal),
                ("--internal-port", args.internal_port),
                ("--internal-path", args.internal_path),
            )
            if given
        ]
        if conflicting:
            raise SelectionError(f"--stack takes the whole selection from the stack; drop {', '.join(conflicting)}")
        from ..settings import read_stack_file  # validating a stack file needs pydantic; plain flags do not

        return read_stack_file(args.project_dir, args.stack).plan()
    if not args.role and not args.mode:
        raise SelectionError("choose --role ROLE (repeatable) or --mode MODE, or --stack NAME")
    if not args.product_version:
        raise SelectionError('--version is required, e.g. --version "14.3 RU1"')
    # The overlay's name goes into headers and JSON: a file name that is not UTF-8 is named with \xNN escapes.
    overlays = [SourcedOverlay(plain_text(path), load_overlay(path)) for path in args.overlay]
    internal = None
    if args.internal or args.internal_port or args.internal_path:
        internal = destinations_from_flags(args.internal, args.internal_port, args.internal_path)
    return select(
        load_catalog(args.catalog),
        roles=args.role,
        mode=args.mode,
        version=args.product_version,
        proxy=args.proxy,
        storage=args.storage,
        overlays=overlays,
        internal=internal,
    )
