"""AWS compiler: rule text, sids, capacity, splitting, limits, and the request bodies against botocore's model."""

from __future__ import annotations

import pytest
import suricataparser

from sep_egress.catalog import Catalog, EgressPlan, select
from sep_egress.catalog.internal import destinations_from_config
from sep_egress.compile.aws import (
    MAX_RULES_STRING_BYTES,
    MAX_SURICATA_RULE_CHARS,
    ROLE_VARIABLES,
    AwsEgressSpec,
    AwsFirewallOptions,
    compile_network_firewall,
)
from sep_egress.compile.aws.evaluate import Connection, NetworkFirewallModel

from support import SEPM, hybrid, sources_for, with_overlay


@pytest.mark.real_program
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


@pytest.mark.real_program
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


@pytest.mark.real_program
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
        assert f"drop udp {variable} any -> !$SEP_EGRESS_EXEMPT any (" in spec.group("guard").rules_string
        assert f"drop icmp {variable} any -> !$SEP_EGRESS_EXEMPT any (" in spec.group("guard").rules_string
        [other] = [line for line in lines if line.startswith(f"drop ip {variable} any -> !$SEP_EGRESS_EXEMPT any (")]
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
    assert "pass tcp !$SEP_EGRESS_EXEMPT [80,443] -> $SEPM_NET any (" in guard
    assert "pass tcp !$SEP_EGRESS_EXEMPT 443 -> $SEP_AGENT_NET any (" in guard


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
        assert reply.startswith("pass ip any any -> $SEP_AGENT_NET any (") and "flow:to_client;" in reply


def test_a_role_without_sources_gets_no_rules(hybrid_plan: EgressPlan) -> None:
    spec = compile_network_firewall(hybrid_plan, {"agent": ["10.10.0.0/16"]})
    assert spec.skipped_roles == ("agent-cloud", "sepm", "sepm-cloud", "console")
    text = "\n".join(group.rules_string for group in spec.groups)
    assert "$SEPM_NET" not in text and "$SEP_CONSOLE_NET" not in text
    assert set(spec.allowed_by_role) == {"agent"}
    assert spec.home_net == ("10.10.0.0/16",)
    assert "no source CIDRs" in spec.notes[0]


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


def test_sid_collisions_are_resolved_deterministically(monkeypatch: pytest.MonkeyPatch) -> None:
    from sep_egress.compile import aws
    from sep_egress.compile.aws import rules as aws_rules

    monkeypatch.setattr(aws_rules, "SID_SPAN", 4)  # four sids for four identities: collisions are certain
    identities = ["allow|tls|exact|a|443", "allow|tls|exact|b|443", "handshake|agent", "drop-tls|agent"]
    first = aws_rules.assign_sids(identities)
    assert sorted(first.values()) == [aws.SID_BASE + offset for offset in range(4)]
    assert aws_rules.assign_sids(list(reversed(identities))) == first


EVALUATION_SOURCES = {
    "agent": ["10.10.0.0/16"],
    "agent-cloud": ["10.10.0.0/16"],
    "sepm": ["10.20.0.10/32"],
    "sepm-cloud": ["10.20.0.10/32"],
    "console": ["10.30.0.0/24"],
}


AGENT, CONSOLE = "10.10.1.5", "10.30.0.5"


@pytest.mark.parametrize("style", ["suricata", "domain-list"])
def test_aws_allows_agent_to_sepm_only_with_its_address_and_only_there(catalog: Catalog, style: str) -> None:
    # guard_scope all: the guard judges internal destinations too (with the default, external, it leaves them to
    # later groups and the default actions, and a UDP packet to 10.20.0.10 is not the guard's to refuse).
    options = AwsFirewallOptions(style=style, guard_scope="all")  # type: ignore[arg-type]
    without = NetworkFirewallModel.from_spec(compile_network_firewall(hybrid(catalog), EVALUATION_SOURCES, options))
    plan = hybrid(catalog, destinations_from_config({"sepm": [SEPM]}))
    model = NetworkFirewallModel.from_spec(compile_network_firewall(plan, EVALUATION_SOURCES, options))
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
