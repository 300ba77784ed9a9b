"""Network Firewall's STRICT_ORDER, emulated around real Suricata 7 (the engine Network Firewall runs).

How a verdict is reached (docs/aws.md, "The replay suite" says the same for operators):

1. Every rule of the policy, in policy order (rule groups by priority, rules in the order written), is given to
   Suricata as an ``alert`` rule with the same sid, its ``flowbits``, ``noalert`` and ``alert;`` keywords taken out
   (``policy_rules``/``suricata_rules``). Suricata then answers, per packet of a capture replayed with
   ``suricata -r`` in simulated IPS mode (inline stream reassembly, as a firewall sees it), which rules match the
   packet: header, ``flow``, protocol detection, sticky buffers, ``ssl_state``, ``ja4.hash``, payload keywords.
   Suricata's own action order (pass, drop, reject, alert) and its flowbit-driven re-ordering play no part.
2. ``emulate`` walks each packet's matches in policy order and applies, as Network Firewall's strict order does
   (developer guide, "Managing evaluation order ... strict order": "rule groups are evaluated by order of priority
   ... the rules in each rule group are processed in the order in which they're defined"), the first rule whose
   flowbit conditions hold in the flow's state *as strict order left it*: ``alert`` logs (unless ``noalert``) and
   goes on, ``pass`` ends the packet, ``drop`` and ``reject`` end the flow (``reject`` only for TCP: "REJECT is
   available only for TCP traffic", StatefulRule.Action). Flowbits are set and unset only by rules that strict
   order reached on that packet, so a rule after the deciding one never changes the state.
3. Scope of an action: Suricata's engine analysis (``--engine-analysis``, rules.json ``type``) says whether a rule
   is a packet rule (``pkt``, ``stream``, ``pkt_stream``...) or an application-layer one (``app_layer``,
   ``app_tx``). An application-layer ``pass`` passes the rest of the flow uninspected; a packet rule's pass, that
   packet only ("If a packet within a flow matches a rule containing pass action, then Suricata doesn't scan the
   other packets in that flow", for application rules; AWS best practices, "Which rules need a flow keyword").
4. A packet no rule decided gets the policy's stateful default actions, modelled from their documented meaning:
   ``aws:drop_strict`` drops it; ``aws:drop_established`` when the flow is established (the three-way handshake's
   packets are not: it "allows the layer 3 and 4 connection establishment packets"); ``aws:drop_established_app_layer``
   when established and the application layer has said what it needed to (the ClientHello or request headers are
   complete; the first data segment for any other protocol); ``..._to_server`` the same for client-to-server packets
   only; the ``aws:alert_*`` twins log. The first packet of a UDP flow is not established (AWS: UDP is "established"
   once both sides have been seen).

Suricata's own exception policies are set to ``ignore`` (in IPS mode, ``auto`` would drop a flow whose
application-layer parser fails, a decision no rule made); Network Firewall documents only its stream exception
policy, which the emulation leaves out.

What it leaves out: Network Firewall's stateless engine and fragment handling, its flow table timeouts and the
stream exception policy (midstream pickup), TLS inspection, the hook-based firewall engine (rules written with
``hook``/``accept`` keywords), and the packets a real firewall would emit (the reset a ``reject`` sends, the
client's retransmissions after a drop): the emulation stops a flow at its first refused packet. A transaction rule
(``app_tx``) carrying flowbit conditions would be judged once, where Suricata found its transaction, so it is
refused rather than guessed (we emit none).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engines.packets import Capture, Step

SURICATA = "suricata"
APP_SCOPES = {"app_layer", "app_tx"}
_ACTION = re.compile(r"^(?P<action>pass|drop|reject|alert)\s+(?P<protocol>\S+)\s+(?P<rest>.*)$", re.S)
_SID = re.compile(r"(?:^|;)\s*sid\s*:\s*(\d+)\s*;")
_FLOWBITS = re.compile(r"\s*flowbits\s*:\s*(set|unset|isset|isnotset|toggle)\s*,\s*([A-Za-z0-9_.-]+)\s*;")
_NOALERT = re.compile(r"(?:(?<=;)|(?<=\())\s*noalert\s*;")
_ALERT_KEYWORD = re.compile(r"(?:(?<=;)|(?<=\())\s*alert\s*;")


class SuricataMissing(RuntimeError):
    """Suricata 7 is not on PATH."""


def suricata_version() -> str | None:
    path = shutil.which(SURICATA)
    if path is None:
        return None
    out = subprocess.run([path, "-V"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"version (\d+\.\d+\.\d+)", out)
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One rule of the policy, at its place in strict order."""

    position: int
    group: str
    sid: int
    action: str
    protocol: str
    text: str
    flowbits: tuple[tuple[str, str], ...]
    noalert: bool
    pass_alert: bool
    bidirectional: bool

    @property
    def conditions(self) -> tuple[tuple[str, str], ...]:
        return tuple(bit for bit in self.flowbits if bit[0] in ("isset", "isnotset"))


