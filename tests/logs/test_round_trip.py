"""Round trip, for every stack: flows the plan allows (from each role's sources) and flows from outside it
(refused) are written in each vendor's log format, ``logs explain`` reads them back, and every flow comes back in
its class with its catalog entry or selection change; the overlay proposed for the unknown names, applied, leaves
nothing unknown.

The rule identities in the lines are the compilers' own (AWS sids and messages, GCP priorities), read from the
specs ``prepare_deployment`` compiles for the stack.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sep_egress.catalog import load_catalog
from sep_egress.catalog.internal import load_internal_catalog
from sep_egress.catalog.vendor.plan import AllowRule
from sep_egress.compile.aws import AwsEgressSpec
from sep_egress.compile.gcp.firewall import FirewallPolicySpec
from sep_egress.logs.classify import Classifier, selection_of
from sep_egress.program import prepare_deployment
from sep_egress.settings import read_stack_file

from log_samples import explain
from support import ROOT

STACKS = ("dev", "prod", "gcp-cloud")
START = 1796083200


_ADDRESSES: dict[str, str] = {}


def address(name: str) -> str:
    """A public address of its own for each name (198.18.0.0/15, the benchmarking range), as DNS would answer."""
    if name not in _ADDRESSES:
        _ADDRESSES[name] = str(ipaddress.ip_address("198.18.0.1") + len(_ADDRESSES))
    return _ADDRESSES[name]


@dataclass(frozen=True)
class Flow:
    role_source: str  # a source address of the role
    name: str | None
    dest_ip: str
    port: int
    app: str  # tls, http or "" (plain TCP)


@dataclass
class Stack:
    name: str
    plan: Any
    aws: AwsEgressSpec | None
    gcp: FirewallPolicySpec | None
    classifier: Classifier


def load(stack: str) -> Stack:
    config = read_stack_file(ROOT, stack)
    deployment = prepare_deployment(config)
    aws = next((spec for spec in deployment.specs if isinstance(spec, AwsEgressSpec)), None)
    gcp = next((spec for spec in deployment.specs if isinstance(spec, FirewallPolicySpec)), None)
    overlays = []
    from sep_egress.catalog import load_overlay

    for name in config.settings.overlays:
        overlays += load_overlay(ROOT / name).entries
    plan = deployment.plan
    return Stack(
        stack, plan, aws, gcp, Classifier(selection_of(plan, load_catalog().entries, overlays, load_internal_catalog()))
    )


def name_of(rule: AllowRule) -> str:
    return f"www.{rule.host}" if rule.match == "suffix" else rule.host


# --- each vendor's lines --------------------------------------------------------------------------------------------


def aws_rules(spec: AwsEgressSpec) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Pass rules by message label (``host:port/proto``) and guard rules by (role, what), from the rule text."""
    passes: dict[str, int] = {}
    guards: dict[tuple[str, str], int] = {}
    for group in spec.groups:
        for line in group.rules_string.splitlines():
            sid = re.search(r"sid:([0-9]+);", line)
            msg = re.search(r'msg:"([^"]*)"', line)
            if sid is None or msg is None:
                continue
            allow = re.fullmatch(r"sep-egress allow (\S+) for .*", msg.group(1))
            if line.startswith("pass ") and allow:
                passes[allow.group(1)] = int(sid.group(1))
            guard = re.fullmatch(r"sep-egress (\S+): (TLS|HTTP|TCP) to .*", msg.group(1))
            if (guard and not line.startswith(("pass ", "alert "))) or (
                guard and "noalert" not in line and line.startswith("alert ")
            ):
                guards[(guard.group(1), guard.group(2))] = int(sid.group(1))
    return passes, guards


def aws_line(flow: Flow, when: int, sid: int, blocked: bool) -> str:
    event: dict[str, Any] = {
        "timestamp": f"2026-12-01T00:00:{when % 60:02d}.000000+0000",
        "flow_id": when,
        "event_type": "alert",
        "src_ip": flow.role_source,
        "src_port": 40000 + when % 20000,
        "dest_ip": flow.dest_ip,
        "dest_port": flow.port,
        "proto": "TCP",
        "alert": {
            "action": "blocked" if blocked else "allowed",
            "signature_id": sid,
            "rev": 1,
            "signature": "",
            "category": "",
            "severity": 3,
        },
    }
    if flow.app == "tls" and flow.name:
        event["app_proto"] = "tls"
        event["tls"] = {"sni": flow.name}
    elif flow.app == "http" and flow.name:
        event["app_proto"] = "http"
        event["http"] = {"hostname": flow.name}
    return json.dumps(
        {"firewall_name": "fw", "availability_zone": "az-a", "event_timestamp": str(when), "event": event}
    )


