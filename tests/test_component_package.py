"""The component package: the schema Pulumi's own analyzer infers, the plugin manifest, and construction through
the same ``ComponentProvider`` that ``component_provider_host`` serves (under the mock engine; no CLI, no server).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema

from sep_egress import aws, gcp, provider
from sep_egress.errors import SepEgressError
from sep_egress.mock_engine import MockRun, run_program

from support import ROOT

PLUGIN_DIR = ROOT / "provider"
TOKENS = {
    "sep-egress:index:NetworkFirewallAllowlist",
    "sep-egress:index:EgressFirewallPolicy",
    "sep-egress:index:EgressNat",
    "sep-egress:index:StoragePrivateAccess",
}
NETWORK = "projects/p/global/networks/vpc"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return provider.package_schema()


def resource(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return schema["resources"][f"sep-egress:index:{name}"]  # type: ignore[no-any-return]


def object_type(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return schema["types"][f"sep-egress:index:{name}"]  # type: ignore[no-any-return]


def ref(name: str) -> str:
    return f"#/types/sep-egress:index:{name}"


def shape(prop: dict[str, Any]) -> Any:
    """A property's type in a compact form: 'string', ['string'] (array), {'*': ...} (map), or a type name."""
    if "$ref" in prop:
        return prop["$ref"].rsplit(":", 1)[-1]
    if prop["type"] == "array":
        return [shape(prop["items"])]
    if prop["type"] == "object" and "additionalProperties" in prop:
        return {"*": shape(prop["additionalProperties"])}
    return prop["type"]


def shapes(properties: dict[str, Any]) -> dict[str, Any]:
    return {name: shape(prop) for name, prop in properties.items()}


# --- the schema ---------------------------------------------------------------------------------------------------


def test_package_name_version_and_tokens(schema: dict[str, Any]) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert schema["name"] == "sep-egress"
    assert schema["version"] == pyproject["project"]["version"] == provider.package_version()
    assert set(schema["resources"]) == TOKENS
    assert all(spec["isComponent"] is True for spec in schema["resources"].values())
    assert set(schema["types"]) == {
        f"sep-egress:index:{name}"
        for name in (
            "FirewallSettings",
            "LoggingSettings",
            "DistributionSettings",
            "RuleGroupReference",
            "RuleGroupCapacity",
            "Selection",
            "RoleTarget",
            "SecureTags",
            "FirewallPolicyOptions",
            "NatOptions",
            "PrivateAccessOptions",
            "EgressWarning",
            "NatRule",
            "PrivateAccessRoute",
            "SubnetSetting",
        )
    }
    assert schema["dependencies"] == []  # no resource references: consumers need no aws or gcp SDK of ours


def test_the_schema_is_what_pulumis_analyzer_infers(schema: dict[str, Any]) -> None:
    """package_schema() adds nothing of its own: Analyzer + generate_schema, as component_provider_host does."""
    result = Analyzer("sep-egress").analyze(provider.COMPONENTS)
    generated = generate_schema(
        "sep-egress",
        schema["version"],
        None,
        result["component_definitions"],
        result["type_definitions"],
        sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}"),
    ).to_json()
    assert json.loads(json.dumps(generated)) == schema


def test_network_firewall_allowlist_inputs(schema: dict[str, Any]) -> None:
    spec = resource(schema, "NetworkFirewallAllowlist")
    assert spec["requiredInputs"] == ["sourceCidrs", "version"]
    assert shapes(spec["inputProperties"]) == {
        "version": "string",
        "sourceCidrs": {"*": ["string"]},
        "mode": "string",
        "roles": ["string"],
        "proxy": "boolean",
        "storage": "string",
        "style": "string",
        "maxRulesBytes": "integer",
        "headroomPercent": "integer",
        "capacityRounding": "integer",
        "minCapacity": "integer",
        "namePrefix": "string",
        "allowAnySource": "boolean",
        "createPolicy": "boolean",
        "firewall": "FirewallSettings",
        "logging": "LoggingSettings",
        "distribution": "DistributionSettings",
        "tags": {"*": "string"},
    }
    # Plain: the rules are compiled from these values when the component is constructed.
    assert all(prop.get("plain") is True for prop in spec["inputProperties"].values())
    firewall = object_type(schema, "FirewallSettings")
    assert firewall["required"] == ["subnetIds", "vpcId"]
    assert shapes(firewall["properties"]) == {
        "vpcId": "string",
        "subnetIds": ["string"],
        "name": "string",
        "deleteProtection": "boolean",
    }
    assert object_type(schema, "LoggingSettings")["required"] == ["alertDestination"]
    assert "required" not in object_type(schema, "DistributionSettings")  # every field has a default
    assert shapes(object_type(schema, "DistributionSettings")["properties"])["remediationEnabled"] == "boolean"


