"""Property: over random overlays and targets, the compiled policy allows exactly what the plan allows each role,
and everything else from targeted workloads hits the default deny (when on). Untargeted workloads are untouched."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sep_egress.catalog import Catalog, EgressPlan, SourcedOverlay, select
from sep_egress.catalog.load import parse_overlay
from sep_egress.catalog.models import Role
from sep_egress.compile.gcp import FirewallOptions, RoleTarget, parse_targets
from sep_egress.compile.gcp_eval import Connection, Workload, connect, evaluate
from sep_egress.compile.gcp_firewall import compile_firewall_policy

ROLES: tuple[Role, ...] = ("agent", "agent-cloud", "sepm", "sepm-cloud", "console")
PORTS = (443, 80, 8443, 8014)
NETWORK = "projects/p/global/networks/vpc"

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
role_targets = st.fixed_dictionaries(
    {role: st.tuples(st.sampled_from(("secure_tags", "service_accounts")), st.integers(1, 3)) for role in ROLES}
)


def build_plan(catalog: Catalog, hosts: list, cidrs: list, storage: str) -> EgressPlan:
    entries = [
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
        mode="hybrid",
        roles=["console"],
        version="14.3 RU1",
        storage=storage,
        overlays=[SourcedOverlay("generated.yaml", overlay)],
    )


def target_of(kind: str, number: int) -> dict[str, list[str]]:
    if kind == "secure_tags":
        return {"secure_tags": [f"tagValues/{number}"]}
    return {"service_accounts": [f"vm{number}@p.iam.gserviceaccount.com"]}


def workload_of(target: RoleTarget) -> Workload:
    if target.secure_tags:
        return Workload(secure_tags=frozenset(target.secure_tags))
    return Workload(service_account=target.service_accounts[0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    hosts=host_entries,
    cidrs=cidr_entries,
    choice=role_targets,
    default_deny=st.booleans(),
    pga=st.booleans(),
    storage=st.sampled_from(("both", "gcp", "aws")),
)
def test_policy_allows_exactly_the_plan(
    catalog: Catalog, hosts: list, cidrs: list, choice: dict, default_deny: bool, pga: bool, storage: str
) -> None:
    plan = build_plan(catalog, hosts, cidrs, storage)
    targets = parse_targets({role: target_of(*choice[role]) for role in plan.roles})
    spec = compile_firewall_policy(
        plan, targets, FirewallOptions(networks=(NETWORK,), default_deny=default_deny, private_google_access=pga)
    )
    otherwise = "deny" if default_deny else "no-match"
    for role in plan.roles:
        workload = workload_of(targets[role])
        covered = {other for other in plan.roles if targets[other] == targets[role]}
        allowed = {(rule.host, rule.port) for rule in plan.allow if covered & set(rule.roles)}
        for rule in plan.allow:
            verdict = evaluate(spec, workload, connect(spec, rule.host, rule.port)).verdict
            assert verdict == ("allow" if (rule.host, rule.port) in allowed else otherwise), (role, rule)
            assert evaluate(spec, workload, connect(spec, rule.host, 9999)).verdict == otherwise
        for cidr_rule in plan.cidrs:
            address = str(ipaddress.ip_network(cidr_rule.cidr).network_address + 1)
            connection = Connection(ip=address, port=cidr_rule.port, protocol=cidr_rule.protocol)
            expected = "allow" if covered & set(cidr_rule.roles) else otherwise
            assert evaluate(spec, workload, connection).verdict == expected
            other_protocol = "udp" if cidr_rule.protocol == "tcp" else "tcp"
            stray = Connection(ip=address, port=cidr_rule.port, protocol=other_protocol)
            same = any(
                c.cidr == cidr_rule.cidr
                and c.port == cidr_rule.port
                and c.protocol == other_protocol
                and covered & set(c.roles)
                for c in plan.cidrs
            )
            assert evaluate(spec, workload, stray).verdict == ("allow" if same else otherwise)
        for stranger in ("not-in-plan.example.com", "storage.example.org"):
            assert evaluate(spec, workload, connect(spec, stranger, 443)).verdict == otherwise
    untargeted = Workload(secure_tags=frozenset({"tagValues/999"}), service_account="other@p.iam.gserviceaccount.com")
    for rule in plan.allow:
        assert evaluate(spec, untargeted, connect(spec, rule.host, rule.port)).verdict == "no-match"
