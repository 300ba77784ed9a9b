"""Shared fixtures: the packaged catalog and the plans of the three management modes."""

from __future__ import annotations

import os
import tempfile

import pytest

from sep_egress.catalog import Catalog, EgressPlan, load_catalog, select

# The catalog cache of this test run (subprocesses inherit it), so tests never read or write the user's cache.
os.environ.setdefault("SEP_EGRESS_CACHE_DIR", tempfile.mkdtemp(prefix="sep-egress-test-cache-"))


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
