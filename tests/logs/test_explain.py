"""``sep-egress logs explain`` over the vendor-format fixtures: every flow in its class with its entry or change,
the observe-mode outcomes, the allowed summary, bad lines, gzip, the formats, and input it must refuse."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

import pytest

from sep_egress.catalog import load_overlay
from sep_egress.logs.controls import controls_from_specs
from sep_egress.program import prepare_deployment
from sep_egress.settings import read_stack_file

from log_samples import AWS_FIXTURE, FIXTURES, GCP_FIXTURE, PROD, SQUID_FIXTURE, explain
from support import ROOT, call_main

ALL = [str(AWS_FIXTURE), str(GCP_FIXTURE), str(SQUID_FIXTURE)]


def test_the_fixtures_name_the_rules_the_compilers_give_the_prod_stack() -> None:
    """The sids and priorities written in the fixtures are the prod stack's refusing rules, as compiled now."""
    controls = controls_from_specs(prepare_deployment(read_stack_file(ROOT, "prod")).specs)
    sids = {int(sid) for sid in re.findall(r'signature_id\\?":\s*([0-9]+)', AWS_FIXTURE.read_text())}
    assert sids and all(("aws", str(sid)) in controls.refusing for sid in sids)
    priorities = set(re.findall(r'"priority":([0-9]+)', GCP_FIXTURE.read_text()))
    assert priorities and all(priority in controls.gcp_groups for priority in priorities)
    denies = {key for (vendor, key), rule in controls.refusing.items() if vendor == "gcp"}
    assert {"1610612738", "1610612740", "1610612744"} <= denies


def test_every_fixture_flow_is_classified(capsys: pytest.CaptureFixture[str]) -> None:
    document, err = explain(capsys, *ALL, *PROD)
    found = {
        (item["source"], item["destination"], item["port"], item["outcome"]): (
            item["class"],
            item["entry"],
            item["change"],
        )
        for item in document["refused"]
    }
    expected_classes = {
        ("agent+agent-cloud", "updates.example.net", 443, "refused"): ("unknown", None),
        ("managers", "updates.example.net", 443, "refused"): ("unknown", None),
        ("sepm+sepm-cloud", "liveupdate.symantecliveupdate.com", 80, "refused"): ("left-out", "sepm-liveupdate-http"),
        ("agent+agent-cloud", "attacker-bucket.storage.googleapis.com", 443, "refused"): ("wider-or-non-sep", None),
        ("agent+agent-cloud", "10.20.5.5", 8014, "would-refuse"): ("internal-undeclared", "sepm-agent-http"),
        ("clients", "10.20.5.5", 8014, "refused"): ("internal-undeclared", "sepm-agent-http"),
        ("console", "faults.qalabs.symantec.com", 443, "refused"): ("left-out", "agent-symqual-legacy"),
        ("clients", "faults.qalabs.symantec.com", 443, "refused"): ("left-out", "agent-symqual-legacy"),
        ("admin-workstations", "www.example.org", 443, "would-refuse"): ("unknown", None),
        ("agent+agent-cloud", "www.example.org", 443, "would-refuse"): ("unknown", None),
    }
    assert {key: value[:2] for key, value in found.items()} == expected_classes
    # The selection changes say what to change, in the stack's keys and the flags.
    assert "version 14.3 MP1 or earlier" in found[("clients", "faults.qalabs.symantec.com", 443, "refused")][2]
    assert "make console a source of agent" in found[("console", "faults.qalabs.symantec.com", 443, "refused")][2]
    change = found[("sepm+sepm-cloud", "liveupdate.symantecliveupdate.com", 80, "refused")][2]
    assert "stop excluding sepm-liveupdate-http" in change and "proxy true" in change and "before 14.3 RU1" in change
    assert "--internal sepm=10.20.5.5/32" in found[("clients", "10.20.5.5", 8014, "refused")][2]
    # Counts and first/last seen: updates.example.net from the agents, twice on S3-style lines and once through a
    # CloudWatch Logs subscription record, and once through Squid.
    item = next(
        item
        for item in document["refused"]
        if item["destination"] == "updates.example.net" and item["source"] == "agent+agent-cloud"
    )
    assert (item["count"], item["first_seen"], item["last_seen"]) == (4, "2026-11-30T00:00:00Z", "2026-12-01T00:00:00Z")
    assert item["vendors"] == ["aws", "squid"]
    summary = document["summary"]
    assert (summary["files"], summary["skipped"], summary["would_refuse"], summary["dns_answers"]) == (3, 1, 3, 4)
    assert "aws-network-firewall.jsonl:9: skipped: not JSON" in err
    used = {rule["rule"]: rule["count"] for rule in document["allowed"]["used"]}
    assert used == {
        "storage.googleapis.com:443/tls": 1,
        "telemetry.broadcom.com:443/tls": 1,
        "10.20.0.10/32:443/tcp": 1,
    }
    unused = {rule["rule"] for rule in document["allowed"]["unused"]}
    assert "tses.broadcom.com:443/tls" in unused and "storage.googleapis.com:443/tls" not in unused


