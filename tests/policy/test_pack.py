"""The CrossGuard policy pack (policy/): every check on passing and failing props, the CrossGuard adapters, and the
pack's entry point, all without pulumi_policy (the project's environment does not install it).

Props are written as the engine sends them (camelCase input names, numbers as floats). The tests at the end run
sep-egress's own components and plain pulumi_aws / pulumi_gcp resources under the mock engine and feed what was
registered to the checks, so a misspelt property name here or a renamed one in a provider SDK shows up as a
failure rather than as a check that silently never fires.
"""

from __future__ import annotations

import json
import runpy
import sys
import types
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support import ROOT

POLICY_DIR = ROOT / "policy"
sys.path.insert(0, str(POLICY_DIR))

from sep_egress_policy import checks, policies, suricata  # noqa: E402

AWS_RG = checks.AWS_RULE_GROUP
GCP_RULE = "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule"
GCP_HIER_RULE = "gcp:compute/firewallPolicyRule:FirewallPolicyRule"
GCP_WITH_RULES = "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules"
OURS_URN = (
    "urn:pulumi:dev::sep-egress::pulumi:pulumi:Stack$sep-egress:gcp:EgressFirewallPolicy"
    "$gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule::r"
)
FOREIGN_URN = (
    "urn:pulumi:dev::other::pulumi:pulumi:Stack$gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule::r"
)