def test_network_firewall_allowlist_outputs(schema: dict[str, Any]) -> None:
    spec = resource(schema, "NetworkFirewallAllowlist")
    assert shapes(spec["properties"]) == {
        "ruleGroupArns": ["string"],
        "ruleGroupReferences": ["RuleGroupReference"],
        "firewallPolicyArn": "string",
        "firewallArn": "string",
        "allowedHosts": {"*": ["string"]},
        "tlsInspectionBypass": ["string"],
        "skippedRoles": ["string"],
        "capacity": {"*": "RuleGroupCapacity"},
        "notes": ["string"],
    }
    assert "firewallPolicyArn" not in spec["required"] and "firewallArn" not in spec["required"]
    assert {"ruleGroupArns", "allowedHosts", "capacity"} <= set(spec["required"])
    assert shapes(object_type(schema, "RuleGroupReference")["properties"]) == {"arn": "string", "priority": "integer"}
    assert shapes(object_type(schema, "RuleGroupCapacity")["properties"]) == {
        "capacity": "integer",
        "used": "integer",
        "priority": "integer",
    }


def test_gcp_inputs(schema: dict[str, Any]) -> None:
    policy = resource(schema, "EgressFirewallPolicy")
    assert policy["requiredInputs"] == ["options", "selection"]
    assert shapes(policy["inputProperties"]) == {
        "selection": "Selection",
        "options": "FirewallPolicyOptions",
        "targets": {"*": "RoleTarget"},
        "secureTags": "SecureTags",
    }
    assert object_type(schema, "Selection")["required"] == ["version"]
    assert shapes(object_type(schema, "Selection")["properties"]) == {
        "version": "string",
        "mode": "string",
        "roles": ["string"],
        "proxy": "boolean",
        "storage": "string",
    }
    assert shapes(object_type(schema, "RoleTarget")["properties"]) == {
        "secureTags": ["string"],
        "serviceAccounts": ["string"],
    }
    assert object_type(schema, "SecureTags")["required"] == ["parent"]
    options = shapes(object_type(schema, "FirewallPolicyOptions")["properties"])
    assert options["networks"] == ["string"] and options["defaultDeny"] == "boolean"
    assert options["enforcementOrder"] == "string" and options["skipRoles"] == ["string"]

    nat = resource(schema, "EgressNat")
    assert nat["requiredInputs"] == ["options", "selection"]
    nat_options = object_type(schema, "NatOptions")
    assert nat_options["required"] == ["network", "region", "subnetworks"]
    assert shapes(nat_options["properties"])["ruleNumbers"] == {"*": "integer"}
    assert shapes(nat_options["properties"])["addressCount"] == "integer"

    access = resource(schema, "StoragePrivateAccess")
    assert access["requiredInputs"] == ["options", "selection"]
    assert object_type(schema, "PrivateAccessOptions")["required"] == ["networks"]
    assert shapes(object_type(schema, "PrivateAccessOptions")["properties"])["routePriority"] == "integer"


def test_gcp_outputs(schema: dict[str, Any]) -> None:
    assert shapes(resource(schema, "EgressFirewallPolicy")["properties"]) == {
        "policyId": "string",
        "policyName": "string",
        "rulePriorities": ["integer"],
        "tier": "string",
        "networkSettings": {"*": "string"},
        "warnings": ["EgressWarning"],
    }
    assert shapes(resource(schema, "EgressNat")["properties"]) == {
        "egressAddresses": ["string"],
        "routerName": "string",
        "natName": "string",
        "natRules": ["NatRule"],
        "warnings": ["EgressWarning"],
    }
    access = resource(schema, "StoragePrivateAccess")
    assert shapes(access["properties"]) == {
        "enabled": "boolean",
        "zoneName": "string",
        "routes": ["PrivateAccessRoute"],
        "requiredSubnetSettings": ["SubnetSetting"],
        "warnings": ["EgressWarning"],
    }
    assert "zoneName" not in access["required"]
    assert shapes(object_type(schema, "NatRule")["properties"]) == {
        "ruleNumber": "integer",
        "entryIds": ["string"],
        "ranges": ["string"],
    }
    assert shapes(object_type(schema, "EgressWarning")["properties"]) == {
        "code": "string",
        "message": "string",
        "hosts": ["string"],
    }


