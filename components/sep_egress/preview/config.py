"""A stack's config as the engine passes it to the program, checked first as Pulumi and sep-egress check it."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..settings import (
    NAMESPACE,
    PulumiProject,
    parse_stack_config,
    read_stack_document,
    read_stack_file,
    stack_environments,
)


def engine_config(project_dir: Path, stack: str, *, validate: bool = True) -> dict[str, str]:
    """A stack's config as the engine passes it to the program: full keys, string values (objects and lists
    JSON-encoded), the stack file in the project's ``stackConfigDir`` over the project-level values of its
    ``Pulumi.yaml``.

    With ``validate`` the config is checked first, so a bad config fails here with every problem named, before
    the program (and any resource registration) runs: what Pulumi itself checks (a key the project declares
    without a default, a declared type), and the sep-egress settings when the stack has any (the project's own
    namespace for this project, ``sep-egress:`` keys for any other). A base revision is read without this
    revision's rules, since its stack file may be older.
    """
    project, source, document = read_stack_document(project_dir, stack)
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(source, [("config", "the stack file has no 'config' mapping")])
    values = {**project.defaults(), **{project.qualified(key): value for key, value in config.items()}}
    if validate:
        problems = _declared_problems(project, values)
        if problems:
            environments = stack_environments(document)
            if environments:
                problems.append(
                    (
                        "environment",
                        f"this stack imports the ESC environment(s) {', '.join(environments)}; what they provide is "
                        "resolved by the Pulumi CLI only, so the offline preview does not see it",
                    )
                )
            raise ConfigError(source, problems)
        if project.name == NAMESPACE:
            read_stack_file(project_dir, stack)
        elif any(key.startswith(f"{NAMESPACE}:") for key in values):
            # Another project's program reads its own keys as it likes; only the sep-egress settings are ours.
            parse_stack_config(
                values, source, project_dir, project=NAMESPACE, environments=stack_environments(document)
            )
    encoded: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            encoded[key] = "[secret]"  # encrypted values cannot be read offline
        elif isinstance(value, str):
            encoded[key] = value
        else:
            encoded[key] = json.dumps(value)
    return encoded


_DECLARED_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
}


def _declared_problems(project: PulumiProject, values: dict[str, Any]) -> list[tuple[str, str]]:
    """What Pulumi refuses before running the program: a declared key without a value, a value of another type
    (a string as ``pulumi config set`` writes it counts when it reads as the declared type)."""
    problems = [
        (key, "required: Pulumi.yaml declares it without a default") for key in project.required() if key not in values
    ]
    for key, declared in project.config.items():
        if not isinstance(declared, dict) or declared.get("type") not in _DECLARED_TYPES:
            continue
        full = project.qualified(key)
        value = values.get(full)
        if value is None or (isinstance(value, dict) and set(value) == {"secure"}):
            continue
        kind = declared["type"]
        if isinstance(value, str) and kind != "string":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        fits = isinstance(value, _DECLARED_TYPES[kind]) and not (kind == "integer" and isinstance(value, bool))
        if not fits:
            problems.append((full, f"{value!r} is not of the type Pulumi.yaml declares ({kind})"))
    return problems
