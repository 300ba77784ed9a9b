"""AWS compiler: rule text, sids, capacity, splitting, limits, and the request bodies against botocore's model."""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

import botocore.session
import pytest
import suricataparser
from botocore.validate import ParamValidator

from sep_egress.catalog import Catalog, EgressPlan, SourcedOverlay, parse_overlay, select
from sep_egress.compile.aws import (
    MAX_RULES_STRING_BYTES,
    MAX_STATEFUL_GROUP_CAPACITY,
    MAX_SURICATA_RULE_CHARS,
    ROLE_VARIABLES,
    AwsEgressSpec,
    AwsFirewallError,
    AwsFirewallOptions,
    compile_network_firewall,
)

SOURCES: dict[str, list[str]] = {
    "agent": ["10.10.0.0/16", "10.12.0.0/16"],
    "agent-cloud": ["10.11.0.0/16"],
    "sepm": ["10.20.0.10/32"],
    "sepm-cloud": ["10.21.0.0/24"],
    "console": ["192.168.50.0/24", "2001:db8:50::/48"],
}
FAKE_ARN = "arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/{}"


def sources_for(plan: EgressPlan) -> dict[str, list[str]]:
    return {role: SOURCES[role] for role in plan.roles}


def host_entry(
    entry_id: str, urls: list[str], role: str = "agent", ports: list[int] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"id": entry_id, "role": role, "usage": {"en": "test entry"}, "urls": urls, "ports": ports or [443], **extra}


def with_overlay(catalog: Catalog, entries: list[dict[str, Any]], **selection: Any) -> EgressPlan:
    overlay = SourcedOverlay("test-overlay.yaml", parse_overlay({"entries": entries}, "test-overlay.yaml"))
    arguments: dict[str, Any] = {"mode": "hybrid", "version": "14.3 RU1", "roles": ["console"], **selection}
    return select(catalog, overlays=[overlay], **arguments)


def model_problems(value: Any, shape: Any, where: str = "") -> list[str]:
    """What botocore's ParamValidator leaves out: enums, patterns and maximum lengths of the service model."""
    problems: list[str] = []
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            if name in value:
                problems += model_problems(value[name], member, f"{where}.{name}")
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            problems += model_problems(item, shape.member, f"{where}[{index}]")
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{where}: more than {shape.metadata['max']} items")
    elif shape.type_name == "map":
        for key, item in value.items():
            problems += model_problems(key, shape.key, f"{where}<key>")
            problems += model_problems(item, shape.value, f"{where}[{key}]")
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} not in {shape.enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and not re.search(pattern, value):
            problems.append(f"{where}: {value!r} does not match {pattern}")
        if "max" in shape.metadata and len(value) > shape.metadata["max"]:
            problems.append(f"{where}: longer than {shape.metadata['max']}")
    elif shape.type_name == "integer" and "max" in shape.metadata and value > shape.metadata["max"]:
        problems.append(f"{where}: above {shape.metadata['max']}")
    return problems


def assert_valid(request: dict[str, Any], shape: Any) -> None:
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    assert model_problems(request, shape) == []


def arns(spec: AwsEgressSpec) -> dict[str, str]:
    return {group.key: FAKE_ARN.format(group.name) for group in spec.groups}


@pytest.fixture(scope="module")
def network_firewall_model() -> Any:
    return botocore.session.get_session().get_service_model("network-firewall")


@pytest.fixture(params=["on_prem_plan", "hybrid_plan", "cloud_plan"])
def plan(request: pytest.FixtureRequest) -> EgressPlan:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_requests_validate_against_the_botocore_model(
    plan: EgressPlan, style: str, network_firewall_model: Any
) -> None:
    spec = compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(style=style))  # type: ignore[arg-type]
    rule_group_shape = network_firewall_model.operation_model("CreateRuleGroup").input_shape
    for group in spec.groups:
        assert_valid(group.create_request(tags={"team": "security"}), rule_group_shape)
    policy_shape = network_firewall_model.operation_model("CreateFirewallPolicy").input_shape
    assert_valid(spec.policy_request("sep-egress-policy", arns(spec)), policy_shape)