def parse_rule(position: int, group: str, line: str) -> PolicyRule:
    header = _ACTION.match(line.strip())
    sid = _SID.search(line)
    if header is None or sid is None:
        raise ValueError(f"{group}: not a rule with a sid: {line!r}")
    return PolicyRule(
        position=position,
        group=group,
        sid=int(sid.group(1)),
        action=header["action"],
        protocol=header["protocol"],
        text=line.strip(),
        flowbits=tuple((command, name) for command, name in _FLOWBITS.findall(line)),
        noalert=bool(_NOALERT.search(line)),
        pass_alert=header["action"] == "pass" and bool(_ALERT_KEYWORD.search(line)),
        bidirectional=" <> " in line.split("(", 1)[0],
    )


def domain_list_rules(key: str, source_list: Mapping[str, Any], first_sid: int) -> list[str]:
    """The pass rules Network Firewall generates for an ALLOWLIST domain list under strict order (developer guide,
    "Stateful domain list rule groups": one pass rule per target and type, ``dotprefix`` for a leading dot; no drop
    rule under strict order)."""
    if source_list["GeneratedRulesType"] != "ALLOWLIST":
        raise ValueError(f"{key}: only ALLOWLIST domain lists are emulated")
    lines: list[str] = []
    sid = first_sid
    for target_type in source_list["TargetTypes"]:
        protocol, buffer = ("tls", "tls.sni") if target_type == "TLS_SNI" else ("http", "http.host")
        nocase = " nocase;" if protocol == "tls" else ""
        for target in source_list["Targets"]:
            if target.startswith("."):
                match = f'{buffer}; dotprefix; content:"{target}";{nocase} endswith;'
            else:
                match = f'{buffer}; content:"{target}"; startswith;{nocase} endswith;'
            lines.append(
                f"pass {protocol} $HOME_NET any -> $EXTERNAL_NET any ({match} "
                f'msg:"matching {target_type} allowlisted FQDNs"; flow:to_server, established; sid:{sid}; rev:1;)'
            )
            sid += 1
    return lines


@dataclass
class Policy:
    """The stateful side of one firewall policy: rules in strict order, the variables, HOME_NET, default actions."""

    rules: list[PolicyRule]
    variables: dict[str, tuple[str, ...]]
    default_actions: tuple[str, ...]

    @classmethod
    def from_groups(
        cls,
        groups: Sequence[tuple[str, int, Mapping[str, Any]]],
        home_net: Sequence[str],
        default_actions: Sequence[str],
    ) -> Policy:
        """From ``(key, priority, RuleGroup)`` triples (the ``CreateRuleGroup`` bodies) and the policy's HOME_NET."""
        variables: dict[str, tuple[str, ...]] = {"HOME_NET": tuple(home_net)}
        rules: list[PolicyRule] = []
        generated_sid = 3_000_000_000
        for key, _, rule_group in sorted(groups, key=lambda item: item[1]):
            for name, ip_set in rule_group.get("RuleVariables", {}).get("IPSets", {}).items():
                values = tuple(ip_set["Definition"])
                if name == "HOME_NET":
                    continue  # the policy's HOME_NET wins over a group's (AWS: policy variables override)
                if variables.get(name, values) != values:
                    raise ValueError(f"{key}: variable {name} defined twice with different values")
                variables[name] = values
            source = rule_group["RulesSource"]
            if "RulesSourceList" in source:
                lines = domain_list_rules(key, source["RulesSourceList"], generated_sid)
                generated_sid += len(lines)
            else:
                lines = [line for line in source["RulesString"].splitlines() if line.strip()]
            rules.extend(parse_rule(len(rules), key, line) for line in lines)
        sids = [rule.sid for rule in rules]
        if len(set(sids)) != len(sids):
            raise ValueError("two rules of the policy share a sid")
        return cls(rules, variables, tuple(default_actions))

    @classmethod
    def from_spec(cls, spec: Any, default_actions: Sequence[str] | None = None) -> Policy:
        groups = [(group.key, group.priority, group.rule_group) for group in spec.groups]
        actions = spec.default_actions if default_actions is None else default_actions
        return cls.from_groups(groups, spec.home_net, actions)

    def by_sid(self, sid: int) -> PolicyRule:
        for rule in self.rules:
            if rule.sid == sid:
                return rule
        raise KeyError(sid)


