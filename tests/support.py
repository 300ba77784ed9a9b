"""Paths and small helpers shared by the test modules (pytest puts this folder on sys.path)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sep_egress.catalog import SourcedOverlay, parse_overlay, select
from sep_egress.catalog.internal import INTERNAL_CATALOG_PATH
from sep_egress.cli import main
from sep_egress.compile.gcp import FirewallOptions, NatOptions

if TYPE_CHECKING:
    import pytest

    from sep_egress.catalog import Catalog, EgressPlan
    from sep_egress.catalog.internal import InternalDestinations
    from sep_egress.compile.aws import AwsEgressSpec

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "components" / "sep_egress"
SEED = ROOT / "tests" / "data" / "vendor-article-fr.txt"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "000_e63e462fe2a2c458.txt"
PROJECT_SCHEMA = ROOT / "tests" / "data" / "pulumi-project.schema.json"
SHARED_PROJECT_SCHEMA = ROOT.parent / "shared" / "reference" / "pulumi-project.schema.json"


# --- the CLI ---------------------------------------------------------------------------------------------------------

SELECTION = ["--mode", "on-prem", "--version", "14.3 RU1"]


def run_cli(*args: str, cwd: Path = ROOT, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """``sep-egress ARGS`` in a fresh interpreter, as a user runs it; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, "-m", "sep_egress", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def call_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``sep-egress ARGV`` in this process: the exit code and what it printed."""
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def run_check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``sep-egress check`` of the on-prem SELECTION in this process: the exit code and what it printed."""
    code = main(["check", *SELECTION, *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- overlay files ---------------------------------------------------------------------------------------------------

GOOD_ENTRY = {
    "id": "corp-updates",
    "role": "agent",
    "usage": {"en": "Internal mirror"},
    "urls": ["https://updates.corp.example.com"],
    "ports": [443],
}


def overlay_file(tmp_path: Path, body: str, name: str = "overlay.yaml") -> Path:
    """An overlay (or any YAML file) written as ``body`` says, dedented."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def write_yaml(tmp_path: Path, document: object, name: str = "overlay.yaml") -> Path:
    """``document`` dumped as YAML, keys in their order."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def with_overlay(catalog: Catalog, entries: list[dict[str, Any]], **selection: Any) -> EgressPlan:
    """The hybrid console plan (or the selection given) with an overlay of ``entries``."""
    overlay = SourcedOverlay("test-overlay.yaml", parse_overlay({"entries": entries}, "test-overlay.yaml"))
    arguments: dict[str, Any] = {"mode": "hybrid", "version": "14.3 RU1", "roles": ["console"], **selection}
    return select(catalog, overlays=[overlay], **arguments)


# --- the internal catalog --------------------------------------------------------------------------------------------

SEPM = "10.20.0.10/32"


def hybrid(
    catalog: Catalog, internal: InternalDestinations | dict[str, Any] | None = None, **kwargs: Any
) -> EgressPlan:
    return select(catalog, mode="hybrid", roles=["console"], version="14.3 RU1", internal=internal, **kwargs)


def raw_file() -> dict[str, Any]:
    data = yaml.safe_load(INTERNAL_CATALOG_PATH.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# --- AWS -------------------------------------------------------------------------------------------------------------

SOURCES: dict[str, list[str]] = {
    "agent": ["10.10.0.0/16", "10.12.0.0/16"],
    "agent-cloud": ["10.11.0.0/16"],
    "sepm": ["10.20.0.10/32"],
    "sepm-cloud": ["10.21.0.0/24"],
    "console": ["192.168.50.0/24", "2001:db8:50::/48"],
}


FAKE_ARN = "arn:aws:network-firewall:us-east-1:123456789012:stateful-rulegroup/{}"


def sources_for(plan: EgressPlan) -> dict[str, list[str]]:
    return {role: SOURCES[role] for role in plan.roles}


def arns(spec: AwsEgressSpec) -> dict[str, str]:
    return {group.key: FAKE_ARN.format(group.name) for group in spec.groups}


# --- GCP -------------------------------------------------------------------------------------------------------------

NETWORK = "projects/p/global/networks/vpc"
ASSOCIATION = "gcp:compute/networkFirewallPolicyAssociation:NetworkFirewallPolicyAssociation"
CLOUD = {"mode": "cloud", "version": "14.3 RU1"}
NAT_OPTIONS = {"region": "europe-west1", "network": NETWORK, "subnetworks": ["workloads"]}


def firewall_options(**changes: object) -> FirewallOptions:
    return FirewallOptions(networks=(NETWORK,), **changes)  # type: ignore[arg-type]


def nat_options(**changes: object) -> NatOptions:
    return NatOptions(region="europe-west1", network=NETWORK, subnetworks=("workloads",), **changes)  # type: ignore[arg-type]


def assert_conforms_to_sdk(inputs: dict[str, Any], typed_dict: str) -> None:
    """The registered (camelCase) keys are fields of the pulumi-gcp SDK's input type."""
    import pulumi_gcp.compute._inputs as sdk_inputs

    fields = getattr(sdk_inputs, typed_dict).__annotations__
    camel = {name.split("_")[0] + "".join(part.title() for part in name.split("_")[1:]) for name in fields}
    assert set(inputs) <= camel, (typed_dict, set(inputs) - camel)


# --- names a component or argument must refuse -----------------------------------------------------------------------

# Identifiers that reach a cloud API are matched whole: Python's ``$`` also matches before a final line break, so
# a pattern checked with ``re.match`` would let ``"123456789012\n"`` (or text around an id) through into the API
# body. Every such value is refused with the argument's name.
SUFFIXES = ["\n", " ", "\nextra", "/../x"]


def named(component: str, name: str, pattern: str) -> str:
    """``pattern`` (anchored with ``^`` or not) for an error raised by the component ``component`` named ``name``:
    its message starts ``<Component> '<name>': ``."""
    return rf"^{re.escape(component)} {re.escape(repr(name))}: " + pattern.removeprefix("^")
