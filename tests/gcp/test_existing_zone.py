"""Private Google Access with a landing zone's own private ``googleapis.com.`` zone: nothing is created in it, its
records are read (``gcp.dns.get_record_set``) and compared with those the component would create; a difference
stops the deployment before any route is created, or warns when the stack says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pulumi
import pytest

from sep_egress.catalog import EgressPlan
from sep_egress.compile.gcp import GcpSpecError
from sep_egress.gcp import StoragePrivateAccess
from sep_egress.mock_engine import MockRun, run_program

from support import NETWORK, ROOT

pytestmark = pytest.mark.pulumi

GOOD = {
    "lz-googleapis/private.googleapis.com./A": {
        "rrdatas": ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"]
    },
    "lz-googleapis/*.googleapis.com./CNAME": {"rrdatas": ["private.googleapis.com."]},
}


def run(plan: EgressPlan, records: dict[str, Any] | None, record: MockRun | None = None, **options: Any) -> MockRun:
    args = {"plan": plan, "options": {"networks": [NETWORK], "existing_zone": "lz-googleapis", **options}}

    def program() -> None:
        access = StoragePrivateAccess("pga", args)
        pulumi.export("checks", access.record_checks)

    config = {"sep-egress-preview:record_sets": json.dumps(records)} if records is not None else {}
    return run_program(program, config=config, record=record)


def test_an_existing_zone_with_the_right_records_is_used_not_created(cloud_plan: EgressPlan) -> None:
    done = run(cloud_plan, GOOD)
    types = [resource.type for resource in done.resources]
    assert "gcp:dns/managedZone:ManagedZone" not in types and "gcp:dns/recordSet:RecordSet" not in types
    assert "gcp:compute/route:Route" in types
    assert [(check["type"], check["matches"]) for check in done.outputs["checks"]] == [("A", True), ("CNAME", True)]
    spec = StoragePrivateAccess.prepare(
        {"plan": cloud_plan, "options": {"networks": [NETWORK], "existing_zone": "lz-googleapis"}}
    )[0]
    assert spec.zone_name == "lz-googleapis" and not spec.creates_zone
    assert "gcp-pga-existing-zone" in {warning.code for warning in spec.warnings}


def test_records_to_other_addresses_may_be_accepted_with_a_warning(cloud_plan: EgressPlan) -> None:
    other = {**GOOD, "lz-googleapis/*.googleapis.com./CNAME": {"rrdatas": ["restricted.googleapis.com."]}}
    done = run(cloud_plan, other, record_checks="warn")
    cname = done.outputs["checks"][1]
    assert cname["read"] and not cname["matches"] and cname["found"] == ["restricted.googleapis.com."]
    assert "gcp:compute/route:Route" in [resource.type for resource in done.resources]


def test_unstated_records_are_reported_not_read(cloud_plan: EgressPlan) -> None:
    done = run(cloud_plan, None)
    assert [check["read"] for check in done.outputs["checks"]] == [False, False]


def test_a_zone_name_is_checked(cloud_plan: EgressPlan) -> None:
    with pytest.raises(GcpSpecError, match=r"^options\.existing_zone: 'Bad Zone' is not a Cloud DNS managed zone"):
        StoragePrivateAccess.prepare(
            {"plan": cloud_plan, "options": {"networks": [NETWORK], "existing_zone": "Bad Zone"}}
        )


STOP_SCRIPT = """
import json, sys
from sep_egress.catalog import load_catalog, select
from sep_egress.mock_engine import MockRun
from test_existing_zone import GOOD, run
record = MockRun()
wrong = {**GOOD, "lz-googleapis/private.googleapis.com./A": {"rrdatas": ["10.0.0.1"]}}
try:
    run(select(load_catalog(), mode="cloud", version="14.3 RU1"), wrong, record=record)
    print(json.dumps({"error": None}))
except Exception as error:
    kinds = [resource.type for resource in record.resources if resource.type.startswith("gcp:")]
    print(json.dumps({"error": type(error).__name__, "message": str(error), "registered": kinds}))
"""


def test_records_elsewhere_stop_before_any_route() -> None:
    """In its own interpreter, as ``pulumi up`` runs a program (a stopped run leaves registrations waiting)."""
    path = os.pathsep.join([str(ROOT / "components"), str(ROOT / "tests"), str(ROOT / "tests" / "gcp")])
    done = subprocess.run(
        [sys.executable, "-c", STOP_SCRIPT],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["error"] == "RunError"
    assert "A private.googleapis.com. is 10.0.0.1 (expected 199.36.153.8" in result["message"]
    assert "record_checks: warn" in result["message"]
    assert result["registered"] == []
