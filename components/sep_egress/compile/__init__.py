"""Pure compilers from an ``EgressPlan`` to cloud and proxy configurations.

Nothing here imports pulumi or a cloud SDK: each compiler is a function from plain data to plain data (specs,
rule text), testable alone and fast enough for the CLI.

The wings, one per target, each a package whose ``__init__`` says the order its files run in:

- ``aws/``: AWS Network Firewall rule groups and policy (``compile_network_firewall``).
- ``gcp/``: Cloud NGFW firewall policy, Cloud NAT, Private Google Access (``compile_gcp``).
- ``proxy/``: on-premises proxy material: Squid configuration, PAC file, host list, CSV.

Free text leaves every wing through ``sep_egress.escape`` (one escaping function per output format).

Layers: this package reads the catalog (``sep_egress.catalog``) and nothing above it; the Pulumi components
(``sep_egress.aws``, ``sep_egress.gcp``) map its specs onto resources, and nothing here imports pulumi.
"""

from __future__ import annotations

#: The flat modules of 0.2, by their old name, and where each went (``sep_egress.moved`` serves the old paths).
MOVED_MODULES = {
    "aws_options": "sep_egress.compile.aws.options",
    "aws_rules": "sep_egress.compile.aws.rules",
    "aws_capacity": "sep_egress.compile.aws.groups",
    "aws_suricata": "sep_egress.compile.aws.groups",
    "aws_domain_list": "sep_egress.compile.aws.groups",
    "aws_spec": "sep_egress.compile.aws.spec",
    "aws_evaluate": "sep_egress.compile.aws.evaluate",
    "gcp_model": "sep_egress.compile.gcp.options",
    "gcp_firewall": "sep_egress.compile.gcp.firewall",
    "gcp_nat": "sep_egress.compile.gcp.nat",
    "gcp_pga": "sep_egress.compile.gcp.private_access",
    "gcp_schema": "sep_egress.compile.gcp.discovery",
    "gcp_eval": "sep_egress.compile.gcp.evaluate",
    # Every layer escapes free text the same way (errors, the catalog's messages, the CLI), so the module sits at
    # the bottom of the package, beside errors.py.
    "escape": "sep_egress.escape",
}
