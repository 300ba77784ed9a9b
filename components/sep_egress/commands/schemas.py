"""``sep-egress schemas write DIR`` / ``schemas check DIR``: the JSON Schemas (draft 2020-12) of the files users
write (stack files, overlays) and of every JSON output (catalog, internal catalog, changes, plan, preview, catalog
verify, check, version, the catalog feed).

The input schemas are generated from the models that validate those files (``OverlayDocument``, the components'
args models, the stack settings' choices), so they cannot drift from them; the outputs, built as dicts by their
commands, are described here, next to one another. ``schemas/`` at the top of the repository holds the published
copy (``make schemas`` rewrites it; a test fails when it is stale); ``yaml-language-server: $schema=`` modelines in
the stack files and example overlays point editors at it. Each schema's ``$id`` is a location-independent name,
``urn:sep-egress:schema:<name>``.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

from ..errors import SepEgressError
from ..escape import plain_text
from .output import folder_problem, to_json, write_output

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:sep-egress:schema:"


class SchemaError(SepEgressError):
    """The schemas folder cannot be written or read."""


def configure(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="schemas_command", metavar="SUBCOMMAND", required=True)
    write = commands.add_parser("write", help="write every schema into DIR", description="Write every schema.")
    write.add_argument("directory", metavar="DIR", type=Path)
    check = commands.add_parser(
        "check",
        help="exit 1 when DIR's schemas differ from the generated ones",
        description="Compare DIR with the generated schemas; exit 1 naming each stale, missing or extra file.",
    )
    check.add_argument("directory", metavar="DIR", type=Path)


# --- small builders for the output schemas --------------------------------------------------------------------

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
ANY_OBJECT: dict[str, Any] = {"type": "object"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def record(required: dict[str, Any], optional: dict[str, Any] | None = None, closed: bool = True) -> dict[str, Any]:
    """An object with these properties (all of ``required`` present; no others when ``closed``)."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": sorted(required),
    }
    if closed:
        schema["additionalProperties"] = False
    return schema


def document(name: str, title: str, description: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT, "$id": ID_PREFIX + name, "title": title, "description": description, **body}


def _roles() -> dict[str, Any]:
    from ..catalog.roles import ROLES

    return {"type": "string", "enum": list(ROLES)}


SHA256: dict[str, Any] = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
CATALOG_VERSION: dict[str, Any] = {"type": "string", "pattern": r"^\d{4}\.\d{2}\.\d{2}(\.\d+)?$"}


def _warning() -> dict[str, Any]:
    return record(
        {"code": STRING, "message": STRING, "hosts": array(STRING), "ids": array(STRING)},
        {"source": STRING},
    )


def _selection() -> dict[str, Any]:
    return record(
        {
            "version": STRING,
            "roles": array(_roles()),
            "proxy": BOOLEAN,
            "storage": {"type": "string", "enum": ["both", "gcp", "aws"]},
            "overlays": array(STRING),
            "excluded": array(STRING),
        },
        {"mode": nullable(STRING), "internal": nullable(ANY_OBJECT)},
    )


def _endpoint() -> dict[str, Any]:
    version = nullable(STRING)
    return record(
        {
            "id": STRING,
            "role": _roles(),
            "url": STRING,
            "host": STRING,
            "match": {"type": "string", "enum": ["exact", "suffix"]},
            "path": nullable(STRING),
            "ports": array(INTEGER),
            "protocol": STRING,
            "min_version": version,
            "max_version": version,
            "before_version": version,
            "storage": nullable({"type": "string", "enum": ["aws", "gcp"]}),
            "proxy_only": BOOLEAN,
            "shared_host": nullable(STRING),
            "row": nullable(STRING),
            "usage": record({"fr": nullable(STRING), "en": nullable(STRING)}),
            "blocked": nullable(STRING),
        }
    )


def _changes() -> dict[str, Any]:
    detail = record({"id": STRING, "disposition": STRING, "impact": array(STRING)}, {"note": nullable(STRING)})
    change = record(
        {
            "version": CATALOG_VERSION,
            "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "summary": STRING,
            "added": array(STRING),
            "removed": array(STRING),
            "changed": array(STRING),
            "details": array(detail),
        }
    )
    return record({"version": CATALOG_VERSION, "changes": array(change)})