def test_botocore_validation_catches_a_broken_body(hybrid_plan: EgressPlan, network_firewall_model: Any) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    request = spec.groups[0].create_request()
    shape = network_firewall_model.operation_model("CreateRuleGroup").input_shape
    request["RuleGroup"]["StatefulRuleOptions"]["RuleOrder"] = "STRICTEST"
    request["RuleGroup"]["RuleVariables"]["IPSets"]["bad-name"] = {"Definition": ["10.0.0.0/8"]}
    problems = model_problems(request, shape)
    assert any("STRICTEST" in problem for problem in problems)
    assert any("bad-name" in problem for problem in problems)
    del request["Capacity"]
    assert ParamValidator().validate(request, shape).has_errors()


@pytest.mark.parametrize(
    "options",
    [
        AwsFirewallOptions(),
        AwsFirewallOptions(block_action="drop", pass_alert=True),
        AwsFirewallOptions(style="domain-list"),
    ],
    ids=["default", "drop-and-pass-alert", "domain-list"],
)
def test_rules_parse_with_suricataparser_and_stay_within_limits(plan: EgressPlan, options: AwsFirewallOptions) -> None:
    spec = compile_network_firewall(plan, sources_for(plan), options)
    sids: list[int] = []
    for group in spec.groups:
        assert group.rules_bytes == len(group.rules_string.encode()) <= MAX_RULES_STRING_BYTES
        definitions = group.rule_group["RuleVariables"]["IPSets"]
        for line in group.rules_string.splitlines():
            rule = suricataparser.parse_rule(line)
            assert rule is not None, line
            assert rule.action in ("pass", "drop", "reject", "alert")
            # every rule carries flow: (no IP-only rule, which Suricata judges out of strict order)
            assert any(option.name == "flow" for option in rule.options), line
            if rule.action == "alert":
                assert any(option.name == "noalert" for option in rule.options), line  # flowbits only, no log
            sids.append(int(rule.sid))
            expanded = line
            for name, value in definitions.items():
                expanded = expanded.replace(f"${name}", "[" + ",".join(value["Definition"]) + "]")
            assert "$" not in expanded.split("(")[0], f"undefined variable in {line}"
            assert len(expanded) <= MAX_SURICATA_RULE_CHARS
    assert len(sids) == len(set(sids)), "sids must be unique across every group"


def test_each_host_is_pinned_to_its_port_protocol_and_roles(hybrid_plan: EgressPlan) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    lines = [line for group in spec.groups for line in group.rules_string.splitlines()]
    for allow in hybrid_plan.allow:
        [line] = [line for line in lines if f'content:"{allow.host}"' in line]
        rule = suricataparser.parse_rule(line)
        assert rule.action == "pass"
        protocol, source, _, _, _, port = rule.header.split()
        assert (protocol, int(port)) == (allow.protocol, allow.port)
        expected = {f"${ROLE_VARIABLES[role]}" for role in allow.roles}
        assert set(source.strip("[]").split(",")) == expected
        assert "startswith; nocase; endswith;" in line  # exact SNI, any case


def test_same_inputs_give_byte_identical_output(hybrid_plan: EgressPlan) -> None:
    first = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    reordered = {role: list(reversed(cidrs)) for role, cidrs in reversed(list(sources_for(hybrid_plan).items()))}
    second = compile_network_firewall(hybrid_plan, reordered)
    assert [group.create_request() for group in first.groups] == [group.create_request() for group in second.groups]


def test_adding_one_host_changes_one_line_of_one_group(catalog: Catalog) -> None:
    before = with_overlay(catalog, [host_entry("extra-a", ["https://a.example.com"])])
    after = with_overlay(
        catalog, [host_entry("extra-a", ["https://a.example.com"]), host_entry("extra-b", ["https://b.example.com"])]
    )
    old = compile_network_firewall(before, sources_for(before))
    new = compile_network_firewall(after, sources_for(after))
    assert [group.key for group in old.groups] == [group.key for group in new.groups]
    changed = [group.key for group in new.groups if group.create_request() != old.group(group.key).create_request()]
    assert changed == ["allow-1"]
    assert new.group("allow-1").name == old.group("allow-1").name  # same capacity: an in-place update
    old_lines = set(old.group("allow-1").rules_string.splitlines())
    new_lines = set(new.group("allow-1").rules_string.splitlines())
    assert len(new_lines - old_lines) == 1 and not old_lines - new_lines
    assert "b.example.com" in (new_lines - old_lines).pop()


