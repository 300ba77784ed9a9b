"""``sep-egress rule-groups``: one ``CreateRuleGroup`` request per stateful rule group of a stack, with ``DryRun``
set, for AWS's own validator before a real preview::

    sep-egress rule-groups --stack prod --output-dir build/rule-groups
    for f in build/rule-groups/*.json; do
      aws network-firewall create-rule-group --cli-input-json "file://$f"   # DryRun: validates, creates nothing
    done

Each file ``DIR/<RuleGroupName>.json`` is the complete request as the AWS CLI's ``--cli-input-json`` takes it
(botocore's ``network-firewall`` CreateRuleGroup input shape): the physical name, type, capacity, rules, description
and tags that ``pulumi up`` of the stack would give the group, and ``"DryRun": true`` ("Indicates whether you want
Network Firewall to just check the validity of the request, rather than run the request", CreateRuleGroup in the
Network Firewall API reference). The stack is validated completely first; nothing is written when it is invalid.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..escape import plain_text
from .output import OutputError, folder_problem, to_json, write_output


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", required=True, metavar="NAME", help="the stack whose AWS rule groups to write")
    parser.add_argument(
        "--output-dir",
        required=True,
        type=Path,
        metavar="DIR",
        help="write DIR/<RuleGroupName>.json, one CreateRuleGroup request (DryRun) per stateful rule group",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=Path("."), metavar="DIR", help="project holding stacks/ (default: .)"
    )


def rule_group_requests(project_dir: Path, stack: str) -> dict[str, dict[str, Any]]:
    """``{file name: CreateRuleGroup request}`` for every stateful rule group of ``stack``, with the physical names
    ``pulumi up`` would use (``name_prefix``, or the per-stack default from the project's name and the stack)."""
    from ..settings import NAMESPACE, read_project, read_stack_file

    config = read_stack_file(project_dir, stack)
    if config.settings.aws is None:
        raise ConfigError(config.source, [(f"{NAMESPACE}:aws", "the stack has no AWS block: no rule group to write")])
    from ..aws import compile_args, default_name_prefix  # imports pulumi and pulumi_aws
    from ..program import prepare_deployment

    deployment = prepare_deployment(config)
    args = deployment.aws
    assert args is not None  # prepare_deployment sets it for an AWS block, or raises
    # Outside the engine pulumi.get_project()/get_stack() are placeholders: name the groups as `pulumi up` would.
    prefix = args.name_prefix or default_name_prefix(read_project(project_dir.resolve()).name, stack)
    spec = compile_args(args.model_copy(update={"name_prefix": prefix}))
    if not isinstance(args.tags, dict) or not all(isinstance(value, str) for value in args.tags.values()):
        raise ConfigError(config.source, [(f"{NAMESPACE}:aws.tags", "plain text values are needed to write tags")])
    # The tags the component gives every group (with_managed_by): the caller's win over managed-by.
    tags = {"managed-by": "sep-egress", **{key: str(value) for key, value in args.tags.items()}}
    requests = {}
    for group in spec.groups:
        request = group.create_request(tags)
        request["DryRun"] = True
        requests[f"{group.name}.json"] = request
    return requests


def _check_directory(directory: Path, names: set[str]) -> None:
    """The directory may be new, or hold only files this command writes for the stack (a rerun): a leftover request
    of another stack or of a group that is gone would be validated as if it were this stack's."""
    shown = f"--output-dir {plain_text(directory)}"
    # A previous request is replaced; anything else by that name (a directory, a FIFO, a link leading out of the
    # directory) would stop the run after some files are written, block it, or write elsewhere.
    problem = folder_problem(directory, names, follow_links=False)
    if problem is not None:
        raise OutputError(f"{shown}: {problem}")
    if not directory.exists():
        return
    try:
        others = sorted(entry for entry in os.listdir(directory) if entry not in names)
    except OSError as exc:
        raise OutputError(f"{shown}: {exc.strerror}") from None
    if others:
        raise OutputError(
            f"{shown}: holds {plain_text(others[0])}, which is not a rule group of this stack; use an empty or new "
            "directory (every file there is validated as this stack's)"
        )


def run(args: argparse.Namespace) -> int:
    requests = rule_group_requests(args.project_dir, args.stack)
    directory: Path = args.output_dir
    _check_directory(directory, set(requests))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"--output-dir {plain_text(directory)}: {exc.strerror}") from None
    for file_name, request in sorted(requests.items()):
        write_output(directory / file_name, to_json(request), option="--output-dir")
    sys.stdout.write("".join(f"{plain_text(directory / file_name)}\n" for file_name in sorted(requests)))
    return 0
