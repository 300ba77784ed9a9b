"""Serving the package: its version, the schema the host infers from the components, and the plugin's entry point."""

import importlib.metadata
import json
import sys
import tomllib
from pathlib import Path
from typing import Any, cast

from pulumi.provider.experimental import component_provider_host
from pulumi.provider.experimental.component import ComponentProvider

from .components import COMPONENTS, PACKAGE_NAME


def package_version() -> str:
    """The version of the installed ``sep-egress`` distribution, else ``pyproject.toml``'s (a bare checkout)."""
    try:
        return importlib.metadata.version(PACKAGE_NAME)
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"  # components/sep_egress/provider/host.py
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])


def package_schema(version: str | None = None) -> dict[str, Any]:
    """The package schema, inferred by the same ``ComponentProvider`` that ``component_provider_host`` serves.

    Building it analyses the classes and starts nothing (no gRPC server, no engine).
    """
    provider = ComponentProvider(COMPONENTS, PACKAGE_NAME, None, version or package_version())
    return cast(dict[str, Any], json.loads(provider.schema or "{}"))


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``provider/__main__.py``: serve the components to the Pulumi engine.

    ``--schema`` prints the inferred schema instead (no Pulumi CLI or engine needed).
    """
    arguments = sys.argv[1:] if argv is None else argv
    if arguments == ["--schema"]:
        print(json.dumps(package_schema(), indent=2, sort_keys=True))
        return
    component_provider_host(COMPONENTS, name=PACKAGE_NAME, version=package_version())
