"""SecureWebProxy under Pulumi's mock engine: the resources it registers (pulumi-gcp's own argument names), in an
order the API accepts, every input validated before anything is registered, and the stack part
``sep-egress:gcp.secure_web_proxy`` wired to the firewall policy."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_gcp
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import GcpSpecError
from sep_egress.compile.gcp.session_matcher import parse
from sep_egress.errors import SepEgressError
from sep_egress.gcp import EgressFirewallPolicy, SecureWebProxy
from sep_egress.mock_engine import MockRun, RegisteredResource, run_program

from support import named

pytestmark = pytest.mark.pulumi

NETWORK = "projects/p/global/networks/vpc"
SUBNETWORK = "projects/p/regions/europe-west1/subnetworks/workloads"
OPTIONS = {"region": "europe-west1", "network": NETWORK, "subnetwork": SUBNETWORK, "address": "10.0.0.10"}
GATEWAY = "gcp:networkservices/gateway:Gateway"
POLICY = "gcp:networksecurity/gatewaySecurityPolicy:GatewaySecurityPolicy"
RULE = "gcp:networksecurity/gatewaySecurityPolicyRule:GatewaySecurityPolicyRule"
SUBNET = "gcp:compute/subnetwork:Subnetwork"
SDK_ARGS = {
    GATEWAY: pulumi_gcp.networkservices.GatewayArgs,
    POLICY: pulumi_gcp.networksecurity.GatewaySecurityPolicyArgs,
    RULE: pulumi_gcp.networksecurity.GatewaySecurityPolicyRuleArgs,
    SUBNET: pulumi_gcp.compute.SubnetworkArgs,
}


def accounts(plan: EgressPlan) -> dict[str, Any]:
    kinds = {"agent": "clients", "sepm": "managers", "console": "admin-workstations"}
    return {
        kind: {"service_accounts": [f"{kind}@p.iam.gserviceaccount.com"]}
        for role, kind in kinds.items()
        if role in plan.roles
    }


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def assert_sdk_arguments(resource: RegisteredResource) -> None:
    """The registered inputs are arguments of the pulumi-gcp SDK's args class, every required one present."""
    parameters = inspect.signature(SDK_ARGS[resource.type].__init__).parameters
    known = {camel(name) for name in parameters if name != "__self__"}
    required = {
        camel(name)
        for name, parameter in parameters.items()
        if name != "__self__" and parameter.default is inspect.Parameter.empty
    }
    assert set(resource.inputs) <= known, (resource.type, set(resource.inputs) - known)
    assert required <= set(resource.inputs), (resource.type, required - set(resource.inputs))


def test_the_proxy_registers_its_resources_in_order(hybrid_plan: EgressPlan) -> None:
    args = {
        "plan": hybrid_plan,
        "targets": accounts(hybrid_plan),
        "options": {**OPTIONS, "names": "all", "port": 3128, "proxy_only_subnet_range": "10.129.0.0/23"},
    }
    run = run_program(lambda: SecureWebProxy("swp", args))
    (component,) = run.of_type("sep-egress:gcp:SecureWebProxy")
    children = [resource for resource in run.resources if resource.custom]
    assert sorted({resource.type for resource in children}) == sorted({SUBNET, POLICY, RULE, GATEWAY})
    assert all(resource.parent == component.urn for resource in children)
    for resource in children:
        assert_sdk_arguments(resource)
    (subnet,) = run.of_type(SUBNET)
    assert subnet.inputs["purpose"] == "REGIONAL_MANAGED_PROXY" and subnet.inputs["role"] == "ACTIVE"
    (policy,) = run.of_type(POLICY)
    assert "tlsInspectionPolicy" not in policy.inputs
    rules = run.of_type(RULE)
    assert len(rules) == len(SecureWebProxy.prepare(args)[0].rules) > 3
    # Each rule after the previous one, the first after the policy; the gateway after the last rule and the subnet.
    previous = policy.urn
    for rule in rules:
        assert previous in rule.depends_on
        assert rule.inputs["tlsInspectionEnabled"] is False and rule.inputs["basicProfile"] == "ALLOW"
        assert re.fullmatch(r"[a-z-]{4,63}", rule.inputs["name"])
        parse(rule.inputs["sessionMatcher"])
        previous = rule.urn
    (gateway,) = run.of_type(GATEWAY)
    assert {previous, subnet.urn} <= set(gateway.depends_on)
    assert gateway.inputs["type"] == "SECURE_WEB_GATEWAY"
    assert gateway.inputs["routingMode"] == "EXPLICIT_ROUTING_MODE"
    assert gateway.inputs["ports"] == [3128] and gateway.inputs["addresses"] == ["10.0.0.10"]
    assert "certificateUrls" not in gateway.inputs
    assert gateway.inputs["deleteSwgAutogenRouterOnDestroy"] is True
    outputs = run.registered_outputs[component.urn]
    assert outputs["proxy_url"] == "http://10.0.0.10:3128" and outputs["port"] == 3128
    assert set(outputs) == set(SecureWebProxy.OUTPUTS)


