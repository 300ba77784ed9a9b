"""The component package: the schema Pulumi's own analyzer infers, the plugin manifest, and construction through
the same ``ComponentProvider`` that ``component_provider_host`` serves (under the mock engine; no CLI, no server).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import typing
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.schema import generate_schema
from pulumi.provider.experimental.util import camel_case
from pydantic import BaseModel, Field

from sep_egress import aws, gcp, provider
from sep_egress.arguments import INPUT, InputStr, InputStrItems
from sep_egress.errors import SepEgressError
from sep_egress.mock_engine import MockRun, RegisteredResource, run_program
from sep_egress.provider.host import enrich_schema

from support import NETWORK, ROOT

pytestmark = pytest.mark.pulumi

PLUGIN_DIR = ROOT / "provider"
TOKENS = {
    "sep-egress:index:NetworkFirewallAllowlist",
    "sep-egress:index:EgressFirewallPolicy",
    "sep-egress:index:EgressNat",
    "sep-egress:index:StoragePrivateAccess",
}


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
    inputs = {f"sep-egress:index:{name}" for name in python_models()} - {
        f"sep-egress:index:{model.__name__}" for model in provider.ARGS_MODELS
    }
    outputs = {
        f"sep-egress:index:{name}"
        for name in (
            "RuleGroupReference",
            "RuleGroupCapacity",
            "EgressWarning",
            "NatRule",
            "NetworkCheck",
            "PrivateAccessRoute",
            "RecordCheck",
            "SubnetSetting",
        )
    }
    enums = {token for token, spec in schema["types"].items() if "enum" in spec}
    assert set(schema["types"]) - enums == inputs | outputs
    assert schema["dependencies"] == []  # no resource references: consumers need no aws or gcp SDK of ours


def test_the_schema_is_what_pulumis_analyzer_infers(schema: dict[str, Any]) -> None:
    """package_schema() is Analyzer + generate_schema, as component_provider_host does, plus only what the analyzer
    cannot infer (enum types, licence and links: host.enrich_schema)."""
    result = Analyzer("sep-egress").analyze(provider.COMPONENTS)
    generated = generate_schema(
        "sep-egress",
        schema["version"],
        None,
        result["component_definitions"],
        result["type_definitions"],
        sorted(result["dependencies"], key=lambda d: f"{d.name}{d.version}"),
    ).to_json()
    assert enrich_schema(json.loads(json.dumps(generated))) == schema


def test_inputs_with_a_fixed_list_of_values_are_enums_and_the_package_says_its_licence(schema: dict[str, Any]) -> None:
    allowlist = schema["resources"]["sep-egress:index:NetworkFirewallAllowlist"]["inputProperties"]
    types = schema["types"]

    def values(reference: str) -> list[str]:
        enum = types[reference.removeprefix("#/types/")]
        assert enum["type"] == "string"
        return [item["value"] for item in enum["enum"]]

    assert values(allowlist["blockAction"]["$ref"]) == ["reject", "drop"]
    assert values(allowlist["style"]["$ref"]) == ["suricata", "domain-list"]
    selection = types["sep-egress:index:SelectionArgs"]["properties"]
    assert values(selection["mode"]["$ref"]) == ["on-prem", "hybrid", "cloud"]
    assert values(selection["storage"]["$ref"]) == ["both", "gcp", "aws"]
    assert "plain" in allowlist["blockAction"] and "type" not in allowlist["blockAction"]
    assert schema["license"] == "Apache-2.0" and schema["description"]


def python_models() -> dict[str, type[BaseModel]]:
    """Every args model of the Python components, with the models they nest, by class name."""
    found: dict[str, type[BaseModel]] = {}

    def walk(annotation: Any) -> None:
        is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        if is_model and annotation.__name__ not in found:
            found[annotation.__name__] = annotation
            for field in annotation.model_fields.values():
                walk(field.annotation)
        for argument in typing.get_args(annotation):
            walk(argument)

    for component in provider.WRAPS.values():
        walk(typing.get_type_hints(component.__init__)["args"])
    return found


def test_the_package_inputs_are_the_python_args(schema: dict[str, Any]) -> None:
    """Same names, same required fields, and an Input exactly where the Python model accepts a pulumi.Output.

    The package's input types are generated from the Python models, so an argument added to the Python args later
    appears here too; this checks the generation against the models themselves.
    """
    models = python_models()
    assert set(models) >= {"SelectionArgs", "FirewallSettings", "RoleTargetArgs", "NatOptionsArgs"}
    for name, model in models.items():
        if name in {m.__name__ for m in provider.ARGS_MODELS}:
            [component] = [c for c, wrapped in provider.WRAPS.items() if model.__name__ == f"{wrapped.__name__}Args"]
            spec = resource(schema, component.__name__)
            properties, required = spec["inputProperties"], set(spec.get("requiredInputs", []))
        else:
            kind = object_type(schema, name)
            properties, required = kind["properties"], set(kind.get("required", []))
        fields = {field: info for field, info in model.model_fields.items() if field != "plan"}
        assert set(properties) == {camel_case(field) for field in fields}, name
        python_required = {camel_case(field) for field, info in fields.items() if info.is_required()}
        if "plan" in model.model_fields:  # a plan is Python-only: the package needs the selection
            python_required.add("selection")
        assert required == python_required, name
        for field, info in fields.items():
            accepts_outputs = INPUT in info.metadata or any(
                INPUT in getattr(argument, "__metadata__", ()) for argument in typing.get_args(info.annotation)
            )
            prop = properties[camel_case(field)]
            if provider.inputs._field_type(info) == InputStrItems:  # a plain list (one resource per item) of Inputs
                assert prop["plain"] is True and "plain" not in prop["items"], f"{name}.{field}"
            else:
                assert (prop.get("plain") is not True) == accepts_outputs, f"{name}.{field}"
            assert properties[camel_case(field)]["description"].startswith((info.description or "")[:20])


def test_a_new_python_argument_appears_in_the_package() -> None:
    """What happens when a Python args model gains an argument: the generated input type has it, with its doc."""

    class Extended(aws.NetworkFirewallAllowlistArgs):
        block_action: str = Field(default="drop", description="What the guard does with the rest.")
        existing_policy: InputStr | None = Field(default=None, description="ARN of a policy another team owns.")
        pins: tuple[int, ...] = Field(default=(), description="Pinned priorities.")

    models: dict[str, type[BaseModel]] = {}
    provider.inputs._collect(Extended, models)
    original = provider.inputs.ARGS_MODELS
    try:
        provider.inputs.ARGS_MODELS = (Extended,)
        source = provider.package_args_source()
    finally:
        provider.inputs.ARGS_MODELS = original
    assert "    block_action: NotRequired[str]" in source
    assert "    existing_policy: NotRequired[pulumi.Input[str]]" in source
    assert "    pins: NotRequired[list[int]]" in source
    assert '"""What the guard does with the rest. Default: \\"drop\\"."""' in source


def test_network_firewall_allowlist_inputs(schema: dict[str, Any]) -> None:
    spec = resource(schema, "NetworkFirewallAllowlist")
    assert spec["requiredInputs"] == ["selection"]
    shaped = shapes(spec["inputProperties"])
    assert shaped["selection"] == "SelectionArgs" and shaped["firewall"] == "FirewallSettings"
    assert shaped["sourceCidrs"] == {"*": ["string"]} and shaped["tags"] == {"*": "string"}
    assert "plan" not in shaped
    # Plain: the rules are compiled from these values when the component is constructed; tags pass through.
    assert spec["inputProperties"]["sourceCidrs"]["plain"] is True
    assert "plain" not in spec["inputProperties"]["tags"]
    firewall = object_type(schema, "FirewallSettings")
    assert firewall["required"] == ["subnetIds", "vpcId"]
    assert "plain" not in firewall["properties"]["vpcId"] and "plain" not in firewall["properties"]["subnetIds"]
    assert firewall["properties"]["deleteProtection"]["plain"] is True
    # every logging field has a default (CloudWatch Logs groups named under /aws/vendedlogs/ by default)
    assert "required" not in object_type(schema, "LoggingSettings")
    assert (
        "KinesisDataFirehose" in object_type(schema, "LoggingSettings")["properties"]["destinationType"]["description"]
    )
    assert "required" not in object_type(schema, "DistributionSettings")  # every field has a default
    assert (
        "One of: none, firewall-manager, ram"
        in object_type(schema, "DistributionSettings")["properties"]["method"]["description"]
    )


def test_outputs_are_the_python_components_outputs(schema: dict[str, Any]) -> None:
    """Every output of a Python component is an output of its package twin (camelCase), and nothing else."""
    for component, wrapped in provider.WRAPS.items():
        names = getattr(wrapped, "OUTPUTS", None) or aws.OUTPUTS
        spec = resource(schema, component.__name__)
        assert set(spec["properties"]) == {camel_case(name) for name in names}, component.__name__
    spec = resource(schema, "NetworkFirewallAllowlist")
    assert "firewallPolicyArn" not in spec["required"] and "firewallArn" not in spec["required"]
    assert shapes(spec["properties"])["ruleGroupReferences"] == ["RuleGroupReference"]
    assert shapes(spec["properties"])["capacity"] == {"*": "RuleGroupCapacity"}
    assert shapes(resource(schema, "EgressFirewallPolicy")["properties"])["secureTagValues"] == {"*": "string"}
    assert shapes(resource(schema, "EgressNat")["properties"])["ruleAddresses"] == {"*": ["string"]}
    assert "zoneName" not in resource(schema, "StoragePrivateAccess")["required"]
    assert shapes(object_type(schema, "NatRule")["properties"]) == {
        "ruleNumber": "integer",
        "entryIds": ["string"],
        "ranges": ["string"],
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


@pytest.mark.real_program
def test_the_entry_point_prints_the_same_schema(schema: dict[str, Any]) -> None:
    """The plugin's own __main__.py, in a subprocess (``--schema`` starts no server and opens no socket)."""
    result = subprocess.run(
        [sys.executable, str(PLUGIN_DIR), "--schema"], capture_output=True, text=True, timeout=120, cwd="/"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == schema


# --- construction through the provider --------------------------------------------------------------------------


def construct(token: str, inputs: dict[str, Any] | Callable[[], dict[str, Any]]) -> tuple[MockRun, dict[str, Any]]:
    """What the engine's Construct call does: schema-named inputs in, (URN, state) out.

    ``inputs`` may be a function, called inside the program, when they hold ``pulumi.Output``s.
    """
    host = ComponentProvider(provider.COMPONENTS, provider.PACKAGE_NAME, None, "0.0.0")

    def program() -> None:
        given = inputs() if callable(inputs) else inputs
        result = host.construct("sep", token, given, pulumi.ResourceOptions())
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
            "selection": {"version": "14.3 RU1", "mode": "on-prem"},
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


def test_outputs_pass_through_where_the_python_args_take_them() -> None:
    vpc_id = pulumi.Output.from_input("vpc-0123456789abcdef0")
    args: Any = {
        "selection": {"version": "14.3 RU1", "mode": "on-prem"},
        "source_cidrs": {"agent": ["10.10.0.0/16"]},
        "firewall": {"vpc_id": vpc_id, "subnet_ids": ["subnet-0123456789abcdef0"]},
    }
    run = run_program(lambda: provider.NetworkFirewallAllowlist("sep", args))
    (firewall,) = run.of_type("aws:networkfirewall/firewall:Firewall")
    assert firewall.inputs["vpcId"] == "vpc-0123456789abcdef0"


def test_an_output_where_the_rules_need_the_value_is_refused_before_anything_is_registered() -> None:
    args: Any = {
        "selection": {"version": "14.3 RU1", "mode": "on-prem"},
        "source_cidrs": {"agent": [pulumi.Output.from_input("10.10.0.0/16")]},
    }
    record = MockRun()
    with pytest.raises(SepEgressError, match=r"^source_cidrs\.agent\[0\]: a pulumi\.Output cannot be used here"):
        run_program(lambda: provider.NetworkFirewallAllowlist("sep", args), record=record)
    assert record.resources == []


def test_a_mistake_registers_nothing() -> None:
    record = MockRun()
    with pytest.raises(SepEgressError, match="source_cidrs"):
        run_program(
            lambda: provider.NetworkFirewallAllowlist(
                "sep", {"selection": {"version": "14.3 RU1", "mode": "on-prem"}, "source_cidrs": {}}
            ),
            record=record,
        )
    assert record.resources == []


# --- moving a stack between the Python library and the package keeps its URNs -------------------------------------


def engine_urn(urn: str) -> str:
    """The URN as the Pulumi engine writes it: a child of the stack has no ``pulumi:pulumi:Stack$`` type prefix
    (the mock monitor adds it)."""
    return urn.replace("::pulumi:pulumi:Stack$", "::")


def alias_urns(resource: RegisteredResource, run: MockRun) -> set[str]:
    """The URNs the engine accepts as this resource's earlier identity: its alias specs, and the aliases it
    inherits from its parent's (pulumi/pulumi ``inheritedChildAlias``: the child under each alias of its parent,
    a parent-name prefix of the child's name renamed alongside)."""
    stack_and_project = "::".join(resource.urn.split("::")[:2])
    parent = run.by_urn(resource.parent) if resource.parent else None
    parent_urns = {engine_urn(resource.parent)} if resource.parent else set()
    found: set[str] = set()
    for alias in resource.aliases:
        if alias.get("noParent"):
            found.add(f"{stack_and_project}::{resource.type}::{resource.name}")
        elif "parentUrn" in alias:
            parent_types = engine_urn(alias["parentUrn"]).split("::")[2]
            found.add(f"{stack_and_project}::{parent_types}${resource.type}::{resource.name}")
    if parent is not None:
        for parent_alias in alias_urns(parent, run) - parent_urns:
            parent_types, parent_name = parent_alias.split("::")[2], parent_alias.split("::")[3]
            name = resource.name
            if name.startswith(parent.name):
                name = parent_name + name[len(parent.name) :]
            found.add(f"{stack_and_project}::{parent_types}${resource.type}::{name}")
    return found


AWS_ARGS = {
    "selection": {"version": "14.3 RU1", "mode": "hybrid"},
    "source_cidrs": {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]},
    "firewall": {"vpc_id": "vpc-1", "subnet_ids": ["subnet-1"]},
    "distribution": {"method": "ram", "principals": ["123456789012"]},
}
PYTHON_AND_PACKAGE = [
    (
        lambda: aws.NetworkFirewallAllowlist("sep", aws.NetworkFirewallAllowlistArgs.parse(AWS_ARGS)),
        "sep-egress:index:NetworkFirewallAllowlist",
        {
            "selection": {"version": "14.3 RU1", "mode": "hybrid"},
            "sourceCidrs": {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]},
            "firewall": {"vpcId": "vpc-1", "subnetIds": ["subnet-1"]},
            "distribution": {"method": "ram", "principals": ["123456789012"]},
        },
    ),
    (
        lambda: gcp.EgressFirewallPolicy(
            "sep",
            {
                "selection": {"version": "14.3 RU1", "mode": "cloud"},
                "secure_tags": {"parent": "organizations/1"},
                "options": {"networks": [NETWORK]},
            },
        ),
        "sep-egress:index:EgressFirewallPolicy",
        {
            "selection": {"version": "14.3 RU1", "mode": "cloud"},
            "secureTags": {"parent": "organizations/1"},
            "options": {"networks": [NETWORK]},
        },
    ),
    (
        lambda: gcp.EgressNat(
            "sep",
            {
                "selection": {"version": "14.3 RU1", "mode": "cloud"},
                "options": {"region": "europe-west1", "network": NETWORK, "subnetworks": ["w"]},
            },
        ),
        "sep-egress:index:EgressNat",
        {
            "selection": {"version": "14.3 RU1", "mode": "cloud"},
            "options": {"region": "europe-west1", "network": NETWORK, "subnetworks": ["w"]},
        },
    ),
    (
        lambda: gcp.StoragePrivateAccess(
            "sep", {"selection": {"version": "14.3 RU1", "mode": "cloud"}, "options": {"networks": [NETWORK]}}
        ),
        "sep-egress:index:StoragePrivateAccess",
        {"selection": {"version": "14.3 RU1", "mode": "cloud"}, "options": {"networks": [NETWORK]}},
    ),
]


