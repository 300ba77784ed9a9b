"""Physical names: every one starts with ``name_prefix``, by default one per project and stack."""

from __future__ import annotations

import hashlib
import re

import pulumi

from .args import NetworkFirewallAllowlistArgs

#: The physical names' start before names became per stack (kept by setting ``name_prefix`` to it).
LEGACY_NAME_PREFIX = "sep-egress"
_NAME_PART = re.compile(r"[^A-Za-z0-9]+")


def default_name_prefix(project: str, stack: str) -> str:
    """``sep-egress-<project>-<stack>-<hash>`` (no second ``sep-egress`` when the project's name starts with it),
    in the characters every physical name allows, at most 64 characters. The readable part alone is not unique
    (``sep-egress``/``foo-dev`` and ``sep-egress-foo``/``dev`` both read ``sep-egress-foo-dev``; ``net_x`` and
    ``net.x`` both read ``net-x``), so 6 hex digits of a hash of the exact project and stack names end it: two
    stacks never share a name."""
    parts = [_NAME_PART.sub("-", part).strip("-").lower() for part in (project, stack)]
    parts = [part for part in parts if part]
    # A project already named after the product (this repository's own: sep-egress) is not repeated.
    head = [] if parts and parts[0].startswith(LEGACY_NAME_PREFIX) else [LEGACY_NAME_PREFIX]
    readable = "-".join([*head, *parts])
    digest = hashlib.sha256(f"{project}\0{stack}".encode()).hexdigest()[:6]
    return readable[: 64 - len(digest) - 1].rstrip("-") + "-" + digest


def name_prefix(args: NetworkFirewallAllowlistArgs) -> str:
    """The physical names' start: ``name_prefix``, or the per-stack default."""
    if args.name_prefix is not None:
        return args.name_prefix
    return default_name_prefix(pulumi.get_project(), pulumi.get_stack())


#: Log groups named under ``/aws/vendedlogs/`` are covered by one wildcard statement of the account's CloudWatch Logs
#: resource policy, which is limited to 5,120 characters: log deliveries to groups named elsewhere each add a
#: statement and fail once the policy is full ("CloudWatch Logs resource policies are limited to 5120 characters.
#: When CloudWatch Logs detects that a policy approaches this size limit, it automatically enables log groups that
#: start with /aws/vendedlogs/", https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html; CloudWatch
#: Logs user guide, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html).
VENDED_LOGS_PREFIX = "/aws/vendedlogs/"


def default_log_group(prefix: str, log_type: str) -> str:
    """``/aws/vendedlogs/<name_prefix>/alert`` (or ``/flow``): the log group the component creates by default."""
    return f"{VENDED_LOGS_PREFIX}{prefix}/{log_type.lower()}"
