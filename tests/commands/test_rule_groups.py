"""sep-egress rule-groups: one CreateRuleGroup request (DryRun) per stateful rule group of a stack, validated by
botocore's network-firewall model, named as `pulumi up` names the groups, byte-identical across runs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from sep_egress.mock_engine import run_project
from sep_egress.preview import engine_config

from support import ROOT, call_main, run_cli

pytestmark = pytest.mark.pulumi

RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"


def create_rule_group_shape() -> Any:
    import botocore.session

    model = botocore.session.get_session().get_service_model("network-firewall")
    return model.operation_model("CreateRuleGroup").input_shape


def written(directory: Path) -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.iterdir())}


@pytest.mark.parametrize("stack", ["prod", "dev"])
def test_every_request_validates_against_botocore_and_matches_the_deployment(
    stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from botocore.validate import ParamValidator

    code, out, err = call_main(["rule-groups", "--stack", stack, "--output-dir", str(tmp_path / "out")], capsys)
    assert code == 0, err
    files = written(tmp_path / "out")
    assert out.splitlines() == [str(tmp_path / "out" / name) for name in files]
    # the same groups, names, capacities, rules and tags as the stack's (mock) deployment registers
    run = run_project(str(ROOT), stack, engine_config(ROOT, stack))
    groups = {group.inputs["name"]: group.inputs for group in run.of_type(RULE_GROUP)}
    assert set(files) == {f"{name}.json" for name in groups}
    shape = create_rule_group_shape()
    for name, request in files.items():
        report = ParamValidator().validate(request, shape)
        assert not report.has_errors(), (name, report.generate_report())
        assert set(request) == {"RuleGroupName", "Type", "Capacity", "RuleGroup", "Description", "Tags", "DryRun"}
        assert request["DryRun"] is True and request["Type"] == "STATEFUL"
        registered = groups[request["RuleGroupName"]]
        assert request["Capacity"] == registered["capacity"]
        assert request["Description"] == registered["description"]
        assert {tag["Key"]: tag["Value"] for tag in request["Tags"]} == registered["tags"]
        source = request["RuleGroup"]["RulesSource"]
        if "RulesString" in source:
            assert source["RulesString"] == registered["ruleGroup"]["rulesSource"]["rulesString"]
        else:
            listed = registered["ruleGroup"]["rulesSource"]["rulesSourceList"]
            assert source["RulesSourceList"]["Targets"] == listed["targets"]


def test_the_files_are_byte_identical_across_runs(tmp_path: Path) -> None:
    first = run_cli("rule-groups", "--stack", "prod", "--output-dir", str(tmp_path / "a"))
    second = run_cli("rule-groups", "--stack", "prod", "--output-dir", str(tmp_path / "b"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a, b = sorted((tmp_path / "a").iterdir()), sorted((tmp_path / "b").iterdir())
    assert [path.name for path in a] == [path.name for path in b] and a
    assert all(left.read_bytes() == right.read_bytes() for left, right in zip(a, b, strict=True))
    assert all(path.read_bytes().endswith(b"}\n") for path in a)
    # a rerun into the same directory overwrites its own files
    again = run_cli("rule-groups", "--stack", "prod", "--output-dir", str(tmp_path / "a"))
    assert again.returncode == 0, again.stderr


def test_the_validator_would_catch_a_broken_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The check above can fail: a capacity AWS refuses and a misspelt key are reported by botocore."""
    from botocore.validate import ParamValidator

    call_main(["rule-groups", "--stack", "prod", "--output-dir", str(tmp_path)], capsys)
    request = next(iter(written(tmp_path).values()))
    broken = {**request, "Capacity": "100", "DryRn": True}
    report = ParamValidator().validate(broken, create_rule_group_shape()).generate_report()
    assert "DryRn" in report and "Capacity" in report


