"""Stack configuration: one model for stack files and for the engine's config, errors named by config key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sep_egress.errors import ConfigError
from sep_egress.settings import parse_stack_config, read_stack_file

from support import ROOT, SEPM, run_cli

pytestmark = pytest.mark.pulumi


def write_stack(tmp_path: Path, name: str, config: dict[str, object]) -> Path:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return tmp_path


def test_every_shipped_stack_is_valid_and_plans() -> None:
    stacks = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
    assert stacks
    for path in stacks:
        name = path.name[len("Pulumi.") : -len(".yaml")]
        plan = read_stack_file(ROOT, name).plan()
        assert plan.allow


def test_all_problems_are_listed_with_their_full_config_key(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "bad",
        {
            "sep-egress:mode": "saas",
            "sep-egress:version": "14.3 SP1",
            "sep-egress:proxy": "yes",
            "sep-egress:storgae": "gcp",
            "aws:region": "eu-west-1",
        },
    )
    with pytest.raises(ConfigError) as caught:
        read_stack_file(project, "bad")
    keys = [key for key, _ in caught.value.problems]
    assert keys == ["sep-egress:mode", "sep-egress:version", "sep-egress:proxy", "sep-egress:storgae"]
    message = str(caught.value)
    assert message.startswith("stacks/Pulumi.bad.yaml: sep-egress:mode: ")
    assert "unknown field" in message


def test_an_unquoted_version_is_refused_before_yaml_loses_its_digits(tmp_path: Path) -> None:
    project = write_stack(tmp_path, "s", {"sep-egress:mode": "cloud", "sep-egress:version": 14.10})
    with pytest.raises(ConfigError, match=r"sep-egress:version: write the version in quotes"):
        read_stack_file(project, "s")


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        ({"sep-egress:version": "14.3"}, "sep-egress:mode", "choose roles or a management mode"),
        ({"sep-egress:mode": "cloud", "sep-egress:version": "14.3", "sep-egress:storage": "azure"}, "storage", ""),
    ],
)
def test_selection_problems_name_their_config_key(
    tmp_path: Path, config: dict[str, object], key: str, words: str
) -> None:
    project = write_stack(tmp_path, "s", config)
    with pytest.raises(ConfigError) as caught:
        read_stack_file(project, "s").plan()
    assert caught.value.problems[0][0].endswith(key)
    assert words in caught.value.problems[0][1]


def test_excluding_everything_names_the_overlays_key(tmp_path: Path) -> None:
    ids = [f"console-{name}" for name in ("icdm", "file-staging-aws", "file-staging-gcp", "dynamic-shell")]
    ids += ["console-dynamic-shell-storage-aws", "console-dynamic-shell-storage-gcp"]
    (tmp_path / "none.yaml").write_text(yaml.safe_dump({"exclude": ids}), encoding="utf-8")
    project = write_stack(
        tmp_path,
        "s",
        {"sep-egress:roles": ["console"], "sep-egress:version": "14.3 RU1", "sep-egress:overlays": ["none.yaml"]},
    )
    with pytest.raises(ConfigError, match=r"sep-egress:overlays: nothing to allow"):
        read_stack_file(project, "s").plan()
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump({"exclude": ["console-icdn"]}), encoding="utf-8")
    project = write_stack(
        tmp_path,
        "t",
        {"sep-egress:roles": ["console"], "sep-egress:version": "14.3 RU1", "sep-egress:overlays": ["typo.yaml"]},
    )
    with pytest.raises(ConfigError, match=r"sep-egress:overlays: typo.yaml: field 'exclude\[0\]'"):
        read_stack_file(project, "t").plan()


def test_overlay_problems_name_the_config_key_and_the_overlay(tmp_path: Path) -> None:
    (tmp_path / "bad-overlay.yaml").write_text("entries:\n  - id: x\n    role: nobody\n", encoding="utf-8")
    project = write_stack(
        tmp_path,
        "s",
        {"sep-egress:mode": "cloud", "sep-egress:version": "14.3 RU1", "sep-egress:overlays": ["bad-overlay.yaml"]},
    )
    config = read_stack_file(project, "s")
    with pytest.raises(ConfigError, match=r"sep-egress:overlays\[0\]: .*bad-overlay.yaml: entry 'x', field 'role'"):
        config.plan()


def test_engine_values_arrive_as_strings_and_numbers_stay_text(tmp_path: Path) -> None:
    values = {
        "sep-egress:mode": "hybrid",
        "sep-egress:version": "14.10",
        "sep-egress:proxy": "true",
        "sep-egress:roles": json.dumps(["console"]),
        "sep-egress:aws": json.dumps({"style": "suricata"}),
        "gcp:project": "p",
    }
    config = parse_stack_config(values, "stack test", tmp_path)
    assert str(config.settings.version) == "14.10"
    assert config.settings.proxy is True
    assert config.settings.roles == ("console",)
    assert config.settings.aws == {"style": "suricata"}


def test_keys_without_namespace_belong_to_the_project(tmp_path: Path) -> None:
    config = parse_stack_config({"version": "14.3", "mode": "cloud"}, "s", tmp_path, project="sep-egress")
    assert config.settings.mode == "cloud"
    with pytest.raises(ConfigError, match="no sep-egress: settings found"):
        parse_stack_config({"aws:region": "x"}, "s", tmp_path)


def test_a_stack_file_written_by_pulumi_config_set_plans(tmp_path: Path) -> None:
    """Top-level values as `pulumi config set` stores them (strings; objects and lists as JSON text), nested values
    as `pulumi config set --path` stores them (booleans and integers typed)."""
    aws = {"source_cidrs": {"agent": ["10.10.0.0/16"]}, "create_policy": True, "headroom_percent": 30}
    project = write_stack(
        tmp_path,
        "set",
        {
            "sep-egress:mode": "on-prem",
            "sep-egress:version": "14.2",
            "sep-egress:proxy": "true",
            "sep-egress:roles": '["console"]',
            "sep-egress:aws": json.dumps(aws),
        },
    )
    config = read_stack_file(project, "set")
    assert config.settings.proxy is True and config.settings.roles == ("console",)
    assert config.settings.aws == aws
    plan = config.plan()
    assert plan.proxy is True and "console" in plan.roles


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("yes", "sep-egress:proxy: Input should be a valid boolean"),
        ("True", "sep-egress:proxy: Input should be a valid boolean"),
        ("1", "sep-egress:proxy: Input should be a valid boolean"),
    ],
)
def test_only_the_strings_pulumi_writes_for_a_boolean_are_read_as_one(tmp_path: Path, value: str, message: str) -> None:
    project = write_stack(
        tmp_path, "s", {"sep-egress:mode": "cloud", "sep-egress:version": "14.2", "sep-egress:proxy": value}
    )
    with pytest.raises(ConfigError, match=message):
        read_stack_file(project, "s")


def test_the_engine_and_the_stack_file_read_the_same_settings(tmp_path: Path) -> None:
    from sep_egress.preview import engine_config

    for path in (ROOT / "stacks").glob("Pulumi.*.yaml"):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        from_file = read_stack_file(ROOT, stack).settings
        from_engine = parse_stack_config(engine_config(ROOT, stack), "engine", ROOT).settings
        assert from_engine == from_file, stack


def test_an_encrypted_setting_says_it_needs_the_cli(tmp_path: Path) -> None:
    project = write_stack(
        tmp_path,
        "s",
        {"sep-egress:version": "14.2", "sep-egress:mode": {"secure": "AAABAJ"}, "db:password": {"secure": "x"}},
    )
    with pytest.raises(ConfigError, match=r"sep-egress:mode: an encrypted \(secure\) value: only the Pulumi CLI"):
        read_stack_file(project, "s")


def test_settings_only_esc_provides_say_so(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.esc.yaml").write_text("environment:\n  - network/prod\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_stack_file(tmp_path, "esc")
    assert caught.value.problems[-1][0] == "environment"
    assert "ESC environment(s) network/prod" in caught.value.problems[-1][1]


def test_a_project_with_its_own_namespace_and_config_dir(tmp_path: Path) -> None:
    """Any Pulumi project: the namespace is its name, the stacks are in its stackConfigDir, the project-level
    defaults of its Pulumi.yaml apply."""
    project = {
        "name": "network-egress",
        "runtime": "python",
        "stackConfigDir": "config",
        "config": {"proxy": {"type": "boolean", "default": True}, "storage": "gcp"},
    }
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
    (tmp_path / "config").mkdir()
    stack = {"config": {"network-egress:version": "14.2", "mode": "cloud", "aws:region": "eu-west-1"}}
    (tmp_path / "config" / "Pulumi.prod.yaml").write_text(yaml.safe_dump(stack), encoding="utf-8")
    settings = read_stack_file(tmp_path, "prod").settings
    assert (settings.mode, settings.proxy, settings.storage) == ("cloud", True, "gcp")
    with pytest.raises(ConfigError, match=r"^config/Pulumi\.test\.yaml: stack: no such stack; known stacks: prod"):
        read_stack_file(tmp_path, "test")


@pytest.mark.real_program
def test_plan_stack_of_another_project_reads_its_sep_egress_keys(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: consumer\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.mixed.yaml").write_text(
        'config:\n  consumer:vpcCidr: 10.0.0.0/16\n  sep-egress:mode: on-prem\n  sep-egress:version: "14.3 RU1"\n',
        encoding="utf-8",
    )
    result = run_cli("plan", "--stack", "mixed", "--project-dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "roles agent, sepm" in result.stdout


def test_a_key_with_another_colon_is_refused_not_ignored() -> None:
    from sep_egress.errors import ConfigError
    from sep_egress.settings import parse_stack_config

    base = {"sep-egress:mode": "on-prem", "sep-egress:version": "14.3 RU1"}
    with pytest.raises(ConfigError, match=r"sep-egress:aws:style: unknown field"):
        parse_stack_config({**base, "sep-egress:aws:style": "suricata"}, "s", ROOT)
    legacy = {"sep-egress:mode": "on-prem", "sep-egress:config:version": "14.3 RU1"}  # Pulumi's legacy spelling
    assert str(parse_stack_config(legacy, "s", ROOT).settings.version) == "14.3 RU1"


def test_the_prod_stack_declares_its_sepm_and_plans_agent_to_sepm() -> None:
    plan = read_stack_file(ROOT, "prod").plan()
    assert any(rule.cidr == SEPM and rule.port == 443 and rule.roles == ("agent",) for rule in plan.cidrs)


def test_a_stack_key_mistake_names_the_full_key() -> None:
    config = {"sep-egress:mode": "on-prem", "sep-egress:version": "14.3 RU1", "sep-egress:internal": {"sepm": ["x"]}}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config, "stacks/Pulumi.t.yaml", ROOT).plan()
    assert caught.value.problems[0][0] == "sep-egress:internal.sepm[0]"
    assert str(caught.value).startswith("stacks/Pulumi.t.yaml: sep-egress:internal.sepm[0]: 'x' is not a CIDR")
    engine = {**config, "sep-egress:internal": json.dumps({"sepm": [SEPM]})}  # as the Pulumi engine passes it
    plan = parse_stack_config(engine, "engine", ROOT).plan()
    assert {rule.ids for rule in plan.cidrs} == {("sepm-agent-https",)}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("overlays", "[" * 100_000 + "]" * 100_000, "nests deeper than 64 levels"),
        ("overlays", "[" * 70 + "]" * 70, "nests deeper than 64 levels"),
        ("internal", '{"a":' * 30_000 + "1" + "}" * 30_000, "nests deeper than 64 levels"),
    ],
)
def test_a_deeply_nested_json_value_is_one_line_and_exit_2(tmp_path: Path, key: str, value: str, message: str) -> None:
    """A stack value is JSON text when `pulumi config set` wrote an object or list: nesting past the YAML bound is
    refused with the setting's key, never a RecursionError."""
    write_stack(
        tmp_path, "deep", {"sep-egress:version": "14.3 RU1", "sep-egress:mode": "hybrid", f"sep-egress:{key}": value}
    )
    result = run_cli("plan", "--stack", "deep", "--project-dir", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert f"sep-egress:{key}: the JSON value {message}" in line


def test_a_stack_file_that_is_a_fifo_is_one_line_naming_no_empty_key(tmp_path: Path) -> None:
    """A problem of the whole file has no config key: the message says the file and the problem, without ': :'."""
    import os

    (tmp_path / "stacks").mkdir()
    os.mkfifo(tmp_path / "stacks" / "Pulumi.s.yaml")
    result = run_cli(
        "rule-groups", "--stack", "s", "--output-dir", str(tmp_path / "out"), "--project-dir", str(tmp_path)
    )
    assert result.returncode == 2 and not (tmp_path / "out").exists()
    assert result.stderr.strip().splitlines() == [
        "sep-egress rule-groups: error: stacks/Pulumi.s.yaml: cannot read the file (a FIFO, not a regular file; "
        "sep-egress reads only regular files)"
    ]
    assert (
        str(ConfigError("f.yaml", [("", "whole file"), ("a.b", "one key")]))
        == "f.yaml: whole file\nf.yaml: a.b: one key"
    )
