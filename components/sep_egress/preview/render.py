"""The preview, and its diff to a base, as JSON, as plain text for a terminal, and as markdown for a pull request."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from ..escape import json_document, markdown_code, markdown_code_span, markdown_text, plain_text
from .controls import review_lines
from .model import Preview, PreviewResource

#: Stack outputs an operator needs after `up` (routes per AZ, ARNs to reference, log destinations), shown in the text
#: preview; offline, the firewall's endpoints are the mock engine's placeholders (``mock_engine.firewall_statuses``).
OPERATOR_OUTPUTS = (
    "awsFirewallEndpointIds",
    "awsFirewallArn",
    "awsFirewallPolicyArn",
    "awsRuleGroupArnsByName",
    "awsSharedRuleGroupReferences",
    "awsLogDestinations",
)


def render_json(preview: Preview, diff: dict[str, Any] | None = None) -> str:
    document = preview.to_dict()
    if diff is not None:
        document["diff"] = diff
    return json_document(document)


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
    shown = [key for key in OPERATOR_OUTPUTS if preview.outputs.get(key) not in (None, {}, [])]
    if shown:
        lines += ["", "Outputs for operators (the mock engine's placeholders where only AWS assigns a value):"]
        lines += [f"  {key}: {text(json.dumps(preview.outputs[key], sort_keys=True))}" for key in shown]
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
