"""The vendor catalog's cache format: every field goes through JSON and back, and what is read back is checked again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sep_egress.catalog import Catalog, load_catalog
from sep_egress.catalog.cache import CacheFormatError
from sep_egress.catalog.vendor.codec import catalog_from_json, catalog_to_json
from sep_egress.catalog.vendor.load import _write_cache

from support import SELECTION


@pytest.mark.real_program
def test_a_tampered_cache_entry_cannot_smuggle_a_host(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "SEP_EGRESS_CACHE_DIR": str(cache)}
    env.pop("SEP_EGRESS_NO_CACHE", None)
    command = [sys.executable, "-m", "sep_egress", "export", "squid", *SELECTION]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    for path in cache.iterdir():
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "liveupdate.symantec.com" in text
            path.write_text(
                text.replace("liveupdate.symantec.com", "liveupdate.symantec.com\\nhttp_access allow all"),
                encoding="utf-8",
            )
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 0, second.stderr
    assert "http_access allow all" not in second.stdout
    assert second.stdout == first.stdout


def test_edition_fields_are_checked_once_for_the_file_and_the_cache() -> None:
    """The schema and the cache share models.py's checks: a knowledge-base number in other digits is refused by
    both (the schema accepted it before, as str.isdigit() does)."""
    from sep_egress.catalog.cache import CacheFormatError
    from sep_egress.catalog.vendor.codec import catalog_from_json, catalog_to_json
    from sep_egress.catalog.vendor.load import load_catalog
    from sep_egress.catalog.vendor.schema import EditionDocument

    arabic = "\u0661\u0662\u0663"
    fields = {"language": "fr", "url": "unverified", "retrieved": "unverified", "read": False}
    with pytest.raises(ValueError, match="knowledge-base article number"):
        EditionDocument(**fields, kb=arabic)
    document = catalog_to_json(load_catalog())
    document["editions"][0][5] = arabic
    with pytest.raises(CacheFormatError, match="knowledge-base article number"):
        catalog_from_json(document)


def test_fields_added_later_are_kept_or_the_catalog_is_not_cached() -> None:
    import dataclasses

    from sep_egress.catalog.cache import CacheFormatError
    from sep_egress.catalog.vendor.codec import _extras, _extras_from_json
    from sep_egress.catalog.vendor.models import Text

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

    from sep_egress.catalog.history import ChangeDetail
    from sep_egress.catalog.vendor.codec import catalog_from_json, catalog_to_json
    from sep_egress.catalog.vendor.models import Edition

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
    from sep_egress.catalog.cache import CacheFormatError
    from sep_egress.catalog.vendor.codec import catalog_from_json, catalog_to_json

    document = json.loads(json.dumps(catalog_to_json(load_catalog())))
    positions = {"language": 0, "url": 1, "retrieved": 2, "read": 3, "title": 4, "kb": 5, "note": 6}
    document["editions"][0][positions[where]] = value
    with pytest.raises(CacheFormatError):
        catalog_from_json(document)


def test_a_tampered_change_detail_in_the_cache_is_refused() -> None:
    from sep_egress.catalog.cache import CacheFormatError
    from sep_egress.catalog.vendor.codec import catalog_from_json, catalog_to_json

    document = json.loads(json.dumps(catalog_to_json(load_catalog())))
    document["changes"][0][6] = [["agent-reputation", "add", ["drop-everything"], None]]
    with pytest.raises(CacheFormatError):
        catalog_from_json(document)


def test_the_cache_format_round_trips_the_catalog(catalog: Catalog, tmp_path: Path) -> None:
    try:
        document = catalog_to_json(catalog)
    except CacheFormatError:
        # A model field the format cannot hold: the catalog must then stay out of the cache, not lose the field.
        _write_cache(tmp_path / "entry.json", catalog)
        assert not (tmp_path / "entry.json").exists()
        return
    assert catalog_from_json(json.loads(json.dumps(document))) == catalog
