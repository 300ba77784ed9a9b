"""compile_network_firewall: the firewall policy around the rule groups (strict order, app-layer defaults, stream
exceptions, HOME_NET) and what it reports."""

from __future__ import annotations

from sep_egress.catalog import EgressPlan
from sep_egress.compile.aws import compile_network_firewall

from support import SOURCES, arns, sources_for


def test_policy_is_strict_with_app_layer_defaults_reject_on_stream_exceptions_and_home_net(
    hybrid_plan: EgressPlan,
) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    policy = spec.firewall_policy(arns(spec))
    assert policy["StatefulEngineOptions"] == {
        "RuleOrder": "STRICT_ORDER",
        "StreamExceptionPolicy": "REJECT",
        "FlowTimeouts": {"TcpIdleTimeoutSeconds": 350},
    }
    assert policy["StatefulDefaultActions"] == [
        "aws:drop_established_app_layer_to_server",
        "aws:alert_established_app_layer_to_server",
    ]
    home = policy["PolicyVariables"]["RuleVariables"]["HOME_NET"]["Definition"]
    assert sorted(home) == sorted({cidr for cidrs in SOURCES.values() for cidr in cidrs})
    priorities = [reference["Priority"] for reference in policy["StatefulRuleGroupReferences"]]
    assert priorities == sorted(priorities) and spec.groups[-1].key == "guard"
    data = spec.fms_managed_service_data(arns(spec), ["aws:drop_established", "aws:alert_established"])
    assert data["type"] == "NETWORK_FIREWALL"
    assert data["networkFirewallStatefulDefaultActions"] == ["aws:drop_established", "aws:alert_established"]
    assert data["networkFirewallStatefulEngineOptions"] == {
        "ruleOrder": "STRICT_ORDER",
        "streamExceptionPolicy": "REJECT",
    }
    assert [ref["resourceARN"] for ref in data["networkFirewallStatefulRuleGroupReferences"]] == list(
        arns(spec).values()
    )


def test_tls_inspection_bypass_hosts_are_reported(hybrid_plan: EgressPlan) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    assert spec.tls_inspection_bypass == hybrid_plan.tls_inspection_bypass
    assert "liveupdate.symantec.com" in spec.tls_inspection_bypass
