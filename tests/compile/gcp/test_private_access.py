"""Private Google Access: the restricted VIP's routes, DNS and firewall rule, following the storage phase."""

from __future__ import annotations

import pytest

from sep_egress.catalog import Catalog, EgressPlan, select
from sep_egress.compile.gcp import (
    FirewallOptions,
    GcpSpecError,
    PrivateAccessOptions,
    compile_gcp,
    parse_targets,
)
from sep_egress.compile.gcp.private_access import PRIVATE_GOOGLE_ACCESS_ADDRESSES, compile_private_access

from support import NETWORK


@pytest.mark.parametrize(("storage", "enabled"), [("both", True), ("gcp", True), ("aws", False)])
def test_private_google_access_follows_the_storage_phase(catalog: Catalog, storage: str, enabled: bool) -> None:
    plan = select(catalog, mode="cloud", version="14.3 RU1", storage=storage)
    spec = compile_private_access(plan, PrivateAccessOptions(networks=(NETWORK,), subnetworks=("workloads",)))
    assert spec.enabled is enabled
    if enabled:
        assert spec.routes[0].to_api()["destRange"] == "199.36.153.8/30"
        assert spec.routes[0].to_api()["nextHopGateway"] == "global/gateways/default-internet-gateway"
        assert spec.zone_to_api()["dnsName"] == "googleapis.com."
        assert spec.zone_to_api()["visibility"] == "private"
        records = {record.name: record for record in spec.record_sets}
        assert records["private.googleapis.com."].rrdatas == PRIVATE_GOOGLE_ACCESS_ADDRESSES
        assert records["*.googleapis.com."].rrdatas == ("private.googleapis.com.",)
        assert spec.subnet_settings() == [{"subnetwork": "workloads", "privateIpGoogleAccess": True}]
        assert {"gcp-shared-bucket", "gcp-pga-zone-scope"} <= {warning.code for warning in spec.warnings}
    else:
        assert spec.routes == () and [w.code for w in spec.warnings] == ["gcp-pga-unused"]


def test_the_restricted_vip_routes_resolves_and_allows_199_36_153_4(cloud_plan: EgressPlan) -> None:
    targets = parse_targets({"clients": {"secure_tags": ["tagValues/1"]}})
    spec = compile_gcp(
        cloud_plan,
        targets,
        FirewallOptions(networks=(NETWORK,), private_google_access=True, google_access_vip="restricted"),
        None,
        PrivateAccessOptions(networks=(NETWORK,), google_access_vip="restricted"),
    )
    assert spec.private_access is not None
    (pga,) = [rule for rule in spec.firewall.rules if rule.kind == "pga"]
    assert pga.dest_ip_ranges == ("199.36.153.4/30",)
    assert [route.to_api()["destRange"] for route in spec.private_access.routes] == ["199.36.153.4/30"]
    records = {record.name: record.rrdatas for record in spec.private_access.record_sets}
    assert records == {
        "restricted.googleapis.com.": ("199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"),
        "*.googleapis.com.": ("restricted.googleapis.com.",),
    }
    codes = {warning.code for warning in spec.warnings}
    assert "gcp-restricted-vip-perimeter" in codes and "gcp-pga-all-google-apis" not in codes
    perimeter = next(warning for warning in spec.warnings if warning.code == "gcp-restricted-vip-perimeter")
    assert "egress rule" in perimeter.message and "Broadcom's project" in perimeter.message
    with pytest.raises(GcpSpecError, match=r"^options\.google_access_vip: the firewall allows private"):
        compile_gcp(
            cloud_plan,
            targets,
            FirewallOptions(networks=(NETWORK,), private_google_access=True),
            None,
            PrivateAccessOptions(networks=(NETWORK,), google_access_vip="restricted"),
        )
    with pytest.raises(GcpSpecError, match=r"^options\.google_access_vip: "):
        PrivateAccessOptions(networks=(NETWORK,), google_access_vip="public")  # type: ignore[arg-type]