def test_sids_come_from_content_not_position(on_prem_plan: EgressPlan, hybrid_plan: EgressPlan) -> None:
    def sid_by_host(spec: AwsEgressSpec) -> dict[str, int]:
        found: dict[str, int] = {}
        for group in spec.groups:
            for line in group.rules_string.splitlines():
                rule = suricataparser.parse_rule(line)
                for option in rule.options:
                    if option.name == "content" and rule.action == "pass":
                        found[str(option.value).strip('"')] = int(rule.sid)
        return found

    small = sid_by_host(compile_network_firewall(on_prem_plan, sources_for(on_prem_plan)))
    large = sid_by_host(compile_network_firewall(hybrid_plan, sources_for(hybrid_plan)))
    assert small and all(large[host] == sid for host, sid in small.items())


@pytest.mark.parametrize(
    ("used", "headroom", "rounding", "expected"),
    [(0, 25, 100, 100), (34, 25, 100, 100), (80, 25, 100, 100), (81, 25, 100, 200), (5023, 25, 100, 6400),
     (5023, 0, 1, 5793), (29_000, 25, 100, MAX_STATEFUL_GROUP_CAPACITY)],
)  # fmt: skip
def test_provisioned_capacity_adds_headroom_and_rounds(used: int, headroom: int, rounding: int, expected: int) -> None:
    options = AwsFirewallOptions(
        headroom_percent=headroom, capacity_rounding=rounding, min_capacity=1 if not headroom else 100
    )
    assert options.provisioned_capacity(used) == expected


def test_capacity_ladder_keeps_headroom_and_changes_rarely() -> None:
    options = AwsFirewallOptions()
    capacities = [options.provisioned_capacity(used) for used in range(1, 24_001)]
    for used, capacity in enumerate(capacities, start=1):
        assert capacity >= used * 1.25
        assert capacity % 100 == 0
    # Fixed steps of 100 would change the capacity (a replacement) every 80 rules: 300 times up to 24,000.
    changes = sum(1 for before, after in itertools.pairwise(capacities) if before != after)
    assert changes <= 16


def bulk_entries(hosts: int) -> list[dict[str, Any]]:
    """Overlay entries of 100 synthetic hosts each."""
    return [
        host_entry(f"bulk-{block}", [f"https://h{index}.bulk{block}.example.net" for index in range(block * 100, end)])
        for block in range((hosts + 99) // 100)
        if (end := min(block * 100 + 100, hosts)) > block * 100
    ]


def big_plan(catalog: Catalog, hosts: int) -> EgressPlan:
    return with_overlay(catalog, bulk_entries(hosts))


def test_a_large_plan_splits_deterministically_and_a_new_host_touches_one_group(catalog: Catalog) -> None:
    options = AwsFirewallOptions(max_group_capacity=1_000)
    plan = big_plan(catalog, 2_000)
    spec = compile_network_firewall(plan, sources_for(plan), options)
    allow_groups = [group for group in spec.groups if group.key.startswith("allow-")]
    assert len(allow_groups) >= 3
    for group in allow_groups:
        assert group.used_capacity <= group.capacity <= 1_000
    hosts = {host for group in allow_groups for host in group.hosts}
    assert hosts == {rule.host for rule in plan.allow}
    again = compile_network_firewall(plan, sources_for(plan), options)
    assert [group.create_request() for group in again.groups] == [group.create_request() for group in spec.groups]

    grown = with_overlay(catalog, [*bulk_entries(2_000), host_entry("one-more", ["https://one-more.example.org"])])
    bigger = compile_network_firewall(grown, sources_for(grown), options)
    changed = [group.key for group in bigger.groups if group.create_request() != spec.group(group.key).create_request()]
    assert len(changed) == 1 and changed[0].startswith("allow-")


def test_rules_bytes_limit_forces_a_split(catalog: Catalog) -> None:
    plan = big_plan(catalog, 300)
    spec = compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(max_rules_bytes=20_000))
    groups = [group for group in spec.groups if group.key.startswith("allow-")]
    assert len(groups) > 1
    assert all(group.rules_bytes * 1.10 <= 20_000 for group in groups)  # the rules string keeps a 10% margin


