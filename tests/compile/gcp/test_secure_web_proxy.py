"""The Secure Web Proxy compiler: bodies valid against Google's discovery documents, session matchers inside the CEL
subset Google documents, rules that never move on unrelated changes, and, judged by two evaluators together, every
plan host reachable from each machine kind that needs it (through the proxy or an FQDN rule) and nothing else."""

from __future__ import annotations

import dataclasses
import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sep_egress.catalog import Catalog, EgressPlan, select
from sep_egress.catalog.vendor.plan import AllowRule
from sep_egress.compile.gcp import FirewallOptions, GcpSpecError, parse_targets
from sep_egress.compile.gcp.discovery import DiscoveryValidator, firewall_policy_limit_errors
from sep_egress.compile.gcp.evaluate import Connection, Machine, connect, evaluate, machines_of
from sep_egress.compile.gcp.firewall import (
    STORAGE_HOST,
    FirewallPolicySpec,
    address_limited,
    compile_firewall_policy,
    proxied_names,
)
from sep_egress.compile.gcp.options import KIND_ROLES, MACHINE_KINDS, RoleTarget
from sep_egress.compile.gcp.secure_web_proxy import (
    SecureWebProxyOptions,
    SecureWebProxySpec,
    compile_secure_web_proxy,
    letters,
    parse_options,
)
from sep_egress.compile.gcp.session_matcher import (
    MAX_LOGICAL_OPERATORS,
    MatcherError,
    Session,
    logical_operators,
    parse,
    quoted,
)

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
NETWORK = "projects/p/global/networks/vpc"
SUBNETWORK = "projects/p/regions/europe-west1/subnetworks/workloads"
BASE = {"region": "europe-west1", "network": NETWORK, "subnetwork": SUBNETWORK, "address": "10.0.0.10"}


@cache
def validator(name: str) -> DiscoveryValidator:
    return DiscoveryValidator(json.loads((DOCUMENTS / name).read_text(encoding="utf-8")))


def required_errors(document: str, schema: str, body: dict[str, Any]) -> list[str]:
    """Fields the discovery document describes as "Required." (it has no required lists) missing from ``body``."""
    properties = validator(document).schemas[schema]["properties"]
    return [
        f"{schema}.{key} is required"
        for key, spec in properties.items()
        if spec.get("description", "").startswith("Required") and key not in body
    ]


def kinds_of(plan: EgressPlan) -> list[str]:
    return [kind for kind in MACHINE_KINDS if set(KIND_ROLES[kind]) & set(plan.roles)]


def account_targets(plan: EgressPlan) -> dict[str, RoleTarget]:
    return parse_targets({kind: {"service_accounts": [f"{kind}@p.iam.gserviceaccount.com"]} for kind in kinds_of(plan)})


def tag_targets(plan: EgressPlan) -> dict[str, RoleTarget]:
    return parse_targets({kind: {"secure_tags": [f"tagValues/{i + 1}"]} for i, kind in enumerate(kinds_of(plan))})


def proxy(**changes: Any) -> SecureWebProxyOptions:
    return SecureWebProxyOptions(**{**BASE, **changes})


def compile_both(
    plan: EgressPlan, targets: dict[str, RoleTarget], swp: SecureWebProxyOptions
) -> tuple[FirewallPolicySpec, SecureWebProxySpec]:
    firewall = FirewallOptions(
        networks=(NETWORK,), private_google_access=swp.private_google_access, secure_web_proxy=swp.route
    )
    return compile_firewall_policy(plan, targets, firewall), compile_secure_web_proxy(plan, targets, swp)


PLANS = [
    {"mode": "cloud", "version": "14.3 RU1"},
    {"mode": "hybrid", "roles": ["console"], "version": "14.3 RU1"},
    {"mode": "on-prem", "version": "14.3 MP1", "proxy": True},
    {"mode": "hybrid", "version": "14.3 RU1", "storage": "gcp"},
]


def cases(catalog: Catalog) -> list[tuple[EgressPlan, dict[str, RoleTarget], SecureWebProxyOptions]]:
    found = []
    for selection, names, pga, tags in itertools.product(
        PLANS, ("address-limited", "all"), (False, True), (False, True)
    ):
        plan = select(catalog, **selection)
        options = proxy(names=names, private_google_access=pga, port=3128 if tags else 443)
        if not proxied_names(plan, names, pga):  # nothing to proxy: refused, tested below
            continue
        found.append((plan, tag_targets(plan) if tags else account_targets(plan), options))
    return found


