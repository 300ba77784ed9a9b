"""``sep-egress stack new`` and ``stack check``: a new environment gets its own physical names; two stacks that
would create the same name in one place are found, by ``stack check`` and by ``preview``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from support import ROOT, call_main, run_cli

#: Inputs that carry a resource's physical name (AWS and GCP resources of the previews).
NAME_INPUTS = ("name", "ruleGroupName", "firewallPolicyName", "firewallName", "shortName")
#: Names unique only inside their parent, which is the stack's own: a tag value in its key, a record in its zone.
SCOPED_BY_PARENT = ("gcp:tags/tagValue:TagValue", "gcp:dns/recordSet:RecordSet")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this project (its program, stacks and overlays) to create stacks in."""
    target = tmp_path / "project"
    target.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "stacks", target / "stacks")
    shutil.copytree(ROOT / "examples" / "overlays", target / "examples" / "overlays")
    return target


def stack_new(capsys: pytest.CaptureFixture[str], project: Path, *argv: str) -> tuple[int, str, str]:
    return call_main(["stack", "new", *argv, "--project-dir", str(project)], capsys)


def physical_names(preview: dict[str, Any]) -> set[str]:
    names = set()
    for resource in preview["resources"]:
        if resource["type"].startswith(("aws:", "gcp:")) and resource["type"] not in SCOPED_BY_PARENT:
            names |= {resource["inputs"][key] for key in NAME_INPUTS if isinstance(resource["inputs"].get(key), str)}
    return names