def suricata_group(rules: str, variables: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    group: dict[str, Any] = {"rulesSource": {"rulesString": rules}}
    if variables:
        group["ruleVariables"] = {
            "ipSets": [{"key": key, "ipSet": {"definitions": value}} for key, value in variables.items()]
        }
    return {"type": "STATEFUL", "capacity": 100.0, "ruleGroup": group}


def domain_list(*targets: str, kind: str = "ALLOWLIST") -> dict[str, Any]:
    return {
        "type": "STATEFUL",
        "ruleGroup": {
            "rulesSource": {
                "rulesSourceList": {"generatedRulesType": kind, "targetTypes": ["TLS_SNI"], "targets": list(targets)}
            }
        },
    }


def gcp_rule(**fields: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {"priority": 1000.0, "action": "allow", "direction": "EGRESS", "enableLogging": True}
    match = fields.pop("match", {})
    rule["match"] = {"layer4Configs": [{"ipProtocol": "tcp", "ports": ["443"]}], **match}
    rule.update(fields)
    return rule


SNI_CATALOG = (
    'pass tls $SEP_AGENT_NET any -> any 443 (tls.sni; content:"liveupdate.symantec.com"; startswith; nocase; '
    'endswith; msg:"ok"; flow:to_server; sid:1; rev:1;)'
)


# --- the catalog export ----------------------------------------------------------------------------------------


@pytest.mark.real_program
def test_catalog_export_is_current() -> None:
    export = runpy.run_path(str(POLICY_DIR / "export_catalog.py"))
    assert checks.CATALOG_EXPORT.read_text(encoding="utf-8") == export["render"](), (
        "the catalog changed: run .venv/bin/python policy/export_catalog.py"
    )


def test_catalog_export_holds_every_catalog_host(catalog: Any) -> None:
    exported = checks.load_catalog_hosts()
    assert exported.version == catalog.version
    assert set(exported.hosts) == {url.host for entry in catalog.entries for url in entry.urls}
    assert exported.hosts["storage.googleapis.com"].shared
    assert not exported.hosts["liveupdate.symantec.com"].shared


@pytest.mark.real_program
def test_overlays_become_policy_config() -> None:
    export = runpy.run_path(str(POLICY_DIR / "export_catalog.py"))
    config = export["policy_config"](sorted(str(path) for path in (ROOT / "examples" / "overlays").glob("*.yaml")))
    hosts = config[policies.HOSTS_FROM_CATALOG]["allowedHosts"]
    assert {"ocsp.digicert.com", "lua.corp.example.com"} <= set(hosts)
    # The generated config is accepted as is, and it admits what the overlays add.
    props = domain_list("ocsp.digicert.com", "lua.corp.example.com", "liveupdate.symantec.com")
    assert checks.hosts_outside_catalog(AWS_RG, props, config[policies.HOSTS_FROM_CATALOG]) == []
    assert len(checks.hosts_outside_catalog(AWS_RG, props, {})) == 2


# --- no allow-all egress ----------------------------------------------------------------------------------------

ALLOW_ALL_FAILS: list[tuple[str, str, dict[str, Any]]] = [
    (
        "sg-egress-any",
        checks.AWS_SECURITY_GROUP,
        {"egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}]},
    ),
    (
        "sg-egress-ipv6-443",
        checks.AWS_SECURITY_GROUP,
        {"egress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "ipv6CidrBlocks": ["::/0"]}]},
    ),
    (
        "default-sg",
        checks.AWS_DEFAULT_SECURITY_GROUP,
        {"egress": [{"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}]},
    ),
    (
        "sg-rule-egress",
        checks.AWS_SECURITY_GROUP_RULE,
        {"type": "egress", "protocol": "tcp", "fromPort": 0.0, "toPort": 65535.0, "cidrBlocks": ["0.0.0.0/0"]},
    ),
    ("vpc-egress-rule-v4", checks.AWS_EGRESS_RULE, {"ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"}),
    ("vpc-egress-rule-v6", checks.AWS_EGRESS_RULE, {"ipProtocol": "tcp", "cidrIpv6": "::/0", "fromPort": 443.0}),
    ("suricata-pass-any", AWS_RG, suricata_group("pass tcp $HOME_NET any -> any 443 (flow:to_server; sid:7;)")),
    ("suricata-external-net", AWS_RG, suricata_group("pass ip any any -> $EXTERNAL_NET any (sid:8;)")),
    ("suricata-negation", AWS_RG, suricata_group("pass tcp any any -> !10.0.0.0/8 any (sid:9;)")),
    (
        "suricata-variable",
        AWS_RG,
        suricata_group("pass tcp any any -> $OUT any (sid:10;)", {"OUT": ["10.0.0.0/8", "0.0.0.0/0"]}),
    ),
    ("top-level-rules", AWS_RG, {"type": "STATEFUL", "rules": "pass tls any any -> any any (sid:11;)"}),
    (
        "structured-pass",
        AWS_RG,
        {
            "ruleGroup": {
                "rulesSource": {
                    "statefulRules": [
                        {
                            "action": "PASS",
                            "header": {
                                "protocol": "TLS",
                                "source": "ANY",
                                "sourcePort": "ANY",
                                "destination": "ANY",
                                "destinationPort": "ANY",
                                "direction": "FORWARD",
                            },
                            "ruleOptions": [{"keyword": "sid", "settings": ["1"]}],
                        }
                    ]
                }
            }
        },
    ),
    (
        "stateless-pass",
        AWS_RG,
        {
            "type": "STATELESS",
            "ruleGroup": {
                "rulesSource": {
                    "statelessRulesAndCustomActions": {
                        "statelessRules": [
                            {
                                "priority": 1.0,
                                "ruleDefinition": {
                                    "actions": ["aws:pass"],
                                    "matchAttributes": {"destinations": [{"addressDefinition": "0.0.0.0/0"}]},
                                },
                            }
                        ]
                    }
                }
            },
        },
    ),
    (
        "policy-stateless-pass",
        checks.AWS_FIREWALL_POLICY,
        {
            "firewallPolicy": {
                "statelessDefaultActions": ["aws:pass"],
                "statelessFragmentDefaultActions": ["aws:forward_to_sfe"],
            }
        },
    ),
    (
        "policy-strict-no-drop",
        checks.AWS_FIREWALL_POLICY,
        {
            "firewallPolicy": {
                "statelessDefaultActions": ["aws:forward_to_sfe"],
                "statefulEngineOptions": {"ruleOrder": "STRICT_ORDER"},
                "statefulDefaultActions": ["aws:alert_established"],
            }
        },
    ),
    (
        "gcp-classic-no-destination",
        checks.GCP_FIREWALL,
        {"direction": "EGRESS", "allows": [{"protocol": "tcp", "ports": ["443"]}]},
    ),
    (
        "gcp-classic-everywhere",
        checks.GCP_FIREWALL,
        {"direction": "EGRESS", "allows": [{"protocol": "all"}], "destinationRanges": ["0.0.0.0/0"]},
    ),
    ("gcp-rule-everywhere", GCP_RULE, gcp_rule(match={"destIpRanges": ["0.0.0.0/0"]})),
    (
        "gcp-fqdns-or-everywhere",
        GCP_HIER_RULE,
        gcp_rule(match={"destFqdns": ["liveupdate.symantec.com"], "destIpRanges": ["::/0"]}),
    ),
    ("gcp-rule-no-destination", GCP_RULE, gcp_rule()),
    (
        "gcp-with-rules",
        GCP_WITH_RULES,
        {
            "rules": [
                gcp_rule(match={"destFqdns": ["liveupdate.symantec.com"]}),
                gcp_rule(match={"destIpRanges": ["0.0.0.0/0"]}),
            ]
        },
    ),
]

ALLOW_ALL_PASSES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "sg-egress-private",
        checks.AWS_SECURITY_GROUP,
        {"egress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/8"]}]},
    ),
    ("sg-no-egress", checks.AWS_SECURITY_GROUP, {"ingress": [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]}),
    (
        "sg-rule-ingress",
        checks.AWS_SECURITY_GROUP_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]},
    ),
    ("vpc-egress-prefix-list", checks.AWS_EGRESS_RULE, {"ipProtocol": "tcp", "prefixListId": "pl-123"}),
    ("suricata-sni", AWS_RG, suricata_group(SNI_CATALOG)),
    (
        "suricata-handshake",
        AWS_RG,
        suricata_group("pass tcp $SEP_AGENT_NET any -> any 443 (flow:not_established,to_server; sid:2;)"),
    ),
    ("suricata-drop-any", AWS_RG, suricata_group("drop tcp any any -> any any (sid:3;)")),
    ("suricata-pass-range", AWS_RG, suricata_group("pass tcp any any -> [10.0.0.0/8, 192.168.0.0/16] 3128 (sid:4;)")),
    ("suricata-undefined-variable", AWS_RG, suricata_group("pass tcp any any -> $PROXY_NET 3128 (sid:5;)")),
    ("domain-list", AWS_RG, domain_list("liveupdate.symantec.com")),
    (
        "stateless-forward",
        AWS_RG,
        {
            "ruleGroup": {
                "rulesSource": {
                    "statelessRulesAndCustomActions": {
                        "statelessRules": [
                            {"ruleDefinition": {"actions": ["aws:forward_to_sfe"], "matchAttributes": {}}}
                        ]
                    }
                }
            }
        },
    ),
    (
        "policy-strict-drop",
        checks.AWS_FIREWALL_POLICY,
        {
            "firewallPolicy": {
                "statelessDefaultActions": ["aws:forward_to_sfe"],
                "statefulEngineOptions": {"ruleOrder": "STRICT_ORDER"},
                "statefulDefaultActions": ["aws:drop_established", "aws:alert_established"],
            }
        },
    ),
    (
        "gcp-classic-private",
        checks.GCP_FIREWALL,
        {"direction": "EGRESS", "allows": [{"protocol": "tcp"}], "destinationRanges": ["10.0.0.0/8"]},
    ),
    (
        "gcp-classic-deny",
        checks.GCP_FIREWALL,
        {"direction": "EGRESS", "denies": [{"protocol": "all"}], "destinationRanges": ["0.0.0.0/0"]},
    ),
    ("gcp-classic-ingress", checks.GCP_FIREWALL, {"allows": [{"protocol": "all"}], "sourceRanges": ["0.0.0.0/0"]}),
    (
        "gcp-classic-disabled",
        checks.GCP_FIREWALL,
        {"direction": "EGRESS", "disabled": True, "allows": [{"protocol": "all"}]},
    ),
    (
        "gcp-classic-unknown-ranges",
        checks.GCP_FIREWALL,
        {"direction": "EGRESS", "allows": [{"protocol": "all"}], "destinationRanges": checks.UNKNOWN},
    ),
    ("gcp-rule-fqdns", GCP_RULE, gcp_rule(match={"destFqdns": ["liveupdate.symantec.com"]})),
    ("gcp-rule-deny-all", GCP_RULE, gcp_rule(action="deny", match={"destIpRanges": ["0.0.0.0/0", "::/0"]})),
    ("gcp-rule-goto-next", GCP_RULE, gcp_rule(action="goto_next", match={"destIpRanges": ["0.0.0.0/0"]})),
    ("gcp-rule-ingress", GCP_RULE, gcp_rule(direction="INGRESS", match={"srcIpRanges": ["0.0.0.0/0"]})),
    ("gcp-rule-intra-vpc", GCP_RULE, gcp_rule(match={"destNetworkScope": "INTRA_VPC"})),
    ("gcp-rule-disabled", GCP_RULE, gcp_rule(disabled=True, match={"destIpRanges": ["0.0.0.0/0"]})),
    (
        "gcp-with-rules-default-ingress",
        GCP_WITH_RULES,
        {"rules": [{"priority": 1.0, "action": "allow", "match": {"srcIpRanges": ["0.0.0.0/0"]}}]},
    ),
    ("other-type", "aws:s3/bucket:Bucket", {"egress": [{"cidrBlocks": ["0.0.0.0/0"]}]}),
]


