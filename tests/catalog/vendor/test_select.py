"""Selection: roles, modes, versions, proxy, storage phase, overlays, and determinism of the plan."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
import yaml

from sep_egress.catalog import Catalog, EgressPlan, load_catalog, load_overlay, resolve_roles, select
from sep_egress.catalog.vendor.select import SourcedOverlay
from sep_egress.errors import CatalogError, SelectionError

from support import GOOD_ENTRY, write_yaml


def hosts(plan: EgressPlan, port: int | None = None) -> set[str]:
    return {rule.host for rule in plan.allow if port is None or rule.port == port}


def rule(plan: EgressPlan, host: str, port: int = 443):  # type: ignore[no-untyped-def]
    return next(item for item in plan.allow if item.host == host and item.port == port)


def test_modes_expand_to_roles_and_console_is_never_implied() -> None:
    assert resolve_roles(mode="on-prem") == ("agent", "sepm")
    assert resolve_roles(mode="hybrid") == ("agent", "agent-cloud", "sepm", "sepm-cloud")
    assert resolve_roles(mode="cloud") == ("agent", "agent-cloud")
    assert resolve_roles(["console"], mode="cloud") == ("agent", "agent-cloud", "console")
    with pytest.raises(SelectionError, match="unknown role"):
        resolve_roles(["manager"])
    with pytest.raises(SelectionError, match="unknown management mode"):
        resolve_roles(mode="saas")
    with pytest.raises(SelectionError, match="choose roles or a management mode"):
        resolve_roles()


def test_on_prem_has_agent_and_manager_hosts_only(on_prem_plan: EgressPlan) -> None:
    assert on_prem_plan.roles == ("agent", "sepm")
    assert "services-prod.symantec.com" in hosts(on_prem_plan)
    assert "ent-shasta-rrs.symantec.com" in hosts(on_prem_plan)
    assert not hosts(on_prem_plan) & {"usea1.r3.securitycloud.symantec.com", "storage.googleapis.com"}
    assert "sep.securitycloud.symantec.com" not in hosts(on_prem_plan)


def test_hosts_in_several_tables_become_one_rule_with_every_role(hybrid_plan: EgressPlan) -> None:
    gateway = rule(hybrid_plan, "usea1.r3.securitycloud.symantec.com")
    assert gateway.roles == ("agent-cloud", "sepm-cloud")
    assert gateway.ids == ("agent-cloud-api-gateway", "sepm-cloud-api-gateway")
    storage = rule(hybrid_plan, "storage.googleapis.com")
    assert storage.roles == ("agent-cloud", "sepm-cloud", "console")
    assert storage.shared
    keys = [item.key for item in hybrid_plan.allow]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("version", "present", "absent"),
    [
        ("14.3", {"faults.qalabs.symantec.com"}, {"sp.cwfservice.net", "faults.symantec.com"}),
        ("14.3 MP1", {"faults.qalabs.symantec.com", "sp.cwfservice.net"}, {"faults.symantec.com"}),
        (
            "14.3 RU1",
            {"faults.symantec.com", "sp.cwfservice.net", "linux-repo.us.securitycloud.symantec.com"},
            {"faults.qalabs.symantec.com"},
        ),
        ("14.3 RU8", {"faults.symantec.com", "linux-repo.us.securitycloud.symantec.com"}, set()),
    ],
)
def test_version_bounds(catalog: Catalog, version: str, present: set[str], absent: set[str]) -> None:
    plan = select(catalog, roles=["agent"], version=version)
    assert present <= hosts(plan)
    assert not absent & hosts(plan)


@pytest.mark.parametrize(
    ("version", "proxy", "port_80"),
    [
        ("14.3 MP1", True, True),
        ("14.3 MP1", False, False),
        ("14.3 RU1", True, False),
        ("14.2", True, True),
        # "n'est plus requis dans 14.3 RU1" is an exclusive bound: any release before RU1 needs it.
        ("14.3 MP2", True, True),
        ("14.3 RU1 MP1", True, False),
    ],
)
def test_liveupdate_port_80_only_behind_a_proxy_before_14_3_ru1(
    catalog: Catalog, version: str, proxy: bool, port_80: bool
) -> None:
    plan = select(catalog, mode="on-prem", version=version, proxy=proxy)
    http_rules = [item for item in plan.allow if item.port == 80]
    if port_80:
        assert {(item.host, item.protocol, item.roles) for item in http_rules} == {
            ("liveupdate.symantec.com", "http", ("sepm",)),
            ("liveupdate.symantecliveupdate.com", "http", ("sepm",)),
        }
        assert any(warning.code == "clear-text-http" for warning in plan.warnings)
    else:
        assert not http_rules


def test_agents_never_get_port_80(catalog: Catalog) -> None:
    plan = select(catalog, mode="cloud", version="14.3", proxy=True)
    assert not [item for item in plan.allow if item.port != 443]


def test_storage_phases(catalog: Catalog) -> None:
    both = select(catalog, mode="hybrid", version="14.3 RU1", roles=["console"])
    gcp = select(catalog, mode="hybrid", version="14.3 RU1", roles=["console"], storage="gcp")
    aws = select(catalog, mode="hybrid", version="14.3 RU1", roles=["console"], storage="aws")
    s3 = {host for host in hosts(both) if host.endswith(".s3.amazonaws.com")}
    assert len(s3) == 5
    assert "storage.googleapis.com" in hosts(both)
    assert hosts(gcp) == hosts(both) - s3
    assert hosts(aws) == hosts(both) - {"storage.googleapis.com"}
    assert any(warning.code == "storage-phase-aws" for warning in aws.warnings)
    assert not any(warning.code == "storage-phase-aws" for warning in both.warnings)
    with pytest.raises(SelectionError, match="unknown storage phase"):
        select(catalog, mode="cloud", version="14.3", storage="azure")


def test_warnings_name_the_wide_controls(hybrid_plan: EgressPlan) -> None:
    codes = {warning.code: warning for warning in hybrid_plan.warnings}
    assert "storage.googleapis.com" in codes["shared-host"].message
    assert "any bucket" in codes["shared-host"].message
    widened = {warning.hosts[0] for warning in hybrid_plan.warnings if warning.code == "widened-path"}
    assert widened == {"services-prod.symantec.com", "www.broadcom.com", "www.symantec.com"}
    bypass = hybrid_plan.tls_inspection_bypass
    assert set(bypass) == {item.host for item in hybrid_plan.allow if item.protocol == "tls"}
    assert list(bypass) == sorted(bypass)


def test_version_errors_are_selection_errors(catalog: Catalog) -> None:
    with pytest.raises(SelectionError, match=r"version: '14\.3 SP1' is not a product version"):
        select(catalog, mode="cloud", version="14.3 SP1")


def write_overlay(tmp_path: Path, name: str, document: object) -> SourcedOverlay:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return SourcedOverlay(name, load_overlay(path))


def test_overlays_add_hosts_suffixes_and_cidrs_and_exclude_by_id(catalog: Catalog, tmp_path: Path) -> None:
    overlay = write_overlay(
        tmp_path,
        "corp.yaml",
        {
            "entries": [
                {
                    "id": "corp-mirror",
                    "role": "agent",
                    "usage": {"en": "mirror"},
                    "urls": ["https://mirror.corp.example.com:8443/lu"],
                },
                {
                    "id": "corp-suffix",
                    "role": "sepm",
                    "usage": {"en": "all of corp"},
                    "domain_suffix": True,
                    "urls": ["*.corp.example.net"],
                    "ports": [443],
                },
                {
                    "id": "corp-proxy",
                    "role": "agent",
                    "usage": {"en": "proxy"},
                    "cidrs": ["10.20.0.0/24", "10.0.0.0/8"],
                    "ports": [3128],
                },
            ],
            "exclude": ["agent-symqual"],
        },
    )
    plan = select(catalog, mode="on-prem", version="14.3 RU1", overlays=[overlay])
    mirror = rule(plan, "mirror.corp.example.com", 8443)
    assert (mirror.protocol, mirror.paths, mirror.roles) == ("tls", ("/lu",), ("agent",))
    suffix = rule(plan, "corp.example.net")
    assert suffix.match == "suffix"
    assert [(item.cidr, item.port) for item in plan.cidrs] == [("10.0.0.0/8", 3128), ("10.20.0.0/24", 3128)]
    assert "faults.symantec.com" not in hosts(plan)
    codes = [warning.code for warning in plan.warnings]
    assert {"domain-suffix", "wide-cidr", "excluded"} <= set(codes)
    excluded = next(warning for warning in plan.warnings if warning.code == "excluded")
    assert "Crash reports are lost" in excluded.message
    assert "mirror.corp.example.com" not in plan.tls_inspection_bypass
    assert plan.overlays == ("corp.yaml",) and plan.excluded == ("agent-symqual",)


def test_excluding_everything_is_an_error(catalog: Catalog, tmp_path: Path) -> None:
    ids = [entry.id for entry in catalog.entries if entry.role == "console"]
    overlay = write_overlay(tmp_path, "none.yaml", {"exclude": ids})
    with pytest.raises(SelectionError, match="nothing to allow"):
        select(catalog, roles=["console"], version="14.3 RU1", overlays=[overlay])


def test_the_same_input_gives_byte_identical_plans_whatever_the_order(catalog: Catalog, tmp_path: Path) -> None:
    entries = [
        {"id": f"extra-{index}", "role": role, "usage": {"en": "x"}, "urls": [f"https://h{index}.example.org"]}
        for index, role in enumerate(["agent", "sepm", "console", "agent", "agent-cloud"] * 4)
    ]
    reference = select(
        catalog,
        mode="hybrid",
        roles=["console"],
        version="14.3 RU1",
        overlays=[write_overlay(tmp_path, "o.yaml", {"entries": entries})],
    ).to_json()
    generator = random.Random(1234)
    for attempt in range(5):
        shuffled_entries = entries[:]
        generator.shuffle(shuffled_entries)
        shuffled_catalog = list(catalog.entries)
        generator.shuffle(shuffled_catalog)
        roles = ["console", "sepm-cloud", "agent"]
        generator.shuffle(roles)
        plan = select(
            dataclasses.replace(catalog, entries=tuple(shuffled_catalog)),
            mode="hybrid",
            roles=roles,
            version="14.3 RU1",
            overlays=[write_overlay(tmp_path, "o.yaml", {"entries": shuffled_entries})],
        )
        assert plan.to_json() == reference, f"attempt {attempt}"


def test_a_rule_is_unchanged_when_an_unrelated_entry_changes(catalog: Catalog, tmp_path: Path) -> None:
    base = select(catalog, mode="on-prem", version="14.3 RU1")
    extra = write_overlay(
        tmp_path,
        "one.yaml",
        {"entries": [{"id": "one", "role": "agent", "usage": {"en": "x"}, "urls": ["https://one.example.org"]}]},
    )
    more = select(catalog, mode="on-prem", version="14.3 RU1", overlays=[extra])
    assert set(more.allow) - set(base.allow) == {rule(more, "one.example.org")}
    assert set(base.allow) <= set(more.allow)


def test_overlay_ids_and_exclusions_are_checked_against_the_catalog(tmp_path: Path) -> None:
    catalog = load_catalog()
    clash = load_overlay(write_yaml(tmp_path, {"entries": [{**GOOD_ENTRY, "id": "agent-reputation"}]}))
    with pytest.raises(CatalogError, match="entry 'agent-reputation', field 'id': id already defined in the catalog"):
        select(catalog, mode="on-prem", version="14.3 RU1", overlays=[SourcedOverlay("clash.yaml", clash)])
    typo = load_overlay(write_yaml(tmp_path, {"exclude": ["agent-reputaton"]}))
    with pytest.raises(CatalogError, match=r"typo.yaml: field 'exclude\[0\]': no entry 'agent-reputaton'"):
        select(catalog, mode="on-prem", version="14.3 RU1", overlays=[SourcedOverlay("typo.yaml", typo)])
