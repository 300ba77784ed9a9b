"""The validated-catalog cache: a hit equals a fresh validation; edits, corruption and opt-out are handled."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sep_egress.catalog import cache as cache_module
from sep_egress.catalog import load_catalog
from sep_egress.catalog.cache import NO_CACHE_ENV, cache_entry, read_cached
from sep_egress.catalog.vendor.load import CATALOG_PATH, _schema_fingerprint
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


# --- what the cache trusts -----------------------------------------------------------------------------------------


def test_an_entry_with_a_host_the_catalog_file_does_not_have_is_rebuilt(cache: Path, tmp_path: Path) -> None:
    """A tampered entry that still looks valid (a well-formed host added) is refused and rebuilt."""
    path = copy_catalog(tmp_path)
    expected = load_catalog(path)
    (entry,) = cache.glob("catalog-*.json")
    text = entry.read_text(encoding="utf-8")
    assert "liveupdate.symantec.com" in text
    entry.write_text(text.replace("liveupdate.symantec.com", "liveupdate.attacker.example"), encoding="utf-8")
    loaded = load_catalog(path)
    assert loaded == expected
    assert "liveupdate.attacker.example" not in entry.read_text(encoding="utf-8")


def test_an_entry_is_bound_to_the_catalog_it_was_built_from(cache: Path, tmp_path: Path) -> None:
    first = copy_catalog(tmp_path)
    load_catalog(first)
    (entry_a,) = cache.glob("catalog-*.json")
    second = tmp_path / "other.yaml"
    second.write_bytes(first.read_bytes() + b"\n# another file\n")
    entry_b = cache_entry("catalog", second.read_bytes(), _schema_fingerprint())
    # The entry of the first file planted under the second file's name: the key and digest it records differ.
    entry_b.path.write_bytes(entry_a.read_bytes())
    assert read_cached(entry_b, lambda document: document) is None
    load_catalog(second)
    envelope = json.loads(entry_b.path.read_text(encoding="utf-8"))
    assert envelope["key"] == entry_b.key
    assert envelope["catalog_sha256"] == hashlib.sha256(second.read_bytes()).hexdigest()


def test_the_cache_folder_is_created_private(cache: Path, tmp_path: Path) -> None:
    load_catalog(copy_catalog(tmp_path))
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_folder_others_can_write_is_not_used(
    cache: Path, tmp_path: Path, mode: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy_catalog(tmp_path)
    expected = load_catalog(path)
    (entry,) = cache.glob("catalog-*.json")
    entry.write_text(entry.read_text(encoding="utf-8").replace("liveupdate.symantec.com", "x.attacker.example"))
    cache.chmod(mode)
    cache_module._WARNED.clear()
    assert read_cached(cache_entry("catalog", path.read_bytes(), _schema_fingerprint()), lambda d: d) is None
    assert load_catalog(path) == expected
    err = capsys.readouterr().err
    assert "writable by group or others" in err
    assert err.count("warning") == 1  # once per run, not per read
    # Nothing was written there either.
    assert "x.attacker.example" in entry.read_text(encoding="utf-8")


def test_a_folder_owned_by_someone_else_is_not_used(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = copy_catalog(tmp_path)
    load_catalog(path)
    monkeypatch.setattr(os, "getuid", lambda: cache.stat().st_uid + 1)
    cache_module._WARNED.clear()
    assert read_cached(cache_entry("catalog", path.read_bytes(), _schema_fingerprint()), lambda d: d) is None
    assert "owned by another user" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_an_entry_that_is_not_a_regular_file_is_not_read(cache: Path, tmp_path: Path, kind: str) -> None:
    path = copy_catalog(tmp_path)
    expected = load_catalog(path)
    (entry,) = cache.glob("catalog-*.json")
    saved = tmp_path / "saved.json"
    saved.write_bytes(entry.read_bytes())
    entry.unlink()
    if kind == "fifo":
        os.mkfifo(entry)
    else:
        entry.symlink_to(saved)
    signal.alarm(20)  # a FIFO opened for reading would block: fail rather than hang
    try:
        assert read_cached(cache_entry("catalog", path.read_bytes(), _schema_fingerprint()), lambda d: d) is None
        assert load_catalog(path) == expected
    finally:
        signal.alarm(0)


def test_what_the_cache_trusts_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    catalog_doc = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert "tampered entry is ignored and rebuilt" not in readme
    for text in (readme, catalog_doc):
        assert "owned by" in text
        assert "group or others" in text
        assert "SHA-256" in text
