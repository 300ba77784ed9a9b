"""What a preview is: the resources a program registers, its outputs and warnings, read from the mock engine."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import SepEgressError


class PreviewError(SepEgressError):
    """The preview could not run (a git revision that does not exist, a program that fails at that revision)."""


@dataclass(frozen=True)
class PreviewResource:
    """One resource the program registers: Pulumi type token, logical name, parent (``type::name``), inputs."""

    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    #: Inputs the program tells the engine to ignore (``ignore_changes``): a change there is neither an update nor
    #: a replacement.
    ignore_changes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Identity across runs, as Pulumi sees it: the parent chain, the type and the name."""
        return f"{self.parent or ''}/{self.type}::{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "parent": self.parent, "inputs": self.inputs}


@dataclass
class Preview:
    """What ``pulumi preview`` of one stack would create, with the warnings of its plan."""

    stack: str
    resources: list[PreviewResource]
    outputs: dict[str, Any]
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "resources": [resource.to_dict() for resource in self.resources],
            "counts": dict(sorted(Counter(resource.type for resource in self.resources).items())),
            "warnings": self.warnings,
            "outputs": self.outputs,
        }


def to_preview(stack: str, registrations: list[dict[str, Any]], outputs: dict[str, Any]) -> Preview:
    by_urn = {item["urn"]: item for item in registrations}
    resources = []
    for item in registrations:
        parent = by_urn.get(item["parent"] or "")
        resources.append(
            PreviewResource(
                type=item["type"],
                name=item["name"],
                parent=f"{parent['type']}::{parent['name']}" if parent else None,
                inputs=canonical(item["inputs"]),
                ignore_changes=tuple(sorted(item.get("ignore_changes") or ())),
            )
        )
    resources.sort(key=lambda resource: resource.key)
    warnings = outputs.get("warnings") if isinstance(outputs.get("warnings"), list) else []
    return Preview(stack=stack, resources=resources, outputs=canonical(outputs), warnings=list(warnings or []))


def canonical(value: Any) -> Any:
    """JSON-safe, key-sorted data, so equal inputs always print and compare the same."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))
