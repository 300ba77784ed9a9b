"""Write the catalog's host names into the policy pack (``sep_egress_policy/catalog_hosts.json``), and turn
overlays into the pack's configuration.

The pack runs in its own virtualenv with only pulumi-policy: it reads this export instead of importing the
sep-egress package, whose dependencies (pulumi-aws, pulumi-gcp) would cost minutes to install for a list of
names. Run it with the project's environment after every catalog change; a test fails while the export is stale::

    .venv/bin/python policy/export_catalog.py

With ``--policy-config OVERLAY...`` it prints instead the ``--policy-pack-config`` JSON that declares the hosts of
those overlays (so the pack admits exactly what the stack's overlays add)::

    .venv/bin/python policy/export_catalog.py --policy-config examples/overlays/*.yaml > policy-config.json

``--enforcement observe|enforce`` before the overlays writes the stack's ``sep-egress:enforcement`` into the
configuration of the policies that read it (in observe mode the pack accepts a Network Firewall policy whose
defaults log, not drop, what no rule matches)::

    .venv/bin/python policy/export_catalog.py --policy-config --enforcement observe examples/overlays/*.yaml
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

EXPORT_PATH = Path(__file__).parent / "sep_egress_policy" / "catalog_hosts.json"


def render() -> str:
    """The export's exact text: every host of every entry, whatever the role, version or storage phase.

    The pack guards stacks of any selection, so it admits the union; what one deployment needs is the plan's job.
    """
    from sep_egress.catalog import load_catalog

    catalog = load_catalog()
    hosts: dict[str, dict[str, Any]] = {}
    for entry in catalog.entries:
        for url in entry.urls:
            slot = hosts.setdefault(url.host, {"suffix": False, "shared": None, "ids": []})
            slot["suffix"] = slot["suffix"] or url.suffix
            if entry.shared_host and slot["shared"] is None:
                slot["shared"] = entry.shared_host
            if entry.id not in slot["ids"]:
                slot["ids"].append(entry.id)
    for slot in hosts.values():
        slot["ids"].sort()
    document = {
        "catalogVersion": catalog.version,
        "generatedBy": "policy/export_catalog.py",
        "hosts": dict(sorted(hosts.items())),
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


HOSTS_POLICY = "sep-egress-hosts-from-catalog"
#: The policies whose check reads ``enforcement`` (``sep_egress_policy.policies.ENFORCEMENT_POLICIES``).
ENFORCEMENT_POLICIES = ("sep-egress-no-allow-all-egress",)
ENFORCEMENTS = ("observe", "enforce")
USAGE = "usage: export_catalog.py [--policy-config [--enforcement observe|enforce] OVERLAY...]\n"


def policy_config(overlay_paths: list[str], enforcement: str | None = None) -> dict[str, Any]:
    """The pack configuration declaring every host the overlays add (exact names, and domain suffixes), and, when
    given, the stack's enforcement for the policies that read it (without it they take their default, enforce)."""
    from sep_egress.catalog import load_overlay

    hosts: set[str] = set()
    suffixes: set[str] = set()
    for path in overlay_paths:
        for entry in load_overlay(path).entries:
            for url in entry.urls:
                (suffixes if url.suffix else hosts).add(url.host)
    config: dict[str, Any] = {HOSTS_POLICY: {"allowedHosts": sorted(hosts), "allowedDomainSuffixes": sorted(suffixes)}}
    if enforcement is not None:
        for name in ENFORCEMENT_POLICIES:
            config[name] = {"enforcement": enforcement}
    return config


def main(argv: list[str]) -> int:
    if argv[:1] == ["--policy-config"]:
        overlays = argv[1:]
        enforcement = None
        if overlays[:1] == ["--enforcement"] or (overlays[:1] and overlays[0].startswith("--enforcement=")):
            if overlays[0] == "--enforcement":
                value, overlays = (overlays[1] if len(overlays) > 1 else ""), overlays[2:]
            else:
                value, overlays = overlays[0].partition("=")[2], overlays[1:]
            if value not in ENFORCEMENTS:
                sys.stderr.write(f"--enforcement: {value!r}; choose observe or enforce\n{USAGE}")
                return 2
            enforcement = value
        flags = [item for item in overlays if item.startswith("--")]
        if flags:
            sys.stderr.write(f"{flags[0]}: unknown option (options come before the overlays)\n{USAGE}")
            return 2
        sys.stdout.write(json.dumps(policy_config(overlays, enforcement), indent=2, sort_keys=True) + "\n")
        return 0
    if argv:
        sys.stderr.write(USAGE)
        return 2
    EXPORT_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {EXPORT_PATH}\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main(sys.argv[1:]))
