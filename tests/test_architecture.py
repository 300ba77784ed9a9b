"""The package keeps the shape docs/architecture.md draws: layers that import only downwards, no import cycle, pure
layers free of Pulumi and the cloud SDKs, and a map whose every path exists and which names every folder.

The checker reads the source with ``ast`` (nothing is imported), so it also runs on a copy of the tree with a
planted mistake, which is how the tests prove it can fail.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import PACKAGE, ROOT

ARCHITECTURE = ROOT / "docs" / "architecture.md"

# Lowest first. A module may import its own layer and the layers below it, never one above. The first matching
# prefix decides (so ``sep_egress.connectivity`` is not taken for a component).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("sep_egress.errors", "sep_egress.escape", "sep_egress.moved")),
    ("catalog", ("sep_egress.catalog",)),
    ("compile", ("sep_egress.compile", "sep_egress.connectivity")),
    ("components", ("sep_egress.arguments", "sep_egress.aws", "sep_egress.gcp")),
    (
        "program",
        (
            "sep_egress.settings",
            "sep_egress.engine_config",
            "sep_egress.mock_engine",
            "sep_egress.program",
            "sep_egress.preview",
            "sep_egress.provider",
            "sep_egress.commands",
            "sep_egress.cli",
            "sep_egress.__main__",
        ),
    ),
)
# The package's own __init__ (its version and the moved-module finder) is part of the base layer.
ROOT_MODULE = "sep_egress"
# Layers that must stay pure: they run in the CLI without paying for, or depending on, Pulumi and the cloud SDKs.
PURE_LAYERS = ("base", "catalog", "compile")
CLOUD_MODULES = ("pulumi", "pulumi_aws", "pulumi_gcp", "boto3", "botocore", "google", "googleapiclient")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    path: Path

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}"


def module_name(path: Path, package_dir: Path) -> str:
    parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _in_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_of(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import the module runs, at any depth (functions included), except under ``if TYPE_CHECKING:``."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _in_type_checking(child):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def imports(package_dir: Path) -> list[Import]:
    """Every import in the package, resolved to absolute module names (``from . import x`` gives ``pkg.x``)."""
    result: list[Import] = []
    for path in sorted(package_dir.rglob("*.py")):
        importer = module_name(path, package_dir)
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _imports_of(tree):
            if isinstance(node, ast.Import):
                result.extend(Import(importer, alias.name, node.lineno, path) for alias in node.names)
                continue
            if node.level:
                base = importer.split(".")
                # A module's own package is one level up; a package's __init__ is its own package.
                keep = len(base) - node.level + (1 if is_package else 0)
                base = base[:keep]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            for alias in node.names:
                # ``from pkg import name`` imports pkg.name when that is a module, else pkg: record the module
                # when it exists, so that layer checks see ``from .. import aws`` as an import of sep_egress.aws.
                candidate = f"{stem}.{alias.name}"
                target = candidate if _is_module(candidate, package_dir) else stem
                result.append(Import(importer, target, node.lineno, path))
    return result


def _is_module(name: str, package_dir: Path) -> bool:
    if not name.startswith(f"{ROOT_MODULE}."):
        return False
    relative = Path(*name.split(".")[1:])
    base = package_dir / relative
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def layer_of(module: str) -> int | None:
    if module == ROOT_MODULE:
        return 0
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == prefix or module.startswith(f"{prefix}.") for prefix in prefixes):
            return index
    return None


def upward_imports(package_dir: Path) -> list[str]:
    problems = []
    for item in imports(package_dir):
        if not (item.imported == ROOT_MODULE or item.imported.startswith(f"{ROOT_MODULE}.")):
            continue
        source, target = layer_of(item.importer), layer_of(item.imported)
        if source is None:
            problems.append(f"{item.path}: module {item.importer} belongs to no layer")
        elif target is None:
            problems.append(f"{item}: {item.imported} belongs to no layer")
        elif target > source:
            problems.append(f"{item}: {LAYERS[source][0]} may not import {LAYERS[target][0]}")
    return problems


def impure_imports(package_dir: Path) -> list[str]:
    pure = {index for index, (name, _) in enumerate(LAYERS) if name in PURE_LAYERS}
    problems = []
    for item in imports(package_dir):
        layer = layer_of(item.importer)
        if (layer in pure or item.importer == ROOT_MODULE) and item.imported.split(".")[0] in CLOUD_MODULES:
            problems.append(f"{item}: a pure layer imports a cloud or Pulumi module")
    return problems


def import_cycles(package_dir: Path) -> list[list[str]]:
    """Cycles among the package's modules (imports inside functions count: they still tie the modules)."""
    graph: dict[str, set[str]] = {}
    for item in imports(package_dir):
        graph.setdefault(item.importer, set())
        if item.imported.startswith(f"{ROOT_MODULE}.") and item.imported != item.importer:
            graph[item.importer].add(item.imported)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for neighbour in sorted(graph.get(node, ())):
            # A package's __init__ re-exporting its own submodules is how packages work, not a cycle of design.
            if neighbour.startswith(f"{node}.") or node.startswith(f"{neighbour}."):
                continue
            if state.get(neighbour) == 1:
                cycles.append([*stack[stack.index(neighbour) :], neighbour])
            elif neighbour not in state:
                visit(neighbour)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports(PACKAGE) == []


