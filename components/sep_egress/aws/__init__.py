"""Pulumi component for AWS Network Firewall: the compiled allowlist as rule groups, a policy, and optionally the
firewall, its logs and an organization-wide distribution.

No host or port logic lives here: ``sep_egress.compile.aws`` decides every rule, capacity, name and priority;
this package maps those specs one to one onto ``pulumi_aws`` resources. Use it from any Python Pulumi program::

    from sep_egress.arguments import SelectionArgs
    from sep_egress.aws import FirewallSettings, NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs

    allowlist = NetworkFirewallAllowlist(
        "sep",
        NetworkFirewallAllowlistArgs(
            selection=SelectionArgs(mode="hybrid", version="14.3 RU1"),
            source_cidrs={"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]},
            firewall=FirewallSettings(vpc_id=vpc.id, subnet_ids=[subnet.id for subnet in firewall_subnets]),
        ),
    )
    pulumi.export("rule_group_arns", allowlist.rule_group_arns)

See docs/aws.md for every option, its default, and what it protects or costs.

The files, in the order the data flows through them: ``args.py`` (the argument models) -> ``prepare.py`` (every
check, then the compiler: ``compile_args``; physical names from ``names.py``) -> ``resources.py`` (the specs as
``pulumi_aws`` inputs) -> ``network_firewall_allowlist.py`` (the component, which registers the resources).
"""

from __future__ import annotations

from .args import (
    DEFAULT_RETENTION_DAYS,
    RETENTION_DAYS,
    AwsArgs,
    DistributionMethod,
    DistributionSettings,
    FirewallSettings,
    FmsDefaultActions,
    LogDestinationType,
    LoggingSettings,
    NetworkFirewallAllowlistArgs,
)
from .names import LEGACY_NAME_PREFIX, VENDED_LOGS_PREFIX, default_log_group, default_name_prefix, name_prefix
from .network_firewall_allowlist import OUTPUTS, TYPE_TOKEN, NetworkFirewallAllowlist
from .prepare import (
    GUARD_KEY,
    SHARED_MIN_CAPACITY,
    compile_args,
    distributed_groups,
    log_targets,
    shareable,
    shared_groups,
)
from .resources import firewall_endpoint_ids, firewall_policy_inputs, log_destinations, rule_group_inputs

__all__ = [
    "DEFAULT_RETENTION_DAYS",
    "GUARD_KEY",
    "LEGACY_NAME_PREFIX",
    "OUTPUTS",
    "RETENTION_DAYS",
    "SHARED_MIN_CAPACITY",
    "TYPE_TOKEN",
    "VENDED_LOGS_PREFIX",
    "AwsArgs",
    "DistributionMethod",
    "DistributionSettings",
    "FirewallSettings",
    "FmsDefaultActions",
    "LogDestinationType",
    "LoggingSettings",
    "NetworkFirewallAllowlist",
    "NetworkFirewallAllowlistArgs",
    "compile_args",
    "default_log_group",
    "default_name_prefix",
    "distributed_groups",
    "firewall_endpoint_ids",
    "firewall_policy_inputs",
    "log_destinations",
    "log_targets",
    "name_prefix",
    "rule_group_inputs",
    "shareable",
    "shared_groups",
]
