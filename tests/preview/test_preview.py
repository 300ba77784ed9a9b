"""``sep-egress preview``: every shipped stack runs offline, its controls allow what its plan says, a bad config
registers nothing, and ``--base`` diffs against another git revision."""

from __future__ import annotations

import json
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from sep_egress.catalog.vendor.plan import EgressPlan
from sep_egress.errors import ConfigError
from sep_egress.mock_engine import MockRun, run_program, run_project
from sep_egress.preview import Preview, destinations, engine_config, render_markdown, run_preview
from sep_egress.settings import read_stack_file

from support import ROOT, run_cli

pytestmark = pytest.mark.pulumi

STACKS = sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in (ROOT / "stacks").glob("Pulumi.*.yaml"))
NFW_RULE_GROUP = "aws:networkfirewall/ruleGroup:RuleGroup"
NGFW_POLICY = "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules"


def test_the_required_stacks_exist() -> None:
    assert {"dev", "prod", "gcp-cloud"} <= set(STACKS)


@pytest.mark.real_program
@pytest.mark.parametrize("stack", STACKS)
def test_each_control_allows_exactly_the_plan(stack: str) -> None:
    config = read_stack_file(ROOT, stack)
    plan: EgressPlan = config.plan()
    preview = run_preview(ROOT, stack)
    settings = config.settings
    assert preview.resources, "a stack must create its controls"
    assert preview.warnings[0]["code"] == "tls-inspection-bypass"
    if settings.aws is not None:
        sources = settings.aws.get("source_cidrs", {})
        groups = [resource for resource in preview.resources if resource.type == NFW_RULE_GROUP]
        allowed: set[str] = set()
        for group in groups:
            allowed |= destinations(group.inputs)
        needed = {rule for rule in plan.allow if any(role in sources for role in rule.roles)}
        if settings.aws.get("style", "suricata") == "suricata":
            assert allowed == {f"{rule.host}:{rule.port}" for rule in needed}
        else:
            assert allowed == {rule.host for rule in needed}
    if settings.gcp is not None:
        (policy,) = [resource for resource in preview.resources if resource.type == NGFW_POLICY]
        allowed = destinations(policy.inputs)
        private_access = bool(settings.gcp["firewall"].get("options", {}).get("private_google_access"))
        expected = {
            f"{rule.host}:{rule.port}"
            for rule in plan.allow
            if not (private_access and rule.host == "storage.googleapis.com")
        }
        assert allowed == expected
        rules = policy.inputs["rules"]
        assert all(rule.get("enableLogging") for rule in rules)
        assert not any(
            "0.0.0.0/0" in rule.get("match", {}).get("destIpRanges", []) and rule["action"] == "allow" for rule in rules
        )


@pytest.mark.real_program
def test_preview_json_contract() -> None:
    result = run_cli("preview", "--stack", "prod", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert {"stack", "resources", "warnings"} <= set(document)
    assert document["stack"] == "prod"
    types = {resource["type"] for resource in document["resources"]}
    assert {NFW_RULE_GROUP, NGFW_POLICY, "gcp:compute/routerNat:RouterNat"} <= types
    for resource in document["resources"]:
        assert set(resource) == {"type", "name", "parent", "inputs"}
    children = [resource for resource in document["resources"] if resource["type"] == NFW_RULE_GROUP]
    assert {child["parent"] for child in children} == {"sep-egress:aws:NetworkFirewallAllowlist::sep-egress"}


@pytest.mark.real_program
def test_preview_is_byte_identical_across_runs() -> None:
    command = [sys.executable, "-m", "sep_egress", "preview", "--stack", "gcp-cloud", "--format", "markdown"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=True).stdout
    second = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, check=True).stdout
    assert first == second
    assert first.startswith("### sep-egress preview: stack `gcp-cloud`")


def copy_project(target: Path) -> Path:
    """The project's tracked files in a throwaway folder (what a clone would hold)."""
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    target.mkdir()
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    # The working tree may be ahead of HEAD while developing: use its versions of the files under test.
    for name in ("components", "stacks", "examples", "__main__.py", "Pulumi.yaml"):
        source = ROOT / name
        destination = target / name
        if source.is_dir():
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination)
    return target


