"""AWS Network Firewall compiler: the service's limits, the compile options and their validation.

Limits, from the AWS Network Firewall quotas page (docs.aws.amazon.com/network-firewall/latest/developerguide/
quotas.html) unless said otherwise:

- stateful rule group capacity at most 30,000. A copy of the developer guide's capacity page
  (nwfw-rule-group-capacity.md) says 50,000 for stateful groups; the quotas page says 30,000; we keep the lower.
- a Suricata rules string at most 2,000,000 bytes (the quotas page and botocore's model, ``RulesString`` max
  2000000). Older SDK models (e.g. Paws' CreateRuleGroup, "max: 1000000") still carry 1,000,000: pass
  ``max_rules_bytes=1_000_000`` when deploying through tooling that old.
- a Suricata rule at most 8,192 characters, *each variable value counting* (so a source variable is counted
  expanded to its CIDRs).
- at most 20 stateful rule groups per policy, and 30,000 stateful capacity per policy in total, the guard group
  included: "The total stateful rule capacity defaults to 30,000 across all rule groups referenced by a policy, and
  any single rule group is capped at 30,000 capacity. Both are default quotas that you can request an increase
  for" (aws/aws-security-services-best-practices, docs/en/guides/network-firewall/customer-managed-rules; the
  quotas page and Firewall Manager's quotas list the same 30,000 per policy). Raised quotas: set
  ``max_policy_capacity``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, get_args

from ...catalog.roles import Role
from ...errors import SepEgressError

Style = Literal["suricata", "domain-list"]
STYLES: tuple[Style, ...] = get_args(Style)
BlockAction = Literal["reject", "drop"]
BLOCK_ACTIONS: tuple[BlockAction, ...] = get_args(BlockAction)
DefaultActions = Literal[
    "drop_established_app_layer", "drop_established_app_layer_to_server", "drop_established", "drop_strict", "none"
]
DEFAULT_ACTION_CHOICES: tuple[DefaultActions, ...] = get_args(DefaultActions)
#: botocore's model of ``StatefulEngineOptions.StreamExceptionPolicy`` (network-firewall service-2.json).
StreamExceptionPolicy = Literal["REJECT", "DROP", "CONTINUE"]
STREAM_EXCEPTION_POLICIES: tuple[StreamExceptionPolicy, ...] = get_args(StreamExceptionPolicy)
#: What the guard refuses from the declared sources (docs/aws.md, "Guard scope"): ``external``, destinations
#: outside the private ranges and HOME_NET; ``all``, every destination; ``all-except``, every destination but
#: ``guard_exempt_cidrs``.
GuardScope = Literal["external", "all", "all-except"]
GUARD_SCOPES: tuple[GuardScope, ...] = get_args(GuardScope)
#: ``observe``: every refusal becomes a logged pass (same sids and msg), the default actions their alert twins.
Enforcement = Literal["observe", "enforce"]
ENFORCEMENTS: tuple[Enforcement, ...] = get_args(Enforcement)
#: The ranges ``guard_scope: external`` leaves alone besides HOME_NET: RFC 1918, shared address space (RFC 6598,
#: carrier-grade NAT), IPv4 link-local (RFC 3927), IPv6 unique local (RFC 4193) and link-local (RFC 4291).
PRIVATE_RANGES = (
    "10.0.0.0/8",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "fc00::/7",
    "fe80::/10",
)

MAX_STATEFUL_GROUP_CAPACITY = 30_000
MAX_RULES_STRING_BYTES = 2_000_000
MAX_SURICATA_RULE_CHARS = 8_192
MAX_STATEFUL_GROUPS_PER_POLICY = 20
MAX_POLICY_STATEFUL_CAPACITY = 30_000
MAX_RULE_GROUP_NAME = 128
#: Growth margin kept on a group's rules string before one more group is used (see ``AwsFirewallOptions.fits``).
RULES_BYTES_MARGIN_PERCENT = 10
#: ``FlowTimeouts.TcpIdleTimeoutSeconds``: "between 60 and 6000 seconds. If no value is provided, it defaults to 350
#: seconds" (botocore's network-firewall model, documentation of the member; the shape itself carries no range).
TCP_IDLE_TIMEOUT_RANGE = (60, 6000)
#: AWS's default, and the NAT gateway's fixed idle timeout: a longer firewall timeout behind a NAT gateway only
#: moves where an idle connection breaks (aws-security-services-best-practices, firewall-policy-configuration).
DEFAULT_TCP_IDLE_TIMEOUT = 350

#: The policy's stateful default actions per choice: each drop action with its alert twin, as AWS asks ("Always
#: select both the drop and the alert variant together"; aws-security-services-best-practices,
#: firewall-policy-configuration). Valid values: botocore's documentation of ``FirewallPolicy.StatefulDefaultActions``.
DEFAULT_ACTION_SETS: dict[DefaultActions, tuple[str, ...]] = {
    "drop_established_app_layer": ("aws:drop_established_app_layer", "aws:alert_established_app_layer"),
    "drop_established_app_layer_to_server": (
        "aws:drop_established_app_layer_to_server",
        "aws:alert_established_app_layer_to_server",
    ),
    "drop_established": ("aws:drop_established", "aws:alert_established"),
    "drop_strict": ("aws:drop_strict", "aws:alert_strict"),
    "none": (),
}
#: AWS's default for new policies since June 2026, and its best-practices guide's recommendation: "Application drop
#: established (server-directed only)" replaced "Application drop established (bidirectional)", which "could
#: silently drop legitimate server-to-client TCP packets, such as window updates, keep-alives, and resets"
#: (aws.amazon.com/about-aws/whats-new/2026/06/aws-network-firewall-updates-default-drop-action).
DEFAULT_DEFAULT_ACTIONS: DefaultActions = "drop_established_app_layer_to_server"
#: What each choice becomes in observe mode: only the alert twin (nothing the defaults do can refuse).
OBSERVE_DEFAULT_ACTIONS: dict[DefaultActions, tuple[str, ...]] = {
    choice: tuple(action for action in actions if action.startswith("aws:alert_"))
    for choice, actions in DEFAULT_ACTION_SETS.items()
}
STATEFUL_DEFAULT_ACTIONS = DEFAULT_ACTION_SETS[DEFAULT_DEFAULT_ACTIONS]
STATELESS_DEFAULT_ACTIONS = ("aws:forward_to_sfe",)

#: Suricata sids are 32-bit; keeping them in [SID_BASE, SID_BASE + SID_SPAN) leaves room below for hand-written
#: rules and stays clear of the sign bit some tools still assume.
SID_BASE = 1_000_000
SID_SPAN = 1 << 30

#: One rule variable per role (names: ^[A-Za-z][A-Za-z0-9_]*$, at most 32 characters).
ROLE_VARIABLES: dict[Role, str] = {
    "agent": "SEP_AGENT_NET",
    "agent-cloud": "SEP_AGENT_CLOUD_NET",
    "sepm": "SEPM_NET",
    "sepm-cloud": "SEPM_CLOUD_NET",
    "console": "SEP_CONSOLE_NET",
}

_NAME_PREFIX = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")


def is_int(value: object) -> bool:
    """An integer that is not a bool (``True`` is an ``int`` in Python, never a capacity or a priority)."""
    return isinstance(value, int) and not isinstance(value, bool)


class AwsFirewallError(SepEgressError):
    """An input of the AWS Network Firewall compiler is invalid, or the plan cannot fit the service's limits.

    The message starts with the argument it is about (``source_cidrs['agent'][1]: ...``).
    """


@dataclass(frozen=True, slots=True)
class AwsFirewallOptions:
    """How to compile. Every field has a safe default; see docs/aws.md for what each protects and costs.

    ``headroom_percent`` and ``capacity_rounding`` decide each group's provisioned capacity: the rules it holds,
    plus the headroom, rounded up to the next step of a ladder that grows by a factor of about 1.41 (each step a
    multiple of the rounding: 100, 200, 300, 400, 600, 800, 1200, 1600, ...), never below ``min_capacity``.
    Capacity is fixed at creation, so this slack is what lets a group take new hosts as an in-place update
    instead of a replacement. When the ladder would reserve more than ``max_policy_capacity`` for all groups
    together (guard included), the allow groups share what the policy has left instead (see
    ``groups.reserve``). Set ``min_capacity`` to the deployed capacity to rule out a replacement until the
    group outgrows it.

    ``block_action``: ``reject`` (default; a TCP reset, so a refused client fails over at once, as AWS recommends
    for egress) or ``drop`` for what the guard refuses over TCP (TLS, HTTP, other ports); UDP, ICMP and other IP
    protocols are always dropped. ``guard_scope`` (``external``) and ``guard_exempt_cidrs``: the destinations the
    guard refuses. ``enforcement``: ``observe`` turns every refusal into an alert with the same sid and msg.
    ``pass_alert``: pass rules also alert, so the alert log names the catalog host each flow used (suricata style
    only). ``default_actions``, ``stream_exception_policy`` and ``tcp_idle_timeout`` go into the firewall policy
    the component creates.
    """

    style: Style = "suricata"
    headroom_percent: int = 25
    capacity_rounding: int = 100
    min_capacity: int = 100
    name_prefix: str = "sep-egress"
    allow_any_source: bool = False
    first_priority: int = 100
    priority_step: int = 100
    max_group_capacity: int = MAX_STATEFUL_GROUP_CAPACITY
    max_rules_bytes: int = MAX_RULES_STRING_BYTES
    max_policy_capacity: int = MAX_POLICY_STATEFUL_CAPACITY
    block_action: BlockAction = "reject"
    pass_alert: bool = False
    default_actions: DefaultActions = DEFAULT_DEFAULT_ACTIONS
    stream_exception_policy: StreamExceptionPolicy = "REJECT"
    tcp_idle_timeout: int = DEFAULT_TCP_IDLE_TIMEOUT
    guard_scope: GuardScope = "external"
    guard_exempt_cidrs: tuple[str, ...] = ()
    enforcement: Enforcement = "enforce"

    def default_action_set(self) -> tuple[str, ...]:
        """The policy's ``StatefulDefaultActions``: the chosen set, or only its alert twin in observe mode."""
        table = OBSERVE_DEFAULT_ACTIONS if self.enforcement == "observe" else DEFAULT_ACTION_SETS
        return table[self.default_actions]

    def validate(self) -> None:
        problems: list[str] = []
        if self.style not in STYLES:
            problems.append(f"style: {self.style!r} is not a style; choose {' or '.join(STYLES)}")
        if not is_int(self.headroom_percent) or not 0 <= self.headroom_percent <= 400:
            problems.append(f"headroom_percent: {self.headroom_percent!r} must be an integer from 0 to 400")
        if not is_int(self.capacity_rounding) or not 1 <= self.capacity_rounding <= 10_000:
            problems.append(f"capacity_rounding: {self.capacity_rounding!r} must be an integer from 1 to 10000")
        max_group_ok = is_int(self.max_group_capacity) and 1 <= self.max_group_capacity <= MAX_STATEFUL_GROUP_CAPACITY
        if not max_group_ok:
            problems.append(
                f"max_group_capacity: {self.max_group_capacity!r} must be an integer from 1 to "
                f"{MAX_STATEFUL_GROUP_CAPACITY}"
            )
        if not is_int(self.min_capacity) or not 1 <= self.min_capacity <= (
            self.max_group_capacity if max_group_ok else MAX_STATEFUL_GROUP_CAPACITY
        ):
            problems.append(f"min_capacity: {self.min_capacity!r} must be an integer from 1 to max_group_capacity")
        if not is_int(self.max_rules_bytes) or not 1_000 <= self.max_rules_bytes <= MAX_RULES_STRING_BYTES:
            problems.append(
                f"max_rules_bytes: {self.max_rules_bytes!r} must be an integer from 1000 to {MAX_RULES_STRING_BYTES}"
            )
        if not is_int(self.max_policy_capacity) or self.max_policy_capacity < 1:
            problems.append(f"max_policy_capacity: {self.max_policy_capacity!r} must be a positive integer")
        if not isinstance(self.name_prefix, str) or not _NAME_PREFIX.fullmatch(self.name_prefix):
            problems.append(
                f"name_prefix: {self.name_prefix!r} must be 1-64 letters, digits and inner hyphens "
                "(rule group names allow only [A-Za-z0-9-])"
            )
        for name, value in (("first_priority", self.first_priority), ("priority_step", self.priority_step)):
            if not is_int(value) or not 1 <= value <= 65535:
                problems.append(f"{name}: {value!r} must be an integer from 1 to 65535")
        for name, flag in (("allow_any_source", self.allow_any_source), ("pass_alert", self.pass_alert)):
            if not isinstance(flag, bool):
                problems.append(f"{name}: must be true or false, not {flag!r}")
        if self.block_action not in BLOCK_ACTIONS:
            problems.append(f"block_action: {self.block_action!r}; choose reject or drop")
        if self.pass_alert is True and self.style == "domain-list":
            problems.append(
                "pass_alert: only the suricata style can log its passes (a domain list's generated pass rules "
                "carry no alert); use style 'suricata' or leave pass_alert off"
            )
        if self.default_actions not in DEFAULT_ACTION_CHOICES:
            problems.append(
                f"default_actions: {self.default_actions!r}; choose one of {', '.join(DEFAULT_ACTION_CHOICES)}"
            )
        if self.stream_exception_policy not in STREAM_EXCEPTION_POLICIES:
            problems.append(
                f"stream_exception_policy: {self.stream_exception_policy!r}; choose one of "
                f"{', '.join(STREAM_EXCEPTION_POLICIES)}"
            )
        if self.guard_scope not in GUARD_SCOPES:
            problems.append(f"guard_scope: {self.guard_scope!r}; choose one of {', '.join(GUARD_SCOPES)}")
        elif self.guard_scope == "all-except" and not self.guard_exempt_cidrs:
            problems.append("guard_exempt_cidrs: guard_scope 'all-except' needs the CIDRs the guard leaves alone")
        elif self.guard_scope != "all-except" and self.guard_exempt_cidrs:
            problems.append(
                f"guard_exempt_cidrs: only used with guard_scope 'all-except' (guard_scope is {self.guard_scope!r})"
            )
        if self.enforcement not in ENFORCEMENTS:
            problems.append(f"enforcement: {self.enforcement!r}; choose observe or enforce")
        low, high = TCP_IDLE_TIMEOUT_RANGE
        if not is_int(self.tcp_idle_timeout) or not low <= self.tcp_idle_timeout <= high:
            problems.append(f"tcp_idle_timeout: {self.tcp_idle_timeout!r} must be an integer from {low} to {high}")
        if problems:
            raise AwsFirewallError("; ".join(problems))

    def provisioned_capacity(self, used: int) -> int:
        """The capacity to create a group with when it holds ``used`` capacity now (the ladder, before the policy
        budget is applied)."""
        wanted = max(1, math.ceil(used * (100 + self.headroom_percent) / 100))
        step = 0
        while True:
            rung = math.ceil(2 ** (step / 2)) * self.capacity_rounding
            if rung >= wanted or rung >= self.max_group_capacity:
                break
            step += 1
        return min(self.max_group_capacity, max(self.min_capacity, rung))

    def fits(self, used: int, rules_bytes: int) -> bool:
        """Whether a group of this size keeps its headroom within one group's limits.

        Capacity keeps the full headroom (it is fixed at creation). The rules string can grow in place up to its
        limit, so it keeps only a smaller margin (``RULES_BYTES_MARGIN_PERCENT``, at most the headroom) before the
        rules are spread over one more group: large plans then use the fewest groups the byte limit allows.
        """
        factor = (100 + self.headroom_percent) / 100
        byte_factor = (100 + min(self.headroom_percent, RULES_BYTES_MARGIN_PERCENT)) / 100
        return math.ceil(used * factor) <= self.max_group_capacity and math.ceil(rules_bytes * byte_factor) <= (
            self.max_rules_bytes
        )
