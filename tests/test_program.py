"""``__main__.py`` under Pulumi's mock engine, with each shipped stack's configuration."""

from __future__ import annotations

import runpy
from typing import Any

import pytest

from sep_egress.mock_engine import MockRun, run_program
from sep_egress.preview import engine_config

from support import ROOT

pytestmark = pytest.mark.pulumi


def run_main(config: dict[str, str], stack: str = "dev") -> Any:
    return run_program(lambda: runpy.run_path(str(ROOT / "__main__.py")), stack=stack, config=config)


@pytest.mark.real_program
def test_dev_stack_exports_the_plan() -> None:
    run = run_main(engine_config(ROOT, "dev"))
    hosts = {rule["host"] for rule in run.outputs["allow"]}
    assert "services-prod.symantec.com" in hosts
    assert run.outputs["catalogVersion"] == "2026.11.28"
    assert run.outputs["selection"]["roles"] == ["agent", "sepm"]
    assert run.outputs["tlsInspectionBypass"]


@pytest.mark.real_program
def test_a_bad_config_registers_nothing_and_says_which_key() -> None:
    config = engine_config(ROOT, "dev")
    config["sep-egress:version"] = "fourteen"
    record = MockRun()
    with pytest.raises(Exception, match=r"sep-egress:version: 'fourteen' is not a product version") as caught:
        run_program(lambda: runpy.run_path(str(ROOT / "__main__.py")), config=config, record=record)
    assert type(caught.value).__name__ == "RunError"
    assert record.resources == []
    assert record.outputs == {}


@pytest.mark.real_program
def test_plan_stack_shows_the_controls_warnings() -> None:
    """`sep-egress plan --stack` warns as the preview does: GCP's enforcement order, shared NAT addresses."""
    import json

    from support import run_cli

    result = run_cli("plan", "--stack", "gcp-cloud", "--format", "json")
    assert result.returncode == 0, result.stderr
    codes = {item["code"] for item in json.loads(result.stdout)["control_warnings"]}
    assert {"gcp-enforcement-order", "gcp-nat-shared-addresses"} <= codes
    assert "[gcp-enforcement-order]" in run_cli("plan", "--stack", "gcp-cloud").stdout


def test_numbers_written_by_config_set_path_are_text_where_the_components_expect_text() -> None:
    """`pulumi config set --path 'sep-egress:aws.distribution.principals[0]' 123456789012` stores an integer; the
    engine passes it as a number inside the JSON. Account ids, tag values and policy ids are text to the components."""
    import json

    from sep_egress.program import prepare_deployment
    from sep_egress.settings import parse_stack_config

    aws = {
        "source_cidrs": {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]},
        "distribution": {"method": "ram", "principals": [123456789012]},
        "tags": {"cost-center": 1234},
        "headroom_percent": 25,
    }
    config = {"sep-egress:mode": "on-prem", "sep-egress:version": "14.3 RU1", "sep-egress:aws": json.dumps(aws)}
    deployment = prepare_deployment(parse_stack_config(config, "engine", ROOT))
    assert deployment.aws is not None
    assert deployment.aws.distribution is not None and deployment.aws.distribution.principals == ["123456789012"]
    assert deployment.aws.tags == {"cost-center": "1234"} and deployment.aws.headroom_percent == 25
    wrong = {**aws, "headroom_percent": "many"}
    with pytest.raises(Exception, match="headroom_percent"):
        prepare_deployment(parse_stack_config({**config, "sep-egress:aws": json.dumps(wrong)}, "engine", ROOT))