@pytest.mark.parametrize(
    ("resource_type", "props"), [case[1:] for case in ALLOW_ALL_FAILS], ids=[c[0] for c in ALLOW_ALL_FAILS]
)
def test_allow_all_egress_is_a_violation(resource_type: str, props: dict[str, Any]) -> None:
    messages = checks.allow_all_egress(resource_type, props)
    assert len(messages) == 1, messages


@pytest.mark.parametrize(
    ("resource_type", "props"), [case[1:] for case in ALLOW_ALL_PASSES], ids=[c[0] for c in ALLOW_ALL_PASSES]
)
def test_bounded_egress_passes(resource_type: str, props: dict[str, Any]) -> None:
    assert checks.allow_all_egress(resource_type, props) == []


def test_allow_all_message_says_where_and_what() -> None:
    [message] = checks.allow_all_egress(AWS_RG, suricata_group("# header\n\npass tcp any any -> any 443 (sid:42;)"))
    assert message.startswith("ruleGroup.rulesSource.rulesString line 3 (sid 42): allows egress to every address (any)")
    [message] = checks.allow_all_egress(
        checks.AWS_SECURITY_GROUP,
        {"egress": [{"protocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["0.0.0.0/0"]}]},
    )
    assert message.startswith("egress[0]: allows egress to every address (0.0.0.0/0), tcp port 443.")


# --- hosts from the catalog or declared overlays ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "props", "undeclared"),
    [
        (AWS_RG, domain_list("liveupdate.symantec.com", "storage.googleapis.com"), []),
        (AWS_RG, domain_list("liveupdate.symantec.com", "evil.example.net"), ["evil.example.net"]),
        (AWS_RG, domain_list(".symantec.com"), [".symantec.com"]),
        (AWS_RG, domain_list("Liveupdate.Symantec.com."), []),
        (AWS_RG, domain_list("evil.example.net", kind="DENYLIST"), []),
        (AWS_RG, suricata_group(SNI_CATALOG), []),
        (
            AWS_RG,
            suricata_group('pass tls any any -> any 443 (tls.sni; content:"files.example.org"; startswith; endswith;)'),
            ["files.example.org"],
        ),
        (
            AWS_RG,
            suricata_group('pass http any any -> any 80 (http.host; dotprefix; content:".symantec.com"; endswith;)'),
            [".symantec.com"],
        ),
        (
            AWS_RG,
            suricata_group('pass tls any any -> any 443 (content:"paste.example.com"; tls_sni; sid:1;)'),
            ["paste.example.com"],
        ),
        (AWS_RG, suricata_group('pass tls any any -> any 443 (tls.sni; pcre:"/symantec/i"; sid:1;)'), ["pcre"]),
        # Negated contents and other buffers do not name an allowed host.
        (AWS_RG, suricata_group('pass tls any any -> any 443 (tls.sni; content:!"evil.example.net"; sid:1;)'), []),
        (AWS_RG, suricata_group('pass http any any -> any 80 (http.uri; content:"/evil.example.net"; sid:1;)'), []),
        (
            GCP_RULE,
            gcp_rule(match={"destFqdns": ["liveupdate.symantec.com", "evil.example.net"]}),
            ["evil.example.net"],
        ),
        (GCP_RULE, gcp_rule(action="deny", match={"destFqdns": ["evil.example.net"]}), []),
        (GCP_WITH_RULES, {"rules": [gcp_rule(match={"destFqdns": ["evil.example.net"]})]}, ["rules[0]"]),
    ],
)
def test_hosts_outside_catalog(resource_type: str, props: dict[str, Any], undeclared: list[str]) -> None:
    messages = checks.hosts_outside_catalog(resource_type, props, {})
    assert len(messages) == len(undeclared), messages
    for message, name in zip(messages, undeclared, strict=True):
        assert name in message


def test_declared_overlay_hosts_are_admitted() -> None:
    config = {
        "allowedHosts": ["lua.corp.example.com", "*.mirror.example.com"],
        "allowedDomainSuffixes": ["digicert.com"],
    }
    props = domain_list(
        "lua.corp.example.com", "a.mirror.example.com", ".mirror.example.com", "ocsp.digicert.com", ".digicert.com"
    )
    assert checks.hosts_outside_catalog(AWS_RG, props, config) == []
    # Declaring a host does not declare its subdomains, nor its parent domain.
    messages = checks.hosts_outside_catalog(AWS_RG, domain_list("x.lua.corp.example.com", "corp.example.com"), config)
    assert len(messages) == 2


def test_a_catalog_suffix_admits_its_subdomains() -> None:
    catalog = checks.CatalogHosts.from_document(
        {"catalogVersion": "1", "hosts": {"cdn.example.com": {"suffix": True, "shared": None, "ids": ["x"]}}}
    )
    props = domain_list(".cdn.example.com", "a.cdn.example.com", "cdn.example.com")
    assert checks.hosts_outside_catalog(AWS_RG, props, {}, catalog) == []
    assert len(checks.hosts_outside_catalog(AWS_RG, domain_list("cdn.example.org"), {}, catalog)) == 1


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"alowedHosts": ["x.example.com"]}, "unknown key 'alowedHosts'"),
        ({"allowedHosts": "x.example.com"}, "allowedHosts must be a list"),
        ({"allowedHosts": ["localhost"]}, "allowedHosts[0]: 'localhost' is not a fully qualified host name"),
        ({"allowedDomainSuffixes": ["10.0.0.1"]}, "allowedDomainSuffixes[0]"),
        # A label is matched whole: "evil\n" must not pass as "evil" (a regex ending in "$" accepts it).
        ({"allowedHosts": ["evil\n.com"]}, "allowedHosts[0]"),
        ({"allowedDomainSuffixes": ["corp\n.example.com"]}, "allowedDomainSuffixes[0]"),
    ],
)
def test_a_bad_config_is_reported_not_ignored(config: dict[str, Any], problem: str) -> None:
    messages = checks.hosts_outside_catalog(AWS_RG, domain_list("liveupdate.symantec.com"), config)
    assert any(problem in message for message in messages), messages


