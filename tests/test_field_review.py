"""Cases an independent review of the field work found: base64 text, input line breaks in error messages, a
program named by Pulumi.yaml's main, hosts that URL parsers read as addresses, another project's stack."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from support import ROOT, run_cli

run = run_cli


SELECTION = ("--mode", "on-prem", "--version", "14.3 RU1")


def test_binary_yaml_text_is_refused(tmp_path: Path) -> None:
    """`!!binary` decodes to bytes that pydantic would turn into text after the free-text check."""
    hidden = base64.b64encode(b"x\nhttp_access allow all").decode()
    overlay = tmp_path / "binary.yaml"
    overlay.write_text(
        "entries:\n  - id: bin\n    role: agent\n    usage: {en: x}\n    urls: [https://a.example.com]\n"
        f"    shared_host: !!binary {hidden}\n",
        encoding="utf-8",
    )
    result = run("plan", *SELECTION, "--overlay", str(overlay), "--format", "json")
    assert result.returncode == 2 and "!!binary" in result.stderr and "http_access" not in result.stdout


def test_a_line_break_in_a_file_name_stays_on_its_line(tmp_path: Path) -> None:
    overlay = tmp_path / "z\n::error::INJECTED\n.yaml"
    overlay.write_text("entries:\n  - id: bad\n", encoding="utf-8")
    result = run("plan", *SELECTION, "--overlay", str(overlay))
    assert result.returncode == 2
    assert not any(line.startswith("::error::") for line in result.stderr.splitlines()), result.stderr
    stack = run("plan", "--stack", "dev\n::error::X")
    assert stack.returncode == 2 and not any(line.startswith("::error::") for line in stack.stderr.splitlines())


@pytest.mark.parametrize("host", ["1.2.3.0x4", "0x7f.0x0.0x0.0x1", "a.0X1F"])
def test_a_host_that_url_parsers_read_as_an_address_is_refused(tmp_path: Path, host: str) -> None:
    overlay = tmp_path / "hex.yaml"
    overlay.write_text(
        f"entries:\n  - id: hex\n    role: agent\n    usage: {{en: x}}\n    urls: [https://{host}]\n", encoding="utf-8"
    )
    result = run("plan", *SELECTION, "--overlay", str(overlay))
    assert result.returncode == 2 and "looks like an IP address" in result.stderr


def test_the_preview_runs_the_program_main_names_and_says_when_there_is_none(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: other\nruntime: python\nmain: app/\n", encoding="utf-8")
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", project / "Pulumi.dev.yaml")
    missing = run("preview", "--stack", "dev", "--project-dir", str(project))
    assert missing.returncode == 2 and "no Python program" in missing.stderr and "Traceback" not in missing.stderr
    shutil.copy(ROOT / "__main__.py", project / "app" / "__main__.py")
    found = run("preview", "--stack", "dev", "--project-dir", str(project), "--format", "json")
    assert found.returncode == 0, found.stderr
    assert '"aws:networkfirewall/ruleGroup:RuleGroup"' in found.stdout


def test_plan_stack_of_another_project_reads_its_sep_egress_keys(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: consumer\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.mixed.yaml").write_text(
        'config:\n  consumer:vpcCidr: 10.0.0.0/16\n  sep-egress:mode: on-prem\n  sep-egress:version: "14.3 RU1"\n',
        encoding="utf-8",
    )
    result = run("plan", "--stack", "mixed", "--project-dir", str(tmp_path))
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


def test_google_served_addresses_get_no_nat_rule() -> None:
    """The Windows activation host and the Google Access VIPs are reached through Private Google Access."""
    from sep_egress.gcp import EgressNat

    overlay = str(ROOT / "examples" / "overlays" / "gcp-default-deny-vm.yaml")
    args = {
        "selection": {"version": "14.3 RU1", "mode": "cloud", "overlays": [overlay]},
        "options": {"region": "europe-west1", "network": "projects/p/global/networks/n", "subnetworks": ["s"]},
    }
    spec = EgressNat.prepare(args)[0]
    assert not any("35.190.247.13" in rule.match for rule in spec.rules)
    assert "gcp-nat-google-served" in {warning.code for warning in spec.warnings}


def test_edition_fields_are_checked_once_for_the_file_and_the_cache() -> None:
    """The schema and the cache share models.py's checks: a knowledge-base number in other digits is refused by
    both (the schema accepted it before, as str.isdigit() does)."""
    from sep_egress.catalog.cache_format import CacheFormatError, catalog_from_json, catalog_to_json
    from sep_egress.catalog.load import load_catalog
    from sep_egress.catalog.schema import EditionDocument

    arabic = "\u0661\u0662\u0663"
    fields = {"language": "fr", "url": "unverified", "retrieved": "unverified", "read": False}
    with pytest.raises(ValueError, match="knowledge-base article number"):
        EditionDocument(**fields, kb=arabic)
    document = catalog_to_json(load_catalog())
    document["editions"][0][5] = arabic
    with pytest.raises(CacheFormatError, match="knowledge-base article number"):
        catalog_from_json(document)


def test_warnings_never_name_the_stand_in_of_an_output() -> None:
    import pulumi

    from sep_egress.gcp import EgressFirewallPolicy, EgressNat

    network = pulumi.Output.from_input("projects/p/global/networks/n")
    subnetwork = pulumi.Output.from_input("projects/p/regions/europe-west1/subnetworks/s")
    selection = {"version": "14.3 RU1", "mode": "cloud"}
    firewall = EgressFirewallPolicy.prepare(
        {
            "selection": selection,
            "targets": {"clients": {"service_accounts": ["a@p.iam.gserviceaccount.com"]}},
            "options": {"networks": [network]},
        }
    )[0]
    nat = EgressNat.prepare(
        {"selection": selection, "options": {"region": "europe-west1", "network": network, "subnetworks": [subnetwork]}}
    )[0]
    messages = [warning.message for warning in (*firewall.warnings, *nat.warnings)]
    assert any("the associated networks" in message for message in messages)
    assert any("a subnetwork given as a pulumi.Output" in message for message in messages)
    assert not any("pulumi-output" in message for message in messages), messages


def test_a_subnetwork_ranges_entry_must_choose_its_ranges() -> None:
    """An entry naming no range would translate every range of the subnet (a GKE subnet's pod ranges too)."""
    import pulumi

    from sep_egress.compile.gcp_model import GcpSpecError
    from sep_egress.gcp import EgressNat

    def args(entry: dict[str, object]) -> dict[str, object]:
        options = {"region": "europe-west1", "network": "projects/p/global/networks/n", "subnetwork_ranges": [entry]}
        return {"selection": {"version": "14.3 RU1", "mode": "cloud"}, "options": options}

    with pytest.raises(GcpSpecError, match=r"^options\.subnetwork_ranges\[0\]: choose the ranges"):
        EgressNat.prepare(args({"name": "gke-nodes"}))
    spec = EgressNat.prepare(args({"name": "gke-nodes", "primary_range": True}))[0]
    assert [subnetwork.to_api() for subnetwork in spec.subnetworks] == [
        {"name": "gke-nodes", "sourceIpRangesToNat": ["PRIMARY_IP_RANGE"]}
    ]
    # A name only known at deployment (an Output) is accepted, as its type says.
    EgressNat.prepare(args({"name": pulumi.Output.from_input("gke-nodes"), "primary_range": True}))
