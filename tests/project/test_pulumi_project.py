"""The project files a user and the Pulumi CLI read: Pulumi.yaml, stacks/, requirements, the Makefile."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from support import PROJECT_SCHEMA, ROOT, SHARED_PROJECT_SCHEMA


def test_the_schema_fixture_is_the_shared_reference() -> None:
    if not SHARED_PROJECT_SCHEMA.exists():
        pytest.skip("the shared reference is not beside this checkout; the fixture copy is used alone")
    assert PROJECT_SCHEMA.read_bytes() == SHARED_PROJECT_SCHEMA.read_bytes()


def test_pulumi_yaml_validates_against_pulumi_project_schema() -> None:
    schema = json.loads(PROJECT_SCHEMA.read_text(encoding="utf-8"))
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(project)
    assert project["name"] == "sep-egress"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    assert project["stackConfigDir"] == "stacks"
    # No `main`: Pulumi runs the project folder, whose __main__.py is the program.
    assert "main" not in project
    assert (ROOT / "__main__.py").exists()


def test_the_schema_check_catches_a_broken_project_file() -> None:
    schema = json.loads(PROJECT_SCHEMA.read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate({"name": "sep-egress", "runtime": {"nme": "python"}})


def test_stack_files_only_use_the_project_namespace_or_providers() -> None:
    for path in (ROOT / "stacks").glob("Pulumi.*.yaml"):
        config = yaml.safe_load(path.read_text(encoding="utf-8"))["config"]
        for key in config:
            # sep-egress-preview: what the offline preview's mock engine answers for reads of the cloud (docs/gcp.md).
            assert key.split(":", 1)[0] in ("sep-egress", "aws", "gcp", "sep-egress-preview"), f"{path.name}: {key}"


def test_requirements_install_the_package_itself() -> None:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").split("\n")
    assert "-e ." in lines


def test_pulumi_yaml_declares_the_settings_as_the_program_reads_them() -> None:
    """The config schema Pulumi checks before running the program agrees with the settings model: same keys,
    types and defaults; a declared key without a default is one the model requires."""
    from sep_egress.settings import StackSettings

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    declared = project["config"]
    fields = StackSettings.model_fields
    assert set(declared) <= set(fields)
    kinds = {"string": (str,), "boolean": (bool,), "array": (tuple, list)}
    for key, declaration in declared.items():
        field = fields[key]
        if "default" in declaration:
            default = field.get_default(call_default_factory=True)
            assert (
                list(default) == declaration["default"]
                if isinstance(default, tuple)
                else (default == declaration["default"])
            ), key
            assert isinstance(declaration["default"], kinds[declaration["type"]]), key
        else:
            assert field.is_required(), key
        assert declaration["description"]
    # What is not declared is optional without a default (mode) or an object (internal, aws, gcp): Pulumi cannot
    # type it.
    undeclared = set(fields) - set(declared)
    assert undeclared == {"mode", "internal", "aws", "gcp"}, (
        "a new stack key: declare it under config: in Pulumi.yaml (type, default, description), or, if Pulumi "
        "cannot type it (an object, or optional without a default), add it to this set"
    )