def test_every_number_is_an_integer(schema: dict[str, Any]) -> None:
    """The twins turn whole floats from the wire into ints; that is right only while no input is a ``number``."""
    assert '"type": "number"' not in json.dumps(schema)
    assert '"type": "integer"' in json.dumps(schema)


def test_every_component_type_and_property_is_described(schema: dict[str, Any]) -> None:
    missing = []
    for token, spec in [*schema["resources"].items(), *schema["types"].items()]:
        if not (spec.get("description") or "").strip():
            missing.append(token)
        for group in ("inputProperties", "properties"):
            for name, prop in spec.get(group, {}).items():
                if not (prop.get("description") or "").strip():
                    missing.append(f"{token}.{group}.{name}")
    assert missing == []


def test_provider_inputs_are_the_keys_the_python_components_take() -> None:
    """The twins pass their inputs through unchanged: a renamed field on either side fails here, not in a stack."""

    def fields(kind: type[Any]) -> set[str]:
        return set(kind.model_fields) - {"plan"}  # a ready EgressPlan is Python-only

    # The package's AWS args spell the selection flat (version, mode, ...), the Python args nest it.
    selection = set(gcp.SelectionArgs.model_fields) - {"overlays"}
    expected = (fields(aws.NetworkFirewallAllowlistArgs) - {"selection"}) | selection
    assert set(provider.NetworkFirewallAllowlistArgs.__annotations__) == expected
    assert set(provider.FirewallSettings.__annotations__) == fields(aws.FirewallSettings)
    assert set(provider.LoggingSettings.__annotations__) == fields(aws.LoggingSettings)
    assert set(provider.DistributionSettings.__annotations__) == fields(aws.DistributionSettings)
    pairs: list[tuple[type[Any], type[Any]]] = [
        (provider.EgressFirewallPolicyArgs, gcp.EgressFirewallPolicyArgs),
        (provider.EgressNatArgs, gcp.EgressNatArgs),
        (provider.StoragePrivateAccessArgs, gcp.StoragePrivateAccessArgs),
        (provider.Selection, gcp.SelectionArgs),
        (provider.RoleTarget, gcp.RoleTargetArgs),
        (provider.SecureTags, gcp.SecureTagsArgs),
        (provider.FirewallPolicyOptions, gcp.FirewallPolicyOptionsArgs),
        (provider.NatOptions, gcp.NatOptionsArgs),
        (provider.PrivateAccessOptions, gcp.PrivateAccessOptionsArgs),
    ]
    for ours, theirs in pairs:
        assert set(ours.__annotations__) == fields(theirs) - {"overlays"}, ours.__name__


def test_the_python_components_keep_their_own_tokens() -> None:
    assert aws.TYPE_TOKEN == "sep-egress:aws:NetworkFirewallAllowlist"


# --- the plugin -------------------------------------------------------------------------------------------------


def test_plugin_manifest_names_runtime_python() -> None:
    manifest = yaml.safe_load((PLUGIN_DIR / "PulumiPlugin.yaml").read_text(encoding="utf-8"))
    assert manifest["runtime"]["name"] == "python"
    assert manifest["runtime"]["options"]["virtualenv"] == "venv"
    # Pulumi runs `python <plugin dir>`, i.e. its __main__.py, and installs its requirements.txt into venv/.
    assert "from sep_egress.provider import main" in (PLUGIN_DIR / "__main__.py").read_text(encoding="utf-8")
    requirements = (PLUGIN_DIR / "requirements.txt").read_text(encoding="utf-8").split("\n")
    assert "-e .." in requirements
    assert "venv/" in (PLUGIN_DIR / ".gitignore").read_text(encoding="utf-8").split()


