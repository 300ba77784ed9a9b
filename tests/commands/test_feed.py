"""``sep-egress feed build DIR``: the static catalog feed, read back as a consumer reads it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from sep_egress.catalog.vendor.load import CATALOG_PATH

from support import call_main

ATOM = "{http://www.w3.org/2005/Atom}"


def three_version_catalog(tmp_path: Path) -> Path:
    """The packaged catalog with two more versions: one adds an entry, the next removes it again and adds another."""
    document = yaml.safe_load(CATALOG_PATH.read_text(encoding="utf-8"))
    first = document["entries"][0]
    added = {**first, "id": "agent-feed-test-a", "urls": ["https://feed-a.example.com"]}
    other = {**first, "id": "agent-feed-test-b", "urls": ["https://feed-b.example.com"]}
    added.pop("row", None)
    other.pop("row", None)
    document["entries"].append(added)
    document["changes"].append(
        {"version": "2026.12.01", "date": "2026-12-01", "summary": "Adds feed-a.", "added": ["agent-feed-test-a"]}
    )
    document["entries"] = [entry for entry in document["entries"] if entry["id"] != "agent-feed-test-a"] + [other]
    document["changes"].append(
        {
            "version": "2026.12.05",
            "date": "2026-12-05",
            "summary": "Replaces feed-a with feed-b.",
            "added": ["agent-feed-test-b"],
            "removed": ["agent-feed-test-a"],
        }
    )
    document["version"] = "2026.12.05"
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def build(capsys: pytest.CaptureFixture[str], directory: Path, *extra: str) -> None:
    code, _, err = call_main(["feed", "build", str(directory), *extra], capsys)
    assert code == 0, err


def read_tree(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()
    }


def output(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code, out, err = call_main(list(argv), capsys)
    assert code == 0, err
    return out


@pytest.mark.real_program
def test_the_feed_reads_back_as_the_commands_print_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = three_version_catalog(tmp_path)
    site = tmp_path / "site"
    build(capsys, site, "--catalog", str(catalog), "--base-url", "https://example.org/sep/")
    version = json.loads((site / "version.json").read_text(encoding="utf-8"))
    assert version["catalog"] == "2026.12.05"
    assert version["versions"] == ["2026.11.28", "2026.12.01", "2026.12.05"]
    # What changed since each version is exactly what `sep-egress changes --since` prints.
    for since in version["versions"]:
        published = (site / "changes" / "since" / f"{since}.json").read_text(encoding="utf-8")
        assert published == output(capsys, "changes", "--catalog", str(catalog), "--since", since, "--format", "json")
    since_first = json.loads((site / "changes" / "since" / "2026.11.28.json").read_text(encoding="utf-8"))
    assert [change["version"] for change in since_first["changes"]] == ["2026.12.01", "2026.12.05"]
    assert json.loads((site / "changes" / "since" / "2026.12.05.json").read_text(encoding="utf-8"))["changes"] == []
    assert (site / "changes.json").read_text(encoding="utf-8") == output(
        capsys, "changes", "--catalog", str(catalog), "--format", "json"
    )
    assert (site / "catalog.json").read_text(encoding="utf-8") == output(
        capsys, "catalog", "--catalog", str(catalog), "--format", "json"
    )
    assert (site / "catalog.csv").read_text(encoding="utf-8") == output(
        capsys, "catalog", "--catalog", str(catalog), "--format", "csv"
    )
    assert (site / "internal.json").read_text(encoding="utf-8") == output(
        capsys, "catalog", "internal", "--format", "json"
    )
    hosts = {row["host"] for row in csv.DictReader(io.StringIO((site / "roles" / "agent.csv").read_text("utf-8")))}
    assert "feed-b.example.com" in hosts and "feed-a.example.com" not in hosts
    every_role = []
    for role in version["roles"]:
        document = json.loads((site / "roles" / f"{role}.json").read_text(encoding="utf-8"))
        assert {endpoint["role"] for endpoint in document["endpoints"]} == {role}
        every_role += document["endpoints"]
    catalog_endpoints = json.loads((site / "catalog.json").read_text(encoding="utf-8"))["endpoints"]
    assert sorted(every_role, key=json.dumps) == sorted(catalog_endpoints, key=json.dumps)


@pytest.mark.real_program
def test_the_atom_feed_has_one_entry_per_version_newest_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    build(capsys, site, "--catalog", str(three_version_catalog(tmp_path)), "--base-url", "https://example.org/sep")
    root = ET.fromstring((site / "changes.atom").read_bytes())  # noqa: S314 - our own output
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}updated") == "2026-12-05T00:00:00Z"
    entries = root.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}id") for entry in entries] == [
        f"https://example.org/sep/changes/since/{version}.json"
        for version in ("2026.12.05", "2026.12.01", "2026.11.28")
    ]
    assert "removed: agent-feed-test-a" in (entries[0].findtext(f"{ATOM}content") or "")
    assert all(entry.findtext(f"{ATOM}title") and entry.findtext(f"{ATOM}updated") for entry in entries)


def test_the_feed_is_byte_identical_and_its_index_holds_every_digest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build(capsys, tmp_path / "one")
    build(capsys, tmp_path / "two")
    one, two = read_tree(tmp_path / "one"), read_tree(tmp_path / "two")
    assert one == two
    index = json.loads(one["index.json"])
    assert set(index["files"]) == set(one) - {"index.json", "index.html"}
    for name, digest in index["files"].items():
        assert hashlib.sha256(one[name]).hexdigest() == digest
    # Rebuilding over a previous feed replaces it whole (a file of an older feed does not linger).
    (tmp_path / "one" / "roles" / "retired.csv").write_text("old\n", encoding="utf-8")
    build(capsys, tmp_path / "one")
    assert read_tree(tmp_path / "one") == two


def test_a_folder_that_is_not_a_feed_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    code, out, err = call_main(["feed", "build", str(tmp_path)], capsys)
    assert code == 2 and out == ""
    assert "holds other files and no previous feed" in err and "Traceback" not in err
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]
