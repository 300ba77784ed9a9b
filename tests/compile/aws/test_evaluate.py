"""What the compiled rules *do*, judged packet by packet by the strict-order model over random overlays (hypothesis).

An independent oracle, written from the plan alone, says what must pass: a connection passes exactly when some
plan rule of a role whose network holds the source allows that name (exact, or the domain and its subdomains),
port and protocol, or that address range, port and transport. Everything else from a declared source must be
refused by one of our rules, whatever the policy's default action (aws:drop_strict, aws:drop_established,
aws:drop_established_app_layer, or none: a consumer's policy through RAM or create_policy false may use any) and
however many segments the ClientHello or request headers span (post-quantum key shares split ClientHellos).

Sources outside every declared network get no rule at all (nothing is known about them): for them only "no rule of
ours passes it" holds; the default action decides.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from sep_egress.catalog import ROLES, Catalog, EgressPlan, SourcedOverlay, parse_overlay, select
from sep_egress.catalog.vendor.plan import AllowRule
from sep_egress.compile.aws import ROLE_VARIABLES, AwsEgressSpec, AwsFirewallOptions, compile_network_firewall
from sep_egress.compile.aws.evaluate import DEFAULT_ACTION_MODELS, Connection, NetworkFirewallModel, Transport, Verdict

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


DEFAULTS = sorted(DEFAULT_ACTION_MODELS)


def probes(plan: EgressPlan, extra_name: str, segments: int, *, every_host: bool = False) -> list[Connection]:
    """Plan names and subdomains, a foreign name, every port of the pool, TLS/HTTP/other, from every network.

    Unless ``every_host``, only the overlay's names are probed (plus one catalog name), to keep examples fast.
    """
    names = {rule.host for rule in plan.allow if every_host or rule.ids[0].startswith("random-")}
    names |= {f"deep.{rule.host}" for rule in plan.allow if rule.match == "suffix"}
    names |= {f"x{rule.host}" for rule in plan.allow if rule.match == "suffix"}  # shares the suffix, no dot
    names |= {"liveupdate.symantec.com", extra_name}
    addresses = [source_in(role) for role in ROLES] + [OUTSIDE_SOURCE]
    connections = [
        Connection(source, port, PUBLIC_DESTINATION, "tcp", application, name, segments)
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
        connections += [Connection(source, port, PUBLIC_DESTINATION, "tcp", "other", None) for port in (22, 443)]
        # A ClientHello without SNI, an HTTP request without Host: nothing to match, so refused.
        connections.append(Connection(source, 443, PUBLIC_DESTINATION, "tcp", "tls", None, segments))
        connections.append(Connection(source, 80, PUBLIC_DESTINATION, "tcp", "http", None, segments))
    return connections


def declared(sources: dict[str, list[str]], address: str) -> bool:
    return any(ipaddress.ip_address(address) in ipaddress.ip_network(cidrs[0]) for cidrs in sources.values())


def ours(verdict: Verdict) -> bool:
    """Whether one of our rules (not a default action, not the absence of one) decided."""
    return not verdict.decided_by.startswith(("aws:", "no rule"))


def least_privilege_failures(
    sources: dict[str, list[str]], connection: Connection, verdict: Verdict, expected: bool
) -> list[str]:
    """Why the verdict breaks least privilege, or []: a declared source gets exactly what it is granted and its
    refusals come from our rules (with an alert); an undeclared source is never passed by a rule of ours."""
    if declared(sources, connection.source):
        if verdict.allowed != expected:
            return [f"{connection}: expected {'pass' if expected else 'refusal'}, got {verdict}"]
        if not expected and not (ours(verdict) and verdict.alert):
            return [f"{connection}: refused by {verdict.decided_by}, not by an alerting rule of ours"]
        return []
    if verdict.allowed and ours(verdict):
        return [f"{connection}: an undeclared source passed by our rule {verdict.decided_by}"]
    return []


def check_style(
    plan: EgressPlan,
    sources: dict[str, list[str]],
    spec: AwsEgressSpec,
    default: str,
    segments: int,
    extra_name: str,
    expected: Any,
    *,
    every_host: bool = False,
) -> list[str]:
    """Every failure of the two properties for one policy default and one split point: every plan host and port
    passes from each role that needs it; everything else from a declared source is refused by our rules."""
    model = NetworkFirewallModel.from_spec(spec, DEFAULT_ACTION_MODELS[default])
    failures: list[str] = []
    for rule in plan.allow:
        name = f"a.{rule.host}" if rule.match == "suffix" else rule.host.upper()
        for role in rule.roles:
            connection = Connection(source_in(role), rule.port, application=rule.protocol, name=name, segments=segments)
            verdict = model.judge(connection)
            if role in sources and not verdict.allowed:
                failures.append(f"plan host {connection} from {role} under {default}: {verdict}")
            if role not in sources and verdict.allowed and ours(verdict):
                failures.append(f"plan host {connection} from {role} without sources passed by {verdict}")
    for connection in probes(plan, extra_name, segments, every_host=every_host):
        failures += least_privilege_failures(sources, connection, model.judge(connection), expected(connection))
    return failures


def domain_list_oracle(plan: EgressPlan, sources: dict[str, list[str]], spec: AwsEgressSpec) -> Any:
    """What the domain-list style grants: every declared source reaches every listed name of that protocol, on any
    of the plan's TLS/HTTP ports (the guard's handshake); address ranges as the plan says."""
    home = [ipaddress.ip_network(cidr) for cidr in spec.home_net]
    emitted = [rule for rule in plan.allow if set(rule.roles).intersection(sources)]
    ports = {rule.port for rule in emitted}

    def expected(connection: Connection) -> bool:
        if connection.transport != "tcp" or connection.name is None:
            return oracle(plan, sources, connection)
        inside = any(ipaddress.ip_address(connection.source) in network for network in home)
        by_name = any(
            rule.protocol == connection.application and name_matches(rule, connection.name) for rule in emitted
        )
        return (inside and by_name and connection.port in ports) or oracle(plan, sources, connection)

    return expected


FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.property
@FAST
@given(
    scenario=scenarios(),
    extra_name=domains,
    default=st.sampled_from(DEFAULTS),
    segments=st.integers(1, 4),
    block=st.sampled_from(["reject", "drop"]),
)
def test_suricata_style_passes_exactly_what_the_plan_grants_under_every_default_and_split(
    catalog: Catalog,
    scenario: tuple[list[dict[str, Any]], dict[str, list[str]]],
    extra_name: str,
    default: str,
    segments: int,
    block: str,
) -> None:
    entries, sources = scenario
    plan = plan_with(catalog, entries)
    spec = compile_network_firewall(plan, sources, AwsFirewallOptions(block_action=block))  # type: ignore[arg-type]
    failures = check_style(plan, sources, spec, default, segments, extra_name, lambda c: oracle(plan, sources, c))
    assert failures == [], failures[:5]


@pytest.mark.property
@FAST
@given(scenario=scenarios(), extra_name=domains, default=st.sampled_from(DEFAULTS), segments=st.integers(1, 4))
def test_domain_list_style_keeps_names_and_plan_ports_but_not_roles_under_every_default_and_split(
    catalog: Catalog,
    scenario: tuple[list[dict[str, Any]], dict[str, list[str]]],
    extra_name: str,
    default: str,
    segments: int,
) -> None:
    entries, sources = scenario
    plan = plan_with(catalog, entries)
    spec = compile_network_firewall(plan, sources, AwsFirewallOptions(style="domain-list"))
    expected = domain_list_oracle(plan, sources, spec)
    failures = check_style(plan, sources, spec, default, segments, extra_name, expected)
    # A domain list grants a listed name to every declared source: the plan-host property holds per role only
    # where the role has sources, as for the suricata style.
    assert failures == [], failures[:5]


@pytest.mark.property
@pytest.mark.parametrize("fixture", ["on_prem_plan", "hybrid_plan", "cloud_plan"])
@pytest.mark.parametrize("default", DEFAULTS)
def test_catalog_plans_pass_their_hosts_and_refuse_the_rest(
    request: pytest.FixtureRequest, fixture: str, default: str
) -> None:
    plan: EgressPlan = request.getfixturevalue(fixture)
    sources = {role: [ROLE_NETWORKS[role]] for role in plan.roles}
    spec = compile_network_firewall(plan, sources)
    for segments in (1, 2) if default == "drop_strict" else (2,):
        failures = check_style(
            plan,
            sources,
            spec,
            default,
            segments,
            "attacker.example.org",
            lambda c: oracle(plan, sources, c),
            every_host=True,
        )
        assert failures == [], failures[:5]


# --- the guard as it was before the field review must fail these properties --------------------------------------


def previous_guard(spec: AwsEgressSpec, plan: EgressPlan) -> AwsEgressSpec:
    """The spec with its guard's rules put back to what the project emitted before: the handshake passed one way
    only (client to server), protocol-only ``drop tls``/``drop http`` (which can fire before the SNI or Host
    exists), ``drop tcp`` to other ports, then the non-TCP drops."""
    guard = spec.group("guard")
    variables = guard.rule_group["RuleVariables"]["IPSets"]
    roles = [role for role, variable in ROLE_VARIABLES.items() if variable in variables]
    lines: list[str] = []
    sid = 1
    for role in roles:
        ports = sorted({rule.port for rule in plan.allow if role in rule.roles})
        source = f"${ROLE_VARIABLES[role]}"
        listed = "[" + ",".join(map(str, ports)) + "]"
        lines.append(f'pass tcp {source} any -> any {listed} (msg:"h"; flow:not_established,to_server; sid:{sid};)')
        sid += 1
    for role in roles:
        ports = sorted({rule.port for rule in plan.allow if role in rule.roles})
        source = f"${ROLE_VARIABLES[role]}"
        other = "!" + "[" + ",".join(map(str, ports)) + "]"
        for text in (
            f'drop tls {source} any -> any any (msg:"t"; flow:to_server;',
            f'drop http {source} any -> any any (msg:"h"; flow:to_server;',
            f'drop tcp {source} any -> any {other} (msg:"p"; flow:to_server;',
            f'drop udp {source} any -> any any (msg:"u"; flow:to_server;',
            f'drop icmp {source} any -> any any (msg:"i"; flow:to_server;',
            f'drop ip {source} any -> any any (msg:"o"; ip_proto:!6; ip_proto:!17; ip_proto:!1; flow:to_server;',
        ):
            lines.append(f"{text} sid:{sid};)")
            sid += 1
    rule_group = {**guard.rule_group, "RulesSource": {"RulesString": "\n".join(lines)}}
    groups = tuple(replace(group, rule_group=rule_group) if group.key == "guard" else group for group in spec.groups)
    return replace(spec, groups=groups)


@pytest.mark.property
def test_the_previous_guard_fails_the_properties(hybrid_plan: EgressPlan) -> None:
    """The mutation test: the same properties catch a split ClientHello killed before its SNI, and SYN-ACKs dropped
    under a consumer's aws:drop_strict, when the guard is put back to the rules the project used to emit."""
    sources = {role: [ROLE_NETWORKS[role]] for role in hybrid_plan.roles}
    spec = compile_network_firewall(hybrid_plan, sources)
    mutated = previous_guard(spec, hybrid_plan)
    expected = lambda c: oracle(hybrid_plan, sources, c)  # noqa: E731
    split = check_style(hybrid_plan, sources, mutated, "drop_established", 2, "attacker.example.org", expected)
    assert any("plan host" in failure and "segment 1/2" in failure for failure in split), split[:3]
    strict = check_style(hybrid_plan, sources, mutated, "drop_strict", 1, "attacker.example.org", expected)
    assert any("SYN-ACK" in failure for failure in strict), strict[:3]
    # and the current guard passes both
    assert check_style(hybrid_plan, sources, spec, "drop_established", 2, "attacker.example.org", expected) == []
    assert check_style(hybrid_plan, sources, spec, "drop_strict", 1, "attacker.example.org", expected) == []


