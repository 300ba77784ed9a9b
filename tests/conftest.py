"""Shared fixtures: the packaged catalog, the plans of the three management modes, the internal catalog, and the
corporate inspection CA of the connectivity and check tests (the proxy tests override ``ca`` with a public CA of their
own)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import trustme

from sep_egress.catalog import Catalog, EgressPlan, load_catalog, select
from sep_egress.catalog.internal import InternalCatalog, load_internal_catalog

from loopback import write_ca

# The catalog cache of this test run (subprocesses inherit it), so tests never read or write the user's cache.
os.environ.setdefault("SEP_EGRESS_CACHE_DIR", tempfile.mkdtemp(prefix="sep-egress-test-cache-"))
# Text output fits COLUMNS when it is set (commands/terminal.py): the tests compare whole lines, so none is set
# unless a test sets it. GNU readline (loaded before this file) exports COLUMNS into the C environment that
# subprocesses inherit without os.environ knowing: set and unset it so that it is gone from both.
os.environ["COLUMNS"] = "0"
del os.environ["COLUMNS"]


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


@pytest.fixture(scope="module")
def internal() -> InternalCatalog:
    return load_internal_catalog()


@pytest.fixture
def ca() -> trustme.CA:
    return trustme.CA(organization_name="Corp Inspection")


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    return write_ca(ca, tmp_path / "corp-ca.pem")
