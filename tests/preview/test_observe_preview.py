"""Observe → enforce, as the offline preview shows it for every shipped stack: ``sep-egress:enforcement: observe``
changes nothing but what refuses (AWS rule actions and stateful default actions, GCP deny actions, and their
logging), and the observe preview holds nothing that could refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support import ROOT, run_cli

STACKS = sorted(
    path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in (ROOT / "stacks").glob("Pulumi.*.yaml")
)
REFUSING = ("drop", "reject")


def preview(stack: str, project: Path) -> dict[str, Any]:
    result = run_cli("preview", "--stack", stack, "--project-dir", str(project), "--format", "json", timeout=300)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def project_in(tmp_path: Path, stack: str, enforcement: str) -> Path:
    """A copy of the project whose stack file sets ``sep-egress:enforcement`` (everything else linked)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py", "requirements.txt", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "stacks").mkdir()
    text = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8")
    assert "sep-egress:enforcement" not in text
    text = text.replace("\nconfig:\n", f"\nconfig:\n  sep-egress:enforcement: {enforcement}\n", 1)
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def differences(left: Any, right: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any, Any]]:
    if isinstance(left, dict) and isinstance(right, dict):
        return [
            item
            for key in sorted(set(left) | set(right))
            for item in differences(left.get(key), right.get(key), (*path, key))
        ]
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [
            item
            for index, pair in enumerate(zip(left, right, strict=True))
            for item in differences(*pair, (*path, index))
        ]
    return [] if left == right else [(path, left, right)]


def rule_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.real_program
@pytest.mark.parametrize("stack", STACKS)
def test_observe_differs_from_enforce_only_in_what_refuses(stack: str, tmp_path: Path) -> None:
    enforce = preview(stack, project_in(tmp_path / "enforce", stack, "enforce"))
    observe = preview(stack, project_in(tmp_path / "observe", stack, "observe"))
    by_key = {(item["type"], item["name"]): item for item in enforce["resources"]}
    assert sorted(by_key) == sorted((item["type"], item["name"]) for item in observe["resources"])
    changed = 0
    for item in observe["resources"]:
        for path, before, after in differences(by_key[(item["type"], item["name"])]["inputs"], item["inputs"]):
            changed += 1
            where = f"{item['name']}: {'.'.join(map(str, path))}"
            if path[-1] == "rulesString":
                old, new = rule_lines(before), rule_lines(after)
                assert len(old) == len(new), where
                for was, now in zip(old, new, strict=True):
                    if was != now:  # the action word, and nothing else of the rule (same sid, same message)
                        action, _, rest = was.partition(" ")
                        assert action in REFUSING and now == f"alert {rest}", (where, was, now)
            elif path[-1] == "statefulDefaultActions":
                assert after and all(action.startswith("aws:alert_") for action in after), (where, after)
                assert {action for action in before if action.startswith("aws:alert_")} == set(after), where
            elif path[-1] == "action":
                assert (before, after) == ("deny", "allow"), where
            elif path[-1] == "enableLogging":
                assert after is True, where
            else:
                raise AssertionError(f"{where}: {before!r} -> {after!r} is not an action")
    assert changed, f"{stack}: observe changed nothing"


@pytest.mark.real_program
@pytest.mark.parametrize("stack", STACKS)
def test_the_observe_preview_holds_nothing_that_could_refuse(stack: str, tmp_path: Path) -> None:
    observe = preview(stack, project_in(tmp_path, stack, "observe"))
    for item in observe["resources"]:
        inputs = item["inputs"]
        rules = (inputs.get("ruleGroup") or {}).get("rulesSource", {}).get("rulesString")
        if isinstance(rules, str):
            refusing = [line for line in rule_lines(rules) if line.split(" ", 1)[0] in REFUSING]
            assert not refusing, (item["name"], refusing[:2])
        policy = inputs.get("firewallPolicy")
        if isinstance(policy, dict):
            assert not [action for action in policy.get("statefulDefaultActions", []) if "drop" in action]
        for rule in inputs.get("rules", []) if isinstance(inputs.get("rules"), list) else []:
            if isinstance(rule, dict) and "action" in rule and "direction" in rule:
                assert rule["action"] != "deny", (item["name"], rule.get("ruleName"), rule.get("priority"))
