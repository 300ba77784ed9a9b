"""The package keeps the shape docs/architecture.md draws: layers that import only downwards, no import cycle, pure
layers free of Pulumi and the cloud SDKs, and a map whose every path exists and which names every folder.

The checker reads the source with ``ast`` (nothing is imported), so it also runs on a copy of the tree with a
planted mistake, which is how the tests prove it can fail.
"""

from __future__ import annotations

import ast
import functools
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
    ("compile", ("sep_egress.compile", "sep_egress.connectivity", "sep_egress.logs")),
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
    # Under ``if TYPE_CHECKING:``: never run, so no cycle at run time, but still a dependency between layers.
    typing_only: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} imports {self.imported}"


class ImportError_(ValueError):
    """A relative import that climbs above the package (Python refuses it at run time)."""


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


_DYNAMIC = {("importlib", "import_module"), ("", "__import__"), ("", "import_module")}


def _dynamic_import(node: ast.Call) -> str | None:
    """``importlib.import_module("x")`` or ``__import__("x")`` with a literal name: an import all the same."""
    function = node.func
    owner, name = "", ""
    if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
        owner, name = function.value.id, function.attr
    elif isinstance(function, ast.Name):
        name = function.id
    if (owner, name) not in _DYNAMIC or not node.args:
        return None
    first = node.args[0]
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def _imports_of(tree: ast.AST) -> list[tuple[ast.Import | ast.ImportFrom | ast.Call, bool]]:
    """Every import the module can run, at any depth (functions included), each with whether it sits under
    ``if TYPE_CHECKING:``."""
    found: list[tuple[ast.Import | ast.ImportFrom | ast.Call, bool]] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _in_type_checking(child):
                for statement in child.body:
                    visit_one(statement, True)
                for statement in child.orelse:
                    visit_one(statement, typing_only)
                continue
            visit_one(child, typing_only)

    def visit_one(child: ast.AST, typing_only: bool) -> None:
        if isinstance(child, ast.Import | ast.ImportFrom) or (
            isinstance(child, ast.Call) and _dynamic_import(child) is not None
        ):
            found.append((child, typing_only))
        visit(child, typing_only)

    visit(tree, False)
    return found


# (statement kind, relative level, module, imported names, line, under TYPE_CHECKING)
_RawImport = tuple[str, int, str, tuple[str, ...], int, bool]


@functools.cache
def _raw_imports(source: str) -> tuple[_RawImport, ...]:
    """The imports of one file's text (cached: the planted copies share all files but one with the real tree)."""
    raw: list[_RawImport] = []
    for node, typing_only in _imports_of(ast.parse(source)):
        if isinstance(node, ast.Call):
            raw.append(("import", 0, "", (_dynamic_import(node) or "",), node.lineno, typing_only))
        elif isinstance(node, ast.Import):
            raw.append(("import", 0, "", tuple(alias.name for alias in node.names), node.lineno, typing_only))
        else:
            names = tuple(alias.name for alias in node.names)
            raw.append(("from", node.level, node.module or "", names, node.lineno, typing_only))
    return tuple(raw)


def imports(package_dir: Path) -> list[Import]:
    """Every import in the package, resolved to absolute module names (``from . import x`` gives ``pkg.x``)."""
    result: list[Import] = []
    for path in sorted(package_dir.rglob("*.py")):
        importer = module_name(path, package_dir)
        is_package = path.name == "__init__.py"
        for kind, level, module, names, line, typing_only in _raw_imports(path.read_text(encoding="utf-8")):
            if kind == "import":
                result.extend(Import(importer, name, line, path, typing_only) for name in names)
                continue
            if level:
                base = importer.split(".")
                # A module's own package is one level up; a package's __init__ is its own package.
                keep = len(base) - level + (1 if is_package else 0)
                if keep < 1:
                    raise ImportError_(f"{path}:{line}: a relative import climbs above the package")
                stem = ".".join([*base[:keep], module] if module else base[:keep])
            else:
                stem = module
            for name in names:
                # ``from pkg import name`` imports pkg.name when that is a module, else pkg: record the module
                # when it exists, so that layer checks see ``from .. import aws`` as an import of sep_egress.aws.
                candidate = f"{stem}.{name}"
                target = candidate if _is_module(candidate, package_dir) else stem
                result.append(Import(importer, target, line, path, typing_only))
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
        if item.typing_only:
            continue  # never runs, so it ties nothing at import time
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


