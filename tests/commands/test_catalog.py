"""sep-egress catalog: the listing in JSON, CSV and table form, where the catalog was read from, and the internal
catalog's paths."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sep_egress.catalog.internal import load_internal_catalog
from sep_egress.cli import main

from renderings import add_url
from support import SEED, run_cli


@pytest.mark.real_program
def test_catalog_json_is_one_object_per_host_of_an_entry() -> None:
    result = run_cli("catalog", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"version", "source", "endpoints"}
    assert any(edition["read"] for edition in document["source"]["editions"])
    endpoints = document["endpoints"]
    assert len(endpoints) == 51  # every URL occurrence of the article
    licensing = next(item for item in endpoints if item["id"] == "sepm-licensing")
    assert licensing["host"] == "services-prod.symantec.com"
    assert licensing["path"] == "/service/IPLService.serviceagent/IPLendpoint1"
    assert licensing["ports"] == [443]
    for item in endpoints:
        assert {"id", "role", "host", "path", "ports", "min_version", "max_version"} <= set(item)
    symqual = next(item for item in endpoints if item["id"] == "agent-symqual-legacy")
    assert (symqual["min_version"], symqual["max_version"]) == (None, "14.3 MP1")


@pytest.mark.real_program
def test_catalog_csv_and_table() -> None:
    rows = list(csv.DictReader(io.StringIO(run_cli("catalog", "--format", "csv").stdout)))
    assert len(rows) == 51  # every URL occurrence of the article
    assert rows[0]["id"] == "agent-install-package"
    table = run_cli("catalog").stdout
    assert "services-prod.symantec.com" in table and table.startswith("catalog ")


@pytest.mark.real_program
def test_catalog_internal_lists_every_path_with_its_id() -> None:

    internal = load_internal_catalog()
    result = run_cli("catalog", "internal", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == internal.version
    assert [path["id"] for path in data["paths"]] == [path.id for path in internal.paths]
    https = next(path for path in data["paths"] if path["id"] == "sepm-agent-https")
    assert (https["from_role"], https["to"], https["ports"], https["configurable"]) == ("agent", "sepm", [443], True)
    table = run_cli("catalog", "internal")
    assert table.returncode == 0 and "sepm-agent-https" in table.stdout and "Not transcribed" in table.stdout
    csv_out = run_cli("catalog", "internal", "--format", "csv")
    assert csv_out.stdout.splitlines()[0].startswith("id,from_role,to,protocol,ports")


def test_a_catalog_named_before_the_subcommand_is_the_one_compared(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    article = tmp_path / "article.txt"
    article.write_text(add_url(SEED.read_text(encoding="utf-8"), "french-text"), encoding="utf-8")
    proposal = tmp_path / "proposal.yaml"
    assert main(["catalog", "verify", str(article), "--propose", str(proposal)]) == 1
    capsys.readouterr()
    assert main(["catalog", "--catalog", str(proposal), "verify", str(article)]) == 0
    assert "catalog: 2026.12.01" in capsys.readouterr().out


def test_the_catalog_listing_shows_where_the_catalog_was_read_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog"]) == 0
    head = capsys.readouterr().out.split("\n\n")[0]
    assert "read from: fr edition, https://techdocs.broadcom.com/fr/fr/" in head
    assert "checked against: en edition, KB 154433, https://knowledge.broadcom.com/external/article/154433" in head
    assert main(["catalog", "--format", "json"]) == 0
    editions = json.loads(capsys.readouterr().out)["source"]["editions"]
    read = [edition for edition in editions if edition["read"]]
    assert [(edition["language"], edition["retrieved"]) for edition in read] == [("fr", "unverified")]
    assert set(read[0]) == {"language", "title", "url", "kb", "retrieved", "read", "note"}
