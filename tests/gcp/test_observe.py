"""Observe mode on GCP: the default deny rules become logged allows at the same names and priorities; nothing else.

Switching observe -> enforce must change only the deny rules' ``action`` (updated in place: the API patches a rule
addressed by its priority, and ``action`` is not immutable), and an observe preview must contain no GCP deny that
could apply. Logging: every rule logs in both modes; Cloud NGFW cannot log a ``goto_next`` rule ("you cannot enable
logging on goto_next rules", Compute API ``FirewallPolicyRule.enableLogging``), hence a logged allow.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import FirewallOptions, compile_firewall_policy, parse_targets
from sep_egress.compile.gcp.evaluate import Machine, connect, evaluate
from sep_egress.gcp import EgressFirewallPolicy
from sep_egress.mock_engine import MockRun, run_program, run_project
from sep_egress.preview import engine_config

from support import NETWORK, ROOT

TARGETS = {
    "clients": {"service_accounts": ["agent@p.iam.gserviceaccount.com"]},
    "managers": {"service_accounts": ["sepm@p.iam.gserviceaccount.com"], "runs_agent": True},
    "admin-workstations": {"service_accounts": ["admin@p.iam.gserviceaccount.com"], "runs_agent": False},
}
POLICY_TYPES = ("PolicyWithRules", "PolicyRule")


def without_action(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "action"}


@pytest.mark.parametrize("existing", [None, "landing-zone"])
def test_observe_changes_only_the_deny_rules_action(hybrid_plan: EgressPlan, existing: str | None) -> None:
    targets = parse_targets(TARGETS)
    given: dict[str, Any] = {"existing_policy": existing} if existing else {"networks": (NETWORK,)}
    enforce = compile_firewall_policy(hybrid_plan, targets, FirewallOptions(**given))
    observe = compile_firewall_policy(hybrid_plan, targets, FirewallOptions(enforcement="observe", **given))
    assert [rule.priority for rule in observe.rules] == [rule.priority for rule in enforce.rules]
    assert [rule.rule_name for rule in observe.rules] == [rule.rule_name for rule in enforce.rules]
    denies = [rule for rule in enforce.rules if rule.action == "deny"]
    assert denies and {rule.kind for rule in denies} == {"deny"}
    for before, after in zip(enforce.rules, observe.rules, strict=True):
        assert without_action(after.to_api()) == without_action(before.to_api())
        assert after.action == "allow" and after.enable_logging
    assert "gcp-observe-mode" in {warning.code for warning in observe.warnings}
    assert "gcp-observe-mode" not in {warning.code for warning in enforce.warnings}
    # What enforcing refuses is, observed, allowed by the rule that would have refused it: its name is in the log.
    machine = Machine(service_account="agent@p.iam.gserviceaccount.com")
    outside = connect(observe, "not-in-the-plan.example.org", 443)
    refused = evaluate(enforce, machine, outside)
    observed = evaluate(observe, machine, outside)
    assert refused.verdict == "deny" and observed.verdict == "allow"
    assert refused.rule is not None and observed.rule is not None
    assert observed.rule.rule_name == refused.rule.rule_name and observed.rule.priority == refused.rule.priority


def registered_policy(run: MockRun) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (resource.type, resource.name, resource.inputs)
        for resource in run.resources
        if resource.type.endswith(POLICY_TYPES) or resource.type.endswith("Association")
    ]


def strip_actions(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: strip_actions(item) for key, item in value.items() if key != "action"}
    if isinstance(value, list | tuple):
        return [strip_actions(item) for item in value]
    return value


@pytest.mark.parametrize("existing", [None, "landing-zone"])
def test_switching_modes_replaces_nothing(hybrid_plan: EgressPlan, existing: str | None) -> None:
    """Same resources (types, names), same inputs but the rules' actions: Pulumi shows updates of actions only."""
    options: dict[str, Any] = {"existing_policy": existing} if existing else {"networks": [NETWORK]}
    runs = {
        mode: run_program(
            lambda mode=mode: EgressFirewallPolicy(
                "sep", {"plan": hybrid_plan, "targets": TARGETS, "options": options, "enforcement": mode}
            )
        )
        for mode in ("observe", "enforce")
    }
    observe, enforce = registered_policy(runs["observe"]), registered_policy(runs["enforce"])
    assert [(kind, name) for kind, name, _ in observe] == [(kind, name) for kind, name, _ in enforce]
    assert strip_actions(observe) == strip_actions(enforce)
    assert observe != enforce
    assert "'deny'" not in repr(observe) and "'deny'" in repr(enforce)


@pytest.mark.real_program
@pytest.mark.parametrize("stack", ["gcp-cloud", "prod"])
def test_an_observe_preview_has_no_gcp_deny(stack: str) -> None:
    """The shipped stacks with the firewall block in observe mode: no GCP rule denies anything, and every rule
    (the SEP allows and the observed default deny) logs."""
    config = dict(engine_config(ROOT, stack))
    block = json.loads(config["sep-egress:gcp"])
    block["firewall"]["enforcement"] = "observe"
    config["sep-egress:gcp"] = json.dumps(block)
    run = run_project(str(ROOT), stack, config)
    rules = [
        rule
        for resource in run.resources
        if resource.type.startswith("gcp:compute/") and resource.type.endswith(POLICY_TYPES)
        for rule in resource.inputs.get("rules", [resource.inputs])
    ]
    assert rules
    assert all(rule["action"] == "allow" and rule["enableLogging"] is True for rule in rules)
    assert any(rule["match"].get("destIpRanges") == ["0.0.0.0/0"] for rule in rules)
    codes = {warning["code"] for warning in run.outputs["warnings"]}
    assert "gcp-observe-mode" in codes
