"""The replay suite: the compiled rule groups loaded into Suricata 7 and crafted captures replayed under the
strict-order emulation (engines/strict_order.py); the project's evaluator run on the same scenarios must agree.

Every scenario names its verdict and deciding rule (engines/scenarios.py). The policy is the one the compiler
gives for a hybrid plan with the console role, an HTTP name added by an overlay, and SEP's internal manager at
10.20.0.10; agents have an IPv6 range too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import pytest

from engines.scenarios import SCENARIOS, Scenario
from engines.strict_order import Flow, Outcome, Policy, emulate, load, replay
from sep_egress.catalog import SourcedOverlay, load_catalog, parse_overlay, select
from sep_egress.catalog.vendor.plan import EgressPlan
from sep_egress.compile.aws import AwsEgressSpec, AwsFirewallOptions, compile_network_firewall
from sep_egress.compile.aws.evaluate import Connection, NetworkFirewallModel

pytestmark = pytest.mark.real_program

SOURCES = {"agent": ["10.10.0.0/16", "2001:db8:10::/64"], "sepm": ["10.20.0.10/32"], "console": ["10.30.0.0/24"]}
#: What each guard kind's msg says (the rule is found by its msg in the compiled text, never by a fixed sid).
KIND_MESSAGES = {
    "drop-tls": "TLS to a name or port it does not need",
    "drop-http": "HTTP to a host or port it does not need",
    "drop-tcp": "TCP to a port or protocol it does not need",
    "drop-server-data": "server data before a name it may reach",
    "drop-udp": "UDP it does not need",
    "drop-icmp": "ICMP it does not need",
}


@cache
def plan() -> EgressPlan:
    entry = {
        "id": "replay-http",
        "role": "agent",
        "usage": {"en": "replay suite: a clear-text HTTP name"},
        "urls": ["http://updates.http.sep-egress.example"],
    }
    overlay = SourcedOverlay("replay.yaml", parse_overlay({"entries": [entry]}, "replay.yaml"))
    return select(
        load_catalog(),
        mode="hybrid",
        roles=["console"],
        version="14.3 RU1",
        overlays=[overlay],
        internal={"sepm": ["10.20.0.10/32"]},
    )


@cache
def compiled(style: str = "suricata", enforcement: str = "enforce", scope: str = "external") -> AwsEgressSpec:
    options = AwsFirewallOptions(style=style, enforcement=enforcement, guard_scope=scope)  # type: ignore[arg-type]
    return compile_network_firewall(plan(), SOURCES, options)


def run(spec: AwsEgressSpec, policy: Policy | None = None) -> dict[str, Outcome]:
    policy = policy or Policy.from_spec(spec)
    flows = []
    for index, scenario in enumerate(SCENARIOS):
        flows.append((Flow(scenario.name, scenario.transport, [], app=scenario.app), scenario.build(41000 + index)))
    result, placed = replay(policy, flows)
    return {flow.name: emulate(policy, result, flow) for flow in placed}


@cache
def outcomes(style: str = "suricata", enforcement: str = "enforce") -> Mapping[str, Outcome]:
    return run(compiled(style, enforcement))


def sid_of(spec: AwsEgressSpec, role: str, kind: str) -> int:
    fragment = f'msg:"sep-egress {role}: {KIND_MESSAGES[kind]}"'
    for line in spec.group("guard").rules_string.splitlines():
        if fragment in line:
            return int(re.search(r"sid:(\d+);", line).group(1))  # type: ignore[union-attr]
    raise KeyError(fragment)


def check(spec: AwsEgressSpec, scenario: Scenario, outcome: Outcome) -> None:
    expect = scenario.expect
    where = f"{scenario.name}: {outcome}"
    assert outcome.action == expect.action, where
    if expect.rule == "allow":
        group = outcome.decided_by.split("#")[0]
        assert group.startswith(("allow-", "tls-domains", "http-domains")), where
    elif expect.rule == "range":
        assert outcome.sid is not None and "/32:443/tcp" in _line(spec, outcome.sid), where
    elif expect.rule == "default":
        assert outcome.sid is None and outcome.decided_by.startswith(("aws:", "no rule")), where
    else:
        role, kind = expect.rule.split(":")
        assert outcome.sid == sid_of(spec, role, kind), where


def _line(spec: AwsEgressSpec, sid: int) -> str:
    for group in spec.groups:
        for line in group.rules_string.splitlines():
            if f"sid:{sid};" in line:
                return line
    return ""


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_each_scenario_gets_its_verdict_from_its_rule(suricata: str, scenario: Scenario) -> None:
    check(compiled(), scenario, outcomes()[scenario.name])


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_domain_list_style_gives_the_same_verdicts(suricata: str, scenario: Scenario) -> None:
    outcome = outcomes("domain-list")[scenario.name]
    assert outcome.action == scenario.expect.action, f"{scenario.name}: {outcome}"


def test_observe_mode_passes_every_refusal_and_logs_the_rule_that_would_have_refused(suricata: str) -> None:
    enforce, observe = outcomes(), outcomes("suricata", "observe")
    refused = [scenario for scenario in SCENARIOS if not enforce[scenario.name].allowed]
    assert len(refused) >= 15
    for scenario in refused:
        before, after = enforce[scenario.name], observe[scenario.name]
        assert after.allowed, f"{scenario.name}: observe mode refused it: {after}"
        if before.sid is not None:
            assert before.sid in after.alerts, f"{scenario.name}: no alert names sid {before.sid}: {after}"
        else:
            assert after.default_alert, f"{scenario.name}: the default action's alert twin did not log: {after}"
    for scenario in SCENARIOS:
        if enforce[scenario.name].allowed:
            assert observe[scenario.name].allowed


def test_observe_and_enforce_differ_only_in_actions() -> None:
    enforce, observe = compiled(), compiled("suricata", "observe")
    assert [(g.key, g.name, g.capacity, g.priority) for g in enforce.groups] == [
        (g.key, g.name, g.capacity, g.priority) for g in observe.groups
    ]
    for before, after in zip(enforce.groups, observe.groups, strict=True):
        for old, new in zip(before.rules_string.splitlines(), after.rules_string.splitlines(), strict=True):
            old_action, _, old_rest = old.partition(" ")
            new_action, _, new_rest = new.partition(" ")
            assert old_rest == new_rest
            assert new_action in ("pass", "alert")
            if old_action != new_action:
                assert (old_action, new_action) in (("reject", "alert"), ("drop", "alert"))
    assert not any(action.startswith("aws:drop") for action in observe.default_actions)
    assert observe.default_actions == tuple(a for a in enforce.default_actions if a.startswith("aws:alert"))


def unbounded(rules_string: str) -> str:
    """The guard as it was before the pending state had a bound: any TLS or HTTP flow marked pending, its segments
    passed both ways on the role's ports, and pending flows skipped by the TCP refusal."""
    out = []
    for line in rules_string.splitlines():
        role = re.search(r'msg:"sep-egress ([a-z-]+):', line)
        sid = re.search(r"sid:(\d+);", line)
        if role is None or sid is None:
            out.append(line)
            continue
        source = re.search(r"^\S+ \S+ (\$\S+) any -> ", line)
        if "a ClientHello begins" in line or "an HTTP request begins" in line:
            protocol = "tls" if "ClientHello" in line else "http"
            out.append(
                f'alert {protocol} {source.group(1) if source else ""} any -> any any (msg:"old mark"; '
                f"flowbits:isnotset,sep_egress_blocked; flowbits:set,sep_egress_pending; noalert; flow:to_server; "
                f"sid:{sid.group(1)}; rev:1;)"
            )
        elif "segments before its ClientHello" in line:
            ports = re.search(r"-> any (\S+) \(", line)
            out.append(
                f"pass tcp {source.group(1) if source else ''} any <> any {ports.group(1) if ports else 'any'} "
                f'(msg:"old pending"; flowbits:isset,sep_egress_pending; flow:established; sid:{sid.group(1)}; rev:1;)'
            )
        elif "first client data seen" in line or "server data before" in line or "server acknowledgements" in line:
            continue
        elif "TCP to a port or protocol" in line:
            out.append(line.replace("flow:to_server;", "flowbits:isnotset,sep_egress_pending; flow:to_server;"))
        else:
            out.append(line)
    return "\n".join(out)


