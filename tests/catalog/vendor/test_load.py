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
