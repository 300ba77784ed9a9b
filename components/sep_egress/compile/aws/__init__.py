"""AWS Network Firewall: from an ``EgressPlan`` to stateful rule groups and a firewall policy.

The steps, in the order the data flows through them:

1. ``options``: the service's limits, the compile options and their validation.
2. ``rules``: the Suricata rule text (pass rules, the guard, sids, rule lengths).
3. ``groups``: the rules spread over rule groups in either style, each group's capacity and name, the policy's
   capacity budget.
4. ``policy``: ``compile_network_firewall``, which validates the inputs and puts the groups together.

``spec`` holds the output shapes (the request bodies) the steps build, so it comes right after ``options`` in the
order of imports (options <- spec <- rules <- groups <- policy: each file imports only files to its left);
``evaluate`` is a model of the stateful engine, for the tests, that reads a spec.

The output is shaped like the AWS API request bodies (``CreateRuleGroup``'s ``RuleGroup``, ``CreateFirewallPolicy``'s
``FirewallPolicy``) so it can be checked against the service model and mapped one to one onto Pulumi resources.
Everything here is pure and deterministic: the same plan, sources and options give byte-identical rules.

Two styles:

- ``suricata`` (default): one ``pass`` rule per plan rule, pinned to its port, its protocol (``tls.sni`` or
  ``http.host``) and the source variables of the roles that need it; a *guard* group, last, passes the TCP
  handshake in both directions on the ports a role needs, waits (within a bound: one TLS record from the client,
  no data from the server) for a complete ClientHello or HTTP request before refusing a name, and refuses
  (``reject`` by default; ``alert`` in observe mode) the rest from those sources to the destinations
  ``guard_scope`` covers.
- ``domain-list``: Network Firewall's own ``RulesSourceList`` allowlists (``TLS_SNI``; ``HTTP_HOST`` only where the
  plan has clear-text HTTP). Under strict order they only pass; the same guard does the refusing. Simpler to
  review, but it keeps neither ports (beyond the plan's set) nor per-role sources.

This package re-exports what callers import from ``sep_egress.compile.aws``.
"""

from __future__ import annotations

from .groups import check_policy_limits as check_policy_limits  # "X as X": the steps 0.2's module imported
from .groups import domain_list_groups as domain_list_groups
from .groups import reserve as reserve
from .groups import suricata_groups as suricata_groups
from .options import (
    BLOCK_ACTIONS,
    DEFAULT_ACTION_CHOICES,
    DEFAULT_ACTION_SETS,
    MAX_POLICY_STATEFUL_CAPACITY,
    MAX_RULE_GROUP_NAME,
    MAX_RULES_STRING_BYTES,
    MAX_STATEFUL_GROUP_CAPACITY,
    MAX_STATEFUL_GROUPS_PER_POLICY,
    MAX_SURICATA_RULE_CHARS,
    ROLE_VARIABLES,
    SID_BASE,
    SID_SPAN,
    STATEFUL_DEFAULT_ACTIONS,
    STATELESS_DEFAULT_ACTIONS,
    STREAM_EXCEPTION_POLICIES,
    STYLES,
    AwsFirewallError,
    AwsFirewallOptions,
    BlockAction,
    DefaultActions,
    Enforcement,
    GuardScope,
    StreamExceptionPolicy,
    Style,
)
from .policy import compile_network_firewall
from .rules import host_label as host_label
from .spec import AwsEgressSpec, RuleGroupSpec, SuricataRule

__all__ = [
    "BLOCK_ACTIONS",
    "DEFAULT_ACTION_CHOICES",
    "DEFAULT_ACTION_SETS",
    "MAX_POLICY_STATEFUL_CAPACITY",
    "MAX_RULES_STRING_BYTES",
    "MAX_RULE_GROUP_NAME",
    "MAX_STATEFUL_GROUPS_PER_POLICY",
    "MAX_STATEFUL_GROUP_CAPACITY",
    "MAX_SURICATA_RULE_CHARS",
    "ROLE_VARIABLES",
    "SID_BASE",
    "SID_SPAN",
    "STATEFUL_DEFAULT_ACTIONS",
    "STATELESS_DEFAULT_ACTIONS",
    "STREAM_EXCEPTION_POLICIES",
    "STYLES",
    "AwsEgressSpec",
    "AwsFirewallError",
    "AwsFirewallOptions",
    "BlockAction",
    "DefaultActions",
    "Enforcement",
    "GuardScope",
    "RuleGroupSpec",
    "StreamExceptionPolicy",
    "Style",
    "SuricataRule",
    "compile_network_firewall",
]