def test_without_a_range_no_proxy_only_subnet_is_created(cloud_plan: EgressPlan) -> None:
    run = run_program(
        lambda: SecureWebProxy("swp", {"plan": cloud_plan, "targets": accounts(cloud_plan), "options": OPTIONS})
    )
    assert run.of_type(SUBNET) == []
    outputs = next(iter(run.registered_outputs.values()))
    assert "gcp-swp-proxy-only-subnet" in {warning["code"] for warning in outputs["warnings"]}
    assert all(host.endswith((".amazonaws.com", "storage.googleapis.com")) for host in outputs["hosts"])


def test_created_tag_values_become_their_ids_in_the_matchers(cloud_plan: EgressPlan) -> None:
    firewall_args = {
        "plan": cloud_plan,
        "secure_tags": {"parent": "projects/p", "network": "p/vpc"},
        "options": {"networks": [NETWORK]},
    }

    def program() -> None:
        policy = EgressFirewallPolicy("egress", firewall_args)
        SecureWebProxy(
            "swp",
            {
                "plan": cloud_plan,
                "targets": {"clients": {"secure_tags": ["created:clients"]}},
                "created_tag_values": policy.secure_tag_values,
                "options": OPTIONS,
            },
        )

    run = run_program(program)
    matchers = [rule.inputs["sessionMatcher"] for rule in run.of_type(RULE)]
    assert matchers and all("source.matchTag('egress-tag-clients-id')" in matcher for matcher in matchers)
    assert not any("created:" in matcher for matcher in matchers)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"targets": {"clients": {"secure_tags": ["created:clients"]}}}, r"^created_tag_values: the targets use"),
        ({"options": {**OPTIONS, "address": "10.0.0"}}, r"^options\.address: '10\.0\.0' is not an IPv4 address"),
        ({"options": {**OPTIONS, "port": "443"}}, r"^options\.port: "),
        (
            {"options": {**OPTIONS, "routing_mode": "NEXT_HOP_ROUTING_MODE"}},
            r"^options\.routing_mode: NEXT_HOP_ROUTING_MODE is not offered",
        ),
        ({"options": {**OPTIONS, "project": "Bad Project"}}, r"^options\.project: 'Bad Project' is not a project id"),
        ({"targets": {"clients": {"service_accounts": ["not-an-account"]}}}, r"^targets\.clients\.service_accounts"),
        ({"targets": {}}, r"^targets\.clients: the plan needs role\(s\) agent, agent-cloud"),
    ],
)
def test_invalid_inputs_fail_before_anything_is_registered(
    cloud_plan: EgressPlan, changes: dict[str, Any], message: str
) -> None:
    args = {"plan": cloud_plan, "targets": accounts(cloud_plan), "options": OPTIONS, **changes}
    record = MockRun()
    with pytest.raises(SepEgressError, match=named("SecureWebProxy", "swp", message)):
        run_program(lambda: SecureWebProxy("swp", args), record=record)
    assert record.resources == []


