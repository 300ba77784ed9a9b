"""Rules added to an existing policy never move, and no step of a change needs a priority another live rule holds.

A rule's priority is immutable: the API addresses a rule by it ("Patches a rule of the specified priority",
``networkFirewallPolicies.patchRule`` in the Compute discovery document), and unique in a policy. Pulumi applies a
change in this order (https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/,
https://www.pulumi.com/docs/iac/concepts/options/deletebeforereplace/): creations and updates in program order, a
replacement creates the new resource before deleting the old one unless ``delete_before_replace`` is set, and the
deletions of removed resources come last. ``apply_in_pulumi_order`` replays exactly that against a model of the
policy's priorities, for the resources the component registers (``rule_resource_name``, ``delete_before_replace``,
the aliases of former names).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sep_egress.catalog import EgressPlan
from sep_egress.catalog.vendor.plan import AllowRule, CidrRule
from sep_egress.compile.gcp import FirewallOptions, GcpSpecError, compile_firewall_policy, parse_targets
from sep_egress.compile.gcp import firewall as gcp_firewall
from sep_egress.compile.gcp.firewall import FirewallPolicySpec, FirewallRule, PriorityLayout, port_keys, stable_hash
from sep_egress.gcp import EgressFirewallPolicy
from sep_egress.gcp.firewall_policy import rule_resource_name
from sep_egress.mock_engine import run_program

NAME = "sep"
RULE_TYPE = "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule"
TARGETS = parse_targets(
    {
        "clients": {"service_accounts": ["agent@p.iam.gserviceaccount.com"]},
        "managers": {"service_accounts": ["sepm@p.iam.gserviceaccount.com"], "runs_agent": True},
        "admin-workstations": {"service_accounts": ["admin@p.iam.gserviceaccount.com"], "runs_agent": False},
    }
)


@dataclass(frozen=True)
class Resource:
    """What the engine keeps of one rule resource: its priority and the options that decide the steps."""

    priority: int
    delete_before_replace: bool
    aliases: tuple[str, ...]


class PriorityConflict(AssertionError):
    pass


def resources(spec: FirewallPolicySpec, naming: Callable[[FirewallRule], str] | None = None) -> dict[str, Resource]:
    """The rule resources of the component for ``spec``, in registration order (by default its own naming)."""
    found: dict[str, Resource] = {}
    for rule in spec.rules:
        name = naming(rule) if naming is not None else rule_resource_name(NAME, rule)
        aliases = tuple(f"{NAME}-{former}" for former in (rule.rule_name, *rule.former_names))
        found[name] = Resource(rule.priority, naming is None, aliases if naming is None else ())
    return found


def apply_in_pulumi_order(old: Mapping[str, Resource], new: Mapping[str, Resource]) -> list[str]:
    """Replay a change as Pulumi orders it; raise ``PriorityConflict`` at the first step that creates a rule at a
    priority a live rule of the policy holds. Returns the steps."""
    live: dict[str, int] = {name: resource.priority for name, resource in old.items()}  # physical rules
    steps: list[str] = []
    claimed: set[str] = set()
    replaced: list[str] = []

    def create(physical: str, priority: int) -> None:
        holders = [name for name, held in live.items() if held == priority]
        if holders:
            raise PriorityConflict(f"creating {physical} at {priority}, held by {holders[0]}")
        live[physical] = priority
        steps.append(f"create {physical}@{priority}")

    for name, resource in new.items():
        previous = next((alias for alias in (name, *resource.aliases) if alias in old and alias not in claimed), None)
        if previous is None:
            create(name, resource.priority)
            continue
        claimed.add(previous)
        if old[previous].priority == resource.priority:
            live[name] = live.pop(previous)
            steps.append(f"update {name}@{resource.priority}")
        elif resource.delete_before_replace:
            del live[previous]
            steps.append(f"delete {previous} (replaced)")
            create(name, resource.priority)
        else:
            create(f"{name} (replacement)", resource.priority)
            replaced.append(previous)
    for name in [*replaced, *(name for name in old if name not in claimed)]:
        live.pop(name, None)
        steps.append(f"delete {name}")
    return steps


def plan_with(base: EgressPlan, entries: Sequence[tuple[str, tuple[int, ...]]]) -> EgressPlan:
    """``base`` and, for each (kind of destination, ports), a host (``h:<n>``) or a declared range (``c:<n>``) that
    the managers reach on those ports."""
    allow = list(base.allow)
    cidrs = list(base.cidrs)
    for name, ports in entries:
        kind, number = name.split(":")
        for port in ports:
            if kind == "h":
                allow.append(AllowRule(f"host{number}.example.net", port, "tls", "exact", ("sepm",), (name,)))
            else:
                cidrs.append(CidrRule(f"198.51.{int(number) % 250}.0/24", port, "tcp", ("sepm",), (name,)))
    return dataclasses.replace(
        base,
        allow=tuple(sorted(allow, key=lambda rule: rule.key)),
        cidrs=tuple(sorted(cidrs, key=lambda rule: rule.key)),
    )


def band(**changes: object) -> FirewallOptions:
    return FirewallOptions(existing_policy="landing-zone", **changes)  # type: ignore[arg-type]


def identities(spec: FirewallPolicySpec) -> dict[tuple[object, ...], int]:
    """Each rule's identity (kind, targets, protocol and ports, bucket or family) -> its priority."""
    return {
        (rule.kind, rule.target, rule.layer4, rule.rule_name.rsplit("-", 1)[-1]): rule.priority for rule in spec.rules
    }


