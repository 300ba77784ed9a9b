"""The stack configuration (namespace ``sep-egress``) as a validated model.

The same model reads a ``stacks/Pulumi.<stack>.yaml`` file (for the CLI, no Pulumi engine needed) and the
configuration the Pulumi engine hands to ``__main__.py``, so both see the same settings and the same errors.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, StrictBool, ValidationError, field_validator

from .catalog.bounded_yaml import MAX_DEPTH, read_yaml
from .catalog.internal import destinations_from_config
from .catalog.roles import Role
from .catalog.schema_fields import Strict, Version
from .catalog.validation import validation_problems
from .catalog.vendor.load import load_catalog, load_overlay
from .catalog.vendor.plan import EgressPlan
from .catalog.vendor.select import Mode, SourcedOverlay, StoragePhase, select
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
    enforcement: Literal["observe", "enforce"] = Field(
        default="enforce",
        description="enforce (default) refuses what the plan does not allow; observe allows and logs it instead "
        "(docs/rollout.md).",
    )

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


def _decode(field: str, value: Any) -> Any:
    """A value as ``pulumi config set`` stores it, or as the engine passes it, read by the setting's type.

    Top-level stack config values are always strings (``pulumi config set sep-egress:proxy true`` writes
    ``"true"``; an object or list set without ``--path`` is JSON text), and the engine passes every value as a
    string (objects and lists JSON-encoded). Only what the setting's own type allows is converted: ``"true"`` for
    a boolean, a whole number for an integer, JSON for a list or a mapping. Anything else stays as it is, so a
    version such as ``14.10`` is never turned into a number, and a wrong value still gets the setting's message.
    See https://www.pulumi.com/docs/iac/cli/commands/pulumi_config_set/ ("Top level entries are always treated
    as strings"; with ``--path``, "true"/"false" become booleans and integers numbers).
    """
    if not isinstance(value, str) or field not in StackSettings.model_fields:
        return value
    kinds = _kinds(StackSettings.model_fields[field].annotation)
    if bool in kinds and value in ("true", "false"):
        return value == "true"
    if int in kinds and value.strip().lstrip("-").isascii() and value.strip().lstrip("-").isdigit():
        if len(value.strip()) > 20:  # no setting counts past 64 bits; int() of thousands of digits raises
            raise UndecodableValue(f"{value.strip()[:20]}... is not a number any setting takes")
        return int(value)
    if (kinds & {list, tuple} and value.lstrip()[:1] == "[") or (dict in kinds and value.lstrip()[:1] == "{"):
        try:
            decoded = json.loads(value)
        except RecursionError:
            raise UndecodableValue(f"the JSON value nests deeper than {MAX_DEPTH} levels") from None
        except ValueError:
            return value
        if _depth(decoded) > MAX_DEPTH:
            raise UndecodableValue(f"the JSON value nests deeper than {MAX_DEPTH} levels")
        return decoded
    return value


class UndecodableValue(ValueError):
    """A stack value that cannot be read as its setting's type without exhausting the interpreter."""


def _depth(value: Any) -> int:
    """How deeply a decoded JSON value nests (iteratively: it may be deeper than Python's recursion limit)."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            pending.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _kinds(annotation: Any) -> set[Any]:
    """The plain types an annotation accepts (``tuple[Role, ...] | None`` -> ``{tuple, NoneType}``)."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        return set().union(*(_kinds(argument) for argument in typing.get_args(annotation)))
    if origin is typing.Annotated:
        return _kinds(typing.get_args(annotation)[0])
    if origin is not None:
        return {origin}
    return {annotation}


