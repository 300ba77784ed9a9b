"""The repository as a pip-installable library: build a wheel offline, install it into a fresh virtualenv, and use
it from there (import the components, compute a plan, run the ``sep-egress`` console script).

Offline by construction: the wheel is built without build isolation (setuptools and wheel come from the project's
environment) and installed with ``--no-deps --no-index``. The fresh virtualenv borrows the dependencies (pulumi,
pulumi-aws, pulumi-gcp, pydantic, PyYAML) from the project's environment through a ``.pth`` line. Python does not
process ``.pth`` files found in a directory added that way, so the project environment's editable install of this
repository (an ``__editable__`` finder started from a ``.pth``) stays inactive: the test checks that the
``sep_egress`` it imports is the wheel's copy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from support import ROOT

pytestmark = pytest.mark.slow

# What a copy of the working tree leaves out: environments, caches and build output, never sources.
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".mypy_cache", ".ruff_cache", ".pytest_cache",
    ".hypothesis", "out",
)  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of the tree: setuptools writes build/ and *.egg-info next to the sources, and the working
    # tree is shared with whoever else is running the tests.
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCES)
    output = work / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    subprocess.run(
        [*build, "-w", str(output), str(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    [built] = output.glob("sep_egress-*.whl")
    return built


def test_wheel_holds_the_package_and_its_data_only(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "sep_egress/catalog/data/endpoints.yaml" in names
    assert "sep_egress/py.typed" in names
    assert {"sep_egress/aws.py", "sep_egress/gcp.py", "sep_egress/catalog/__init__.py"} <= set(names)
    top_levels = {name.split("/", 1)[0] for name in names}
    assert top_levels == {"sep_egress", next(name for name in top_levels if name.endswith(".dist-info"))}
    assert not [name for name in names if name.startswith(("tests/", "stacks/", "policy/", "examples/", "bench/"))]
    metadata = zipfile.ZipFile(wheel).read(next(name for name in names if name.endswith(".dist-info/METADATA")))
    requires = {line.split(":", 1)[1].strip().split(">")[0].split("<")[0] for line in metadata.decode().splitlines()
                if line.startswith("Requires-Dist:")}  # fmt: skip
    assert {"pulumi", "pulumi-aws", "pulumi-gcp", "pydantic", "PyYAML"} <= requires
    entry_points = zipfile.ZipFile(wheel).read(next(name for name in names if name.endswith("entry_points.txt")))
    assert "sep-egress = sep_egress.cli:main" in entry_points.decode()


CONSUMER = textwrap.dedent(
    """
    import json, sys
    from importlib import metadata
    from pathlib import Path

    import sep_egress
    from sep_egress.catalog import CATALOG_PATH, load_catalog, select
    from sep_egress.aws import NetworkFirewallAllowlist
    from sep_egress.gcp import EgressFirewallPolicy

    prefix = Path(sys.prefix).resolve()
    plan = select(load_catalog(), mode="hybrid", version="14.3 RU1")
    print(json.dumps({
        "package": str(Path(sep_egress.__file__).resolve()),
        "catalog": str(CATALOG_PATH.resolve()),
        "in_venv": Path(sep_egress.__file__).resolve().is_relative_to(prefix)
                   and CATALOG_PATH.resolve().is_relative_to(prefix),
        "editable_finders": [repr(finder) for finder in sys.meta_path if "editable" in repr(finder).lower()],
        "version": metadata.version("sep-egress"),
        "hosts": len(plan.hosts),
        "components_classes": [NetworkFirewallAllowlist.__name__, EgressFirewallPolicy.__name__],
    }))
    """
)


def test_wheel_installs_and_works_in_a_fresh_virtualenv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = venv / "bin" / "python"
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site_packages / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    # The project environment's pip installs into the new one (--python), so the fresh venv needs no pip of its own.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run(
        [str(python), "-c", CONSUMER], cwd=outside, check=True, capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout)
    assert report["in_venv"], report
    assert report["editable_finders"] == []
    assert not report["package"].startswith(str(ROOT))
    assert report["version"] == "0.1.0"
    assert report["hosts"] > 20
    assert report["components_classes"] == ["NetworkFirewallAllowlist", "EgressFirewallPolicy"]

    script = venv / "bin" / "sep-egress"
    plan = subprocess.run(
        [str(script), "plan", "--mode", "on-prem", "--version", "14.3 RU1", "--format", "json"],
        cwd=outside,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    document = json.loads(plan.stdout)
    assert any(rule["host"] == "liveupdate.symantec.com" for rule in document["allow"])
    assert script.read_text(encoding="utf-8").startswith(f"#!{python}")
