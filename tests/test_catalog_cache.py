"""The validated-catalog cache: a hit equals a fresh validation; edits, corruption and opt-out are handled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sep_egress.catalog import load_catalog
from sep_egress.catalog.load import CATALOG_PATH, NO_CACHE_ENV
from sep_egress.errors import CatalogError

from support import ROOT


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SEP_EGRESS_CACHE_DIR", str(folder))
    return folder


def copy_catalog(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_bytes(CATALOG_PATH.read_bytes())
    return path


def test_a_cache_hit_equals_a_fresh_validation(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = copy_catalog(tmp_path)
    first = load_catalog(path)
    entries = list(cache.glob("catalog-*.json"))
    assert len(entries) == 1
    assert oct(entries[0].stat().st_mode & 0o777) == "0o600"
    assert load_catalog(path) == first
    monkeypatch.setenv(NO_CACHE_ENV, "1")
    assert load_catalog(path) == first


def test_an_edited_catalog_is_validated_again(cache: Path, tmp_path: Path) -> None:
    path = copy_catalog(tmp_path)
    load_catalog(path)
    path.write_text(path.read_text(encoding="utf-8").replace("ent-shasta-rrs", "ent_shasta_rrs"), encoding="utf-8")
    with pytest.raises(CatalogError, match="entry 'agent-reputation'"):
        load_catalog(path)


def test_a_corrupt_cache_entry_is_rebuilt(cache: Path, tmp_path: Path) -> None:
    path = copy_catalog(tmp_path)
    expected = load_catalog(path)
    (entry,) = cache.glob("catalog-*.json")
    entry.write_bytes(b"not a pickle")
    assert load_catalog(path) == expected
    assert entry.read_bytes() != b"not a pickle"


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("SEP_EGRESS_CACHE_DIR", str(blocker / "cache"))
    assert load_catalog(copy_catalog(tmp_path)).version


def test_a_cached_plan_run_imports_neither_pydantic_nor_yaml(cache: Path) -> None:
    code = (
        "import sys\n"
        "from sep_egress.cli import main\n"
        "main(['plan', '--mode', 'hybrid', '--version', '14.3 RU1', '--format', 'json'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'yaml')), file=sys.stderr)\n"
    )
    env = {**os.environ, "SEP_EGRESS_CACHE_DIR": str(cache)}
    cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert cold.stdout == warm.stdout
    assert "pydantic" in cold.stderr
    assert warm.stderr.strip() == "[]"


def test_fields_added_later_are_kept_or_the_catalog_is_not_cached() -> None:
    import dataclasses

    from sep_egress.catalog.cache_format import CacheFormatError, _extras, _extras_from_json
    from sep_egress.catalog.models import Text

    @dataclasses.dataclass(frozen=True)
    class Sample:
        id: str
        provenance: str | None = None
        anchors: tuple[str, ...] = ()
        note: Text | None = None
        other: object = None

    sample = Sample("x", "table 2, row 3", ("a", "b"), Text("en", "fr"))
    document = json.loads(json.dumps(_extras(sample, {"id"})))
    assert Sample("x", **_extras_from_json(Sample, document)) == sample
    with pytest.raises(CacheFormatError):  # text read back is checked like the schema's free text
        _extras_from_json(Sample, {**document, "provenance": "row 3\nhttp_access allow all"})
    with pytest.raises(CacheFormatError):
        _extras_from_json(Sample, {**document, "unknown": 1})
    with pytest.raises(CacheFormatError):  # a type the format cannot hold: not cached rather than lost
        _extras(Sample("x", other=object()), {"id"})


def test_change_details_and_editions_survive_the_cache() -> None:
    """Every structured field of the catalog goes through the cache; none is dropped on the way back."""
    import dataclasses

    from sep_egress.catalog.cache_format import catalog_from_json, catalog_to_json
    from sep_egress.catalog.models import ChangeDetail, Edition

    catalog = load_catalog()
    assert catalog.editions, "the shipped catalog names the article's editions"
    first = catalog.changes[0]
    entry_id = (first.added or (catalog.entries[0].id,))[0]
    detailed = dataclasses.replace(
        first,
        added=first.added or (entry_id,),
        details=(ChangeDetail(entry_id, "add", ("added-entry", "added-url"), "read from table 1"),),
    )
    edition = Edition("pt-BR", "unverified", "2026-11-28", False, title="Título", kb="123", note=None)
    sample = dataclasses.replace(
        catalog, changes=(detailed, *catalog.changes[1:]), editions=(*catalog.editions, edition)
    )
    assert catalog_from_json(json.loads(json.dumps(catalog_to_json(sample)))) == sample


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("url", "http://techdocs.broadcom.com/x"),
        ("url", "https://exa mple.com/"),
        ("retrieved", "2026-13-01"),
        ("language", "french"),
        ("kb", "12a"),
        ("read", "yes"),
        ("note", "a\u202eb"),
    ],
)
def test_a_tampered_edition_in_the_cache_is_refused(where: str, value: str) -> None:
    from sep_egress.catalog.cache_format import CacheFormatError, catalog_from_json, catalog_to_json

    document = json.loads(json.dumps(catalog_to_json(load_catalog())))
    positions = {"language": 0, "url": 1, "retrieved": 2, "read": 3, "title": 4, "kb": 5, "note": 6}
    document["editions"][0][positions[where]] = value
    with pytest.raises(CacheFormatError):
        catalog_from_json(document)


def test_a_tampered_change_detail_in_the_cache_is_refused() -> None:
    from sep_egress.catalog.cache_format import CacheFormatError, catalog_from_json, catalog_to_json

    document = json.loads(json.dumps(catalog_to_json(load_catalog())))
    document["changes"][0][6] = [["agent-reputation", "add", ["drop-everything"], None]]
    with pytest.raises(CacheFormatError):
        catalog_from_json(document)
