"""Existing stacks keep their URNs: every resource the shipped stacks registered with sep-egress 0.1.0 (the API
before the component args became typed models) is registered under the same URN now.

``tests/data/stack-urns-0.1.0.json`` was generated once, by running the shipped stacks under the mock engine at the
0.1.0 revision. A URN that disappears would make ``pulumi up`` delete and recreate that resource. New resources
may appear (a stack file that gains a setting), so the check is that the old URNs are all still there.
"""

from __future__ import annotations

import json

import pytest

from sep_egress.mock_engine import run_project
from sep_egress.preview import engine_config

from support import ROOT

pytestmark = pytest.mark.pulumi

BEFORE = json.loads((ROOT / "tests" / "data" / "stack-urns-0.1.0.json").read_text(encoding="utf-8"))
#: URNs removed on purpose, each with the reason (docs/aws.md says what the change does at `pulumi up`).
REMOVED = {
    "urn:pulumi:prod::sep-egress::sep-egress:aws:NetworkFirewallAllowlist$aws:ram/resourceAssociation:"
    "ResourceAssociation::sep-egress-share-guard": "the guard is no longer shared through RAM (docs/aws.md, Sharing)",
}


@pytest.mark.real_program
@pytest.mark.parametrize("stack", sorted(BEFORE))
def test_the_shipped_stacks_keep_every_urn(stack: str) -> None:
    run = run_project(str(ROOT), stack, engine_config(ROOT, stack))
    now = {resource.urn for resource in run.resources}
    missing = sorted(set(BEFORE[stack]) - now - set(REMOVED))
    assert missing == []
    assert not set(REMOVED) & now
    # The components' own URNs (type tokens sep-egress:aws:* / sep-egress:gcp:*) are among those kept.
    assert any("$sep-egress:aws:" in urn or "$sep-egress:gcp:" in urn for urn in BEFORE[stack])