def _internal() -> dict[str, Any]:
    version = nullable(STRING)
    path = record(
        {
            "id": STRING,
            "from_role": STRING,
            "to": STRING,
            "protocol": STRING,
            "ports": array(INTEGER),
            "configurable": BOOLEAN,
            "optional": BOOLEAN,
            "min_version": version,
            "max_version": version,
            "before_version": version,
            "source": STRING,
            "usage": STRING,
            "blocked": nullable(STRING),
            "caveat": nullable(STRING),
        },
        closed=False,
    )
    return record(
        {
            "version": CATALOG_VERSION,
            "destinations": {"type": "object", "additionalProperties": STRING},
            "sources": {"type": "object", "additionalProperties": ANY_OBJECT},
            "paths": array(path),
            "not_transcribed": array(record({"id": STRING, "why": STRING})),
        }
    )


def _plan() -> dict[str, Any]:
    allow = record(
        {
            "host": STRING,
            "port": INTEGER,
            "protocol": {"type": "string", "enum": ["tls", "http"]},
            "match": {"type": "string", "enum": ["exact", "suffix"]},
            "roles": array(_roles()),
            "ids": array(STRING),
            "paths": array(STRING),
            "shared": BOOLEAN,
        }
    )
    cidr = record(
        {"cidr": STRING, "port": INTEGER, "protocol": STRING, "roles": array(_roles()), "ids": array(STRING)},
        closed=False,
    )
    return record(
        {
            "catalog_version": CATALOG_VERSION,
            "selection": _selection(),
            "allow": array(allow),
            "cidrs": array(cidr),
            "warnings": array(_warning()),
        },
        {"internal_catalog_version": CATALOG_VERSION, "control_warnings": array(_warning())},
    )


def _preview() -> dict[str, Any]:
    resource = record({"type": STRING, "name": STRING, "parent": nullable(STRING), "inputs": ANY_OBJECT})
    return record(
        {
            "stack": STRING,
            "resources": array(resource),
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}},
            "outputs": ANY_OBJECT,
            "warnings": array(ANY_OBJECT),
        },
        closed=False,
    )


def _verify() -> dict[str, Any]:
    difference = record({"meaning": STRING, "entry": nullable(STRING)}, closed=False)
    edition = record(
        {
            "language": STRING,
            "edition": STRING,
            "title": STRING,
            "form": STRING,
            "tables": array(_roles()),
            "missing_tables": array(_roles()),
            "footnote": BOOLEAN,
            "urls": INTEGER,
            "problems": array(record({"line": INTEGER, "role": nullable(STRING), "message": STRING})),
        }
    )
    return record(
        {
            "edition": edition,
            "agrees": BOOLEAN,
            "added": array(difference),
            "removed": array(difference),
            "changed": array(difference),
        }
    )


def _check() -> dict[str, Any]:
    phase = record({"status": STRING, "error": nullable(STRING), "ms": nullable({"type": "number"})}, closed=False)
    result = record(
        {
            "host": STRING,
            "port": INTEGER,
            "protocol": STRING,
            "match": STRING,
            "roles": array(_roles()),
            "ids": array(STRING),
            "ok": BOOLEAN,
            "verdict": STRING,
            "dns": phase,
            "tcp": phase,
            "tls": phase,
            "proxy": phase,
        }
    )
    summary = record({"targets": INTEGER, "ok": INTEGER, "failed": INTEGER, "intercepted": INTEGER})
    return record({"summary": summary, "results": array(result)}, closed=False)


def _feed_version() -> dict[str, Any]:
    return record(
        {
            "catalog": CATALOG_VERSION,
            "versions": array(CATALOG_VERSION),
            "internal": CATALOG_VERSION,
            "roles": array(_roles()),
            "generator": STRING,
        }
    )