def test_gzip_gives_the_same_answer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    packed = tmp_path / "aws-network-firewall.jsonl"
    with gzip.open(packed, "wb") as stream:
        stream.write(AWS_FIXTURE.read_bytes())
    plain, _ = explain(capsys, str(AWS_FIXTURE), *PROD)
    zipped, _ = explain(capsys, str(packed), *PROD)
    for item in zipped["refused"]:
        item["seen_in"] = [str(AWS_FIXTURE)]
    assert zipped["refused"] == plain["refused"] and zipped["summary"] == plain["summary"]


@pytest.mark.parametrize("format_", ["text", "json", "markdown"])
def test_output_is_deterministic(format_: str, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for files in (ALL, ALL):
        code, out, err = call_main(["logs", "explain", *files, *PROD, "--format", format_], capsys)
        assert code == 0, err
        outputs.append(out)
    assert outputs[0] == outputs[1]
    if format_ == "text":
        assert "left-out (" in outputs[0] and "agent-symqual-legacy" in outputs[0]
    if format_ == "markdown":
        assert "### internal-undeclared" in outputs[0] and "</" not in outputs[0]


def test_a_hostile_name_cannot_forge_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A logged name is data: one that is not a host name is shown by address, never printed raw."""
    line = json.loads(AWS_FIXTURE.read_text().splitlines()[0])
    line["event"]["tls"]["sni"] = "evil\u001b[2J</details>\n| x |"
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(line) + "\n")
    for format_ in ("text", "markdown"):
        code, out, _ = call_main(["logs", "explain", str(path), *PROD, "--format", format_], capsys)
        assert code == 0 and "\u001b" not in out and "</details>" not in out and "203.0.113.10" in out.replace("\\", "")


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing.jsonl", "no such file"),
        (lambda tmp: tmp, "not a regular file"),
        (_fifo, "not a regular file"),
        (lambda tmp: FIXTURES / "README.md", "not a log this command reads"),
        (lambda tmp: (tmp / "a.json").write_text('[\n  {"jsonPayload": {}}\n]\n') and tmp / "a.json", "jq -c"),
        (
            lambda tmp: (tmp / "b.bin").write_bytes(bytes(range(256)) * 8) and tmp / "b.bin",
            "not a log this command reads",
        ),
        (
            lambda tmp: (tmp / "t.gz").write_bytes(gzip.compress(AWS_FIXTURE.read_bytes())[:300]) and tmp / "t.gz",
            "cannot be read",
        ),
    ],
    ids=["missing", "directory", "fifo", "wrong-format", "json-array", "binary", "truncated-gzip"],
)
def test_bad_input_is_one_line_and_exit_2(
    make, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    code, out, err = call_main(["logs", "explain", str(path), "--mode", "on-prem", "--version", "14.3 RU1"], capsys)
    assert code == 2 and out == ""
    assert err.startswith("sep-egress logs: error: ") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_propose_overlay_then_nothing_is_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    selection = ["--mode", "hybrid", "--role", "console", "--version", "14.3 RU1", "--source", "agent=10.10.0.0/16"]
    overlay = tmp_path / "proposed.yaml"
    document, _ = explain(capsys, str(AWS_FIXTURE), str(SQUID_FIXTURE), *selection, "--propose-overlay", str(overlay))
    unknown = {item["destination"] for item in document["refused"] if item["class"] == "unknown"}
    assert unknown == {"updates.example.net", "www.example.org"}
    parsed = load_overlay(overlay)  # the catalog's own overlay loader
    assert sorted(host for entry in parsed.entries for url in entry.urls for host in [url.host]) == sorted(unknown)
    assert all(
        "Seen refused" in entry.usage.en and "squid-access.log" in " ".join(e.usage.en for e in parsed.entries)
        for entry in parsed.entries
    )
    again, _ = explain(capsys, str(AWS_FIXTURE), str(SQUID_FIXTURE), *selection, "--overlay", str(overlay))
    assert not [item for item in again["refused"] if item["class"] == "unknown"]
    now = {item["destination"]: item for item in again["refused"] if item["class"] == "allowed-now"}
    assert set(now) == unknown and all(item["entry"].startswith("observed-") for item in now.values())


@pytest.mark.real_program
def test_progress_goes_to_a_terminal_only(tmp_path: Path) -> None:
    """On a terminal, stderr shows how far the reading is; redirected, stderr holds only the skipped lines."""
    import pty
    import subprocess
    import sys

    path = tmp_path / "access.log"
    line = "1796083200.123 15 10.10.1.5 TCP_DENIED/403 3925 CONNECT updates.example.net:443 - HIER_NONE/- text/html\n"
    path.write_text(line * 70_000)
    command = [
        sys.executable,
        "-m",
        "sep_egress",
        "logs",
        "explain",
        str(path),
        "--mode",
        "on-prem",
        "--version",
        "14.3 RU1",
        "--format",
        "json",
    ]
    primary, secondary = pty.openpty()
    try:
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=secondary, timeout=300, check=False, cwd=ROOT)
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(primary)
    assert run.returncode == 0
    assert b"65,536 lines" in seen
    assert json.loads(run.stdout)["summary"]["lines"] == 70_000
    quiet = subprocess.run(command, capture_output=True, timeout=300, check=False, cwd=ROOT)
    assert quiet.returncode == 0 and quiet.stderr == b""


def test_only_refusing_actions_name_the_guard() -> None:
    """Lines that only log (``alert`` without ``noalert``, as rules that log allowed flows are) are not refusals;
    the guard is known by the action words of the enforce compile."""
    import dataclasses

    from sep_egress.compile.aws import AwsEgressSpec
    from sep_egress.logs.controls import aws_refusing_rules

    spec = next(s for s in prepare_deployment(read_stack_file(ROOT, "prod")).specs if isinstance(s, AwsEgressSpec))
    refusing = {rule.key for rule in aws_refusing_rules(spec)}
    lines = [line for group in spec.groups for line in group.rules_string.splitlines()]
    drops = {
        m.group(1)
        for line in lines
        if line.startswith(("drop ", "reject"))
        for m in [re.search(r"sid:([0-9]+);", line)]
        if m
    }
    assert refusing == drops and drops
    logging = 'alert tls $SEP_AGENT_NET any -> any 443 (msg:"sep-egress allow x.example:443/tls"; sid:99; rev:1;)'
    group = spec.groups[-1]
    changed = dataclasses.replace(
        group,
        rule_group={
            **group.rule_group,
            "RulesSource": {"RulesString": group.rules_string + "\n" + logging},
        },
    )
    observed = dataclasses.replace(spec, groups=(*spec.groups[:-1], changed))
    assert {rule.key for rule in aws_refusing_rules(observed)} == drops


@pytest.mark.parametrize(
    "line",
    ['{"a":' + "[" * 100_000 + "]" * 100_000 + "}", json.dumps({"logEvents": [{"message": "[" * 100_000}]})],
    ids=["deep-json", "deep-logevents-message"],
)
def test_deeply_nested_json_is_a_bad_line_not_a_traceback(
    line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python's JSON decoder recurses per bracket: a hostile line of nested brackets is skipped as bad."""
    path = tmp_path / "deep.jsonl"
    path.write_text(line + "\n" + AWS_FIXTURE.read_text())
    code, out, err = call_main(["logs", "explain", str(path), *PROD, "--format", "json"], capsys)
    assert code == 0 and "Traceback" not in err and "deep.jsonl:1: skipped: " in err and "nested too deeply" in err
    assert json.loads(out)["summary"]["skipped"] == 2  # line 1 and the fixture's own bad line
    alone = tmp_path / "only-deep.jsonl"
    alone.write_text(line + "\n")
    code, out, err = call_main(["logs", "explain", str(alone), *PROD], capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "nested too deeply" in err


def test_a_squid_line_splits_on_spaces_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """U+0085, U+2028 or U+001C in a URL is no field separator for Squid: the line is refused whole (its host is no
    host name), never read with its fields shifted (a destination "ev" from "ev\\x85il.example.org")."""
    good = SQUID_FIXTURE.read_text().splitlines()[0]
    hostile = [
        "1796083200.123 15 10.10.1.5 TCP_DENIED/403 3925 GET http://ev"
        + sep
        + "il.example.org/x - HIER_NONE/- text/html -"
        for sep in ("\u0085", "\u2028", "\u001c")
    ]
    path = tmp_path / "access.log"
    path.write_text("\n".join([good, *hostile]) + "\n", encoding="utf-8")
    code, out, err = call_main(["logs", "explain", str(path), *PROD, "--format", "json"], capsys)
    document = json.loads(out)
    assert code == 0 and document["summary"]["skipped"] == 3 and document["summary"]["records"] == 1
    assert {item["destination"] for item in document["refused"]} == {"updates.example.net"}
    assert "\u0085" not in err and "\u2028" not in err and "\u001c" not in err


@pytest.mark.parametrize("case", ["output-directory", "output-missing-directory", "same-file"])
def test_a_refused_output_leaves_the_proposed_overlay_unwritten(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--output and --propose-overlay are checked before any log is read: nothing is written when either is refused,
    and one file is never given both."""
    overlay = tmp_path / "proposed.yaml"
    output = {
        "output-directory": tmp_path,
        "output-missing-directory": tmp_path / "missing" / "out.txt",
        "same-file": overlay,
    }[case]
    argv = ["logs", "explain", str(AWS_FIXTURE), *PROD, "--propose-overlay", str(overlay), "--output", str(output)]
    code, out, err = call_main(argv, capsys)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith("sep-egress logs: error: --") and len(err.strip().splitlines()) == 1
    assert not overlay.exists()
    code, _, _ = call_main(["logs", "query", "--engine", "athena", *PROD, "--output", str(tmp_path)], capsys)
    assert code == 2
    argv = ["logs", "explain", str(AWS_FIXTURE), *PROD, "--propose-overlay", "/dev/null", "--output", "/dev/null"]
    assert call_main(argv, capsys)[0] == 0


def test_logs_without_an_allowed_flow_propose_no_rule_to_drop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty log, or refusals only, says nothing of the plan's rules: text and markdown do not list every rule
    as a candidate to drop (the JSON keeps the data: allowed 0, every rule unused)."""
    refused_only = tmp_path / "alerts.jsonl"
    refused_only.write_text(
        "".join(line + "\n" for line in AWS_FIXTURE.read_text().splitlines() if '"blocked"' in line), encoding="utf-8"
    )
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    for path in (refused_only, empty):
        code, out, _ = call_main(["logs", "explain", str(path), *PROD], capsys)
        assert code == 0 and "candidates to drop" not in out and "the logs hold no allowed flow" in out
        code, out, _ = call_main(["logs", "explain", str(path), *PROD, "--format", "markdown"], capsys)
        assert code == 0 and "Plan rules no allowed flow used" not in out and "no allowed flow" in out
        document, _ = explain(capsys, str(path), *PROD)
        assert document["summary"]["allowed"] == 0 and document["allowed"]["unused"]
    code, out, _ = call_main(["logs", "explain", str(AWS_FIXTURE), *PROD], capsys)
    assert code == 0 and "candidates to drop" in out


@pytest.mark.parametrize("option", ["--output", "--propose-overlay"])
def test_a_log_is_never_overwritten_by_the_result(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``logs explain access.log -o access.log`` (or through a link) is refused: the log stays as it was."""
    log = tmp_path / "alerts.jsonl"
    log.write_bytes(AWS_FIXTURE.read_bytes())
    link = tmp_path / "link.jsonl"
    link.symlink_to(log)
    for target in (log, link):
        code, out, err = call_main(["logs", "explain", str(log), *PROD, option, str(target)], capsys)
        assert code == 2 and out == "" and "one of the logs read" in err and len(err.strip().splitlines()) == 1
    assert log.read_bytes() == AWS_FIXTURE.read_bytes()


@pytest.mark.parametrize(
    "moment",
    [
        "99999999999999999999",
        1e400,
        -1e20,
        float("nan"),
        253402300800,
        -62135596801,
        "0001-01-01T00:00:00-01:00",
        "\u00b2",
    ],
    ids=["digits", "infinity", "negative", "nan", "year-10000", "year-0", "year-1", "superscript-two"],
)
def test_a_time_out_of_range_is_a_bad_line(moment: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An event_timestamp the report cannot print (out of 1970-9999, infinite, NaN, not a number) is a bad line
    naming the time, never an OverflowError."""
    line = json.loads(AWS_FIXTURE.read_text().splitlines()[0])
    line["event_timestamp"] = moment
    path = tmp_path / "times.jsonl"
    path.write_text(json.dumps(line).replace("Infinity", "1e400") + "\n" + AWS_FIXTURE.read_text(), encoding="utf-8")
    code, out, err = call_main(["logs", "explain", str(path), *PROD, "--format", "json"], capsys)
    assert code == 0 and "Traceback" not in err and "times.jsonl:1: skipped: time " in err
    document = json.loads(out)
    assert document["summary"]["skipped"] == 2
    assert all(item["first_seen"].startswith("20") for item in document["refused"])


def test_a_name_no_overlay_can_allow_is_left_out_of_the_proposal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A logged name with '_' or a wildcard, or without a domain, cannot be an overlay's host: the other unknown
    destinations are still proposed, the left-out ones named in a comment and on stderr (the run used to stop)."""
    base = json.loads(AWS_FIXTURE.read_text().splitlines()[0])
    lines = []
    for name in ["a_b.example.com", "*.example.com", "-", "ok.example.com"]:
        line = json.loads(json.dumps(base))
        line["event"]["tls"]["sni"] = name
        lines.append(json.dumps(line))
    path = tmp_path / "odd.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    overlay = tmp_path / "proposed.yaml"
    code, out, err = call_main(["logs", "explain", str(path), *PROD, "--propose-overlay", str(overlay)], capsys)
    assert code == 0 and "a_b.example.com" in out
    parsed = load_overlay(overlay)
    assert [url.host for entry in parsed.entries for url in entry.urls] == ["ok.example.com"]
    text = overlay.read_text(encoding="utf-8")
    for name in ("a_b.example.com", "*.example.com", "- "):
        assert f"# not proposed: {name}" in text and f"not proposed: {name}" in err


def test_distinct_destinations_are_bounded_and_the_totals_stay_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory is bounded by distinct destinations as well as by lines: past MAX_DISTINCT a new destination is
    counted (not itemised) and said on stderr, while every flow still counts in the totals."""
    import sep_egress.logs.report as report

    template = json.loads(AWS_FIXTURE.read_text().splitlines()[0])
    lines = []
    for index in range(12):
        line = json.loads(json.dumps(template))
        line["event"]["dest_ip"] = f"198.51.100.{index + 1}"
        for key in ("tls", "http"):
            line["event"].pop(key, None)
        lines.append(json.dumps(line) + "\n")
    path = tmp_path / "many.jsonl"
    path.write_text("".join(lines))
    whole, _ = explain(capsys, str(path), *PROD)
    monkeypatch.setattr(report, "MAX_DISTINCT", 5)
    bounded, err = explain(capsys, str(path), *PROD)
    itemised = sum(item["count"] for item in bounded["refused"])
    assert len(bounded["refused"]) <= 5 < len(whole["refused"])
    assert bounded["summary"]["not_itemised"] == sum(item["count"] for item in whole["refused"]) - itemised > 0
    total = ("refused", "would_refuse", "allowed")
    assert [bounded["summary"][key] for key in total] == [whole["summary"][key] for key in total]
    assert "not itemised" in err and whole["summary"]["not_itemised"] == 0
