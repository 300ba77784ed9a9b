"""sep-egress changes: the catalog's history, filtered by --since."""

from __future__ import annotations

import json

import pytest

from support import run_cli


@pytest.mark.real_program
def test_changes_lists_history_and_since_filters() -> None:
    full = run_cli("changes")
    assert full.returncode == 0 and "2026.11.28" in full.stdout and "added:" in full.stdout
    document = json.loads(run_cli("changes", "--format", "json").stdout)
    assert document["changes"][0]["version"] == "2026.11.28"
    assert len(document["changes"][0]["added"]) == 32
    later = run_cli("changes", "--since", "2026.11.28")
    assert later.returncode == 0 and "No changes after 2026.11.28" in later.stdout
    assert json.loads(run_cli("changes", "--since", "2026.11.28", "--format", "json").stdout)["changes"] == []
