"""examples/python-consumer: another team's Python stack using sep-egress as a library, run under the mock engine
so the example keeps working as the library moves."""

from __future__ import annotations

import json
import runpy
import sys
from typing import Any

import jsonschema
import pytest
import yaml

from sep_egress.mock_engine import MockRun, run_program

from support import PROJECT_SCHEMA, ROOT

pytestmark = pytest.mark.pulumi

EXAMPLE = ROOT / "examples" / "python-consumer"
PROJECT = yaml.safe_load((EXAMPLE / "Pulumi.yaml").read_text(encoding="utf-8"))


def run_example(config: dict[str, Any] | None = None) -> MockRun:
    values = {f"{PROJECT['name']}:{key}": value if isinstance(value, str) else json.dumps(value)
              for key, value in (config or {}).items()}  # fmt: skip
    return run_program(
        lambda: runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="__main__"),
        project=PROJECT["name"],
        config=values,
    )


def test_project_file_is_valid() -> None:
    schema = json.loads(PROJECT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(PROJECT)
    assert PROJECT["runtime"]["name"] == "python"
    assert set(PROJECT["config"]) == {"version", "agentCidrs", "managerCidrs"}


@pytest.mark.real_program
def test_example_deploys_the_allowlist_from_its_plan() -> None:
    run = run_example()
    [component] = run.of_type("sep-egress:aws:NetworkFirewallAllowlist")
    groups = run.of_type("aws:networkfirewall/ruleGroup:RuleGroup")
    assert groups and all(group.parent == component.urn for group in groups)
    assert run.of_type("aws:networkfirewall/firewallPolicy:FirewallPolicy")
    assert run.outputs["catalogVersion"] == "2026.11.28"
    assert "liveupdate.symantec.com" in run.outputs["allowedHosts"]
    assert len(run.outputs["ruleGroupArns"]) == len(groups)
    rules = "\n".join(group.inputs["ruleGroup"]["rulesSource"]["rulesString"] for group in groups)
    assert "$SEP_AGENT_NET" in rules and "$SEPM_NET" in rules


@pytest.mark.real_program
def test_example_reads_its_configuration() -> None:
    run = run_example({"version": "14.3 MP1", "agentCidrs": ["172.16.0.0/12"], "managerCidrs": ["172.16.5.5/32"]})
    [policy] = run.of_type("aws:networkfirewall/firewallPolicy:FirewallPolicy")
    variables = policy.inputs["firewallPolicy"]["policyVariables"]["ruleVariables"]
    assert variables == [{"key": "HOME_NET", "ipSet": {"definitions": ["172.16.0.0/12", "172.16.5.5/32"]}}]


@pytest.mark.real_program
def test_example_passes_the_policy_pack() -> None:
    sys.path.insert(0, str(ROOT / "policy"))
    try:
        from sep_egress_policy import checks
    finally:
        sys.path.remove(str(ROOT / "policy"))
    for resource in run_example().resources:
        assert checks.allow_all_egress(resource.type, resource.inputs) == []
        assert checks.hosts_outside_catalog(resource.type, resource.inputs, {}) == []
        assert checks.logging_off(resource.type, resource.inputs, urn=resource.urn, parent=resource.parent) == []


@pytest.mark.real_program
def test_a_bad_version_stops_the_example_before_any_resource() -> None:
    record = MockRun()
    with pytest.raises(Exception, match="not a product version"):
        run_program(
            lambda: runpy.run_path(str(EXAMPLE / "__main__.py"), run_name="__main__"),
            project=PROJECT["name"],
            config={f"{PROJECT['name']}:version": "fourteen"},
            record=record,
        )
    assert record.resources == []


def test_the_python_snippet_of_docs_reuse_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    document = (ROOT / "docs" / "reuse.md").read_text(encoding="utf-8")
    [snippet] = re.findall(r"```python\n(.*?)```", document, re.DOTALL)
    monkeypatch.chdir(ROOT)  # the snippet loads examples/overlays/corporate.yaml from the checkout
    run = run_program(lambda: exec(snippet, {"__name__": "__main__"}))  # noqa: S102 - our own documentation
    assert run.of_type("sep-egress:aws:NetworkFirewallAllowlist")
    assert run.outputs["tls_inspection_bypass"]
    [firewall] = run.of_type("aws:networkfirewall/firewall:Firewall")
    assert firewall.inputs["vpcId"] == "inspection-id"  # the VPC's id, an Output, passed through


@pytest.mark.real_program
def test_sep_egress_preview_runs_the_example_with_its_own_namespace(tmp_path: Any) -> None:
    """`sep-egress preview --project-dir examples/python-consumer --stack dev`: the project's name is the namespace
    of its settings, its stack file is beside its Pulumi.yaml (no stackConfigDir), its program is its own."""
    import shutil
    import subprocess

    project = tmp_path / "consumer"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("venv"))
    stack = yaml.safe_load((project / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    stack["config"]["sep-egress-python-consumer:agentCidrs"] = ["172.16.0.0/12"]
    stack["config"]["other-project:agentCidrs"] = ["192.0.2.0/24"]  # another namespace: not the example's setting
    (project / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sep_egress",
            "preview",
            "--project-dir",
            str(project),
            "--stack",
            "dev",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    preview = json.loads(result.stdout)
    by_type = {resource["type"]: resource for resource in preview["resources"]}
    policy = by_type["aws:networkfirewall/firewallPolicy:FirewallPolicy"]
    home_net = policy["inputs"]["firewallPolicy"]["policyVariables"]["ruleVariables"]
    assert home_net == [{"key": "HOME_NET", "ipSet": {"definitions": ["10.20.0.10/32", "172.16.0.0/12"]}}]
    assert by_type["aws:networkfirewall/firewall:Firewall"]["inputs"]["vpcId"] == "inspection-id"


def test_the_example_stack_file_is_what_pulumi_config_set_writes() -> None:
    stack = yaml.safe_load((EXAMPLE / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    ours = {key.split(":", 1)[1] for key in stack["config"] if key.startswith(f"{PROJECT['name']}:")}
    assert ours == set(PROJECT["config"])
    assert isinstance(stack["config"][f"{PROJECT['name']}:version"], str)


def test_planning_the_example_says_its_keys_are_its_programs_own() -> None:
    from sep_egress.errors import ConfigError
    from sep_egress.settings import read_stack_file

    with pytest.raises(ConfigError) as caught:
        read_stack_file(EXAMPLE, "dev")
    keys = [key for key, _ in caught.value.problems]
    assert keys[:2] == [f"{PROJECT['name']}:agentCidrs", f"{PROJECT['name']}:managerCidrs"]
    assert "sep-egress preview --stack" in caught.value.problems[-1][1]


KEYWORD_CALL = """allowlist = NetworkFirewallAllowlist(
    "sep-egress",
    plan=plan,
    source_cidrs=sources,
    firewall=FirewallSettings(vpc_id=vpc.id, subnet_ids=[firewall_subnet.id]),
    # The stack owns its log group: the component takes it by name instead of creating one.
    logging=LoggingSettings(alert_destination=alerts.name, create_log_groups=False),
)
"""
ARGS_CALL = """allowlist = NetworkFirewallAllowlist(
    "sep-egress",
    NetworkFirewallAllowlistArgs(
        plan=plan,
        source_cidrs=sources,
        firewall=FirewallSettings(vpc_id=vpc.id, subnet_ids=[firewall_subnet.id]),
        logging=LoggingSettings(alert_destination=alerts.name, create_log_groups=False),
    ),
    pulumi.ResourceOptions(protect=True),
)
"""


def preview_consumer(tmp_path: Any, program: str) -> Any:
    """The example copied outside the repository with ``program`` as its __main__.py, previewed by the installed
    ``sep-egress`` in a fresh interpreter (the library imported as a consumer imports it)."""
    import shutil
    import subprocess

    project = tmp_path / "consumer"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    (project / "__main__.py").write_text(program, encoding="utf-8")
    assert not project.resolve().is_relative_to(ROOT.resolve())
    command = [sys.executable, "-m", "sep_egress", "preview", "--project-dir", str(project), "--stack", "dev"]
    return subprocess.run(
        [*command, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )


@pytest.mark.real_program
@pytest.mark.parametrize("style", ["keywords", "args"])
def test_a_consumer_outside_the_repository_uses_both_call_styles(tmp_path: Any, style: str) -> None:
    source = (EXAMPLE / "__main__.py").read_text(encoding="utf-8")
    assert KEYWORD_CALL in source  # the example itself is written in the keyword style
    program = source if style == "keywords" else source.replace(KEYWORD_CALL, ARGS_CALL)
    result = preview_consumer(tmp_path, program)
    assert result.returncode == 0, result.stderr
    resources = json.loads(result.stdout)["resources"]
    [component] = [item for item in resources if item["type"] == "sep-egress:aws:NetworkFirewallAllowlist"]
    [firewall] = [item for item in resources if item["type"] == "aws:networkfirewall/firewall:Firewall"]
    assert firewall["inputs"]["vpcId"] == "inspection-id"  # an Output of the consumer's own VPC, passed through
    assert any(item["type"] == "aws:networkfirewall/ruleGroup:RuleGroup" for item in resources)
    assert component["name"] == "sep-egress"


@pytest.mark.real_program
@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        (
            "subnet_ids=[firewall_subnet.id]",
            "subnet_ids=[firewall_subnet.id, 5]",
            "NetworkFirewallAllowlist 'sep-egress': firewall.subnet_ids[1]: a string or a pulumi.Output of one, not 5",
        ),
        (
            "logging=LoggingSettings(alert_destination=alerts.name, create_log_groups=False),",
            "logging=LoggingSettings(alert_destination=alerts.name, create_log_groups=False, colour=1),",
            "NetworkFirewallAllowlist 'sep-egress': logging.colour: unknown argument",
        ),
        (
            "source_cidrs=sources,",
            "source_cidrs=sources, stlye='suricata',",
            "NetworkFirewallAllowlist 'sep-egress': stlye",
        ),
    ],
)
def test_a_consumer_gets_the_component_and_the_full_argument_path(
    tmp_path: Any, before: str, after: str, message: str
) -> None:
    """Nested args classes built on their own are checked where the component takes them: the message names
    the component, the resource and the argument's full path, whichever call style."""
    source = (EXAMPLE / "__main__.py").read_text(encoding="utf-8")
    assert before in source
    for style, program in (("keywords", source), ("args", source.replace(KEYWORD_CALL, ARGS_CALL))):
        result = preview_consumer(tmp_path / style, program.replace(before, after))
        assert result.returncode == 2
        assert message in result.stderr
        assert "Traceback" not in result.stderr


GCP_WITH_OUTPUT_TARGETS = """

import pulumi_gcp as gcp

from sep_egress.gcp import EgressFirewallPolicy

# GCP targets may be Outputs: the service account this stack creates for its SEP clients.
agent_account = gcp.serviceaccount.Account("sep-agent", account_id="sep-agent", project="p-1")
gcp_policy = EgressFirewallPolicy(
    "sep-gcp",
    plan=plan,
    targets={
        "clients": {"service_accounts": [agent_account.email]},
        "managers": {"service_accounts": ["sepm@p-1.iam.gserviceaccount.com"], "runs_agent": True},
    },
    options={"networks": ["projects/p-1/global/networks/vpc"], "network_checks": "warn"},
)
"""


@pytest.mark.real_program
def test_a_consumer_passes_its_own_service_account_as_a_gcp_target(tmp_path: Any) -> None:
    """A service account created in the consumer's stack (an Output) targets the clients' rules; the preview shows
    it as not known until apply, the same bytes every run, and the literal account of the managers as given."""
    source = (EXAMPLE / "__main__.py").read_text(encoding="utf-8") + GCP_WITH_OUTPUT_TARGETS
    outputs = []
    for run in ("first", "second"):
        result = preview_consumer(tmp_path / run, source)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    resources = json.loads(outputs[0])["resources"]
    [policy] = [
        item
        for item in resources
        if item["type"].endswith("networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules")
    ]
    targets = {tuple(rule.get("targetServiceAccounts", [])) for rule in policy["inputs"]["rules"]}
    assert ("(known after apply)",) in targets
    assert ("sepm@p-1.iam.gserviceaccount.com",) in targets
