"""Fixtures of the AWS compiler tests."""

from __future__ import annotations

import pytest

from sep_egress.catalog import EgressPlan


@pytest.fixture(params=["on_prem_plan", "hybrid_plan", "cloud_plan"])
def plan(request: pytest.FixtureRequest) -> EgressPlan:
    return request.getfixturevalue(request.param)
