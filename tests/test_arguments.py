"""The component selection arguments (SelectionArgs and friends) that the Python components and the component package
share."""

from __future__ import annotations

import pytest

from sep_egress.catalog import Catalog
from sep_egress.catalog.internal import load_internal_catalog
from sep_egress.errors import SelectionError

from support import SEPM, hybrid


@pytest.mark.pulumi
def test_the_component_selection_takes_internal_destinations(catalog: Catalog) -> None:
    """Components (Python and the component package) select internal paths as the stack key does."""
    from sep_egress.arguments import InternalSelectionArgs, SelectionArgs

    kinds = set(InternalSelectionArgs.model_fields) - {"ports", "paths"}
    assert kinds == set(load_internal_catalog().destinations)
    config = {"sepm": [SEPM], "ports": {"sepm-agent-https": [8443]}}
    selection = SelectionArgs(version="14.3 RU1", mode="hybrid", roles=["console"], internal=config)

    def error(where: str, message: str) -> SelectionError:
        return SelectionError(f"{where}: {message}")

    plan = selection.plan(error)
    assert plan.to_json() == hybrid(catalog, config).to_json()
    with pytest.raises(SelectionError, match=r"^selection\.internal\.sepm\[0\]: '0\.0\.0\.0/0' is every address"):
        SelectionArgs(version="14.3 RU1", mode="hybrid", internal={"sepm": ["0.0.0.0/0"]}).plan(error)