# --- the contracts: discovery documents and the CEL subset ----------------------------------------------------------


def test_every_body_validates_against_the_discovery_documents(catalog: Catalog) -> None:
    for plan, targets, options in cases(catalog):
        spec = compile_secure_web_proxy(
            plan, targets, dataclasses.replace(options, proxy_only_subnet_range="10.129.0.0/23")
        )
        gateway = spec.gateway_to_api("sep-project")
        assert validator("networkservices.v1.json").errors("Gateway", gateway) == []
        assert required_errors("networkservices.v1.json", "Gateway", gateway) == []
        assert gateway["type"] == "SECURE_WEB_GATEWAY" and gateway["routingMode"] == "EXPLICIT_ROUTING_MODE"
        assert "certificateUrls" not in gateway and "serverTlsPolicy" not in gateway
        policy = spec.policy_to_api("sep-project")
        assert validator("networksecurity.v1.json").errors("GatewaySecurityPolicy", policy) == []
        assert required_errors("networksecurity.v1.json", "GatewaySecurityPolicy", policy) == []
        assert "tlsInspectionPolicy" not in policy
        for rule in spec.rules_to_api("sep-project"):
            assert validator("networksecurity.v1.json").errors("GatewaySecurityPolicyRule", rule) == []
            assert required_errors("networksecurity.v1.json", "GatewaySecurityPolicyRule", rule) == []
            assert rule["tlsInspectionEnabled"] is False and rule["basicProfile"] == "ALLOW"
        subnet = spec.proxy_only_subnet_to_api()
        assert subnet is not None
        assert validator("compute.v1.json").errors("Subnetwork", subnet) == []


def test_names_follow_the_patterns_the_apis_state(catalog: Catalog) -> None:
    """Policy and gateway names are RFC 1035; rule ids take 4-63 of a-z and '-' (``rules.create``'s parameter)."""
    document = validator("networksecurity.v1.json")
    assert (
        "(^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$)"
        in document.schemas["GatewaySecurityPolicy"]["properties"]["name"]["description"]
    )
    for plan, targets, options in cases(catalog):
        spec = compile_secure_web_proxy(plan, targets, options)
        for rule in spec.rules:
            assert 4 <= len(rule.rule_id) <= 63 and set(rule.rule_id) <= set("abcdefghijklmnopqrstuvwxyz-")
            assert rule.rule_id[0].isalpha() and rule.rule_id[-1].isalpha()
        assert len({rule.rule_id for rule in spec.rules}) == len(spec.rules)
        assert len({rule.priority for rule in spec.rules}) == len(spec.rules)
    assert [letters(number) for number in (0, 25, 26, 443, 3128)] == ["a", "z", "ba", "rb", "eqi"]


def test_every_matcher_parses_within_the_operator_quota(catalog: Catalog) -> None:
    for plan, targets, options in cases(catalog):
        for rule in compile_secure_web_proxy(plan, targets, options).rules:
            parse(rule.session_matcher)
            assert logical_operators(rule.session_matcher) <= MAX_LOGICAL_OPERATORS


def test_several_targets_and_ports_shrink_the_buckets_not_the_quota(catalog: Catalog) -> None:
    plan = select(catalog, mode="hybrid", version="14.3 RU1")
    plan = dataclasses.replace(
        plan, allow=(*plan.allow, AllowRule("x.s3.amazonaws.com", 8443, "tls", "exact", ("agent",), ("t",)))
    )
    targets = parse_targets(
        {
            "clients": {"service_accounts": [f"a{i}@p.iam.gserviceaccount.com" for i in range(4)]},
            "managers": {"secure_tags": ["tagValues/9"]},
        }
    )
    spec = compile_secure_web_proxy(plan, targets, proxy(names="all"))
    assert all(logical_operators(rule.session_matcher) <= MAX_LOGICAL_OPERATORS for rule in spec.rules)
    too_many = parse_targets({"clients": {"service_accounts": [f"a{i}@p.iam.gserviceaccount.com" for i in range(12)]}})
    with pytest.raises(GcpSpecError, match=r"^targets\.clients: 12 targets and 1 ports leave no room"):
        compile_secure_web_proxy(plan, too_many, proxy(names="all", skip_roles=("managers",)))


