"""Compile an ``EgressPlan`` into on-premises proxy material: a Squid configuration, a PAC file, and plain lists.

The files: ``text`` (what the three outputs' text shares: the error, the comment header and warning lines, the
checks of names and addresses), then one file per output, each reading the plan and ``text`` only: ``squid``
(Squid configuration), ``pac`` (the PAC file), ``lists`` (host list, CSV).

Every function here is pure: the same plan and options give byte-identical text, and nothing touches the network
or imports pulumi. Each text starts with a header naming the catalog version and the selection it was built from,
except CSV, where a comment row would break the importers it is meant for.

Directives, ACLs, script and cells are built only from the plan's canonical values (host names, ports, CIDRs, ids,
roles) and options validated here (``--listen``, PAC routes, source CIDRs), re-emitted in canonical form. Free text
(warnings that quote paths or notes, overlay file names) goes out only through ``escape.py``: ``squid_comment``
for ``#`` lines, ``js_comment``/``js_string`` in the PAC, ``csv_cell`` in CSV.

Typical use::

    from sep_egress.compile.proxy import SquidOptions, squid_config, pac_file
    text = squid_config(plan, SquidOptions(mode="full", listen="127.0.0.1:3128"))
"""

from __future__ import annotations

from .lists import CSV_COLUMNS, SuffixForm, csv_list, host_list
from .pac import pac_file, pac_route
from .squid import ACL_PREFIX, ENFORCEMENTS, SQUID_MODES, Enforcement, SquidMode, SquidOptions, squid_config
from .text import ProxyExportError, header

__all__ = [
    "ACL_PREFIX",
    "CSV_COLUMNS",
    "ENFORCEMENTS",
    "SQUID_MODES",
    "Enforcement",
    "ProxyExportError",
    "SquidMode",
    "SquidOptions",
    "SuffixForm",
    "csv_list",
    "header",
    "host_list",
    "pac_file",
    "pac_route",
    "squid_config",
]