def test_the_entry_point_prints_the_same_schema(schema: dict[str, Any]) -> None:
    """The plugin's own __main__.py, in a subprocess (``--schema`` starts no server and opens no socket)."""
    result = subprocess.run(
        [sys.executable, str(PLUGIN_DIR), "--schema"], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == schema


# --- construction through the provider --------------------------------------------------------------------------


def construct(token: str, inputs: dict[str, Any]) -> tuple[MockRun, dict[str, Any]]:
    """What the engine's Construct call does: schema-named inputs in, (URN, state) out."""
    host = ComponentProvider(provider.COMPONENTS, provider.PACKAGE_NAME, None, "0.0.0")

    def program() -> None:
        result = host.construct("sep", token, inputs, pulumi.ResourceOptions())
        pulumi.export("urn", result.urn)
        pulumi.export("state", result.state)

    run = run_program(program, preview=False)
    return run, run.outputs["state"]


def assert_state_matches_schema(schema: dict[str, Any], token: str, state: dict[str, Any]) -> None:
    spec = schema["resources"][token]
    assert set(spec["required"]) <= set(state) <= set(spec["properties"])
    for name, value in state.items():
        items = spec["properties"][name].get("items", {})
        if "$ref" in items:  # objects in a list keep the names the SDKs read
            kind = schema["types"][items["$ref"].removeprefix("#/types/")]
            for item in value:
                assert set(kind.get("required", [])) <= set(item) <= set(kind["properties"]), (name, item)


def test_construct_network_firewall_allowlist(schema: dict[str, Any]) -> None:
    token = "sep-egress:index:NetworkFirewallAllowlist"
    run, state = construct(
        token,
        {
            "version": "14.3 RU1",
            "mode": "on-prem",
            "sourceCidrs": {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]},
            "headroomPercent": 30.0,  # numbers cross the wire as floats
            "firewall": {"vpcId": "vpc-0123456789abcdef0", "subnetIds": ["subnet-0123456789abcdef0"]},
            "logging": {"alertDestination": "/aws/network-firewall/sep-egress"},
            "tags": {"team": "network"},
        },
    )
    (outer,) = run.of_type(token)
    (inner,) = run.of_type("sep-egress:aws:NetworkFirewallAllowlist")
    assert run.outputs["urn"] == outer.urn and inner.parent == outer.urn
    groups = run.of_type("aws:networkfirewall/ruleGroup:RuleGroup")
    assert groups and all(group.parent == inner.urn for group in groups)
    assert all(group.inputs["tags"]["team"] == "network" for group in groups)
    (firewall,) = run.of_type("aws:networkfirewall/firewall:Firewall")
    assert firewall.inputs["vpcId"] == "vpc-0123456789abcdef0"
    assert run.of_type("aws:networkfirewall/loggingConfiguration:LoggingConfiguration")

    assert_state_matches_schema(schema, token, state)
    assert len(state["ruleGroupArns"]) == len(groups)
    assert [reference["arn"] for reference in state["ruleGroupReferences"]] == state["ruleGroupArns"]
    assert state["firewallArn"].startswith("arn:aws:networkfirewall")
    assert set(state["allowedHosts"]) == {"agent", "sepm"}
    assert all(set(item) == {"capacity", "used", "priority"} for item in state["capacity"].values())


def test_construct_gcp_components(schema: dict[str, Any]) -> None:
    selection = {"version": "14.3 RU1", "mode": "hybrid"}
    token = "sep-egress:index:EgressFirewallPolicy"
    run, state = construct(
        token,
        {
            "selection": selection,
            "options": {"networks": [NETWORK], "privateGoogleAccess": True},
            "targets": {"clients": {"serviceAccounts": ["agents@p.iam.gserviceaccount.com"]}},
            "secureTags": {"parent": "projects/p", "network": "p/vpc"},
        },
    )
    (outer,) = run.of_type(token)
    (inner,) = run.of_type("sep-egress:gcp:EgressFirewallPolicy")
    assert inner.parent == outer.urn
    (policy,) = run.of_type("gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules")
    agent_rules = [rule for rule in policy.inputs["rules"] if rule.get("targetServiceAccounts")]
    assert agent_rules and all(
        rule["targetServiceAccounts"] == ["agents@p.iam.gserviceaccount.com"] for rule in agent_rules
    )
    assert run.of_type("gcp:tags/tagKey:TagKey")  # the other machine kinds got created tags
    assert_state_matches_schema(schema, token, state)
    assert state["rulePriorities"] == sorted(state["rulePriorities"])
    assert state["networkSettings"] == {"networkFirewallPolicyEnforcementOrder": "BEFORE_CLASSIC_FIREWALL"}

    token = "sep-egress:index:EgressNat"
    run, state = construct(
        token,
        {"selection": selection, "options": {"region": "europe-west1", "network": NETWORK, "subnetworks": ["w"]}},
    )
    assert run.of_type("sep-egress:gcp:EgressNat")[0].parent == run.of_type(token)[0].urn
    assert_state_matches_schema(schema, token, state)
    assert state["routerName"] and len(state["egressAddresses"]) == 2

    token = "sep-egress:index:StoragePrivateAccess"
    run, state = construct(
        token,
        {"selection": selection, "options": {"networks": [NETWORK], "subnetworks": ["w"], "routePriority": 900.0}},
    )
    assert_state_matches_schema(schema, token, state)
    assert state["enabled"] is True and state["zoneName"]
    assert state["requiredSubnetSettings"] == [{"subnetwork": "w", "privateIpGoogleAccess": True}]
    assert {route["destRange"] for route in state["routes"]} == {"199.36.153.8/30"}
    assert all(route["priority"] == 900 for route in state["routes"])


