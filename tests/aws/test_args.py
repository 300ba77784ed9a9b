"""NetworkFirewallAllowlistArgs and compile_args: what the component's arguments accept, checked before any resource is
registered."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sep_egress.aws import DistributionSettings, FirewallSettings, NetworkFirewallAllowlistArgs, compile_args
from sep_egress.catalog import EgressPlan
from sep_egress.compile.aws import AwsFirewallError

from support import SUFFIXES

pytestmark = pytest.mark.pulumi


def aws_args(plan: EgressPlan, **extra: Any) -> NetworkFirewallAllowlistArgs:
    sources = {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]}
    return NetworkFirewallAllowlistArgs(
        plan=plan, source_cidrs={role: sources[role] for role in plan.roles}, name_prefix="sep-egress", **extra
    )


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_aws_ids_are_matched_whole(on_prem_plan: EgressPlan, suffix: str) -> None:
    cases = [
        (
            "firewall.vpc_id",
            {"firewall": FirewallSettings(vpc_id="vpc-0a1b2c3d" + suffix, subnet_ids=["subnet-0a1b2c3d"])},
        ),
        (
            "firewall.subnet_ids[0]",
            {"firewall": FirewallSettings(vpc_id="vpc-0a1b2c3d", subnet_ids=["subnet-0a1b2c3d" + suffix])},
        ),
        (
            "distribution.include_accounts[0]",
            {
                "distribution": DistributionSettings(
                    method="firewall-manager",
                    include_accounts=["123456789012" + suffix],
                    default_actions="drop_established",
                ),
                "create_policy": True,
            },
        ),
        (
            "distribution.principals[0]",
            {"distribution": DistributionSettings(method="ram", principals=["123456789012" + suffix])},
        ),
    ]
    for argument, extra in cases:
        with pytest.raises(AwsFirewallError, match=rf"^{re.escape(argument)}"):
            compile_args(aws_args(on_prem_plan, **extra))


def test_enforcement_is_a_top_level_field_that_only_changes_actions(on_prem_plan: EgressPlan) -> None:
    """The stack setting sep-egress:enforcement is injected into a component whose args have this field."""
    assert "enforcement" in NetworkFirewallAllowlistArgs.model_fields
    enforce = compile_args(aws_args(on_prem_plan))
    observe = compile_args(aws_args(on_prem_plan, enforcement="observe"))
    assert [(g.name, g.capacity) for g in enforce.groups] == [(g.name, g.capacity) for g in observe.groups]
    assert observe.default_actions == ("aws:alert_established_app_layer_to_server",)
    with pytest.raises(AwsFirewallError, match="enforcement"):
        compile_args(aws_args(on_prem_plan, enforcement="audit"))


def test_guard_scope_reaches_the_compiler(on_prem_plan: EgressPlan) -> None:
    spec = compile_args(aws_args(on_prem_plan, guard_scope="all-except", guard_exempt_cidrs=["10.40.0.0/16"]))
    assert spec.group("guard").rule_group["RuleVariables"]["IPSets"]["SEP_EGRESS_EXEMPT"] == {
        "Definition": ["10.40.0.0/16"]
    }