@pytest.mark.property
def test_the_hypothesis_property_finds_the_previous_guard_on_random_overlays(catalog: Catalog) -> None:
    """The same property the suricata hypothesis test runs, searched by hypothesis over random overlays, default
    actions and split points, finds a counterexample as soon as the guard is put back to the earlier rules."""

    def breaks(case: tuple[tuple[list[dict[str, Any]], dict[str, list[str]]], str, int]) -> bool:
        (entries, sources), default, segments = case
        plan = plan_with(catalog, entries)
        mutated = previous_guard(compile_network_firewall(plan, sources), plan)
        expected = lambda c: oracle(plan, sources, c)  # noqa: E731
        return bool(check_style(plan, sources, mutated, default, segments, "attacker.example.org", expected))

    found = find(
        st.tuples(scenarios(), st.sampled_from(DEFAULTS), st.integers(1, 4)),
        breaks,
        settings=settings(max_examples=50, deadline=None, database=None, phases=[Phase.generate]),  # no shrinking
    )
    assert breaks(found)


@pytest.mark.property
def test_the_previous_domain_list_guard_fails_the_properties(hybrid_plan: EgressPlan) -> None:
    """Domain lists under strict order generate no drop: with the guard back to its non-TCP drops only (the design
    that relied on the lists' own drops), other names pass under a policy without a default drop."""
    sources = {role: [ROLE_NETWORKS[role]] for role in hybrid_plan.roles}
    spec = compile_network_firewall(hybrid_plan, sources, AwsFirewallOptions(style="domain-list"))
    guard = spec.group("guard")
    kept = [line for line in guard.rules_string.splitlines() if line.startswith(("drop udp", "drop icmp", "drop ip"))]
    rule_group = {**guard.rule_group, "RulesSource": {"RulesString": "\n".join(kept)}}
    mutated = replace(
        spec, groups=tuple(replace(g, rule_group=rule_group) if g.key == "guard" else g for g in spec.groups)
    )
    expected = domain_list_oracle(hybrid_plan, sources, spec)
    failures = check_style(hybrid_plan, sources, mutated, "none", 1, "attacker.example.org", expected)
    assert any("attacker.example.org" in failure for failure in failures), failures[:3]
    assert check_style(hybrid_plan, sources, spec, "none", 1, "attacker.example.org", expected) == []


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
@pytest.mark.parametrize("transport", NON_TCP)
@pytest.mark.parametrize("default", DEFAULTS)
def test_non_tcp_from_every_declared_source_is_dropped_by_a_rule(
    hybrid_plan: EgressPlan, style: str, transport: Transport, default: str
) -> None:
    """DNS to a public resolver, NTP, QUIC, ICMP, GRE, ESP: dropped and alerted by the guard on the first packet,
    not left to a default."""
    sources = {role: [ROLE_NETWORKS[role]] for role in hybrid_plan.roles}
    spec = compile_network_firewall(hybrid_plan, sources, AwsFirewallOptions(style=style))  # type: ignore[arg-type]
    model = NetworkFirewallModel.from_spec(spec, DEFAULT_ACTION_MODELS[default])
    for role in hybrid_plan.roles:
        for port in UDP_PORTS if transport == "udp" else (0,):
            verdict = model.judge(Connection(source_in(role), port, "8.8.8.8", transport, "other"))
            assert verdict.action == "drop" and verdict.alert, (role, port, verdict)
            assert verdict.decided_by.startswith("guard#") and verdict.stage == "first packet", verdict