def parse_stack_config(
    values: Mapping[str, Any],
    source: str,
    base_dir: Path,
    *,
    project: str = NAMESPACE,
    environments: Sequence[str] = (),
) -> StackConfig:
    """Validate the settings of a stack's configuration; keys of other namespaces (providers) are ignored.

    The settings are the keys of the ``sep-egress`` namespace and of the project's own namespace (a consumer
    project that reads them with ``pulumi.Config()``); an unqualified key belongs to the project. Values may be
    typed (a stack file edited by hand) or strings (``pulumi config set``, or the engine). ``environments`` names
    the ESC environments the stack imports, for the message when a setting is missing. Raises ``ConfigError``
    listing every problem with its full config key, before anything is created.
    """
    namespaces = {NAMESPACE, project}
    ours: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for key, value in values.items():
        # The namespace is what precedes the first colon (a provider's keys, `aws:region`, are not ours); a name
        # with another colon is refused below as an unknown setting, except Pulumi's legacy `<ns>:config:<name>`.
        namespace, colon, name = key.partition(":")
        if not colon:
            namespace, name = project, key
        name = name.removeprefix("config:")
        if namespace not in namespaces:
            continue
        spelled[name] = f"{namespace}:{name}"
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            problems.append(
                (
                    spelled[name],
                    "an encrypted (secure) value: only the Pulumi CLI can decrypt it, and sep-egress settings "
                    "decide the rules, so keep them in plain text",
                )
            )
            continue
        try:
            ours[name] = _decode(name, value)
        except UndecodableValue as error:
            problems.append((spelled[name], str(error)))
    namespace_label = f"{NAMESPACE}:" if project == NAMESPACE else f"{project}: (or {NAMESPACE}:)"
    if not ours and not problems:
        problems.append((f"{NAMESPACE}:version", f"no {namespace_label} settings found in this stack"))
    if not problems:
        try:
            settings = StackSettings.model_validate(ours)
        except ValidationError as exc:
            for where, message in validation_problems(ours, exc):
                key = where.removeprefix("field ").strip("'")
                top = key.split(".")[0].split("[")[0]
                full = spelled.get(top, f"{project}:{top}").partition(":")[0] + ":" + key
                problems.append((full, message))
        else:
            return StackConfig(source=source, base_dir=base_dir, settings=settings)
    own_keys_only = project != NAMESPACE and not any(key.startswith(f"{NAMESPACE}:") for key in values)
    if own_keys_only and any(message.startswith("unknown field") for _, message in problems):
        problems.append(
            (
                project,
                f"read as sep-egress settings because they are in the project's namespace; if {project}'s program "
                "reads them itself, `sep-egress preview --stack` runs that program instead",
            )
        )
    if environments and any(message.startswith(("this field is required", "no ")) for _, message in problems):
        problems.append(
            (
                "environment",
                f"this stack imports the ESC environment(s) {', '.join(environments)}; what they provide is "
                "resolved by the Pulumi CLI only, so sep-egress plan and preview do not see it: set these keys in "
                "the stack file, or run pulumi preview",
            )
        )
    raise ConfigError(source, problems)


@dataclass(frozen=True, slots=True)
class PulumiProject:
    """What ``Pulumi.yaml`` says about where a project keeps its stacks and config (name = config namespace)."""

    directory: Path
    name: str
    stack_config_dir: Path
    config: Mapping[str, Any]
    #: ``main:`` of Pulumi.yaml: the program's folder (or Python file), relative to the project; default the project.
    main: str = "."

    @property
    def program(self) -> Path:
        """The Python file ``pulumi preview`` runs: ``main`` when it is a ``.py`` file, else its ``__main__.py``."""
        target = self.directory / self.main
        return target if target.suffix == ".py" else target / "__main__.py"

    def stack_path(self, stack: str) -> Path:
        return self.stack_config_dir / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in self.stack_config_dir.glob("Pulumi.*.yaml"))

    def qualified(self, key: str) -> str:
        return key if ":" in key else f"{self.name}:{key}"

    def defaults(self) -> dict[str, Any]:
        """The project-level config values every stack starts from: a declaration's ``default`` or ``value``, or a
        plain value (https://www.pulumi.com/blog/project-config-mvp/), by full key."""
        found: dict[str, Any] = {}
        for key, declared in self.config.items():
            if isinstance(declared, Mapping):
                if "default" in declared:
                    found[self.qualified(key)] = declared["default"]
                elif "value" in declared:
                    found[self.qualified(key)] = declared["value"]
            elif declared is not None:
                found[self.qualified(key)] = declared
        return found

    def required(self) -> list[str]:
        """Keys the project declares with a type and no default: Pulumi refuses a stack without them."""
        return [
            self.qualified(key)
            for key, declared in self.config.items()
            if isinstance(declared, Mapping) and "type" in declared and "default" not in declared
        ]


