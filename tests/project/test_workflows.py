"""The pull-request workflows keep their safety properties: untrusted code never meets secrets or a write token."""

from __future__ import annotations

import re
from typing import Any

import yaml

from sep_egress.catalog import load_catalog

from support import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


def test_the_offline_preview_runs_untrusted_code_without_secrets_or_write_access() -> None:
    text = (WORKFLOWS / "preview-offline.yml").read_text(encoding="utf-8")
    document = load("preview-offline.yml")
    assert "pull_request" in document[True]  # YAML reads the key `on` as True
    assert "pull_request_target" not in text
    assert document["permissions"] == {"contents": "read"}
    assert "secrets." not in text
    assert any("sep-egress preview" in step.get("run", "") for step in steps(document))


def test_the_commenter_never_checks_out_or_runs_pull_request_code() -> None:
    document = load("preview-comment.yml")
    assert "workflow_run" in document[True]
    uses = [step.get("uses", "") for step in steps(document)]
    assert not any(action.startswith("actions/checkout") for action in uses)
    runs = " ".join(step.get("run", "") for step in steps(document))
    assert "make" not in runs and "python" not in runs and "sep-egress" not in runs
    # The pull-request number comes from untrusted code: it must be checked against the run's head commit.
    assert "headRefOid" in runs and "RUN_HEAD_SHA" in runs
    assert any(
        step.get("env", {}).get("RUN_HEAD_SHA") == "${{ github.event.workflow_run.head_sha }}"
        for step in steps(document)
    )


def test_the_real_preview_is_limited_to_branches_of_this_repository() -> None:
    document = load("pulumi-preview.yml")
    job = document["jobs"]["preview"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    pulumi_step = next(step for step in job["steps"] if step.get("uses", "").startswith("pulumi/actions"))
    assert pulumi_step["with"]["comment-on-pr"] is True
    stacks = {path.name[len("Pulumi.") : -len(".yaml")] for path in (ROOT / "stacks").glob("Pulumi.*.yaml")}
    assert set(job["strategy"]["matrix"]["stack"]) == stacks


USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>\S+?)@(?P<ref>\S+)(?P<comment>.*)$")


def all_workflows() -> list[str]:
    return sorted(path.name for path in WORKFLOWS.glob("*.yml"))


def test_every_action_is_pinned_by_commit_with_its_tag_in_a_comment() -> None:
    found = 0
    for name in all_workflows():
        for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
            if "uses:" not in line or line.lstrip().startswith("#"):
                continue
            match = USES.match(line)
            assert match, f"{name}: {line.strip()}"
            found += 1
            # A tag or branch can be moved to other code; a full commit SHA cannot.
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"{name}: {line.strip()} is not pinned by commit"
            assert re.fullmatch(r"\s+# v\d+(?:\.\d+)*", match["comment"]), f"{name}: {line.strip()} names no tag"
    assert found >= 8


def test_checkouts_leave_no_credentials_behind() -> None:
    for name in all_workflows():
        for step in steps(load(name)):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False, name


def test_cloud_credentials_are_minted_only_in_a_job_bound_to_a_protected_environment() -> None:
    for name in all_workflows():
        document = load(name)
        assert "id-token" not in (document.get("permissions") or {}), f"{name}: id-token at workflow level"
        for job_name, job in document["jobs"].items():
            permissions = job.get("permissions") or {}
            uses = [str(step.get("uses", "")) for step in job["steps"]]
            if permissions.get("id-token") == "write" and all(u.startswith("actions/deploy-pages@") for u in uses):
                # A Pages deployment: its OIDC token is only exchanged for the deployment, in the Pages environment.
                assert job["environment"]["name"] == "github-pages" and "contents" not in permissions, name
                continue
            if permissions.get("id-token") == "write":
                assert job.get("environment") == "pulumi-preview", f"{name}:{job_name} has no environment"
                assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
            uses = [str(step.get("uses", "")) for step in job["steps"]]
            if any(action.startswith(("aws-actions/", "google-github-actions/auth")) for action in uses):
                assert permissions.get("id-token") == "write" and job.get("environment"), f"{name}:{job_name}"
    text = (WORKFLOWS / "pulumi-preview.yml").read_text(encoding="utf-8")
    assert "Required reviewers" in text and "environment:pulumi-preview" in text


def test_the_comment_says_it_comes_from_the_pull_requests_own_code() -> None:
    run = " ".join(step.get("run", "") for step in steps(load("preview-comment.yml")))
    banner = run.index("Produced by this pull request's own code")
    assert banner < run.index("head -c 60000 preview.md")  # above the untrusted markdown, not inside it


def test_the_catalog_check_runs_only_trusted_code_with_least_privilege() -> None:
    text = (WORKFLOWS / "catalog-verify.yml").read_text(encoding="utf-8")
    document = load("catalog-verify.yml")
    triggers = document[True]
    assert set(triggers) == {"schedule", "workflow_dispatch"}  # never pull-request code
    assert triggers["schedule"] and all("cron" in item for item in triggers["schedule"])
    assert document["permissions"] == {"contents": "read", "issues": "write"}
    assert "secrets." not in text and "id-token" not in text
    for forbidden in ("pull_request", "configure-aws-credentials", "google-github-actions/auth", "pulumi/actions"):
        assert forbidden not in text
    for step in steps(document):
        action = step.get("uses")
        if action:  # a third-party action must be pinned to a full commit
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
    runs = " ".join(step.get("run", "") for step in steps(document))
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
