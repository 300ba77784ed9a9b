"""Modules that moved in 0.3 still import under their 0.2 names (``sep_egress.moved``), as the same module object,
with a DeprecationWarning naming the new path; nothing in the repository itself uses an old name."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import warnings

import pytest

from support import PACKAGE, ROOT


def _moves() -> list[tuple[str, str]]:
    found = []
    for init in sorted(PACKAGE.rglob("__init__.py")):
        name = ".".join(init.relative_to(PACKAGE.parent).parent.parts)
        for old, new in getattr(importlib.import_module(name), "MOVED_MODULES", {}).items():
            found.append((f"{name}.{old}", new))
    return found


MOVES = _moves()


def test_the_layout_change_left_aliases() -> None:
    assert len(MOVES) >= 20
    assert ("sep_egress.compile.aws_evaluate", "sep_egress.compile.aws.evaluate") in MOVES


@pytest.mark.real_program
@pytest.mark.parametrize(("old", "new"), MOVES)
def test_an_old_module_path_gives_the_module_at_its_new_place(old: str, new: str) -> None:
    # In a fresh interpreter: an alias once imported stays in sys.modules, and the warning shows only the first time.
    code = (
        "import importlib, warnings\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        f"new = importlib.import_module({new!r})\n"
        "try:\n"
        f"    importlib.import_module({old!r})\n"
        "except DeprecationWarning as warning:\n"
        "    print(warning)\n"
        "warnings.simplefilter('ignore', DeprecationWarning)\n"
        f"print(importlib.import_module({old!r}) is new)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.splitlines() == [f"{old} moved to {new}; import it from there", "True"]


def test_names_import_from_an_old_path() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from sep_egress.compile.aws.evaluate import NetworkFirewallModel as moved
        from sep_egress.compile.aws_evaluate import NetworkFirewallModel

    assert NetworkFirewallModel is moved


def test_an_alias_never_replaces_a_function_the_package_exports() -> None:
    # sep_egress.catalog.select is the selection function and, as in 0.2, also the name of the module that defines
    # it: importing the module by that name gives the module and leaves the function in place.
    import sep_egress.catalog
    import sep_egress.catalog.vendor.select

    assert importlib.import_module("sep_egress.catalog.select") is sep_egress.catalog.vendor.select
    assert sep_egress.catalog.select is sep_egress.catalog.vendor.select.select


def test_an_unknown_module_is_still_not_found() -> None:
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("sep_egress.compile.aws_nothing")


@pytest.mark.real_program
def test_nothing_in_the_repository_imports_an_old_path() -> None:
    olds = {old for old, _ in MOVES}
    pattern = re.compile(r"\bsep_egress(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
    offenders = []
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    for name in tracked.stdout.splitlines():
        if not name.endswith((".py", ".md", ".yml", ".yaml", ".toml")) or name in {"CHANGELOG.md"}:
            continue
        if name.endswith(("sep_egress/moved.py", "tests/test_moved.py")):
            continue
        path = ROOT / name
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in pattern.finditer(line):
                parts = match.group(0).split(".")
                if any(".".join(parts[:end]) in olds for end in range(2, len(parts) + 1)):
                    offenders.append(f"{name}:{number}: {match.group(0)}")
    assert offenders == []


# What docs/reuse.md, docs/aws.md and docs/gcp.md tell a consumer to import; the layout change kept every one.
DOCUMENTED = {
    "sep_egress.catalog": "load_catalog select EgressPlan SourcedOverlay load_overlay parse_overlay AllowRule CidrRule",
    "sep_egress.arguments": "SelectionArgs",
    "sep_egress.aws": (
        "NetworkFirewallAllowlist NetworkFirewallAllowlistArgs FirewallSettings LoggingSettings DistributionSettings"
        " compile_args"
    ),
    "sep_egress.gcp": (
        "EgressFirewallPolicy EgressFirewallPolicyArgs EgressNat EgressNatArgs StoragePrivateAccess"
        " StoragePrivateAccessArgs RoleTargetArgs SecureTagsArgs FirewallPolicyOptionsArgs NatOptionsArgs"
        " PrivateAccessOptionsArgs"
    ),
    "sep_egress.errors": "SepEgressError CatalogError SelectionError ConfigError",
    "sep_egress.compile.aws": "compile_network_firewall AwsEgressSpec AwsFirewallOptions",
    "sep_egress.compile.gcp": "compile_gcp FirewallOptions parse_targets GcpEgressSpec",
    "sep_egress.compile.proxy": "SquidOptions squid_config pac_file host_list csv_list",
    "sep_egress.provider": "package_alias package_args_source package_schema",
    "sep_egress.preview": "run_preview preview_at_revision render_text render_json render_markdown diff_previews",
}


@pytest.mark.parametrize("module", sorted(DOCUMENTED))
def test_the_documented_import_paths_still_import(module: str) -> None:
    imported = importlib.import_module(module)
    assert [name for name in DOCUMENTED[module].split() if not hasattr(imported, name)] == []
