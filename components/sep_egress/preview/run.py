"""Running the project's program under Pulumi's mock engine: in this process, or at another git revision in its own
process on an exported copy of that tree (with that revision's own library)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..errors import ConfigError, SepEgressError
from ..settings import read_project
from .config import engine_config
from .model import Preview, PreviewError, to_preview


def run_preview(project_dir: Path, stack: str) -> Preview:
    """Preview the project's program in this process, with the stack's config (``Pulumi.<stack>.yaml`` in the
    project's ``stackConfigDir``) under the project's name, as ``pulumi preview`` would run it."""
    from dataclasses import asdict

    from ..mock_engine import run_project

    config = engine_config(project_dir, stack)
    project = read_project(project_dir.resolve())
    if not project.program.is_file():
        raise PreviewError(
            f"{project.directory}: no Python program to preview at {project.program} (Pulumi.yaml main: "
            f"{project.main!r}); the offline preview runs a project's __main__.py or the .py file main names"
        )
    try:
        run = run_project(str(project_dir.resolve()), stack, config, project=project.name, program=str(project.program))
    except SepEgressError:
        raise
    except Exception as error:
        if type(error).__name__ == "RunError":
            raise ConfigError(f"stack {stack}", [("program", str(error))]) from None
        raise
    return to_preview(stack, [asdict(resource) for resource in run.resources], run.outputs)


def preview_at_revision(project_dir: Path, stack: str, revision: str) -> Preview:
    """Preview the program as of another git revision, in a separate process on an exported copy of that tree."""
    project_dir = project_dir.resolve()
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=project_dir, capture_output=True, text=True, check=True
        ).stdout.strip()
        prefix = os.path.relpath(project_dir, top)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", revision], cwd=top, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        message = detail.decode(errors="replace").strip() if isinstance(detail, bytes) else str(detail)
        raise PreviewError(f"--base {revision}: cannot read that revision ({message or error})") from None
    with tempfile.TemporaryDirectory(prefix="sep-egress-base-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        base_dir = Path(folder) / prefix
        try:
            base_project = read_project(base_dir)
        except ConfigError:
            return Preview(stack=stack, resources=[], outputs={})
        if not base_project.stack_path(stack).exists():
            return Preview(stack=stack, resources=[], outputs={})
        config = engine_config(base_dir, stack, validate=False)
        worker = (
            "import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('sep_egress_mock_engine', {str(_engine_file())!r})\n"
            "module = importlib.util.module_from_spec(spec)\n"
            "sys.modules['sep_egress_mock_engine'] = module\n"
            "spec.loader.exec_module(module)\n"
            "module._worker()\n"
        )
        # The revision's own package comes first: components/ is its source root (sep_egress), and older revisions
        # kept the package at the top level.
        # The library comes from that revision's repository root (a consumer project inside the repository, such
        # as examples/python-consumer, must not get the working tree's sep_egress), then the project's folder.
        root = Path(folder)
        paths = [str(root / "components")] if (root / "components" / "sep_egress").is_dir() else []
        paths += [str(root)] if (root / "components" / "__init__.py").is_file() else []  # the 0.1 layout
        paths.append(str(base_dir))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
        result = subprocess.run(
            [sys.executable, "-c", worker],
            input=json.dumps(
                {
                    "project_dir": str(base_dir),
                    "stack": stack,
                    "config": config,
                    "project": base_project.name,
                    "program": str(base_project.program) if base_project.program.is_file() else None,
                }
            ),
            capture_output=True,
            text=True,
            cwd=base_dir,
            env=env,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            last = result.stderr.strip().splitlines()[-1:] or ["no output"]
            raise PreviewError(f"--base {revision}: the program fails at that revision: {last[0]}")
        document = json.loads(result.stdout)
    return to_preview(stack, document["resources"], document["outputs"])


def _engine_file() -> Path:
    from .. import mock_engine

    return Path(mock_engine.__file__)