@pytest.mark.parametrize(
    "text",
    [
        "host() = 'a'",
        'host() == "a"',
        "request.path == '/'",
        "host() == 'a' ||",
        "inIpRange(source.ip, '10.0.0.0/8')",
        "host().startsWith('a')",
        "(host() == 'a'",
        "destination.port == '443'",
    ],
)
def test_the_parser_refuses_what_the_compiler_never_writes(text: str) -> None:
    with pytest.raises(MatcherError):
        parse(text)


@pytest.mark.parametrize("value", ["a'b", "a\\b", "", "a\nb", 'a"b', "é.example"])
def test_quoting_refuses_what_would_need_an_escape(value: str) -> None:
    with pytest.raises(MatcherError):
        quoted(value)


def test_the_evaluator_reads_cel_precedence_and_negation() -> None:
    tree = parse("!source.matchTag('tagValues/1') && destination.port == 443 || host().endsWith('.example.com')")
    assert tree.matches(Session("a.example.com", 80, tags=frozenset({"tagValues/1"})))
    assert tree.matches(Session("other.net", 443))
    assert not tree.matches(Session("other.net", 443, tags=frozenset({"tagValues/1"})))
    assert not tree.matches(Session("example.com", 80))
    with pytest.raises(MatcherError):
        logical_operators("(a() || b) && !c")


# --- two evaluators, one verdict -------------------------------------------------------------------------------------


def proxy_allows(spec: SecureWebProxySpec, machine: Machine, host: str, port: int) -> bool:
    """The gateway security policy as Secure Web Proxy applies it: the first rule by priority whose session
    matcher matches decides; no match is a deny (the documented default)."""
    session = Session(host, port, machine.service_account, machine.tag_values)
    for rule in sorted(spec.rules, key=lambda item: item.priority):
        if parse(rule.session_matcher).matches(session):
            return True  # every rule is an ALLOW
    return False


def reachable(firewall: FirewallPolicySpec, spec: SecureWebProxySpec, machine: Machine, host: str, port: int) -> bool:
    """Whether ``machine`` reaches ``host:port``: direct through the firewall, or through the proxy when the client
    sends that name there (the firewall must then let it reach the proxy, and the proxy must allow the name)."""
    if host in spec.hosts:
        to_proxy = Connection(ip=spec.options.address, port=spec.options.port, host=None)
        return evaluate(firewall, machine, to_proxy).verdict == "allow" and proxy_allows(spec, machine, host, port)
    return evaluate(firewall, machine, connect(firewall, host, port)).verdict == "allow"


def test_each_machine_kind_reaches_exactly_its_hosts_through_proxy_and_firewall(catalog: Catalog) -> None:
    checked = 0
    for plan, targets, options in cases(catalog):
        firewall, spec = compile_both(plan, targets, options)
        every = sorted({(rule.host, rule.port) for rule in plan.allow})
        for kind in kinds_of(plan):
            roles = set(KIND_ROLES[kind])  # type: ignore[index]
            needed = {(rule.host, rule.port) for rule in plan.allow if roles & set(rule.roles)}
            for machine in machines_of(targets[kind].values):
                for host, port in every:
                    assert reachable(firewall, spec, machine, host, port) == ((host, port) in needed), (
                        kind,
                        host,
                        port,
                        options.names,
                    )
                    checked += 1
                    if host in spec.hosts:  # the name is never reachable around the proxy
                        direct = evaluate(firewall, machine, connect(firewall, host, port)).verdict
                        assert direct == "deny"
    assert checked > 1000


