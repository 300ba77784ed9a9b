"""An offline ``pulumi preview``: run the real ``__main__.py`` under Pulumi's mock engine with a stack's config.

No cloud credentials and no Pulumi CLI: what the program would register (type, name, parent, inputs), the
plan's warnings, and, against another git revision, what would be added, removed, changed or replaced.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .compile.escape import markdown_code, markdown_code_span, markdown_text, plain_text
from .errors import ConfigError, SepEgressError
from .settings import (
    NAMESPACE,
    PulumiProject,
    parse_stack_config,
    read_project,
    read_stack_document,
    read_stack_file,
    stack_environments,
)

#: Inputs (dotted paths) whose change makes the provider replace the resource rather than update it in place (the
#: providers' "forces new resource" / immutable fields, which pulumi_aws and pulumi_gcp inherit from Terraform) for
#: the resource types this project registers. Anything not listed is shown as an update; a renamed resource shows
#: as removed + added.
REPLACE_ON_CHANGES: dict[str, frozenset[str]] = {
    "aws:networkfirewall/ruleGroup:RuleGroup": frozenset({"capacity", "name", "type", "ruleGroup.statefulRuleOptions"}),
    "aws:networkfirewall/firewallPolicy:FirewallPolicy": frozenset({"name"}),
    "aws:networkfirewall/firewall:Firewall": frozenset({"name", "vpcId"}),
    "aws:networkfirewall/loggingConfiguration:LoggingConfiguration": frozenset({"firewallArn"}),
    "aws:cloudwatch/logGroup:LogGroup": frozenset({"name"}),
    "aws:fms/policy:Policy": frozenset(),
    "aws:ram/resourceShare:ResourceShare": frozenset(),
    "aws:ram/resourceAssociation:ResourceAssociation": frozenset({"resourceArn", "resourceShareArn"}),
    "aws:ram/principalAssociation:PrincipalAssociation": frozenset({"principal", "resourceShareArn"}),
    "gcp:compute/networkFirewallPolicy:NetworkFirewallPolicy": frozenset({"name", "project"}),
    "gcp:compute/networkFirewallPolicyRule:NetworkFirewallPolicyRule": frozenset(
        {"firewallPolicy", "priority", "project"}
    ),
    "gcp:compute/networkFirewallPolicyWithRules:NetworkFirewallPolicyWithRules": frozenset({"name", "project"}),
    "gcp:compute/networkFirewallPolicyAssociation:NetworkFirewallPolicyAssociation": frozenset(
        {"attachmentTarget", "firewallPolicy", "name", "project"}
    ),
    "gcp:compute/regionNetworkFirewallPolicy:RegionNetworkFirewallPolicy": frozenset({"name", "project", "region"}),
    "gcp:compute/regionNetworkFirewallPolicyRule:RegionNetworkFirewallPolicyRule": frozenset(
        {"firewallPolicy", "priority", "project", "region"}
    ),
    "gcp:compute/firewallPolicy:FirewallPolicy": frozenset({"parent", "shortName"}),
    "gcp:compute/firewallPolicyRule:FirewallPolicyRule": frozenset({"firewallPolicy", "priority"}),
    "gcp:compute/firewallPolicyAssociation:FirewallPolicyAssociation": frozenset(
        {"attachmentTarget", "firewallPolicy", "name"}
    ),
    "gcp:compute/router:Router": frozenset({"name", "network", "project", "region"}),
    "gcp:compute/routerNat:RouterNat": frozenset({"name", "project", "region", "router"}),
    # Every field of a Compute address is immutable (magic-modules mmv1/products/compute/Address.yaml: only labels
    # have an update method), description included.
    "gcp:compute/address:Address": frozenset(
        {"address", "addressType", "description", "name", "networkTier", "project", "region"}
    ),
    "gcp:compute/route:Route": frozenset(
        {"destRange", "name", "network", "nextHopGateway", "nextHopIp", "priority", "project", "tags"}
    ),
    "gcp:dns/managedZone:ManagedZone": frozenset({"dnsName", "name", "project", "visibility"}),
    "gcp:dns/recordSet:RecordSet": frozenset({"managedZone", "name", "project", "type"}),
    "gcp:tags/tagKey:TagKey": frozenset({"parent", "purpose", "purposeData", "shortName"}),
    "gcp:tags/tagValue:TagValue": frozenset({"parent", "shortName"}),
}

_SURICATA = re.compile(
    r"^(?:pass|alert|drop|reject)\s+(?P<proto>\S+)\s+(?P<source>\S+)\s+\S+\s+(?:->|<>)\s+(?P<destination>\S+)\s+"
    r"(?P<port>\S+)\s+\((?P<body>.*)\)\s*$"
)
_MATCHED_NAME = re.compile(r"(?:tls\.sni|http\.host);\s*(?:dotprefix;\s*)?content:\s*\"(?P<name>[^\"]+)\"")


class PreviewError(SepEgressError):
    """The preview could not run (a git revision that does not exist, a program that fails at that revision)."""


@dataclass(frozen=True)
class PreviewResource:
    """One resource the program registers: Pulumi type token, logical name, parent (``type::name``), inputs."""

    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    #: Inputs the program tells the engine to ignore (``ignore_changes``): a change there is neither an update nor
    #: a replacement.
    ignore_changes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Identity across runs, as Pulumi sees it: the parent chain, the type and the name."""
        return f"{self.parent or ''}/{self.type}::{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "parent": self.parent, "inputs": self.inputs}