# Within a layer, parts that must not know each other: (importer prefix, imported prefix, why).
SEPARATE: tuple[tuple[str, str, str], ...] = (
    ("sep_egress.catalog.internal", "sep_egress.catalog.vendor", "the vendor selection reads the internal catalog"),
    ("sep_egress.catalog.internal", "sep_egress.catalog.article", "the article reader never feeds a catalog"),
    ("sep_egress.catalog.vendor", "sep_egress.catalog.article", "the article reader never feeds a plan"),
    ("sep_egress.compile.aws", "sep_egress.compile.gcp", "each cloud's compiler stands alone"),
    ("sep_egress.compile.aws", "sep_egress.compile.proxy", "each output's compiler stands alone"),
    ("sep_egress.compile.gcp", "sep_egress.compile.aws", "each cloud's compiler stands alone"),
    ("sep_egress.compile.gcp", "sep_egress.compile.proxy", "each output's compiler stands alone"),
    ("sep_egress.compile.proxy", "sep_egress.compile.aws", "each output's compiler stands alone"),
    ("sep_egress.compile.proxy", "sep_egress.compile.gcp", "each output's compiler stands alone"),
    ("sep_egress.connectivity", "sep_egress.compile", "the checks read the plan, not a compiler's output"),
    ("sep_egress.aws", "sep_egress.gcp", "each cloud's components stand alone"),
    ("sep_egress.gcp", "sep_egress.aws", "each cloud's components stand alone"),
    (
        "sep_egress.compile.gcp.firewall",
        "sep_egress.compile.gcp.secure_web_proxy",
        "the firewall decides the proxied names; the Secure Web Proxy reads them, never the other way round",
    ),
    (
        "sep_egress.compile.gcp.session_matcher",
        "sep_egress.compile.gcp.firewall",
        "the session matcher reader judges the proxy's rules without the firewall compiler's assumptions",
    ),
)
# The pieces at the top of catalog/ are shared by its parts, so they import none of them; the cache knows no
# catalog's model at all (each catalog hands it JSON through its own codec).
CATALOG_PARTS = ("sep_egress.catalog.vendor", "sep_egress.catalog.internal", "sep_egress.catalog.article")
CACHE = "sep_egress.catalog.cache"
CACHE_MAY_IMPORT = ("sep_egress.catalog.bounded_yaml", "sep_egress.errors", "sep_egress.escape", ROOT_MODULE)


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(f"{prefix}.")


def separation_problems(package_dir: Path) -> list[str]:
    problems = []
    for item in imports(package_dir):
        for importer, imported, why in SEPARATE:
            if _under(item.importer, importer) and _under(item.imported, imported):
                problems.append(f"{item}: {why}")
        shared = item.importer.startswith("sep_egress.catalog.") and item.importer.count(".") == 2
        shared = shared and item.importer not in CATALOG_PARTS
        if shared and any(_under(item.imported, part) for part in CATALOG_PARTS):
            problems.append(f"{item}: the shared catalog modules import none of its parts")
        own = item.imported == ROOT_MODULE or item.imported.startswith(f"{ROOT_MODULE}.")
        if item.importer == CACHE and own and item.imported not in CACHE_MAY_IMPORT:
            problems.append(f"{item}: the cache knows no catalog model")
    return problems