def gcp_lines(flow: Flow, when: int, priority: int, denied: bool) -> list[str]:
    moment = f"2026-12-01T00:{when // 60 % 60:02d}:{when % 60:02d}Z"
    lines = []
    if flow.name:
        lines.append(
            json.dumps(
                {
                    "jsonPayload": {
                        "queryName": flow.name + ".",
                        "queryType": "A",
                        "rdata": f"{flow.name}.\t300\tIN\ta\t{flow.dest_ip}",
                        "sourceIP": flow.role_source,
                    },
                    "logName": "projects/p/logs/dns.googleapis.com%2Fdns_queries",
                    "timestamp": moment,
                }
            )
        )
    lines.append(
        json.dumps(
            {
                "jsonPayload": {
                    "connection": {
                        "src_ip": flow.role_source,
                        "src_port": 40000,
                        "dest_ip": flow.dest_ip,
                        "dest_port": flow.port,
                        "protocol": 6,
                    },
                    "disposition": "DENIED" if denied else "ALLOWED",
                    "rule_details": {
                        "reference": "network:vpc/firewallPolicy:p",
                        "priority": priority,
                        "action": "DENY" if denied else "ALLOW",
                        "direction": "EGRESS",
                    },
                    "instance": {"vm_name": "vm"},
                    "vpc": {"vpc_name": "vpc"},
                },
                "logName": "projects/p/logs/compute.googleapis.com%2Ffirewall",
                "timestamp": moment,
            }
        )
    )
    return lines


def squid_line(flow: Flow, when: int, refused: bool) -> str:
    code = "TCP_DENIED/403" if refused else ("TCP_TUNNEL/200" if flow.app == "tls" else "TCP_MISS/200")
    target = (
        f"CONNECT {flow.name or flow.dest_ip}:{flow.port}"
        if flow.app != "http"
        else f"GET http://{flow.name}:{flow.port}/"
    )
    hierarchy = "HIER_NONE/-" if refused else f"HIER_DIRECT/{flow.dest_ip}"
    return f"{when}.000 10 {flow.role_source} {code} 100 {target} - {hierarchy} -"


# --- the flows ------------------------------------------------------------------------------------------------------


def first_address(cidr: str) -> str:
    network = ipaddress.ip_network(cidr)
    return str(network.network_address + (1 if network.num_addresses > 1 else 0))


def outside_flows(stack: Stack, role: str, source: str) -> Iterator[tuple[Flow, str, str | None]]:
    """Refused flows and their expected class and entry: unknown names, a left-out catalog entry, a bucket on the
    shared host, an undeclared internal path."""
    classifier = stack.classifier
    yield Flow(source, f"telemetry-{role}.example.net", address("unknown-" + role), 443, "tls"), "unknown", None
    for entry in sorted(classifier.selection.entries, key=lambda entry: entry.id):
        if entry.urls and classifier.entry_changes(entry) and entry.url_protocol(entry.urls[0]) == "tls":
            url = entry.urls[0]
            name = url.host
            # The expected entry: one that names this host on this port and that the selection left out.
            yield Flow(source, name, address(name), entry.url_ports(url)[0], "tls"), "left-out", name
            break
    yield (
        Flow(source, "tenant-bucket.storage.googleapis.com", address("tenant-bucket"), 443, "tls"),
        "wider-or-non-sep",
        None,
    )
    if role == "agent":
        yield Flow(source, None, "10.99.0.1", 8014, ""), "internal-undeclared", "sepm-agent-http"


def check(
    stack: Stack, document: dict[str, Any], expected: list[tuple[Flow, str, str | None]], allowed: list[AllowRule]
) -> None:
    found = {(item["destination"], item["port"]): item for item in document["refused"]}
    for flow, klass, entry in expected:
        item = found[(flow.name or flow.dest_ip, flow.port)]
        assert item["class"] == klass, (stack.name, flow, item)
        if klass == "left-out":
            named = {
                candidate.id
                for candidate in stack.classifier.selection.entries
                if any(url.host == entry for url in candidate.urls)
            }
            assert item["entry"] in named and item["change"], item
        elif entry is not None:
            assert item["entry"] == entry, item
        if klass == "internal-undeclared":
            assert "10.99.0.1" in item["change"]
    used = {rule["rule"] for rule in document["allowed"]["used"]}
    for rule in allowed:
        label = f"{'.' if rule.match == 'suffix' else ''}{rule.host}:{rule.port}/{rule.protocol}"
        assert label in used, (stack.name, label)
    assert not document["allowed"]["outside_plan"]


