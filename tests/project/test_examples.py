"""Every example overlay loads and plans; the examples folder is kept working."""

from __future__ import annotations

from pathlib import Path

import pytest

from sep_egress.catalog import Catalog, SourcedOverlay, load_overlay, select

from support import ROOT

EXAMPLES = sorted((ROOT / "examples" / "overlays").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_overlay_plans(catalog: Catalog, path: Path) -> None:
    overlay = load_overlay(path)
    plan = select(
        catalog,
        mode="hybrid",
        version="14.3 MP1",
        proxy=True,
        overlays=[SourcedOverlay(path.name, overlay)],
    )
    added = {entry.id for entry in overlay.entries}
    assert added <= {entry_id for rule in plan.allow for entry_id in rule.ids} | {
        entry_id for rule in plan.cidrs for entry_id in rule.ids
    }
    assert set(overlay.exclude) == set(plan.excluded)
