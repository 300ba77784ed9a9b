"""The ``sep-egress`` command line. User mistakes print one message to stderr and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from . import __version__
from .errors import SepEgressError
from .escape import plain_text

#: Subcommands in ``--help`` order: name -> (module, one-line help). Only the module of the command being run is
#: imported, so ``plan`` does not pay for the TLS stack of ``check`` or the Pulumi engine of ``preview``.
#: Each module defines ``configure(parser)`` and ``run(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "catalog": (
        "sep_egress.commands.catalog",
        "list every endpoint of the vendor's list (table, json or csv); `catalog verify ARTICLE` checks it against "
        "a saved copy of the vendor's article",
    ),
    "changes": ("sep_egress.commands.changes", "show the catalog's change history"),
    "plan": ("sep_egress.commands.plan", "show the deduplicated allow rules and warnings for a selection"),
    "export": (
        "sep_egress.commands.export",
        "write the plan as a Squid configuration, a PAC file, a host list or CSV",
    ),
    "check": (
        "sep_egress.commands.check",
        "check DNS, TCP and TLS (with interception detection) to every plan host, directly or --via a proxy",
    ),
    "logs": ("sep_egress.commands.logs", "explain firewall and proxy logs in the catalog's terms (docs/rollout.md)"),
    "preview": (
        "sep_egress.commands.preview",
        "run the Pulumi program for a stack under the mock engine and show its resources (no cloud, no CLI)",
    ),
    "rule-groups": ("sep_egress.commands.rule_groups", "write the AWS rule groups as CreateRuleGroup DryRun requests"),
}


def build_parser(command: str | None = None) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The parser; subcommand options are configured for ``command`` only (all of them when it is None)."""
    parser = argparse.ArgumentParser(
        prog="sep-egress",
        description="Symantec Endpoint Protection / Endpoint Security egress allowlists for AWS, GCP and proxies.",
    )
    parser.add_argument("--version", action="version", version=f"sep-egress {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, ModuleType] = {}
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        if command is None or command == name:
            module = importlib.import_module(module_name)
            module.configure(sub)
            modules[name] = module
    return parser, modules


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (the first argument that is one), if any."""
    for argument in argv:
        if argument in COMMANDS:
            return argument
        if not argument.startswith("-"):
            return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(arguments)
    parser, modules = build_parser(command) if command else build_parser("")
    args = parser.parse_args(arguments)
    try:
        return int(modules[args.command].run(args))
    except SepEgressError as error:
        # Messages quote user input (file names that may not be UTF-8, text from YAML): one line per problem, with
        # any control character, separator or stray byte shown as an escape.
        lines = [plain_text(line) for line in str(error).split("\n")]
        sys.stderr.write(f"sep-egress {args.command}: error: " + "\n".join(lines) + "\n")
        return error.exit_code
    except MemoryError:
        # Input files are read within bounds (catalog/bounded_yaml.py); this is the last line of defence.
        sys.stderr.write(f"sep-egress {args.command}: error: out of memory (an input is too large)\n")
        return 2
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