def test_the_model_applies_each_default_action_to_the_packets_it_names() -> None:
    """No rules: what each default action does to a TCP connection (split ClientHello) and to a UDP flow."""
    tcp = Connection("10.1.0.7", 443, "198.51.100.10", "tcp", "tls", "example.com", segments=3)
    udp = Connection("10.1.0.7", 53, "8.8.8.8", "udp", "other")
    icmp = Connection("10.1.0.7", 0, "8.8.8.8", "icmp", "other")

    def judge(default: str, connection: Connection) -> Verdict:
        return NetworkFirewallModel([], ["10.1.0.0/24"], DEFAULT_ACTION_MODELS[default]).judge(connection)

    assert (judge("drop_strict", tcp).decided_by, judge("drop_strict", tcp).stage) == ("aws:drop_strict", "SYN")
    # drop_established lets the handshake through (its ACK included) and drops the first data segment
    assert judge("drop_established", tcp).stage == "segment 1/3"
    # the application-layer variant waits for the whole ClientHello
    assert judge("drop_established_app_layer", tcp).stage == "segment 3/3"
    assert judge("none", tcp).allowed
    # UDP: the first packet is not established, so only drop_strict stops it; the reply is established
    assert judge("drop_strict", udp).stage == "first packet"
    assert judge("drop_established", udp).stage == "reply"
    assert judge("drop_established_app_layer", udp).allowed
    assert judge("drop_established", icmp).allowed
    assert judge("drop_established", icmp).decided_by == "no rule, no default drop (first packet)"


