"""pulumi.Output values where the GCP compiler works on stand-ins: every place a network reaches a resource gets
the Output's value back, in every policy scope."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.gcp import EgressFirewallPolicy
from sep_egress.mock_engine import run_program

VPC = "projects/p/global/networks/from-another-stack"


@pytest.mark.parametrize(
    ("scope", "extra"),
    [("global", {}), ("regional", {"region": "europe-west1"}), ("organization", {"parent": "organizations/12"})],
)
def test_an_output_network_reaches_associations_and_rule_targets(
    cloud_plan: EgressPlan, scope: str, extra: dict[str, Any]
) -> None:
    def program() -> None:
        network = pulumi.Output.from_input(VPC)
        targets = {"clients": {"service_accounts": ["clients@p.iam.gserviceaccount.com"]}}  # a cloud plan: agents
        EgressFirewallPolicy(
            "egress",
            {"plan": cloud_plan, "targets": targets, "options": {"scope": scope, "networks": [network], **extra}},
        )

    run = run_program(program)
    registered = repr([resource.inputs for resource in run.resources])
    assert "pulumi-output" not in registered
    [policy] = [resource for resource in run.resources if "PolicyWithRules" in resource.type]
    if scope == "organization":
        assert all(rule["targetResources"] == [VPC] for rule in policy.inputs["rules"])
    else:
        [association] = [resource for resource in run.resources if "Association" in resource.type]
        assert association.inputs["attachmentTarget"] == VPC