def test_domain_list_style_uses_exact_names_and_a_dot_only_for_declared_suffixes(catalog: Catalog) -> None:
    plan = with_overlay(
        catalog,
        [
            host_entry("suffix", ["*.updates.example.com"], domain_suffix=True),
            host_entry("clear", ["http://plain.example.com"], ports=[80]),
        ],
    )
    spec = compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(style="domain-list"))
    tls = spec.group("tls-domains").rule_group["RulesSource"]["RulesSourceList"]
    http = spec.group("http-domains").rule_group["RulesSource"]["RulesSourceList"]
    assert tls["TargetTypes"] == ["TLS_SNI"] and http["TargetTypes"] == ["HTTP_HOST"]
    assert http["Targets"] == ["plain.example.com"]
    assert ".updates.example.com" in tls["Targets"]
    assert [target for target in tls["Targets"] if target.startswith(".")] == [".updates.example.com"]
    assert spec.group("tls-domains").used_capacity == len(tls["Targets"]) + 1
    assert any("neither ports nor per-role sources" in note for note in spec.notes)


def test_domain_list_has_no_http_group_without_port_80(hybrid_plan: EgressPlan) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan), AwsFirewallOptions(style="domain-list"))
    assert [group.key for group in spec.groups] == ["tls-domains", "guard"]


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_both_styles_drop_udp_icmp_and_other_protocols_from_every_declared_source(
    hybrid_plan: EgressPlan, style: str
) -> None:
    """Explicit drops, last: the policy's aws:drop_established does not reach the first packet of a UDP flow."""
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan), AwsFirewallOptions(style=style))  # type: ignore[arg-type]
    assert spec.groups[-1].key == "guard"
    lines = spec.group("guard").rules_string.splitlines()
    for role in hybrid_plan.roles:
        variable = f"${ROLE_VARIABLES[role]}"  # type: ignore[index]
        assert f"drop udp {variable} any -> any any (" in spec.group("guard").rules_string
        assert f"drop icmp {variable} any -> any any (" in spec.group("guard").rules_string
        [other] = [line for line in lines if line.startswith(f"drop ip {variable} any -> any any (")]
        assert "ip_proto:!6; ip_proto:!17; ip_proto:!1; flow:to_server;" in other
    non_tcp = [line for line in lines if line.startswith(("drop udp", "drop icmp", "drop ip"))]
    assert all("flow:to_server;" in line for line in non_tcp)  # not IP-only rules
    assert not any(line.startswith("pass") for line in lines[lines.index(non_tcp[0]) :])
    assert all(group.priority < spec.group("guard").priority for group in spec.groups[:-1])


def test_suricata_http_rules_only_where_the_plan_has_http(catalog: Catalog) -> None:
    plan = select(catalog, mode="on-prem", version="14.2", proxy=True)
    http_rules = [rule for rule in plan.allow if rule.protocol == "http"]
    assert http_rules and all(rule.port == 80 for rule in http_rules)
    spec = compile_network_firewall(plan, sources_for(plan))
    lines = [line for group in spec.groups for line in group.rules_string.splitlines() if line.startswith("pass http")]
    assert len(lines) == len(http_rules)
    assert all(" 80 (http.host; content:" in line for line in lines)
    guard = spec.group("guard").rules_string
    assert "pass tcp $SEPM_NET any <> any [80,443] (" in guard
    assert "pass tcp $SEP_AGENT_NET any <> any 443 (" in guard