def test_the_model_gives_application_rules_flow_scope_and_packet_rules_packet_scope() -> None:
    """A protocol-only drop tls fires on the first segment of a split ClientHello, before a tls.sni pass can match;
    a tcp pass with flow: passes only the packets it matches."""
    rules = "\n".join(
        [
            'pass tcp 10.1.0.0/24 any <> any 443 (msg:"h"; flow:not_established; sid:1;)',
            'pass tls 10.1.0.0/24 any -> any 443 (tls.sni; content:"ok.example"; startswith; endswith; '
            "flow:to_server; sid:2;)",
            'drop tls 10.1.0.0/24 any -> any any (msg:"t"; flow:to_server; sid:3;)',
        ]
    )
    model = NetworkFirewallModel([("g", {"RulesSource": {"RulesString": rules}})], ["10.1.0.0/24"], ())
    whole = model.judge(Connection("10.1.0.7", 443, name="ok.example"))
    assert whole.allowed and whole.decided_by == "g#2"
    split = model.judge(Connection("10.1.0.7", 443, name="ok.example", segments=2))
    assert (split.action, split.decided_by, split.stage) == ("drop", "g#3", "segment 1/2")
    # packet scope: the handshake pass does not pass the rest of the flow; drop_strict then drops the data
    strict = NetworkFirewallModel(
        [("g", {"RulesSource": {"RulesString": rules.splitlines()[0]}})], ["10.1.0.0/24"], ("aws:drop_strict",)
    )
    assert strict.judge(Connection("10.1.0.7", 443, name="ok.example")).stage == "segment 1/1"
    with pytest.raises(ValueError, match="IP-only"):
        NetworkFirewallModel([("g", {"RulesSource": {"RulesString": "pass tcp any any -> any 443 (sid:4;)"}})], [])


