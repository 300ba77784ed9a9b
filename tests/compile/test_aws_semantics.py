"""What the compiled rules *do*, judged by the strict-order model over random overlays (hypothesis).

An independent oracle, written from the plan alone, says what must pass: a connection passes exactly when some
plan rule of a role whose network holds the source allows that name (exact, or the domain and its subdomains),
port and protocol, or that address range, port and transport. Everything else must be dropped.

UDP, ICMP, GRE and ESP are judged on their first packet, which is not established: the model lets it through
unless a rule drops it (or the default is aws:drop_strict). So "dropped from a declared source" is proved here as
"dropped by one of our rules", whatever the default action does with non-TCP traffic. Sources outside every
declared network get no rule at all (nothing is known about them): for them only "no rule of ours passes it" holds.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sep_egress.catalog import ROLES, Catalog, EgressPlan, SourcedOverlay, parse_overlay, select
from sep_egress.catalog.plan import AllowRule
from sep_egress.compile.aws import AwsFirewallOptions, compile_network_firewall
from sep_egress.compile.aws_evaluate import Connection, NetworkFirewallModel, Transport, Verdict

#: Disjoint per-role networks, so "a source of another role" is a real negative case.
ROLE_NETWORKS = {role: f"10.{index + 1}.0.0/24" for index, role in enumerate(ROLES)}
OUTSIDE_SOURCE = "172.31.9.9"
PUBLIC_DESTINATION = "198.51.100.10"
PORT_POOL = (80, 443, 8080, 8443, 3128)
NON_TCP: tuple[Transport, ...] = ("udp", "icmp", "gre", "esp")
UDP_PORTS = (53, 123, 443, 3128)  # DNS to any resolver, NTP, QUIC, and a port the ranges may grant

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
        for source in addresses:
            for transport in ("icmp", "gre", "esp"):
                connections.append(Connection(source, 0, destination, transport, "other", None))
    for source in addresses:
        connections += [Connection(source, port, PUBLIC_DESTINATION, "udp", "other", None) for port in UDP_PORTS]
        connections += [Connection(source, 0, PUBLIC_DESTINATION, t, "other", None) for t in ("icmp", "gre", "esp")]
        connections.append(Connection(source, 22, PUBLIC_DESTINATION, "tcp", "other", None))
    return connections


def declared(sources: dict[str, list[str]], address: str) -> bool:
    return any(ipaddress.ip_address(address) in ipaddress.ip_network(cidrs[0]) for cidrs in sources.values())


def assert_least_privilege(
    plan: EgressPlan, sources: dict[str, list[str]], connection: Connection, verdict: Verdict
) -> None:
    """The verdict is the oracle's; non-TCP from a declared source that is not granted is dropped *by a rule*."""
    expected = oracle(plan, sources, connection)
    if connection.transport == "tcp" or declared(sources, connection.source):
        assert verdict.allowed == expected, (connection, verdict)
    else:  # undeclared source, non-TCP: no rule of ours may pass it; the default action may not stop it either
        assert not verdict.allowed or verdict.decided_by == "first packet not established", (connection, verdict)
    if connection.transport != "tcp" and declared(sources, connection.source) and not expected:
        assert verdict.decided_by.startswith("guard#"), (connection, verdict)


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
        assert_least_privilege(plan, sources, connection, verdict)
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
        if connection.transport != "tcp":
            assert_least_privilege(plan, sources, connection, model.judge(connection))
            continue
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
        assert_least_privilege(plan, sources, connection, model.judge(connection))
    for rule in plan.allow:
        for role in rule.roles:
            assert model.judge(Connection(source_in(role), rule.port, name=rule.host)).allowed


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
@pytest.mark.parametrize("transport", NON_TCP)
def test_non_tcp_from_every_declared_source_is_dropped_by_a_rule(
    hybrid_plan: EgressPlan, style: str, transport: Transport
) -> None:
    """DNS to a public resolver, NTP, QUIC, ICMP, GRE, ESP: dropped and alerted by the guard, not left to a default."""
    sources = {role: [ROLE_NETWORKS[role]] for role in hybrid_plan.roles}
    spec = compile_network_firewall(hybrid_plan, sources, AwsFirewallOptions(style=style))  # type: ignore[arg-type]
    model = NetworkFirewallModel.from_spec(spec)
    for role in hybrid_plan.roles:
        for port in UDP_PORTS if transport == "udp" else (0,):
            verdict = model.judge(Connection(source_in(role), port, "8.8.8.8", transport, "other"))
            assert not verdict.allowed and verdict.alert, (role, port, verdict)
            assert verdict.decided_by.startswith("guard#"), verdict


def test_the_model_does_not_count_a_first_udp_packet_as_established() -> None:
    """Without rules, aws:drop_established drops established TCP but lets the first UDP or ICMP packet through;
    aws:drop_strict drops both. This is why the guard drops non-TCP traffic itself."""
    established = NetworkFirewallModel([], ["10.1.0.0/24"])
    strict = NetworkFirewallModel([], ["10.1.0.0/24"], ("aws:drop_strict", "aws:alert_strict"))
    for transport in NON_TCP:
        first = Connection("10.1.0.7", 53, "8.8.8.8", transport, "other")
        assert established.judge(first).allowed, transport
        assert established.judge(first).decided_by == "first packet not established"
        assert not strict.judge(first).allowed
    tcp = Connection("10.1.0.7", 443, "198.51.100.10", "tcp", "tls", "example.com")
    assert not established.judge(tcp).allowed and not strict.judge(tcp).allowed


def test_the_model_reads_ip_proto_and_ignores_ports_for_portless_protocols() -> None:
    group = {
        "RulesSource": {
            "RulesString": "\n".join(
                [
                    'pass ip 10.1.0.0/24 any -> any 53 (msg:"a"; flow:to_server; sid:1;)',
                    'drop ip 10.1.0.0/24 any -> any any (msg:"b"; ip_proto:!TCP; ip_proto:!17; flow:to_server; sid:2;)',
                ]
            )
        }
    }
    model = NetworkFirewallModel([("g", group)], ["10.1.0.0/24"])
    assert model.judge(Connection("10.1.0.7", 53, transport="udp", application="other")).decided_by == "g#1"
    assert model.judge(Connection("10.1.0.7", 53, transport="gre", application="other")).decided_by == "g#2"
    assert model.judge(Connection("10.1.0.7", 54, transport="udp", application="other")).decided_by == (
        "first packet not established"
    )
    with pytest.raises(ValueError, match="ip_proto 'pim' is not modelled"):
        NetworkFirewallModel(
            [("g", {"RulesSource": {"RulesString": "drop ip any any -> any any (ip_proto:pim; sid:3;)"}})], []
        )
