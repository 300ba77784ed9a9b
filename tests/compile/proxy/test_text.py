"""What the three proxy exports share: the header that names the catalog, the selection and the overlay files, and the
checks of role sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from sep_egress.catalog import EgressPlan, load_catalog, select
from sep_egress.compile.proxy import (
    SquidOptions,
    csv_list,
    host_list,
    pac_file,
    squid_config,
)

from support import SELECTION, call_main, overlay_file


def test_an_overlay_file_name_cannot_add_a_directive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "x\nhttp_access allow all\n"
    folder.mkdir()
    path = overlay_file(folder, "exclude: []\n")
    code, out, err = call_main(["export", "squid", *SELECTION, "--squid-mode", "full", "--overlay", str(path)], capsys)
    assert code == 0, err
    assert not [line for line in out.splitlines() if line.startswith("http_access allow all")]
    code, out, err = call_main(["export", "pac", *SELECTION, "--proxy-url", "DIRECT", "--overlay", str(path)], capsys)
    assert code == 0, err
    assert all(line.startswith("//") or not line.startswith("http_access") for line in out.splitlines())
    assert not [line for line in out.splitlines() if line.startswith("http_access")]


def test_header_names_catalog_and_selection(hybrid_plan: EgressPlan) -> None:
    for text in (squid_config(hybrid_plan), host_list(hybrid_plan), pac_file(hybrid_plan, route="DIRECT")):
        head = "\n".join(text.splitlines()[:3])
        assert f"catalog {hybrid_plan.catalog_version}" in head
        assert "roles agent, agent-cloud, sepm, sepm-cloud, console; version 14.3 RU1" in head


def test_every_export_is_deterministic(hybrid_plan: EgressPlan) -> None:
    again = select(load_catalog(), mode="hybrid", version="14.3 RU1", roles=["console"])
    for mode in ("fragment", "full"):
        assert squid_config(hybrid_plan, SquidOptions(mode=mode)) == squid_config(again, SquidOptions(mode=mode))
    assert pac_file(hybrid_plan, route="p:1") == pac_file(again, route="p:1")
    assert host_list(hybrid_plan) == host_list(again)
    assert csv_list(hybrid_plan) == csv_list(again)
