"""The Cloud NGFW policy compiler: rules per target group and port set, chunking, stable priorities, options."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import pytest

from sep_egress.catalog import Catalog, EgressPlan, SourcedOverlay, select
from sep_egress.catalog.internal import destinations_from_config
from sep_egress.catalog.vendor.load import parse_overlay
from sep_egress.catalog.vendor.plan import AllowRule
from sep_egress.compile.gcp import MACHINE_KINDS, FirewallOptions, GcpSpecError, diff_rules, parse_targets
from sep_egress.compile.gcp.evaluate import Connection as GcpConnection
from sep_egress.compile.gcp.evaluate import Machine, evaluate
from sep_egress.compile.gcp.firewall import (
    FQDNS_PER_RULE,
    PRIVATE_GOOGLE_ACCESS_RANGE,
    STORAGE_HOST,
    FirewallPolicySpec,
    bucketize,
    compile_firewall_policy,
    port_keys,
)
from sep_egress.compile.gcp.options import KIND_ROLES

from support import NETWORK, ROOT, SEPM, hybrid
from support import firewall_options as options


def plan_kinds(plan: EgressPlan) -> list[str]:
    return [kind for kind in MACHINE_KINDS if set(KIND_ROLES[kind]) & set(plan.roles)]


def tag_targets(plan: EgressPlan) -> dict:
    """One tag value per machine kind of the plan (values of one key, as the component creates them)."""
    return parse_targets(
        {kind: {"secure_tags": [f"tagValues/{index + 1}"]} for index, kind in enumerate(plan_kinds(plan))}
    )


def with_hosts(plan: EgressPlan, hosts: list[str], roles: tuple = ("agent",), port: int = 443) -> EgressPlan:
    extra = tuple(AllowRule(host, port, "tls", "exact", roles, ("test",)) for host in hosts)
    return dataclasses.replace(plan, allow=tuple(sorted(plan.allow + extra, key=lambda rule: rule.key)))


def big_overlay_plan(catalog: Catalog, count: int) -> EgressPlan:
    overlay = parse_overlay(
        {
            "entries": [
                {
                    "id": "bulk",
                    "role": "agent",
                    "usage": {"en": "bulk test hosts"},
                    "urls": [f"https://h{index:05d}.example.net" for index in range(count)],
                }
            ]
        },
        "bulk.yaml",
    )
    return select(catalog, mode="hybrid", version="14.3 RU1", overlays=[SourcedOverlay("bulk.yaml", overlay)])


@pytest.mark.parametrize("fixture", ["on_prem_plan", "hybrid_plan", "cloud_plan"])
def test_every_plan_host_is_in_an_allow_rule_of_each_role(fixture: str, request: pytest.FixtureRequest) -> None:
    plan: EgressPlan = request.getfixturevalue(fixture)
    spec = compile_firewall_policy(plan, tag_targets(plan), options())
    for allow in plan.allow:
        for role in allow.roles:
            assert any(
                rule.action == "allow" and role in rule.roles and allow.host in rule.dest_fqdns for rule in spec.rules
            ), (allow.host, role)
    assert spec.tier == "standard"
    assert all(rule.enable_logging for rule in spec.rules)


def test_rules_are_grouped_by_target_and_port_set_with_the_minimum_count(hybrid_plan: EgressPlan) -> None:
    spec = compile_firewall_policy(hybrid_plan, tag_targets(hybrid_plan), options())
    fqdn = [rule for rule in spec.rules if rule.kind == "fqdn"]
    assert len(fqdn) == len(plan_kinds(hybrid_plan))  # every machine kind has < 100 names on tcp/443
    deny = [rule for rule in spec.rules if rule.kind == "deny"]
    assert {rule.dest_ip_ranges for rule in deny} == {("0.0.0.0/0",), ("::/0",)}
    assert max(rule.priority for rule in fqdn) < min(rule.priority for rule in deny)


def test_roles_with_identical_targets_share_rules(hybrid_plan: EgressPlan) -> None:
    targets = parse_targets(
        {role: {"service_accounts": ["vm@p.iam.gserviceaccount.com"]} for role in hybrid_plan.roles}
    )
    spec = compile_firewall_policy(hybrid_plan, targets, options())
    assert {rule.roles for rule in spec.rules} == {hybrid_plan.roles}
    assert len([rule for rule in spec.rules if rule.kind == "fqdn"]) == 1
    assert all(rule.to_api()["targetServiceAccounts"] == ["vm@p.iam.gserviceaccount.com"] for rule in spec.rules)


# Compiles firewall, NAT and PGA for a hybrid plan with an overlay (host names, public, private and IPv6 ranges),
# roles sharing targets, optionally with the plan's tuples and the targets shuffled by argv[1]; prints the JSON.
DETERMINISM_PROGRAM = textwrap.dedent(
    """
    import dataclasses, random, sys
    from sep_egress.catalog import SourcedOverlay, load_catalog, select
    from sep_egress.catalog.vendor.load import parse_overlay
    from sep_egress.compile.gcp import (
        FirewallOptions, NatOptions, NatRuleNumber, PrivateAccessOptions, compile_gcp, parse_targets,
    )

    overlay = parse_overlay(
        {
            "entries": [
                {"id": "bulk", "role": "agent", "usage": {"en": "bulk"},
                 "urls": [f"https://h{i:04d}.example.net" for i in range(450)]},
                {"id": "corp-proxy", "role": "agent", "usage": {"en": "proxy"},
                 "cidrs": ["203.0.113.0/28", "10.1.0.0/16"], "ports": [8080, 3128]},
                {"id": "corp-other", "role": "sepm", "usage": {"en": "other"},
                 "cidrs": ["203.0.113.0/28"], "ports": [443]},
                {"id": "partner", "role": "sepm", "usage": {"en": "partner"},
                 "cidrs": ["198.51.100.0/28", "198.51.100.16/28", "2001:db8::/48"], "ports": [443, 8443]},
            ]
        },
        "determinism.yaml",
    )
    plan = select(load_catalog(), mode="hybrid", roles=["console"], version="14.3 RU1",
                  overlays=[SourcedOverlay("determinism.yaml", overlay)])
    raw = {
        kind: ({"service_accounts": ["shared@p.iam.gserviceaccount.com"]} if index % 2
               else {"secure_tags": [f"tagValues/{index + 1}", f"tagValues/{index + 100}"]})
        for index, kind in enumerate(("clients", "managers", "admin-workstations"))
    }
    if sys.argv[1] != "none":
        rng = random.Random(int(sys.argv[1]))
        shuffled = lambda items: tuple(rng.sample(list(items), len(items)))
        plan = dataclasses.replace(
            plan, allow=shuffled(plan.allow), cidrs=shuffled(plan.cidrs), roles=shuffled(plan.roles)
        )
        raw = {role: {kind: list(shuffled(values)) for kind, values in raw[role].items()} for role in shuffled(raw)}
    spec = compile_gcp(
        plan,
        parse_targets(raw),
        FirewallOptions(networks=("projects/p/global/networks/vpc",), private_google_access=True),
        NatOptions(region="europe-west1", network="vpc", subnetworks=("workloads",),
                   rule_numbers=(NatRuleNumber("partner", 7),)),
        PrivateAccessOptions(networks=("projects/p/global/networks/vpc",)),
    )
    sys.stdout.write(spec.to_json())
    """
)


@pytest.mark.real_program
def test_specs_are_byte_identical_across_processes_hash_seeds_and_input_orders() -> None:
    """``hash()`` is salted per process, and sets and dicts built from plan tuples follow input order: compile in
    fresh interpreters with different PYTHONHASHSEED values, the plan's tuples and the targets shuffled."""
    root = ROOT
    outputs = {}
    for seed, shuffle in (("0", "none"), ("1", "1"), ("4242", "2"), ("random", "3")):
        result = subprocess.run(
            [sys.executable, "-c", DETERMINISM_PROGRAM, shuffle],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        outputs[(seed, shuffle)] = result.stdout
    reference = outputs[("0", "none")]
    document = json.loads(reference)
    assert len(document["firewallPolicy"]["rules"]) > 10 and document["router"]["nats"][0]["rules"]
    assert {"gcp-nat-skipped-ranges", "gcp-pga-all-google-apis"} <= {w["code"] for w in document["warnings"]}
    for key, output in outputs.items():
        assert output == reference, f"PYTHONHASHSEED={key[0]}, shuffle {key[1]} differs"


def test_same_plan_gives_byte_identical_specs(hybrid_plan: EgressPlan) -> None:
    first = compile_firewall_policy(hybrid_plan, tag_targets(hybrid_plan), options())
    second = compile_firewall_policy(hybrid_plan, tag_targets(hybrid_plan), options())
    assert first.to_api() == second.to_api()
    assert repr(first) == repr(second)


def test_large_overlay_is_chunked_at_100_names(catalog: Catalog) -> None:
    plan = big_overlay_plan(catalog, 1500)
    spec = compile_firewall_policy(plan, tag_targets(plan), options())
    agent = [rule for rule in spec.rules if rule.kind == "fqdn" and rule.roles == ("agent", "agent-cloud")]
    names = [name for rule in agent for name in rule.dest_fqdns]
    assert len(names) == len(set(names)) == len(catalog_agent_hosts(plan))
    assert all(len(rule.dest_fqdns) <= FQDNS_PER_RULE for rule in spec.rules)
    assert len(agent) >= -(-len(names) // FQDNS_PER_RULE)
    assert len({rule.priority for rule in spec.rules}) == len(spec.rules)


def catalog_agent_hosts(plan: EgressPlan) -> set[str]:
    """Every host a client machine needs: the agent and agent-cloud tables."""
    return {rule.host for rule in plan.allow if {"agent", "agent-cloud"} & set(rule.roles)}


def test_adding_or_removing_one_host_changes_one_rule(catalog: Catalog) -> None:
    plan = big_overlay_plan(catalog, 3000)
    targets = tag_targets(plan)
    before = compile_firewall_policy(plan, targets, options())
    for host in ("new-one.example.org", "another.example.com", "zz.example.io"):
        after = compile_firewall_policy(with_hosts(plan, [host]), targets, options())
        change = diff_rules(before, after)
        assert change.deleted == ()
        assert len(change.updated) + len(change.created) >= 1
        assert change.touched <= 2  # one rule updated, or a full bucket split into two
        if not change.created:
            assert len(change.updated) == 1
    removed = dataclasses.replace(plan, allow=tuple(rule for rule in plan.allow if rule.host != "h00042.example.net"))
    change = diff_rules(before, compile_firewall_policy(removed, targets, options()))
    assert change.touched <= 2 and change.created == ()


def test_bucketize_is_a_pure_function_of_each_name() -> None:
    names = [f"n{index}.example.com" for index in range(450)]
    buckets = dict(bucketize(names, 100, 7))
    assert sum(len(items) for items in buckets.values()) == 450
    assert all(len(items) <= 100 for items in buckets.values())
    assert dict(bucketize(reversed(names), 100, 7)) == buckets
    with pytest.raises(OverflowError):
        bucketize(names, 10, 2)


def test_port_keys_are_stable_and_distinct() -> None:
    keys = port_keys([(443,), (80, 443), (8014,), (80, 8080, 443)])
    assert keys[(443,)] == 443 and keys[(8014,)] == 8014
    assert len(set(keys.values())) == 4
    assert port_keys([(80, 443)])[(80, 443)] == keys[(80, 443)]


def test_multi_port_hosts_get_their_own_rule(cloud_plan: EgressPlan) -> None:
    plan = with_hosts(with_hosts(cloud_plan, ["dual.example.com"], port=80), ["dual.example.com"])
    spec = compile_firewall_policy(plan, tag_targets(plan), options())
    dual = [rule for rule in spec.rules if "dual.example.com" in rule.dest_fqdns]
    assert len(dual) == 1
    assert dual[0].layer4[0].ports == ("80", "443")


def test_suffix_rules_are_refused_or_reduced_to_the_apex(cloud_plan: EgressPlan) -> None:
    suffix = AllowRule("cdn.example.com", 443, "tls", "suffix", ("agent",), ("wild",))
    plan = dataclasses.replace(cloud_plan, allow=(*cloud_plan.allow, suffix))
    with pytest.raises(GcpSpecError, match=r"plan\.allow: cdn\.example\.com .*exact names only"):
        compile_firewall_policy(plan, tag_targets(plan), options())
    spec = compile_firewall_policy(plan, tag_targets(plan), options(suffix_policy="apex-only"))
    assert any("cdn.example.com" in rule.dest_fqdns for rule in spec.rules)
    assert "gcp-suffix-apex-only" in {warning.code for warning in spec.warnings}


def test_default_deny_is_optional_and_the_enforcement_order_is_explained(cloud_plan: EgressPlan) -> None:
    targets = tag_targets(cloud_plan)
    without = compile_firewall_policy(cloud_plan, targets, options(default_deny=False))
    assert not [rule for rule in without.rules if rule.action == "deny"]
    after = compile_firewall_policy(cloud_plan, targets, options(enforcement_order="AFTER_CLASSIC_FIREWALL"))
    assert "classic egress allow rule" in warning_text(after, "gcp-enforcement-order")
    before = compile_firewall_policy(cloud_plan, targets, options())
    assert before.network_settings() == {"networkFirewallPolicyEnforcementOrder": "BEFORE_CLASSIC_FIREWALL"}
    # The component does not own the networks: every plan with a default deny says the deny waits for the order.
    text = warning_text(before, "gcp-enforcement-order")
    assert f"does not hold until {NETWORK} set networkFirewallPolicyEnforcementOrder BEFORE_CLASSIC_FIREWALL" in text
    banded = compile_firewall_policy(cloud_plan, targets, FirewallOptions(existing_policy="lz-policy"))
    assert "the networks of policy lz-policy" in warning_text(banded, "gcp-enforcement-order")
    assert "gcp-enforcement-order" not in {warning.code for warning in without.warnings}


def warning_text(spec: FirewallPolicySpec, code: str) -> str:
    (warning,) = [warning for warning in spec.warnings if warning.code == code]
    return warning.message


def test_hierarchical_policy_targets_networks_and_is_named_by_short_name(hybrid_plan: EgressPlan) -> None:
    spec = compile_firewall_policy(
        hybrid_plan,
        tag_targets(hybrid_plan),
        FirewallOptions(scope="organization", parent="organizations/1234", networks=(NETWORK,)),
    )
    body = spec.to_api()
    assert body["shortName"] == "sep-egress" and "name" not in body
    assert all(rule["targetResources"] == [NETWORK] for rule in body["rules"])
    assert [a.to_api() for a in spec.associations] == [
        {"name": "sep-egress-organizations-1234", "attachmentTarget": "organizations/1234"}
    ]
    assert spec.network_settings() == {}


def test_private_google_access_replaces_the_storage_fqdn(cloud_plan: EgressPlan) -> None:
    targets = tag_targets(cloud_plan)
    spec = compile_firewall_policy(cloud_plan, targets, options(private_google_access=True))
    assert not any(STORAGE_HOST in rule.dest_fqdns for rule in spec.rules)
    pga = [rule for rule in spec.rules if rule.kind == "pga"]
    assert [(rule.roles, rule.dest_ip_ranges) for rule in pga] == [
        (("agent", "agent-cloud"), (PRIVATE_GOOGLE_ACCESS_RANGE,))
    ]
    plain = compile_firewall_policy(cloud_plan, targets, options())
    assert "gcp-shared-bucket" in {warning.code for warning in plain.warnings}
    limit = next(warning for warning in plain.warnings if warning.code == "gcp-fqdn-address-limit")
    assert STORAGE_HOST in limit.hosts
    assert any(host.endswith(".s3.amazonaws.com") for host in limit.hosts)
    # Served by Private Google Access (an address range, no FQDN object), storage is no longer named by the
    # address-limit warning; the S3 names still are, and storage is still a bucket any customer shares.
    served = next(warning for warning in spec.warnings if warning.code == "gcp-fqdn-address-limit")
    assert STORAGE_HOST not in served.hosts and STORAGE_HOST not in served.message
    assert any(host.endswith(".s3.amazonaws.com") for host in served.hosts)
    assert STORAGE_HOST in next(w for w in spec.warnings if w.code == "gcp-shared-bucket").hosts


def test_every_rule_name_fits_the_api_for_the_longest_policy_name(catalog: Catalog) -> None:
    """Rule names are RFC 1035 names of at most 63 characters: with a 40-character policy name (the longest
    accepted), every group mask, both families, both protocols, the largest port and multi-port keys."""
    overlay = parse_overlay(
        {
            "entries": [
                {
                    "id": f"wide-{role}-{protocol}-{len(ports)}",
                    "role": role,
                    "usage": {"en": "ranges and names on the widest ports"},
                    "cidrs": ["198.51.100.0/24", "2001:db8::/32"],
                    "ports": ports,
                    "protocol": protocol,
                }
                for role in ("agent", "sepm", "console")
                for protocol, ports in (("tcp", [65535]), ("udp", [65534, 65535]), ("tcp", [1, 3, 5, 65535]))
            ]
            + [
                {"id": "names", "role": "sepm", "usage": {"en": "names"}, "urls": ["https://a.example.net:65535"]},
            ]
        },
        "wide.yaml",
    )
    plan = select(
        catalog, mode="hybrid", version="14.3 RU1", roles=["console"], overlays=[SourcedOverlay("w", overlay)]
    )
    name = "a" * 40
    for existing in (None, "landing-zone"):
        given = {"existing_policy": existing} if existing else {"networks": (NETWORK,)}
        spec = compile_firewall_policy(plan, tag_targets(plan), FirewallOptions(name=name, **given))  # type: ignore[arg-type]
        longest = max(len(rule.rule_name) for rule in spec.rules)
        assert longest <= 63, [rule.rule_name for rule in spec.rules if len(rule.rule_name) > 63]
        assert {rule.kind for rule in spec.rules} >= {"fqdn", "cidr", "deny"}
        assert any(rule.rule_name.startswith(f"{name}-ip6-") for rule in spec.rules)


def test_storage_phase_aws_leaves_private_google_access_unused(catalog: Catalog) -> None:
    plan = select(catalog, mode="cloud", version="14.3 RU1", storage="aws")
    spec = compile_firewall_policy(plan, tag_targets(plan), options(private_google_access=True))
    assert not [rule for rule in spec.rules if rule.kind == "pga"]
    assert "gcp-pga-unused" in {warning.code for warning in spec.warnings}
    gcp_only = select(catalog, mode="cloud", version="14.3 RU1", storage="gcp")
    hosts = {
        host
        for rule in compile_firewall_policy(gcp_only, tag_targets(gcp_only), options()).rules
        for host in rule.dest_fqdns
    }
    assert STORAGE_HOST in hosts and not any(host.endswith(".s3.amazonaws.com") for host in hosts)


def test_turning_off_the_default_deny_warns_that_nothing_is_restricted(cloud_plan: EgressPlan) -> None:
    targets = tag_targets(cloud_plan)
    without = compile_firewall_policy(cloud_plan, targets, options(default_deny=False))
    warning = next(w for w in without.warnings if w.code == "gcp-no-default-deny")
    assert "implied allow-all egress" in warning.message and "restrict nothing" in warning.message
    hierarchical = compile_firewall_policy(
        cloud_plan, targets, FirewallOptions(scope="folder", parent="folders/1", default_deny=False)
    )
    assert "gcp-no-default-deny" in {w.code for w in hierarchical.warnings}
    assert "gcp-no-default-deny" not in {
        w.code for w in compile_firewall_policy(cloud_plan, targets, options()).warnings
    }


def test_the_private_google_access_rule_warns_that_it_reaches_every_google_api(catalog: Catalog) -> None:
    plan = select(catalog, mode="cloud", version="14.3 RU1", storage="gcp")
    spec = compile_firewall_policy(plan, tag_targets(plan), options(private_google_access=True))
    assert [rule.dest_ip_ranges for rule in spec.rules if rule.kind == "pga"] == [(PRIVATE_GOOGLE_ACCESS_RANGE,)]
    codes = {w.code for w in spec.warnings}
    assert "gcp-pga-all-google-apis" in codes
    # The name moved from an FQDN object to PGA, which admits any bucket just the same: still warned.
    shared = next(w for w in spec.warnings if w.code == "gcp-shared-bucket")
    assert shared.hosts == (STORAGE_HOST,)
    without_rule = select(catalog, mode="cloud", version="14.3 RU1", storage="aws")
    unused = compile_firewall_policy(without_rule, tag_targets(without_rule), options(private_google_access=True))
    assert "gcp-pga-all-google-apis" not in {w.code for w in unused.warnings}
    plain = compile_firewall_policy(plan, tag_targets(plan), options())
    assert "gcp-pga-all-google-apis" not in {w.code for w in plain.warnings}


def test_priorities_follow_the_shared_targets_groups(hybrid_plan: EgressPlan) -> None:
    """What docs/gcp.md says next to "renumbers nothing": a change of which machine kinds share targets renumbers
    every rule of the kinds involved; a change of target values that keeps the groups only updates rules in place."""
    raw = {kind: {"secure_tags": [f"tagValues/{index + 1}"]} for index, kind in enumerate(MACHINE_KINDS)}
    before = compile_firewall_policy(hybrid_plan, parse_targets(raw), options())
    clients, managers = "clients", "managers"
    shared = compile_firewall_policy(hybrid_plan, parse_targets({**raw, managers: raw[clients]}), options())
    change = diff_rules(before, shared)
    involved = {rule.priority for rule in before.rules if set(rule.roles) & {"agent", "sepm"}}
    assert set(change.deleted) == involved and change.created
    assert change.unchanged == len(before.rules) - len(involved)
    retagged = compile_firewall_policy(
        hybrid_plan, parse_targets({**raw, managers: {"secure_tags": ["tagValues/99"]}}), options()
    )
    change = diff_rules(before, retagged)
    assert change.created == change.deleted == ()
    assert set(change.updated) == {rule.priority for rule in before.rules if rule.roles == ("sepm", "sepm-cloud")}


def test_an_existing_policy_gets_its_rules_in_the_reserved_band_only(catalog: Catalog) -> None:
    """Brownfield mode: no policy, no association, every rule inside the band, allows before denies, and the same
    one-rule change per added host as a created policy."""
    plan = big_overlay_plan(catalog, 450)
    targets = tag_targets(plan)
    banded = FirewallOptions(existing_policy="landing-zone", priority_band_start=3_000_000)
    spec = compile_firewall_policy(plan, targets, banded)
    assert not spec.creates_policy and spec.associations == () and spec.band == (3_000_000, 3_000_000 + (1 << 22) - 1)
    assert all(3_000_000 <= rule.priority < 3_000_000 + (1 << 22) for rule in spec.rules)
    allows = [rule.priority for rule in spec.rules if rule.action == "allow"]
    assert max(allows) < min(rule.priority for rule in spec.rules if rule.action == "deny")
    created = compile_firewall_policy(plan, targets, options())
    assert sorted(rule.rule_name for rule in spec.rules) == sorted(rule.rule_name for rule in created.rules)
    assert "gcp-existing-policy-band" in {warning.code for warning in spec.warnings}
    default = compile_firewall_policy(plan, targets, FirewallOptions(existing_policy="landing-zone"))
    assert default.band == (1_000_000_000, 1_000_000_000 + (1 << 22) - 1)
    for host in ("added-1.example.net", "added-2.example.net"):
        change = diff_rules(spec, compile_firewall_policy(with_hosts(plan, [host]), targets, banded))
        assert change.created == change.deleted == () and len(change.updated) == 1


def test_internal_looking_overlay_names_warn_about_forwarding_zones(hybrid_plan: EgressPlan) -> None:
    hosts = ["lua.corp.example.com", "mirror.lan", "wsus.internal", "sepm01", "printer.home.arpa", "cdn.example.net"]
    plan = with_hosts(hybrid_plan, hosts)
    spec = compile_firewall_policy(plan, tag_targets(plan), options())
    (warning,) = [warning for warning in spec.warnings if warning.code == "gcp-fqdn-internal-name"]
    assert set(warning.hosts) == set(hosts) - {"cdn.example.net"}
    assert "forwarding zone" in warning.message and "'cidrs' entry" in warning.message
    plain = compile_firewall_policy(hybrid_plan, tag_targets(hybrid_plan), options())
    assert "gcp-fqdn-internal-name" not in {warning.code for warning in plain.warnings}


def test_gcp_allows_agent_to_sepm_only_with_its_address_and_only_there(catalog: Catalog) -> None:
    # One service account per machine kind: the agent's roles on client VMs, the console's on admin workstations.
    targets = parse_targets(
        {
            kind: {"service_accounts": [f"{account}@p.iam.gserviceaccount.com"]}
            for kind, account in (("clients", "agent"), ("managers", "sepm"), ("admin-workstations", "console"))
        }
    )
    options = FirewallOptions(networks=("projects/p/global/networks/vpc",), default_deny=True)
    without = compile_firewall_policy(hybrid(catalog), targets, options)
    spec = compile_firewall_policy(hybrid(catalog, destinations_from_config({"sepm": [SEPM]})), targets, options)
    agent = Machine.carrying(service_account="agent@p.iam.gserviceaccount.com")
    console = Machine.carrying(service_account="console@p.iam.gserviceaccount.com")
    for workload, port in ((agent, 443), (console, 8443), (console, 8445)):
        connection = GcpConnection(ip="10.20.0.10", port=port)
        assert evaluate(spec, workload, connection).verdict == "allow", (workload, port)
        assert evaluate(without, workload, connection).verdict == "deny", (workload, port)
    for workload, ip, port, protocol in (
        (agent, "10.20.0.11", 443, "tcp"),
        (agent, "10.10.2.2", 443, "tcp"),
        (agent, "10.20.0.10", 8443, "tcp"),
        (agent, "10.20.0.10", 443, "udp"),
        (console, "10.20.0.10", 443, "tcp"),
        (console, "10.20.0.12", 8443, "tcp"),
    ):
        verdict = evaluate(spec, workload, GcpConnection(ip=ip, port=port, protocol=protocol)).verdict
        assert verdict == "deny", (workload, ip, port, protocol)