def test_cidr_rules_pass_only_their_range_port_and_protocol(catalog: Catalog) -> None:
    entry = {
        "id": "corp-proxy",
        "role": "agent",
        "usage": {"en": "proxy"},
        "cidrs": ["203.0.113.0/28"],
        "ports": [3128],
        "protocol": "tcp",
    }
    plan = with_overlay(catalog, [entry])
    for style in ("suricata", "domain-list"):
        spec = compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(style=style))  # type: ignore[arg-type]
        lines = [line for group in spec.groups for line in group.rules_string.splitlines() if "203.0.113.0/28" in line]
        assert len(lines) == 1 and lines[0].startswith("pass tcp $SEP_AGENT_NET any -> 203.0.113.0/28 3128 (")
        assert "flow:to_server; flowbits:set,sep_egress_range;" in lines[0]
        # the replies of the flows it marked pass in the guard (packet scope needs them matched too)
        [reply] = [line for line in spec.group("guard").rules_string.splitlines() if "sep_egress_range" in line]
        assert reply.startswith("pass ip $SEP_AGENT_NET any <> any any (") and "flow:to_client;" in reply


def test_a_role_without_sources_gets_no_rules(hybrid_plan: EgressPlan) -> None:
    spec = compile_network_firewall(hybrid_plan, {"agent": ["10.10.0.0/16"]})
    assert spec.skipped_roles == ("agent-cloud", "sepm", "sepm-cloud", "console")
    text = "\n".join(group.rules_string for group in spec.groups)
    assert "$SEPM_NET" not in text and "$SEP_CONSOLE_NET" not in text
    assert set(spec.allowed_by_role) == {"agent"}
    assert spec.home_net == ("10.10.0.0/16",)
    assert "no source CIDRs" in spec.notes[0]


def test_policy_is_strict_with_app_layer_defaults_reject_on_stream_exceptions_and_home_net(
    hybrid_plan: EgressPlan,
) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    policy = spec.firewall_policy(arns(spec))
    assert policy["StatefulEngineOptions"] == {
        "RuleOrder": "STRICT_ORDER",
        "StreamExceptionPolicy": "REJECT",
        "FlowTimeouts": {"TcpIdleTimeoutSeconds": 350},
    }
    assert policy["StatefulDefaultActions"] == ["aws:drop_established_app_layer", "aws:alert_established_app_layer"]
    home = policy["PolicyVariables"]["RuleVariables"]["HOME_NET"]["Definition"]
    assert sorted(home) == sorted({cidr for cidrs in SOURCES.values() for cidr in cidrs})
    priorities = [reference["Priority"] for reference in policy["StatefulRuleGroupReferences"]]
    assert priorities == sorted(priorities) and spec.groups[-1].key == "guard"
    data = spec.fms_managed_service_data(arns(spec), ["aws:drop_established", "aws:alert_established"])
    assert data["type"] == "NETWORK_FIREWALL"
    assert data["networkFirewallStatefulDefaultActions"] == ["aws:drop_established", "aws:alert_established"]
    assert data["networkFirewallStatefulEngineOptions"] == {
        "ruleOrder": "STRICT_ORDER",
        "streamExceptionPolicy": "REJECT",
    }
    assert [ref["resourceARN"] for ref in data["networkFirewallStatefulRuleGroupReferences"]] == list(
        arns(spec).values()
    )


def test_tls_inspection_bypass_hosts_are_reported(hybrid_plan: EgressPlan) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    assert spec.tls_inspection_bypass == hybrid_plan.tls_inspection_bypass
    assert "liveupdate.symantec.com" in spec.tls_inspection_bypass