def test_network_and_subnetwork_outputs_pass_through(cloud_plan: EgressPlan) -> None:
    def program() -> None:
        SecureWebProxy(
            "swp",
            {
                "plan": cloud_plan,
                "targets": accounts(cloud_plan),
                "options": {
                    **OPTIONS,
                    "network": pulumi.Output.from_input(NETWORK),
                    "subnetwork": pulumi.Output.from_input("projects/p/regions/europe-west1/subnetworks/other"),
                },
            },
        )

    (gateway,) = run_program(program).of_type(GATEWAY)
    assert gateway.inputs["network"] == NETWORK
    assert gateway.inputs["subnetwork"] == "projects/p/regions/europe-west1/subnetworks/other"


# --- the stack part --------------------------------------------------------------------------------------------------


def stack_values(**proxy: Any) -> dict[str, Any]:
    return {
        "sep-egress:version": "14.3 RU1",
        "sep-egress:mode": "cloud",
        "sep-egress:gcp": {
            "firewall": {
                "secure_tags": {"parent": "projects/p", "network": "p/vpc"},
                "options": {"networks": [NETWORK]},
            },
            "secure_web_proxy": {"options": {**OPTIONS, **proxy}},
        },
    }


def test_the_stack_part_wires_the_proxy_to_the_firewall(tmp_path: Path) -> None:
    from sep_egress.program import control_warnings, prepare_deployment
    from sep_egress.settings import parse_stack_config

    deployment = prepare_deployment(parse_stack_config(stack_values(port=3128), "Pulumi.test.yaml", tmp_path))
    assert set(deployment.gcp) == {"firewall", "secure_web_proxy"}
    firewall_spec, proxy_spec = deployment.specs
    proxied = set(proxy_spec.hosts)
    assert proxied and not proxied & {name for rule in firewall_spec.rules for name in rule.dest_fqdns}
    (to_proxy,) = [rule for rule in firewall_spec.rules if "-swp-" in rule.rule_name]
    assert to_proxy.dest_ip_ranges == ("10.0.0.10/32",) and to_proxy.layer4[0].ports == ("3128",)
    assert "gcp-swp-client-proxy" in {warning["code"] for warning in control_warnings(deployment)}
    run = run_program(deployment.register)
    assert run.outputs["gcpSecureWebProxyUrl"] == "http://10.0.0.10:3128"
    assert run.outputs["gcpSecureWebProxyAddress"] == "10.0.0.10" and run.outputs["gcpSecureWebProxyPort"] == 3128
    assert sorted(run.outputs["gcpSecureWebProxyHosts"]) == sorted(proxied)
    # The firewall's created tag value reaches the proxy's matchers as its id.
    assert all("'sep-egress-tag-clients-id'" in rule.inputs["sessionMatcher"] for rule in run.of_type(RULE))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda values: values["sep-egress:gcp"]["firewall"]["options"].update(
                secure_web_proxy={"address": "10.0.0.11"}
            ),
            r"gcp\.firewall\.options\.secure_web_proxy: set by gcp\.secure_web_proxy",
        ),
        (
            lambda values: values["sep-egress:gcp"]["secure_web_proxy"]["options"].update(private_google_access=True),
            r"gcp\.secure_web_proxy\.options\.private_google_access: follows gcp\.firewall",
        ),
        (
            lambda values: values["sep-egress:gcp"]["secure_web_proxy"]["options"].update(address="192.0.2.300"),
            r"gcp\.secure_web_proxy: options\.address: '192\.0\.2\.300' is not an IPv4 address",
        ),
        (
            lambda values: values["sep-egress:gcp"]["secure_web_proxy"].update(version="14.3"),
            r"gcp\.secure_web_proxy: the stack's plan already decides version",
        ),
    ],
)
def test_the_stack_part_refuses_contradictions(tmp_path: Path, mutate: Any, message: str) -> None:
    from sep_egress.program import prepare_deployment
    from sep_egress.settings import parse_stack_config

    values = stack_values()
    mutate(values)
    with pytest.raises(SepEgressError, match=message):
        prepare_deployment(parse_stack_config(values, "Pulumi.test.yaml", tmp_path))