def project_with(tmp_path: Path, aws: dict[str, Any] | None, name: str = "s") -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    config: dict[str, Any] = {"sep-egress:mode": "on-prem", "sep-egress:version": "14.3 RU1"}
    if aws is not None:
        config["sep-egress:aws"] = aws
    else:
        config["sep-egress:gcp"] = {"firewall": {}}
    (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return tmp_path


def test_default_names_are_the_per_stack_names_pulumi_up_uses(tmp_path: Path) -> None:
    """Without name_prefix: sep-egress-<project>-<stack>-<hash>, from the project's Pulumi.yaml and the stack (not
    the placeholders pulumi.get_project()/get_stack() return outside the engine)."""
    from sep_egress.aws import default_name_prefix

    project = project_with(tmp_path, {"source_cidrs": {"agent": ["10.10.0.0/16"]}}, name="staging")
    out = tmp_path / "out"
    result = run_cli("rule-groups", "--stack", "staging", "--output-dir", str(out), "--project-dir", str(project))
    assert result.returncode == 0, result.stderr
    prefix = default_name_prefix("sep-egress", "staging")
    names = [path.name for path in out.iterdir()]
    assert names and all(name.startswith(prefix + "-") for name in names)
    assert all(json.loads((out / name).read_text())["RuleGroupName"] + ".json" == name for name in names)


@pytest.mark.parametrize(
    ("aws", "message"),
    [
        (None, r"sep-egress:aws: the stack has no AWS block: no rule group to write"),
        ({"source_cidrs": {"agent": ["10.10.0.0/16"]}, "style": "iptables"}, r"sep-egress:aws: style"),
        ({"source_cidrs": {"agent": ["10.10.0.0/33"]}}, r"sep-egress:aws: source_cidrs"),
        ({"source_cidrs": {"agent": ["10.10.0.0/16"]}, "headroom": 5}, r"sep-egress:aws: headroom"),
    ],
)
def test_a_bad_stack_exits_2_with_one_line_naming_the_key(
    tmp_path: Path, aws: dict[str, Any] | None, message: str
) -> None:
    project = project_with(tmp_path, aws)
    out = tmp_path / "out"
    result = run_cli("rule-groups", "--stack", "s", "--output-dir", str(out), "--project-dir", str(project))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("sep-egress rule-groups: error: ")
    import re

    assert re.search(message, result.stderr), result.stderr
    assert not out.exists(), "nothing is written for an invalid stack"


def test_a_directory_with_other_files_is_refused_before_writing(tmp_path: Path) -> None:
    (tmp_path / "old-group.json").write_text("{}", encoding="utf-8")
    result = run_cli("rule-groups", "--stack", "prod", "--output-dir", str(tmp_path))
    assert result.returncode == 2
    assert "--output-dir" in result.stderr and "old-group.json" in result.stderr
    assert [path.name for path in tmp_path.iterdir()] == ["old-group.json"]
    afile = tmp_path / "old-group.json"
    result = run_cli("rule-groups", "--stack", "prod", "--output-dir", str(afile))
    assert result.returncode == 2 and "not a directory" in result.stderr


@pytest.mark.parametrize("kind", ["directory", "fifo", "symlink"])
def test_a_request_name_that_is_not_a_regular_file_is_refused_before_writing(tmp_path: Path, kind: str) -> None:
    """A rerun replaces the stack's own request files; a directory, a FIFO or a link leading elsewhere by one of
    those names is refused before any file is written (it used to stop the run halfway, or block, or write
    through the link)."""
    first = run_cli("rule-groups", "--stack", "prod", "--output-dir", str(tmp_path / "first"))
    assert first.returncode == 0
    names = sorted(path.name for path in (tmp_path / "first").iterdir())
    directory = tmp_path / "again"
    directory.mkdir()
    last = directory / names[-1]
    outside = tmp_path / "outside.json"
    outside.write_text("{}", encoding="utf-8")
    {"directory": last.mkdir, "fifo": lambda: os.mkfifo(last), "symlink": lambda: last.symlink_to(outside)}[kind]()
    result = run_cli("rule-groups", "--stack", "prod", "--output-dir", str(directory), timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "not a regular file" in result.stderr and names[-1] in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert [path.name for path in directory.iterdir()] == [names[-1]]
    assert outside.read_text(encoding="utf-8") == "{}"


def test_the_written_paths_are_printed_one_per_line_whatever_the_directory_name(tmp_path: Path) -> None:
    """A line break or a bidi override in DIR is shown escaped: each written file stays one line of stdout."""
    directory = tmp_path / "out\nforged\u202e"
    result = run_cli("rule-groups", "--stack", "prod", "--output-dir", str(directory))
    assert result.returncode == 0
    written = sorted(path.name for path in directory.iterdir())
    assert result.stdout.splitlines() == [f"{tmp_path}/out\\nforged\\u202e/{name}" for name in written]
