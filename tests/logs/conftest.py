"""Shared helpers of the log tests: the fixtures folder, running ``logs explain`` and ``logs query``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support import call_main

FIXTURES = Path(__file__).parent / "fixtures"


def explain_json(*arguments: str) -> dict[str, Any]:
    """``sep-egress logs explain ... --format json``, parsed; fails on a non-zero exit."""
    code, out, err = call_main(["logs", "explain", *arguments, "--format", "json"])
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
