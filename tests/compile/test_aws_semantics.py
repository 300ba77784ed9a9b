"""What the compiled rules *do*, judged by the strict-order model over random overlays (hypothesis).

An independent oracle, written from the plan alone, says what must pass: a connection passes exactly when some
plan rule of a role whose network holds the source allows that name (exact, or the domain and its subdomains),
port and protocol, or that address range, port and transport. Everything else must be dropped.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.catalog import ROLES, Catalog, EgressPlan, SourcedOverlay, parse_overlay, select
from components.catalog.plan import AllowRule
from components.compile.aws import AwsFirewallOptions, compile_network_firewall
from components.compile.aws_evaluate import Connection, NetworkFirewallModel

#: Disjoint per-role networks, so "a source of another role" is a real negative case.
ROLE_NETWORKS = {role: f"10.{index + 1}.0.0/24" for index, role in enumerate(ROLES)}
OUTSIDE_SOURCE = "172.31.9.9"
PUBLIC_DESTINATION = "198.51.100.10"
PORT_POOL = (80, 443, 8080, 8443, 3128)

labels = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8).filter(
    lambda label: label[0].isalpha()
)
domains = st.builds(lambda a, b: f"{a}.{b}.example.com", labels, labels)


@st.composite
def host_entries(draw: st.DrawFn, index: int) -> dict[str, Any]:
    protocol = draw(st.sampled_from(["tls", "http"]))
    suffix = draw(st.booleans())
    hosts = draw(st.lists(domains, min_size=1, max_size=3, unique=True))
    ports = draw(st.lists(st.sampled_from(PORT_POOL), min_size=1, max_size=2, unique=True))
    scheme = "https" if protocol == "tls" else "http"
    urls = [f"*.{host}" if suffix else f"{scheme}://{host}" for host in hosts]
    entry: dict[str, Any] = {
        "id": f"random-{index}",
        "role": draw(st.sampled_from(ROLES)),
        "usage": {"en": "random overlay entry"},
        "urls": urls,
        "ports": ports,
        "domain_suffix": suffix,
    }
    if suffix:
        entry["protocol"] = protocol
    return entry


@st.composite
def cidr_entries(draw: st.DrawFn, index: int) -> dict[str, Any]:
    return {
        "id": f"range-{index}",
        "role": draw(st.sampled_from(ROLES)),
        "usage": {"en": "random address range"},
        "cidrs": [f"203.0.113.{draw(st.integers(0, 15)) * 16}/28"],
        "ports": [draw(st.sampled_from(PORT_POOL))],
        "protocol": draw(st.sampled_from(["tcp", "udp"])),
    }


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    count = draw(st.integers(1, 5))
    entries = [draw(host_entries(index)) for index in range(count)]
    entries += [draw(cidr_entries(index)) for index in range(draw(st.integers(0, 2)))]
    with_sources = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=len(ROLES), unique=True))
    return entries, {role: [ROLE_NETWORKS[role]] for role in with_sources}


def plan_with(catalog: Catalog, entries: list[dict[str, Any]]) -> EgressPlan:
    overlay = SourcedOverlay("random.yaml", parse_overlay({"entries": entries}, "random.yaml"))
    return select(catalog, mode="hybrid", roles=["console"], version="14.3 RU1", overlays=[overlay])


def source_in(role: str) -> str:
    return str(ipaddress.ip_network(ROLE_NETWORKS[role])[7])


def name_matches(rule: AllowRule, name: str) -> bool:
    name = name.lower()
    return name == rule.host or (rule.match == "suffix" and name.endswith("." + rule.host))


def oracle(plan: EgressPlan, sources: dict[str, list[str]], connection: Connection) -> bool:
    """Least privilege, stated from the plan: pass only what a role with this source is granted."""
    roles = {
        role for role in sources if ipaddress.ip_address(connection.source) in ipaddress.ip_network(sources[role][0])
    }
    for cidr_rule in plan.cidrs:
        if (
            roles.intersection(cidr_rule.roles)
            and ipaddress.ip_address(connection.destination) in ipaddress.ip_network(cidr_rule.cidr)
            and connection.port == cidr_rule.port
            and connection.transport == cidr_rule.protocol
        ):
            return True
    if connection.transport != "tcp" or connection.name is None:
        return False
    return any(
        roles.intersection(rule.roles)
        and rule.protocol == connection.application
        and rule.port == connection.port
        and name_matches(rule, connection.name)
        for rule in plan.allow
    )


def probes(plan: EgressPlan, extra_name: str, *, every_host: bool = False) -> list[Connection]:
    """Plan names and subdomains, a foreign name, every port of the pool, TLS/HTTP/other, from every network.

    Unless ``every_host``, only the overlay's names are probed (plus one catalog name), to keep examples fast.
    """
    names = {rule.host for rule in plan.allow if every_host or rule.ids[0].startswith("random-")}
    names |= {f"deep.{rule.host}" for rule in plan.allow if rule.match == "suffix"}
    names |= {f"x{rule.host}" for rule in plan.allow if rule.match == "suffix"}  # shares the suffix, no dot
    names |= {"liveupdate.symantec.com", extra_name}
    addresses = [source_in(role) for role in ROLES] + [OUTSIDE_SOURCE]
    connections = [
        Connection(source, port, PUBLIC_DESTINATION, "tcp", application, name)
        for source in addresses
        for port in PORT_POOL
        for application in ("tls", "http")
        for name in sorted(names)
    ]
    for cidr_rule in plan.cidrs:
        destination = str(ipaddress.ip_network(cidr_rule.cidr)[1])
        for source in addresses:
            for port in PORT_POOL:
                for transport in ("tcp", "udp"):
                    connections.append(Connection(source, port, destination, transport, "other", None))  # type: ignore[arg-type]
    connections += [Connection(source, 53, PUBLIC_DESTINATION, "udp", "other", None) for source in addresses]
    connections += [Connection(source, 22, PUBLIC_DESTINATION, "tcp", "other", None) for source in addresses]
    return connections


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(scenario=scenarios(), extra_name=domains)
def test_suricata_style_passes_exactly_what_the_plan_grants(
    catalog: Catalog, scenario: tuple[list[dict[str, Any]], dict[str, list[str]]], extra_name: str
) -> None:
    entries, sources = scenario
    plan = plan_with(catalog, entries)
    spec = compile_network_firewall(plan, sources)
    model = NetworkFirewallModel.from_spec(spec)
    for connection in probes(plan, extra_name):
        verdict = model.judge(connection)
        assert verdict.allowed == oracle(plan, sources, connection), (connection, verdict)
        if not verdict.allowed and connection.source != OUTSIDE_SOURCE:
            assert verdict.alert, (connection, verdict)


@FAST
@given(scenario=scenarios())
def test_every_plan_host_and_port_passes_from_each_role_that_needs_it(
    catalog: Catalog, scenario: tuple[list[dict[str, Any]], dict[str, list[str]]]
) -> None:
    entries, sources = scenario
    plan = plan_with(catalog, entries)
    model = NetworkFirewallModel.from_spec(compile_network_firewall(plan, sources))
    for rule in plan.allow:
        name = f"a.{rule.host}" if rule.match == "suffix" else rule.host.upper()
        for role in rule.roles:
            verdict = model.judge(Connection(source_in(role), rule.port, application=rule.protocol, name=name))
            assert verdict.allowed == (role in sources), (rule, role, verdict)


@FAST
@given(scenario=scenarios(), extra_name=domains)
def test_domain_list_style_keeps_names_but_not_ports_or_roles(
    catalog: Catalog, scenario: tuple[list[dict[str, Any]], dict[str, list[str]]], extra_name: str
) -> None:
    entries, sources = scenario
    plan = plan_with(catalog, entries)
    spec = compile_network_firewall(plan, sources, AwsFirewallOptions(style="domain-list"))
    model = NetworkFirewallModel.from_spec(spec)
    home = [ipaddress.ip_network(cidr) for cidr in spec.home_net]
    for connection in probes(plan, extra_name):
        if connection.application == "other":
            continue
        inside = any(ipaddress.ip_address(connection.source) in network for network in home)
        by_name = connection.name is not None and any(
            rule.protocol == connection.application
            and name_matches(rule, connection.name)
            and set(rule.roles).intersection(sources)  # a rule only for roles without sources is not emitted
            for rule in plan.allow
        )
        by_range = oracle(plan, sources, connection) and connection.name is None
        verdict = model.judge(connection)
        assert verdict.allowed == ((inside and by_name) or by_range), (connection, verdict)


@pytest.mark.parametrize("fixture", ["on_prem_plan", "hybrid_plan", "cloud_plan"])
def test_catalog_plans_pass_their_hosts_and_drop_the_rest(request: pytest.FixtureRequest, fixture: str) -> None:
    plan: EgressPlan = request.getfixturevalue(fixture)
    sources = {role: [ROLE_NETWORKS[role]] for role in plan.roles}
    model = NetworkFirewallModel.from_spec(compile_network_firewall(plan, sources))
    for connection in probes(plan, "attacker.example.org", every_host=True):
        assert model.judge(connection).allowed == oracle(plan, sources, connection), connection
    for rule in plan.allow:
        for role in rule.roles:
            assert model.judge(Connection(source_in(role), rule.port, name=rule.host)).allowed
