"""Every rule group the project can generate loads in Suricata 7 with no failed rule (``suricata -T``, JA4 at
Suricata's default), and the capacity the compiler counts is the number of signatures Suricata builds (a ``<>``
rule is two)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engines.strict_order import Policy, load
from sep_egress.compile.aws import AwsEgressSpec, AwsFirewallOptions, SuricataRule, compile_network_firewall
from sep_egress.compile.aws.rules import rule_capacity, rules_capacity
from sep_egress.program import prepare_deployment
from sep_egress.settings import read_stack_file

from support import ROOT

pytestmark = pytest.mark.real_program

STACKS = sorted(path.name.split(".")[1] for path in (ROOT / "stacks").glob("Pulumi.*.yaml"))
VARIANTS: dict[str, dict[str, object]] = {
    "suricata": {},
    "domain-list": {"style": "domain-list"},
    "drop": {"block_action": "drop"},
    "pass-alert": {"pass_alert": True},
    "scope-all": {"guard_scope": "all"},
    "scope-all-except": {"guard_scope": "all-except", "guard_exempt_cidrs": ("10.40.0.0/16", "fd00::/8")},
    "observe": {"enforcement": "observe"},
    "domain-list-observe": {"style": "domain-list", "enforcement": "observe"},
}


def stack_specs() -> list[tuple[str, AwsEgressSpec]]:
    specs: list[tuple[str, AwsEgressSpec]] = []
    for stack in STACKS:
        deployment = prepare_deployment(read_stack_file(Path(ROOT), stack))
        specs.extend((stack, spec) for spec in deployment.specs if isinstance(spec, AwsEgressSpec))
    return specs


def check_loads(spec: AwsEgressSpec) -> None:
    policy = Policy.from_spec(spec)
    result = load("\n".join(rule.text for rule in policy.rules), policy.variables)
    assert result.failed == 0, result.output
    assert result.loaded == len(policy.rules), result.output
    rules_string_groups = [group for group in spec.groups if group.kind == "rules-string"]
    counted = sum(group.used_capacity for group in rules_string_groups)
    written = sum(len(group.rules_string.splitlines()) for group in rules_string_groups)
    generated = len(policy.rules) - written  # the domain lists' generated pass rules
    assert result.signatures == counted + generated, result.output


def test_every_stack_loads(suricata: str) -> None:
    specs = stack_specs()
    assert specs, "no stack has an AWS block"
    for _, spec in specs:
        check_loads(spec)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_every_option_that_changes_rule_text_loads(suricata: str, variant: str, hybrid_plan: object) -> None:
    sources = {"agent": ["10.10.0.0/16", "2001:db8:10::/64"], "sepm": ["10.20.0.10/32"], "console": ["10.30.0.0/24"]}
    sources = {role: cidrs for role, cidrs in sources.items() if role in hybrid_plan.roles}  # type: ignore[attr-defined]
    options = AwsFirewallOptions(**VARIANTS[variant])  # type: ignore[arg-type]
    check_loads(compile_network_firewall(hybrid_plan, sources, options))  # type: ignore[arg-type]


def test_the_bench_plans_load(suricata: str) -> None:
    import importlib.util

    location = ROOT / "bench" / "bench_aws.py"
    loader = importlib.util.spec_from_file_location("bench_aws", location)
    assert loader is not None and loader.loader is not None
    bench = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(bench)
    for hosts in (0, 22_069):
        plan = bench.plan_with(hosts)
        sources = {role: bench.SOURCES[role] for role in plan.roles}
        for style in ("suricata", "domain-list"):
            check_loads(compile_network_firewall(plan, sources, AwsFirewallOptions(style=style)))


def test_a_bidirectional_rule_is_two_signatures_and_counts_two(suricata: str) -> None:
    """The capacity rule the compiler applies (``rule_capacity``), against what Suricata builds."""
    texts = [
        'pass tcp $SEP_AGENT_NET any <> any 443 (msg:"both ways"; flow:not_established; sid:1; rev:1;)',
        'pass tcp $SEP_AGENT_NET any -> any 443 (msg:"one way"; flow:not_established; sid:2; rev:1;)',
    ]
    rules = [SuricataRule(f"rule-{index}", index + 1, text, ("agent",)) for index, text in enumerate(texts)]
    result = load("\n".join(texts), {"HOME_NET": ("10.10.0.0/16",), "SEP_AGENT_NET": ("10.10.0.0/16",)})
    assert (result.loaded, result.failed) == (2, 0)
    assert [rule_capacity(rule) for rule in rules] == [2, 1]
    assert result.signatures == rules_capacity(rules) == 3