def write_stack(project: Path, name: str, config: dict[str, object]) -> None:
    (project / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")


BAD_CONFIGS = [
    ({"sep-egress:aws": {"style": "domain-list", "source_cidrz": {}}}, "sep-egress:aws", "source_cidrz"),
    ({"sep-egress:aws": {"source_cidrs": {"agent": ["10.0.0.1/8"]}}}, "sep-egress:aws", "10.0.0.1/8"),
    ({"sep-egress:aws": {"source_cidrs": {"agent": ["0.0.0.0/0"]}}}, "sep-egress:aws", "0.0.0.0/0"),
    ({"sep-egress:gcp": {"firewal": {}}}, "sep-egress:gcp.firewal", "unknown part"),
    ({"sep-egress:gcp": {"firewall": {"options": {"networks": []}, "targets": {"agent": {}}}}}, "sep-egress:gcp", ""),
    ({}, "sep-egress:aws", "configure at least one cloud"),
    (
        {"sep-egress:aws": {"source_cidrs": {"agent": ["10.0.0.0/8"]}, "storage": "aws"}},
        "sep-egress:aws",
        "set sep-egress:storage",
    ),
    ({"sep-egress:gcp": {"firewall": [1, 2]}}, "sep-egress:gcp.firewall", "a mapping of arguments is expected"),
    ({"sep-egress:version": "14.3 SP1", "sep-egress:aws": {}}, "sep-egress:version", "not a product version"),
]


@pytest.mark.real_program
@pytest.mark.parametrize(("extra", "key", "words"), BAD_CONFIGS)
def test_a_bad_config_names_its_key_and_registers_nothing(
    tmp_path: Path, extra: dict[str, object], key: str, words: str
) -> None:
    project = copy_project(tmp_path / "project")
    config: dict[str, object] = {"sep-egress:mode": "on-prem", "sep-egress:version": "14.3 RU1", **extra}
    write_stack(project, "bad", config)
    values = engine_config(project, "bad", validate=False)
    record = MockRun()
    program = str(project / "__main__.py")
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the engine's RunError carries the message
        run_program(lambda: runpy.run_path(program), stack="bad", config=values, record=record)
    assert type(caught.value).__name__ == "RunError"
    message = str(caught.value)
    assert key in message and words in message
    assert record.resources == []


@pytest.mark.real_program
def test_the_cli_reports_a_bad_stack_in_one_message(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    write_stack(
        project,
        "bad",
        {
            "sep-egress:mode": "on-prem",
            "sep-egress:version": "14.3 RU1",
            "sep-egress:aws": {"source_cidrs": {"agent": ["10.0.0.0/8"]}, "style": "nope"},
            "sep-egress:gcp": {"firewall": {"options": {}}, "nat": "x"},
        },
    )
    result = subprocess.run(
        [sys.executable, "-m", "sep_egress", "preview", "--stack", "bad", "--project-dir", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "sep-egress:aws: style" in result.stderr
    assert "sep-egress:gcp.nat: a mapping of arguments is expected" in result.stderr


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )


def preview_cli(project: Path, *args: str) -> str:
    """``sep-egress preview --stack prod ARGS`` in ``project``; fails the test with its stderr if it fails."""
    result = run_cli("preview", "--stack", "prod", *args, cwd=project, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.real_program
def test_base_diff_shows_the_host_a_change_adds_and_what_it_replaces(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "base")
    overlay = project / "examples" / "overlays" / "corporate.yaml"
    document = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    document["entries"].append(
        {"id": "corp-new", "role": "agent", "usage": {"en": "new"}, "urls": ["https://new.corp.example.com"]}
    )
    overlay.write_text(yaml.safe_dump(document), encoding="utf-8")
    git(project, "commit", "-qam", "add a host")
    diff = json.loads(preview_cli(project, "--base", "HEAD~1", "--format", "json"))["diff"]
    assert diff["summary"]["add"] == 0 and diff["summary"]["remove"] == 0
    assert diff["summary"]["replace"] == 0
    changed = {(item["type"], item["name"]): item for item in diff["changed"]}
    group = next(item for key, item in changed.items() if key[0] == NFW_RULE_GROUP)
    assert group["hosts_added"] == ["new.corp.example.com:443"]
    assert group["action"] == "update"
    policy = changed[(NGFW_POLICY, "sep-egress-policy")]
    assert policy["hosts_added"] == ["new.corp.example.com:443"]

    # A capacity change forces a replacement, and the diff says why (prod's groups are shared through RAM: held at
    # min_capacity, changed only with allow_shared_replacement).
    stack = project / "stacks" / "Pulumi.prod.yaml"
    stack.write_text(
        stack.read_text(encoding="utf-8").replace(
            "min_capacity: 100", "min_capacity: 500\n    allow_shared_replacement: true"
        ),
        encoding="utf-8",
    )
    git(project, "commit", "-qam", "bigger groups")
    diff = json.loads(preview_cli(project, "--base", "HEAD~1", "--format", "json"))["diff"]
    replaced = [item for item in diff["changed"] if item["action"] == "replace"] + diff["added"]
    assert replaced, diff["summary"]
    markdown = preview_cli(project, "--base", "HEAD~2", "--format", "markdown")
    assert "allows new.corp.example.com:443" in markdown


@pytest.mark.real_program
def test_an_unknown_base_revision_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("preview", "--stack", "dev", "--base", "no-such-ref")
    assert result.returncode == 2
    assert "--base no-such-ref: cannot read that revision" in result.stderr


@pytest.mark.real_program
def test_the_program_runs_in_a_copied_project(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    run = run_project(str(project), "dev", engine_config(project, "dev"))
    assert run.of_type(NFW_RULE_GROUP)
    with pytest.raises(ConfigError):
        engine_config(project, "missing")


@pytest.mark.real_program
def test_the_text_preview_shows_sources_and_what_each_rule_allows() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sep_egress", "preview", "--stack", "prod"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "sources SEPM_NET = 10.20.0.10/32" in lines
    assert "allow $SEPM_NET -> services-prod.symantec.com:443 (tls)" in lines
    assert "allow $SEP_AGENT_NET -> 10.20.30.0/28:3128 (tcp)" in lines
    sepm_rule = next(line for line in lines if "[sepm@sep-prod-network.iam.gserviceaccount.com] tcp:443" in line)
    # prod's SEPM runs the SEP client too (targets.managers.runs_agent): its rule carries the agent's hosts as well.
    assert "services-prod.symantec.com" in sepm_rule and "sp.cwfservice.net" in sepm_rule
    assert any(
        line.endswith("deny egress [sepm@sep-prod-network.iam.gserviceaccount.com] all:* -> 0.0.0.0/0")
        for line in lines
    )


@pytest.mark.real_program
def test_a_stack_written_by_pulumi_config_set_previews_as_its_typed_twin(tmp_path: Path) -> None:
    """`pulumi config set` stores top-level values as strings (objects as JSON text): the offline preview reads
    them as the engine does, and registers exactly what the hand-typed stack file registers."""
    # The same stack name in two copies of the project: physical names may depend on the stack's name.
    typed_project, strings_project = copy_project(tmp_path / "typed"), copy_project(tmp_path / "strings")
    aws = {"style": "suricata", "source_cidrs": {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]}}
    typed = {"sep-egress:mode": "on-prem", "sep-egress:version": "14.2", "sep-egress:proxy": True}
    write_stack(typed_project, "set", {**typed, "sep-egress:roles": ["console"], "sep-egress:aws": aws})
    as_strings = {**typed, "sep-egress:proxy": "true", "sep-egress:roles": '["console"]'}
    write_stack(strings_project, "set", {**as_strings, "sep-egress:aws": json.dumps(aws)})
    first, second = run_preview(typed_project, "set"), run_preview(strings_project, "set")
    assert [resource.to_dict() for resource in second.resources] == [resource.to_dict() for resource in first.resources]
    assert second.outputs["selection"]["proxy"] is True


@pytest.mark.real_program
def test_settings_only_esc_would_provide_get_a_clear_message(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "stacks" / "Pulumi.esc.yaml").write_text(
        "environment:\n  - network/prod\nconfig:\n  sep-egress:mode: cloud\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        run_preview(project, "esc")
    assert caught.value.problems[0][0] == "sep-egress:version"
    assert "ESC environment(s) network/prod" in str(caught.value)


def test_an_address_description_change_replaces_unless_the_program_ignores_it() -> None:
    """Every field of a Compute address is immutable; the NAT component ignores description changes, so a new
    description text never replaces an address (and changes an egress IP)."""
    from sep_egress.preview import Preview, PreviewResource, diff_previews

    kind = "gcp:compute/address:Address"
    old = {"name": "sep-egress-nat-1", "description": "old text", "region": "europe-west1"}
    new = {**old, "description": "new text"}

    def one(inputs: dict[str, object], ignored: tuple[str, ...] = ()) -> Preview:
        return Preview(stack="s", resources=[PreviewResource(kind, "nat-1", None, inputs, ignored)], outputs={})

    [changed] = diff_previews(one(old), one(new))["changed"]
    assert changed["action"] == "replace" and changed["replace_because"] == ["description"]
    assert diff_previews(one(old), one(new, ("description",)))["changed"] == []


@pytest.mark.real_program
def test_the_nat_component_ignores_address_description_changes() -> None:
    from sep_egress.gcp import EgressNat
    from sep_egress.mock_engine import run_program

    args = {
        "selection": {"version": "14.3 RU1", "mode": "cloud"},
        "options": {"region": "europe-west1", "network": "projects/p/global/networks/n", "subnetworks": ["s"]},
    }
    run = run_program(lambda: EgressNat("nat", args))
    addresses = run.of_type("gcp:compute/address:Address")
    assert addresses and all(address.ignore_changes == ("description",) for address in addresses)


def test_overlay_text_cannot_close_the_markdown_details() -> None:
    message = "x</details>\n\n<details><summary>Nothing to see</summary>\n\n"
    preview = Preview(stack="dev", resources=[], outputs={}, warnings=[{"code": "shared-host", "message": message}])
    text = render_markdown(preview)
    tokens = MarkdownIt("commonmark").parse(text)
    html = "".join(token.content for token in tokens if token.type == "html_block") + "".join(
        child.content
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "html_inline"
    )
    assert html.count("<details>") == html.count("</details>") == 2  # the preview's own two sections
    assert "Nothing to see" not in html


@pytest.mark.real_program
def test_the_preview_runs_the_program_main_names_and_says_when_there_is_none(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: other\nruntime: python\nmain: app/\n", encoding="utf-8")
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", project / "Pulumi.dev.yaml")
    missing = run_cli("preview", "--stack", "dev", "--project-dir", str(project))
    assert missing.returncode == 2 and "no Python program" in missing.stderr and "Traceback" not in missing.stderr
    shutil.copy(ROOT / "__main__.py", project / "app" / "__main__.py")
    found = run_cli("preview", "--stack", "dev", "--project-dir", str(project), "--format", "json")
    assert found.returncode == 0, found.stderr
    assert '"aws:networkfirewall/ruleGroup:RuleGroup"' in found.stdout


@pytest.mark.real_program
def test_the_prod_preview_shows_agent_to_sepm_allowed_on_both_clouds() -> None:
    from sep_egress.preview import render_text, run_preview

    text = render_text(run_preview(ROOT, "prod"))
    assert "allow $SEP_AGENT_NET -> 10.20.0.10/32:443 (tcp)" in text
    assert "allow $SEP_CONSOLE_NET -> 10.20.0.10/32:8443 (tcp)" in text
    assert "[sep-agent@sep-prod-network.iam.gserviceaccount.com] tcp:443 -> 10.20.0.10/32" in text
    assert "tcp:8443/8445 -> 10.20.0.10/32" in text


def test_the_prod_preview_shows_the_outputs_operators_need() -> None:
    """Endpoint ids per AZ (the mock engine's documented placeholders), the policy and group ARNs, what RAM shares
    (never the guard) and the log groups the component creates."""
    result = run_cli("preview", "--stack", "prod", "--format", "json")
    assert result.returncode == 0, result.stderr
    outputs = json.loads(result.stdout)["outputs"]
    assert outputs["awsFirewallEndpointIds"] == {
        "az-of-subnet-0a1b2c3d4e5f60718": "vpce-mock-subnet-0a1b2c3d4e5f60718",
        "az-of-subnet-0f1e2d3c4b5a69788": "vpce-mock-subnet-0f1e2d3c4b5a69788",
    }
    assert outputs["awsFirewallPolicyArn"].endswith("sep-egress-policy")
    by_name = outputs["awsRuleGroupArnsByName"]
    assert sorted(by_name.values()) == sorted(outputs["awsRuleGroupArns"])
    assert all(name.startswith("sep-egress-") for name in by_name)
    guard_arn = next(arn for name, arn in by_name.items() if name.startswith("sep-egress-guard-"))
    assert guard_arn not in [reference["arn"] for reference in outputs["awsSharedRuleGroupReferences"]]
    assert outputs["awsLogDestinations"] == {
        "ALERT": "/aws/vendedlogs/sep-egress/prod/alerts",
        "FLOW": "/aws/vendedlogs/sep-egress/prod/flows",
    }
    text = run_cli("preview", "--stack", "prod").stdout
    assert "Outputs for operators" in text
    assert 'awsFirewallEndpointIds: {"az-of-subnet-0a1b2c3d4e5f60718": "vpce-mock-subnet-0a1b2c3d4e5f60718"' in text