PIN = re.compile(r'options\.port_keys: \{"([0-9,]+)": ([0-9]+)\}')


def compile_as_a_user(
    plan: EgressPlan, pins: dict[str, int], added: tuple[int, ...] | None
) -> tuple[FirewallPolicySpec, dict[str, int]]:
    """Compile; on a refused collision, add the pin the message gives for the port set this change adds (the
    message must name it), as a user would, and compile again."""
    for _ in range(8):
        try:
            return compile_firewall_policy(plan, TARGETS, band(port_keys=dict(pins))), pins
        except GcpSpecError as error:
            refusal = error
        text = str(refusal)
        new = ",".join(map(str, added or ()))
        assert refusal.argument == "options.port_keys", text
        assert added is not None, f"a collision without a new port set: {text}"
        assert "port sets " in text and new in text, text
        suggested = {ports: int(key) for ports, key in PIN.findall(text)}
        assert new in suggested, text
        pins = {**pins, new: suggested[new]}
    raise AssertionError("the pins suggested never resolved the collisions")


def test_3128_and_587_hash_to_one_key_and_neither_moves(hybrid_plan: EgressPlan) -> None:
    """The case found in review: a SEPM allowed to a proxy on TCP 3128, later an SMTP relay on TCP 587; both hash
    to 522. Formerly 587 took 522 and 3128 moved (a replacement the API refused). Now the change is refused at
    preview, naming both port sets and the pin to add; with the pin, 3128 keeps its priority."""
    assert stable_hash("3128", 10) == stable_hash("587", 10) == 522
    before_plan = plan_with(hybrid_plan, [("h:1", (3128,))])
    before = compile_firewall_policy(before_plan, TARGETS, band())
    after_plan = plan_with(hybrid_plan, [("h:1", (3128,)), ("h:2", (587,))])
    with pytest.raises(GcpSpecError) as refused:
        compile_firewall_policy(after_plan, TARGETS, band())
    message = str(refused.value)
    assert message.startswith("options.port_keys: port sets 587 and 3128")
    assert "port key 522" in message and 'options.port_keys: {"3128": 523}' in message
    assert '{"587": 523}' in message
    after = compile_firewall_policy(after_plan, TARGETS, band(port_keys={"587": 523}))
    kept = identities(before)
    assert {key: after_priority for key, after_priority in identities(after).items() if key in kept} == kept
    steps = apply_in_pulumi_order(resources(before), resources(after))
    assert all(not step.startswith("delete") for step in steps)
    # Removing 3128 later moves nothing either, and 587 keeps its pinned key.
    later = compile_firewall_policy(plan_with(hybrid_plan, [("h:2", (587,))]), TARGETS, band(port_keys={"587": 523}))
    assert {key: value for key, value in identities(after).items() if key in identities(later)} == identities(later)
    apply_in_pulumi_order(resources(after), resources(later))


