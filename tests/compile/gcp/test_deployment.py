"""compile_gcp: the firewall policy, the NAT and Private Google Access compiled together into one GcpEgressSpec."""

from __future__ import annotations

import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import (
    FirewallOptions,
    GcpSpecError,
    PrivateAccessOptions,
    compile_gcp,
    parse_targets,
)

from support import NETWORK, nat_options


def test_compile_gcp_keeps_the_pga_rule_and_routes_together(cloud_plan: EgressPlan) -> None:
    targets = parse_targets({"clients": {"secure_tags": ["tagValues/1"]}})
    with pytest.raises(GcpSpecError, match=r"^options\.private_google_access: "):
        compile_gcp(
            cloud_plan,
            targets,
            FirewallOptions(networks=(NETWORK,)),
            private_access=PrivateAccessOptions(networks=(NETWORK,)),
        )
    spec = compile_gcp(
        cloud_plan,
        targets,
        FirewallOptions(networks=(NETWORK,), private_google_access=True),
        nat_options(),
        PrivateAccessOptions(networks=(NETWORK,)),
    )
    again = compile_gcp(
        cloud_plan,
        targets,
        FirewallOptions(networks=(NETWORK,), private_google_access=True),
        nat_options(),
        PrivateAccessOptions(networks=(NETWORK,)),
    )
    assert spec.to_json() == again.to_json()
    document = spec.to_dict()
    assert {"firewallPolicy", "router", "addresses", "routes", "managedZone", "recordSets"} <= set(document)