def test_the_proxy_serves_exactly_the_names_left_out_of_the_fqdn_rules(catalog: Catalog) -> None:
    for plan, targets, options in cases(catalog):
        firewall, spec = compile_both(plan, targets, options)
        fqdns = {name for rule in firewall.rules for name in rule.dest_fqdns}
        assert not fqdns & set(spec.hosts)
        assert set(spec.hosts) == set(proxied_names(plan, options.names, options.private_google_access))
        assert fqdns | set(spec.hosts) | set(firewall.pga_hosts) == set(plan.hosts)
        if options.names == "address-limited":
            assert all(address_limited(host) for host in spec.hosts)
        if options.private_google_access:
            assert STORAGE_HOST not in spec.hosts
        proxy_rules = [rule for rule in firewall.rules if rule.rule_name.startswith("sep-egress-swp-")]
        assert [rule.dest_ip_ranges for rule in proxy_rules] == [(f"{options.address}/32",)] * len(proxy_rules)
        assert {rule.layer4[0].ports for rule in proxy_rules} == {(str(options.port),)}
        assert firewall_policy_limit_errors(firewall.to_api()) == []
        limited = [warning for warning in firewall.warnings if warning.code == "gcp-fqdn-address-limit"]
        assert not {host for warning in limited for host in warning.hosts} & set(spec.hosts)


def test_without_a_proxy_the_firewall_policy_is_unchanged(catalog: Catalog) -> None:
    """The hook adds nothing when off: the same bytes as a policy compiled with no proxy option at all."""
    plan = select(catalog, mode="hybrid", roles=["console"], version="14.3 RU1")
    targets = account_targets(plan)
    plain = compile_firewall_policy(plan, targets, FirewallOptions(networks=(NETWORK,)))
    assert not any("swp" in rule.rule_name for rule in plain.rules)
    assert "gcp-fqdn-address-limit" in {warning.code for warning in plain.warnings}
    with_proxy = compile_firewall_policy(
        plan, targets, FirewallOptions(networks=(NETWORK,), secure_web_proxy={"address": "10.0.0.10"})
    )
    untouched = {rule.priority: rule.to_api() for rule in plain.rules if not set(rule.dest_fqdns) & set(plan.hosts)}
    assert all(with_proxy.rule(priority).to_api() == body for priority, body in untouched.items())


# --- stability and determinism ---------------------------------------------------------------------------------------


def test_adding_a_name_touches_one_rule_and_moves_none(catalog: Catalog) -> None:
    plan = select(catalog, mode="hybrid", version="14.3 RU1")
    targets = account_targets(plan)
    before = {rule.rule_id: rule for rule in compile_secure_web_proxy(plan, targets, proxy(names="all")).rules}
    for index in range(20):
        extra = AllowRule(f"new{index}.s3.amazonaws.com", 443, "tls", "exact", ("agent",), ("t",))
        grown = dataclasses.replace(plan, allow=tuple(sorted((*plan.allow, extra), key=lambda rule: rule.key)))
        after = {rule.rule_id: rule for rule in compile_secure_web_proxy(grown, targets, proxy(names="all")).rules}
        changed = {rule_id for rule_id in after if before.get(rule_id) != after[rule_id]}
        removed = set(before) - set(after)
        # One bucket takes the name; only when it overflows does it split into two (one more rule).
        assert len(changed) <= 2 and len(removed) <= 1, (index, changed, removed)
        for rule_id in set(before) & set(after):
            assert before[rule_id].priority == after[rule_id].priority


def test_the_same_input_gives_the_same_bytes(catalog: Catalog) -> None:
    """Byte-identical output, whatever order the targets were given in."""
    plan = select(catalog, mode="hybrid", version="14.3 RU1")
    given = {kind: {"secure_tags": [f"tagValues/{index + 1}"]} for index, kind in enumerate(kinds_of(plan))}
    reordered = parse_targets(dict(reversed(list(given.items()))))
    first = compile_secure_web_proxy(plan, parse_targets(given), proxy()).to_json()
    assert first == compile_secure_web_proxy(plan, parse_targets(given), proxy()).to_json()
    assert first == compile_secure_web_proxy(plan, reordered, proxy()).to_json()


PORT_SETS = [(443,), (80,), (3128,), (587,), (80, 443), (443, 8443), (80, 443, 8014)]
ENTRIES = [(f"h{index}.s3.amazonaws.com", ports) for index in range(40) for ports in PORT_SETS[index % 3 :][:2]]