def test_a_key_passing_from_one_port_set_to_another_is_an_update(hybrid_plan: EgressPlan) -> None:
    """3128 removed and 587 added in one change: both want 522 and never coexist, so nothing is refused; the
    resource is named after the priority, so the rule at 522 is updated in place, not created while it is held."""
    before = compile_firewall_policy(plan_with(hybrid_plan, [("h:1", (3128,))]), TARGETS, band())
    after = compile_firewall_policy(plan_with(hybrid_plan, [("h:1", (587,))]), TARGETS, band())
    steps = apply_in_pulumi_order(resources(before), resources(after))
    assert not any(step.startswith(("create", "delete")) for step in steps), steps
    # Named after the rule instead, the same change creates the 587 rule while the 3128 rule holds 522.
    with pytest.raises(PriorityConflict, match="held by"):
        apply_in_pulumi_order(
            resources(before, lambda rule: f"{NAME}-{rule.rule_name}"),
            resources(after, lambda rule: f"{NAME}-{rule.rule_name}"),
        )


def test_the_former_probing_fails_the_replay(hybrid_plan: EgressPlan, monkeypatch: pytest.MonkeyPatch) -> None:
    """The replay can fail: the former band (probing, resources named after their rules) gets stuck on 3128/587."""
    before = compile_firewall_policy(plan_with(hybrid_plan, [("h:1", (3128,))]), TARGETS, band())

    def probing(self: PriorityLayout, port_sets: object, pins: object = None) -> dict[tuple[int, ...], int]:
        return port_keys(port_sets, self.port_bits)  # type: ignore[arg-type]

    monkeypatch.setattr(gcp_firewall.PriorityLayout, "port_keys", probing)
    after = compile_firewall_policy(plan_with(hybrid_plan, [("h:1", (3128,)), ("h:2", (587,))]), TARGETS, band())
    with pytest.raises(PriorityConflict):
        apply_in_pulumi_order(
            resources(before, lambda rule: f"{NAME}-{rule.rule_name}"),
            resources(after, lambda rule: f"{NAME}-{rule.rule_name}"),
        )


PORT_SETS = [(3128,), (587,), (443,), (8443,), (8014,), (80, 443), (25, 587), (2967,), (7070,), (1688,), (53, 88)]
ENTRY = st.tuples(st.sampled_from(["h", "c"]), st.integers(1, 6), st.sampled_from(PORT_SETS))


@pytest.mark.property
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.tuples(st.booleans(), ENTRY), min_size=1, max_size=12),
    extra_ports=st.lists(st.integers(1, 65535).map(lambda port: (port,)), max_size=4),
)
@example(
    steps=[
        (True, ("h", 1, (3128,))),
        (True, ("c", 2, (587,))),
        (False, ("h", 1, (3128,))),
        (True, ("h", 3, (3128,))),
        (False, ("c", 2, (587,))),
    ],
    extra_ports=[],
)
def test_random_changes_never_move_a_rule_nor_need_a_held_priority(
    hybrid_plan: EgressPlan, steps: list[tuple[bool, tuple[str, int, tuple[int, ...]]]], extra_ports: list
) -> None:
    """Random additions and removals of hosts and declared ranges on random port sets (3128 and 587 among them):
    each change is compiled as a user would (adding the pin a refusal names for the port set it adds), then
    replayed in Pulumi's order. No rule present before and after changes its priority, and no step creates a rule
    at a priority a live rule holds."""
    entries: dict[str, tuple[int, ...]] = {}
    pins: dict[str, int] = {}
    spec = compile_firewall_policy(hybrid_plan, TARGETS, band())
    pool = PORT_SETS + extra_ports
    for add, (kind, number, ports) in steps:
        name = f"{kind}:{number}"
        ports = pool[(number + len(ports) + sum(ports)) % len(pool)] if ports == (53, 88) else ports
        if add:
            entries[name] = ports
        else:
            entries.pop(name, None)
        plan = plan_with(hybrid_plan, sorted(entries.items()))
        new_spec, pins = compile_as_a_user(plan, pins, ports if add else None)
        kept = identities(spec)
        moved = {
            key: (kept[key], priority)
            for key, priority in identities(new_spec).items()
            if kept.get(key, priority) != priority
        }
        assert not moved, moved
        apply_in_pulumi_order(resources(spec), resources(new_spec))
        spec = new_spec