def test_enforcement_level_in_config_is_not_a_problem() -> None:
    assert checks.PackConfig.from_mapping({"enforcementLevel": "advisory"}).problems == ()


@pytest.mark.property
@given(
    st.lists(st.sampled_from(sorted(checks.load_catalog_hosts().hosts)), min_size=1, max_size=20),
    st.from_regex(r"[a-z]{1,12}\.example\.(com|net|org)", fullmatch=True),
)
def test_only_undeclared_names_are_reported(catalog_hosts: list[str], foreign: str) -> None:
    assert checks.hosts_outside_catalog(AWS_RG, domain_list(*catalog_hosts), {}) == []
    messages = checks.hosts_outside_catalog(AWS_RG, domain_list(*catalog_hosts, foreign), {})
    assert len(messages) == 1 and foreign in messages[0]


# --- wider than the vendor's list (advisory) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "props", "expected"),
    [
        (AWS_RG, domain_list("liveupdate.symantec.com"), []),
        (AWS_RG, domain_list("storage.googleapis.com"), ["storage.googleapis.com is shared"]),
        (GCP_RULE, gcp_rule(match={"destFqdns": ["storage.googleapis.com"]}), ["storage.googleapis.com is shared"]),
        (AWS_RG, domain_list(".liveupdate.symantec.com"), ["the catalog lists only the host liveupdate.symantec.com"]),
        (
            AWS_RG,
            suricata_group('pass tls any any -> any 443 (tls.sni; content:"liveupdate.symantec.com"; nocase; sid:1;)'),
            ["is not anchored"],
        ),
        (
            AWS_RG,
            suricata_group(
                'pass tls any any -> any 443 (tls.sni; content:"liveupdate.symantec.com"; isdataat:!1,relative; sid:1;)'
            ),
            ["is not anchored"],
        ),
        (AWS_RG, suricata_group(SNI_CATALOG), []),
        (GCP_RULE, gcp_rule(match={"destIpRanges": ["199.36.153.8/30"]}), ["every Google API"]),
        (GCP_RULE, gcp_rule(action="deny", match={"destFqdns": ["storage.googleapis.com"]}), []),
    ],
)
def test_wider_than_vendor(resource_type: str, props: dict[str, Any], expected: list[str]) -> None:
    messages = checks.wider_than_vendor(resource_type, props)
    assert len(messages) == len(expected), messages
    for message, fragment in zip(messages, expected, strict=True):
        assert fragment in message


