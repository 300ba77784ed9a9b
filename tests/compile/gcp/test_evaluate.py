"""Property: over random overlays, modes and targets, every machine reaches exactly what its roles need.

The evaluator models a machine as what a VM really carries: one value per secure tag key and one service account.
A cloud-managed agent plays ``agent`` and ``agent-cloud``; an enrolled manager ``sepm`` and ``sepm-cloud``. Every
(machine kind, mode, host, port) is judged by priority across all rules of the policy, in a created policy and in
the reserved band of an existing one. A compiler that went back to one target per role must fail this.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sep_egress.catalog import Catalog, EgressPlan, SourcedOverlay, select
from sep_egress.catalog.vendor.load import parse_overlay
from sep_egress.catalog.vendor.models import Role
from sep_egress.compile.gcp import MACHINE_KINDS, FirewallOptions, GcpSpecError, RoleTarget, parse_targets
from sep_egress.compile.gcp import firewall as gcp_firewall
from sep_egress.compile.gcp.evaluate import (
    Connection,
    Machine,
    check_machines,
    connect,
    evaluate,
    machines_of,
    policy_from_api,
)
from sep_egress.compile.gcp.firewall import TargetGroup, compile_firewall_policy
from sep_egress.compile.gcp.options import KIND_ROLES

ROLES: tuple[Role, ...] = ("agent", "agent-cloud", "sepm", "sepm-cloud", "console")
MODES = ("on-prem", "hybrid", "cloud")
PORTS = (443, 80, 8443, 8014)
NETWORK = "projects/sep-project/global/networks/vpc"
TAG_KEY = "tagKeys/77"

host_entries = st.lists(
    st.tuples(
        st.sampled_from(ROLES),
        st.lists(st.integers(0, 60), min_size=1, max_size=8, unique=True),
        st.lists(st.sampled_from(PORTS), min_size=1, max_size=2, unique=True),
    ),
    max_size=5,
)
cidr_entries = st.lists(
    st.tuples(
        st.sampled_from(ROLES),
        st.integers(0, 15),
        st.sampled_from(("198.51.100", "10.9.0")),
        st.sampled_from(("tcp", "udp")),
        st.sampled_from(PORTS),
    ),
    max_size=3,
)
# Per machine kind: tags or accounts, and which of three values; kinds that draw the same value share targets.
kind_targets = st.fixed_dictionaries(
    {kind: st.tuples(st.sampled_from(("secure_tags", "service_accounts")), st.integers(1, 3)) for kind in MACHINE_KINDS}
)


def build_plan(catalog: Catalog, mode: str, console: bool, hosts: list, cidrs: list, storage: str) -> EgressPlan:
    entries: list[dict[str, Any]] = [
        {
            "id": f"host-{index}",
            "role": role,
            "usage": {"en": "generated"},
            "urls": [f"h{number}.example.org" for number in numbers],
            "ports": sorted(ports),
        }
        for index, (role, numbers, ports) in enumerate(hosts)
    ]
    entries += [
        {
            "id": f"range-{index}",
            "role": role,
            "usage": {"en": "generated"},
            "cidrs": [f"{prefix}.{16 * block}/28"],
            "ports": [port],
            "protocol": protocol,
        }
        for index, (role, block, prefix, protocol, port) in enumerate(cidrs)
    ]
    overlay = parse_overlay({"entries": entries}, "generated.yaml")
    return select(
        catalog,
        mode=mode,
        roles=["console"] if console else [],
        version="14.3 RU1",
        storage=storage,
        overlays=[SourcedOverlay("generated.yaml", overlay)],
    )


def value_of(kind: str, number: int) -> str:
    return f"tagValues/{number}" if kind == "secure_tags" else f"vm{number}@p.iam.gserviceaccount.com"


def kinds_in(plan: EgressPlan) -> list[str]:
    return [kind for kind in MACHINE_KINDS if set(KIND_ROLES[kind]) & set(plan.roles)]


def stand_ins(plan: EgressPlan, targets: dict[str, RoleTarget]) -> dict[str, list[Machine]]:
    """For each kind, one machine per target value, carrying that value alone (under the one key) or account.

    Kinds that share a value share the machine: it plays all of their roles, as the policy then means."""
    keys = {value: TAG_KEY for target in targets.values() for value in target.secure_tags}
    return {kind: machines_of(targets[kind].values, keys) for kind in targets}


@pytest.mark.property
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(MODES),
    console=st.booleans(),
    hosts=host_entries,
    cidrs=cidr_entries,
    choice=kind_targets,
    default_deny=st.booleans(),
    pga=st.sampled_from((None, "private", "restricted")),
    band=st.sampled_from((None, 0, 1_000_000_000)),
    storage=st.sampled_from(("both", "gcp", "aws")),
)
def test_every_machine_reaches_what_its_roles_need_and_nothing_else(
    catalog: Catalog,
    mode: str,
    console: bool,
    hosts: list,
    cidrs: list,
    choice: dict,
    default_deny: bool,
    pga: str | None,
    band: int | None,
    storage: str,
) -> None:
    plan = build_plan(catalog, mode, console, hosts, cidrs, storage)
    raw = {kind: {choice[kind][0]: [value_of(*choice[kind])]} for kind in kinds_in(plan)}
    # A value given as tags to one kind and as accounts to another cannot collide: different spellings.
    targets = parse_targets(raw)
    existing = {"existing_policy": "landing-zone", "priority_band_start": band} if band is not None else {}
    options = FirewallOptions(
        networks=(NETWORK,),
        default_deny=default_deny,
        private_google_access=pga is not None,
        google_access_vip=pga or "private",
        **existing,  # type: ignore[arg-type]
    )
    spec = compile_firewall_policy(plan, targets, options)
    if band is not None:
        assert all(band <= rule.priority < band + (1 << 22) for rule in spec.rules)
        assert spec.associations == ()
    machines = stand_ins(plan, targets)
    assert check_machines(spec, plan, machines, default_deny) == []

    otherwise = "deny" if default_deny else "no-match"
    kinds_of: dict[Machine, set[str]] = {}
    for kind, kind_machines in machines.items():
        for machine in kind_machines:
            kinds_of.setdefault(machine, set()).add(kind)
    for machine, kinds in kinds_of.items():
        roles = {role for kind in kinds for role in KIND_ROLES[kind]}  # type: ignore[index]
        for cidr_rule in plan.cidrs:
            address = str(ipaddress.ip_network(cidr_rule.cidr).network_address + 1)
            connection = Connection(ip=address, port=cidr_rule.port, protocol=cidr_rule.protocol)
            wanted = any(
                c.cidr == cidr_rule.cidr and c.port == cidr_rule.port and c.protocol == cidr_rule.protocol
                for c in plan.cidrs
                if roles & set(c.roles)
            )
            assert evaluate(spec, machine, connection).verdict == ("allow" if wanted else otherwise)
        for rule in plan.allow:
            assert evaluate(spec, machine, connect(spec, rule.host, 9999)).verdict == otherwise
        for stranger in ("not-in-plan.example.com", "storage.example.org"):
            assert evaluate(spec, machine, connect(spec, stranger, 443)).verdict == otherwise
    untargeted = Machine.carrying([(TAG_KEY, "tagValues/999")], "other@p.iam.gserviceaccount.com")
    for rule in plan.allow:
        assert evaluate(spec, untargeted, connect(spec, rule.host, rule.port)).verdict == "no-match"


def per_role_groups(plan: EgressPlan, targets: Any, options: FirewallOptions) -> tuple[TargetGroup, ...]:
    """The former design: one target (one tag value) per role, each role's rules ending in its own deny."""
    return tuple(
        TargetGroup(mask=1 << index, kinds=(), roles=(role,), target=targets[role])
        for index, role in enumerate(ROLES)
        if role in plan.roles
    )


