"""Old module paths that still import: a module that moved stays importable under its former name.

0.3 laid the package out by what each part is (``compile/aws/``, ``compile/gcp/``, the catalog by kind, one file per
component). A program written against 0.2 that imports a moved module by its old path (``sep_egress.compile.
aws_evaluate``, ``sep_egress.catalog.load``) gets the module at its new place, the same object, with a
``DeprecationWarning`` that names the new path. Nothing in this package imports an old path.

Each package says what left it in a ``MOVED_MODULES`` mapping (old submodule name -> new dotted path) in its
``__init__``; the finder below reads that mapping from the parent package, which Python has always imported before
it asks for a submodule. No list is kept here, so a package's moves are written beside the package.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        warnings.warn(
            f"{spec.name} moved to {self.target}; import it from there",
            DeprecationWarning,
            stacklevel=2,
        )
        # The module object itself, not a copy: state, monkeypatching and isinstance checks stay shared.
        return importlib.import_module(self.target)

    def exec_module(self, module: types.ModuleType) -> None:
        """The target module ran when it was imported under its own name."""


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds ``<package>.<old>`` where ``<package>.MOVED_MODULES`` names ``<old>``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        parent_name, _, child = fullname.rpartition(".")
        if parent_name != "sep_egress" and not parent_name.startswith("sep_egress."):
            return None
        parent = sys.modules.get(parent_name)
        moved = getattr(parent, "MOVED_MODULES", None)
        if not isinstance(moved, dict) or child not in moved:
            return None
        existing = getattr(parent, child, None)
        if existing is not None and not isinstance(existing, types.ModuleType):
            # Python binds an imported submodule on its parent: an alias named like a function the package exports
            # (``sep_egress.catalog.select``) would replace that function for everyone.
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(moved[child]))


def install() -> None:
    """Put the finder after the regular ones (a module that exists under a name always wins), once."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
