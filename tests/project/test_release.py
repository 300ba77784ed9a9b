"""Releases: one version everywhere, tags the install lines can name, and the dependency ranges that are tested."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

from packaging.requirements import Requirement
from packaging.version import Version

import sep_egress

from support import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
REQUIREMENTS = {Requirement(line).name: Requirement(line) for line in PYPROJECT["project"]["dependencies"]}


def test_one_version_and_its_changelog_section() -> None:
    assert sep_egress.__version__ == VERSION
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", changelog, re.MULTILINE)
    assert released[0] == VERSION  # the newest released section is this version
    assert f"[{VERSION}]: " in changelog


def test_install_lines_name_the_release_tag() -> None:
    """Every `@<ref>` a user copies (pip's git URL, pulumi package add, the YAML packages entry) is v<version>."""
    tag = f"v{VERSION}"
    for path in (
        ROOT / "docs" / "reuse.md",
        ROOT / "README.md",
        ROOT / "examples" / "python-consumer" / "requirements.txt",
    ):
        text = path.read_text(encoding="utf-8")
        refs = re.findall(r"(?:sep-egress\.git|sep-egress/provider)@([\w.<>-]+)", text)
        assert all(ref == tag for ref in refs), (path.name, refs)
    assert re.findall(r"sep-egress(?:\.git)?(?:/provider)?@v", (ROOT / "docs" / "reuse.md").read_text(encoding="utf-8"))
    wheels = re.findall(r"sep_egress-([\d.]+)-py3", (ROOT / "docs" / "reuse.md").read_text(encoding="utf-8"))
    assert wheels and set(wheels) == {VERSION}


def test_the_pulumi_range_is_the_tested_one() -> None:
    """The mock engine uses pulumi internals: the range's lowest release is the one `make test-pulumi-lowest`
    installs, and the release in this virtualenv is inside it."""
    pulumi = REQUIREMENTS["pulumi"]
    lower = [spec.version for spec in pulumi.specifier if spec.operator == ">="]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    [lowest] = re.findall(r"^PULUMI_LOWEST := (\S+)$", makefile, re.MULTILINE)
    assert lower and Version(lower[0]) == Version(lowest)
    assert Version(importlib.metadata.version("pulumi")) in pulumi.specifier
    assert Version(lowest) in pulumi.specifier


def test_provider_sdks_stay_within_one_major_version() -> None:
    for name in ("pulumi-aws", "pulumi-gcp"):
        specifier = REQUIREMENTS[name].specifier
        lower = Version(next(spec.version for spec in specifier if spec.operator == ">="))
        upper = Version(next(spec.version for spec in specifier if spec.operator == "<"))
        assert upper == Version(f"{lower.major + 1}"), name
        assert Version(importlib.metadata.version(name)) in specifier


def test_ci_tests_the_lowest_allowed_pulumi_too() -> None:
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "test.yml").read_text(encoding="utf-8"))
    commands = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert "make test" in commands and "make test-pulumi-lowest" in commands
