"""Write the catalog's host names into the policy pack (``sep_egress_policy/catalog_hosts.json``).

The pack runs in its own virtualenv with only pulumi-policy: it reads this export instead of importing the
sep-egress package, whose dependencies (pulumi-aws, pulumi-gcp) would cost minutes to install for a list of
names. Run it with the project's environment after every catalog change; a test fails while the export is stale::

    .venv/bin/python policy/export_catalog.py
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
    from components.catalog import load_catalog

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


def main() -> int:
    EXPORT_PATH.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {EXPORT_PATH}\n")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    raise SystemExit(main())