def as_observer(rule: PolicyRule) -> str:
    """The rule as Suricata runs it for the emulation: ``alert``, without flowbits, noalert or alert;."""
    text = _ACTION.sub(lambda match: f"alert {match['protocol']} {match['rest']}", rule.text, count=1)
    text = _FLOWBITS.sub("", text)
    text = _NOALERT.sub("", text)
    return _ALERT_KEYWORD.sub("", text)


def suricata_yaml(variables: Mapping[str, Sequence[str]], log_dir: Path) -> str:
    """A complete, minimal suricata.yaml: the policy's variables, eve alerts with pcap_cnt, router mode, every
    application-layer setting at Suricata's default (JA4 included: it is enabled when a rule uses it)."""
    groups = {name: "[" + ",".join(values) + "]" for name, values in variables.items()}
    groups.setdefault("EXTERNAL_NET", "!$HOME_NET")
    lines = ["%YAML 1.1", "---", "vars:", "  address-groups:"]
    lines += [f'    {name}: "{value}"' for name, value in sorted(groups.items())]
    lines += [
        "  port-groups:",
        '    HTTP_PORTS: "80"',
        f"default-log-dir: {log_dir}",
        "outputs:",
        "  - eve-log:",
        "      enabled: yes",
        "      filetype: regular",
        "      filename: eve.json",
        "      types:",
        "        - alert:",
        "            metadata: no",
        "engine-analysis:",
        "  rules-fast-pattern: no",
        "  rules: yes",
        "stream:",
        "  checksum-validation: no",
        "  inline: auto",
        # Suricata's own exception policies (IPS mode's "auto" drops a flow whose application-layer parser
        # fails): off, so that only the policy's rules and default actions decide, as in the emulation's model.
        "exception-policy: ignore",
        "host-mode: router",
        "runmode: single",
        "logging:",
        "  default-log-level: notice",
        "  outputs:",
        "    - console:",
        "        enabled: yes",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class LoadResult:
    loaded: int
    failed: int
    signatures: int
    output: str


def _run(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    path = shutil.which(SURICATA)
    if path is None:
        raise SuricataMissing("suricata is not on PATH (.ci/install-suricata installs Suricata 7)")
    env = {**os.environ, "SC_LOG_LEVEL": "Info"}
    return subprocess.run([path, *arguments], cwd=cwd, capture_output=True, text=True, check=False, env=env)


def load(rules_text: str, variables: Mapping[str, Sequence[str]]) -> LoadResult:
    """``suricata -T`` on the rules as written (actions and all), with the variables: how many rules loaded,
    failed, and how many signatures the engine built (a ``<>`` rule becomes two)."""
    with tempfile.TemporaryDirectory(prefix="sep-egress-suricata-") as temp:
        work = Path(temp)
        (work / "policy.rules").write_text(rules_text + "\n")
        (work / "suricata.yaml").write_text(suricata_yaml(variables, work))
        done = _run(["-T", "-c", "suricata.yaml", "-S", "policy.rules", "-l", str(work), "-v"], work)
        output = done.stdout + done.stderr
        loaded = re.search(r"(\d+) rules successfully loaded, (\d+) rules failed", output)
        signatures = re.search(r"(\d+) signatures processed", output)
        if done.returncode != 0 and loaded is None:
            raise RuntimeError(f"suricata -T failed:\n{output}")
        return LoadResult(
            int(loaded.group(1)) if loaded else 0,
            int(loaded.group(2)) if loaded else -1,
            int(signatures.group(1)) if signatures else -1,
            output,
        )


@dataclass
class Flow:
    """One connection in a capture: its packets' steps, the transport, and the frames' places in the pcap."""

    name: str
    transport: str
    steps: list[Step]
    first_frame: int = 0
    app: str = "other"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the emulated firewall did with a flow: ``pass`` (every packet passed), ``drop`` or ``reject``; the rule
    (``group#sid``) or default action that decided it; the packet it happened on; the sids that logged alerts."""

    action: str
    decided_by: str
    sid: int | None
    step: str
    alerts: tuple[int, ...] = ()
    default_alert: bool = False

    @property
    def allowed(self) -> bool:
        return self.action == "pass"


@dataclass
class Replay:
    """The matches Suricata reported, per frame, and each rule's scope from its engine analysis."""

    matches: dict[int, set[int]] = field(default_factory=dict)
    scopes: dict[int, str] = field(default_factory=dict)


def replay(policy: Policy, flows: Sequence[tuple[Flow, Capture]]) -> tuple[Replay, list[Flow]]:
    """Write one pcap holding every flow (one after the other), run Suricata on it, read eve.json."""
    capture = Capture()
    placed: list[Flow] = []
    for flow, frames in flows:
        flow.first_frame = len(capture.frames)
        flow.steps = frames.steps
        capture.extend(frames)
        placed.append(flow)
    result = Replay()
    with tempfile.TemporaryDirectory(prefix="sep-egress-replay-") as temp:
        work = Path(temp)
        (work / "policy.rules").write_text("\n".join(as_observer(rule) for rule in policy.rules) + "\n")
        (work / "suricata.yaml").write_text(suricata_yaml(policy.variables, work))
        (work / "replay.pcap").write_bytes(capture.write())
        analysis = _run(["-c", "suricata.yaml", "-S", "policy.rules", "-l", str(work), "--engine-analysis"], work)
        if analysis.returncode != 0:
            raise RuntimeError(f"suricata --engine-analysis failed:\n{analysis.stdout}{analysis.stderr}")
        for line in (work / "rules.json").read_text().splitlines():
            entry = json.loads(line)
            result.scopes[int(entry["id"])] = str(entry["type"])
        (work / "eve.json").unlink(missing_ok=True)
        done = _run(
            [
                "-c",
                "suricata.yaml",
                "-S",
                "policy.rules",
                "-r",
                "replay.pcap",
                "-l",
                str(work),
                "-k",
                "none",
                "--simulate-ips",
            ],
            work,
        )
        if done.returncode != 0:
            raise RuntimeError(f"suricata -r failed:\n{done.stdout}{done.stderr}")
        for line in (work / "eve.json").read_text().splitlines():
            event = json.loads(line)
            if event.get("event_type") != "alert" or "pcap_cnt" not in event:
                continue
            result.matches.setdefault(int(event["pcap_cnt"]) - 1, set()).add(int(event["alert"]["signature_id"]))
    missing = [rule.sid for rule in policy.rules if rule.sid not in result.scopes]
    if missing:
        raise RuntimeError(f"Suricata did not load the rules with sids {missing}")
    for rule in policy.rules:
        if result.scopes[rule.sid] == "app_tx" and rule.conditions:
            raise ValueError(f"sid {rule.sid}: a transaction rule with flowbit conditions is not emulated")
    return result, placed


def emulate(policy: Policy, result: Replay, flow: Flow) -> Outcome:
    """Strict order over one flow's packets (see the module docstring)."""
    bits: set[str] = set()
    alerts: list[int] = []
    default_alert = False
    flow_passed = False
    first_pass: tuple[str, int] | None = None
    decided_seen = False
    for index, step in enumerate(flow.steps):
        if flow_passed:
            continue
        decided_seen = decided_seen or step.decided or (flow.app == "other" and step.payload and step.to_server)
        matched = result.matches.get(flow.first_frame + index, set())
        decision: PolicyRule | None = None
        for rule in policy.rules:
            if rule.sid not in matched:
                continue
            if not all((name in bits) == (command == "isset") for command, name in rule.conditions):
                continue
            for command, name in rule.flowbits:
                if command == "set":
                    bits.add(name)
                elif command == "unset":
                    bits.discard(name)
                elif command == "toggle":
                    bits.symmetric_difference_update({name})
            if rule.action == "alert":
                if not rule.noalert:
                    alerts.append(rule.sid)
                continue
            decision = rule
            break
        if decision is None:
            refused, label, alerted = _default(policy.default_actions, step, decided_seen)
            default_alert = default_alert or alerted
            if refused:
                return Outcome("drop", label, None, step.label, tuple(alerts), default_alert)
            continue
        label = f"{decision.group}#{decision.sid}"
        if decision.action == "pass":
            if decision.pass_alert:
                alerts.append(decision.sid)
            if first_pass is None:
                first_pass = (label, decision.sid)
            if result.scopes[decision.sid] in APP_SCOPES:
                flow_passed = True
                first_pass = (label, decision.sid)
            continue
        alerts.append(decision.sid)
        action = "reject" if decision.action == "reject" and flow.transport == "tcp" else "drop"
        return Outcome(action, label, decision.sid, step.label, tuple(alerts), default_alert)
    label, sid = first_pass if first_pass else ("no rule, no default drop", None)
    return Outcome("pass", label, sid, "", tuple(alerts), default_alert)


def _default(actions: Sequence[str], step: Step, decided: bool) -> tuple[bool, str, bool]:
    """(refused, label, alerted) for a packet no rule decided."""
    app = step.established and decided
    to_server_app = app and step.to_server
    for action, applies in (
        ("aws:drop_strict", True),
        ("aws:drop_established", step.established),
        ("aws:drop_established_app_layer", app),
        ("aws:drop_established_app_layer_to_server", to_server_app),
    ):
        if action in actions and applies:
            twin = action.replace("drop", "alert", 1)
            return True, action, twin in actions
    alerted = (
        "aws:alert_strict" in actions
        or ("aws:alert_established" in actions and step.established)
        or ("aws:alert_established_app_layer" in actions and app)
        or ("aws:alert_established_app_layer_to_server" in actions and to_server_app)
    )
    return False, "no rule, no default drop", alerted
