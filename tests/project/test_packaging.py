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
import tomllib
import zipfile
from pathlib import Path

import pytest

from support import ROOT

pytestmark = pytest.mark.real_program

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
    assert {"sep_egress/aws/__init__.py", "sep_egress/gcp/__init__.py", "sep_egress/catalog/__init__.py"} <= set(names)
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


def fresh_virtualenv(wheel: Path, tmp_path: Path) -> Path:
    """A new virtualenv holding the wheel (dependencies borrowed from the project's environment); its python."""
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
    return python


def test_wheel_installs_and_works_in_a_fresh_virtualenv(wheel: Path, tmp_path: Path) -> None:
    python = fresh_virtualenv(wheel, tmp_path)
    venv = python.parent.parent
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = subprocess.run(
        [str(python), "-c", CONSUMER], cwd=outside, check=True, capture_output=True, text=True, timeout=120
    )
    report = json.loads(result.stdout)
    assert report["in_venv"], report
    assert report["editable_finders"] == []
    assert not report["package"].startswith(str(ROOT))
    assert (
        report["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    )
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


# A consumer project laid out the common way: its own `components/` package beside its program. Its network module
# makes the VPC; the program passes the VPC's and subnet's ids (pulumi.Outputs) to the sep-egress component.
CONSUMER_PROJECT = {
    "Pulumi.yaml": """\
        name: network-egress
        runtime:
          name: python
        config:
          agentCidrs:
            type: array
            items:
              type: string
            default: [10.10.0.0/16]
        """,
    "Pulumi.dev.yaml": """\
        config:
          aws:region: eu-west-1
          network-egress:agentCidrs: ["172.16.0.0/12"]
        """,
    "components/__init__.py": '"""This team\'s own components."""\n',
    "components/network.py": """\
        import pulumi_aws as aws


        def inspection_vpc(name):
            vpc = aws.ec2.Vpc(name, cidr_block="10.0.0.0/16")
            subnet = aws.ec2.Subnet(f"{name}-firewall", vpc_id=vpc.id, cidr_block="10.0.1.0/28")
            return vpc, subnet
        """,
    "__main__.py": """\
        import pulumi

        from components.network import inspection_vpc
        from sep_egress.arguments import SelectionArgs
        from sep_egress.aws import FirewallSettings, LoggingSettings
        from sep_egress.aws import NetworkFirewallAllowlist, NetworkFirewallAllowlistArgs

        vpc, subnet = inspection_vpc("inspection")
        allowlist = NetworkFirewallAllowlist(
            "sep",
            NetworkFirewallAllowlistArgs(
                selection=SelectionArgs(mode="on-prem", version="14.3 RU1"),
                source_cidrs={"agent": pulumi.Config().get_object("agentCidrs"), "sepm": ["10.20.0.10/32"]},
                firewall=FirewallSettings(vpc_id=vpc.id, subnet_ids=[subnet.id]),
                logging=LoggingSettings(alert_destination="/network-egress/alerts"),
                tags={"vpc": vpc.id},
            ),
        )
        pulumi.export("ruleGroupArns", allowlist.rule_group_arns)
        """,
}


def test_a_consumer_with_its_own_components_package_uses_the_wheel_with_outputs(wheel: Path, tmp_path: Path) -> None:
    """The wheel in a fresh virtualenv, used by a project that has its own `components/` package: its program
    imports both, wires Outputs of its own resources into the component, and `sep-egress preview` (the wheel's
    console script, Pulumi's mock engine) runs it with the project's own namespace and stack file."""
    python = fresh_virtualenv(wheel, tmp_path)
    project = tmp_path / "network-egress"
    for name, text in CONSUMER_PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(textwrap.dedent(text), encoding="utf-8")
    script = python.parent / "sep-egress"
    result = subprocess.run(
        [str(script), "preview", "--project-dir", str(project), "--stack", "dev", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    preview = json.loads(result.stdout)
    by_type = {resource["type"]: resource for resource in preview["resources"]}
    firewall = by_type["aws:networkfirewall/firewall:Firewall"]
    assert firewall["inputs"]["vpcId"] == "inspection-id"  # the VPC's id, an Output of the project's own resource
    assert firewall["inputs"]["subnetMappings"] == [{"subnetId": "inspection-firewall-id"}]
    assert firewall["inputs"]["tags"]["vpc"] == "inspection-id"
    assert firewall["parent"] == "sep-egress:aws:NetworkFirewallAllowlist::sep"
    policy = by_type["aws:networkfirewall/firewallPolicy:FirewallPolicy"]
    home_net = policy["inputs"]["firewallPolicy"]["policyVariables"]["ruleVariables"][0]["ipSet"]["definitions"]
    assert home_net == ["10.20.0.10/32", "172.16.0.0/12"]  # the stack's value in the project's namespace
    # The program imported the project's components package and the wheel's sep_egress, not this checkout's.
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import components.network, sep_egress; print(components.network.__file__, sep_egress.__file__)",
        ],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    own, library = probe.stdout.split()
    assert Path(own).is_relative_to(project) and not Path(library).is_relative_to(ROOT)
