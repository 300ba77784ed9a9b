"""An eve.json written by the real Suricata 7, with the prod stack's compiled rules, over a pcap made here (a TCP
handshake and a real ClientHello from Python's own TLS stack), turned into AWS Network Firewall's log shape (the
EVE ``event`` under ``firewall_name``, ``availability_zone`` and ``event_timestamp``, as AWS documents), and read
by ``logs explain``: the refused name comes back with the role of the guard rule that named it.

Suricata runs offline on a file (``-r``): in that mode nothing is dropped, so a ``drop``/``reject`` rule's alert
may say ``allowed`` or ``blocked``; either way the sid and message are the guard's, which is what the log analysis
reads.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import struct
import subprocess
from pathlib import Path

import pytest

from sep_egress.compile.aws import AwsEgressSpec
from sep_egress.logs.controls import controls_from_specs
from sep_egress.program import prepare_deployment
from sep_egress.settings import read_stack_file

from log_samples import PROD, explain
from support import ROOT

AGENT = "10.10.7.7"
SERVER = "198.51.100.44"


def client_hello(name: str) -> bytes:
    """The first flight of a TLS client for ``name``: a real ClientHello with its SNI."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=name)
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _packet(src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes = b"") -> bytes:
    source, target = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = source + target + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp)) + tcp[18:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0, source, target)
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    ethernet = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return ethernet + header + tcp


def tls_session(name: str, sport: int) -> list[bytes]:
    """SYN, SYN-ACK, ACK, the ClientHello, the server's ACK."""
    hello = client_hello(name)
    syn, ack, psh = 0x02, 0x10, 0x18
    return [
        _packet(AGENT, SERVER, sport, 443, 1000, 0, syn),
        _packet(SERVER, AGENT, 443, sport, 5000, 1001, syn | ack),
        _packet(AGENT, SERVER, sport, 443, 1001, 5001, ack),
        _packet(AGENT, SERVER, sport, 443, 1001, 5001, psh, hello),
        _packet(SERVER, AGENT, 443, sport, 5001, 1001 + len(hello), ack),
    ]


def write_pcap(path: Path, packets: list[bytes]) -> None:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for index, packet in enumerate(packets):
        out += struct.pack("<IIII", 1796083200 + index, 0, len(packet), len(packet)) + packet
    path.write_bytes(out)


@pytest.mark.real_program
def test_suricata_eve_in_aws_shape_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suricata = shutil.which("suricata")
    if suricata is None:
        if os.environ.get("CI"):
            pytest.fail("Suricata is not installed: CI runs .ci/install-suricata before the tests")
        pytest.skip("Suricata is not installed (.ci/install-suricata installs it)")
    spec = next(s for s in prepare_deployment(read_stack_file(ROOT, "prod")).specs if isinstance(s, AwsEgressSpec))
    rules = tmp_path / "sep-egress.rules"
    rules.write_text("\n".join(group.rules_string for group in spec.groups) + "\n")
    variables: dict[str, list[str]] = {}
    for group in spec.groups:  # each group declares the variables its own rules use (the guard has its exempt set)
        for name, value in group.rule_group.get("RuleVariables", {}).get("IPSets", {}).items():
            variables[name] = list(value["Definition"])
    settings = [f"vars.address-groups.{name}=[{','.join(value)}]" for name, value in sorted(variables.items())]
    settings.append(f"vars.address-groups.HOME_NET=[{','.join(spec.home_net)}]")
    pcap = tmp_path / "flows.pcap"
    write_pcap(pcap, tls_session("exfil.example.net", 40001) + tls_session("tses.broadcom.com", 40002))
    logs = tmp_path / "out"
    logs.mkdir()
    command = [suricata, "-r", str(pcap), "-S", str(rules), "-l", str(logs), "-k", "none"]
    for setting in settings:
        command += ["--set", setting]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    events = [json.loads(line) for line in (logs / "eve.json").read_text().splitlines()]
    [engine] = [event["stats"]["detect"]["engines"][0] for event in events if event.get("event_type") == "stats"]
    assert engine["rules_failed"] == 0 and engine["rules_loaded"] > 0, engine  # every rule of the stack loaded
    alerts = [event for event in events if event.get("event_type") == "alert"]
    assert alerts, (logs / "eve.json").read_text()
    # AWS's shape: the EVE event under the firewall's name, zone and the time in epoch seconds.
    aws = tmp_path / "alerts.jsonl"
    aws.write_text(
        "".join(
            json.dumps(
                {"firewall_name": "fw", "availability_zone": "az-a", "event_timestamp": "1796083200", "event": event}
            )
            + "\n"
            for event in alerts
        )
    )
    refusing = controls_from_specs([spec]).refusing
    refused_sids = {
        str(event["alert"]["signature_id"])
        for event in alerts
        if ("aws", str(event["alert"]["signature_id"])) in refusing
    }
    assert refused_sids, [event["alert"] for event in alerts]
    document, err = explain(capsys, str(aws), *PROD)
    assert document["summary"]["skipped"] == 0, err
    found = {item["destination"]: item for item in document["refused"]}
    assert "exfil.example.net" in found, document["refused"]
    item = found["exfil.example.net"]
    assert item["class"] == "unknown" and item["source"] == "agent+agent-cloud" and item["port"] == 443
    assert item["outcome"] in ("refused", "would-refuse")
    # Plain Suricata has no strict rule order (AWS evaluates a STRICT_ORDER policy's rules in their order), so the
    # guard's TCP-stage rule also fires on the handshakes, before any SNI: those alerts carry an address only and
    # come back as the address, from the same source, never as a catalog name.
    assert set(found) <= {"exfil.example.net", SERVER}
    if SERVER in found:
        assert found[SERVER]["source"] == "agent+agent-cloud" and found[SERVER]["class"] == "unknown"
