"""The stack configuration (namespace ``sep-egress``) as a validated model.

The same model reads a ``stacks/Pulumi.<stack>.yaml`` file (for the CLI, no Pulumi engine needed) and the
configuration the Pulumi engine hands to ``__main__.py``, so both see the same settings and the same errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, StrictBool, ValidationError, field_validator

from .catalog.internal import destinations_from_config
from .catalog.load import load_catalog, load_overlay, read_yaml, validation_problems
from .catalog.models import Role
from .catalog.plan import EgressPlan
from .catalog.schema import Strict, Version
from .catalog.select import Mode, SourcedOverlay, StoragePhase, select
from .errors import CatalogError, ConfigError, SelectionError

NAMESPACE = "sep-egress"


class StackSettings(Strict):
    """Everything a stack decides. Keys are the config keys without the ``sep-egress:`` prefix."""

    mode: Mode | None = Field(default=None, description="on-prem, hybrid or cloud; combines with roles.")
    roles: tuple[Role, ...] = Field(default=(), description="Extra roles, e.g. [console] where admins browse from.")
    version: Version = Field(description='The SEP/SES release deployed, e.g. "14.3 RU1" (quoted).')
    proxy: StrictBool = Field(default=False, description="Whether agents and managers reach the internet via a proxy.")
    storage: StoragePhase = Field(default="both", description="Storage phase: both (default), gcp or aws.")
    overlays: tuple[str, ...] = Field(default=(), description="Overlay files, relative to the project directory.")
    internal: dict[str, Any] | None = Field(
        default=None,
        description="Addresses of SEP's internal destinations, e.g. {sepm: [10.20.0.10/32]} (see docs/internal.md).",
    )
    aws: dict[str, Any] | None = Field(default=None, description="AWS Network Firewall options.")
    gcp: dict[str, Any] | None = Field(default=None, description="GCP Cloud NGFW / Cloud NAT options.")

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a role is listed twice")
        return value


@dataclass(frozen=True, slots=True)
class StackConfig:
    """Validated settings with where they came from (for messages and relative paths)."""

    source: str
    base_dir: Path
    settings: StackSettings

    def plan(self) -> EgressPlan:
        """The egress plan this stack asks for; overlay errors name the overlay file and entry."""
        overlays = []
        problems: list[tuple[str, str]] = []
        for index, name in enumerate(self.settings.overlays):
            path = Path(name) if Path(name).is_absolute() else self.base_dir / name
            try:
                overlays.append(SourcedOverlay(name, load_overlay(path)))
            except CatalogError as exc:
                problems.append((f"{NAMESPACE}:overlays[{index}]", str(exc)))
        if problems:
            raise ConfigError(self.source, problems)
        settings = self.settings
        try:
            return select(
                load_catalog(),
                mode=settings.mode,
                roles=settings.roles,
                version=settings.version,
                proxy=settings.proxy,
                storage=settings.storage,
                overlays=overlays,
                internal=None if settings.internal is None else destinations_from_config(settings.internal),
            )
        except SelectionError as error:
            key = error.field or "mode"
            raise ConfigError(self.source, [(f"{NAMESPACE}:{key}", str(error).removeprefix(f"{key}: "))]) from None
        except CatalogError as error:  # an overlay's id clashes, or it excludes an id that does not exist
            raise ConfigError(self.source, [(f"{NAMESPACE}:overlays", str(error))]) from None


def _decode(value: Any) -> Any:
    """The Pulumi engine passes every value as a string; objects, lists and booleans arrive JSON-encoded.

    Numbers stay text: a version such as ``14.10`` must not become the float 14.1.
    """
    if isinstance(value, str) and (value[:1] in ("{", "[") or value in ("true", "false")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_stack_config(
    values: Mapping[str, Any], source: str, base_dir: Path, *, project: str = NAMESPACE, decode: bool = False
) -> StackConfig:
    """Validate the ``sep-egress:*`` keys of a stack's configuration; other namespaces are ignored.

    Raises ``ConfigError`` listing every problem with its full config key, before anything is created.
    """
    ours: dict[str, Any] = {}
    for key, value in values.items():
        namespace, _, name = key.rpartition(":")
        if (namespace or project) == NAMESPACE:
            ours[name] = _decode(value) if decode else value
    if not ours:
        raise ConfigError(source, [(f"{NAMESPACE}:version", "no sep-egress configuration found in this stack")])
    try:
        settings = StackSettings.model_validate(ours)
    except ValidationError as exc:
        problems = []
        for where, message in validation_problems(ours, exc):
            key = where.removeprefix("field ").strip("'")
            problems.append((f"{NAMESPACE}:{key}", message))
        raise ConfigError(source, problems) from None
    return StackConfig(source=source, base_dir=base_dir, settings=settings)


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / "stacks" / f"Pulumi.{stack}.yaml"


def read_stack_file(project_dir: Path, stack: str) -> StackConfig:
    """Read ``stacks/Pulumi.<stack>.yaml`` of a project directory without the Pulumi engine."""
    path = stack_file(project_dir, stack)
    source = str(path.relative_to(project_dir)) if path.is_relative_to(project_dir) else str(path)
    if not path.exists():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (project_dir / "stacks").glob("Pulumi.*.yaml"))
        raise ConfigError(source, [("stack", f"no such stack; known stacks: {', '.join(known) or 'none'}")])
    try:
        document = read_yaml(path, source)
    except CatalogError as exc:
        raise ConfigError(source, [(where, message) for where, message in exc.problems]) from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise ConfigError(source, [("config", "the stack file has no 'config' mapping")])
    return parse_stack_config(config, source, project_dir)