@pytest.mark.parametrize("mode", ["hybrid", "cloud"])
def test_one_value_per_role_fails_the_machine_model(
    catalog: Catalog, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mutation back to one tag value per role: a cloud-managed agent VM can carry only one value of the key,
    so it is denied the other table's hosts. The check must catch it (and does not without the machine model)."""
    plan = select(catalog, mode=mode, version="14.3 RU1")
    per_role = {role: RoleTarget(secure_tags=(f"created:{role}",)) for role in plan.roles}
    monkeypatch.setattr(gcp_firewall, "target_groups", per_role_groups)
    spec = compile_firewall_policy(plan, per_role, FirewallOptions(networks=(NETWORK,)))
    machines = {
        "clients": machines_of(["created:agent"]) + machines_of(["created:agent-cloud"]),
    }
    failures = check_machines(spec, plan, machines)
    denied = {(failure.host, failure.verdict) for failure in failures}
    assert ("usea1.r3.securitycloud.symantec.com", "deny") in denied
    assert ("storage.googleapis.com", "deny") in denied
    # The former model's workload carried both values at once, which no VM can under one key: it saw no failure.
    impossible = Machine(tags=(("as-if-key-1", "created:agent"), ("as-if-key-2", "created:agent-cloud")))
    assert check_machines(spec, plan, {"clients": [impossible]}) == []


def test_a_machine_carries_one_value_per_key() -> None:
    with pytest.raises(GcpSpecError, match="one value per key"):
        Machine.carrying([(TAG_KEY, "tagValues/1"), (TAG_KEY, "tagValues/2")])
    machine = Machine.carrying([(TAG_KEY, "tagValues/1"), ("tagKeys/8", "tagValues/2")])
    assert machine.tag_values == {"tagValues/1", "tagValues/2"}


def test_role_targets_that_no_machine_could_carry_are_refused(cloud_plan: EgressPlan, hybrid_plan: EgressPlan) -> None:
    options = FirewallOptions(networks=(NETWORK,))
    split = {"agent": {"secure_tags": ["created:agent"]}, "agent-cloud": {"secure_tags": ["created:agent-cloud"]}}
    with pytest.raises(GcpSpecError, match=r"^targets\.agent-cloud: differs from targets\.agent"):
        compile_firewall_policy(cloud_plan, parse_targets(split), options)
    with pytest.raises(GcpSpecError, match=r"^targets\.agent-cloud: no target"):
        compile_firewall_policy(cloud_plan, parse_targets({"agent": {"secure_tags": ["tagValues/1"]}}), options)
    with pytest.raises(GcpSpecError, match=r"^options\.skip_roles\[0\]: 'agent-cloud' runs on the same machines"):
        compile_firewall_policy(
            cloud_plan,
            parse_targets({"agent": {"secure_tags": ["tagValues/1"]}}),
            FirewallOptions(networks=(NETWORK,), skip_roles=("agent-cloud",)),
        )
    with pytest.raises(GcpSpecError, match=r"^targets\.agent: given both for the machine kind 'clients'"):
        parse_targets({"clients": {"secure_tags": ["tagValues/1"]}, "agent": {"secure_tags": ["tagValues/1"]}})
    with pytest.raises(
        GcpSpecError, match=r"^targets\.managers: the machine kind 'managers' plays no role of the plan"
    ):
        compile_firewall_policy(
            cloud_plan,
            parse_targets({"clients": {"secure_tags": ["tagValues/1"]}, "managers": {"secure_tags": ["tagValues/2"]}}),
            options,
        )
    with pytest.raises(GcpSpecError, match=r"^targets\.admin-workstations: .*no target is given"):
        compile_firewall_policy(
            hybrid_plan,
            parse_targets({"clients": {"secure_tags": ["tagValues/1"]}, "managers": {"secure_tags": ["tagValues/2"]}}),
            options,
        )
    # Identical role targets describe one machine: accepted, and the same rules as the kind-keyed form.
    same = {role: {"service_accounts": ["agent@p.iam.gserviceaccount.com"]} for role in ("agent", "agent-cloud")}
    by_kind = {"clients": {"service_accounts": ["agent@p.iam.gserviceaccount.com"]}}
    assert (
        compile_firewall_policy(cloud_plan, parse_targets(same), options).to_api()
        == compile_firewall_policy(cloud_plan, parse_targets(by_kind), options).to_api()
    )


def test_a_manager_that_also_runs_the_client_gets_both(hybrid_plan: EgressPlan) -> None:
    """One tag key, the manager VM carrying its one value, listed under both kinds: allows of both groups come
    before any deny, so the union holds."""
    targets = parse_targets(
        {
            "clients": {"secure_tags": ["tagValues/1", "tagValues/2"]},
            "managers": {"secure_tags": ["tagValues/2"]},
            "admin-workstations": {"secure_tags": ["tagValues/3"]},
        }
    )
    spec = compile_firewall_policy(hybrid_plan, targets, FirewallOptions(networks=(NETWORK,)))
    manager = Machine.carrying([(TAG_KEY, "tagValues/2")])
    client = Machine.carrying([(TAG_KEY, "tagValues/1")])
    machines = {
        "clients": [client, manager],
        "managers": [manager],
        "admin-workstations": stand_ins(hybrid_plan, {"admin-workstations": targets["admin-workstations"]})[
            "admin-workstations"
        ],
    }
    assert check_machines(spec, hybrid_plan, machines) == []


def test_a_policy_rebuilt_from_its_request_bodies_judges_the_same(hybrid_plan: EgressPlan) -> None:
    """What a preview records (the API bodies) evaluates like the compiled spec, so previews can be judged."""
    targets = parse_targets({kind: {"secure_tags": [f"tagValues/{index}"]} for index, kind in enumerate(MACHINE_KINDS)})
    spec = compile_firewall_policy(
        hybrid_plan, targets, FirewallOptions(networks=(NETWORK,), private_google_access=True)
    )
    rebuilt = policy_from_api([rule.to_api() for rule in spec.rules], spec.pga_hosts, spec.pga_range)
    machines = stand_ins(hybrid_plan, targets)
    assert check_machines(rebuilt, hybrid_plan, machines) == []
    without_clients = policy_from_api(
        [rule.to_api() for rule in spec.rules if not (rule.action == "allow" and "agent" in rule.roles)],
        spec.pga_hosts,
        spec.pga_range,
    )
    assert {failure.kind for failure in check_machines(without_clients, hybrid_plan, machines)} == {"clients"}
