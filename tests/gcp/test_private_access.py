"""StoragePrivateAccess under Pulumi's mock engine: Private Google Access routes, DNS and firewall rule, one Google
Access VIP per stack."""

from __future__ import annotations

from typing import Any

import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import GcpSpecError
from sep_egress.errors import SepEgressError
from sep_egress.gcp import StoragePrivateAccess
from sep_egress.mock_engine import run_program

from support import NETWORK

pytestmark = pytest.mark.pulumi


@pytest.mark.parametrize(("storage", "count"), [("both", 4), ("gcp", 4), ("aws", 0)])
def test_storage_private_access(storage: str, count: int) -> None:
    args = {
        "selection": {"mode": "cloud", "version": "14.3 RU1", "storage": storage},
        "options": {"networks": [NETWORK], "subnetworks": ["workloads"]},
    }
    run = run_program(lambda: StoragePrivateAccess("pga", args))
    children = [resource for resource in run.resources if resource.custom]
    assert len(children) == count
    if count:
        (route,) = run.of_type("gcp:compute/route:Route")
        assert route.inputs["destRange"] == "199.36.153.8/30"
        assert route.inputs["nextHopGateway"] == "global/gateways/default-internet-gateway"
        (zone,) = run.of_type("gcp:dns/managedZone:ManagedZone")
        assert zone.inputs["dnsName"] == "googleapis.com."
        assert zone.inputs["visibility"] == "private"
        records = {record.inputs["name"]: record.inputs for record in run.of_type("gcp:dns/recordSet:RecordSet")}
        assert records["*.googleapis.com."]["rrdatas"] == ["private.googleapis.com."]
        assert records["private.googleapis.com."]["type"] == "A"


def test_private_access_through_the_restricted_vip(cloud_plan: EgressPlan) -> None:
    options = {"networks": [NETWORK], "google_access_vip": "restricted"}
    run = run_program(lambda: StoragePrivateAccess("pga", {"plan": cloud_plan, "options": options}))
    (route,) = run.of_type("gcp:compute/route:Route")
    assert route.inputs["destRange"] == "199.36.153.4/30"
    records = {record.inputs["name"]: record.inputs for record in run.of_type("gcp:dns/recordSet:RecordSet")}
    assert records["restricted.googleapis.com."]["rrdatas"] == [
        "199.36.153.4",
        "199.36.153.5",
        "199.36.153.6",
        "199.36.153.7",
    ]
    assert records["*.googleapis.com."]["rrdatas"] == ["restricted.googleapis.com."]
    with pytest.raises(GcpSpecError, match=r"^options\.google_access_vip: 'public'; choose one of private, restricted"):
        StoragePrivateAccess.prepare({"plan": cloud_plan, "options": {**options, "google_access_vip": "public"}})


def test_a_stack_names_one_google_access_vip(tmp_path: Any) -> None:
    """The route and zone (private_access) and the egress rule (firewall) must agree on the VIP."""
    from sep_egress.program import prepare_deployment
    from sep_egress.settings import parse_stack_config

    values = {
        "sep-egress:version": "14.3 RU1",
        "sep-egress:mode": "cloud",
        "sep-egress:gcp": {
            "firewall": {
                "targets": {"clients": {"secure_tags": ["tagValues/1"]}},
                "options": {"networks": [NETWORK], "private_google_access": True, "google_access_vip": "restricted"},
            },
            "private_access": {"options": {"networks": [NETWORK]}},
        },
    }
    config = parse_stack_config(values, "Pulumi.test.yaml", tmp_path)
    with pytest.raises(SepEgressError, match=r"gcp\.private_access\.options\.google_access_vip: 'private', but"):
        prepare_deployment(config)
    values["sep-egress:gcp"]["private_access"]["options"]["google_access_vip"] = "restricted"  # type: ignore[index]
    deployment = prepare_deployment(parse_stack_config(values, "Pulumi.test.yaml", tmp_path))
    assert set(deployment.gcp) == {"firewall", "private_access"}