def ancestor_imports(package_dir: Path) -> list[str]:
    """A module that imports a name from a package containing it (other than the root's version) runs that
    package's ``__init__`` halfway through, which fails as soon as the name is defined after the import."""
    problems = []
    for item in imports(package_dir):
        if item.imported == ROOT_MODULE or item.typing_only:
            continue
        if (
            item.importer.startswith(f"{item.imported}.")
            and (package_dir.parent / item.imported.replace(".", "/")).is_dir()
        ):
            problems.append(f"{item}: imports from a package that contains it")
    return problems


def test_no_module_imports_a_layer_above_its_own() -> None:
    assert upward_imports(PACKAGE) == []


def test_parts_of_a_layer_that_stand_alone_import_nothing_of_each_other() -> None:
    assert separation_problems(PACKAGE) == []


def test_no_module_imports_from_a_package_that_contains_it() -> None:
    assert ancestor_imports(PACKAGE) == []


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
        ("catalog/vendor/select.py", "from ...compile.aws.rules import host_label"),
        ("catalog/hosts.py", "import sep_egress.program"),
        ("aws/__init__.py", "from ..settings import StackConfig"),
    ],
)
def test_a_planted_upward_import_is_found(package_copy: Path, module: str, statement: str) -> None:
    path = package_copy / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n\ndef planted() -> None:\n    {statement}\n")
    problems = upward_imports(package_copy)
    assert len(problems) == 1 and module in problems[0] and "may not import" in problems[0]


@pytest.mark.parametrize(
    ("module", "statement"),
    [
        ("compile/aws/rules.py", "if TYPE_CHECKING:\n    from ...aws import NetworkFirewallAllowlist"),
        ("catalog/hosts.py", "import importlib\nimportlib.import_module('sep_egress.aws')"),
        ("catalog/hosts.py", "__import__('sep_egress.program')"),
    ],
)
def test_a_planted_upward_import_is_found_however_it_is_written(
    package_copy: Path, module: str, statement: str
) -> None:
    path = package_copy / module
    path.write_text(path.read_text(encoding="utf-8") + f"\nfrom typing import TYPE_CHECKING\n{statement}\n")
    problems = upward_imports(package_copy)
    assert len(problems) == 1 and "may not import" in problems[0]


@pytest.mark.parametrize(
    ("module", "statement"),
    [
        ("catalog/internal/destinations.py", "from ..vendor.plan import EgressPlan"),
        ("catalog/vendor/select.py", "from ..article import drift"),
        ("catalog/roles.py", "from .vendor.models import Entry"),
        ("catalog/cache.py", "from .history import Change"),
        ("compile/aws/rules.py", "from ..gcp.firewall import stable_hash"),
        ("compile/proxy/squid.py", "from ..aws.options import SID_BASE"),
        ("gcp/nat.py", "from ..aws import NetworkFirewallAllowlist"),
    ],
)
def test_a_planted_import_between_parts_that_stand_alone_is_found(
    package_copy: Path, module: str, statement: str
) -> None:
    path = package_copy / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{statement}\n")
    assert len(separation_problems(package_copy)) == 1


def test_a_planted_import_from_a_containing_package_is_found(package_copy: Path) -> None:
    # The cycle Python reports as "cannot import name ... from partially initialized module".
    path = package_copy / "catalog" / "internal" / "destinations.py"
    path.write_text(path.read_text(encoding="utf-8") + "\nfrom .. import load_catalog\n")
    problems = ancestor_imports(package_copy)
    assert len(problems) == 1 and "imports sep_egress.catalog:" in problems[0]


def test_a_relative_import_above_the_package_is_refused(package_copy: Path) -> None:
    path = package_copy / "catalog" / "hosts.py"
    path.write_text(path.read_text(encoding="utf-8") + "\nfrom .... import anything\n")
    with pytest.raises(ImportError_, match="climbs above the package"):
        imports(package_copy)


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
_REPOSITORY_ROOTS = (
    "components/",
    "tests/",
    "docs/",
    "stacks/",
    "examples/",
    "policy/",
    "bench/",
    ".ci/",
    ".github/",
    "schemas/",
)


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
