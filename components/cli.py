"""The ``sep-egress`` command line. User mistakes print one message to stderr and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from . import __version__
from .errors import SepEgressError

#: Subcommand modules, in the order ``--help`` lists them; each is imported only when the parser is built.
COMMANDS = (
    "components.commands.catalog",
    "components.commands.changes",
    "components.commands.plan",
    "components.commands.export",
    "components.commands.check",
    "components.commands.preview",
)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(
        prog="sep-egress",
        description="Symantec Endpoint Protection / Endpoint Security egress allowlists for AWS, GCP and proxies.",
    )
    parser.add_argument("--version", action="version", version=f"sep-egress {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, ModuleType] = {}
    for name in COMMANDS:
        module = importlib.import_module(name)
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.configure(sub)
        modules[module.NAME] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(modules[args.command].run(args))
    except SepEgressError as error:
        sys.stderr.write(f"sep-egress {args.command}: error: {error}\n")
        return error.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
