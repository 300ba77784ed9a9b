"""SEP's internal paths (catalog/data/internal.yaml): the documentation's facts, the user's destinations, the plan,
and what the AWS and GCP evaluators let through with and without an internal SEPM address."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sep_egress.catalog import Catalog, EgressPlan, SourcedOverlay, parse_overlay, select
from sep_egress.catalog.internal import (
    INTERNAL_CATALOG_PATH,
    InternalCatalog,
    InternalDestinations,
    destinations_from_config,
    destinations_from_flags,
    load_internal_catalog,
)
from sep_egress.compile.aws import AwsFirewallOptions, compile_network_firewall
from sep_egress.compile.aws_evaluate import Connection, NetworkFirewallModel
from sep_egress.compile.gcp_eval import Connection as GcpConnection
from sep_egress.compile.gcp_eval import Machine, evaluate
from sep_egress.compile.gcp_firewall import compile_firewall_policy
from sep_egress.compile.gcp_model import FirewallOptions, parse_targets
from sep_egress.errors import CatalogError, ConfigError, SelectionError
from sep_egress.settings import parse_stack_config, read_stack_file

from support import ROOT, run_cli

TECHDOCS = (
    "https://techdocs.broadcom.com/fr/fr/symantec-security-software/endpoint-security-and-management/"
    "endpoint-protection/all/getting-up-and-running-on-for-the-first-time-v45150512-d43e1033/"
    "communication-ports-for-symantec-endpoint-protecti-v7054802-d23e797.html"
)
KB_158445 = "https://knowledge.broadcom.com/external/article?articleId=158445"

# The facts as the documentation states them, written out here from the sources (not from the YAML):
# - techdocs "Ports de communication pour Symantec Endpoint Protection" (TECHDOCS, fr; de/it/pl editions for the
#   TCP 2967 row, whose French cell is cut in the stored copy): TCP 139, 445 + UDP 137, 138 push deployment from
#   SEPM to Windows computers, "Non configurable", "Toutes"; TCP 22 push deployment to Macs, "Non configurable",
#   "Toutes"; TCP 2967 Group Update Provider web caching proxy, initiated by the clients, "Konfigurierbar"/
#   "Configurabile", all versions.
# - KB 158445 (en): clients to the manager's Apache on TCP 443 (HTTPS) and 8014 (HTTP) "by default"; managers to
#   managers over 8443/HTTPS; the web console over 8443/HTTPS; the Reporting Server site over 8445/HTTPS (the
#   console's Home, Monitors and Reports tabs); the Web Services site over 8446/HTTPS.
# (id, from role, destination kind, transport, ports, configurable, optional, source, words the quote must hold)
DOCUMENTED: tuple[tuple[str, str, str, str, tuple[int, ...], bool, bool, str, tuple[str, ...]], ...] = (
    ("sepm-agent-https", "agent", "sepm", "tcp", (443,), True, False, "kb-158445", ("By default", "TCP port 443")),
    ("sepm-agent-http", "agent", "sepm", "tcp", (8014,), True, True, "kb-158445", ("TCP port 8014", "HTTP")),
    ("gup-agent-proxy", "agent", "gup", "tcp", (2967,), True, False, "techdocs-ports", ("TCP 2967", "Konfigurierbar")),
    ("sepm-console-web", "console", "sepm", "tcp", (8443,), False, False, "kb-158445", ("Web console", "8443/HTTPS")),
    ("sepm-console-reporting", "console", "sepm", "tcp", (8445,), False, False, "kb-158445", ("Reporting", "8445")),
    ("sepm-console-web-services", "console", "sepm", "tcp", (8446,), False, True, "kb-158445",
     ("Web Services", "8446")),
    ("sepm-replication", "sepm", "sepm", "tcp", (8443,), False, True, "kb-158445", ("other managers", "8443/HTTPS")),
    ("clients-push-windows-tcp", "sepm", "clients", "tcp", (139, 445), False, False, "techdocs-ports",
     ("TCP 139, 445", "Windows", "Non configurable", "Toutes")),
    ("clients-push-windows-udp", "sepm", "clients", "udp", (137, 138), False, False, "techdocs-ports",
     ("UDP 137, 138", "Windows", "Non configurable", "Toutes")),
    ("clients-push-mac", "sepm", "clients", "tcp", (22,), False, True, "techdocs-ports",
     ("TCP 22", "Mac", "Non configurable", "Toutes")),
)  # fmt: skip

SEPM = "10.20.0.10/32"
SOURCES = {
    "agent": ["10.10.0.0/16"],
    "agent-cloud": ["10.10.0.0/16"],
    "sepm": ["10.20.0.10/32"],
    "sepm-cloud": ["10.20.0.10/32"],
    "console": ["10.30.0.0/24"],
}
AGENT, CONSOLE = "10.10.1.5", "10.30.0.5"


@pytest.fixture(scope="module")
def internal() -> InternalCatalog:
    return load_internal_catalog()


def hybrid(
    catalog: Catalog, internal: InternalDestinations | dict[str, Any] | None = None, **kwargs: Any
) -> EgressPlan:
    return select(catalog, mode="hybrid", roles=["console"], version="14.3 RU1", internal=internal, **kwargs)


# --- the documentation's facts ---------------------------------------------------------------------------------


def test_every_documented_path_is_in_the_file_as_the_documentation_states_it(internal: InternalCatalog) -> None:
    assert [path.id for path in internal.paths] == [row[0] for row in DOCUMENTED]
    for path_id, role, kind, protocol, ports, configurable, optional, source, words in DOCUMENTED:
        path = internal.path(path_id)
        assert path is not None
        assert (path.from_role, path.to, path.protocol, path.ports) == (role, kind, protocol, ports), path_id
        assert (path.configurable, path.optional, path.source) == (configurable, optional, source), path_id
        for word in words:
            assert word in path.quote.text, (path_id, word)
        for port in ports:  # the quote carries every port the path opens
            assert str(port) in path.quote.text, (path_id, port)
        assert path.quote.language == ("en" if source == "kb-158445" else path.quote.language)
        # "Toutes"/"Alle" (all versions) and the KB's silence give no version bound
        assert (path.min_version, path.max_version, path.before_version) == (None, None, None)
        assert path.blocked and path.usage


def test_the_file_names_its_sources_and_what_it_could_not_transcribe(internal: InternalCatalog) -> None:
    assert internal.sources["techdocs-ports"].url == TECHDOCS
    assert internal.sources["techdocs-ports"].language == "fr"
    assert internal.sources["kb-158445"].url == KB_158445
    assert internal.sources["kb-158445"].language == "en"
    for source in internal.sources.values():
        assert source.publisher == "Broadcom" and source.read
    subjects = " ".join(subject for subject, _ in internal.not_transcribed)
    for missing in ("1433", "2638", "LiveUpdate Administrator", "2968"):
        assert missing in subjects  # left out rather than guessed
    for reading in internal.readings:
        assert reading.source in internal.sources and reading.text and reading.reading


def test_internal_ids_never_collide_with_the_catalog(catalog: Catalog, internal: InternalCatalog) -> None:
    assert not {path.id for path in internal.paths} & {entry.id for entry in catalog.entries}


def raw_file() -> dict[str, Any]:
    data = yaml.safe_load(INTERNAL_CATALOG_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d["paths"][0].update(to="lua"), "destination kind 'lua' is not under 'destinations'"),
        (lambda d: d["paths"][1].update(id="sepm-agent-https"), "duplicate id sepm-agent-https"),
        (
            lambda d: d["paths"][0].update(ports=[70000]),
            "path 'sepm-agent-https', field 'ports[0]': Input should be less than or equal to 65535",
        ),
        (lambda d: d["paths"][0].update(ports=[443, 443]), "a port is listed twice"),
        (lambda d: d["paths"][0].update(source="blog"), "source 'blog' is not under 'sources'"),
        (lambda d: d["paths"][0].update(protocol="icmp"), "field 'protocol'"),
        (lambda d: d["paths"][0].update(bogus=1), "unknown field"),
        (lambda d: d["paths"][0].update(id="sepm-agent-https\n"), "is not a valid id"),
        (lambda d: d["destinations"].update({"lua\n": {"en": "x"}}), "is not a destination kind"),
        (lambda d: d["destinations"].update({"ports": {"en": "x"}}), "'ports' is reserved"),
        (lambda d: d["changes"][0]["added"].pop(), "paths never recorded as added: clients-push-mac"),
        (lambda d: d["sources"]["kb-158445"].update(url="http://x"), "field 'sources.kb-158445.url'"),
        # Texts reach plan warnings and `catalog internal`: one line, no controls, like the vendor catalog's.
        (lambda d: d["paths"][0].update(caveat="x\u2028http_access allow all"), "field 'caveat'"),
        (lambda d: d["paths"][0]["usage"].update(en="x\ny"), "field 'usage.en'"),
        (lambda d: d["sources"]["kb-158445"].update(language="fr\n"), "two-letter language code"),
    ],
)
def test_a_broken_file_is_refused_naming_the_file_and_the_problem(tmp_path: Path, edit: Any, words: str) -> None:
    data = copy.deepcopy(raw_file())
    edit(data)
    path = tmp_path / "internal.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_internal_catalog(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert words in str(caught.value)


# --- the user's destinations -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ({"sepm": ["0.0.0.0/0"]}, "internal.sepm[0]", "every address"),
        ({"sepm": ["::/0"]}, "internal.sepm[0]", "every address"),
        ({"sepm": ["10.0.0.1/8"]}, "internal.sepm[0]", "host bits set"),
        ({"sepm": ["10.20.0.10"]}, "internal.sepm[0]", "is not a CIDR"),
        ({"sepm": ["10.20.0.10/32 "]}, "internal.sepm[0]", "is not a CIDR"),
        ({"sepm": ["10.20.0.10/32\n"]}, "internal.sepm[0]", "is not a CIDR"),
        ({"sepm": ["10.20.0.10/32", "10.20.0.10/32"]}, "internal.sepm[1]", "listed twice"),
        ({"sepm": [10]}, "internal.sepm[0]", "a CIDR is text"),
        ({"sepm": "10.20.0.10/32"}, "internal.sepm", "a non-empty list of CIDRs"),
        ({"sepm": []}, "internal.sepm", "a non-empty list of CIDRs"),
        ({"lua": ["10.20.0.30/32"]}, "internal.lua", "unknown key"),
        (["10.20.0.10/32"], "internal", "a mapping of destination kinds"),
        ({"ports": {"sepm-agent-https": [8443]}}, "internal", "need the addresses"),
        ({"sepm": [SEPM], "ports": {"sepm-console-web": [9443]}}, "internal.ports.sepm-console-web", "fixed"),
        ({"sepm": [SEPM], "ports": {"nope": [1]}}, "internal.ports.nope", "unknown internal path"),
        ({"sepm": [SEPM], "ports": {"gup-agent-proxy": [1]}}, "internal.ports.gup-agent-proxy", "no addresses"),
        ({"sepm": [SEPM], "ports": {"sepm-agent-https": [0]}}, "internal.ports.sepm-agent-https[0]", "1..65535"),
        ({"sepm": [SEPM], "ports": {"sepm-agent-https": [True]}}, "internal.ports.sepm-agent-https[0]", "whole"),
        ({"sepm": [SEPM], "ports": {"sepm-agent-https": [443, 443]}}, "internal.ports.sepm-agent-https[1]", "twice"),
        ({"sepm": [SEPM], "ports": {"sepm-agent-http": [80]}}, "internal.ports.sepm-agent-http", "optional"),
        ({"sepm": [SEPM], "paths": ["sepm-agent-https"]}, "internal.paths[0]", "always selected"),
        ({"sepm": [SEPM], "paths": ["clients-push-mac"]}, "internal.paths[0]", "no addresses"),
        ({"sepm": [SEPM], "paths": "sepm-replication"}, "internal.paths", "a list of optional path ids"),
    ],
)
def test_config_mistakes_name_the_key(value: Any, field: str, words: str) -> None:
    with pytest.raises(SelectionError) as caught:
        destinations_from_config(value)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("flags", "start", "words"),
    [
        ({"internal": ["sepm"]}, "--internal sepm: ", "expected KIND=CIDR"),
        ({"internal": ["sepm=0.0.0.0/0"]}, "--internal sepm=0.0.0.0/0: ", "every address"),
        ({"internal": ["lua=10.0.0.0/8"]}, "--internal lua=10.0.0.0/8: ", "unknown destination kind 'lua'"),
        ({"internal": [f"sepm={SEPM}"], "ports": ["sepm-agent-https"]}, "--internal-port sepm-agent-https: ", "PATH="),
        (
            {"internal": [f"sepm={SEPM}"], "ports": ["sepm-agent-https=x"]},
            "--internal-port sepm-agent-https=x: ",
            "1 to",
        ),
        ({"internal": [f"sepm={SEPM}"], "paths": ["nope"]}, "--internal-path nope: ", "unknown internal path"),
        ({"paths": ["sepm-replication"]}, "--internal-port/--internal-path: ", "give the addresses first"),
    ],
)
def test_flag_mistakes_name_the_flag(flags: dict[str, list[str]], start: str, words: str) -> None:
    with pytest.raises(SelectionError) as caught:
        destinations_from_flags(flags.get("internal", ()), flags.get("ports", ()), flags.get("paths", ()))
    assert str(caught.value).startswith(start)
    assert words in str(caught.value)


def test_config_and_flags_give_the_same_canonical_destinations() -> None:
    from_config = destinations_from_config(
        {
            "gup": ["10.10.5.16/28", "10.10.5.0/28"],
            "sepm": ["10.20.0.11/32", SEPM],
            "ports": {"sepm-agent-https": [8443, 443]},
            "paths": ["sepm-replication"],
        }
    )
    from_flags = destinations_from_flags(
        [f"sepm={SEPM},10.20.0.11/32", "gup=10.10.5.0/28", "gup=10.10.5.16/28"],
        ["sepm-agent-https=443,8443"],
        ["sepm-replication"],
    )
    assert from_config == from_flags
    assert from_config.addresses == (("gup", ("10.10.5.0/28", "10.10.5.16/28")), ("sepm", (SEPM, "10.20.0.11/32")))


# --- the plan --------------------------------------------------------------------------------------------------


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


# --- the evaluators --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_aws_allows_agent_to_sepm_only_with_its_address_and_only_there(catalog: Catalog, style: str) -> None:
    options = AwsFirewallOptions(style=style)
    without = NetworkFirewallModel.from_spec(compile_network_firewall(hybrid(catalog), SOURCES, options))
    plan = hybrid(catalog, destinations_from_config({"sepm": [SEPM]}))
    model = NetworkFirewallModel.from_spec(compile_network_firewall(plan, SOURCES, options))
    granted = [
        Connection(AGENT, 443, "10.20.0.10", "tcp", "tls", "sepm.corp.example"),
        Connection(AGENT, 443, "10.20.0.10", "tcp", "other", None),
        Connection(CONSOLE, 8443, "10.20.0.10", "tcp", "tls", "sepm.corp.example"),
        Connection(CONSOLE, 8445, "10.20.0.10", "tcp", "tls", None),
    ]
    for connection in granted:
        assert model.judge(connection).allowed, connection
        assert not without.judge(connection).allowed, connection  # nothing internal without the address
    refused = [
        Connection(AGENT, 443, "10.20.0.11", "tcp", "tls", "sepm.corp.example"),  # another internal address
        Connection(AGENT, 443, "10.10.2.2", "tcp", "other", None),  # another agent
        Connection(AGENT, 8443, "10.20.0.10", "tcp", "tls", None),  # the console's port, from an agent
        Connection(AGENT, 8014, "10.20.0.10", "tcp", "http", "sepm.corp.example"),  # optional HTTP path not chosen
        Connection(AGENT, 443, "10.20.0.10", "udp", "other", None),
        Connection(CONSOLE, 443, "10.20.0.10", "tcp", "other", None),  # the agents' port, from a console
        Connection(CONSOLE, 8443, "10.20.0.12", "tcp", "tls", None),
    ]
    for connection in refused:
        assert not model.judge(connection).allowed, connection


def test_gcp_allows_agent_to_sepm_only_with_its_address_and_only_there(catalog: Catalog) -> None:
    # One service account per machine kind: the agent's roles on client VMs, the console's on admin workstations.
    targets = parse_targets(
        {
            kind: {"service_accounts": [f"{account}@p.iam.gserviceaccount.com"]}
            for kind, account in (("clients", "agent"), ("managers", "sepm"), ("admin-workstations", "console"))
        }
    )
    options = FirewallOptions(networks=("projects/p/global/networks/vpc",), default_deny=True)
    without = compile_firewall_policy(hybrid(catalog), targets, options)
    spec = compile_firewall_policy(hybrid(catalog, destinations_from_config({"sepm": [SEPM]})), targets, options)
    agent = Machine.carrying(service_account="agent@p.iam.gserviceaccount.com")
    console = Machine.carrying(service_account="console@p.iam.gserviceaccount.com")
    for workload, port in ((agent, 443), (console, 8443), (console, 8445)):
        connection = GcpConnection(ip="10.20.0.10", port=port)
        assert evaluate(spec, workload, connection).verdict == "allow", (workload, port)
        assert evaluate(without, workload, connection).verdict == "deny", (workload, port)
    for workload, ip, port, protocol in (
        (agent, "10.20.0.11", 443, "tcp"),
        (agent, "10.10.2.2", 443, "tcp"),
        (agent, "10.20.0.10", 8443, "tcp"),
        (agent, "10.20.0.10", 443, "udp"),
        (console, "10.20.0.10", 443, "tcp"),
        (console, "10.20.0.12", 8443, "tcp"),
    ):
        verdict = evaluate(spec, workload, GcpConnection(ip=ip, port=port, protocol=protocol)).verdict
        assert verdict == "deny", (workload, ip, port, protocol)


# --- stacks and command line -----------------------------------------------------------------------------------


def test_the_prod_stack_declares_its_sepm_and_plans_agent_to_sepm() -> None:
    plan = read_stack_file(ROOT, "prod").plan()
    assert any(rule.cidr == SEPM and rule.port == 443 and rule.roles == ("agent",) for rule in plan.cidrs)


def test_a_stack_key_mistake_names_the_full_key() -> None:
    config = {"sep-egress:mode": "on-prem", "sep-egress:version": "14.3 RU1", "sep-egress:internal": {"sepm": ["x"]}}
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(config, "stacks/Pulumi.t.yaml", ROOT).plan()
    assert caught.value.problems[0][0] == "sep-egress:internal.sepm[0]"
    assert str(caught.value).startswith("stacks/Pulumi.t.yaml: sep-egress:internal.sepm[0]: 'x' is not a CIDR")
    engine = {**config, "sep-egress:internal": json.dumps({"sepm": [SEPM]})}  # as the Pulumi engine passes it
    plan = parse_stack_config(engine, "engine", ROOT).plan()
    assert {rule.ids for rule in plan.cidrs} == {("sepm-agent-https",)}


run = run_cli


def test_plan_command_lists_internal_rules_under_cidrs() -> None:
    result = run("plan", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["cidrs"] == [
        {"cidr": SEPM, "ids": ["sepm-agent-https"], "port": 443, "protocol": "tcp", "roles": ["agent"]}
    ]
    bad = run("plan", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", "sepm=0.0.0.0/0")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr == (
        "sep-egress plan: error: --internal sepm=0.0.0.0/0: '0.0.0.0/0' is every address; sep-egress never allows "
        "all destinations\n"
    )
    stack = run("plan", "--stack", "prod", "--internal", f"sepm={SEPM}")
    assert stack.returncode == 2 and "drop --internal" in stack.stderr
    assert "--internal KIND=CIDR" in run("plan", "--help").stdout


def test_the_internal_catalog_is_cached_and_a_warm_run_skips_pydantic(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from sep_egress.catalog.internal import load_internal_catalog\n"
        "load_internal_catalog()\n"
        "print('pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "SEP_EGRESS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("SEP_EGRESS_NO_CACHE", None)
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
        for _ in range(2)
    ]
    assert [run.stdout.strip() for run in runs] == ["True", "False"]
    (entry,) = (tmp_path / "cache").glob("internal-*.json")
    assert oct(entry.stat().st_mode & 0o777) == "0o600"
    # A tampered entry (a line break smuggled into a text) is refused and the file validated again.
    tampered = entry.read_text(encoding="utf-8").replace(
        "Symantec Endpoint Protection Manager", "x\\nhttp_access allow all", 1
    )
    assert tampered != entry.read_text(encoding="utf-8")
    entry.write_text(tampered, encoding="utf-8")
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True
        ).stdout.strip()
        == "True"
    )


def test_the_prod_preview_shows_agent_to_sepm_allowed_on_both_clouds() -> None:
    from sep_egress.preview import render_text, run_preview

    text = render_text(run_preview(ROOT, "prod"))
    assert "allow $SEP_AGENT_NET -> 10.20.0.10/32:443 (tcp)" in text
    assert "allow $SEP_CONSOLE_NET -> 10.20.0.10/32:8443 (tcp)" in text
    assert "[sep-agent@sep-prod-network.iam.gserviceaccount.com] tcp:443 -> 10.20.0.10/32" in text
    assert "tcp:8443/8445 -> 10.20.0.10/32" in text


@pytest.mark.parametrize(
    "declared",
    [
        InternalDestinations(addresses=(("sepm", ("0.0.0.0/0",)),)),
        InternalDestinations(addresses=(("sepm", ("10.20.0.10/32 ",)),)),
        InternalDestinations(addresses=(("lua", ("10.20.0.10/32",)),)),
        InternalDestinations(addresses=(("sepm", ("10.20.0.10/32",)),), ports=(("sepm-console-web", (1,)),)),
        InternalDestinations(addresses=(("sepm", ("10.20.0.11/32", "10.20.0.10/32")),)),
    ],
)
def test_destinations_built_by_hand_are_validated_again(catalog: Catalog, declared: InternalDestinations) -> None:
    with pytest.raises(SelectionError):
        hybrid(catalog, declared)


def test_plan_table_names_the_internal_destinations() -> None:
    result = run("plan", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert header.endswith(f"| internal {load_internal_catalog().version}: sepm={SEPM}")
    assert f"{SEPM} " in result.stdout and "sepm-agent-https" in result.stdout


def test_the_readme_table_of_stack_keys_lists_every_key() -> None:
    from sep_egress.settings import StackSettings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1] for line in readme.splitlines() if line.startswith("| `sep-egress:")}
    assert rows == {f"sep-egress:{name}" for name in StackSettings.model_fields}
    assert "--internal KIND=CIDR" in readme and "--internal-port" in readme and "--internal-path" in readme


def test_select_takes_the_stack_key_mapping_as_well(catalog: Catalog) -> None:
    as_mapping = hybrid(catalog, {"sepm": [SEPM]})
    assert as_mapping.to_json() == hybrid(catalog, destinations_from_config({"sepm": [SEPM]})).to_json()
    with pytest.raises(SelectionError, match=r"^internal\.sepm\[0\]: '0\.0\.0\.0/0' is every address"):
        hybrid(catalog, {"sepm": ["0.0.0.0/0"]})


def test_the_docs_table_of_paths_matches_the_file(internal: InternalCatalog) -> None:
    text = (ROOT / "docs" / "internal.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| `")]
    table = {cells[0].strip().strip("`"): [cell.strip() for cell in cells[1:]] for cells in rows}
    assert list(table) == [path.id for path in internal.paths]
    for path in internal.paths:
        role, kind, transport, configurable, selected, _ = table[path.id]
        assert (role, kind, configurable) == (path.from_role, path.to, "yes" if path.configurable else "no")
        assert transport.startswith(f"{path.protocol.upper()} {', '.join(map(str, path.ports))}")
        assert (selected == "optional") == path.optional


def test_the_component_selection_takes_internal_destinations(catalog: Catalog) -> None:
    """Components (Python and the component package) select internal paths as the stack key does."""
    from sep_egress.arguments import InternalSelectionArgs, SelectionArgs
    from sep_egress.catalog.internal import load_internal_catalog

    kinds = set(InternalSelectionArgs.model_fields) - {"ports", "paths"}
    assert kinds == set(load_internal_catalog().destinations)
    config = {"sepm": [SEPM], "ports": {"sepm-agent-https": [8443]}}
    selection = SelectionArgs(version="14.3 RU1", mode="hybrid", roles=["console"], internal=config)

    def error(where: str, message: str) -> SelectionError:
        return SelectionError(f"{where}: {message}")

    plan = selection.plan(error)
    assert plan.to_json() == hybrid(catalog, config).to_json()
    with pytest.raises(SelectionError, match=r"^selection\.internal\.sepm\[0\]: '0\.0\.0\.0/0' is every address"):
        SelectionArgs(version="14.3 RU1", mode="hybrid", internal={"sepm": ["0.0.0.0/0"]}).plan(error)


def test_catalog_internal_lists_every_path_with_its_id() -> None:
    from sep_egress.catalog.internal import load_internal_catalog

    internal = load_internal_catalog()
    result = run("catalog", "internal", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == internal.version
    assert [path["id"] for path in data["paths"]] == [path.id for path in internal.paths]
    https = next(path for path in data["paths"] if path["id"] == "sepm-agent-https")
    assert (https["from_role"], https["to"], https["ports"], https["configurable"]) == ("agent", "sepm", [443], True)
    table = run("catalog", "internal")
    assert table.returncode == 0 and "sepm-agent-https" in table.stdout and "Not transcribed" in table.stdout
    csv_out = run("catalog", "internal", "--format", "csv")
    assert csv_out.stdout.splitlines()[0].startswith("id,from_role,to,protocol,ports")


def test_exports_name_the_internal_catalog_version() -> None:
    from sep_egress.catalog.internal import load_internal_catalog

    version = load_internal_catalog().version
    csv_out = run("export", "csv", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}")
    assert csv_out.returncode == 0, csv_out.stderr
    [row] = [line for line in csv_out.stdout.splitlines() if line.startswith(SEPM)]
    assert row.endswith(f",internal {version}")
    squid = run("export", "squid", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}")
    assert f"and internal catalog {version}." in squid.stdout.splitlines()[0]


def test_check_names_the_address_ranges_it_does_not_probe() -> None:
    """`check` probes names (DNS, TCP, TLS); the internal rules are address ranges: they are listed as not checked
    rather than silently left out. The one probed name goes to a closed loopback port."""
    args = ("check", "--mode", "on-prem", "--version", "14.3 RU1", "--internal", f"sepm={SEPM}")
    probe = ("--only", "ent-shasta-rrs.symantec.com", "--resolve", "*:127.0.0.1", "--timeout", "2")
    result = run(*args, *probe, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    assert json.loads(result.stdout)["ranges_not_checked"] == [f"{SEPM}:443/tcp"]
    text = run(*args, *probe)
    assert "Not checked: 1 address range rule(s)" in text.stdout and f"{SEPM}:443/tcp" in text.stdout