def test_a_stack_without_the_part_is_unchanged(tmp_path: Path) -> None:
    from sep_egress.program import prepare_deployment
    from sep_egress.settings import parse_stack_config

    values = stack_values()
    del values["sep-egress:gcp"]["secure_web_proxy"]
    (firewall_spec,) = prepare_deployment(parse_stack_config(values, "Pulumi.test.yaml", tmp_path)).specs
    assert not any("-swp-" in rule.rule_name for rule in firewall_spec.rules)
    with pytest.raises(GcpSpecError):
        SecureWebProxy.prepare(
            {"selection": {"mode": "cloud", "version": "14.3 RU1"}, "targets": {}, "options": OPTIONS}
        )


def test_a_broken_firewall_part_is_reported_once(tmp_path: Path) -> None:
    """The proxy's machines are the firewall's: a firewall mistake is reported, not a second error about them."""
    from sep_egress.program import prepare_deployment
    from sep_egress.settings import parse_stack_config

    values = stack_values()
    values["sep-egress:gcp"]["firewall"]["options"]["networks"] = ["vpc"]
    with pytest.raises(SepEgressError) as raised:
        prepare_deployment(parse_stack_config(values, "Pulumi.test.yaml", tmp_path))
    assert "gcp.firewall: options.networks[0]" in str(raised.value)
    assert "gcp.secure_web_proxy" not in str(raised.value)


def test_the_documented_stack_block_prepares(tmp_path: Path) -> None:
    """docs/gcp.md's stack fragment, as written, plus a mode and version: the proxy part and the firewall hook."""
    import textwrap

    import yaml

    from sep_egress.program import prepare_deployment
    from sep_egress.settings import parse_stack_config

    text = (Path(__file__).parents[2] / "docs" / "gcp.md").read_text(encoding="utf-8")
    section = text[text.index("### Stack configuration") :]
    block = section[section.index("```yaml\n") + len("```yaml\n") : section.index("```\n", section.index("```yaml"))]
    config = yaml.safe_load(textwrap.dedent("\n".join(block.splitlines()[1:])))
    values = {"sep-egress:mode": "cloud", "sep-egress:version": "14.3 RU1", **config}
    deployment = prepare_deployment(parse_stack_config(values, "Pulumi.docs.yaml", tmp_path))
    firewall_spec, proxy_spec = deployment.specs
    assert proxy_spec.options.port == 3128 and proxy_spec.options.proxy_only_subnet_range == "10.129.0.0/23"
    assert any(rule.rule_name == "sep-egress-swp-m01" for rule in firewall_spec.rules)
    assert "gcp-swp-selection-proxy" not in {warning.code for warning in proxy_spec.warnings}


def test_the_firewall_option_alone_serves_a_proxy_another_team_runs(tmp_path: Path) -> None:
    from sep_egress.program import prepare_deployment
    from sep_egress.settings import parse_stack_config

    values = stack_values()
    del values["sep-egress:gcp"]["secure_web_proxy"]
    route = {"address": "10.50.0.5", "port": 8080, "names": "all"}
    values["sep-egress:gcp"]["firewall"]["options"]["secure_web_proxy"] = route
    (firewall_spec,) = prepare_deployment(parse_stack_config(values, "Pulumi.test.yaml", tmp_path)).specs
    assert not any(rule.dest_fqdns for rule in firewall_spec.rules)
    (to_proxy,) = [rule for rule in firewall_spec.rules if "-swp-" in rule.rule_name]
    assert to_proxy.dest_ip_ranges == ("10.50.0.5/32",) and to_proxy.layer4[0].ports == ("8080",)
    run = run_program(
        lambda: EgressFirewallPolicy(
            "egress", {**values["sep-egress:gcp"]["firewall"], "selection": {"mode": "cloud", "version": "14.3 RU1"}}
        )
    )
    (policy,) = run.of_type("gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules")
    assert {"10.50.0.5/32"} in [set(rule["match"].get("destIpRanges", [])) for rule in policy.inputs["rules"]]