# --- logging on for what this project makes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "props", "urn", "parent", "violations"),
    [
        (GCP_RULE, gcp_rule(enableLogging=False), OURS_URN, None, 1),
        (GCP_RULE, {k: v for k, v in gcp_rule().items() if k != "enableLogging"}, OURS_URN, None, 1),
        (GCP_RULE, gcp_rule(enableLogging=False), FOREIGN_URN, None, 0),
        (GCP_RULE, gcp_rule(enableLogging=False, description="sep-egress: agent"), FOREIGN_URN, None, 1),
        (GCP_RULE, gcp_rule(enableLogging=checks.UNKNOWN), OURS_URN, None, 0),
        (GCP_RULE, gcp_rule(enableLogging=True), OURS_URN, None, 0),
        (
            GCP_WITH_RULES,
            {"rules": [gcp_rule(enableLogging=False, ruleName="a"), gcp_rule(action="deny", enableLogging=False)]},
            None,
            "urn:pulumi:dev::p::pulumi:pulumi:Stack$sep-egress:gcp:EgressFirewallPolicy::g",
            2,
        ),
        (
            GCP_WITH_RULES,
            {"rules": [gcp_rule(enableLogging=False, description="sep-egress: agent"), gcp_rule(enableLogging=False)]},
            FOREIGN_URN,
            None,
            1,
        ),
        (checks.GCP_FIREWALL, {"direction": "EGRESS", "description": "sep-egress: x"}, None, None, 1),
        (
            checks.GCP_FIREWALL,
            {"direction": "EGRESS", "description": "sep-egress: x", "logConfig": {"metadata": "INCLUDE_ALL_METADATA"}},
            None,
            None,
            0,
        ),
        (
            checks.AWS_LOGGING,
            {
                "tags": {"managed-by": "sep-egress"},
                "loggingConfiguration": {"logDestinationConfigs": [{"logType": "FLOW", "logDestinationType": "S3"}]},
            },
            None,
            None,
            1,
        ),
        (
            checks.AWS_LOGGING,
            {"loggingConfiguration": {"logDestinationConfigs": [{"logType": "ALERT"}]}},
            "urn:pulumi:dev::p::sep-egress:aws:NetworkFirewallAllowlist$aws:networkfirewall/loggingConfiguration:LoggingConfiguration::l",
            None,
            0,
        ),
    ],
)
def test_logging_off(
    resource_type: str, props: dict[str, Any], urn: str | None, parent: str | None, violations: int
) -> None:
    assert len(checks.logging_off(resource_type, props, {}, urn=urn, parent=parent)) == violations


def test_project_name_in_the_urn_is_not_a_component() -> None:
    # The project segment of a URN may be "sep-egress" in any stack of this repository; only a type counts.
    urn = "urn:pulumi:dev::sep-egress::pulumi:pulumi:Stack$gcp:compute/firewall:Firewall::fw"
    assert not checks.made_by_sep_egress({}, urn)


COMPONENT_CHAIN = "urn:pulumi:dev::p::pulumi:pulumi:Stack$sep-egress:aws:NetworkFirewallAllowlist"
FIREWALL_URN = f"{COMPONENT_CHAIN}$aws:networkfirewall/firewall:Firewall::fw"
LOGGING_URN = f"{COMPONENT_CHAIN}$aws:networkfirewall/loggingConfiguration:LoggingConfiguration::log"