def test_every_module_belongs_to_a_layer() -> None:
    names = {module_name(path, PACKAGE) for path in PACKAGE.rglob("*.py")}
    assert sorted(name for name in names if layer_of(name) is None) == []


def test_the_pure_layers_import_no_pulumi_or_cloud_sdk() -> None:
    assert impure_imports(PACKAGE) == []


def test_no_import_cycle_between_modules() -> None:
    assert import_cycles(PACKAGE) == []


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "sep_egress"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    return copy


@pytest.mark.parametrize(
    ("module", "statement"),
    [
        ("compile/aws/rules.py", "from ...aws import NetworkFirewallAllowlist"),
        ("compile/aws/rules.py", "from sep_egress import aws"),
        ("catalog/vendor/select.py", "from ...compile.escape import plain_text"),
        ("catalog/hosts.py", "import sep_egress.program"),
        ("aws/__init__.py", "from ..settings import StackConfig"),
    ],
)
def test_a_planted_upward_import_is_found(package_copy: Path, module: str, statement: str) -> None:
    path = package_copy / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef planted() -> None:\n    {statement}\n")
    problems = upward_imports(package_copy)
    assert len(problems) == 1 and module in problems[0] and "may not import" in problems[0]


def test_a_planted_cloud_import_in_a_pure_layer_is_found(package_copy: Path) -> None:
    path = package_copy / "catalog" / "hosts.py"
    path.write_text(path.read_text(encoding="utf-8") + "\nimport pulumi_aws\n")
    assert len(impure_imports(package_copy)) == 1


def test_a_planted_cycle_is_found(package_copy: Path) -> None:
    path = package_copy / "catalog" / "hosts.py"
    path.write_text(path.read_text(encoding="utf-8") + "\nfrom .versions import ProductVersion\n")
    versions = package_copy / "catalog" / "versions.py"
    versions.write_text(versions.read_text(encoding="utf-8") + "\nfrom .hosts import parse_url\n")
    cycles = import_cycles(package_copy)
    assert any({"sep_egress.catalog.hosts", "sep_egress.catalog.versions"} <= set(cycle) for cycle in cycles)


def test_a_module_in_no_layer_is_reported(package_copy: Path) -> None:
    (package_copy / "helpers.py").write_text("from .errors import SepEgressError\n")
    assert any("belongs to no layer" in problem for problem in upward_imports(package_copy))


# --- the map ---------------------------------------------------------------------------------------------------

# Paths in the map are written from the package folder (`compile/aws/`, `catalog/cache.py`), or from the repository
# when they start with one of its folders (`tests/...`, `docs/...`).
_PATH = re.compile(r"`([A-Za-z0-9_./-]+(?:/|\.py|\.md|\.yaml|\.toml|\.txt))`")
# (`provider/` and `__main__.py` exist in both places; in the map they mean the package's.)
_REPOSITORY_ROOTS = ("components/", "tests/", "docs/", "stacks/", "examples/", "policy/", "bench/", ".ci/", ".github/")


def named_paths(text: str) -> list[str]:
    return sorted(set(_PATH.findall(text)))


def _resolve(name: str) -> Path:
    if name.startswith(_REPOSITORY_ROOTS):
        return ROOT / name
    return PACKAGE / name


def test_every_path_the_map_names_exists() -> None:
    names = named_paths(ARCHITECTURE.read_text(encoding="utf-8"))
    assert len(names) > 20
    assert sorted(name for name in names if not _resolve(name).exists()) == []


def test_the_map_names_every_folder_and_top_level_module_of_the_package() -> None:
    named = {_resolve(name).resolve() for name in named_paths(ARCHITECTURE.read_text(encoding="utf-8"))}
    folders = {path.parent.resolve() for path in PACKAGE.rglob("__init__.py") if "__pycache__" not in path.parts} - {
        PACKAGE.resolve()
    }
    modules = {path.resolve() for path in PACKAGE.glob("*.py") if path.name != "__init__.py"}
    assert sorted(str(path.relative_to(PACKAGE)) for path in (folders | modules) - named) == []