@dataclass
class Preview:
    """What ``pulumi preview`` of one stack would create, with the warnings of its plan."""

    stack: str
    resources: list[PreviewResource]
    outputs: dict[str, Any]
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "resources": [resource.to_dict() for resource in self.resources],
            "counts": dict(sorted(Counter(resource.type for resource in self.resources).items())),
            "warnings": self.warnings,
            "outputs": self.outputs,
        }


def engine_config(project_dir: Path, stack: str, *, validate: bool = True) -> dict[str, str]:
    """A stack's config as the engine passes it to the program: full keys, string values (objects and lists
    JSON-encoded), the stack file in the project's ``stackConfigDir`` over the project-level values of its
    ``Pulumi.yaml``.

    With ``validate`` the config is checked first, so a bad config fails here with every problem named, before
    the program (and any resource registration) runs: what Pulumi itself checks (a key the project declares
    without a default, a declared type), and the sep-egress settings when the stack has any (the project's own
    namespace for this project, ``sep-egress:`` keys for any other). A base revision is read without this
    revision's rules, since its stack file may be older.
    """
    project, source, document = read_stack_document(project_dir, stack)
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError(source, [("config", "the stack file has no 'config' mapping")])
    values = {**project.defaults(), **{project.qualified(key): value for key, value in config.items()}}
    if validate:
        problems = _declared_problems(project, values)
        if problems:
            environments = stack_environments(document)
            if environments:
                problems.append(
                    (
                        "environment",
                        f"this stack imports the ESC environment(s) {', '.join(environments)}; what they provide is "
                        "resolved by the Pulumi CLI only, so the offline preview does not see it",
                    )
                )
            raise ConfigError(source, problems)
        if project.name == NAMESPACE:
            read_stack_file(project_dir, stack)
        elif any(key.startswith(f"{NAMESPACE}:") for key in values):
            # Another project's program reads its own keys as it likes; only the sep-egress settings are ours.
            parse_stack_config(
                values, source, project_dir, project=NAMESPACE, environments=stack_environments(document)
            )
    encoded: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            encoded[key] = "[secret]"  # encrypted values cannot be read offline
        elif isinstance(value, str):
            encoded[key] = value
        else:
            encoded[key] = json.dumps(value)
    return encoded


_DECLARED_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
}


def _declared_problems(project: PulumiProject, values: dict[str, Any]) -> list[tuple[str, str]]:
    """What Pulumi refuses before running the program: a declared key without a value, a value of another type
    (a string as ``pulumi config set`` writes it counts when it reads as the declared type)."""
    problems = [
        (key, "required: Pulumi.yaml declares it without a default") for key in project.required() if key not in values
    ]
    for key, declared in project.config.items():
        if not isinstance(declared, dict) or declared.get("type") not in _DECLARED_TYPES:
            continue
        full = project.qualified(key)
        value = values.get(full)
        if value is None or (isinstance(value, dict) and set(value) == {"secure"}):
            continue
        kind = declared["type"]
        if isinstance(value, str) and kind != "string":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        fits = isinstance(value, _DECLARED_TYPES[kind]) and not (kind == "integer" and isinstance(value, bool))
        if not fits:
            problems.append((full, f"{value!r} is not of the type Pulumi.yaml declares ({kind})"))
    return problems


