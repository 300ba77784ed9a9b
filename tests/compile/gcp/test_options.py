"""The GCP compiler's options (scope, networks, targets, NAT and Private Google Access settings): every value that
reaches an API body is checked, and names and ids are matched whole."""

from __future__ import annotations

import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import parse_targets
from sep_egress.compile.gcp.firewall import (
    compile_firewall_policy,
)
from sep_egress.compile.gcp.options import (
    FirewallOptions,
    GcpSpecError,
    NatOptions,
    PrivateAccessOptions,
    RoleTarget,
)

from support import NETWORK, SUFFIXES
from support import firewall_options as options


@pytest.mark.parametrize("description", ["x\ny", "x\u2028y", "x\x1b[2Jy"])
def test_gcp_text_options_refuse_line_breaks_and_controls(description: str) -> None:
    from sep_egress.compile.gcp.options import FirewallOptions, GcpSpecError

    with pytest.raises(GcpSpecError, match=r"options\.description"):
        FirewallOptions(description=description)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_gcp_names_are_matched_whole(suffix: str) -> None:
    network = "projects/my-project/global/networks/workloads"
    subnetwork = "projects/my-project/regions/europe-west1/subnetworks/endpoints"
    with pytest.raises(GcpSpecError, match=r"options\.networks\[0\]"):
        FirewallOptions(networks=(network + suffix,))
    with pytest.raises(GcpSpecError, match=r"targets\.clients"):
        RoleTarget.parse("targets.clients", {"secure_tags": ["tagValues/123" + suffix]})
    with pytest.raises(GcpSpecError, match=r"targets\.clients"):
        RoleTarget.parse("targets.clients", {"service_accounts": ["sep@p.iam.gserviceaccount.com" + suffix]})
    nat = {"region": "europe-west1", "network": network, "subnetworks": (subnetwork,)}
    for key, value in (("region", "europe-west1" + suffix), ("network", network + suffix)):
        with pytest.raises(GcpSpecError, match=rf"options\.{key}"):
            NatOptions(**{**nat, key: value})
    with pytest.raises(GcpSpecError, match=r"options\.subnetworks\[0\]"):
        NatOptions(**{**nat, "subnetworks": (subnetwork + suffix,)})
    with pytest.raises(GcpSpecError, match=r"options\.networks\[0\]"):
        PrivateAccessOptions(networks=(network + suffix,))
    with pytest.raises(GcpSpecError, match=r"options\.subnetworks\[0\]"):
        PrivateAccessOptions(networks=(network,), subnetworks=(subnetwork + suffix,))


def test_the_accepted_forms_still_pass() -> None:
    url = "https://www.googleapis.com/compute/v1/projects/my-project/global/networks/workloads"
    FirewallOptions(networks=(url,))
    NatOptions(region="europe-west1", network="workloads", subnetworks=("endpoints",))
    NatOptions(
        region="europe-west1",
        network=url,
        subnetworks=(url.replace("global/networks", "regions/europe-west1/subnetworks"),),
    )
    RoleTarget.parse("targets.clients", {"secure_tags": ["tagValues/123"]})


def test_targets_are_validated(cloud_plan: EgressPlan) -> None:
    with pytest.raises(GcpSpecError, match=r"^targets\.agent: .*never both"):
        parse_targets({"agent": {"secure_tags": ["tagValues/1"], "service_accounts": ["a@p.iam.gserviceaccount.com"]}})
    with pytest.raises(GcpSpecError, match=r"^targets\.agent: no secure tag"):
        parse_targets({"agent": {}})
    with pytest.raises(GcpSpecError, match=r"^targets\.agent\.secure_tags\[0\]"):
        parse_targets({"agent": {"secure_tags": ["env=prod"]}})
    with pytest.raises(GcpSpecError, match=r"^targets\.admins: unknown machine kind"):
        parse_targets({"admins": {"secure_tags": ["tagValues/1"]}})
    with pytest.raises(GcpSpecError, match=r"^targets\.agent-cloud: no target, but the machines of targets\.agent "):
        compile_firewall_policy(cloud_plan, parse_targets({"agent": {"secure_tags": ["tagValues/1"]}}), options())
    with pytest.raises(GcpSpecError, match=r"^targets\.sepm: .*plays no role of the plan"):
        compile_firewall_policy(
            cloud_plan,
            parse_targets({role: {"secure_tags": ["tagValues/1"]} for role in ("agent", "agent-cloud", "sepm")}),
            options(),
        )
    # Skipping works by machine kind: the clients of a cloud plan take both tables or neither.
    with pytest.raises(GcpSpecError, match=r"^options\.skip_roles: every machine kind of the plan is skipped"):
        compile_firewall_policy(cloud_plan, parse_targets({}), options(skip_roles=("clients",)))
    spec = compile_firewall_policy(
        cloud_plan, parse_targets({"clients": {"secure_tags": ["tagValues/1"]}}), options(skip_roles=("console",))
    )
    assert {rule.roles for rule in spec.rules} == {("agent", "agent-cloud")}


