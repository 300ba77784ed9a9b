"""Every shell command and Python example of the README and docs/*.md runs, offline, as written.

A block that cannot run offline (it needs the Pulumi CLI, a cloud account, the network, or writes outside the
checkout) starts with a visible ``# Not run by the docs test: <why>`` line; any other ``sh``/``python`` block
that fails, fails this test. Shell blocks run with ``bash -e`` in a copy of the checkout (with this checkout's
``.venv``); Python blocks run under Pulumi's mock engine there. The README's ``pulumi config set`` block is
applied to a stack file the way the Pulumi CLI would, then planned and previewed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from sep_egress.mock_engine import run_program
from sep_egress.settings import read_stack_file

from support import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUNNABLE = {"sh": "shell", "bash": "shell", "shell": "shell", "python": "python"}
NOT_RUN = re.compile(r"^# Not run by the docs test: (?P<reason>.+)$")


@dataclass(frozen=True)
class Block:
    document: str
    line: int
    kind: str
    text: str

    @property
    def reason(self) -> str | None:
        first = self.text.splitlines()[0] if self.text else ""
        found = NOT_RUN.match(first)
        return found.group("reason") if found else None

    def __str__(self) -> str:
        return f"{self.document}:{self.line}"


def blocks() -> list[Block]:
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
            kind = RUNNABLE.get(match.group(1))
            if kind is not None:
                line = text[: match.start()].count("\n") + 1
                found.append(Block(str(path.relative_to(ROOT)), line, kind, match.group(2)))
    return found


BLOCKS = blocks()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout (tracked files, with this working tree's versions) sharing this ``.venv``."""
    target = tmp_path_factory.mktemp("docs") / "sep-egress"
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    target.mkdir()
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    for name in ("components", "stacks", "examples", "docs", "policy", "provider", "__main__.py", "Pulumi.yaml"):
        source, destination = ROOT / name, target / name
        if source.is_dir():
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", ".venv", "venv"))
        elif source.exists():
            shutil.copy2(source, destination)
    if not (target / ".venv").exists():
        (target / ".venv").symlink_to(ROOT / ".venv")
    return target


def test_the_docs_have_runnable_blocks_and_every_skip_says_why() -> None:
    assert {block.document for block in BLOCKS} >= {"README.md", "docs/aws.md", "docs/gcp.md", "docs/reuse.md"}
    run = [block for block in BLOCKS if block.reason is None]
    assert len(run) >= 6
    for block in BLOCKS:
        if block.text.startswith("# Not run"):
            assert block.reason is not None and len(block.reason) > 20, f"{block}: say why it cannot run offline"


@pytest.mark.real_program
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "shell" and b.reason is None], ids=str)
def test_shell_commands_run(block: Block, checkout: Path) -> None:
    env = {**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block.text],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{block}: {result.stderr[-2000:]}"


@pytest.mark.pulumi
@pytest.mark.real_program
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "python" and b.reason is None], ids=str)
def test_python_examples_run_under_the_mock_engine(
    block: Block, checkout: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(checkout)
    run = run_program(lambda: exec(compile(block.text, str(block), "exec"), {"__name__": "__main__"}))  # noqa: S102
    assert run.resources, f"{block} registers nothing"
    assert any(resource.type.startswith("sep-egress:") for resource in run.resources)


def apply_config_set(config: dict[str, Any], arguments: list[str]) -> None:
    """``pulumi config set [--path] KEY VALUE`` on a stack's config, as the CLI documents it: a top-level value is
    a string; with ``--path``, ``a.b[0]`` walks maps and lists, and "true"/"false" become booleans and whole
    numbers integers (https://www.pulumi.com/docs/iac/cli/commands/pulumi_config_set/)."""
    path = "--path" in arguments
    key, value = [argument for argument in arguments if argument != "--path"]
    if not path:
        config[key] = value
        return
    typed: Any = value
    if value in ("true", "false"):
        typed = value == "true"
    elif re.fullmatch(r"-?\d+", value):
        typed = int(value)
    namespace, _, rest = key.partition(":")
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", rest):
        parts.append(int(index) if index else name)
    parts[0] = f"{namespace}:{parts[0]}"
    node: Any = config
    for part, following in zip(parts, [*parts[1:], None], strict=True):
        if following is None:
            if isinstance(part, int):
                node.extend([None] * (part + 1 - len(node)))
            node[part] = typed
            break
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            node.extend([None] * (part + 1 - len(node)))
            if node[part] is None:
                node[part] = empty
        else:
            node.setdefault(part, empty)
        node = node[part]


@pytest.mark.pulumi
@pytest.mark.real_program
def test_the_readmes_pulumi_config_set_commands_make_a_stack_that_plans_and_previews(checkout: Path) -> None:
    from sep_egress.preview import run_preview
    from sep_egress.program import prepare_deployment

    [block] = [block for block in BLOCKS if "pulumi config set" in block.text and block.document == "README.md"]
    config: dict[str, Any] = {}
    commands = [line for line in block.text.splitlines() if line.startswith("pulumi config set")]
    assert len(commands) >= 20
    for line in commands:
        apply_config_set(config, shlex.split(line)[3:])
    # Every key of the settings model is set by one of the commands.
    from sep_egress.settings import StackSettings

    missing = set(StackSettings.model_fields) - {key.split(":", 1)[1] for key in config}
    assert not missing, f"add a `pulumi config set` line for {sorted(missing)} to the README's block"
    assert config["sep-egress:proxy"] == "false" and config["sep-egress:aws"]["headroom_percent"] == 25
    (checkout / "stacks" / "Pulumi.docs.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    stack = read_stack_file(checkout, "docs")
    assert stack.plan().roles == ("agent", "agent-cloud", "sepm", "sepm-cloud", "console")
    deployment = prepare_deployment(stack)
    assert deployment.aws is not None and set(deployment.gcp) == {"firewall", "nat"}
    preview = run_preview(checkout, "docs")
    assert {"sep-egress:aws:NetworkFirewallAllowlist", "sep-egress:gcp:EgressNat"} <= {
        r.type for r in preview.resources
    }


def test_the_readme_table_of_stack_keys_lists_every_key() -> None:
    from sep_egress.settings import StackSettings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1] for line in readme.splitlines() if line.startswith("| `sep-egress:")}
    assert rows == {f"sep-egress:{name}" for name in StackSettings.model_fields}
    assert "--internal KIND=CIDR" in readme and "--internal-port" in readme and "--internal-path" in readme
