"""The selection with internal destinations: the internal paths a stack declares become address-range rules of the
plan, by role, option, port override and version bound (what the AWS and GCP evaluators let through is checked in
``tests/compile/aws/test_rules.py`` and ``tests/compile/gcp/test_firewall.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from sep_egress.catalog import Catalog, SourcedOverlay, parse_overlay, select
from sep_egress.catalog.internal import (
    InternalDestinations,
    destinations_from_config,
    load_internal_catalog,
)
from sep_egress.errors import SelectionError

from support import SEPM, hybrid, raw_file


def test_without_internal_destinations_nothing_new_is_allowed(catalog: Catalog) -> None:
    reference = hybrid(catalog)
    assert reference.cidrs == () and "internal" not in reference.to_json()
    assert hybrid(catalog, InternalDestinations()).to_json() == reference.to_json()
    assert hybrid(catalog, destinations_from_config({})).to_json() == reference.to_json()


def test_a_sepm_address_adds_the_agent_and_console_paths_as_cidr_rules(catalog: Catalog) -> None:
    plan = hybrid(catalog, destinations_from_config({"sepm": [SEPM]}))
    reference = hybrid(catalog)
    assert plan.allow == reference.allow
    assert [rule.to_dict() for rule in plan.cidrs] == [
        {"cidr": SEPM, "port": 443, "protocol": "tcp", "roles": ["agent"], "ids": ["sepm-agent-https"]},
        {"cidr": SEPM, "port": 8443, "protocol": "tcp", "roles": ["console"], "ids": ["sepm-console-web"]},
        {"cidr": SEPM, "port": 8445, "protocol": "tcp", "roles": ["console"], "ids": ["sepm-console-reporting"]},
    ]
    data = json.loads(plan.to_json())
    assert data["selection"]["internal"] == {"sepm": [SEPM]}
    assert data["internal_catalog_version"] == load_internal_catalog().version


def test_roles_optional_paths_and_port_overrides_decide_what_is_selected(catalog: Catalog) -> None:
    declared = destinations_from_config(
        {
            "sepm": [SEPM],
            "gup": ["10.10.5.0/28"],
            "clients": ["10.10.0.0/16"],
            "ports": {"sepm-agent-https": [8443]},
            "paths": ["sepm-replication", "clients-push-mac"],
        }
    )
    on_prem = select(catalog, mode="on-prem", version="14.3 RU1", internal=declared)
    got = {(rule.cidr, rule.port, rule.protocol, rule.roles, rule.ids) for rule in on_prem.cidrs}
    assert got == {
        (SEPM, 8443, "tcp", ("agent", "sepm"), ("sepm-agent-https", "sepm-replication")),  # merged, one rule
        ("10.10.5.0/28", 2967, "tcp", ("agent",), ("gup-agent-proxy",)),
        ("10.10.0.0/16", 139, "tcp", ("sepm",), ("clients-push-windows-tcp",)),
        ("10.10.0.0/16", 445, "tcp", ("sepm",), ("clients-push-windows-tcp",)),
        ("10.10.0.0/16", 137, "udp", ("sepm",), ("clients-push-windows-udp",)),
        ("10.10.0.0/16", 138, "udp", ("sepm",), ("clients-push-windows-udp",)),
        ("10.10.0.0/16", 22, "tcp", ("sepm",), ("clients-push-mac",)),
    }  # no console role: no console path; 443 replaced by the override
    caveats = [w.ids for w in on_prem.warnings if w.code == "internal-caveat"]
    assert caveats == [("clients-push-mac",), ("clients-push-windows-tcp",)]
    cloud = select(
        catalog, mode="cloud", version="14.3 RU1", internal=destinations_from_config({"clients": ["10.9.0.0/16"]})
    )
    assert cloud.cidrs == ()  # push deployment starts from the manager, which a cloud-managed estate does not have
    assert [w.code for w in cloud.warnings if w.code.startswith("internal")] == ["internal-unused"]


def test_internal_rules_are_deterministic_and_keep_their_identity(catalog: Catalog) -> None:
    one = hybrid(catalog, destinations_from_config({"sepm": [SEPM, "10.20.0.11/32"], "gup": ["10.10.5.0/28"]}))
    two = hybrid(catalog, destinations_from_config({"gup": ["10.10.5.0/28"], "sepm": ["10.20.0.11/32", SEPM]}))
    assert one.to_json() == two.to_json()
    only_sepm = hybrid(catalog, destinations_from_config({"sepm": [SEPM, "10.20.0.11/32"]}))
    assert set(only_sepm.cidrs) <= set(one.cidrs)  # adding a GUP leaves the SEPM rules untouched


def test_version_bounds_of_a_path_are_honoured(catalog: Catalog, tmp_path: Path) -> None:
    data = raw_file()
    data["paths"][0]["min_version"] = "14.3 RU2"
    path = tmp_path / "internal.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    bounded = load_internal_catalog(path)
    declared = destinations_from_config({"sepm": [SEPM]}, bounded)
    before = select(catalog, mode="on-prem", version="14.3 RU1", internal=declared, internal_catalog=bounded)
    after = select(catalog, mode="on-prem", version="14.3 RU2", internal=declared, internal_catalog=bounded)
    assert "sepm-agent-https" not in {i for rule in before.cidrs for i in rule.ids}
    assert "sepm-agent-https" in {i for rule in after.cidrs for i in rule.ids}


def test_an_overlay_id_equal_to_an_internal_path_id_is_refused(catalog: Catalog) -> None:
    overlay = parse_overlay(
        {
            "entries": [
                {"id": "sepm-agent-https", "role": "agent", "usage": {"en": "x"}, "urls": ["https://a.example.com"]}
            ]
        }
    )
    with pytest.raises(SelectionError, match="internal path id sepm-agent-https is also an entry id"):
        hybrid(catalog, destinations_from_config({"sepm": [SEPM]}), overlays=[SourcedOverlay("o.yaml", overlay)])


def test_select_takes_the_stack_key_mapping_as_well(catalog: Catalog) -> None:
    as_mapping = hybrid(catalog, {"sepm": [SEPM]})
    assert as_mapping.to_json() == hybrid(catalog, destinations_from_config({"sepm": [SEPM]})).to_json()
    with pytest.raises(SelectionError, match=r"^internal\.sepm\[0\]: '0\.0\.0\.0/0' is every address"):
        hybrid(catalog, {"sepm": ["0.0.0.0/0"]})