def test_the_component_registers_band_rules_by_priority_with_aliases(hybrid_plan: EgressPlan) -> None:
    """What the replay assumes is what the component registers: one rule resource per priority, deleted before
    it is replaced, with the rule's former names as aliases (an upgrade from names after rules is a rename)."""
    plan = plan_with(hybrid_plan, [("h:1", (3128,)), ("c:2", (587,))])
    targets = {
        "clients": {"service_accounts": ["agent@p.iam.gserviceaccount.com"]},
        "managers": {"service_accounts": ["sepm@p.iam.gserviceaccount.com"], "runs_agent": True},
        "admin-workstations": {"service_accounts": ["admin@p.iam.gserviceaccount.com"], "runs_agent": False},
    }
    options = {"existing_policy": "landing-zone", "port_keys": {"587": 523}}
    args = {"plan": plan, "targets": targets, "options": options}
    run = run_program(lambda: EgressFirewallPolicy(NAME, args))
    registered = run.of_type(RULE_TYPE)
    spec = EgressFirewallPolicy.prepare(args)[0]
    assert [resource.name for resource in registered] == list(resources(spec))
    assert all(resource.delete_before_replace for resource in registered)
    for resource, rule in zip(registered, spec.rules, strict=True):
        assert resource.inputs["priority"] == rule.priority
        assert {"name": f"{NAME}-{rule.rule_name}"} in [
            {key: value for key, value in alias.items() if key == "name"} for alias in resource.aliases
        ]


@pytest.mark.parametrize("names", ["address-limited", "all"])
def test_a_proxied_port_set_takes_no_band_key(hybrid_plan: EgressPlan, names: str) -> None:
    """Port sets of names the Secure Web Proxy serves are carried by no FQDN rule: they take no key, so they
    cannot collide. Here an S3 bucket name (address-limited) on 3128 and another host on 587 both hash to 522: without
    a proxy the change is refused; with the proxy serving the bucket name, 587 takes 522 and nothing is refused."""
    from sep_egress.compile.gcp import ProxyRoute

    bucket = AllowRule("bucket-x.s3.amazonaws.com", 3128, "tls", "exact", ("sepm",), ("h:1",))
    base = plan_with(hybrid_plan, [("h:2", (587,))])
    plan = dataclasses.replace(base, allow=tuple(sorted([*base.allow, bucket], key=lambda rule: rule.key)))
    with pytest.raises(GcpSpecError, match=r"port sets 587 and 3128 both take port key 522"):
        compile_firewall_policy(plan, TARGETS, band())
    route = ProxyRoute(address="10.0.0.10", port=443, names=names)  # type: ignore[arg-type]
    spec = compile_firewall_policy(plan, TARGETS, band(secure_web_proxy=route))
    fqdn = [rule for rule in spec.rules if rule.kind == "fqdn"]
    assert all("bucket-x.s3.amazonaws.com" not in rule.dest_fqdns for rule in fqdn)
    assert all(rule.layer4[0].ports != ("3128",) for rule in spec.rules)
    if names == "address-limited":
        (smtp,) = [rule for rule in fqdn if rule.layer4[0].ports == ("587",)]
        assert "host2.example.net" in smtp.dest_fqdns
    # The proxied names' keys were never assigned: the same plan without the bucket gives the same rules.
    without = compile_firewall_policy(base, TARGETS, band(secure_web_proxy=route))
    assert identities(without) == identities(spec)
