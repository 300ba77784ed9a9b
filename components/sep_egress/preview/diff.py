"""Two previews compared: what would be added, removed, updated in place or replaced, and the hosts that changes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .controls import destinations
from .model import Preview, PreviewResource, canonical

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
        resources = [PreviewResource(kind, name, None, canonical(inputs)) for kind, name, inputs in registrations]
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