@pytest.mark.real_program
@pytest.mark.parametrize("stack_name", STACKS)
def test_round_trip(stack_name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = load(stack_name)
    files: dict[str, list[str]] = {"aws": [], "gcp": [], "squid": []}
    expected: dict[str, list[tuple[Flow, str, str | None]]] = {"aws": [], "gcp": [], "squid": []}
    allowed: dict[str, list[AllowRule]] = {"aws": [], "gcp": [], "squid": []}
    when = START
    if stack.aws is not None:
        passes, guards = aws_rules(stack.aws)
        for role, cidrs in stack.aws.source_cidrs.items():
            source = first_address(cidrs[0])
            for rule in stack.plan.rules_for(role):
                label = f"{'.' if rule.match == 'suffix' else ''}{rule.host}:{rule.port}/{rule.protocol}"
                flow = Flow(source, name_of(rule), address(rule.host), rule.port, rule.protocol)
                when += 1
                files["aws"].append(aws_line(flow, when, passes.get(label, 1), blocked=False))
                files["squid"].append(squid_line(flow, when, refused=False))
                allowed["aws"].append(rule)
                allowed["squid"].append(rule)
            for flow, klass, entry in outside_flows(stack, role, source):
                when += 1
                what = "TLS" if flow.app == "tls" else "TCP"
                files["aws"].append(aws_line(flow, when, guards[(role, what)], blocked=True))
                expected["aws"].append((flow, klass, entry))
                if flow.name:
                    files["squid"].append(squid_line(flow, when, refused=True))
                    expected["squid"].append((flow, klass, entry))
    if stack.gcp is not None:
        for group in stack.gcp.groups:
            source = f"10.{100 + group.mask}.0.5"
            deny = next(
                rule
                for rule in stack.gcp.rules
                if rule.kind == "deny" and rule.target == group.target and rule.rule_name.endswith("-v4")
            )
            for role in group.roles:
                for rule in stack.plan.rules_for(role):
                    allow = next(
                        (
                            candidate
                            for candidate in stack.gcp.rules
                            if candidate.target == group.target
                            and candidate.action == "allow"
                            and rule.port in {int(port) for layer in candidate.layer4 for port in layer.ports}
                            and (
                                rule.host in candidate.dest_fqdns
                                or (candidate.kind == "pga" and rule.host == "storage.googleapis.com")
                            )
                        ),
                        None,
                    )
                    if allow is None or rule.match == "suffix":
                        continue  # a name the policy does not hold (suffixes, names left to another control)
                    when += 1
                    flow = Flow(source, rule.host, address(rule.host), rule.port, "tls")
                    files["gcp"] += gcp_lines(flow, when, allow.priority, denied=False)
                    allowed["gcp"].append(rule)
            for flow, klass, entry in outside_flows(stack, group.roles[0], source):
                when += 1
                files["gcp"] += gcp_lines(flow, when, deny.priority, denied=True)
                expected["gcp"].append((flow, klass, entry))
    paths = []
    for vendor, lines in files.items():
        if not lines:
            continue
        path = tmp_path / f"{vendor}.log"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
        document, err = explain(capsys, str(path), "--stack", stack_name, "--project-dir", str(ROOT))
        assert document["summary"]["skipped"] == 0, err
        check(stack, document, expected[vendor], allowed[vendor])
        assert len(document["refused"]) == len(
            {(flow.role_source, flow.name or flow.dest_ip, flow.port) for flow, _, _ in expected[vendor]}
        )
    assert paths
    # The overlay proposed for the unknown names, applied to a copy of the stack, leaves nothing unknown.
    project = tmp_path / "project"
    (project / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", project / "Pulumi.yaml")
    proposed = tmp_path / "proposed.yaml"
    explain(
        capsys, *map(str, paths), "--stack", stack_name, "--project-dir", str(ROOT), "--propose-overlay", str(proposed)
    )
    document = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack_name}.yaml").read_text())
    config = document["config"]
    config["sep-egress:overlays"] = [str(ROOT / name) for name in config.get("sep-egress:overlays", [])] + [
        str(proposed)
    ]
    (project / "stacks" / f"Pulumi.{stack_name}.yaml").write_text(yaml.safe_dump(document))
    after, _ = explain(capsys, *map(str, paths), "--stack", stack_name, "--project-dir", str(project))
    assert not [item for item in after["refused"] if item["class"] == "unknown"]
    assert {item["class"] for item in after["refused"]} >= {"allowed-now", "wider-or-non-sep"}
