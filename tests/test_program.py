"""``__main__.py`` under Pulumi's mock engine, with each shipped stack's configuration."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.mock_engine import MockRun, run_program

from support import ROOT


def engine_config(stack: str, project_dir: Path = ROOT) -> dict[str, str]:
    """What the engine passes the program: every value a string, objects and lists JSON-encoded."""
    document = yaml.safe_load((project_dir / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))
    values = {}
    for key, value in document["config"].items():
        values[key] = value if isinstance(value, str) else json.dumps(value)
    return values


def run_main(config: dict[str, str], stack: str = "dev") -> Any:
    return run_program(lambda: runpy.run_path(str(ROOT / "__main__.py")), stack=stack, config=config)


def test_dev_stack_exports_the_plan() -> None:
    run = run_main(engine_config("dev"))
    hosts = {rule["host"] for rule in run.outputs["allow"]}
    assert "services-prod.symantec.com" in hosts
    assert run.outputs["catalogVersion"] == "2026.11.28"
    assert run.outputs["selection"]["roles"] == ["agent", "sepm"]
    assert run.outputs["tlsInspectionBypass"]


def test_a_bad_config_registers_nothing_and_says_which_key() -> None:
    config = engine_config("dev")
    config["sep-egress:version"] = "fourteen"
    record = MockRun()
    with pytest.raises(Exception, match=r"sep-egress:version: 'fourteen' is not a product version") as caught:
        run_program(lambda: runpy.run_path(str(ROOT / "__main__.py")), config=config, record=record)
    assert type(caught.value).__name__ == "RunError"
    assert record.resources == []
    assert record.outputs == {}