def live_rules(plan: EgressPlan, entries: frozenset[tuple[str, tuple[int, ...]]]) -> dict[str, int]:
    """Rule id -> priority of the proxy compiled for ``plan`` plus ``entries`` (host, port set)."""
    extra = tuple(
        AllowRule(host, port, "tls", "exact", ("agent",), ("t",)) for host, ports in entries for port in ports
    )
    grown = dataclasses.replace(plan, allow=tuple(sorted((*plan.allow, *extra), key=lambda rule: rule.key)))
    spec = compile_secure_web_proxy(grown, account_targets(grown), proxy(names="all"))
    return {rule.rule_id: rule.priority for rule in spec.rules}


@pytest.mark.property
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.booleans(), st.sampled_from(ENTRIES)), min_size=1, max_size=12))
def test_every_step_is_safe_in_pulumis_order(catalog: Catalog, steps: list[tuple[bool, Any]]) -> None:
    """Old -> new rule sets applied as Pulumi does (replacements created first, deletions last): no created rule
    takes an id or a priority that a rule still alive holds, and a kept id keeps its priority."""
    plan = select(catalog, mode="cloud", version="14.3 RU1")
    entries: frozenset[tuple[str, tuple[int, ...]]] = frozenset()
    old = live_rules(plan, entries)
    for add, entry in steps:
        entries = entries | {entry} if add else entries - {entry}
        new = live_rules(plan, entries)
        created = set(new) - set(old)
        assert not {new[rule_id] for rule_id in created} & set(old.values())
        assert all(old[rule_id] == new[rule_id] for rule_id in set(old) & set(new))
        old = new


def test_port_sets_whose_firewall_band_keys_collide_do_not_move_here(catalog: Catalog) -> None:
    """3128 and 587 share a 10-bit slot in the firewall's reserved band; here each keeps a key of its own."""
    plan = select(catalog, mode="cloud", version="14.3 RU1")
    first = live_rules(plan, frozenset({("a.s3.amazonaws.com", (3128,))}))
    both = live_rules(plan, frozenset({("a.s3.amazonaws.com", (3128,)), ("b.s3.amazonaws.com", (587,))}))
    assert all(both[rule_id] == priority for rule_id, priority in first.items())


