"""The AWS compiler's options: source CIDRs per role, capacity, names, policy settings; every value is checked before a
rule is written."""

from __future__ import annotations

from typing import Any

import pytest

from sep_egress.catalog import EgressPlan, select
from sep_egress.compile.aws import (
    AwsFirewallError,
    AwsFirewallOptions,
    compile_network_firewall,
)


@pytest.mark.parametrize("source", ["fe80::%eth0/64", "fe80::%x\npass ip any any -> any any (sid:1;)/64"])
def test_aws_source_cidrs_refuse_a_zone_id(source: str) -> None:
    from sep_egress.catalog import load_catalog
    from sep_egress.compile.aws import AwsFirewallError, compile_network_firewall

    plan = select(load_catalog(), mode="on-prem", version="14.3 RU1")
    with pytest.raises(AwsFirewallError, match="zone id"):
        compile_network_firewall(plan, {"agent": [source]})


@pytest.mark.parametrize(
    ("sources", "options", "message"),
    [
        ({"agent": ["0.0.0.0/0"]}, AwsFirewallOptions(), "source_cidrs['agent'][0]: '0.0.0.0/0' is every address"),
        ({"agent": ["10.0.0.1/8"]}, AwsFirewallOptions(), "source_cidrs['agent'][0]: '10.0.0.1/8' is not a valid CIDR"),
        ({"printer": ["10.0.0.0/8"]}, AwsFirewallOptions(), "source_cidrs['printer']: unknown role"),
        ({"console": ["10.0.0.0/8"]}, AwsFirewallOptions(), "source_cidrs['console']: the plan has no role console"),
        ({"agent": "10.0.0.0/8"}, AwsFirewallOptions(), "source_cidrs['agent']: a list of CIDRs"),
        ({}, AwsFirewallOptions(), "source_cidrs: no plan role has a source CIDR"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(name_prefix="sep egress"), "name_prefix:"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(style="allow-all"), "style: 'allow-all' is not a style"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(headroom_percent=-5), "headroom_percent:"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(headroom_percent=True), "headroom_percent: True must be"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(capacity_rounding=True), "capacity_rounding: True"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(min_capacity=True), "min_capacity: True"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(first_priority=True), "first_priority: True"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(max_group_capacity=True), "max_group_capacity:"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(max_policy_capacity=True), "max_policy_capacity:"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(allow_any_source=1), "allow_any_source: must be true or false"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(block_action="deny"), "block_action: 'deny'"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(pass_alert="yes"), "pass_alert: must be true or false"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(style="domain-list", pass_alert=True), "pass_alert: only"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(default_actions="drop"), "default_actions: 'drop'"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(stream_exception_policy="reject"), "stream_exception_policy"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(tcp_idle_timeout=59), "tcp_idle_timeout: 59 must be"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(tcp_idle_timeout=True), "tcp_idle_timeout: True must be"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(guard_scope="all-except"), "guard_exempt_cidrs: guard_scope"),
        (
            {"agent": ["10.0.0.0/8"]},
            AwsFirewallOptions(guard_exempt_cidrs=("10.40.0.0/16",)),
            "guard_exempt_cidrs: only used with guard_scope 'all-except'",
        ),
        (
            {"agent": ["10.0.0.0/8"]},
            AwsFirewallOptions(guard_scope="all-except", guard_exempt_cidrs=("10.40.0.0/33",)),
            "guard_exempt_cidrs[0]:",
        ),
        (
            {"agent": ["10.0.0.0/8"]},
            AwsFirewallOptions(guard_scope="all-except", guard_exempt_cidrs=("::/0",)),
            "guard_exempt_cidrs[0]: '::/0' is every address",
        ),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(guard_scope="internal"), "guard_scope: 'internal'"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(enforcement="audit"), "enforcement: 'audit'"),  # type: ignore[arg-type]
        (
            {"agent": [f"10.{i // 250}.{i % 250}.0/24" for i in range(600)]},
            AwsFirewallOptions(),
            "Summarise these CIDRs",
        ),
    ],
)
def test_invalid_inputs_are_refused_with_the_argument_named(
    on_prem_plan: EgressPlan, sources: Any, options: AwsFirewallOptions, message: str
) -> None:
    with pytest.raises(AwsFirewallError) as raised:
        compile_network_firewall(on_prem_plan, sources, options)
    assert message in str(raised.value)