def read_project(project_dir: Path) -> PulumiProject:
    """The project file of ``project_dir``; a directory without one is read as this project's own layout
    (``stacks/``, namespace ``sep-egress``)."""
    path = next((project_dir / name for name in ("Pulumi.yaml", "Pulumi.yml") if (project_dir / name).exists()), None)
    if path is None:
        return PulumiProject(project_dir, NAMESPACE, project_dir / "stacks", {})
    source = str(path)
    try:
        document = read_yaml(path, source)
    except CatalogError as exc:
        raise ConfigError(source, [(where, message) for where, message in exc.problems]) from None
    if not isinstance(document, Mapping) or not isinstance(document.get("name"), str):
        raise ConfigError(source, [("name", "a Pulumi project file names its project (name: ...)")])
    config_dir = document.get("stackConfigDir") or "."
    config = document.get("config") or {}
    main = document.get("main") or "."
    if not isinstance(config_dir, str) or not isinstance(config, Mapping) or not isinstance(main, str):
        raise ConfigError(
            source, [("stackConfigDir", "a folder name"), ("config", "a mapping of keys"), ("main", "a path")]
        )
    return PulumiProject(project_dir, document["name"], project_dir / config_dir, config, main)


def stack_file(project_dir: Path, stack: str) -> Path:
    """Where the stack's settings file is: in the project's ``stackConfigDir`` (``Pulumi.yaml``)."""
    return read_project(project_dir).stack_path(stack)


def read_stack_document(project_dir: Path, stack: str) -> tuple[PulumiProject, str, dict[str, Any]]:
    """The project, the stack file's name for messages, and the stack file's content."""
    project = read_project(project_dir)
    path = project.stack_path(stack)
    source = str(path.relative_to(project_dir)) if path.is_relative_to(project_dir) else str(path)
    if not path.exists():
        known = project.stacks()
        raise ConfigError(source, [("stack", f"no such stack; known stacks: {', '.join(known) or 'none'}")])
    try:
        document = read_yaml(path, source)
    except CatalogError as exc:
        raise ConfigError(source, [(where, message) for where, message in exc.problems]) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(source, [("config", "the stack file is not a mapping")])
    return project, source, document


def stack_environments(document: Mapping[str, Any]) -> list[str]:
    """The ESC environments a stack file imports (``environment: [a, b]`` or ``environment: {imports: [...]}``)."""
    environment = document.get("environment")
    if isinstance(environment, Mapping):
        environment = environment.get("imports")
    if isinstance(environment, str):
        return [environment]
    return [str(item) for item in environment] if isinstance(environment, list) else []


def read_stack_file(project_dir: Path, stack: str) -> StackConfig:
    """Read a stack's settings without the Pulumi engine, as the engine would see them: the stack file in the
    project's ``stackConfigDir``, over the project-level defaults of ``Pulumi.yaml``."""
    project, source, document = read_stack_document(project_dir, stack)
    config = document.get("config")
    environments = stack_environments(document)
    if config is None and environments:
        config = {}
    if not isinstance(config, dict):
        raise ConfigError(source, [("config", "the stack file has no 'config' mapping")])
    values = {**project.defaults(), **{project.qualified(key): value for key, value in config.items()}}
    namespace = project.name
    if namespace != NAMESPACE and any(key.startswith(f"{NAMESPACE}:") for key in values):
        # Another project that sets sep-egress: keys: those are the settings; its own keys are its program's.
        namespace = NAMESPACE
    return parse_stack_config(values, source, project_dir, project=namespace, environments=environments)
