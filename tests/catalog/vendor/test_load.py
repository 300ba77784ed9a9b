"""Loading the vendor catalog and overlays from files: missing files, wrong shapes, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sep_egress.catalog import load_catalog, load_overlay
from sep_egress.catalog.vendor.load import CATALOG_PATH
from sep_egress.errors import CatalogError

from support import write_yaml


def test_missing_files_and_wrong_shapes(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_overlay(tmp_path / "absent.yaml")
    with pytest.raises(CatalogError, match="expected a mapping"):
        load_overlay(write_yaml(tmp_path, ["a", "b"]))


def test_a_bad_catalog_entry_names_the_catalog_file(tmp_path: Path) -> None:
    document = yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))
    document["entries"][1]["urls"] = ["https://ent shasta.symantec.com"]
    path = write_yaml(tmp_path, document, "catalog.yaml")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert str(caught.value).startswith(f"{path}: entry 'agent-reputation', field 'urls[0]'")


SECRET = "db_password: hunter2-\u00e9\nroot: x:0:0\n"


@pytest.mark.parametrize("name", ["secrets.yaml", "notes.YML"])
def test_a_yaml_file_that_is_not_an_overlay_is_refused_without_echoing_it(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(SECRET, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_overlay(path)
    message = str(caught.value).removeprefix(str(path))
    assert "not an overlay" in message
    for word in ("db_password", "hunter2", "root", "x:0:0"):
        assert word not in message


@pytest.mark.parametrize("name", ["passwd", "id_rsa", "config.json", "overlay.yaml.bak"])
def test_only_yaml_files_are_read_as_overlays(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("entries: []\n" + SECRET, encoding="utf-8")
    with pytest.raises(CatalogError, match=r"not an overlay: an overlay file's name ends in \.yaml or \.yml") as caught:
        load_overlay(path)
    assert "hunter2" not in str(caught.value)


def test_a_stack_overlay_that_is_not_an_overlay_is_refused_by_its_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from support import call_main

    (tmp_path / "settings.yaml").write_text(SECRET, encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.s.yaml").write_text(
        "config:\n  sep-egress:version: '14.3 RU1'\n  sep-egress:mode: hybrid\n"
        "  sep-egress:overlays: [settings.yaml]\n",
        encoding="utf-8",
    )
    code, _, err = call_main(["plan", "--stack", "s", "--project-dir", str(tmp_path)], capsys)
    assert code == 2
    assert "sep-egress:overlays[0]" in err and "not an overlay" in err
    assert "hunter2" not in err and "db_password" not in err
