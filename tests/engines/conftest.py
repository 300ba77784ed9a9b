"""The replay suite needs Suricata 7: it fails (never skips) when the CI variable is set and Suricata is missing,
and skips elsewhere (.ci/install-suricata installs it; `make test` and .ci/run call that)."""

from __future__ import annotations

import os

import pytest

from engines.strict_order import suricata_version


def require_suricata() -> str:
    """Suricata 7's version, or a failure under CI, or a skip elsewhere."""
    version = suricata_version()
    if version is None or not version.startswith("7."):
        message = f"Suricata 7 is needed for the replay suite (found {version or 'none'}); run .ci/install-suricata"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return version


@pytest.fixture(scope="session")
def suricata() -> str:
    return require_suricata()