def test_a_sep_egress_firewall_without_logging_is_reported() -> None:
    firewall = checks.StackResource(checks.AWS_FIREWALL, FIREWALL_URN, {"name": "fw"})
    [(message, urn)] = checks.firewalls_without_logging([firewall])
    assert urn == FIREWALL_URN and "no logging configuration" in message
    logging = checks.StackResource(
        checks.AWS_LOGGING, LOGGING_URN, {"firewallArn": checks.UNKNOWN}, dependencies=(FIREWALL_URN,)
    )
    assert checks.firewalls_without_logging([firewall, logging]) == []
    by_arn = checks.StackResource(checks.AWS_LOGGING, LOGGING_URN, {"firewallArn": "arn:fw"})
    with_arn = checks.StackResource(checks.AWS_FIREWALL, FIREWALL_URN, {"arn": "arn:fw"})
    assert checks.firewalls_without_logging([with_arn, by_arn]) == []
    foreign = checks.StackResource(
        checks.AWS_FIREWALL, FIREWALL_URN.replace("sep-egress:aws:NetworkFirewallAllowlist$", ""), {}
    )
    assert checks.firewalls_without_logging([foreign]) == []


# --- the Suricata reader ----------------------------------------------------------------------------------------


def test_suricata_reader_keeps_quoted_semicolons_groups_and_continuations() -> None:
    text = (
        "# comment\n"
        'pass tls [10.0.0.0/8, 192.168.0.0/16] any -> any 443 (msg:"a; b"; tls.sni; content:"a|2e|example.com"; \\\n'
        "  startswith; endswith; sid:5;)\n"
    )
    [rule] = suricata.parse_rules(text)
    assert rule.line == 2 and rule.sid == "5" and rule.destination == "any"
    assert rule.hosts() == (suricata.HostMatch("a.example.com", "exact", "tls.sni"),)
    assert dict(rule.options)["msg"] == '"a; b"'


def test_suricata_reader_skips_what_it_cannot_read() -> None:
    assert suricata.parse_rules("not a rule\npass tcp any any -> any\n") == []


# --- the CrossGuard adapters --------------------------------------------------------------------------------------


class UnknownValueError(Exception):
    """Stands in for pulumi_policy.proxy.UnknownValueError, which the adapter recognises by name."""


class UnknownProxy(Mapping[str, Any]):
    """Behaves like pulumi_policy's props proxy: reading an unknown key raises."""

    def __init__(self, values: dict[str, Any], unknown: set[str]) -> None:
        self.values = values
        self.unknown = unknown

    def __getitem__(self, key: str) -> Any:
        if key in self.unknown:
            raise UnknownValueError(key)
        return self.values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def test_to_plain_replaces_unknowns() -> None:
    props = UnknownProxy({"a": 1, "b": None, "c": ["04da6b54-80e4-46f7-96ec-b56ff0331ba9", "x"]}, {"b"})
    assert policies.to_plain(props) == {"a": 1, "b": checks.UNKNOWN, "c": [checks.UNKNOWN, "x"]}


def resource_args(resource_type: str, props: Any, urn: str = "", parent: str | None = None, config: Any = None) -> Any:
    return types.SimpleNamespace(
        resource_type=resource_type,
        props=props,
        urn=urn,
        name="r",
        opts=types.SimpleNamespace(parent=parent),
        get_config=lambda: config or {},
    )


def reported(validate: Any, args: Any) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    validate(args, lambda *call: calls.append(call))
    return calls


def test_adapters_report_through_crossguard_callbacks() -> None:
    everywhere = gcp_rule(enableLogging=False, match={"destIpRanges": ["0.0.0.0/0"], "destFqdns": ["evil.example.net"]})
    args = resource_args(GCP_RULE, everywhere, urn=OURS_URN)
    assert len(reported(policies.validate_no_allow_all, args)) == 1
    assert len(reported(policies.validate_hosts_from_catalog, args)) == 1
    assert (
        reported(
            policies.validate_hosts_from_catalog,
            resource_args(GCP_RULE, everywhere, config={"allowedHosts": ["evil.example.net"]}),
        )
        == []
    )
    assert len(reported(policies.validate_logging_on, args)) == 1
    storage = resource_args(GCP_RULE, gcp_rule(match={"destFqdns": ["storage.googleapis.com"]}))
    assert len(reported(policies.validate_wider_than_vendor, storage)) == 1
    # An unknown destination is judged at `pulumi up`, not guessed at preview.
    unknown = UnknownProxy(
        {"direction": "EGRESS", "allows": [{"protocol": "all"}], "destinationRanges": None}, {"destinationRanges"}
    )
    assert reported(policies.validate_no_allow_all, resource_args(checks.GCP_FIREWALL, unknown)) == []