@pytest.mark.parametrize(("python_program", "token", "inputs"), PYTHON_AND_PACKAGE)
def test_a_stack_moving_from_the_python_library_to_the_package_keeps_every_urn(
    python_program: Any, token: str, inputs: dict[str, Any]
) -> None:
    library = run_program(python_program, preview=False)
    package, _ = construct(token, inputs)
    known = {engine_urn(resource.urn) for resource in package.resources}
    for resource in package.resources:
        known |= alias_urns(resource, package)
    assert len(library.resources) > 1
    assert [resource.urn for resource in library.resources if engine_urn(resource.urn) not in known] == []


def test_a_stack_moving_from_the_package_to_the_python_library_keeps_every_urn() -> None:
    inputs = PYTHON_AND_PACKAGE[0][2]
    package, _ = construct("sep-egress:index:NetworkFirewallAllowlist", inputs)
    opts = pulumi.ResourceOptions(aliases=[provider.package_alias(provider.NetworkFirewallAllowlist, "sep")])
    args = aws.NetworkFirewallAllowlistArgs.parse(AWS_ARGS)
    library = run_program(lambda: aws.NetworkFirewallAllowlist("sep", args, opts), preview=False)
    known = {engine_urn(resource.urn) for resource in library.resources}
    for resource in library.resources:
        known |= alias_urns(resource, library)
    wrapper = {resource.urn for resource in package.of_type("sep-egress:index:NetworkFirewallAllowlist")}
    moved = [r.urn for r in package.resources if r.urn not in wrapper]
    assert len(moved) > 1
    assert [urn for urn in moved if engine_urn(urn) not in known] == []


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
            if "$ref" in prop and "enum" in schema["types"][prop["$ref"].removeprefix("#/types/")]:
                enum = schema["types"][prop["$ref"].removeprefix("#/types/")]["enum"]
                assert value in [item["value"] for item in enum], f"{where}.{name}: {value!r}"
            elif "$ref" in prop:
                kind = schema["types"][prop["$ref"].removeprefix("#/types/")]
                check(kind["properties"], value, kind.get("required", []), f"{where}.{name}")
            elif "$ref" in prop.get("additionalProperties", {}):
                kind = schema["types"][prop["additionalProperties"]["$ref"].removeprefix("#/types/")]
                for key, item in value.items():
                    check(kind["properties"], item, kind.get("required", []), f"{where}.{name}.{key}")

    def with_outputs(value: Any) -> Any:
        """``${resource.property}`` of the example as the Output the engine would pass (an id of the mock)."""
        if isinstance(value, str) and (found := re.fullmatch(r"\$\{(\w+)\.id\}", value)):
            return pulumi.Output.from_input(f"vpc-{found.group(1).lower()}")
        if isinstance(value, dict):
            return {key: with_outputs(item) for key, item in value.items()}
        if isinstance(value, list):
            return [with_outputs(item) for item in value]
        return value

    ours = {logical: declared for logical, declared in program["resources"].items() if declared["type"] in TOKENS}
    assert len(ours) == 2
    for logical, declared in ours.items():
        spec = schema["resources"][declared["type"]]
        check(spec["inputProperties"], declared["properties"], spec["requiredInputs"], logical)
        run, state = construct(declared["type"], lambda declared=declared: with_outputs(declared["properties"]))
        assert_state_matches_schema(schema, declared["type"], state)
        for firewall in run.of_type("aws:networkfirewall/firewall:Firewall"):
            assert firewall.inputs["vpcId"] == "vpc-inspectionvpc"
    for expression in program["outputs"].values():
        logical, output = re.fullmatch(r"\$\{(\w+)\.(\w+)\}", expression).groups()  # type: ignore[union-attr]
        assert output in schema["resources"][program["resources"][logical]["type"]]["properties"]


def test_the_outputs_table_of_docs_reuse_is_the_schema(schema: dict[str, Any]) -> None:
    import re

    document = (ROOT / "docs" / "reuse.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(sep-egress:index:\w+)` \| .*? \| (.*?) \|$", document, re.MULTILINE)
    assert {token for token, _ in rows} == TOKENS
    for token, outputs in rows:
        assert set(re.findall(r"`(\w+)`", outputs)) == set(schema["resources"][token]["properties"]), token