@pytest.mark.parametrize(
    ("sources", "options", "message"),
    [
        ({"agent": ["0.0.0.0/0"]}, AwsFirewallOptions(), "source_cidrs['agent'][0]: '0.0.0.0/0' is every address"),
        ({"agent": ["10.0.0.1/8"]}, AwsFirewallOptions(), "source_cidrs['agent'][0]: '10.0.0.1/8' is not a valid CIDR"),
        ({"printer": ["10.0.0.0/8"]}, AwsFirewallOptions(), "source_cidrs['printer']: unknown role"),
        ({"console": ["10.0.0.0/8"]}, AwsFirewallOptions(), "source_cidrs['console']: the plan has no role console"),
        ({"agent": "10.0.0.0/8"}, AwsFirewallOptions(), "source_cidrs['agent']: a list of CIDRs"),
        ({}, AwsFirewallOptions(), "source_cidrs: no plan role has a source CIDR"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(name_prefix="sep egress"), "name_prefix:"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(style="allow-all"), "style: 'allow-all' is not a style"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(headroom_percent=-5), "headroom_percent:"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(headroom_percent=True), "headroom_percent: True must be"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(capacity_rounding=True), "capacity_rounding: True"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(min_capacity=True), "min_capacity: True"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(first_priority=True), "first_priority: True"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(max_group_capacity=True), "max_group_capacity:"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(max_policy_capacity=True), "max_policy_capacity:"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(allow_any_source=1), "allow_any_source: must be true or false"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(block_action="deny"), "block_action: 'deny'"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(pass_alert="yes"), "pass_alert: must be true or false"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(style="domain-list", pass_alert=True), "pass_alert: only"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(default_actions="drop"), "default_actions: 'drop'"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(stream_exception_policy="reject"), "stream_exception_policy"),  # type: ignore[arg-type]
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(tcp_idle_timeout=59), "tcp_idle_timeout: 59 must be"),
        ({"agent": ["10.0.0.0/8"]}, AwsFirewallOptions(tcp_idle_timeout=True), "tcp_idle_timeout: True must be"),
        (
            {"agent": [f"10.{i // 250}.{i % 250}.0/24" for i in range(600)]},
            AwsFirewallOptions(),
            "Summarise these CIDRs",
        ),
    ],
)
def test_invalid_inputs_are_refused_with_the_argument_named(
    on_prem_plan: EgressPlan, sources: Any, options: AwsFirewallOptions, message: str
) -> None:
    with pytest.raises(AwsFirewallError) as raised:
        compile_network_firewall(on_prem_plan, sources, options)
    assert message in str(raised.value)


def test_any_source_needs_an_explicit_opt_in(on_prem_plan: EgressPlan) -> None:
    spec = compile_network_firewall(on_prem_plan, {"agent": ["0.0.0.0/0"]}, AwsFirewallOptions(allow_any_source=True))
    assert spec.home_net == ("0.0.0.0/0",)


def test_a_domain_list_too_large_for_one_group_is_split_by_name(catalog: Catalog) -> None:
    """Strict-order domain lists only pass (no generated drop), so a long list splits like any pass rules."""
    plan = big_plan(catalog, 900)
    options = AwsFirewallOptions(style="domain-list", max_group_capacity=1_000)
    spec = compile_network_firewall(plan, sources_for(plan), options)
    keys = [group.key for group in spec.groups if group.key.startswith("tls-domains")]
    assert keys[0] == "tls-domains" and len(keys) >= 2 and keys[1] == "tls-domains-2"
    targets = [
        t
        for g in spec.groups
        if g.kind == "domain-list"
        for t in g.rule_group["RulesSource"]["RulesSourceList"]["Targets"]
    ]
    assert len(targets) == len(set(targets)) == len({rule.host for rule in plan.allow if rule.protocol == "tls"})
    assert all(group.capacity <= 1_000 for group in spec.groups)
    grown = compile_network_firewall(big_plan(catalog, 901), sources_for(plan), options)
    changed = [g.key for g in grown.groups if g.create_request() != spec.group(g.key).create_request()]
    assert len(changed) == 1  # the new name lands in one list


def test_the_policy_capacity_limit_is_checked(catalog: Catalog) -> None:
    plan = big_plan(catalog, 600)
    with pytest.raises(AwsFirewallError, match="a firewall policy holds 600"):
        compile_network_firewall(plan, sources_for(plan), AwsFirewallOptions(max_policy_capacity=600))


