"""The GCP compiler's options (scope, networks, targets, NAT and Private Google Access settings): every value that
reaches an API body is checked, and names and ids are matched whole."""

from __future__ import annotations

import pytest

from sep_egress.compile.gcp.options import (
    FirewallOptions,
    GcpSpecError,
    NatOptions,
    PrivateAccessOptions,
    RoleTarget,
)

from support import SUFFIXES


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