def _to_preview(stack: str, registrations: list[dict[str, Any]], outputs: dict[str, Any]) -> Preview:
    by_urn = {item["urn"]: item for item in registrations}
    resources = []
    for item in registrations:
        parent = by_urn.get(item["parent"] or "")
        resources.append(
            PreviewResource(
                type=item["type"],
                name=item["name"],
                parent=f"{parent['type']}::{parent['name']}" if parent else None,
                inputs=_canonical(item["inputs"]),
                ignore_changes=tuple(sorted(item.get("ignore_changes") or ())),
            )
        )
    resources.sort(key=lambda resource: resource.key)
    warnings = outputs.get("warnings") if isinstance(outputs.get("warnings"), list) else []
    return Preview(stack=stack, resources=resources, outputs=_canonical(outputs), warnings=list(warnings or []))


def _canonical(value: Any) -> Any:
    """JSON-safe, key-sorted data, so equal inputs always print and compare the same."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def run_preview(project_dir: Path, stack: str) -> Preview:
    """Preview the project's program in this process, with the stack's config (``Pulumi.<stack>.yaml`` in the
    project's ``stackConfigDir``) under the project's name, as ``pulumi preview`` would run it."""
    from dataclasses import asdict

    from .mock_engine import run_project

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
    return _to_preview(stack, [asdict(resource) for resource in run.resources], run.outputs)


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
    return _to_preview(stack, document["resources"], document["outputs"])


def _engine_file() -> Path:
    from . import mock_engine

    return Path(mock_engine.__file__)


def destinations(inputs: dict[str, Any]) -> set[str]:
    """The destinations a control allows, as ``host`` or ``host:port`` strings, found in its inputs.

    Reads Network Firewall domain lists (``targets``) and Suricata rules (``tls.sni`` / ``http.host`` content with
    the rule's port), and Cloud NGFW rules (``destFqdns`` with ``layer4Configs`` ports).
    """
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            rules = value.get("rulesString")
            if isinstance(rules, str):
                for line in rules.splitlines():
                    header = _SURICATA.match(line.strip())
                    if header and line.lstrip().startswith("pass"):
                        for name in _MATCHED_NAME.finditer(header["body"]):
                            found.add(f"{name['name']}:{header['port']}")
            targets = value.get("targets")
            if isinstance(targets, list) and value.get("generatedRulesType"):
                found.update(str(target) for target in targets)
            fqdns = value.get("destFqdns")
            if isinstance(fqdns, list):
                ports = sorted(
                    str(port)
                    for config in value.get("layer4Configs") or []
                    if isinstance(config, dict)
                    for port in config.get("ports") or []
                )
                for name in fqdns:
                    found.update({f"{name}:{port}" for port in ports} or {str(name)})
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(inputs)
    return found


def review_lines(resource: PreviewResource) -> list[str]:
    """What a reviewer reads for one control: its sources and, rule by rule, what it allows.

    Network Firewall rule groups: the source variables, then each pass rule (source, destination name, port,
    protocol) or the domain list; Cloud NGFW policies: each rule in priority order with its targets, ports and
    destinations. Other resources have nothing to add to their type and name.
    """
    inputs = resource.inputs
    lines: list[str] = []
    group = inputs.get("ruleGroup")
    if resource.type == "aws:networkfirewall/ruleGroup:RuleGroup" and isinstance(group, dict):
        for item in (group.get("ruleVariables") or {}).get("ipSets") or []:
            definitions = (item.get("ipSet") or {}).get("definitions") or []
            lines.append(f"sources {item.get('key')} = {', '.join(map(str, definitions))}")
        source = group.get("rulesSource") or {}
        listed = source.get("rulesSourceList")
        if isinstance(listed, dict):
            kinds = "/".join(listed.get("targetTypes") or [])
            lines.append(f"{str(listed.get('generatedRulesType', '')).lower()} {kinds}: {', '.join(listed['targets'])}")
        for line in str(source.get("rulesString") or "").splitlines():
            header = _SURICATA.match(line.strip())
            if not header or not line.lstrip().startswith("pass"):
                continue
            names = [match["name"] for match in _MATCHED_NAME.finditer(header["body"])]
            if names:
                destination = ", ".join(names)
            elif header["destination"] not in ("any", "$EXTERNAL_NET"):
                destination = header["destination"]  # an address range an overlay declared
            else:
                continue  # the handshake passes that let the SNI or Host be seen
            lines.append(f"allow {header['source']} -> {destination}:{header['port']} ({header['proto']})")
        return lines
    rules = inputs.get("rules")
    if resource.type.startswith("gcp:compute/") and resource.type.endswith("WithRules:" + resource.type.split(":")[-1]):
        for rule in sorted(rules or [], key=lambda item: int(item.get("priority", 0))):
            match = rule.get("match") or {}
            ports = ",".join(
                f"{config.get('ipProtocol')}:{'/'.join(map(str, config.get('ports') or ['*']))}"
                for config in match.get("layer4Configs") or []
            )
            targets = rule.get("targetServiceAccounts") or [
                str(tag.get("name")) for tag in rule.get("targetSecureTags") or []
            ]
            destinations = (match.get("destFqdns") or []) + (match.get("destIpRanges") or [])
            lines.append(
                f"{rule.get('priority')} {rule.get('action')} {str(rule.get('direction', '')).lower()} "
                f"[{', '.join(map(str, targets)) or 'all targets'}] {ports or 'all'} -> "
                f"{', '.join(map(str, destinations)) or 'any'}"
            )
    return lines


def _changed_paths(before: Any, after: Any, path: str = "") -> list[str]:
    if isinstance(before, dict) and isinstance(after, dict):
        paths = []
        for key in sorted(set(before) | set(after)):
            paths += _changed_paths(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        return paths
    return [] if before == after else [path or "."]


def _ignored(path: str, ignore_changes: Sequence[str]) -> bool:
    """Whether an input path lies under one of the resource's ``ignore_changes`` paths."""
    return any(path == ignored or path.startswith((f"{ignored}.", f"{ignored}[")) for ignored in ignore_changes)


def _input_at(inputs: dict[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def classify_changes(
    before: Sequence[tuple[str, str, dict[str, Any]]], after: Sequence[tuple[str, str, dict[str, Any]]]
) -> dict[str, list[str]]:
    """``diff_previews`` for two lists of registrations ``(type, name, inputs)``, as ``type::name`` lists under
    ``create``, ``delete``, ``update`` and ``replace`` (benches and tests that run a component alone)."""

    def preview(registrations: Sequence[tuple[str, str, dict[str, Any]]]) -> Preview:
        resources = [PreviewResource(kind, name, None, _canonical(inputs)) for kind, name, inputs in registrations]
        return Preview(stack="", resources=resources, outputs={})

    diff = diff_previews(preview(before), preview(after))
    return {
        "create": [f"{item['type']}::{item['name']}" for item in diff["added"]],
        "delete": [f"{item['type']}::{item['name']}" for item in diff["removed"]],
        "update": [f"{item['type']}::{item['name']}" for item in diff["changed"] if item["action"] == "update"],
        "replace": [f"{item['type']}::{item['name']}" for item in diff["changed"] if item["action"] == "replace"],
    }


def diff_previews(base: Preview, head: Preview) -> dict[str, Any]:
    """Resources added, removed and changed between two previews; which changes force a replacement."""
    before = {resource.key: resource for resource in base.resources}
    after = {resource.key: resource for resource in head.resources}
    added = [after[key] for key in sorted(after.keys() - before.keys())]
    removed = [before[key] for key in sorted(before.keys() - after.keys())]
    changed = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        # The program's own ignore_changes decide (the new revision's, as the engine applies them at `up`).
        paths = [path for path in _changed_paths(old.inputs, new.inputs) if not _ignored(path, new.ignore_changes)]
        if not paths:
            continue
        forcing = REPLACE_ON_CHANGES.get(new.type, frozenset())
        reasons = sorted(
            path
            for path in forcing
            if _input_at(old.inputs, path) != _input_at(new.inputs, path) and not _ignored(path, new.ignore_changes)
        )
        old_hosts, new_hosts = destinations(old.inputs), destinations(new.inputs)
        changed.append(
            {
                "type": new.type,
                "name": new.name,
                "parent": new.parent,
                "action": "replace" if reasons else "update",
                "replace_because": reasons,
                "changed_inputs": paths,
                "hosts_added": sorted(new_hosts - old_hosts),
                "hosts_removed": sorted(old_hosts - new_hosts),
            }
        )

    def brief(resource: PreviewResource) -> dict[str, Any]:
        return {
            "type": resource.type,
            "name": resource.name,
            "parent": resource.parent,
            "hosts": sorted(destinations(resource.inputs)),
        }

    return {
        "added": [brief(resource) for resource in added],
        "removed": [brief(resource) for resource in removed],
        "changed": changed,
        "summary": {
            "add": len(added),
            "remove": len(removed),
            "update": sum(1 for item in changed if item["action"] == "update"),
            "replace": sum(1 for item in changed if item["action"] == "replace"),
        },
    }


def render_json(preview: Preview, diff: dict[str, Any] | None = None) -> str:
    document = preview.to_dict()
    if diff is not None:
        document["diff"] = diff
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _tree(preview: Preview) -> list[tuple[int, PreviewResource]]:
    children: dict[str | None, list[PreviewResource]] = {}
    for resource in preview.resources:
        children.setdefault(resource.parent, []).append(resource)
    ordered: list[tuple[int, PreviewResource]] = []

    def visit(parent: str | None, depth: int) -> None:
        for resource in children.get(parent, []):
            ordered.append((depth, resource))
            visit(f"{resource.type}::{resource.name}", depth + 1)

    visit(None, 0)
    return ordered


def render_text(preview: Preview, diff: dict[str, Any] | None = None) -> str:
    """The preview as plain text for a terminal; every value goes out through ``escape.plain_text`` (one line, no
    control, separator or bidirectional character)."""
    text = plain_text
    lines = [
        f"Stack {text(preview.stack)}: {len(preview.resources)} resources (offline preview, Pulumi mock engine)",
        "",
    ]
    for depth, resource in _tree(preview):
        lines.append(f"{'  ' * depth}+ {text(resource.type)}  {text(resource.name)}")
        lines += [f"{'  ' * (depth + 2)}{text(line)}" for line in review_lines(resource)]
    counts = Counter(resource.type for resource in preview.resources)
    lines += ["", "Counts:"] + [f"  {count:4d}  {text(type_)}" for type_, count in sorted(counts.items())]
    if preview.warnings:
        lines += ["", "Warnings:"] + [
            f"  - [{text(item.get('code'))}] {text(item.get('message'))}" for item in preview.warnings
        ]
    if diff is not None:
        lines += ["", _diff_summary(diff)]
        lines += [text(line) for line in _diff_lines(diff, bullet="  ")]
    return "\n".join(lines) + "\n"


def _diff_summary(diff: dict[str, Any]) -> str:
    summary = diff["summary"]
    return (
        f"Against base: {summary['add']} to add, {summary['update']} to update, "
        f"{summary['replace']} to replace, {summary['remove']} to remove"
    )


def _diff_lines(diff: dict[str, Any], bullet: str) -> list[str]:
    lines = []
    for item in diff["added"]:
        lines.append(f"{bullet}+ {item['type']} {item['name']}")
    for item in diff["removed"]:
        lines.append(f"{bullet}- {item['type']} {item['name']}")
    for item in diff["changed"]:
        marker = "+-" if item["action"] == "replace" else "~"
        reason = f" (replace: {', '.join(item['replace_because'])} changed)" if item["replace_because"] else ""
        lines.append(f"{bullet}{marker} {item['type']} {item['name']}{reason}")
        lines += [f"{bullet}    allows {host}" for host in item["hosts_added"]]
        lines += [f"{bullet}    no longer allows {host}" for host in item["hosts_removed"]]
    return lines


def render_markdown(preview: Preview, diff: dict[str, Any] | None = None) -> str:
    """The preview as GitHub markdown for a pull-request comment.

    Every value goes out through ``escape.markdown_text`` (inline text) or ``escape.markdown_code`` (fenced
    blocks), so no stack name, resource name, warning or input can open or close HTML (``</details>``), a heading,
    a link or a fence: the only HTML and structure in the comment are the ones written here.
    """
    counts = Counter(resource.type for resource in preview.resources)
    lines = [f"### sep-egress preview: stack {markdown_code_span(preview.stack)}", ""]
    if diff is not None:
        lines += [f"**{markdown_text(_diff_summary(diff))}**", ""]
        if diff["added"] or diff["removed"] or diff["changed"]:
            lines += [*markdown_code(_diff_lines(diff, bullet=""), "diff"), ""]
    lines += ["| resource type | count |", "| --- | ---: |"]
    lines += [f"| {markdown_text(type_)} | {count} |" for type_, count in sorted(counts.items())]
    if preview.warnings:
        lines += ["", "<details><summary>Warnings</summary>", ""]
        lines += [
            f"- **{markdown_text(item.get('code'))}**: {markdown_text(item.get('message'))}"
            for item in preview.warnings
        ]
        lines += ["", "</details>"]
    tree: list[str] = []
    for depth, resource in _tree(preview):
        tree.append(f"{'  ' * depth}{resource.type}  {resource.name}")
        tree += [f"{'  ' * (depth + 2)}{line}" for line in review_lines(resource)]
    lines += ["", "<details><summary>Resource tree</summary>", "", *markdown_code(tree), ""]
    lines += ["</details>", "", "_Offline preview under Pulumi's mock engine: no cloud state was read._"]
    return "\n".join(lines) + "\n"
