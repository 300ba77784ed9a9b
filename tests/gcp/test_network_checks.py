"""The checks a network owner expects at ``pulumi up``: the program reads each network the default deny relies on
and stops (or warns, when the stack says so) when its enforcement order would let classic VPC rules decide first.

Under Pulumi's mock engine the read is answered by what the stack states under ``sep-egress-preview:networks``
(``FakeCloudMocks``); a network it does not describe is answered without the field ("not read": a warning).
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import GcpSpecError
from sep_egress.gcp import EgressFirewallPolicy
from sep_egress.mock_engine import MockRun, run_program, run_project
from sep_egress.preview import engine_config

from support import NETWORK, ROOT

pytestmark = pytest.mark.pulumi

TARGETS = {"clients": {"service_accounts": ["agent@p.iam.gserviceaccount.com"]}}


def stated(order: str | None) -> dict[str, str]:
    if order is None:
        return {}
    return {"sep-egress-preview:networks": json.dumps({NETWORK: {"networkFirewallPolicyEnforcementOrder": order}})}


def run(plan: EgressPlan, order: str | None, record: MockRun | None = None, **options: Any) -> MockRun:
    args = {"plan": plan, "targets": TARGETS, "options": {"networks": [NETWORK], **options}}

    def program() -> None:
        policy = EgressFirewallPolicy("sep", args)
        pulumi.export("checks", policy.network_checks)

    return run_program(program, config=stated(order), record=record)


def policy_resources(run: MockRun) -> list[str]:
    return [resource.type for resource in run.resources if resource.type.startswith("gcp:")]


def test_a_network_before_classic_rules_passes(cloud_plan: EgressPlan) -> None:
    done = run(cloud_plan, "BEFORE_CLASSIC_FIREWALL")
    assert done.outputs["checks"] == [
        {"network": NETWORK, "enforcement_order": "BEFORE_CLASSIC_FIREWALL", "holds": True, "read": True}
    ]
    assert any(kind.endswith("NetworkFirewallPolicyWithRules") for kind in policy_resources(done))
    assert any(kind.endswith("NetworkFirewallPolicyAssociation") for kind in policy_resources(done))


STOP_SCRIPT = """
import json, sys
sys.path.insert(0, {tests!r})
from sep_egress.catalog import load_catalog, select
from sep_egress.mock_engine import MockRun
from test_network_checks import run
record = MockRun()
try:
    run(select(load_catalog(), mode="cloud", version="14.3 RU1"), "AFTER_CLASSIC_FIREWALL", record=record)
    print(json.dumps({{"error": None}}))
except Exception as error:
    kinds = [resource.type for resource in record.resources if resource.type.startswith("gcp:")]
    print(json.dumps({{"error": type(error).__name__, "message": str(error), "registered": kinds}}))
"""


def test_a_network_after_classic_rules_stops_before_anything_is_created() -> None:
    """Run in its own interpreter, as ``pulumi up`` runs a program: a run stopped by an exception in an apply
    leaves registrations waiting on it, which the mock engine would carry into the next run of this process."""
    import os
    import subprocess
    import sys

    tests = str(ROOT / "tests")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "components"), tests, str(ROOT / "tests" / "gcp")])}
    done = subprocess.run(
        [sys.executable, "-c", STOP_SCRIPT.format(tests=tests)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["error"] == "RunError"  # Pulumi prints a RunError's message without a traceback
    assert "default deny would not hold on projects/p/global/networks/vpc (AFTER_CLASSIC_FIREWALL)" in result["message"]
    assert "network_checks: warn" in result["message"]
    assert result["registered"] == []  # no tag, policy, rule or association


def test_the_stack_may_choose_to_deploy_anyway(cloud_plan: EgressPlan) -> None:
    done = run(cloud_plan, "AFTER_CLASSIC_FIREWALL", network_checks="warn")
    assert done.outputs["checks"][0]["holds"] is False
    assert any(kind.endswith("NetworkFirewallPolicyWithRules") for kind in policy_resources(done))
    with pytest.raises(GcpSpecError, match=r"^options\.network_checks: "):
        EgressFirewallPolicy.prepare({"plan": cloud_plan, "targets": TARGETS, "options": {"network_checks": "x"}})


def test_an_unstated_network_is_reported_not_read_and_nothing_is_refused(cloud_plan: EgressPlan) -> None:
    done = run(cloud_plan, None)
    assert done.outputs["checks"] == [{"network": NETWORK, "enforcement_order": None, "holds": False, "read": False}]
    assert any(kind.endswith("NetworkFirewallPolicyWithRules") for kind in policy_resources(done))


def test_nothing_is_read_where_the_order_does_not_decide(cloud_plan: EgressPlan) -> None:
    """No default deny, or AFTER_CLASSIC_FIREWALL chosen (warned at compile time): nothing to stop for."""
    for options in ({"default_deny": False}, {"enforcement_order": "AFTER_CLASSIC_FIREWALL"}):
        done = run(cloud_plan, "AFTER_CLASSIC_FIREWALL", **options)
        assert done.outputs["checks"] == []


@pytest.mark.real_program
@pytest.mark.parametrize("stack", ["gcp-cloud", "prod"])
def test_the_shipped_stacks_state_their_networks_and_pass(stack: str) -> None:
    done = run_project(str(ROOT), stack, engine_config(ROOT, stack))
    (component,) = [
        outputs for urn, outputs in done.registered_outputs.items() if "$sep-egress:gcp:EgressFirewallPolicy" in urn
    ]
    assert component["network_checks"] and all(check["holds"] for check in component["network_checks"])
    codes = {warning["code"] for warning in done.outputs["warnings"]}
    assert "gcp-unchecked-association" in codes
