"""Serving the package: its version, the schema the host infers from the components, and the plugin's entry point."""

import importlib.metadata
import json
import sys
import tomllib
import typing
from pathlib import Path
from typing import Any, cast

from pulumi.provider import main as serve
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pydantic import BaseModel

from .components import COMPONENTS, PACKAGE_NAME, PackageComponent


def package_version() -> str:
    """The version of the installed ``sep-egress`` distribution, else ``pyproject.toml``'s (a bare checkout)."""
    try:
        return importlib.metadata.version(PACKAGE_NAME)
    except importlib.metadata.PackageNotFoundError:
        pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"  # components/sep_egress/provider/host.py
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])


def _pyproject() -> dict[str, Any]:
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"  # components/sep_egress/provider/host.py
    try:
        return dict(tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}))
    except OSError:
        return {}


def _metadata() -> dict[str, Any]:
    """The package's description, licence and links, from the distribution's metadata (or pyproject.toml)."""
    try:
        meta = importlib.metadata.metadata(PACKAGE_NAME)
        license_ = next(iter(meta.get_all("License-Expression") or meta.get_all("License") or []), None)
        description = next(iter(meta.get_all("Summary") or []), None)
        urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [] if ", " in url)
    except importlib.metadata.PackageNotFoundError:
        project = _pyproject()
        license_, description, urls = project.get("license"), project.get("description"), project.get("urls", {})
    found = {"license": license_, "description": description, "keywords": ["pulumi", "aws", "gcp", "kind/component"]}
    found["repository"] = urls.get("Repository") or urls.get("Source")
    found["homepage"] = urls.get("Homepage") or found["repository"]
    return {key: value for key, value in found.items() if value}


def _choices_of(field: Any) -> list[str] | None:

    annotation = field.annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if typing.get_origin(candidate) is typing.Literal:
            return [str(choice) for choice in typing.get_args(candidate)]
    return None


def _enum_fields() -> dict[str, dict[str, list[str]]]:
    """Per schema location (resource or type token), the text inputs with a fixed list of values."""
    from ..commands.schemas import _choices

    named = _choices()
    found: dict[str, dict[str, list[str]]] = {}

    def walk(model: type[BaseModel], token: str) -> None:
        for name, field in model.model_fields.items():
            choices = _choices_of(field) or (named.get(name) if field.annotation in (str, str | None) else None)
            if choices:
                found.setdefault(token, {})[camel_case(name)] = choices
            for nested in (field.annotation, *typing.get_args(field.annotation)):
                for inner in (nested, *typing.get_args(nested)):
                    if isinstance(inner, type) and issubclass(inner, BaseModel) and inner is not model:
                        walk(inner, f"{PACKAGE_NAME}:index:{inner.__name__}")

    for component in COMPONENTS:
        model = cast(type[PackageComponent], component)._wrapped.args_model
        walk(model, f"{PACKAGE_NAME}:index:{component.__name__}")
    return found


def enrich_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The analyzer's schema with what it cannot infer: enum types for inputs with a fixed list of values
    (``style``, ``mode``, ``blockAction``...; the analyzer reads them as ``string``) and the package's licence,
    description and links."""
    schema = {**schema, **_metadata()}
    types = dict(schema.get("types", {}))
    resources = dict(schema.get("resources", {}))
    enums: dict[tuple[str, ...], str] = {}
    for token, fields in sorted(_enum_fields().items()):
        owner = resources.get(token) or types.get(token)
        if owner is None:
            continue
        key = "inputProperties" if token in resources else "properties"
        properties = dict(owner.get(key, {}))
        for name, choices in sorted(fields.items()):
            if name not in properties:
                continue
            enum_name = enums.get(tuple(choices))
            if enum_name is None:
                base = name[:1].upper() + name[1:]
                enum_name = base if f"{PACKAGE_NAME}:index:{base}" not in types else f"{token.rsplit(':', 1)[1]}{base}"
                enums[tuple(choices)] = enum_name
                types[f"{PACKAGE_NAME}:index:{enum_name}"] = {
                    "type": "string",
                    "description": f"One of: {', '.join(choices)}.",
                    "enum": [{"value": choice} for choice in choices],
                }
            old = properties[name]
            properties[name] = {
                key_: value for key_, value in old.items() if key_ not in ("type", "items", "additionalProperties")
            } | {"$ref": f"#/types/{PACKAGE_NAME}:index:{enum_name}"}
        target = dict(owner)
        target[key] = properties
        (resources if token in resources else types)[token] = target
    schema["types"] = dict(sorted(types.items()))
    schema["resources"] = resources
    return schema


class SepEgressProvider(ComponentProvider):
    """The analyzer's provider, serving the enriched schema (``enrich_schema``)."""

    def __init__(self, version: str) -> None:
        super().__init__(COMPONENTS, PACKAGE_NAME, None, version)
        self.schema = json.dumps(enrich_schema(json.loads(self.schema or "{}")))


def package_schema(version: str | None = None) -> dict[str, Any]:
    """The package schema the plugin serves: what the ``ComponentProvider`` infers, enriched (``enrich_schema``).

    Building it analyses the classes and starts nothing (no gRPC server, no engine).
    """
    provider = SepEgressProvider(version or package_version())
    return cast(dict[str, Any], json.loads(provider.schema or "{}"))


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``provider/__main__.py``: serve the components to the Pulumi engine (as
    ``component_provider_host`` does, with the enriched schema).

    ``--schema`` prints the schema instead (no Pulumi CLI or engine needed).
    """
    arguments = sys.argv[1:] if argv is None else argv
    if arguments == ["--schema"]:
        print(json.dumps(package_schema(), indent=2, sort_keys=True))
        return
    serve(SepEgressProvider(package_version()), arguments)
