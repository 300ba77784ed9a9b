"""Machines that run the agent get the agent's hosts: the machine-kind union, with managers and administrators'
workstations that also run the SEP client (``runs_agent``), judged by the evaluator as the VMs they are.

What the model adds to the kinds: a SEPM server normally runs the SEP client too, and so may an administrator's
workstation; each VM still carries one service account (or one value per tag key). A manager that runs the
client must reach every host of the agent tables as well as its own; one that says it runs none must not.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sep_egress.catalog import Catalog, EgressPlan, select
from sep_egress.compile.gcp import FirewallOptions, GcpSpecError, compile_firewall_policy, parse_targets
from sep_egress.compile.gcp.evaluate import Machine, check_machines
from sep_egress.compile.gcp.firewall import RULE_NAME, kind_roles
from sep_egress.compile.gcp.options import KIND_ROLES

NETWORK = "projects/p/global/networks/vpc"
ACCOUNT = "{}@p.iam.gserviceaccount.com"
SAYS = st.sampled_from((True, False, None))


def warned(plan: EgressPlan, targets: dict, **options: object) -> set[str]:
    spec = compile_firewall_policy(plan, parse_targets(targets), FirewallOptions(networks=(NETWORK,), **options))  # type: ignore[arg-type]
    return {warning.code for warning in spec.warnings}


@pytest.mark.property
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=st.sampled_from(("on-prem", "hybrid", "cloud")),
    console=st.booleans(),
    manager_runs=SAYS,
    admin_runs=SAYS,
    listed_as_client=st.booleans(),
    tags=st.booleans(),
    band=st.booleans(),
    default_deny=st.booleans(),
)
def test_each_machine_gets_the_union_of_the_roles_it_plays(
    catalog: Catalog,
    mode: str,
    console: bool,
    manager_runs: bool | None,
    admin_runs: bool | None,
    listed_as_client: bool,
    tags: bool,
    band: bool,
    default_deny: bool,
) -> None:
    """For random plans and random ``runs_agent`` answers (and a manager also listed under clients, the other way
    to say it), the manager VM and the administrator's VM reach exactly the hosts of the roles they play."""
    plan = select(catalog, mode=mode, version="14.3 RU1", roles=["console"] if console else [])
    raw: dict[str, dict] = {}
    machines: dict[str, list[Machine]] = {}

    def add(kind: str, name: str, runs: bool | None, plays_agent: bool) -> None:
        if not set(KIND_ROLES[kind]) & set(plan.roles):  # type: ignore[index]
            return
        target: dict = (
            {"secure_tags": [f"tagValues/{len(raw) + 1}"]} if tags else {"service_accounts": [ACCOUNT.format(name)]}
        )
        machine = (
            Machine.carrying([(f"tagKeys/{kind}", target["secure_tags"][0])])
            if tags
            else Machine(service_account=ACCOUNT.format(name))
        )
        if runs is not None:
            target["runs_agent"] = runs
        raw[kind] = target
        machines.setdefault(kind, []).append(machine)
        if plays_agent and "clients" in raw:
            machines["clients"].append(machine)

    add("clients", "agent", None, False)
    add("managers", "sepm", manager_runs, bool(manager_runs))
    if listed_as_client and "managers" in raw and "clients" in raw and not tags and not manager_runs:
        raw["clients"]["service_accounts"].append(ACCOUNT.format("sepm"))
        machines["clients"].append(machines["managers"][0])
    add("admin-workstations", "admin", admin_runs, bool(admin_runs))
    existing = {"existing_policy": "landing-zone"} if band else {"networks": (NETWORK,)}
    targets = parse_targets(raw)
    spec = compile_firewall_policy(plan, targets, FirewallOptions(default_deny=default_deny, **existing))  # type: ignore[arg-type]
    assert check_machines(spec, plan, machines, default_deny) == []
    codes = {warning.code for warning in spec.warnings}
    manager_covered = manager_runs is not None or (listed_as_client and not tags)
    agent_in_plan = "agent" in plan.roles
    expect_warning = "managers" in raw and not manager_covered and agent_in_plan
    assert ("gcp-manager-without-agent" in codes) == expect_warning
    for rule in spec.rules:
        assert len(rule.rule_name) <= 63 and RULE_NAME.fullmatch(rule.rule_name)


def test_prod_shape_warns_until_the_manager_says_whether_it_runs_the_client(hybrid_plan: EgressPlan) -> None:
    targets = {
        "clients": {"service_accounts": [ACCOUNT.format("agent")]},
        "managers": {"service_accounts": [ACCOUNT.format("sepm")]},
        "admin-workstations": {"service_accounts": [ACCOUNT.format("admin")]},
    }
    assert "gcp-manager-without-agent" in warned(hybrid_plan, targets)
    for says in (True, False):
        targets["managers"]["runs_agent"] = says
        assert "gcp-manager-without-agent" not in warned(hybrid_plan, targets)
    assert kind_roles("managers", parse_targets(targets)["managers"]) == ("sepm", "sepm-cloud")


def test_clients_cannot_say_runs_agent(hybrid_plan: EgressPlan) -> None:
    targets = {
        "clients": {"service_accounts": [ACCOUNT.format("agent")], "runs_agent": False},
        "managers": {"service_accounts": [ACCOUNT.format("sepm")]},
        "admin-workstations": {"service_accounts": [ACCOUNT.format("admin")]},
    }
    with pytest.raises(GcpSpecError, match=r"^targets\.clients\.runs_agent: clients run the agent by definition"):
        warned(hybrid_plan, targets)
    with pytest.raises(GcpSpecError, match=r"^targets\.managers\.runs_agent: .* is not a boolean"):
        parse_targets({"managers": {"service_accounts": [ACCOUNT.format("sepm")], "runs_agent": "yes"}})
