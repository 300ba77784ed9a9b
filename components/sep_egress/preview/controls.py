"""What a control allows, read from its registered inputs: Network Firewall rule groups and Cloud NGFW rules."""

from __future__ import annotations

import re
from typing import Any

from .model import PreviewResource

_SURICATA = re.compile(
    r"^(?:pass|alert|drop|reject)\s+(?P<proto>\S+)\s+(?P<source>\S+)\s+\S+\s+(?:->|<>)\s+(?P<destination>\S+)\s+"
    r"(?P<port>\S+)\s+\((?P<body>.*)\)\s*$"
)
_MATCHED_NAME = re.compile(r"(?:tls\.sni|http\.host);\s*(?:dotprefix;\s*)?content:\s*\"(?P<name>[^\"]+)\"")


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