def test_restoring_the_unbounded_pending_rule_fails_the_tunnel_scenarios(suricata: str) -> None:
    spec = compiled()
    groups: list[tuple[str, int, Mapping[str, Any]]] = []
    for group in spec.groups:
        body = dict(group.rule_group)
        if group.key == "guard":
            body = {**body, "RulesSource": {"RulesString": unbounded(group.rules_string)}}
        groups.append((group.key, group.priority, body))
    mutated = run(spec, Policy.from_groups(groups, spec.home_net, spec.default_actions))
    tunnels = [
        "first record not a ClientHello, then application data",
        "ClientHello never completes, server answers",
        "ClientHello never completes, client keeps sending",
        "IPv6 tunnel",
    ]
    for name in tunnels:
        assert outcomes()[name].action == "reject"
        assert mutated[name].allowed, f"{name}: the unbounded rule did not open the tunnel: {mutated[name]}"


@pytest.mark.parametrize(
    "scenario",
    [scenario for scenario in SCENARIOS if scenario.connection is not None],
    ids=[scenario.name for scenario in SCENARIOS if scenario.connection is not None],
)
def test_the_evaluator_agrees_with_suricata(suricata: str, scenario: Scenario) -> None:
    spec = compiled()
    described: dict[str, Any] = {"source": "10.10.0.5", "port": 443, "destination": "198.51.100.10"}
    described.update({"application": scenario.app if scenario.app != "other" else "other"})
    described.update(scenario.connection or {})
    verdict = NetworkFirewallModel.from_spec(spec).judge(Connection(**described))
    outcome = outcomes()[scenario.name]
    assert verdict.action == outcome.action, f"{scenario.name}: evaluator {verdict}, Suricata {outcome}"
    if outcome.sid is not None:
        assert verdict.decided_by.endswith(f"#{outcome.sid}"), (
            f"{scenario.name}: evaluator {verdict}, Suricata {outcome}"
        )
    else:
        assert not re.search(r"#\d+$", verdict.decided_by), f"{scenario.name}: evaluator {verdict}, Suricata {outcome}"


def test_every_rule_of_the_replayed_policies_loads(suricata: str) -> None:
    for spec in (compiled(), compiled("domain-list"), compiled("suricata", "observe")):
        policy = Policy.from_spec(spec)
        text = "\n".join(rule.text for rule in policy.rules)
        result = load(text, policy.variables)
        assert result.failed == 0, result.output
        assert result.loaded == len(policy.rules)


def test_guard_scope_all_refuses_east_west_traffic_too(suricata: str) -> None:
    """With guard_scope all, the guard refuses what the default (external) leaves to the default actions."""
    spec = compiled("suricata", "enforce", "all")
    everything = run(spec)
    dns = everything["DNS to a domain controller"]
    assert (dns.action, dns.sid) == ("drop", sid_of(spec, "agent", "drop-udp")), dns
    smb = everything["internal, agent to a domain controller's SMB"]
    assert (smb.action, smb.sid) == ("reject", sid_of(spec, "agent", "drop-tcp")), smb
    assert outcomes()["DNS to a domain controller"].allowed  # external: the guard leaves it alone
    allowed = [scenario.name for scenario in SCENARIOS if outcomes()[scenario.name].allowed]
    assert all(everything[name].allowed for name in allowed if "domain controller" not in name)
