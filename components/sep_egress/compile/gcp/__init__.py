"""GCP compiler: one ``EgressPlan`` -> a Cloud NGFW firewall policy, a Cloud NAT gateway, Private Google Access.

The files, in the order the data flows through them (each imports only from the ones before it):

1. ``options``: what the compilers take besides the plan (targets per machine kind, options), validated, and the
   errors and warnings they raise.
2. ``firewall``: plan -> firewall policy (rules, priorities, associations).
3. ``nat`` (plan -> Cloud NAT gateway, router, NAT rules) and ``private_access`` (plan -> Private Google Access:
   the storage migration), side by side.
4. ``deployment``: ``compile_gcp`` puts the three together in a ``GcpEgressSpec``; ``diff_rules``.

``session_matcher`` writes, parses and evaluates the CEL subset of Secure Web Proxy rules, and
``secure_web_proxy`` compiles the plan's proxied names into a Secure Web Proxy (after ``firewall``, whose
``proxied_names`` decides which names go through it).

``discovery`` checks request bodies against a Google API discovery document and the limits it states in prose;
``evaluate`` is a semantic model of a compiled policy, for the tests. Neither is needed to compile.

Pure and deterministic: the same plan and options give byte-identical ``to_json()``. Typical use::

    from sep_egress.compile.gcp import compile_gcp, FirewallOptions, parse_targets
    spec = compile_gcp(plan, parse_targets({"clients": {"secure_tags": ["tagValues/123"]}}),
                       FirewallOptions(networks=("projects/p/global/networks/vpc",)))
"""

from __future__ import annotations

from .deployment import GcpEgressSpec, PolicyChange, compile_gcp, diff_rules
from .firewall import FirewallPolicySpec
from .firewall import compile_firewall_policy as compile_firewall_policy  # "X as X": imported by 0.2's module
from .nat import NatGatewaySpec
from .nat import compile_nat_gateway as compile_nat_gateway
from .options import (
    MACHINE_KINDS,
    FirewallOptions,
    GcpSpecError,
    GcpWarning,
    NatOptions,
    NatRuleNumber,
    NatSubnetwork,
    PrivateAccessOptions,
    ProxyRoute,
    RoleTarget,
    machine_targets,
    parse_targets,
)
from .private_access import PrivateAccessSpec
from .private_access import compile_private_access as compile_private_access
from .secure_web_proxy import SecureWebProxyOptions, SecureWebProxySpec, compile_secure_web_proxy

__all__ = [
    "MACHINE_KINDS",
    "FirewallOptions",
    "FirewallPolicySpec",
    "GcpEgressSpec",
    "GcpSpecError",
    "GcpWarning",
    "NatGatewaySpec",
    "NatOptions",
    "NatRuleNumber",
    "NatSubnetwork",
    "PolicyChange",
    "PrivateAccessOptions",
    "PrivateAccessSpec",
    "ProxyRoute",
    "RoleTarget",
    "SecureWebProxyOptions",
    "SecureWebProxySpec",
    "compile_gcp",
    "compile_secure_web_proxy",
    "diff_rules",
    "machine_targets",
    "parse_targets",
]