# --- refusals --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"address": "10.0.0.300"}, r"^options\.address: '10\.0\.0\.300' is not an IPv4 address"),
        ({"address": "8.8.8.8"}, r"^options\.address: '8\.8\.8\.8' is not a canonical internal address"),
        ({"address": "fd00::1"}, r"^options\.address: .* IPv4 only"),
        ({"port": 0}, r"^options\.port: 0 is out of 1\.\.65535"),
        ({"port": True}, r"^options\.port: True is not an integer"),
        ({"names": "some"}, r"^options\.names: 'some'; choose one of address-limited, all"),
        ({"region": "Europe"}, r"^options\.region: 'Europe' is not a region"),
        ({"network": "vpc"}, r"^options\.network: 'vpc' is not a network"),
        ({"subnetwork": "workloads"}, r"^options\.subnetwork: 'workloads' is not a subnetwork path"),
        (
            {"subnetwork": "projects/p/regions/us-east1/subnetworks/s"},
            r"^options\.subnetwork: .* is not in europe-west1",
        ),
        ({"proxy_only_subnet_range": "10.129.0.0/27"}, r"^options\.proxy_only_subnet_range: /27 is too small"),
        ({"proxy_only_subnet_range": "10.129.0.1/23"}, r"^options\.proxy_only_subnet_range: .* is not an IPv4 network"),
        ({"proxy_only_subnet_range": "10.0.0.0/23"}, r"^options\.address: 10\.0\.0\.10 lies in the proxy-only subnet"),
        ({"name": "Bad_Name"}, r"^options\.name: 'Bad_Name' is not an RFC 1035 name"),
        ({"skip_roles": ("agent",)}, r"^options\.skip_roles\[0\]: 'agent'; choose among"),
        ({"private_google_access": "yes"}, r"^options\.private_google_access: 'yes' is not a boolean"),
    ],
)
def test_bad_options_are_refused_naming_the_option(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(GcpSpecError, match=message):
        proxy(**changes)


def test_options_from_a_mapping_refuse_unknown_and_missing_keys() -> None:
    assert parse_options(BASE).port == 443
    with pytest.raises(GcpSpecError, match=r"^options\.routing: unknown option"):
        parse_options({**BASE, "routing": "NEXT_HOP_ROUTING_MODE"})
    with pytest.raises(GcpSpecError, match=r"^options\.routing_mode: NEXT_HOP_ROUTING_MODE is not offered"):
        parse_options({**BASE, "routing_mode": "NEXT_HOP_ROUTING_MODE"})
    with pytest.raises(GcpSpecError, match=r"^options\.routing_mode: 'DIRECT'; choose EXPLICIT_ROUTING_MODE"):
        parse_options({**BASE, "routing_mode": "DIRECT"})
    with pytest.raises(GcpSpecError, match=r"^options\.address: required"):
        parse_options({key: value for key, value in BASE.items() if key != "address"})


def test_a_proxy_with_nothing_to_serve_is_refused(catalog: Catalog) -> None:
    plan = select(catalog, mode="on-prem", version="14.3 RU1", storage="gcp")
    assert not proxied_names(plan, "address-limited", True)
    with pytest.raises(GcpSpecError, match=r"^options\.names: no name of the plan goes through the proxy"):
        compile_secure_web_proxy(plan, account_targets(plan), proxy(private_google_access=True))


def test_firewall_proxy_route_is_checked(catalog: Catalog) -> None:
    with pytest.raises(GcpSpecError, match=r"^options\.secure_web_proxy: unknown field\(s\) via"):
        FirewallOptions(networks=(NETWORK,), secure_web_proxy={"address": "10.0.0.10", "via": "x"})
    with pytest.raises(GcpSpecError, match=r"^options\.secure_web_proxy\.address: '10\.0\.0\.010' is not"):
        FirewallOptions(networks=(NETWORK,), secure_web_proxy={"address": "10.0.0.010"})


def test_warnings_say_what_clients_and_the_selection_need(catalog: Catalog) -> None:
    plan = select(catalog, mode="cloud", version="14.3 RU1")
    codes = {warning.code for warning in compile_secure_web_proxy(plan, account_targets(plan), proxy()).warnings}
    assert {
        "gcp-swp-client-proxy",
        "gcp-swp-selection-proxy",
        "gcp-swp-proxy-only-subnet",
        "gcp-swp-cloud-nat",
        "gcp-swp-shared-bucket",
    } <= codes
    behind = select(catalog, mode="cloud", version="14.3 RU1", proxy=True)
    created = proxy(names="all", proxy_only_subnet_range="10.129.0.0/23")
    codes = {warning.code for warning in compile_secure_web_proxy(behind, account_targets(behind), created).warnings}
    assert "gcp-swp-selection-proxy" not in codes and "gcp-swp-proxy-only-subnet" not in codes
    pga = proxy(private_google_access=True)
    codes = {warning.code for warning in compile_secure_web_proxy(plan, account_targets(plan), pga).warnings}
    assert "gcp-swp-shared-bucket" not in codes


def test_a_domain_and_its_subdomains_go_through_the_proxy_by_label(catalog: Catalog) -> None:
    """What FQDN objects cannot express (a domain and its subdomains) the proxy matches on label boundaries, and the
    firewall no longer refuses it once the proxy serves it."""
    plan = select(catalog, mode="cloud", version="14.3 RU1")
    suffix = AllowRule("updates.example-cdn.net", 443, "tls", "suffix", ("agent",), ("t",))
    plan = dataclasses.replace(plan, allow=tuple(sorted((*plan.allow, suffix), key=lambda rule: rule.key)))
    targets = account_targets(plan)
    with pytest.raises(GcpSpecError, match=r"^plan\.allow: updates\.example-cdn\.net .* allows a domain"):
        compile_firewall_policy(plan, targets, FirewallOptions(networks=(NETWORK,)))
    firewall, spec = compile_both(plan, targets, proxy(names="all"))
    (machine,) = machines_of(targets["clients"].values)
    for host, expected in [
        ("updates.example-cdn.net", True),
        ("a.b.updates.example-cdn.net", True),
        ("evilupdates.example-cdn.net", False),
        ("updates.example-cdn.net.evil.example", False),
    ]:
        assert proxy_allows(spec, machine, host, 443) is expected, host
        assert proxy_allows(spec, machine, host, 8443) is False
    assert "updates.example-cdn.net" in spec.hosts
    assert not any("updates.example-cdn.net" in rule.dest_fqdns for rule in firewall.rules)