def test_capacity_is_reserved_against_the_policy_total_guard_included(catalog: Catalog) -> None:
    """22,069 rules fit one policy (30,000): per-group headroom and ladder rounding used to reserve more than the
    policy holds and refuse it. A host added is still one in-place update."""
    plan = with_overlay(
        catalog, bulk_entries(22_069 - len(select(catalog, mode="hybrid", version="14.3 RU1", roles=["console"]).allow))
    )
    sources = sources_for(plan)
    spec = compile_network_firewall(plan, sources)
    assert sum(group.used_capacity for group in spec.groups if group.key != "guard") == 22_069
    ladder = sum(AwsFirewallOptions().provisioned_capacity(group.used_capacity) for group in spec.groups)
    assert ladder > 30_000  # what group-by-group reservation would have asked for
    allow_bytes = sum(group.rules_bytes for group in spec.groups if group.key != "guard")
    minimum = 1 + max(
        1, math.ceil(22_069 / MAX_STATEFUL_GROUP_CAPACITY), math.ceil(allow_bytes / MAX_RULES_STRING_BYTES)
    )
    assert spec.capacity <= 30_000 and len(spec.groups) == minimum
    assert all(group.used_capacity <= group.capacity for group in spec.groups)
    grown = compile_network_firewall(
        with_overlay(catalog, [*bulk_entries(22_069 - 60), host_entry("one-more", ["https://one-more.example.net"])]),
        sources,
    )
    assert [group.name for group in grown.groups] == [group.name for group in spec.groups]  # no replacement


@pytest.mark.parametrize("block", ["reject", "drop"])
def test_block_action_applies_to_tcp_refusals_and_never_to_udp(hybrid_plan: EgressPlan, block: str) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan), AwsFirewallOptions(block_action=block))  # type: ignore[arg-type]
    lines = spec.group("guard").rules_string.splitlines()
    refusals = [line for line in lines if line.split()[0] in ("reject", "drop")]
    assert {line.split()[1] for line in refusals if line.startswith(block)} >= {"tls", "http", "tcp"}
    assert all(line.startswith("drop") for line in refusals if line.split()[1] in ("udp", "icmp", "ip"))
    tls = [line for line in refusals if line.split()[1] == "tls"]
    # refused only once the ClientHello is whole, as AWS's egress sample does
    assert all('ssl_state:client_hello; ja4.hash; content:"_";' in line for line in tls)


def test_pass_alert_makes_every_pass_rule_log(hybrid_plan: EgressPlan) -> None:
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan), AwsFirewallOptions(pass_alert=True))
    passes = [line for group in spec.groups if group.key != "guard" for line in group.rules_string.splitlines()]
    assert passes and all(" alert; " in line for line in passes)
    quiet = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan))
    assert not any(" alert; " in group.rules_string for group in quiet.groups)


@pytest.mark.parametrize("default", ["drop_established_app_layer", "drop_established", "drop_strict", "none"])
@pytest.mark.parametrize("stream", ["REJECT", "DROP", "CONTINUE"])
def test_policy_options_validate_against_the_botocore_model(
    hybrid_plan: EgressPlan, default: str, stream: str, network_firewall_model: Any
) -> None:
    options = AwsFirewallOptions(default_actions=default, stream_exception_policy=stream, tcp_idle_timeout=6000)  # type: ignore[arg-type]
    spec = compile_network_firewall(hybrid_plan, sources_for(hybrid_plan), options)
    shape = network_firewall_model.operation_model("CreateFirewallPolicy").input_shape
    request = spec.policy_request("p", arns(spec))
    assert_valid(request, shape)
    documented = shape.members["FirewallPolicy"].members["StatefulDefaultActions"].documentation
    assert all(action in documented for action in request["FirewallPolicy"]["StatefulDefaultActions"])


def test_sid_collisions_are_resolved_deterministically(monkeypatch: pytest.MonkeyPatch) -> None:
    from sep_egress.compile import aws, aws_rules

    monkeypatch.setattr(aws_rules, "SID_SPAN", 4)  # four sids for four identities: collisions are certain
    identities = ["allow|tls|exact|a|443", "allow|tls|exact|b|443", "handshake|agent", "drop-tls|agent"]
    first = aws_rules.assign_sids(identities)
    assert sorted(first.values()) == [aws.SID_BASE + offset for offset in range(4)]
    assert aws_rules.assign_sids(list(reversed(identities))) == first