def test_pass_alert_logs_the_host_each_allowed_flow_used(hybrid_plan: EgressPlan) -> None:
    sources = {role: [ROLE_NETWORKS[role]] for role in hybrid_plan.roles}
    quiet = NetworkFirewallModel.from_spec(compile_network_firewall(hybrid_plan, sources))
    loud = NetworkFirewallModel.from_spec(
        compile_network_firewall(hybrid_plan, sources, AwsFirewallOptions(pass_alert=True))
    )
    rule = hybrid_plan.allow[0]
    connection = Connection(source_in(rule.roles[0]), rule.port, application=rule.protocol, name=rule.host)
    assert quiet.judge(connection).allowed and not quiet.judge(connection).alert
    verdict = loud.judge(connection)
    assert verdict.allowed and verdict.alert and verdict.decided_by.startswith("allow-")


def test_the_model_reads_ip_proto_and_ignores_ports_for_portless_protocols() -> None:
    group = {
        "RulesSource": {
            "RulesString": "\n".join(
                [
                    'pass ip 10.1.0.0/24 any <> any 53 (msg:"a"; flow:stateless; sid:1;)',
                    'drop ip 10.1.0.0/24 any -> any any (msg:"b"; ip_proto:!TCP; ip_proto:!17; flow:to_server; sid:2;)',
                ]
            )
        }
    }
    model = NetworkFirewallModel([("g", group)], ["10.1.0.0/24"], ("aws:drop_strict",))
    assert model.judge(Connection("10.1.0.7", 53, transport="udp", application="other")).decided_by == "g#1"
    assert model.judge(Connection("10.1.0.7", 53, transport="gre", application="other")).decided_by == "g#2"
    assert model.judge(Connection("10.1.0.7", 54, transport="udp", application="other")).decided_by == (
        "aws:drop_strict"
    )
    with pytest.raises(ValueError, match="ip_proto 'pim' is not modelled"):
        NetworkFirewallModel(
            [
                (
                    "g",
                    {
                        "RulesSource": {
                            "RulesString": "drop ip any any -> any any (ip_proto:pim; flow:to_server; sid:3;)"
                        }
                    },
                )
            ],
            [],
        )