def preview(project: Path, stack: str) -> tuple[dict[str, Any], str]:
    result = run_cli("preview", "--stack", stack, "--project-dir", str(project), "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


@pytest.mark.real_program
@pytest.mark.parametrize("source", ["prod", "gcp-cloud", "dev"])
def test_a_new_stack_shares_no_physical_name_with_its_source(
    project: Path, capsys: pytest.CaptureFixture[str], source: str
) -> None:
    code, out, err = stack_new(capsys, project, "staging", "--from", source)
    assert code == 0, err
    assert "Pulumi.staging.yaml" in out and "warning" not in err
    original, _ = preview(project, source)
    copy, warnings = preview(project, "staging")
    assert "warning" not in warnings
    # The same resources, every physical name its own.
    assert original["counts"] == copy["counts"]
    ours, theirs = physical_names(copy), physical_names(original)
    assert ours and not ours & theirs, ours & theirs


def test_the_copy_keeps_the_sources_comments_and_settings(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source_text = (project / "stacks" / "Pulumi.prod.yaml").read_text(encoding="utf-8")
    code, _, err = stack_new(capsys, project, "staging", "--from", "prod")
    assert code == 0, err
    text = (project / "stacks" / "Pulumi.staging.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == source_text.splitlines()[0]  # the schema modeline stays first
    assert "# REJECT: a flow the firewall lost (failover) gets a reset and reconnects." in text
    # The note on prod's legacy names went with the value it explained.
    assert "The names from before names were per stack" not in text
    config = yaml.safe_load(text)["config"]
    original = yaml.safe_load(source_text)["config"]
    aws, gcp = config["sep-egress:aws"], config["sep-egress:gcp"]
    assert aws["name_prefix"].startswith("sep-egress-staging-") and aws["name_prefix"] != "sep-egress"
    assert gcp["firewall"]["options"]["name"] == gcp["nat"]["options"]["name"] == "sep-egress-staging"
    # The log groups the component creates are the new stack's own too.
    prefix = aws["name_prefix"]
    assert aws["logging"]["alert_destination"] == f"/aws/vendedlogs/{prefix}/alert"
    assert aws["logging"]["flow_destination"] == f"/aws/vendedlogs/{prefix}/flow"
    aws["logging"] = {key: value for key, value in aws["logging"].items() if not key.endswith("_destination")}
    original["sep-egress:aws"]["logging"] = {
        key: value for key, value in original["sep-egress:aws"]["logging"].items() if not key.endswith("_destination")
    }
    # Everything else is prod's: only the names changed.
    for block, names in (("sep-egress:aws", ["name_prefix"]), ("sep-egress:gcp", [])):
        rest = {key: value for key, value in config[block].items() if key not in names}
        before = {key: value for key, value in original[block].items() if key not in names}
        if block == "sep-egress:gcp":
            for part in rest.values():
                part.get("options", {}).pop("name", None)
        assert rest == before
    # What still pointed at prod was a log group name: nothing is left to review there.
    assert "sep-egress:aws.logging" not in err
    schema = json.loads((ROOT / "schemas" / "stack-config.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(text))


def test_secure_tag_keys_and_private_access_get_their_own_names(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = stack_new(capsys, project, "cloud-2", "--from", "gcp-cloud")
    assert code == 0, err
    gcp = yaml.safe_load((project / "stacks" / "Pulumi.cloud-2.yaml").read_text(encoding="utf-8"))["config"]
    gcp = gcp["sep-egress:gcp"]
    assert gcp["firewall"]["secure_tags"]["key"] == "sep-egress-cloud-2"
    assert gcp["private_access"]["options"]["name"] == "sep-egress-cloud-2"
    assert gcp["firewall"]["secure_tags"]["keep_role_values"] is True  # the rest stays as it was


def test_a_plain_copy_is_reported_by_stack_check_and_preview(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call_main(["stack", "check", "--project-dir", str(project)], capsys)
    assert code == 0 and "no two stacks" in out
    shutil.copy(project / "stacks" / "Pulumi.prod.yaml", project / "stacks" / "Pulumi.copy.yaml")
    code, out, _ = call_main(["stack", "check", "--project-dir", str(project)], capsys)
    assert code == 1
    lines = out.splitlines()
    assert any("copy and prod" in line and "'sep-egress' in AWS region eu-west-1, VPC vpc-" in line for line in lines)
    assert any("firewall policy 'sep-egress' in GCP sep-prod-network" in line for line in lines)
    assert any("Cloud NAT" in line and "sep-prod-network, europe-west1" in line for line in lines)


@pytest.mark.real_program
def test_preview_warns_about_another_stack_with_the_same_names(project: Path) -> None:
    shutil.copy(project / "stacks" / "Pulumi.dev.yaml", project / "stacks" / "Pulumi.dev-copy.yaml")
    text = (project / "stacks" / "Pulumi.dev.yaml").read_text(encoding="utf-8")
    # dev has no name_prefix: the per-stack default already differs; an explicit equal prefix collides.
    for name in ("dev", "dev-copy"):
        path = project / "stacks" / f"Pulumi.{name}.yaml"
        path.write_text(text.replace("  sep-egress:aws:\n", "  sep-egress:aws:\n    name_prefix: shared\n"), "utf-8")
    _, warnings = preview(project, "dev")
    assert "warning: stacks dev and dev-copy would both create the names starting with 'shared'" in warnings
    assert "us-east-1 (if both deploy to the same account)" in warnings


def test_accounts_that_differ_do_not_collide(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stacks = project / "stacks"
    for name, account in (("a", "111111111111"), ("b", "222222222222")):
        config = {"aws:region": "eu-west-1", "aws:allowedAccountIds": [account], "sep-egress:version": "14.3 RU1"}
        config["sep-egress:mode"] = "on-prem"
        config["sep-egress:aws"] = {"name_prefix": "same", "source_cidrs": {"agent": ["10.0.0.0/16"]}}
        (stacks / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    code, out, _ = call_main(["stack", "check", "--project-dir", str(project)], capsys)
    assert code == 0, out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["prod"], "the stack exists already"),
        (["new stack"], "is not a stack name"),
        (["qa", "--from", "absent"], "--from absent: cannot read"),
    ],
)
def test_mistakes_write_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = sorted(path.name for path in (project / "stacks").iterdir())
    prod = (project / "stacks" / "Pulumi.prod.yaml").read_bytes()
    code, out, err = stack_new(capsys, project, *argv)
    assert code == 2 and out == "" and message in err and "Traceback" not in err
    assert sorted(path.name for path in (project / "stacks").iterdir()) == before
    assert (project / "stacks" / "Pulumi.prod.yaml").read_bytes() == prod


def test_an_invalid_source_leaves_no_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "stacks" / "Pulumi.broken.yaml").write_text(
        "config:\n  sep-egress:version: '14.3 RU1'\n  sep-egress:mode: sideways\n", encoding="utf-8"
    )
    code, _, err = stack_new(capsys, project, "fixed", "--from", "broken")
    assert code == 2 and "would not be valid" in err and "sep-egress:mode" in err
    assert not (project / "stacks" / "Pulumi.fixed.yaml").exists()


def test_a_flow_style_source_is_rewritten_from_its_data(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "stacks" / "Pulumi.flow.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  sep-egress:version: '14.3 RU1'\n  sep-egress:mode: on-prem\n"
        "  sep-egress:aws: {source_cidrs: {agent: [10.0.0.0/16]}}\n",
        encoding="utf-8",
    )
    code, _, err = stack_new(capsys, project, "flow2", "--from", "flow")
    assert code == 0, err
    assert "flow style" in err
    config = yaml.safe_load((project / "stacks" / "Pulumi.flow2.yaml").read_text(encoding="utf-8"))["config"]
    assert config["sep-egress:aws"]["name_prefix"].startswith("sep-egress-flow2-")
    assert config["sep-egress:aws"]["source_cidrs"] == {"agent": ["10.0.0.0/16"]}


def test_without_from_a_starter_stack_is_written(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = stack_new(capsys, project, "starter")
    assert code == 0, err
    config = yaml.safe_load((project / "stacks" / "Pulumi.starter.yaml").read_text(encoding="utf-8"))["config"]
    assert config == {"sep-egress:mode": "on-prem", "sep-egress:version": "14.3 RU1"}


def write_proxy_stack(project: Path, stack: str, **proxy: Any) -> None:
    """A GCP stack with a Secure Web Proxy in project p, europe-west1."""
    network = "projects/p/global/networks/vpc"
    options = {
        "region": "europe-west1",
        "network": network,
        "subnetwork": "projects/p/regions/europe-west1/subnetworks/workloads",
        "address": "10.0.0.10",
        **proxy,
    }
    config = {
        "gcp:project": "p",
        "sep-egress:mode": "cloud",
        "sep-egress:version": "14.3 RU1",
        "sep-egress:gcp": {
            "firewall": {
                "secure_tags": {"parent": "projects/p", "network": "p/vpc", "key": f"tags-{stack}"},
                "options": {"networks": [network], "name": f"policy-{stack}"},
            },
            "secure_web_proxy": {"options": options},
        },
    }
    (project / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")


def proxy_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if "swp-a and swp-b" in line]


def test_stack_check_knows_the_secure_web_proxy_names(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_proxy_stack(project, "swp-a", proxy_only_subnet_range="10.129.0.0/23")
    write_proxy_stack(project, "swp-b", proxy_only_subnet_range="10.130.0.0/23")
    code, out, _ = call_main(["stack", "check", "--project-dir", str(project)], capsys)
    assert code == 1, out
    lines = proxy_lines(out)
    setting = "sep-egress:gcp.secure_web_proxy.options"
    for kind, name in (
        ("Secure Web Proxy gateway", "sep-egress-swp"),
        ("gateway security policy", "sep-egress-swp-policy"),
        ("proxy-only subnet", "sep-egress-swp-proxy-only"),
    ):
        assert any(f"the {kind} '{name}' in GCP p, europe-west1 ({setting}.name)" in line for line in lines), (
            kind,
            lines,
        )
    # One active proxy-only subnet per region and network, whatever its name: the names alone do not settle it.
    (active,) = [line for line in lines if "active proxy-only subnet" in line]
    assert "'projects/p/global/networks/vpc' in GCP europe-west1" in active
    assert "set proxy_only_subnet_range in one stack only" in active
    assert len(lines) == 4  # the firewall policies and tag keys have their own names


def test_proxies_in_other_regions_or_with_own_names_do_not_collide(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_proxy_stack(project, "swp-a")
    write_proxy_stack(
        project, "swp-b", region="us-central1", subnetwork="projects/p/regions/us-central1/subnetworks/workloads"
    )
    code, out, _ = call_main(["stack", "check", "--project-dir", str(project)], capsys)
    assert code == 0 and not proxy_lines(out), out
    write_proxy_stack(project, "swp-b", name="other")
    code, out, _ = call_main(["stack", "check", "--project-dir", str(project)], capsys)
    assert code == 0 and not proxy_lines(out), out
    write_proxy_stack(project, "swp-b")  # same region, same names, no proxy-only subnet created by either
    code, out, _ = call_main(["stack", "check", "--project-dir", str(project)], capsys)
    assert code == 1 and len(proxy_lines(out)) == 2, out


def test_stack_new_gives_the_proxy_its_own_names(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_proxy_stack(project, "swp-a")
    code, _, err = stack_new(capsys, project, "swp-c", "--from", "swp-a")
    assert code == 0, err
    assert "warning" not in err
    config = yaml.safe_load((project / "stacks" / "Pulumi.swp-c.yaml").read_text(encoding="utf-8"))["config"]
    assert config["sep-egress:gcp"]["secure_web_proxy"]["options"]["name"] == "sep-egress-swp-c"
    code, out, _ = call_main(["stack", "check", "--project-dir", str(project)], capsys)
    assert code == 0, out


def test_stack_new_warns_when_both_would_create_the_proxy_only_subnet(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_proxy_stack(project, "swp-a", proxy_only_subnet_range="10.129.0.0/23")
    code, _, err = stack_new(capsys, project, "swp-c", "--from", "swp-a")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "active proxy-only subnet" in warnings[0], err