def test_any_source_needs_an_explicit_opt_in(on_prem_plan: EgressPlan) -> None:
    spec = compile_network_firewall(on_prem_plan, {"agent": ["0.0.0.0/0"]}, AwsFirewallOptions(allow_any_source=True))
    assert spec.home_net == ("0.0.0.0/0",)


def test_guard_scope_decides_the_exempt_variable_and_each_source_set_gets_a_note(on_prem_plan: EgressPlan) -> None:
    sources = {"agent": ["10.10.0.0/16"]}
    external = compile_network_firewall(on_prem_plan, sources)
    guard = external.group("guard")
    assert "10.0.0.0/8" in guard.rule_group["RuleVariables"]["IPSets"]["SEP_EGRESS_EXEMPT"]["Definition"]
    assert "10.10.0.0/16" not in guard.rule_group["RuleVariables"]["IPSets"]["SEP_EGRESS_EXEMPT"]["Definition"]
    assert any(note.startswith("Guard scope external for agent (10.10.0.0/16)") for note in external.notes)
    everything = compile_network_firewall(on_prem_plan, sources, AwsFirewallOptions(guard_scope="all"))
    assert "SEP_EGRESS_EXEMPT" not in everything.group("guard").rules_string
    assert "SEP_EGRESS_EXEMPT" not in everything.group("guard").rule_group["RuleVariables"]["IPSets"]
    assert any("east-west included" in note for note in everything.notes)
    listed = AwsFirewallOptions(guard_scope="all-except", guard_exempt_cidrs=("10.40.0.0/16", "10.40.1.0/24"))
    except_spec = compile_network_firewall(on_prem_plan, sources, listed)
    exempt = except_spec.group("guard").rule_group["RuleVariables"]["IPSets"]["SEP_EGRESS_EXEMPT"]["Definition"]
    assert exempt == ["10.40.0.0/16"]  # what several ranges cover together, once
    # Only actions and the scope variable differ: sids and capacity stay.
    assert [g.capacity for g in external.groups] == [g.capacity for g in everything.groups]


def test_ipv4_only_roles_get_a_note_and_ipv6_sources_are_home(on_prem_plan: EgressPlan) -> None:
    v4 = compile_network_firewall(on_prem_plan, {"agent": ["10.10.0.0/16"]})
    assert any(note.startswith("IPv4 only: every source of agent") for note in v4.notes)
    dual = compile_network_firewall(on_prem_plan, {"agent": ["10.10.0.0/16", "2001:db8:10::/64"]})
    assert not any(note.startswith("IPv4 only") for note in dual.notes)
    assert dual.home_net == ("10.10.0.0/16", "2001:db8:10::/64")


def test_observe_mode_keeps_only_the_alert_default_action(on_prem_plan: EgressPlan) -> None:
    sources = {"agent": ["10.10.0.0/16"]}
    for choice in ("drop_established_app_layer_to_server", "drop_strict", "none"):
        enforce = compile_network_firewall(on_prem_plan, sources, AwsFirewallOptions(default_actions=choice))
        observe = compile_network_firewall(
            on_prem_plan, sources, AwsFirewallOptions(default_actions=choice, enforcement="observe")
        )
        assert observe.default_actions == tuple(a for a in enforce.default_actions if a.startswith("aws:alert_"))
        text = "\n".join(group.rules_string for group in observe.groups)
        assert not any(line.startswith(("drop ", "reject ")) for line in text.splitlines())
        assert any(note.startswith("enforcement 'observe'") for note in observe.notes)
