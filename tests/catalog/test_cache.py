"""The validated-catalog cache: a hit equals a fresh validation; edits, corruption and opt-out are handled."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from sep_egress.catalog import load_catalog
from sep_egress.catalog.cache import NO_CACHE_ENV
from sep_egress.catalog.vendor.load import CATALOG_PATH
from sep_egress.errors import CatalogError

from support import ROOT, SELECTION


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


@pytest.mark.real_program
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


class _Marker:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch {MARKER_NAME}",))


MARKER_NAME = "unpickled-marker"


@pytest.mark.real_program
def test_the_catalog_cache_never_unpickles(tmp_path: Path) -> None:
    """Both caches (the vendor's list, and the internal paths an --internal destination loads)."""
    cache = tmp_path / "cache"
    env = {**os.environ, "SEP_EGRESS_CACHE_DIR": str(cache)}
    env.pop("SEP_EGRESS_NO_CACHE", None)
    internal = ("--internal", "sepm=10.20.0.10/32")
    command = [sys.executable, "-m", "sep_egress", "plan", *SELECTION, *internal, "--format", "json"]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=60, check=False)
    assert first.returncode == 0, first.stderr
    entries = [path for path in cache.iterdir() if path.is_file()]
    assert {path.name.split("-")[0] for path in entries} == {"catalog", "internal"}
    for path in entries:
        path.write_bytes(pickle.dumps(_Marker()))
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=60, check=False)
    assert second.returncode == 0, second.stderr
    assert not (tmp_path / MARKER_NAME).exists()
    assert second.stdout == first.stdout


@pytest.mark.real_program
def test_the_internal_catalog_is_cached_and_a_warm_run_skips_pydantic(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from sep_egress.catalog.internal import load_internal_catalog\n"
        "load_internal_catalog()\n"
        "print('pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "SEP_EGRESS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("SEP_EGRESS_NO_CACHE", None)
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
        for _ in range(2)
    ]
    assert [run.stdout.strip() for run in runs] == ["True", "False"]
    (entry,) = (tmp_path / "cache").glob("internal-*.json")
    assert oct(entry.stat().st_mode & 0o777) == "0o600"
    # A tampered entry (a line break smuggled into a text) is refused and the file validated again.
    tampered = entry.read_text(encoding="utf-8").replace(
        "Symantec Endpoint Protection Manager", "x\\nhttp_access allow all", 1
    )
    assert tampered != entry.read_text(encoding="utf-8")
    entry.write_text(tampered, encoding="utf-8")
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True
        ).stdout.strip()
        == "True"
    )
