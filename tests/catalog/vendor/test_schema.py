"""Bad catalog and overlay files give one clear message naming the file, the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sep_egress.catalog import load_catalog, load_overlay
from sep_egress.catalog.vendor.load import CATALOG_PATH
from sep_egress.cli import main
from sep_egress.errors import CatalogError

from renderings import replace_once
from support import GOOD_ENTRY, SELECTION, call_main, overlay_file, write_yaml


def overlay_error(tmp_path: Path, **changes: object) -> str:
    entry = {**GOOD_ENTRY, **changes}
    path = write_yaml(tmp_path, {"entries": [entry]})
    with pytest.raises(CatalogError) as caught:
        load_overlay(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message


def test_a_good_overlay_loads(tmp_path: Path) -> None:
    overlay = load_overlay(write_yaml(tmp_path, {"entries": [GOOD_ENTRY], "exclude": ["agent-symqual"]}))
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
    path = write_yaml(tmp_path, {"entries": [entry]})
    with pytest.raises(CatalogError, match="needs 'urls' or 'cidrs'"):
        load_overlay(path)


def test_duplicate_ids_are_named_with_both_positions(tmp_path: Path) -> None:
    path = write_yaml(tmp_path, {"entries": [GOOD_ENTRY, GOOD_ENTRY]})
    with pytest.raises(
        CatalogError, match=r"entry 'corp-updates', field 'id': duplicate id \(entries\[0\] and \[1\]\)"
    ):
        load_overlay(path)


def test_every_problem_of_a_file_is_listed_at_once(tmp_path: Path) -> None:
    bad_one = {**GOOD_ENTRY, "id": "one", "ports": [0]}
    bad_two = {**GOOD_ENTRY, "id": "two", "role": "nobody"}
    path = write_yaml(tmp_path, {"entries": [bad_one, bad_two]})
    with pytest.raises(CatalogError) as caught:
        load_overlay(path)
    assert len(caught.value.problems) == 2
    assert "entry 'one'" in str(caught.value) and "entry 'two'" in str(caught.value)


def test_a_modified_catalog_must_keep_its_history_consistent(tmp_path: Path) -> None:
    document = yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))
    document["entries"].append({**GOOD_ENTRY, "id": "agent-new"})
    path = write_yaml(tmp_path, document, "catalog.yaml")
    with pytest.raises(CatalogError, match="entries never recorded as added: agent-new"):
        load_catalog(path)
    document["changes"].append(
        {"version": "2026.12.01", "date": "2026-12-01", "summary": "new mirror", "added": ["agent-new"]}
    )
    path = write_yaml(tmp_path, document, "catalog.yaml")
    with pytest.raises(CatalogError, match="last change must be for version"):
        load_catalog(path)
    document["version"] = "2026.12.01"
    assert load_catalog(write_yaml(tmp_path, document, "catalog.yaml")).version == "2026.12.01"


@pytest.mark.parametrize(
    "cidr",
    [
        "fe80::%eth0/64",
        "fe80::%x\npass ip any any -> any any (sid:1;)/64",
        "10.0.0.0/8\n",
        "\u0661\u0660.0.0.0/8",
    ],
)
def test_a_cidr_with_a_zone_id_or_any_extra_text_is_refused(
    cidr: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    escaped = cidr.encode("unicode_escape").decode("ascii")
    path = overlay_file(
        tmp_path,
        "entries:\n  - id: corp-net\n    role: agent\n    usage: {en: x}\n"
        f'    cidrs: ["{escaped}"]\n    ports: [443]\n',
    )
    code, out, err = call_main(["plan", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2, out
    assert "corp-net" in err and "cidrs" in err


@pytest.mark.parametrize("entry_id", ["corp-x\n", "corp-x\u2028", "corp\u0131"])
def test_an_entry_id_is_matched_whole(entry_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    escaped = entry_id.encode("unicode_escape").decode("ascii")
    path = overlay_file(
        tmp_path, f'entries:\n  - id: "{escaped}"\n    role: agent\n    usage: {{en: x}}\n    urls: [a.example.com]\n'
    )
    code, _, err = call_main(["plan", *SELECTION, "--overlay", str(path)], capsys)
    assert code == 2
    assert "not a valid id" in err


@pytest.mark.parametrize("field", ["shared_host", "blocked", "row"])
@pytest.mark.parametrize("text", ["a\u2028return 'SOCKS attacker:1080';//", "a\nb", "a\x1b[2Jb", "a\u202eb"])
def test_free_text_with_line_breaks_or_controls_is_refused(
    field: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    escaped = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    path = overlay_file(
        tmp_path,
        "entries:\n  - id: corp-x\n    role: agent\n    usage: {en: x}\n    urls: [a.example.com]\n"
        f'    {field}: "{escaped}"\n',
    )
    code, out, err = call_main(["export", "pac", *SELECTION, "--proxy-url", "DIRECT", "--overlay", str(path)], capsys)
    assert code == 2, out
    assert f"field '{field}'" in err


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("retrieved: unverified\n      read: true", 'retrieved: "2026-13-01"\n      read: true'),
            "not a calendar date",
        ),
        (("retrieved: unverified\n      read: true", "retrieved: 2026-13-01\n      read: true"), "not valid YAML"),
        (("url: https://techdocs.broadcom.com/fr/fr/", "url: http://techdocs.broadcom.com/fr/fr/"), "https://"),
        (('kb: "154433"', 'kb: "KB154433"'), "not a knowledge-base article number"),
        (
            (
                "    removed: []\n",
                "    removed: []\n    details:\n"
                "      - {id: console-icdm, disposition: remove, impact: [removed-entry]}\n",
            ),
            "not listed there",
        ),
        (
            (
                "    removed: []\n",
                "    removed: []\n    details:\n      - {id: console-icdm, disposition: add, impact: [moved]}\n",
            ),
            "impact",
        ),
    ],
    ids=["bad-date", "bad-unquoted-date", "clear-text-url", "bad-kb", "detail-not-listed", "unknown-impact"],
)
def test_provenance_and_change_details_are_validated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    from sep_egress.catalog.vendor.load import CATALOG_PATH

    path = tmp_path / "catalog.yaml"
    path.write_text(replace_once(CATALOG_PATH.read_text(encoding="utf-8"), *edit), encoding="utf-8")
    assert main(["catalog", "--catalog", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err


def test_an_unquoted_retrieval_date_is_a_date(tmp_path: Path) -> None:
    from sep_egress.catalog.vendor.load import CATALOG_PATH

    path = tmp_path / "catalog.yaml"
    edit = ("retrieved: unverified\n      read: true", "retrieved: 2026-11-28\n      read: true")
    path.write_text(replace_once(CATALOG_PATH.read_text(encoding="utf-8"), *edit), encoding="utf-8")
    assert load_catalog(path).editions[0].retrieved == "2026-11-28"
