"""The ``sep-egress`` command line. User mistakes print one message to stderr and exit 2, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TextIO, cast

from . import __version__
from .commands.terminal import TEXT_FORMATS, FittingWriter, text_width
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
    "stack": (
        "sep_egress.commands.stack",
        "`stack new NAME [--from STACK]` writes a stack file with its own physical names; `stack check` finds "
        "stacks that would create the same names in one account, region or project",
    ),
    "feed": (
        "sep_egress.commands.feed",
        "`feed build DIR` writes the catalog as a static, versioned feed (JSON, CSV, changes, Atom) to publish",
    ),
    "schemas": (
        "sep_egress.commands.schemas",
        "write (`schemas write DIR`) or compare (`schemas check DIR`) the JSON Schemas of the stack and overlay "
        "files and of every JSON output",
    ),
    "completion": ("sep_egress.commands.completion", "print a bash or zsh completion script"),
    "version": ("sep_egress.commands.version", "print this tool's version and the catalog's"),
}

#: ``--help`` examples, one block per command (the epilog), written as a user types them.
EXAMPLES: dict[str, str] = {
    "": """examples:
  sep-egress plan --mode hybrid --version "14.3 RU1"
  sep-egress preview --stack dev
  sep-egress stack new staging --from prod
  sep-egress COMMAND --help""",
    "catalog": """examples:
  sep-egress catalog --format csv > catalog.csv
  sep-egress catalog internal --format json
  sep-egress catalog verify saved-article.html --propose proposal.yaml""",
    "changes": """examples:
  sep-egress changes
  sep-egress changes --since 2025.06.01 --format json""",
    "plan": """examples:
  sep-egress plan --mode on-prem --version "14.3 RU1"
  sep-egress plan --role agent --role sepm --version "14.3 RU10" --proxy --format json
  sep-egress plan --stack prod""",
    "export": """examples:
  sep-egress export squid --stack prod --output /etc/squid/conf.d/sep.conf
  sep-egress export hosts --role agent --version "14.3 RU1" --output hosts.txt
  sep-egress export pac --stack prod --output proxy.pac""",
    "check": """examples:
  sep-egress check --mode on-prem --version "14.3 RU1"
  sep-egress check --stack prod --via http://proxy.example:3128 --format json""",
    "preview": """examples:
  sep-egress preview --stack dev
  sep-egress preview --stack prod --base origin/main --format markdown""",
    "logs": """examples:
  sep-egress logs explain alerts.jsonl.gz --stack prod
  sep-egress logs explain access.log --stack prod --format markdown --propose-overlay seen.yaml
  sep-egress logs query --engine athena --stack prod > refused.sql""",
    "rule-groups": """examples:
  sep-egress rule-groups --stack prod --output-dir build/rule-groups
  aws network-firewall create-rule-group --cli-input-json file://build/rule-groups/NAME.json   # DryRun: validates""",
    "stack": """examples:
  sep-egress stack new staging --from prod
  sep-egress stack check""",
    "feed": """examples:
  sep-egress feed build site/
  sep-egress feed build site/ --base-url https://example.github.io/sep-egress/""",
    "schemas": """examples:
  sep-egress schemas write schemas/
  sep-egress schemas check schemas/""",
    "completion": """examples:
  sep-egress completion bash > ~/.local/share/bash-completion/completions/sep-egress
  sep-egress completion zsh > ~/.zfunc/_sep-egress   # a folder on $fpath, before compinit
  source <(sep-egress completion bash)               # this shell only""",
    "version": """examples:
  sep-egress version""",
}