def output_schemas() -> dict[str, dict[str, Any]]:
    """The schemas of the JSON outputs: file name -> schema."""
    return {
        "catalog.schema.json": document(
            "catalog",
            "sep-egress catalog --format json",
            "Every endpoint of the vendor's list, one record per host of an entry (also the feed's catalog.json).",
            record(
                {"version": CATALOG_VERSION, "source": ANY_OBJECT, "endpoints": array(_endpoint())},
            ),
        ),
        "catalog-internal.schema.json": document(
            "catalog-internal",
            "sep-egress catalog internal --format json",
            "SEP's internal paths (also the feed's internal.json).",
            _internal(),
        ),
        "changes.schema.json": document(
            "changes",
            "sep-egress changes --format json",
            "The catalog's change history, or the changes after --since (also the feed's changes files).",
            _changes(),
        ),
        "plan.schema.json": document(
            "plan", "sep-egress plan --format json", "The deduplicated allow rules of a selection.", _plan()
        ),
        "preview.schema.json": document(
            "preview",
            "sep-egress preview --format json",
            "The resources a stack's program registers under the mock engine, with their inputs and outputs.",
            _preview(),
        ),
        "verify.schema.json": document(
            "verify",
            "sep-egress catalog verify --format json",
            "The drift between a saved copy of the vendor's article and the catalog.",
            _verify(),
        ),
        "check.schema.json": document(
            "check",
            "sep-egress check --format json",
            "DNS, TCP, TLS and proxy results per plan host, with the selection.",
            _check(),
        ),
        "version.schema.json": document(
            "version",
            "sep-egress version --format json",
            "This tool's version and the packaged catalog's.",
            record({"tool": STRING, "catalog": CATALOG_VERSION}),
        ),
        "feed-version.schema.json": document(
            "feed-version",
            "The catalog feed's version.json",
            "What to poll: the latest catalog version and every version of the history.",
            _feed_version(),
        ),
        "feed-index.schema.json": document(
            "feed-index",
            "The catalog feed's index.json",
            "Every file of the feed with its SHA-256.",
            record(
                {
                    "catalog": CATALOG_VERSION,
                    "files": {"type": "object", "additionalProperties": SHA256},
                }
            ),
        ),
        "feed-role.schema.json": document(
            "feed-role",
            "The catalog feed's roles/<role>.json",
            "The endpoints of one role.",
            record({"version": CATALOG_VERSION, "role": _roles(), "endpoints": array(_endpoint())}),
        ),
    }


# --- input schemas, from the models ----------------------------------------------------------------------------


def _model_schema(model: Any) -> dict[str, Any]:
    from pydantic.json_schema import GenerateJsonSchema

    class ForFiles(GenerateJsonSchema):
        """Python-only types (a ready EgressPlan, pulumi.Output) have no file form: they are left out."""

        def handle_invalid_for_json_schema(self, schema: Any, error_info: Any) -> dict[str, Any]:
            return {}

    return dict(model.model_json_schema(schema_generator=ForFiles))


def _drop_titles(node: Any, names: bool = False) -> Any:
    """``node`` without pydantic's generated ``title``s (a property *named* title stays)."""
    if isinstance(node, dict):
        return {
            key: _drop_titles(value, key in ("properties", "$defs", "patternProperties"))
            for key, value in node.items()
            if names or not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_drop_titles(item) for item in node]
    return node


def _config_text(node: Any) -> Any:
    """Where a stack file holds text, ``pulumi config set --path`` may have stored digits as a number
    (``program.config_strings`` turns them back into text): a plain string also accepts an integer there."""
    if isinstance(node, dict):
        node = {key: _config_text(value) for key, value in node.items()}
        if node.get("type") == "string" and not ({"enum", "pattern", "const"} & set(node)):
            node["type"] = ["string", "integer"]
        return node
    if isinstance(node, list):
        return [_config_text(item) for item in node]
    return node


def _choices() -> dict[str, list[str]]:
    """Text fields whose values the compilers check against a fixed list (field name -> choices)."""
    from ..catalog.vendor.select import MODES, STORAGE_PHASES
    from ..compile.aws.options import STYLES
    from ..compile.gcp.options import ENFORCEMENT_ORDERS, GOOGLE_ACCESS_VIPS, SCOPES, SUFFIX_POLICIES

    return {
        "style": list(STYLES),
        "mode": list(MODES),
        "storage": list(STORAGE_PHASES),
        "scope": list(SCOPES),
        "enforcement_order": list(ENFORCEMENT_ORDERS),
        "google_access_vip": list(GOOGLE_ACCESS_VIPS),
        "suffix_policy": list(SUFFIX_POLICIES),
    }