def test_nat_rule_numbers_arrive_as_integers() -> None:
    """Numbers arrive as floats, map values too; the twin converts them, so the GCP code sees the int it expects."""
    args: Any = {
        "selection": {"version": "14.3 RU1", "mode": "on-prem"},
        "options": {"region": "europe-west1", "network": NETWORK, "subnetworks": ["w"], "rule_numbers": {"x": 10.0}},
    }
    record = MockRun()
    with pytest.raises(SepEgressError, match=r"options\.rule_numbers\.x: no public IPv4 destination"):
        run_program(lambda: provider.EgressNat("nat", args), record=record)
    assert record.resources == []


def test_outputs_of_other_resources_are_refused_before_anything_is_registered() -> None:
    vpc_id = pulumi.Output.from_input("vpc-0123456789abcdef0")
    args: Any = {
        "version": "14.3 RU1",
        "source_cidrs": {"agent": ["10.10.0.0/16"]},
        "firewall": {"vpc_id": vpc_id, "subnet_ids": ["subnet-0123456789abcdef0"]},
    }
    record = MockRun()
    with pytest.raises(SepEgressError, match=r"^firewall\.vpcId: a plain value is required"):
        run_program(lambda: provider.NetworkFirewallAllowlist("sep", args), record=record)
    assert record.resources == []


def test_a_mistake_registers_nothing() -> None:
    record = MockRun()
    with pytest.raises(SepEgressError, match="source_cidrs"):
        run_program(
            lambda: provider.NetworkFirewallAllowlist(
                "sep", {"version": "14.3 RU1", "mode": "on-prem", "source_cidrs": {}}
            ),
            record=record,
        )
    assert record.resources == []


# --- docs/reuse.md ------------------------------------------------------------------------------------------------


def test_the_yaml_example_of_docs_reuse_matches_the_schema_and_constructs(schema: dict[str, Any]) -> None:
    import re

    document = (ROOT / "docs" / "reuse.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```yaml\n(.*?)```", document, re.DOTALL)
    program = yaml.safe_load(example)
    assert "sep-egress" in program["packages"]

    def check(properties: dict[str, Any], given: dict[str, Any], required: list[str], where: str) -> None:
        assert set(required) <= set(given), where
        for name, value in given.items():
            assert name in properties, f"{where}.{name} is not in the schema"
            prop = properties[name]
            if "$ref" in prop:
                kind = schema["types"][prop["$ref"].removeprefix("#/types/")]
                check(kind["properties"], value, kind.get("required", []), f"{where}.{name}")
            elif "$ref" in prop.get("additionalProperties", {}):
                kind = schema["types"][prop["additionalProperties"]["$ref"].removeprefix("#/types/")]
                for key, item in value.items():
                    check(kind["properties"], item, kind.get("required", []), f"{where}.{name}.{key}")

    for logical, declared in program["resources"].items():
        spec = schema["resources"][declared["type"]]
        check(spec["inputProperties"], declared["properties"], spec["requiredInputs"], logical)
        _, state = construct(declared["type"], declared["properties"])
        assert_state_matches_schema(schema, declared["type"], state)
    for expression in program["outputs"].values():
        logical, output = re.fullmatch(r"\$\{(\w+)\.(\w+)\}", expression).groups()  # type: ignore[union-attr]
        assert output in schema["resources"][program["resources"][logical]["type"]]["properties"]
