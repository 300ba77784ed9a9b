"""``sep-egress preview``: what ``pulumi preview`` of a stack would create, offline, and the diff to a git revision."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack", required=True, metavar="NAME", help="the stack whose Pulumi.NAME.yaml (in stackConfigDir) to use"
    )
    parser.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    parser.add_argument("--base", metavar="GIT_REF", help="also preview this git revision and show the difference")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the Pulumi project: its Pulumi.yaml gives the stack config folder and namespace (default: .)",
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    # Imported here: the other subcommands must not pay for pulumi and the cloud SDKs.
    from ..preview import diff_previews, preview_at_revision, render_json, render_markdown, render_text, run_preview

    head = run_preview(args.project_dir, args.stack)
    from .stack import project_collisions

    for message in project_collisions(args.project_dir, args.stack):  # another stack's names in the same place
        sys.stderr.write(f"sep-egress preview: warning: {message}\n")
    diff = diff_previews(preview_at_revision(args.project_dir, args.stack, args.base), head) if args.base else None
    render = {"json": render_json, "markdown": render_markdown, "text": render_text}[args.format]
    text = render(head, diff)
    if args.output:
        from .output import write_output

        write_output(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
