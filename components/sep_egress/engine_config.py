"""Reading the stack configuration from the running Pulumi engine (used by ``__main__.py`` only)."""

from __future__ import annotations

from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from .settings import StackConfig, parse_stack_config


def stack_config_from_engine(project_dir: Path) -> StackConfig:
    """Validate every ``sep-egress:*`` key the engine passes, so a typo in a key fails instead of being ignored."""
    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    stack = pulumi.get_stack()
    return parse_stack_config(
        values, source=f"stack {stack} (Pulumi.{stack}.yaml)", base_dir=project_dir, project=pulumi.get_project()
    )