def test_options_are_validated() -> None:
    with pytest.raises(GcpSpecError, match=r"^options\.networks: "):
        FirewallOptions()
    with pytest.raises(GcpSpecError, match=r"^options\.region: "):
        FirewallOptions(scope="regional", networks=(NETWORK,))
    with pytest.raises(GcpSpecError, match=r"^options\.parent: "):
        FirewallOptions(scope="folder")
    with pytest.raises(GcpSpecError, match=r"^options\.name: "):
        FirewallOptions(name="Not_Valid", networks=(NETWORK,))
    with pytest.raises(GcpSpecError, match=r"^options\.enforcement_order: "):
        FirewallOptions(networks=(NETWORK,), enforcement_order="FIRST")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"default_deny": "false"}, r"^options\.default_deny: 'false' is not a boolean"),
        ({"default_deny": 0}, r"^options\.default_deny: 0 is not a boolean"),
        ({"private_google_access": "true"}, r"^options\.private_google_access: 'true' is not a boolean"),
        ({"name": 5}, r"^options\.name: 5 is not a string"),
        ({"description": None}, r"^options\.description: "),
    ],
)
def test_option_types_are_strict(changes: dict, message: str) -> None:
    with pytest.raises(GcpSpecError, match=message):
        options(**changes)


def test_existing_policy_and_project_options_are_checked() -> None:
    with pytest.raises(GcpSpecError, match=r"^options\.priority_band_start: only an existing policy"):
        FirewallOptions(networks=(NETWORK,), priority_band_start=0)
    with pytest.raises(GcpSpecError, match=r"^options\.priority_band_start: 2147483000: the band"):
        FirewallOptions(existing_policy="lz", priority_band_start=2147483000)
    with pytest.raises(GcpSpecError, match=r"^options\.existing_policy: 'folders/1' is not a global policy id"):
        FirewallOptions(existing_policy="folders/1")
    with pytest.raises(GcpSpecError, match=r"^options\.existing_policy: 'lz' is not a folder policy id"):
        FirewallOptions(scope="folder", existing_policy="lz")
    FirewallOptions(scope="organization", existing_policy="locations/global/firewallPolicies/123456")
    # "Make sure that the firewall policy and the associated network are in the same project."
    with pytest.raises(
        GcpSpecError, match=r"^options\.networks: networks of several projects \(a-project, b-project\)"
    ):
        FirewallOptions(networks=("projects/a-project/global/networks/n", "projects/b-project/global/networks/n"))
    with pytest.raises(GcpSpecError, match=r"^options\.project: the policy would be created in 'other-project'"):
        FirewallOptions(networks=(NETWORK,), project="other-project")
    with pytest.raises(GcpSpecError, match=r"^options\.networks\[0\]: 'vpc' is not a network"):
        FirewallOptions(networks=("vpc",))
    assert FirewallOptions(networks=(NETWORK,)).policy_project == "p"
    self_link = "https://www.googleapis.com/compute/v1/projects/sep-project/global/networks/vpc"
    assert FirewallOptions(networks=(self_link,), project="sep-project").policy_project == "sep-project"
