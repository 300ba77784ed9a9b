"""Bad catalog and overlay files give one clear message naming the file, the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sep_egress.catalog import load_catalog, load_overlay, select
from sep_egress.catalog.load import CATALOG_PATH
from sep_egress.catalog.select import SourcedOverlay
from sep_egress.errors import CatalogError

GOOD_ENTRY = {
    "id": "corp-updates",
    "role": "agent",
    "usage": {"en": "Internal mirror"},
    "urls": ["https://updates.corp.example.com"],
    "ports": [443],
}


def write(tmp_path: Path, document: object, name: str = "overlay.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def overlay_error(tmp_path: Path, **changes: object) -> str:
    entry = {**GOOD_ENTRY, **changes}
    path = write(tmp_path, {"entries": [entry]})
    with pytest.raises(CatalogError) as caught:
        load_overlay(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message


def test_a_good_overlay_loads(tmp_path: Path) -> None:
    overlay = load_overlay(write(tmp_path, {"entries": [GOOD_ENTRY], "exclude": ["agent-symqual"]}))
    assert overlay.entries[0].urls[0].host == "updates.corp.example.com"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"urls": ["https://updates_corp.example.com"]}, "field 'urls[0]'"),
        ({"urls": ["https://*.corp.example.com"]}, "domain_suffix"),
        ({"urls": ["updates.corp.example.com"], "ports": [70000]}, "field 'ports[0]'"),
        ({"ports": [0]}, "greater than or equal to 1"),
        ({"ports": ["443"]}, "field 'ports[0]'"),
        ({"ports": [443, 443]}, "listed twice"),
        ({"role": "laptop"}, "field 'role'"),
        ({"min_version": "14.3 SP2"}, "field 'min_version'"),
        ({"max_version": "fourteen"}, "is not a product version"),
        ({"min_version": "14.3 RU2", "max_version": "14.3 RU1"}, "before min_version"),
        ({"max_version": "14.3 MP1", "before_version": "14.3 RU1"}, "not both"),
        ({"min_version": "14.3 RU1", "before_version": "14.3 RU1"}, "leaves no release"),
        ({"min_version": 14.10}, "field 'min_version'"),
        ({"cidrs": ["10.0.0.1/24"]}, "field 'cidrs[0]'"),
        ({"cidrs": ["0.0.0.0/0"]}, "allow-all"),
        ({"id": "Bad Id"}, "field 'id'"),
        ({"colour": "red"}, "unknown field"),
        ({"protocol": "tcp"}, "tcp and udp apply to 'cidrs'"),
    ],
)
def test_each_kind_of_bad_entry_is_named(tmp_path: Path, changes: dict[str, object], expected: str) -> None:
    message = overlay_error(tmp_path, **changes)
    assert expected in message
    if "id" not in changes:
        assert "entry 'corp-updates'" in message


def test_an_entry_without_destinations_is_refused(tmp_path: Path) -> None:
    entry = {key: value for key, value in GOOD_ENTRY.items() if key != "urls"}
    path = write(tmp_path, {"entries": [entry]})
    with pytest.raises(CatalogError, match="needs 'urls' or 'cidrs'"):
        load_overlay(path)


def test_duplicate_ids_are_named_with_both_positions(tmp_path: Path) -> None:
    path = write(tmp_path, {"entries": [GOOD_ENTRY, GOOD_ENTRY]})
    with pytest.raises(
        CatalogError, match=r"entry 'corp-updates', field 'id': duplicate id \(entries\[0\] and \[1\]\)"
    ):
        load_overlay(path)


def test_every_problem_of_a_file_is_listed_at_once(tmp_path: Path) -> None:
    bad_one = {**GOOD_ENTRY, "id": "one", "ports": [0]}
    bad_two = {**GOOD_ENTRY, "id": "two", "role": "nobody"}
    path = write(tmp_path, {"entries": [bad_one, bad_two]})
    with pytest.raises(CatalogError) as caught:
        load_overlay(path)
    assert len(caught.value.problems) == 2
    assert "entry 'one'" in str(caught.value) and "entry 'two'" in str(caught.value)


def test_yaml_syntax_errors_and_repeated_keys_name_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("entries:\n  - id: a\n    id: b\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"line 3.*written twice"):
        load_overlay(broken)
    broken.write_text("entries: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_overlay(broken)


def test_missing_files_and_wrong_shapes(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_overlay(tmp_path / "absent.yaml")
    with pytest.raises(CatalogError, match="expected a mapping"):
        load_overlay(write(tmp_path, ["a", "b"]))


def test_overlay_ids_and_exclusions_are_checked_against_the_catalog(tmp_path: Path) -> None:
    catalog = load_catalog()
    clash = load_overlay(write(tmp_path, {"entries": [{**GOOD_ENTRY, "id": "agent-reputation"}]}))
    with pytest.raises(CatalogError, match="entry 'agent-reputation', field 'id': id already defined in the catalog"):
        select(catalog, mode="on-prem", version="14.3 RU1", overlays=[SourcedOverlay("clash.yaml", clash)])
    typo = load_overlay(write(tmp_path, {"exclude": ["agent-reputaton"]}))
    with pytest.raises(CatalogError, match=r"typo.yaml: field 'exclude\[0\]': no entry 'agent-reputaton'"):
        select(catalog, mode="on-prem", version="14.3 RU1", overlays=[SourcedOverlay("typo.yaml", typo)])


def test_a_modified_catalog_must_keep_its_history_consistent(tmp_path: Path) -> None:
    document = yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))
    document["entries"].append({**GOOD_ENTRY, "id": "agent-new"})
    path = write(tmp_path, document, "catalog.yaml")
    with pytest.raises(CatalogError, match="entries never recorded as added: agent-new"):
        load_catalog(path)
    document["changes"].append(
        {"version": "2026.12.01", "date": "2026-12-01", "summary": "new mirror", "added": ["agent-new"]}
    )
    path = write(tmp_path, document, "catalog.yaml")
    with pytest.raises(CatalogError, match="last change must be for version"):
        load_catalog(path)
    document["version"] = "2026.12.01"
    assert load_catalog(write(tmp_path, document, "catalog.yaml")).version == "2026.12.01"


def test_a_bad_catalog_entry_names_the_catalog_file(tmp_path: Path) -> None:
    document = yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))
    document["entries"][1]["urls"] = ["https://ent shasta.symantec.com"]
    path = write(tmp_path, document, "catalog.yaml")
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert str(caught.value).startswith(f"{path}: entry 'agent-reputation', field 'urls[0]'")