@pytest.mark.parametrize("default", DEFAULTS)
def test_the_guard_never_passes_a_connection_a_role_did_not_open(hybrid_plan: EgressPlan, default: str) -> None:
    """An inbound SYN from port 443 to a role's machine: the handshake's reply direction is only for connections
    the role opened, so no rule of ours passes any packet of it (the default action decides)."""
    sources = {role: [ROLE_NETWORKS[role]] for role in hybrid_plan.roles}
    model = NetworkFirewallModel.from_spec(
        compile_network_firewall(hybrid_plan, sources), DEFAULT_ACTION_MODELS[default]
    )
    inbound = Connection("198.51.100.10", 22, source_in("agent"), "tcp", "other", None, source_port=443)
    verdict = model.judge(inbound)
    assert not ours(verdict), verdict


@pytest.mark.parametrize("default", DEFAULTS)
@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_an_address_range_grant_is_not_a_way_in(catalog: Catalog, default: str, transport: str) -> None:
    """A flow from the granted range and port to a role's machine is not passed by our rules; the role's own flow
    to the range works under every default action."""
    entry = {
        "id": "resolver",
        "role": "agent",
        "usage": {"en": "resolver"},
        "cidrs": ["203.0.113.0/28"],
        "ports": [53],
        "protocol": transport,
    }
    plan = plan_with(catalog, [entry])
    sources = {"agent": [ROLE_NETWORKS["agent"]]}
    model = NetworkFirewallModel.from_spec(compile_network_firewall(plan, sources), DEFAULT_ACTION_MODELS[default])
    out = Connection(source_in("agent"), 53, "203.0.113.1", transport, "other", None)  # type: ignore[arg-type]
    assert model.judge(out).allowed, model.judge(out)
    inbound = Connection("203.0.113.1", 22, source_in("agent"), transport, "other", None, source_port=53)  # type: ignore[arg-type]
    assert not ours(model.judge(inbound)), model.judge(inbound)


@pytest.mark.parametrize("default", DEFAULTS)
@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_an_http_request_without_any_header_is_refused(hybrid_plan: EgressPlan, default: str, style: str) -> None:
    """``GET / HTTP/1.0`` and an empty line: no header at all, so no Host and an empty header-names buffer (which
    Suricata never inspects). The guard refuses it on ``http.start`` (the request line and headers), so the flow is
    not left "pending" and passed packet by packet to any address on the role's ports."""
    sources = {role: [ROLE_NETWORKS[role]] for role in hybrid_plan.roles}
    spec = compile_network_firewall(hybrid_plan, sources, AwsFirewallOptions(style=style))  # type: ignore[arg-type]
    model = NetworkFirewallModel.from_spec(spec, DEFAULT_ACTION_MODELS[default])
    for segments in (1, 3):
        headerless = Connection(source_in("agent"), 443, "203.0.113.66", "tcp", "http", None, segments=segments)
        verdict = model.judge(headerless)
        assert not verdict.allowed, verdict
    # The guard on the header-names buffer instead: the request itself is not refused; only the pending bound stops
    # the flow, at the server's answer.
    if style == "suricata":
        weak = []
        for group in sorted(spec.groups, key=lambda item: item.priority):
            body = dict(group.rule_group)
            source = dict(body["RulesSource"])
            source["RulesString"] = source["RulesString"].replace("http.start;", "http.header_names;")
            weak.append((group.key, {**body, "RulesSource": source}))
        previous = NetworkFirewallModel(weak, spec.home_net, DEFAULT_ACTION_MODELS[default])
        weak_verdict = previous.judge(Connection(source_in("agent"), 443, "203.0.113.66", "tcp", "http", None))
        assert weak_verdict.stage == "server answer", weak_verdict


def test_pass_alert_logs_an_address_range_flow_once(catalog: Catalog) -> None:
    """An address-range pass is a packet-scope rule: with ``alert;`` on it every client packet would be logged. The
    once-per-flow alert rule in front of it logs the flow's first packet only."""
    entry = {"id": "proxy", "role": "agent", "usage": {"en": "proxy"}, "cidrs": ["10.20.30.0/28"], "ports": [3128]}
    plan = plan_with(catalog, [entry])
    sources = {"agent": [ROLE_NETWORKS["agent"]]}
    model = NetworkFirewallModel.from_spec(compile_network_firewall(plan, sources, AwsFirewallOptions(pass_alert=True)))
    for segments in (1, 3):
        flow = Connection(source_in("agent"), 3128, "10.20.30.5", "tcp", "other", None, segments=segments)
        verdict = model.judge(flow)
        assert verdict.allowed and verdict.alerts == 1, (segments, verdict)