def test_stack_adapter_reads_policy_resources() -> None:
    firewall = types.SimpleNamespace(
        resource_type=checks.AWS_FIREWALL,
        urn=FIREWALL_URN,
        props={},
        parent=None,
        dependencies=[],
        property_dependencies={},
    )
    logging = types.SimpleNamespace(
        resource_type=checks.AWS_LOGGING,
        urn=LOGGING_URN,
        props={"firewallArn": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"},
        parent=None,
        dependencies=[],
        property_dependencies={"firewallArn": [firewall]},
    )
    assert reported(policies.validate_firewall_logging, types.SimpleNamespace(resources=[firewall])) == [
        (checks.firewalls_without_logging([policies.stack_resource(firewall)])[0][0], FIREWALL_URN)
    ]
    assert reported(policies.validate_firewall_logging, types.SimpleNamespace(resources=[firewall, logging])) == []


# --- the pack's entry point, with a stand-in pulumi_policy -------------------------------------------------------


@pytest.fixture
def stub_pulumi_policy(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A pulumi_policy whose PolicyPack records its arguments instead of starting a server and blocking."""
    packs: list[dict[str, Any]] = []
    module = types.ModuleType("pulumi_policy")

    class EnforcementLevel:
        ADVISORY = "advisory"
        MANDATORY = "mandatory"

    class Policy:
        def __init__(self, **kwargs: Any) -> None:
            assert callable(kwargs["validate"]) and kwargs["description"]
            self.__dict__.update(kwargs)

    class ResourceValidationPolicy(Policy):
        pass

    class StackValidationPolicy(Policy):
        pass

    class PolicyConfigSchema:
        def __init__(self, properties: dict[str, Any], required: list[str] | None = None) -> None:
            self.properties = properties

    module.EnforcementLevel = EnforcementLevel  # type: ignore[attr-defined]
    module.ResourceValidationPolicy = ResourceValidationPolicy  # type: ignore[attr-defined]
    module.StackValidationPolicy = StackValidationPolicy  # type: ignore[attr-defined]
    module.PolicyConfigSchema = PolicyConfigSchema  # type: ignore[attr-defined]
    module.PolicyPack = lambda **kwargs: packs.append(kwargs)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pulumi_policy", module)
    return packs


@pytest.mark.real_program
def test_entry_point_builds_one_pack_with_every_policy(stub_pulumi_policy: list[dict[str, Any]]) -> None:
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="__main__")
    [pack] = stub_pulumi_policy
    assert pack["name"] == "sep-egress"
    by_name = {policy.name: policy for policy in pack["policies"]}
    assert tuple(by_name) == policies.POLICY_NAMES
    levels = {name: policy.enforcement_level for name, policy in by_name.items()}
    assert levels[policies.WIDER_THAN_VENDOR] == "advisory"
    assert {levels[name] for name in policies.POLICY_NAMES if name != policies.WIDER_THAN_VENDOR} == {"mandatory"}
    assert type(by_name[policies.FIREWALL_LOGGING]).__name__ == "StackValidationPolicy"
    assert set(by_name[policies.HOSTS_FROM_CATALOG].config_schema.properties) == set(checks.CONFIG_KEYS)


def test_only_the_entry_point_constructs_the_pack() -> None:
    for path in (POLICY_DIR / "sep_egress_policy").glob("*.py"):
        assert "PolicyPack(" not in path.read_text(encoding="utf-8"), path


def test_pack_project_files() -> None:
    import yaml

    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    requirements = [
        line.split("#")[0].strip()
        for line in (POLICY_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.split("#")[0].strip()
    ]
    assert requirements == ["pulumi-policy==1.21.0"]


# --- real registrations under the mock engine -----------------------------------------------------------------------


def registrations_of(program: Any) -> list[Any]:
    from sep_egress.mock_engine import run_program

    return run_program(program).resources


@pytest.mark.pulumi
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pulumi_aws/pulumi_gcp import-time notices
def test_sep_egress_components_pass_the_pack() -> None:
    from sep_egress.arguments import SelectionArgs
    from sep_egress.aws import FirewallSettings, LoggingSettings, NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs
    from sep_egress.gcp import EgressFirewallPolicy

    def program() -> None:
        sources = {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"], "agent-cloud": ["10.10.0.0/16"]}
        NetworkFirewallAllowlist(
            "sep",
            NetworkFirewallAllowlistArgs(
                selection=SelectionArgs(mode="hybrid", version="14.3 RU1"),
                source_cidrs=sources,
                firewall=FirewallSettings(vpc_id="vpc-1", subnet_ids=["subnet-1"]),
                logging=LoggingSettings(alert_destination="sep-egress-alerts"),
            ),
        )
        NetworkFirewallAllowlist(
            "domains",
            NetworkFirewallAllowlistArgs(
                selection=SelectionArgs(mode="hybrid", version="14.3 RU1"),
                style="domain-list",
                name_prefix="domains",
                source_cidrs=sources,
            ),
        )
        accounts = {"service_accounts": ["sep@p.iam.gserviceaccount.com"]}
        EgressFirewallPolicy(
            "gcp",
            {
                "selection": {"mode": "hybrid", "version": "14.3 RU1"},
                "targets": dict.fromkeys(("agent", "agent-cloud", "sepm", "sepm-cloud"), accounts),
                "options": {"project": "p", "networks": ["projects/p/global/networks/vpc"]},
            },
        )

    resources = registrations_of(program)
    checked = {resource.type for resource in resources} & set(checks.EGRESS_TYPES)
    assert {AWS_RG, GCP_WITH_RULES, checks.AWS_LOGGING, checks.AWS_FIREWALL_POLICY} <= checked
    wider = []
    for resource in resources:
        assert checks.allow_all_egress(resource.type, resource.inputs) == [], resource.name
        assert checks.hosts_outside_catalog(resource.type, resource.inputs, {}) == [], resource.name
        assert checks.logging_off(resource.type, resource.inputs, urn=resource.urn, parent=resource.parent) == []
        wider += checks.wider_than_vendor(resource.type, resource.inputs)
    stack = [checks.StackResource(r.type, r.urn, r.inputs, r.parent, r.depends_on) for r in resources]
    assert checks.firewalls_without_logging(stack) == []
    # The hybrid selection holds storage.googleapis.com (storage phase "both"): the pack warns where it is allowed.
    assert wider and all("storage.googleapis.com is shared" in message for message in wider)
    # The pack's own view of what each group allows: every SNI host of the suricata group is a catalog host.
    [allow_group] = [r for r in resources if r.name == "sep-allow-1"]
    names = {host.name for allow in checks.egress_allows(AWS_RG, allow_group.inputs) for host in allow.hosts}
    assert names and names <= set(checks.load_catalog_hosts().hosts)


@pytest.mark.pulumi
def test_a_sep_egress_firewall_without_logging_fails_the_stack_check() -> None:
    from sep_egress.arguments import SelectionArgs
    from sep_egress.aws import FirewallSettings, NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs

    def program() -> None:
        NetworkFirewallAllowlist(
            "sep",
            NetworkFirewallAllowlistArgs(
                selection=SelectionArgs(mode="on-prem", version="14.3 RU1"),
                source_cidrs={"agent": ["10.10.0.0/16"]},
                firewall=FirewallSettings(vpc_id="vpc-1", subnet_ids=["subnet-1"]),
            ),
        )

    resources = registrations_of(program)
    stack = [checks.StackResource(r.type, r.urn, r.inputs, r.parent, r.depends_on) for r in resources]
    [(_, urn)] = checks.firewalls_without_logging(stack)
    assert urn.endswith("::sep-firewall")


@pytest.mark.pulumi
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pulumi_aws/pulumi_gcp import-time notices
def test_plain_provider_resources_are_read_by_their_engine_names() -> None:
    import pulumi_aws as aws
    import pulumi_gcp as gcp

    def program() -> None:
        aws.ec2.SecurityGroup(
            "sg", egress=[{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}]
        )
        aws.vpc.SecurityGroupEgressRule("v6", security_group_id="sg-1", cidr_ipv6="::/0", ip_protocol="-1")
        aws.ec2.SecurityGroupRule(
            "rule",
            type="egress",
            security_group_id="sg-1",
            cidr_blocks=["0.0.0.0/0"],
            from_port=0,
            to_port=65535,
            protocol="tcp",
        )
        gcp.compute.Firewall("fw", network="n", direction="EGRESS", allows=[{"protocol": "all"}])
        gcp.compute.NetworkFirewallPolicyRule(
            "fqdn",
            firewall_policy="p",
            priority=1,
            action="allow",
            direction="EGRESS",
            match={"dest_fqdns": ["evil.example.net"], "layer4_configs": [{"ip_protocol": "tcp", "ports": ["443"]}]},
        )
        aws.networkfirewall.RuleGroup(
            "list",
            capacity=10,
            type="STATEFUL",
            rule_group={
                "rules_source": {
                    "rules_source_list": {
                        "generated_rules_type": "ALLOWLIST",
                        "target_types": ["TLS_SNI"],
                        "targets": [".example.net"],
                    }
                }
            },
        )
        aws.networkfirewall.FirewallPolicy(
            "policy",
            firewall_policy={
                "stateless_default_actions": ["aws:pass"],
                "stateless_fragment_default_actions": ["aws:drop"],
            },
        )

    found: dict[str, list[str]] = {}
    for resource in registrations_of(program):
        found[resource.name] = checks.allow_all_egress(resource.type, resource.inputs) + checks.hosts_outside_catalog(
            resource.type, resource.inputs, {}
        )
    assert {name: len(messages) for name, messages in found.items()} == {
        "sg": 1,
        "v6": 1,
        "rule": 1,
        "fw": 1,
        "fqdn": 1,
        "list": 1,
        "policy": 1,
    }, json.dumps(found, indent=1)


def test_policy_dir_is_importable_without_pulumi_policy() -> None:
    assert "pulumi_policy" not in sys.modules or isinstance(sys.modules["pulumi_policy"], types.ModuleType)
    for name in ("checks", "policies", "suricata"):
        source = (POLICY_DIR / "sep_egress_policy" / f"{name}.py").read_text(encoding="utf-8")
        top_level_imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
        assert not any("pulumi" in line for line in top_level_imports), name
    assert Path(checks.__file__).parent == POLICY_DIR / "sep_egress_policy"


@pytest.mark.real_program
def test_pack_against_the_real_sdk_when_its_environment_exists() -> None:
    """policy/selftest.py in the pack's own virtualenv (created by `make policy-test`; never installed here)."""
    import subprocess

    python = POLICY_DIR / ".venv" / "bin" / "python"
    if not python.exists():
        pytest.skip("policy/.venv is absent: create it with the pack's requirements to run the SDK self-test")
    result = subprocess.run(
        [str(python), str(POLICY_DIR / "selftest.py")], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.real_program
def test_the_config_example_of_docs_reuse_is_what_the_generator_writes() -> None:
    import re

    document = (ROOT / "docs" / "reuse.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```json\n(.*?)```", document, re.DOTALL)
    export = runpy.run_path(str(POLICY_DIR / "export_catalog.py"))
    overlays = sorted(str(path) for path in (ROOT / "examples" / "overlays").glob("*.yaml"))
    assert json.loads(example) == export["policy_config"](overlays)
