"""Fixtures of the proxy export tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sep_egress.catalog import EgressPlan, SourcedOverlay, load_catalog, load_overlay, select


def overlay(tmp_path: Path, document: dict[str, object]) -> SourcedOverlay:
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return SourcedOverlay(str(path), load_overlay(path))


@pytest.fixture
def suffix_plan(tmp_path: Path) -> EgressPlan:
    """The on-prem plan with a suffix entry (``*.symantec.com``) and a CIDR entry on port 8443."""
    document = {
        "entries": [
            {
                "id": "corp-suffix",
                "role": "agent",
                "usage": {"en": "test"},
                "domain_suffix": True,
                "urls": ["https://*.symantec.com"],
            },
            {
                "id": "corp-relay",
                "role": "agent",
                "usage": {"en": "test"},
                "cidrs": ["10.8.0.0/24"],
                "ports": [8443],
            },
        ]
    }
    return select(load_catalog(), mode="on-prem", version="14.3 RU1", overlays=[overlay(tmp_path, document)])
