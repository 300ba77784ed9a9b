"""The proxy compiler alone: pure text from a plan, deterministic, and never wider than the plan."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sep_egress.catalog import ROLES, EgressPlan, SourcedOverlay, load_catalog, load_overlay, select
from sep_egress.compile.proxy import (
    CSV_COLUMNS,
    ProxyExportError,
    SquidOptions,
    csv_list,
    host_list,
    pac_file,
    squid_config,
)


def overlay(tmp_path: Path, document: dict[str, object]) -> SourcedOverlay:
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return SourcedOverlay(str(path), load_overlay(path))


@pytest.fixture
def suffix_plan(tmp_path: Path) -> EgressPlan:
    document = {
        "entries": [
            {
                "id": "corp-suffix",
                "role": "agent",
                "usage": {"en": "test"},
                "domain_suffix": True,
                "urls": ["https://*.symantec.com"],
            },
            {
                "id": "corp-relay",
                "role": "agent",
                "usage": {"en": "test"},
                "cidrs": ["10.8.0.0/24"],
                "ports": [8443],
            },
        ]
    }
    return select(load_catalog(), mode="on-prem", version="14.3 RU1", overlays=[overlay(tmp_path, document)])


def directives(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(name + " ")]


def acl_items(text: str, acl: str) -> list[str]:
    return [line.split()[-1] for line in directives(text, "acl") if line.split()[1] == acl]


def test_header_names_catalog_and_selection(hybrid_plan: EgressPlan) -> None:
    for text in (squid_config(hybrid_plan), host_list(hybrid_plan), pac_file(hybrid_plan, route="DIRECT")):
        head = "\n".join(text.splitlines()[:3])
        assert f"catalog {hybrid_plan.catalog_version}" in head
        assert "roles agent, agent-cloud, sepm, sepm-cloud, console; version 14.3 RU1" in head


def test_every_export_is_deterministic(hybrid_plan: EgressPlan) -> None:
    again = select(load_catalog(), mode="hybrid", version="14.3 RU1", roles=["console"])
    for mode in ("fragment", "full"):
        assert squid_config(hybrid_plan, SquidOptions(mode=mode)) == squid_config(again, SquidOptions(mode=mode))
    assert pac_file(hybrid_plan, route="p:1") == pac_file(again, route="p:1")
    assert host_list(hybrid_plan) == host_list(again)
    assert csv_list(hybrid_plan) == csv_list(again)


def test_squid_allows_each_role_its_hosts_on_its_ports_only(hybrid_plan: EgressPlan) -> None:
    text = squid_config(hybrid_plan, SquidOptions(mode="full"))
    access = directives(text, "http_access")
    assert access[-1] == "http_access deny all"
    assert all(line.startswith("http_access allow ") for line in access[:-1])
    assert not any(re.search(r"\ballow all\b", line) for line in access)
    for line in access[:-1]:
        words = line.split()
        assert words[2] in ("CONNECT", "!CONNECT")  # never an allow that ignores the method
        assert any(word.startswith("sep_egress_port_") for word in words)
    for role in hybrid_plan.roles:
        token = role.replace("-", "_")
        for rule in hybrid_plan.rules_for(role):
            items = acl_items(text, f"sep_egress_{token}_{rule.protocol}_{rule.port}")
            assert rule.host in items, (role, rule.host)
    ports = {int(line.split()[-1]) for line in directives(text, "acl") if " port " in line}
    assert ports == {rule.port for rule in hybrid_plan.allow}
    # Reverse DNS of a bare IP must never satisfy a name ACL.
    assert all(" dstdomain -n " in line for line in directives(text, "acl") if " dstdomain " in line)


def test_http_rules_are_plain_requests_never_tunnels(catalog: object) -> None:
    plan = select(load_catalog(), mode="on-prem", version="14.3", proxy=True)
    assert any(rule.protocol == "http" for rule in plan.allow)
    text = squid_config(plan)
    assert "http_access allow !CONNECT sep_egress_http sep_egress_port_80 sep_egress_sepm_http_80" in text
    assert "acl sep_egress_http proto HTTP" in text


def test_squid_splices_every_bypass_host_before_peeking(hybrid_plan: EgressPlan) -> None:
    text = squid_config(hybrid_plan)
    assert set(acl_items(text, "sep_egress_no_bump")) == set(hybrid_plan.tls_inspection_bypass)
    bump = directives(text, "ssl_bump")
    assert bump == ["ssl_bump splice sep_egress_no_bump", "ssl_bump peek sep_egress_step1"]
    assert not any(line.startswith("ssl_bump bump") for line in text.splitlines())


def test_fragment_denies_nothing_and_full_fails_closed(on_prem_plan: EgressPlan) -> None:
    fragment = squid_config(on_prem_plan)
    assert not any("deny" in line for line in directives(fragment, "http_access"))
    assert "http_port" not in fragment
    assert "include /path/to/this/file" in fragment
    full = squid_config(on_prem_plan, SquidOptions(mode="full", listen="127.0.0.1:3129"))
    assert directives(full, "http_port") == ["http_port 127.0.0.1:3129"]


def test_no_ssl_bump_leaves_the_rules_out_and_says_why(on_prem_plan: EgressPlan) -> None:
    text = squid_config(on_prem_plan, SquidOptions(ssl_bump=False))
    assert not directives(text, "ssl_bump")
    assert "ssl::server_name" not in text
    assert "must not intercept TLS" in text


def test_warnings_are_comments(hybrid_plan: EgressPlan) -> None:
    text = squid_config(hybrid_plan)
    assert "# WARNING [shared-host] storage.googleapis.com:443" in text
    assert "# WARNING [widened-path]" in text
    assert "# widened: the vendor names only /support/security-center on www.broadcom.com" in text
    assert all(len(line) <= 120 for line in text.splitlines() if line.startswith("# WARNING"))


def test_suffix_covers_exact_names_and_cidrs_are_noted(suffix_plan: EgressPlan) -> None:
    text = squid_config(suffix_plan)
    agent = acl_items(text, "sep_egress_agent_tls_443")
    assert ".symantec.com" in agent
    assert not [item for item in agent if item.endswith(".symantec.com") and item != ".symantec.com"]
    assert "# liveupdate.symantec.com is covered by .symantec.com" in text
    assert "#   10.8.0.0/24 tcp/8443 (corp-relay)" in text
    # The overlay's suffix is not a vendor host, so it is not spliced; the catalog's exact names still are.
    assert "liveupdate.symantec.com" in acl_items(text, "sep_egress_no_bump")


def test_role_sources(on_prem_plan: EgressPlan) -> None:
    text = squid_config(on_prem_plan, SquidOptions(role_sources={"agent": ("10.20.0.0/16",)}))
    assert "acl sep_egress_src_agent src 10.20.0.0/16" in text
    assert "http_access allow CONNECT sep_egress_port_443 sep_egress_agent_tls_443 sep_egress_src_agent" in text
    assert "No client CIDRs given for sepm" in text
    for bad in ({"console": ("10.0.0.0/8",)}, {"agent": ("10.0.0.1/8",)}, {"agent": ("0.0.0.0/0",)}):
        with pytest.raises(ProxyExportError):
            squid_config(on_prem_plan, SquidOptions(role_sources=bad))  # type: ignore[arg-type]


@pytest.mark.parametrize("listen", ["", "host", "1.2.3.4:0", "1.2.3.4:70000", "3128 ssl-bump"])
def test_bad_listen_is_refused(on_prem_plan: EgressPlan, listen: str) -> None:
    with pytest.raises(ProxyExportError):
        squid_config(on_prem_plan, SquidOptions(mode="full", listen=listen))


def test_host_list_forms(suffix_plan: EgressPlan) -> None:
    bare = host_list(suffix_plan, comments=False).splitlines()
    assert bare == sorted(set(bare))
    assert ".symantec.com" in bare
    assert not any(line.startswith("#") for line in bare)
    star = host_list(suffix_plan, suffix_form="star", comments=False).splitlines()
    assert "*.symantec.com" in star
    assert host_list(suffix_plan).startswith("# Host list generated by sep-egress")


def test_csv_has_one_row_per_rule(suffix_plan: EgressPlan) -> None:
    rows = list(csv.DictReader(io.StringIO(csv_list(suffix_plan))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(suffix_plan.allow) + len(suffix_plan.cidrs)
    assert {row["kind"] for row in rows} == {"host", "cidr"}
    by_destination = {(row["destination"], row["port"]): row for row in rows}
    assert by_destination[("10.8.0.0/24", "8443")]["ids"] == "corp-relay"
    assert by_destination[("liveupdate.symantec.com", "443")]["tls_inspection_bypass"] == "true"
    assert by_destination[("symantec.com", "443")]["match"] == "suffix"


@settings(max_examples=40, deadline=None)
@given(
    roles=st.sets(st.sampled_from(ROLES), min_size=1),
    proxy=st.booleans(),
    storage=st.sampled_from(["both", "gcp", "aws"]),
    version=st.sampled_from(["14.2", "14.3", "14.3 RU1", "14.3 RU8"]),
)
def test_squid_never_exceeds_the_plan(roles: set[str], proxy: bool, storage: str, version: str) -> None:
    plan = select(load_catalog(), roles=sorted(roles), proxy=proxy, storage=storage, version=version)
    text = squid_config(plan, SquidOptions(mode="full"))
    names = {line.split()[-1].lstrip(".") for line in directives(text, "acl") if " dstdomain " in line}
    assert names <= {rule.host for rule in plan.allow}
    assert names == {rule.host for rule in plan.allow}
    assert "allow all" not in text
    assert text == squid_config(plan, SquidOptions(mode="full"))
