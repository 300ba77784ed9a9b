"""Shared fixtures: the packaged catalog and the plans of the three management modes."""

from __future__ import annotations

import pytest

from components.catalog import Catalog, EgressPlan, load_catalog, select


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def on_prem_plan(catalog: Catalog) -> EgressPlan:
    return select(catalog, mode="on-prem", version="14.3 RU1")


@pytest.fixture(scope="session")
def hybrid_plan(catalog: Catalog) -> EgressPlan:
    return select(catalog, mode="hybrid", version="14.3 RU1", roles=["console"])


@pytest.fixture(scope="session")
def cloud_plan(catalog: Catalog) -> EgressPlan:
    return select(catalog, mode="cloud", version="14.3 RU1")
