"""The pack follows the stack's ``sep-egress:enforcement``: in observe mode a Network Firewall policy whose
stateful defaults log (an ``aws:alert_*`` action) rather than drop what no rule matches is accepted, and the
advisory policy notes it; a policy whose defaults neither drop nor log is refused in both modes, and no other
check is relaxed.

The observe-mode policies judged here are the ones sep-egress's AWS component registers under the mock engine,
so the test follows the compiler rather than a hand-written copy of its output. The pack's configuration comes
from ``policy/export_catalog.py --policy-config --enforcement``, as the workflows generate it.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from support import ROOT

POLICY_DIR = ROOT / "policy"
sys.path.insert(0, str(POLICY_DIR))

from sep_egress_policy import checks, policies  # noqa: E402

OBSERVE = {"enforcement": "observe"}
ENFORCE = {"enforcement": "enforce"}
STRICT_NO_DROP = "under STRICT_ORDER, traffic no rule matches passes"


def firewall_policy(defaults: Any, order: str = "STRICT_ORDER") -> dict[str, Any]:
    return {
        "firewallPolicy": {
            "statelessDefaultActions": ["aws:forward_to_sfe"],
            "statelessFragmentDefaultActions": ["aws:forward_to_sfe"],
            "statefulEngineOptions": {"ruleOrder": order},
            "statefulDefaultActions": defaults,
        }
    }


def export_config(*arguments: str) -> dict[str, Any]:
    """What ``export_catalog.py --policy-config ARGUMENTS`` prints, read back."""
    result = subprocess.run(
        [sys.executable, str(POLICY_DIR / "export_catalog.py"), "--policy-config", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    document = json.loads(result.stdout)
    assert isinstance(document, dict)
    return document


# --- the real component under the mock engine ------------------------------------------------------------------


def allowlist_resources(**fields: Any) -> list[Any]:
    from sep_egress.arguments import SelectionArgs
    from sep_egress.aws import FirewallSettings, LoggingSettings, NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs
    from sep_egress.mock_engine import run_program

    def program() -> None:
        NetworkFirewallAllowlist(
            "sep",
            NetworkFirewallAllowlistArgs(
                selection=SelectionArgs(mode="hybrid", version="14.3 RU1"),
                source_cidrs={"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"], "agent-cloud": ["10.10.0.0/16"]},
                firewall=FirewallSettings(vpc_id="vpc-1", subnet_ids=["subnet-1"]),
                logging=LoggingSettings(alert_destination="sep-egress-alerts"),
                **fields,
            ),
        )

    return list(run_program(program).resources)


def the_policy(resources: list[Any]) -> dict[str, Any]:
    [policy] = [resource for resource in resources if resource.type == checks.AWS_FIREWALL_POLICY]
    inputs = policy.inputs
    assert isinstance(inputs, dict)
    return inputs


@pytest.fixture(scope="module")
def observed() -> list[Any]:
    return allowlist_resources(enforcement="observe")


@pytest.fixture(scope="module")
def enforced() -> list[Any]:
    return allowlist_resources()


@pytest.mark.pulumi
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pulumi_aws import-time notices
def test_an_observe_mode_allowlist_passes_the_pack_configured_for_observe(observed: list[Any]) -> None:
    policy = the_policy(observed)
    defaults = policy["firewallPolicy"]["statefulDefaultActions"]
    # What the component compiles in observe mode: STRICT_ORDER, only the alert twin of the default drop.
    assert policy["firewallPolicy"]["statefulEngineOptions"]["ruleOrder"] == "STRICT_ORDER"
    assert defaults and all(action.startswith("aws:alert_") for action in defaults)
    config = export_config("--enforcement", "observe")[policies.NO_ALLOW_ALL]
    for resource in observed:
        assert checks.allow_all_egress(resource.type, resource.inputs, config) == [], resource.name
        assert checks.hosts_outside_catalog(resource.type, resource.inputs, config) == [], resource.name
    stack = [checks.StackResource(r.type, r.urn, r.inputs, r.parent, r.depends_on) for r in observed]
    assert checks.firewalls_without_logging(stack) == []
    # Not in silence: the advisory policy says what the defaults let through.
    [note] = checks.wider_than_vendor(checks.AWS_FIREWALL_POLICY, policy, config)
    assert note.startswith(f"firewallPolicy.statefulDefaultActions: {defaults[0]} only") and "observe" in note


@pytest.mark.pulumi
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("config", [ENFORCE, {}, None], ids=["enforce", "empty", "none"])
def test_an_observe_mode_policy_fails_the_pack_configured_for_enforce(observed: list[Any], config: Any) -> None:
    [message] = checks.allow_all_egress(checks.AWS_FIREWALL_POLICY, the_policy(observed), config)
    assert STRICT_NO_DROP in message and "unless a default action drops it" in message
    assert "enforcement: observe" in message  # says why only an observe stack may do this


@pytest.mark.pulumi
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_an_enforce_mode_allowlist_passes_the_pack_in_both_modes(enforced: list[Any]) -> None:
    policy = the_policy(enforced)
    assert set(policy["firewallPolicy"]["statefulDefaultActions"]) & checks.DROP_DEFAULT_ACTIONS
    for config in (OBSERVE, ENFORCE):
        for resource in enforced:
            assert checks.allow_all_egress(resource.type, resource.inputs, config) == [], resource.name
    assert checks.wider_than_vendor(checks.AWS_FIREWALL_POLICY, policy) == []


@pytest.mark.pulumi
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_an_observe_mode_policy_with_no_default_actions_fails_in_both_modes() -> None:
    policy = the_policy(allowlist_resources(enforcement="observe", default_actions="none"))
    assert policy["firewallPolicy"].get("statefulDefaultActions") in (None, [])
    for config in (OBSERVE, ENFORCE):
        [message] = checks.allow_all_egress(checks.AWS_FIREWALL_POLICY, policy, config)
        assert STRICT_NO_DROP in message
    assert checks.wider_than_vendor(checks.AWS_FIREWALL_POLICY, policy) == []


# --- the check on hand-written policies ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("defaults", "observe", "enforce"),
    [
        (["aws:alert_established_app_layer_to_server"], 0, 1),
        (["aws:alert_strict", "aws:alert_established"], 0, 1),
        (["aws:drop_established", "aws:alert_established"], 0, 0),
        (["aws:drop_strict"], 0, 0),
        ([], 1, 1),
        (None, 1, 1),
        # Not a stateful default action of Network Firewall: it neither drops nor logs.
        (["aws:pass"], 1, 1),
        (checks.UNKNOWN, 0, 0),  # judged at `pulumi up`
    ],
)
def test_strict_order_defaults(defaults: Any, observe: int, enforce: int) -> None:
    props = firewall_policy(defaults)
    assert len(checks.allow_all_egress(checks.AWS_FIREWALL_POLICY, props, OBSERVE)) == observe
    assert len(checks.allow_all_egress(checks.AWS_FIREWALL_POLICY, props, ENFORCE)) == enforce


def test_action_order_policies_are_not_judged_by_their_defaults() -> None:
    props = firewall_policy([], order="DEFAULT_ACTION_ORDER")
    assert checks.allow_all_egress(checks.AWS_FIREWALL_POLICY, props, OBSERVE) == []
    assert checks.wider_than_vendor(checks.AWS_FIREWALL_POLICY, props) == []


def test_observe_mode_relaxes_nothing_else() -> None:
    props = firewall_policy(["aws:alert_established"])
    props["firewallPolicy"]["statelessDefaultActions"] = ["aws:pass"]
    [message] = checks.allow_all_egress(checks.AWS_FIREWALL_POLICY, props, OBSERVE)
    assert "statelessDefaultActions: aws:pass" in message
    everywhere: list[tuple[str, dict[str, Any]]] = [
        (checks.AWS_RULE_GROUP, {"ruleGroup": {"rulesSource": {"rulesString": "pass ip any any -> any any (sid:1;)"}}}),
        (
            checks.AWS_RULE_GROUP,
            {
                "ruleGroup": {
                    "rulesSource": {
                        "rulesString": "alert ip any any -> any any (sid:1;)\npass tcp any any -> any 443 (sid:2;)"
                    },
                    "statefulRuleOptions": {"ruleOrder": "STRICT_ORDER"},
                }
            },
        ),
        (checks.AWS_SECURITY_GROUP, {"egress": [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]}),
    ]
    for resource_type, resource in everywhere:
        assert len(checks.allow_all_egress(resource_type, resource, OBSERVE)) == 1, resource
    listed = {
        "ruleGroup": {
            "rulesSource": {
                "rulesSourceList": {
                    "generatedRulesType": "ALLOWLIST",
                    "targetTypes": ["TLS_SNI"],
                    "targets": ["evil.example.net"],
                }
            }
        }
    }
    assert len(checks.hosts_outside_catalog(checks.AWS_RULE_GROUP, listed, OBSERVE)) == 1
    quiet = {"loggingConfiguration": {"logDestinationConfigs": [{"logType": "FLOW"}]}, "description": "sep-egress: x"}
    assert len(checks.logging_off(checks.AWS_LOGGING, quiet, OBSERVE)) == 1


@pytest.mark.parametrize("value", ["audit", "OBSERVE", "", 1, None, ["observe"]])
def test_a_bad_enforcement_is_reported_and_relaxes_nothing(value: Any) -> None:
    props = firewall_policy(["aws:alert_established"])
    config = {"enforcement": value}
    messages = checks.allow_all_egress(checks.AWS_FIREWALL_POLICY, props, config)
    assert any("policy config: enforcement must be one of observe, enforce" in message for message in messages)
    assert any(STRICT_NO_DROP in message for message in messages)  # judged as enforce
    problems = checks.hosts_outside_catalog(checks.AWS_RULE_GROUP, {}, config)
    assert len(problems) == 1 and "enforcement" in problems[0]


def test_the_config_reads_enforcement() -> None:
    assert checks.PackConfig.from_mapping(OBSERVE).enforcement == "observe"
    assert checks.PackConfig.from_mapping(OBSERVE).problems == ()
    assert checks.PackConfig.from_mapping({}).enforcement == "enforce"
    assert checks.PackConfig.from_mapping(None).enforcement == "enforce"
    assert "enforcement" in checks.CONFIG_KEYS


# --- CrossGuard's view, and the generated configuration ----------------------------------------------------------


def reported(validate: Callable[..., None], resource_type: str, props: Any, config: Any) -> list[tuple[Any, ...]]:
    import types

    args = types.SimpleNamespace(
        resource_type=resource_type,
        props=props,
        urn="",
        name="r",
        opts=types.SimpleNamespace(parent=None),
        get_config=lambda: config,
    )
    calls: list[tuple[Any, ...]] = []
    validate(args, lambda *call: calls.append(call))
    return calls


def test_the_adapters_pass_each_policys_config() -> None:
    props = firewall_policy(["aws:alert_established_app_layer_to_server"])
    assert reported(policies.validate_no_allow_all, checks.AWS_FIREWALL_POLICY, props, OBSERVE) == []
    assert len(reported(policies.validate_no_allow_all, checks.AWS_FIREWALL_POLICY, props, ENFORCE)) == 1
    assert len(reported(policies.validate_no_allow_all, checks.AWS_FIREWALL_POLICY, props, None)) == 1
    assert len(reported(policies.validate_wider_than_vendor, checks.AWS_FIREWALL_POLICY, props, None)) == 1


def test_the_schema_declares_enforcement() -> None:
    schema = policies.CONFIG_SCHEMA_PROPERTIES["enforcement"]
    assert schema["enum"] == list(checks.ENFORCEMENTS) and schema["default"] == "enforce"
    assert set(policies.CONFIG_SCHEMA_PROPERTIES) == set(checks.CONFIG_KEYS)


@pytest.mark.real_program
def test_export_catalog_writes_enforcement_for_the_policies_that_read_it() -> None:
    export = runpy.run_path(str(POLICY_DIR / "export_catalog.py"))
    assert tuple(export["ENFORCEMENT_POLICIES"]) == policies.ENFORCEMENT_POLICIES
    overlay = str(
        ROOT / "examples" / "overlays" / sorted(p.name for p in (ROOT / "examples" / "overlays").glob("*.yaml"))[0]
    )
    plain = export_config(overlay)
    assert set(plain) == {policies.HOSTS_FROM_CATALOG}  # the existing call form: unchanged
    for value in ("observe", "enforce"):
        for form in (["--enforcement", value], [f"--enforcement={value}"]):
            written = export_config(*form, overlay)
            assert written[policies.HOSTS_FROM_CATALOG] == plain[policies.HOSTS_FROM_CATALOG]
            assert written[policies.NO_ALLOW_ALL] == {"enforcement": value}
            assert checks.PackConfig.from_mapping(written[policies.NO_ALLOW_ALL]).problems == ()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--enforcement", "audit"], "--enforcement: 'audit'; choose observe or enforce"),
        (["--enforcement"], "--enforcement"),
        (["x.yaml", "--enforcement", "observe"], "--enforcement: unknown option (options come before the overlays)"),
    ],
)
def test_export_catalog_refuses_a_bad_enforcement(arguments: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, str(POLICY_DIR / "export_catalog.py"), "--policy-config", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and "Traceback" not in result.stderr


SDK_SCRIPT = textwrap.dedent(
    """
    import json, sys
    sys.path.insert(0, sys.argv[1])
    import selftest
    from pulumi.runtime import proto
    from sep_egress_policy import policies

    props = json.loads(sys.argv[2])
    kind = "aws:networkfirewall/firewallPolicy:FirewallPolicy"
    found = {}
    for label, config in (("observe", {"enforcement": "observe"}), ("enforce", {"enforcement": "enforce"})):
        servicer = selftest.analyzer()
        # As the engine configures a policy: its level (the policy's own, mandatory) and its properties.
        request = proto.ConfigureAnalyzerRequest()
        request.policyConfig[policies.NO_ALLOW_ALL].CopyFrom(
            proto.PolicyConfig(enforcementLevel=proto.MANDATORY, properties=selftest.struct(config))
        )
        servicer.Configure(request, None)
        found[label] = [
            (d.policyName, proto.EnforcementLevel.Name(d.enforcementLevel))
            for d in selftest.analyze(servicer, kind, props)
        ]
    print(json.dumps(found))
    """
)


@pytest.mark.real_program
@pytest.mark.pulumi
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_real_sdk_passes_the_enforcement_to_the_check(observed: list[Any]) -> None:
    """Through pulumi_policy's analyzer service (policy/.venv, ``make policy-test``), with the config as the engine
    sends it: observe leaves only the advisory note, enforce adds the mandatory violation."""
    python = POLICY_DIR / ".venv" / "bin" / "python"
    if not python.exists():
        pytest.skip("policy/.venv is absent: create it with the pack's requirements (make policy-test)")
    props = the_policy(observed)
    result = subprocess.run(
        [str(python), "-c", SDK_SCRIPT, str(POLICY_DIR), json.dumps(props)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert sorted(name for name, _ in found["observe"]) == [policies.WIDER_THAN_VENDOR]
    assert sorted(name for name, _ in found["enforce"]) == [policies.NO_ALLOW_ALL, policies.WIDER_THAN_VENDOR]
    assert dict(found["enforce"]) == {policies.NO_ALLOW_ALL: "MANDATORY", policies.WIDER_THAN_VENDOR: "ADVISORY"}


def gcp_policy_resources(enforcement: str) -> list[Any]:
    from sep_egress.arguments import SelectionArgs
    from sep_egress.gcp import EgressFirewallPolicy, EgressFirewallPolicyArgs
    from sep_egress.mock_engine import run_program

    def program() -> None:
        EgressFirewallPolicy(
            "sep",
            EgressFirewallPolicyArgs.parse(
                {
                    "selection": SelectionArgs(mode="cloud", version="14.3 RU1"),
                    "targets": {"clients": {"service_accounts": ["sep-agent@p-1.iam.gserviceaccount.com"]}},
                    "options": {"networks": ["projects/p-1/global/networks/vpc"], "network_checks": "warn"},
                    "enforcement": enforcement,
                }
            ),
        )

    return list(run_program(program).resources)


@pytest.mark.pulumi
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_observed_gcp_default_deny_passes_only_the_pack_configured_for_observe() -> None:
    """Observe turns the default deny into a logged allow to every address: the pack configured for observe accepts
    it because it is logged; configured for enforce (or with logging off) it is an allow-all."""
    observed = gcp_policy_resources("observe")
    found = [
        (resource, message)
        for resource in observed
        for message in checks.allow_all_egress(resource.type, resource.inputs, ENFORCE)
    ]
    assert found, "the observed default deny is an allow to every address"
    for resource, _ in found:
        assert checks.allow_all_egress(resource.type, resource.inputs, OBSERVE) == [], resource.name
        unlogged = json.loads(json.dumps(resource.inputs))
        for rule in unlogged.get("rules", []):
            rule["enableLogging"] = False
        assert checks.allow_all_egress(resource.type, unlogged, OBSERVE), resource.name
    for resource in gcp_policy_resources("enforce"):
        assert checks.allow_all_egress(resource.type, resource.inputs, ENFORCE) == [], resource.name
