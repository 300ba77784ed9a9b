"""Round-trip properties: for every overlay the validators accept, built from hostile text, each generated output
parses with the real parser and means exactly the plan; every overlay they refuse gives one message and exit 2.

The hostile alphabet holds what ends a line or a comment somewhere (``\\n``, ``\\r``, U+2028, U+2029), what
closes a string or an option (``"``, ``;``, ``)``), what starts a comment or an escape (``#``, ``%``, ``//``),
markdown and HTML (``</details>``, backticks, pipes), terminal escapes, bidi overrides and ready-made directives.
"Means exactly the plan" is checked against a reference rendering of the same plan with every piece of free text
(warnings, paths, overlay names) removed: the directives, script and rules must be the same, only comments differ.
Squid runs few examples (a process each); pacparser, suricataparser and markdown-it many.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pacparser
import pytest
import suricataparser
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from sep_egress.catalog import Catalog, EgressPlan, SourcedOverlay, load_catalog, parse_overlay, select
from sep_egress.cli import main
from sep_egress.compile.aws import ROLE_VARIABLES, compile_network_firewall
from sep_egress.compile.gcp import FirewallOptions, GcpSpecError, parse_targets
from sep_egress.compile.gcp.firewall import compile_firewall_policy
from sep_egress.compile.proxy import SquidOptions, csv_list, host_list, pac_file, squid_config
from sep_egress.errors import SepEgressError
from sep_egress.escape import markdown_code, plain_text
from sep_egress.preview import Preview, PreviewResource, render_markdown

from loopback import find_squid

pytestmark = pytest.mark.property

PIECES = [
    "a",
    "z",
    "0",
    "9",
    ".",
    "-",
    "/",
    ":",
    "%",
    "#",
    ";",
    ")",
    "(",
    '"',
    "'",
    "=",
    "+",
    "@",
    " ",
    "\n",
    "\r",
    "\u2028",
    "\u2029",
    "\u0085",
    "\t",
    "\x1b[2J",
    "\u202e",
    "\\",
    "`",
    "```",
    "|",
    "*",
    "_",
    "[",
    "]",
    "<",
    ">",
    "&",
    "!",
    "</details>",
    "<details><summary>x</summary>",
    "\nhttp_access allow all\n",
    "pass ip any any -> any any (sid:1;)",
    "*/",
    "-->",
    "%0a",
    "%eth0",
    "fe80::",
    "xn--",
    "\u0663",
    "example",
]
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
# Pieces the validators accept in free text (no line break, control or format character), still hostile to the
# formats: quotes, semicolons, comment and markdown syntax, ready-made directives on one line.
TEXT_PIECES = [piece for piece in PIECES if not any(char in piece for char in "\n\r\u2028\u2029\u0085\t\x1b\u202e")]
TEXT_PIECES += ["http_access allow all", "return 'SOCKS attacker:1080';", "}", "{"]
ACCEPTED_TEXT = st.lists(st.sampled_from(TEXT_PIECES), max_size=8).map("".join)
# RFC 3986 path characters, some of them syntax elsewhere (; ) ' = + @ : %XX).
PATH_PIECES = [
    "a",
    "0",
    "-",
    ".",
    "_",
    "~",
    "!",
    "$",
    "&",
    "'",
    "(",
    ")",
    "*",
    "+",
    ",",
    ";",
    "=",
    ":",
    "@",
    "/",
    "%0a",
]
ACCEPTED_PATH = st.lists(st.sampled_from(PATH_PIECES), min_size=1, max_size=10).map(lambda parts: "/" + "".join(parts))
HOST = st.one_of(
    st.just("a.example.com"),
    st.just("a.example.com"),
    st.just("*.b.example.org"),
    HOSTILE.map(lambda text: text + ".example.com"),
    HOSTILE,
)
PATH = st.one_of(st.just(""), st.just("/fr/fr"), ACCEPTED_PATH, ACCEPTED_PATH, HOSTILE.map(lambda text: "/" + text))
URL = st.builds(
    lambda scheme, host, path: f"{scheme}{host}{path}", st.sampled_from(["https://", "http://", ""]), HOST, PATH
)
CIDR = st.one_of(
    st.just("10.1.0.0/16"),
    st.just("10.1.0.0/16"),
    st.just("2001:db8::/48"),
    HOSTILE,
    HOSTILE.map(lambda text: f"fe80::%{text}/64"),
    HOSTILE.map(lambda text: f"10.2.0.0/24{text}"),
)
TEXT = st.one_of(st.just("A note."), ACCEPTED_TEXT, ACCEPTED_TEXT, ACCEPTED_TEXT, ACCEPTED_TEXT, HOSTILE)


@st.composite
def overlays(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """An overlay file name and document: one host entry (with free text everywhere) and maybe one CIDR entry."""
    host_entry: dict[str, Any] = {
        "id": draw(st.one_of(st.just("corp-x"), st.just("corp-x"), HOSTILE)),
        "role": "agent",
        "usage": {"en": draw(TEXT)},
        "urls": [draw(URL)],
        "ports": [443],
        "domain_suffix": draw(st.booleans()),
    }
    for key in ("shared_host", "blocked", "row"):
        if draw(st.booleans()):
            host_entry[key] = draw(TEXT)
    entries = [host_entry]
    if draw(st.booleans()):
        entries.append(
            {"id": "corp-net", "role": "sepm", "usage": {"en": draw(TEXT)}, "cidrs": [draw(CIDR)], "ports": [3128]}
        )
    document: dict[str, Any] = {"description": draw(TEXT), "entries": entries}
    return draw(st.one_of(ACCEPTED_TEXT, HOSTILE)) + ".yaml", document


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def plan_or_refusal(catalog: Catalog, name: str, document: dict[str, Any]) -> EgressPlan | None:
    try:
        overlay = parse_overlay(document, name)
        plan = select(catalog, mode="on-prem", version="14.3 RU1", overlays=[SourcedOverlay(name, overlay)])
    except SepEgressError as error:
        event("refused")
        assert str(error)  # noqa: PT017 - a refusal is an outcome here, not the thing under test
        return None
    event("accepted")
    return plan


def reference(plan: EgressPlan) -> EgressPlan:
    """The same plan without any free text: no warnings, no overlay names, no paths."""
    return dataclasses.replace(
        plan,
        warnings=tuple(warning for warning in plan.warnings if warning.code == "tls-inspection-bypass"),
        overlays=(),
        allow=tuple(dataclasses.replace(rule, paths=()) for rule in plan.allow),
    )


CANONICAL_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
CANONICAL_CIDR = re.compile(r"[0-9a-f:.]+/[0-9]{1,3}")


def assert_canonical(plan: EgressPlan) -> None:
    for rule in plan.allow:
        assert CANONICAL_HOST.fullmatch(rule.host), rule.host
        for path in rule.paths:
            assert re.fullmatch(r"(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+", path), path
    for cidr_rule in plan.cidrs:
        assert CANONICAL_CIDR.fullmatch(cidr_rule.cidr), cidr_rule.cidr


def code_lines(text: str, comment: str) -> list[str]:
    for separator in ("\r", "\u2028", "\u2029", "\u0085"):
        assert separator not in text
    return [line for line in text.split("\n") if line.strip() and not line.lstrip().startswith(comment)]


PURE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.real_program
@PURE
@given(overlay=overlays())
def test_pac_means_exactly_the_plan(catalog: Catalog, overlay: tuple[str, dict[str, Any]]) -> None:
    plan = plan_or_refusal(catalog, *overlay)
    if plan is None:
        return
    assert_canonical(plan)
    text = pac_file(plan, route="proxy.corp.example:3128")
    assert code_lines(text, "//") == code_lines(pac_file(reference(plan), route="proxy.corp.example:3128"), "//")
    pacparser.init()
    try:
        pacparser.parse_pac_string(text)
        for rule in plan.allow:
            assert pacparser.find_proxy(f"https://{rule.host}/", rule.host) == "PROXY proxy.corp.example:3128"
        for other in ("unrelated.example", "attacker", "example.com.evil.example"):
            assert pacparser.find_proxy(f"https://{other}/", other) == "DIRECT"
    finally:
        pacparser.cleanup()


@PURE
@given(overlay=overlays())
def test_squid_text_means_exactly_the_plan(catalog: Catalog, overlay: tuple[str, dict[str, Any]]) -> None:
    plan = plan_or_refusal(catalog, *overlay)
    if plan is None:
        return
    options = SquidOptions(mode="full", listen="127.0.0.1:3128")
    text = squid_config(plan, options)
    assert code_lines(text, "#") == code_lines(squid_config(reference(plan), options), "#")
    assert all(len(line) < 1024 for line in text.split("\n"))  # Squid's line buffer is larger; see escape.py
    hosts = code_lines(host_list(plan), "#")
    assert hosts == code_lines(host_list(reference(plan)), "#")


@pytest.mark.real_program
@PURE
@given(overlay=overlays())
def test_suricata_rules_mean_exactly_the_plan(catalog: Catalog, overlay: tuple[str, dict[str, Any]]) -> None:
    plan = plan_or_refusal(catalog, *overlay)
    if plan is None:
        return
    sources = {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]}
    spec = compile_network_firewall(plan, sources)
    hosts = {rule.host for rule in plan.allow}
    cidrs = {rule.cidr for rule in plan.cidrs}
    for group in spec.groups:
        lines = group.rules_string.split("\n")
        assert len(lines) == len(group.rules_string.splitlines())
        for line in lines:
            if not line:
                continue
            rule = suricataparser.parse_rule(line)
            assert rule is not None, line
            assert rule.action in ("pass", "drop", "reject", "alert"), line
            assert " any any -> any any " not in line or rule.action != "pass", line
            # A name matched in the SNI or Host buffer is a host of the plan; the other buffers (ja4.hash "_" for a
            # whole ClientHello, http.start CRLF for a whole request line and headers) carry no host.
            for name in re.findall(r'(?:tls\.sni|http\.host);(?: dotprefix;)? content:"\.?([^"]*)"', line):
                assert name in hosts, line
            for buffer, value in re.findall(r'(ja4\.hash|http\.start); content:"([^"]*)"', line):
                assert (buffer, value) in {("ja4.hash", "_"), ("http.start", "|0d 0a|")}, line
            destination = rule.header.split()[4] if rule.header else ""
            if "to_client" in line and destination in {f"${name}" for name in ROLE_VARIABLES.values()}:
                continue  # a reply to a declared source (written from the server's side): what it sent decides
            # Outside the guard's exempt private ranges (guard_scope external, the default), or anywhere.
            allowed = {"any", "$EXTERNAL_NET", "!$SEP_EGRESS_EXEMPT", *cidrs, *(f"[{cidr}]" for cidr in cidrs)}
            assert destination in allowed, line
    reference_spec = compile_network_firewall(reference(plan), sources)
    assert [group.rules_string for group in spec.groups] == [group.rules_string for group in reference_spec.groups]


@PURE
@given(overlay=overlays())
def test_gcp_bodies_mean_exactly_the_plan(catalog: Catalog, overlay: tuple[str, dict[str, Any]]) -> None:
    plan = plan_or_refusal(catalog, *overlay)
    if plan is None:
        return
    targets = parse_targets(
        {role: {"secure_tags": [f"tagValues/{index + 1}"]} for index, role in enumerate(plan.roles)}
    )
    options = FirewallOptions(networks=("projects/p/global/networks/vpc",), suffix_policy="apex-only")
    try:
        body = compile_firewall_policy(plan, targets, options).to_api()
    except GcpSpecError:
        event("not expressible in Cloud NGFW")
        return
    reference_body = compile_firewall_policy(reference(plan), targets, options).to_api()
    assert json.dumps(body, sort_keys=True) == json.dumps(reference_body, sort_keys=True)
    hosts = {rule.host for rule in plan.allow}
    ranges = {rule.cidr for rule in plan.cidrs} | {"0.0.0.0/0", "::/0", "199.36.153.8/30"}
    for rule in body["rules"]:
        match = rule["match"]
        assert set(match.get("destFqdns", [])) <= hosts, rule
        assert set(match.get("destIpRanges", [])) <= ranges, rule
        for value in [*match.get("destFqdns", []), *match.get("destIpRanges", [])]:
            assert CANONICAL_HOST.fullmatch(value) or CANONICAL_CIDR.fullmatch(value), value
        assert rule["action"] != "allow" or not {"0.0.0.0/0", "::/0"} & set(match.get("destIpRanges", [])), rule


@PURE
@given(overlay=overlays())
def test_csv_rows_mean_exactly_the_plan(catalog: Catalog, overlay: tuple[str, dict[str, Any]]) -> None:
    plan = plan_or_refusal(catalog, *overlay)
    if plan is None:
        return
    rows = list(csv.reader(io.StringIO(csv_list(plan))))
    assert len(rows) == 1 + len(plan.allow) + len(plan.cidrs)
    assert [row[0] for row in rows[1:]] == [rule.host for rule in plan.allow] + [rule.cidr for rule in plan.cidrs]
    for row in rows:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), row
            assert not any(char in cell for char in "\r\n\u2028\u2029"), row


MARKDOWN = MarkdownIt("commonmark").enable("table")


def inline_text(token: Any) -> str:
    return "".join(child.content for child in token.children or [] if child.type in ("text", "code_inline"))


@pytest.mark.pulumi
@PURE
@given(overlay=overlays(), stack=HOSTILE, resource_name=HOSTILE)
def test_markdown_means_exactly_the_preview(
    catalog: Catalog, overlay: tuple[str, dict[str, Any]], stack: str, resource_name: str
) -> None:
    plan = plan_or_refusal(catalog, *overlay)
    if plan is None:
        return
    warnings = [warning.to_dict() for warning in plan.warnings]
    resources = [PreviewResource("sep-egress:aws:NetworkFirewallAllowlist", resource_name, None, {})]
    text = render_markdown(Preview(stack=stack, resources=resources, outputs={}, warnings=warnings))
    tokens = MARKDOWN.parse(text)
    html = [token.content.strip() for token in tokens if token.type == "html_block"]
    assert html == [
        "<details><summary>Warnings</summary>",
        "</details>",
        "<details><summary>Resource tree</summary>",
        "</details>",
    ]
    assert not any(child.type == "html_inline" for token in tokens for child in token.children or [])
    assert [token.tag for token in tokens if token.type == "heading_open"] == ["h3"]
    heading = inline_text(next(token for token in tokens if token.type == "inline"))
    assert heading.strip(" ") == f"sep-egress preview: stack {plain_text(stack)}".strip(" ")
    items = [
        tokens[index + 2] for index, token in enumerate(tokens) if token.type == "list_item_open"
    ]  # list_item_open, paragraph_open, inline
    assert [inline_text(item) for item in items] == [
        f"{plain_text(warning['code'])}: {plain_text(warning['message'])}" for warning in warnings
    ]
    fences = [token for token in tokens if token.type == "fence"]
    assert [fence.content for fence in fences] == [
        "\n".join(markdown_code([f"sep-egress:aws:NetworkFirewallAllowlist  {resource_name}"])[1:-1]) + "\n"
    ]


# --- the real Squid, and the CLI's refusals: a process each, so few examples ----------------------------------------

FEW = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


@pytest.mark.real_program
@FEW
@given(overlay=overlays())
def test_squid_parses_exactly_the_plans_directives(
    catalog: Catalog, overlay: tuple[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    plan = plan_or_refusal(catalog, *overlay)
    if plan is None:
        return
    squid = find_squid()
    options = SquidOptions(mode="full", listen="127.0.0.1:3128", ssl_bump=False)
    text = squid_config(plan, options)
    conf = tmp_path_factory.mktemp("squid") / "squid.conf"
    conf.write_text(text, encoding="utf-8")
    result = subprocess.run([squid, "-k", "parse", "-f", str(conf)], capture_output=True, text=True, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    processed = [line.split("Processing: ", 1)[1] for line in output.splitlines() if "Processing: " in line]
    expected = [" ".join(line.split()) for line in code_lines(squid_config(reference(plan), options), "#")]
    assert [" ".join(line.split()) for line in processed] == expected


@FEW
@given(overlay=overlays())
def test_the_cli_refuses_with_one_message_and_exit_2(
    catalog: Catalog, overlay: tuple[str, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    name, document = overlay
    accepted = plan_or_refusal(catalog, name, document) is not None
    path: Path = tmp_path_factory.mktemp("overlay") / "overlay.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=False), encoding="utf-8")
    import contextlib

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["export", "squid", "--mode", "on-prem", "--version", "14.3 RU1", "--overlay", str(path)])
    assert code == (0 if accepted else 2), err.getvalue()
    if not accepted:
        message = err.getvalue()
        assert message.startswith("sep-egress export: error: ") and "Traceback" not in message
        assert not any(char in message for char in "\r\x1b\u2028\u2029")
