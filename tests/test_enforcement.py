"""``sep-egress:enforcement``: the stack key, and how the program hands it to the components that take it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from sep_egress.aws import NetworkFirewallAllowlistArgs
from sep_egress.errors import ConfigError
from sep_egress.gcp import EgressFirewallPolicyArgs
from sep_egress.program import _with_enforcement, prepare_deployment
from sep_egress.settings import parse_stack_config, read_stack_file

from support import ROOT


def settings(**extra: object) -> dict[str, object]:
    return {
        "sep-egress:mode": "on-prem",
        "sep-egress:version": "14.3 RU1",
        "sep-egress:aws": {"source_cidrs": {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]}},
        **extra,
    }


def test_enforce_is_the_default_and_observe_is_read_as_pulumi_stores_it() -> None:
    assert parse_stack_config(settings(), "s", ROOT).settings.enforcement == "enforce"
    config = parse_stack_config(settings(**{"sep-egress:enforcement": "observe"}), "s", ROOT)
    assert config.settings.enforcement == "observe"


def test_a_bad_value_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"sep-egress:enforcement: .*'observe' or 'enforce'"):
        parse_stack_config(settings(**{"sep-egress:enforcement": "audit"}), "s", ROOT)


class _Without(BaseModel):
    model_config = ConfigDict(extra="forbid")
    style: str = "suricata"


class _With(_Without):
    enforcement: Literal["observe", "enforce"] = "enforce"


def test_the_setting_goes_only_to_components_that_take_it(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.s.yaml").write_text(
        'config:\n  sep-egress:mode: on-prem\n  sep-egress:version: "14.3 RU1"\n  sep-egress:enforcement: observe\n'
        "  sep-egress:aws: {source_cidrs: {agent: [10.10.0.0/16]}}\n",
        encoding="utf-8",
    )
    config = read_stack_file(tmp_path, "s")
    assert _with_enforcement(_Without, {"style": "suricata"}, config) == {"style": "suricata"}
    assert _with_enforcement(_With, {"style": "suricata"}, config) == {"style": "suricata", "enforcement": "observe"}
    # A block's own value wins over the stack's.
    assert _with_enforcement(_With, {"enforcement": "enforce"}, config) == {"enforcement": "enforce"}


@pytest.mark.real_program
@pytest.mark.parametrize("stack", ["dev", "prod", "gcp-cloud"])
def test_observe_stacks_validate_whether_or_not_the_components_take_it(stack: str, tmp_path: Path) -> None:
    """Before and after the components gain their ``enforcement`` argument, an observe stack validates, and the
    components that take it get the stack's value."""
    (tmp_path / "stacks").mkdir()
    text = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    text = text.replace("config:\n", "config:\n  sep-egress:enforcement: observe\n", 1)
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    deployment = prepare_deployment(read_stack_file(tmp_path, stack))
    for args, model in (
        (deployment.aws, NetworkFirewallAllowlistArgs),
        (deployment.gcp.get("firewall"), EgressFirewallPolicyArgs),
    ):
        if args is not None and "enforcement" in model.model_fields:
            assert args.enforcement == "observe"  # type: ignore[union-attr]
