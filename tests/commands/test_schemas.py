"""schemas/: up to date with the models, and check-jsonschema (offline) accepts every stack file, example overlay and
JSON output of the commands and docs against them, and refuses broken ones."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from loopback import free_port
from support import ROOT, SELECTION, call_main, run_cli

SCHEMAS = ROOT / "schemas"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
# Any network access fails: the schemas are local files, the metaschemas ship with jsonschema.
OFFLINE = {**os.environ, "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


def check_jsonschema(schema: str, *files: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--no-cache", "--schemafile", str(SCHEMAS / schema), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=OFFLINE,
    )


def test_the_published_schemas_are_the_generated_ones(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call_main(["schemas", "check", str(SCHEMAS)], capsys)
    assert code == 0, f"{out}(run: make schemas)"


def test_a_stale_missing_or_extra_schema_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy)
    (copy / "plan.schema.json").write_text("{}\n", encoding="utf-8")
    (copy / "catalog.schema.json").unlink()
    (copy / "old.schema.json").write_text("{}\n", encoding="utf-8")
    code, out, _ = call_main(["schemas", "check", str(copy)], capsys)
    assert code == 1
    assert "plan.schema.json: stale" in out and "catalog.schema.json: missing" in out
    assert "old.schema.json: not generated" in out


def test_every_schema_has_an_id_and_is_valid_for_its_metaschema() -> None:
    files = sorted(SCHEMAS.glob("*.schema.json"))
    for path in files:
        schema = json.loads(path.read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"] == "urn:sep-egress:schema:" + path.name.removesuffix(".schema.json")
    result = subprocess.run(
        [str(CHECK_JSONSCHEMA), "--no-cache", "--check-metaschema", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=OFFLINE,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_stack_files_and_overlays_validate_and_name_their_schema() -> None:
    stacks = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
    overlays = sorted((ROOT / "examples" / "overlays").glob("*.yaml"))
    for path, schema in [*((p, "stack-config") for p in stacks), *((p, "overlay") for p in overlays)]:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        target = (path.parent / first.removeprefix("# yaml-language-server: $schema=")).resolve()
        assert target == (SCHEMAS / f"{schema}.schema.json").resolve(), path
    for schema, files in (("stack-config.schema.json", stacks), ("overlay.schema.json", overlays)):
        result = check_jsonschema(schema, *files)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "text", "complaint"),
    [
        ("stack-config.schema.json", "config:\n  sep-egress:aws: {stlye: suricata}\n", "stlye"),
        ("stack-config.schema.json", "config:\n  sep-egress:mode: sideways\n", "sideways"),
        ("stack-config.schema.json", "config:\n  sep-egress:gcp: {firewall: {options: {scope: planet}}}\n", "planet"),
        ("stack-config.schema.json", "config:\n  sep-egress:aws: {block_action: deny}\n", "deny"),
        ("stack-config.schema.json", "config:\n  sep-egress:verison: '14.3'\n", "verison"),
        ("overlay.schema.json", "entries:\n  - {id: x, role: agentt, usage: {en: y}, urls: [https://a]}\n", "agentt"),
    ],
)
def test_a_broken_file_is_refused(tmp_path: Path, schema: str, text: str, complaint: str) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(text, encoding="utf-8")
    result = check_jsonschema(schema, path)
    assert result.returncode == 1 and complaint in result.stdout


def test_numbers_pulumi_config_set_stores_as_text_are_accepted(tmp_path: Path) -> None:
    """`pulumi config set --path 'sep-egress:aws.distribution.principals[0]' 123456789012` stores a number."""
    path = tmp_path / "Pulumi.x.yaml"
    document = {"config": {"sep-egress:aws": {"distribution": {"method": "ram", "principals": [123456789012]}}}}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    assert check_jsonschema("stack-config.schema.json", path).returncode == 0


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    json.loads(text)
    return path


@pytest.mark.real_program
def test_every_json_output_validates_against_its_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs: dict[str, list[Path]] = {}

    def output(schema: str, name: str, *argv: str, codes: tuple[int, ...] = (0,)) -> None:
        result = run_cli(*argv)
        assert result.returncode in codes, result.stderr
        outputs.setdefault(schema, []).append(write(tmp_path, name, result.stdout))

    output("catalog", "catalog.json", "catalog", "--format", "json")
    output("catalog-internal", "internal.json", "catalog", "internal", "--format", "json")
    output("changes", "changes.json", "changes", "--format", "json")
    output("changes", "changes-since.json", "changes", "--since", "2026.01.01", "--format", "json")
    output("version", "version.json", "version", "--format", "json")
    output("plan", "plan-flags.json", "plan", *SELECTION, "--internal", "sepm=10.0.0.1/32", "--format", "json")
    for stack in sorted(path.name.split(".")[1] for path in (ROOT / "stacks").glob("Pulumi.*.yaml")):
        output("plan", f"plan-{stack}.json", "plan", "--stack", stack, "--format", "json")
        output("preview", f"preview-{stack}.json", "preview", "--stack", stack, "--format", "json")
    for article in sorted((ROOT / "tests" / "data").glob("vendor-article-*")):
        output("verify", f"verify-{article.stem}.json", "catalog", "verify", str(article), "--format", "json")
    host = "liveupdate.symantec.com"
    output(
        "check",
        "check.json",
        "check",
        *SELECTION,
        *("--only", host, "--format", "json", "--resolve", f"{host}:127.0.0.1"),
        *("--connect-to", f"{host}:443:127.0.0.1:{free_port()}", "--timeout", "2"),
        codes=(1,),
    )
    # The catalog feed's files.
    code, _, err = call_main(["feed", "build", str(tmp_path / "site")], capsys)
    assert code == 0, err
    site = tmp_path / "site"
    outputs["feed-version"] = [site / "version.json"]
    outputs["feed-index"] = [site / "index.json"]
    outputs["feed-role"] = sorted((site / "roles").glob("*.json"))
    outputs["catalog"].append(site / "catalog.json")
    outputs["catalog-internal"].append(site / "internal.json")
    outputs["changes"] += [site / "changes.json", *sorted((site / "changes" / "since").glob("*.json"))]
    assert sorted(path.name for path in (site / "schemas").iterdir()) == sorted(p.name for p in SCHEMAS.iterdir())
    # The JSON examples of the docs that show a whole output.
    for document, schema in (("catalog.md", "verify"), ("proxies.md", "check")):
        text = (ROOT / "docs" / document).read_text(encoding="utf-8")
        first = re.findall(r"```json\n(.*?)```", text, re.DOTALL)[0]
        outputs[schema].append(write(tmp_path, f"docs-{document}.json", first))
    published = {path.name.removesuffix(".schema.json") for path in SCHEMAS.glob("*.schema.json")}
    assert set(outputs) == published - {"stack-config", "overlay"}
    for schema, files in outputs.items():
        result = check_jsonschema(f"{schema}.schema.json", *files)
        assert result.returncode == 0, f"{schema}: {result.stdout}{result.stderr}"


def test_the_output_schemas_refuse_what_the_commands_never_print(tmp_path: Path) -> None:
    plan = json.loads(run_cli("plan", *SELECTION, "--format", "json").stdout)
    plan["allow"][0]["colour"] = "red"
    bad_plan = write(tmp_path, "plan.json", json.dumps(plan))
    assert check_jsonschema("plan.schema.json", bad_plan).returncode == 1
    catalog = json.loads(run_cli("catalog", "--format", "json").stdout)
    catalog["endpoints"][0]["role"] = "printer"
    bad_catalog = write(tmp_path, "catalog.json", json.dumps(catalog))
    assert check_jsonschema("catalog.schema.json", bad_catalog).returncode == 1


def _replace_with(kind: str, path: Path) -> None:
    path.unlink()
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.write_bytes(b"\xff\xfe not UTF-8\n")


@pytest.mark.parametrize("kind", ["directory", "fifo", "not-utf8"])
def test_a_schema_name_that_is_no_readable_schema_is_named(tmp_path: Path, kind: str) -> None:
    """check: a directory or a FIFO by a schema's name is refused (exit 2, one line, never a traceback or a wait
    for a writer); a file that is not UTF-8 is stale. write: refused before any file is written."""
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, folder)
    _replace_with(kind, folder / "plan.schema.json")
    result = run_cli("schemas", "check", str(folder), timeout=60)
    assert "Traceback" not in result.stderr
    if kind == "not-utf8":
        assert result.returncode == 1 and f"{folder}/plan.schema.json: stale" in result.stdout
        return
    assert result.returncode == 2 and "holds plan.schema.json, which is not a regular file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    empty = tmp_path / "new"
    empty.mkdir()
    (empty / "plan.schema.json").write_text("{}\n", encoding="utf-8")
    _replace_with(kind, empty / "plan.schema.json")
    result = run_cli("schemas", "write", str(empty), timeout=60)
    assert result.returncode == 2 and "not a regular file" in result.stderr
    assert [path.name for path in empty.iterdir()] == ["plan.schema.json"]


def test_a_file_given_as_the_folder_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "schemas"
    afile.write_text("x\n", encoding="utf-8")
    for command in ("check", "write"):
        code, out, err = call_main(["schemas", command, str(afile)], capsys)
        assert code == 2 and out == "" and "not a directory" in err and len(err.strip().splitlines()) == 1
    assert afile.read_text(encoding="utf-8") == "x\n"


def test_write_replaces_each_schema_whole_and_keeps_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A schema is replaced by a new file (a reader holding the old one never sees half of the new); a schema kept
    elsewhere behind a link is rewritten there and the link stays."""
    folder = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, folder)
    (folder / "plan.schema.json").write_text("{}\n", encoding="utf-8")
    before = (folder / "plan.schema.json").stat().st_ino
    elsewhere = tmp_path / "kept.json"
    elsewhere.write_text("{}\n", encoding="utf-8")
    (folder / "check.schema.json").unlink()
    (folder / "check.schema.json").symlink_to(elsewhere)
    code, _, err = call_main(["schemas", "write", str(folder)], capsys)
    assert code == 0, err
    assert (folder / "plan.schema.json").stat().st_ino != before
    assert (folder / "check.schema.json").is_symlink()
    assert elsewhere.read_bytes() == (SCHEMAS / "check.schema.json").read_bytes()
    assert call_main(["schemas", "check", str(folder)], capsys)[0] == 0
