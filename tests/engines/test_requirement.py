"""Without Suricata 7 the replay suite fails under CI and skips elsewhere."""

from __future__ import annotations

import pytest

from engines import strict_order
from engines.conftest import require_suricata


def test_a_missing_suricata_fails_under_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strict_order, "SURICATA", "suricata-not-installed-here")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Suricata 7 is needed"):
        require_suricata()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="Suricata 7 is needed"):
        require_suricata()