def build_parser(command: str | None = None) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    """The parser; subcommand options are configured for ``command`` only (all of them when it is None)."""
    parser = argparse.ArgumentParser(
        prog="sep-egress",
        description="Symantec Endpoint Protection / Endpoint Security egress allowlists for AWS, GCP and proxies.",
        epilog=EXAMPLES[""],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"sep-egress {__version__}",
        help="print this tool's version and exit (alone: the SEP/SES release is a command's --version)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules: dict[str, ModuleType] = {}
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXAMPLES.get(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if command is None or command == name:
            module = importlib.import_module(module_name)
            module.configure(sub)
            keep_parent_options(sub)
            _child_examples(sub, name)
            modules[name] = module
    return parser, modules


def _child_examples(parser: argparse.ArgumentParser, name: str) -> None:
    """Each subcommand (``logs explain``, ``feed build``) shows the command's examples that run it."""
    for action in _subparser_actions(parser):
        for child_name, child in action.choices.items():
            prefix = f"  sep-egress {name} {child_name}"
            lines = [line for line in (EXAMPLES.get(name) or "").splitlines() if line.startswith(prefix)]
            if child.epilog is None and lines:
                child.epilog = "examples:\n" + "\n".join(lines)
                child.formatter_class = argparse.RawDescriptionHelpFormatter


def _subparser_actions(parser: argparse.ArgumentParser) -> list[argparse._SubParsersAction[argparse.ArgumentParser]]:
    return [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]


def keep_parent_options(parser: argparse.ArgumentParser) -> None:
    """An option that a command and its subcommand both declare (``catalog --format json internal``) keeps the
    value given before the subcommand: the subcommand's own default no longer overwrites it (argparse copies every
    attribute of the subcommand's namespace, defaults included, over the command's)."""
    declared = {action.dest for action in parser._actions if action.option_strings}
    for subparsers in _subparser_actions(parser):
        for child in subparsers.choices.values():
            for action in child._actions:
                if action.option_strings and action.dest in declared and action.dest != "help":
                    action.default = argparse.SUPPRESS
            keep_parent_options(child)


def _check_inherited_choices(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A value given before a subcommand must also be one the subcommand accepts (``catalog --format csv verify``
    is refused: verify writes no CSV)."""
    for subparsers in _subparser_actions(parser):
        chosen = getattr(args, subparsers.dest, None)
        child = subparsers.choices.get(chosen) if chosen is not None else None
        if child is None:
            continue
        for action in child._actions:
            value = getattr(args, action.dest, None)
            inherited = action.default is argparse.SUPPRESS and action.choices is not None and value is not None
            if inherited and value not in action.choices:  # type: ignore[operator]
                options = ", ".join(str(choice) for choice in action.choices)  # type: ignore[union-attr]
                child.error(f"argument {'/'.join(action.option_strings)}: invalid choice: {value!r} ({options})")
        _check_inherited_choices(child, args)


def _tool_version_misuse(arguments: Sequence[str], command: str | None) -> bool:
    """``--version`` before the command with anything else on the line: most likely the SEP/SES release meant for
    the command (``sep-egress --version "14.3 RU1" plan``), which must not print this tool's version and exit 0."""
    head = arguments[: arguments.index(command)] if command else arguments
    given = any(argument.startswith("--version=") for argument in head)  # "--version=14.3 RU1" has a value too
    return given or ("--version" in head and len(arguments) > 1)


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
    if _tool_version_misuse(arguments, command):
        sys.stderr.write(
            "sep-egress: error: --version before the command prints this tool's version and takes no value; the "
            'SEP/SES release is the command\'s option, after it: sep-egress plan --version "14.3 RU1" (also '
            "--product-version). This tool's version: sep-egress version\n"
        )
        return 2
    parser, modules = build_parser(command) if command else build_parser("")
    args = parser.parse_args(arguments)
    _check_inherited_choices(parser, args)
    width = text_width() if getattr(args, "format", None) in TEXT_FORMATS else None
    stdout = sys.stdout
    if width is not None:
        sys.stdout = cast(TextIO, FittingWriter(stdout, width))
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
    finally:
        if sys.stdout is not stdout:
            with contextlib.suppress(BrokenPipeError):
                sys.stdout.flush()
            sys.stdout = stdout


if __name__ == "__main__":
    raise SystemExit(main())
