"""The AWS spec: the Network Firewall API requests a plan compiles to, validated against botocore's service model."""

from __future__ import annotations

import re
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from sep_egress.catalog import EgressPlan
from sep_egress.compile.aws import (
    AwsFirewallOptions,
    compile_network_firewall,
)

from support import arns, sources_for

pytestmark = pytest.mark.real_program


def model_problems(value: Any, shape: Any, where: str = "") -> list[str]:
    """What botocore's ParamValidator leaves out: enums, patterns and maximum lengths of the service model."""
    problems: list[str] = []
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                problems += model_problems(value[name], member, f"{where}.{name}")
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            problems += model_problems(item, shape.member, f"{where}[{index}]")
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{where}: more than {shape.metadata['max']} items")
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += model_problems(key, shape.key, f"{where}<key>")
            problems += model_problems(item, shape.value, f"{where}[{key}]")
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} not in {shape.enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.search(pattern, value):
            problems.append(f"{where}: {value!r} does not match {pattern}")
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{where}: longer than {shape.metadata['max']}")
    elif shape.type_name == "integer" and "max" in shape.metadata and value > shape.metadata["max"]:
        problems.append(f"{where}: above {shape.metadata['max']}")
    return problems


def assert_valid(request: dict[str, Any], shape: Any) -> None:
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    assert model_problems(request, shape) == []


@pytest.fixture(scope="module")
def network_firewall_model() -> Any:
    return botocore.session.get_session().get_service_model("network-firewall")


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_requests_validate_against_the_botocore_model(
    plan: EgressPlan, style: str, network_firewall_model: Any
) -> None:
    spec = compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(style=style))  # type: ignore[arg-type]
    rule_group_shape = network_firewall_model.operation_model("CreateRuleGroup").input_shape
    for group in spec.groups:
        assert_valid(group.create_request(tags={"team": "security"}), rule_group_shape)
    policy_shape = network_firewall_model.operation_model("CreateFirewallPolicy").input_shape
    assert_valid(spec.policy_request("sep-egress-policy", arns(spec)), policy_shape)


def test_botocore_validation_catches_a_broken_body(hybrid_plan: EgressPlan, network_firewall_model: Any) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    request = spec.groups[0].create_request()
    shape = network_firewall_model.operation_model("CreateRuleGroup").input_shape
    request["RuleGroup"]["StatefulRuleOptions"]["RuleOrder"] = "STRICTEST"
    request["RuleGroup"]["RuleVariables"]["IPSets"]["bad-name"] = {"Definition": ["10.0.0.0/8"]}
    problems = model_problems(request, shape)
    assert any("STRICTEST" in problem for problem in problems)
    assert any("bad-name" in problem for problem in problems)
    del request["Capacity"]
    assert ParamValidator().validate(request, shape).has_errors()


@pytest.mark.parametrize("default", ["drop_established_app_layer", "drop_established", "drop_strict", "none"])
@pytest.mark.parametrize("stream", ["REJECT", "DROP", "CONTINUE"])
def test_policy_options_validate_against_the_botocore_model(
    hybrid_plan: EgressPlan, default: str, stream: str, network_firewall_model: Any
) -> None:
    options = AwsFirewallOptions(default_actions=default, stream_exception_policy=stream, tcp_idle_timeout=6000)  # type: ignore[arg-type]
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan), options)
    shape = network_firewall_model.operation_model("CreateFirewallPolicy").input_shape
    request = spec.policy_request("p", arns(spec))
    assert_valid(request, shape)
    documented = shape.members["FirewallPolicy"].members["StatefulDefaultActions"].documentation
    assert all(action in documented for action in request["FirewallPolicy"]["StatefulDefaultActions"])
