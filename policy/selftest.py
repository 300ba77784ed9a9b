"""The pack against the real pulumi_policy, in the pack's own environment (``make policy-test``)::

    policy/.venv/bin/python policy/selftest.py

The project's tests call the checks directly; this script goes through the SDK's analyzer service the way the
engine does (protobuf requests in, diagnostics out), without starting its gRPC server: real props proxies, the
engine's unknown-value markers, per-policy configuration, stack resources with dependencies. It uses the SDK's
private ``_PolicyAnalyzerServicer`` because that is the only way in short of the Pulumi CLI; if an SDK upgrade
renames it, this script fails loudly rather than passing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sep_egress_policy import policies

UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"
OURS = "urn:pulumi:dev::p::pulumi:pulumi:Stack$sep-egress:aws:NetworkFirewallAllowlist"


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(value, message)
    return message


def analyzer(config: dict[str, Any] | None = None) -> _PolicyAnalyzerServicer:
    built = policies.build_policies()
    servicer = _PolicyAnalyzerServicer("sep-egress", "0.1.0", built, EnforcementLevel.MANDATORY)
    if config:
        request = proto.ConfigureAnalyzerRequest()
        for name, values in config.items():
            request.policyConfig[name].CopyFrom(proto.PolicyConfig(properties=struct(values)))
        servicer.Configure(request, None)
    return servicer


def analyze(servicer: _PolicyAnalyzerServicer, type_: str, props: dict[str, Any], urn: str = "") -> list[Any]:
    request = proto.AnalyzeRequest(type=type_, properties=struct(props), urn=urn or f"urn:pulumi:dev::p::{type_}::r")
    request.name = "r"
    return list(servicer.Analyze(request, None).diagnostics)


def names(diagnostics: list[Any]) -> list[str]:
    return sorted(diagnostic.policyName for diagnostic in diagnostics)


def main() -> int:
    failures: list[str] = []

    def expect(label: str, got: Any, wanted: Any) -> None:
        if got != wanted:
            failures.append(f"{label}: got {got!r}, wanted {wanted!r}")

    built = policies.build_policies()
    expect("policy names", tuple(policy.name for policy in built), policies.POLICY_NAMES)
    expect(
        "policy kinds",
        [type(policy) for policy in built],
        [*[ResourceValidationPolicy] * 3, StackValidationPolicy, ResourceValidationPolicy],
    )

    servicer = analyzer()
    sg = "aws:ec2/securityGroup:SecurityGroup"
    open_egress = {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]}
    expect("security group open", names(analyze(servicer, sg, open_egress)), [policies.NO_ALLOW_ALL])
    unknown_egress = {"egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": UNKNOWN_ARRAY}]}
    expect("security group unknown", names(analyze(servicer, sg, unknown_egress)), [])

    rule_group = "aws:networkfirewall/ruleGroup:RuleGroup"
    listed = {
        "ruleGroup": {
            "rulesSource": {
                "rulesSourceList": {
                    "generatedRulesType": "ALLOWLIST",
                    "targetTypes": ["TLS_SNI"],
                    "targets": ["storage.googleapis.com", "evil.example.net"],
                }
            }
        },
        "description": UNKNOWN_STRING,
    }
    expect(
        "domain list",
        names(analyze(servicer, rule_group, listed)),
        [policies.HOSTS_FROM_CATALOG, policies.WIDER_THAN_VENDOR],
    )
    split_egress = {
        "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]}]
    }
    expect("security group, split ranges", names(analyze(servicer, sg, split_egress)), [policies.NO_ALLOW_ALL])
    for spelling in ("0::/0", "0.0.0.0/00", "0.0.0.0/0.0.0.0", "ANY", "[0.0.0.0/1,128.0.0.0/1]", "::ffff:0:0/96"):
        spelled = {"ruleGroup": {"rulesSource": {"rulesString": f"pass tcp any any -> {spelling} 443 (sid:1;)"}}}
        expect(f"rule group to {spelling}", names(analyze(servicer, rule_group, spelled)), [policies.NO_ALLOW_ALL])
    chained = {
        "ruleGroup": {
            "rulesSource": {
                "rulesString": "alert ip any any -> any any (flowbits:set,x; noalert; sid:1;)\n"
                "pass ip any any -> any any (flowbits:isset,x; sid:2;)"
            }
        }
    }
    expect("flowbit set by alert ip", names(analyze(servicer, rule_group, chained)), [policies.NO_ALLOW_ALL])
    configured = analyzer({policies.HOSTS_FROM_CATALOG: {"allowedHosts": ["evil.example.net"]}})
    expect("domain list, declared", names(analyze(configured, rule_group, listed)), [policies.WIDER_THAN_VENDOR])

    gcp_rule = "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule"
    quiet = {"action": "allow", "direction": "EGRESS", "match": {"destFqdns": ["liveupdate.symantec.com"]}}
    expect(
        "sep-egress rule without logging",
        names(analyze(servicer, gcp_rule, quiet, urn=f"{OURS}${gcp_rule}::r")),
        [policies.LOGGING_ON],
    )

    firewall_urn = f"{OURS}$aws:networkfirewall/firewall:Firewall::fw"
    logging_urn = f"{OURS}$aws:networkfirewall/loggingConfiguration:LoggingConfiguration::log"
    firewall = proto.AnalyzerResource(
        type="aws:networkfirewall/firewall:Firewall",
        urn=firewall_urn,
        name="fw",
        properties=struct({"arn": UNKNOWN_STRING}),
    )
    logging = proto.AnalyzerResource(
        type="aws:networkfirewall/loggingConfiguration:LoggingConfiguration",
        urn=logging_urn,
        name="log",
        properties=struct({"firewallArn": UNKNOWN_STRING}),
        dependencies=[firewall_urn],
    )
    alone = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=[firewall]), None).diagnostics
    expect("firewall alone", [(d.policyName, d.urn) for d in alone], [(policies.FIREWALL_LOGGING, firewall_urn)])
    paired = servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=[firewall, logging]), None).diagnostics
    expect("firewall with logging", list(paired), [])

    for failure in failures:
        sys.stderr.write(f"FAIL {failure}\n")
    sys.stdout.write("policy pack self-test: " + ("failed\n" if failures else "ok\n"))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
