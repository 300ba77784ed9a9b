"""Identifiers that reach a cloud API are matched whole: Python's ``$`` also matches before a final line break, so
a pattern checked with ``re.match`` would let ``"123456789012\\n"`` (or text around an id) through into the API
body. Every such value is refused with the argument's name."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sep_egress.aws import DistributionSettings, FirewallSettings, NetworkFirewallAllowlistArgs, compile_args
from sep_egress.catalog import EgressPlan
from sep_egress.compile.aws import AwsFirewallError
from sep_egress.compile.gcp_model import (
    FirewallOptions,
    GcpSpecError,
    NatOptions,
    PrivateAccessOptions,
    RoleTarget,
)

SUFFIXES = ["\n", " ", "\nextra", "/../x"]


def aws_args(plan: EgressPlan, **extra: Any) -> NetworkFirewallAllowlistArgs:
    sources = {"agent": ["10.10.0.0/16"], "sepm": ["10.20.0.10/32"]}
    return NetworkFirewallAllowlistArgs(
        plan=plan, source_cidrs={role: sources[role] for role in plan.roles}, name_prefix="sep-egress", **extra
    )


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_aws_ids_are_matched_whole(on_prem_plan: EgressPlan, suffix: str) -> None:
    cases = [
        (
            "firewall.vpc_id",
            {"firewall": FirewallSettings(vpc_id="vpc-0a1b2c3d" + suffix, subnet_ids=["subnet-0a1b2c3d"])},
        ),
        (
            "firewall.subnet_ids[0]",
            {"firewall": FirewallSettings(vpc_id="vpc-0a1b2c3d", subnet_ids=["subnet-0a1b2c3d" + suffix])},
        ),
        (
            "distribution.include_accounts[0]",
            {
                "distribution": DistributionSettings(
                    method="firewall-manager",
                    include_accounts=["123456789012" + suffix],
                    default_actions="drop_established",
                ),
                "create_policy": True,
            },
        ),
        (
            "distribution.principals[0]",
            {"distribution": DistributionSettings(method="ram", principals=["123456789012" + suffix])},
        ),
    ]
    for argument, extra in cases:
        with pytest.raises(AwsFirewallError, match=rf"^{re.escape(argument)}"):
            compile_args(aws_args(on_prem_plan, **extra))


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


@pytest.mark.parametrize(
    ("args", "argument"),
    [
        ({"secure_tags": {"parent": "projects/p", "network": "p/n\nx"}}, "secure_tags.network"),
        ({"secure_tags": {"parent": "projects/p", "network": "other/vpc"}}, "secure_tags.network"),
        ({"secure_tags": {"parent": "projects/p", "network": "p/n", "key": "Bad Key!"}}, "secure_tags.key"),
        ({"secure_tags": {"parent": "projects/p\n", "network": "p/n"}}, "secure_tags.parent"),
    ],
)
def test_secure_tag_settings_are_checked(args: dict[str, Any], argument: str) -> None:
    from sep_egress.gcp import EgressFirewallPolicy

    given = {
        "selection": {"version": "14.3 RU1", "mode": "cloud"},
        "targets": {"clients": {"secure_tags": ["created:clients"]}},
        "options": {"networks": ["projects/p/global/networks/n"]},
        **args,
    }
    with pytest.raises(GcpSpecError, match=rf"^{re.escape(argument)}"):
        EgressFirewallPolicy.prepare(given)


def test_nat_and_private_access_projects_are_project_ids() -> None:
    from sep_egress.gcp import EgressNat, StoragePrivateAccess

    selection = {"version": "14.3 RU1", "mode": "cloud"}
    nat = {"region": "europe-west1", "network": "projects/p/global/networks/n", "subnetworks": ["s"]}
    with pytest.raises(GcpSpecError, match=r"^options\.project"):
        EgressNat.prepare({"selection": selection, "options": {**nat, "project": "x\ny"}})
    with pytest.raises(GcpSpecError, match=r"^options\.project"):
        StoragePrivateAccess.prepare(
            {"selection": selection, "options": {"networks": ["projects/p/global/networks/n"], "project": "a b"}}
        )