def _with_choices(node: Any, choices: dict[str, list[str]]) -> Any:
    if isinstance(node, dict):
        node = {key: _with_choices(value, choices) for key, value in node.items()}
        for name, prop in node.get("properties", {}).items():
            if name in choices and prop.get("type") == "string" and "enum" not in prop:
                prop["enum"] = choices[name]
        return node
    if isinstance(node, list):
        return [_with_choices(item, choices) for item in node]
    return node


def component_block(model: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A component's args as a stack file holds them (no ``selection``/``plan``: the stack's keys decide them):
    the block's schema and its ``$defs``."""
    schema = _with_choices(_model_schema(model), _choices())
    schema["properties"] = {
        key: value for key, value in schema["properties"].items() if key not in ("selection", "plan")
    }
    schema["required"] = [key for key in schema.get("required", []) if key in schema["properties"]]
    if not schema["required"]:
        del schema["required"]
    definitions = schema.pop("$defs", {})
    return schema, definitions


def _used_definitions(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """The definitions ``schema`` refers to, directly or through one another."""
    used: dict[str, Any] = {}
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                name = reference.removeprefix("#/$defs/")
                if name not in used and name in definitions:
                    used[name] = definitions[name]
                    pending.append(definitions[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return dict(sorted(used.items()))


#: The parts of a stack's ``sep-egress:gcp`` block and the names of their args models in ``sep_egress.gcp``.
GCP_PART_MODELS = {
    "firewall": "EgressFirewallPolicyArgs",
    "nat": "EgressNatArgs",
    "private_access": "StoragePrivateAccessArgs",
    "secure_web_proxy": "SecureWebProxyArgs",
}


def gcp_part_models() -> dict[str, Any]:
    """The GCP parts this version of the package has, with their args models."""
    from .. import gcp

    return {part: getattr(gcp, name) for part, name in GCP_PART_MODELS.items() if getattr(gcp, name, None) is not None}


def stack_schema() -> dict[str, Any]:
    """``stacks/Pulumi.<stack>.yaml``: the ``sep-egress:`` keys as the program reads them; other namespaces
    (providers' ``aws:region``, ``gcp:project``) are Pulumi's and pass."""
    from ..arguments import InternalSelectionArgs
    from ..aws import NetworkFirewallAllowlistArgs
    from ..catalog.roles import ROLES
    from ..catalog.vendor.select import MODES, STORAGE_PHASES
    from ..settings import StackSettings

    definitions: dict[str, Any] = {}
    blocks: dict[str, Any] = {}
    gcp_parts = {f"gcp_{part}": model for part, model in gcp_part_models().items()}
    for name, model in (("aws", NetworkFirewallAllowlistArgs), *gcp_parts.items(), ("internal", InternalSelectionArgs)):
        block, more = component_block(model)
        blocks[name] = block
        definitions.update(more)
    definitions.update({f"{name}Block": block for name, block in blocks.items()})
    settings = {
        "version": {"type": "string", "description": 'The SEP/SES release deployed, e.g. "14.3 RU1" (quoted).'},
        "mode": {"type": "string", "enum": list(MODES), "description": "on-prem, hybrid or cloud."},
        "roles": {"type": "array", "items": {"type": "string", "enum": list(ROLES)}, "uniqueItems": True},
        "proxy": {"type": "boolean"},
        "storage": {"type": "string", "enum": list(STORAGE_PHASES)},
        "overlays": {"type": "array", "items": {"type": "string"}, "description": "Overlay files, from the project."},
        "internal": {"$ref": "#/$defs/internalBlock"},
        "aws": {"$ref": "#/$defs/awsBlock"},
        "gcp": {
            "type": "object",
            "additionalProperties": False,
            "properties": {part: {"$ref": f"#/$defs/gcp_{part}Block"} for part in gcp_part_models()},
        },
    }
    # A setting added to the model later (a plain value: a choice, a flag) is described from the model itself.
    model = _drop_titles(_model_schema(StackSettings))
    for key, value in model["properties"].items():
        settings.setdefault(key, value)
    config = {
        "type": "object",
        "properties": {f"sep-egress:{key}": value for key, value in settings.items()},
        # The project's other keys and the providers' (aws:region, gcp:project...) belong to Pulumi.
        "patternProperties": {"^(?!sep-egress:)[^:]+:.+$": {}},
        "additionalProperties": False,
    }
    body = {
        "type": "object",
        "properties": {
            "config": config,
            "environment": {},
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
        },
        "additionalProperties": False,
    }
    schema = document(
        "stack-config",
        "sep-egress stack file (stacks/Pulumi.<stack>.yaml)",
        "The settings a stack gives the sep-egress program; see the README for each key.",
        body,
    )
    schema["$defs"] = _config_text(_drop_titles(_used_definitions({"x": settings}, definitions)))
    return schema


def _replace_refs(node: Any, replacements: dict[str, dict[str, Any]]) -> Any:
    if isinstance(node, dict):
        if node.get("$ref") in replacements:
            rest = {key: value for key, value in node.items() if key != "$ref"}
            return {**replacements[node["$ref"]], **rest}
        return {key: _replace_refs(value, replacements) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_refs(item, replacements) for item in node]
    return node


def overlay_schema() -> dict[str, Any]:
    from ..catalog.vendor.schema import OverlayDocument

    schema = _drop_titles(_model_schema(OverlayDocument))
    # Read before validation as text (the validators parse them): a URL or host name, a release such as "14.3 RU1".
    as_text = {
        "#/$defs/ParsedUrl": {"type": "string", "description": "A URL (https://host[:port][/path]) or host name."},
        "#/$defs/ProductVersion": {"type": "string", "description": 'A SEP/SES release, e.g. "14.3 RU1".'},
    }
    schema = _replace_refs(schema, as_text)
    schema["$defs"] = _used_definitions({"x": schema["properties"]}, schema["$defs"])
    return {
        "$schema": DRAFT,
        "$id": ID_PREFIX + "overlay",
        "title": "sep-egress overlay (entries added to the vendor's catalog, or excluded from it)",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def all_schemas() -> dict[str, dict[str, Any]]:
    """Every published schema: file name -> schema, in name order."""
    schemas = {
        "stack-config.schema.json": stack_schema(),
        "overlay.schema.json": overlay_schema(),
        **output_schemas(),
    }
    return dict(sorted(copy.deepcopy(schemas).items()))


def _check_folder(directory: Path, names: set[str]) -> None:
    """Refuse, before anything is written or read, a ``DIR`` that is not a folder and a schema's name that is not a
    regular file: writing would stop halfway at a directory, and a FIFO would block both commands forever."""
    problem = folder_problem(directory, names, follow_links=True)
    if problem is not None:
        raise SchemaError(f"{plain_text(directory)}: {problem}")


def run(args: argparse.Namespace) -> int:
    schemas = {name: to_json(schema) for name, schema in all_schemas().items()}
    directory: Path = args.directory
    if args.schemas_command == "write":
        _check_folder(directory, set(schemas))
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SchemaError(f"{plain_text(directory)}: cannot write the schemas ({exc.strerror or exc})") from None
        for name, text in schemas.items():  # each file replaced whole: an editor never reads half a schema
            write_output(directory / name, text, option="schemas write")
        sys.stdout.write(f"wrote {len(schemas)} schemas to {plain_text(directory)}\n")
        return 0
    present = {path.name for path in directory.glob("*.schema.json")} if directory.is_dir() else set()
    _check_folder(directory, set(schemas) & present)
    problems = [f"{name}: missing" for name in sorted(set(schemas) - present)]
    problems += [f"{name}: not generated by this version (remove it)" for name in sorted(present - set(schemas))]
    for name in sorted(set(schemas) & present):
        try:
            raw = (directory / name).read_bytes()
        except OSError as exc:
            raise SchemaError(f"{plain_text(directory / name)}: {exc.strerror}") from None
        # Read as read_text reads (universal newlines); a file that is not UTF-8 is stale, not an error.
        current = raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
        if current != schemas[name]:
            problems.append(f"{name}: stale")
    for problem in problems:
        sys.stdout.write(f"{plain_text(directory)}/{problem}\n")
    if problems:
        sys.stdout.write("regenerate them: make schemas (sep-egress schemas write schemas/)\n")
    return 1 if problems else 0
