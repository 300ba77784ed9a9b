"""Pulumi components for GCP: they map the specs of ``sep_egress.compile.gcp`` to pulumi-gcp resources.

Three components, usable alone or together, each ``(name, args, opts=None)``:

- ``EgressFirewallPolicy`` (``sep-egress:gcp:EgressFirewallPolicy``): a Cloud NGFW policy with every rule in one
  ``*FirewallPolicyWithRules`` resource, its associations, and optionally the secure tags it targets; or, with
  ``options.existing_policy``, only the rules, added to a policy another team owns in a reserved priority band.
- ``EgressNat`` (``sep-egress:gcp:EgressNat``): Cloud NAT with static addresses and NAT rules, on a Cloud Router it
  creates or on an existing one (``options.router``).
- ``StoragePrivateAccess`` (``sep-egress:gcp:StoragePrivateAccess``): route and private DNS zone so that
  storage.googleapis.com is reached through Private Google Access.
- ``SecureWebProxy`` (``sep-egress:gcp:SecureWebProxy``): an explicit Secure Web Proxy for the names FQDN objects
  cannot hold (or all of them), paired with the firewall policy's ``secure_web_proxy`` option.

Each takes typed args (or a mapping of the same arguments): ``selection`` or a ready ``plan`` (exactly one),
``options``, and ``targets`` / ``secure_tags`` for the policy. Every input is validated, and every spec compiled,
before the component registers anything: a mistake raises a ``SepEgressError`` naming the argument.

Networks, subnetworks, the NAT network, the tag parent and network, and ``project`` accept ``pulumi.Output``s:
the compiler works on a stand-in (``projects/pulumi-output/...``) and the component hands the Output to the
resource. A resource named after a network (an association, a route) is then named after the network's position
in the list, since its value is not known when the component is constructed.

The files, in the order the data flows through them: ``args.py`` (the argument models) -> ``placeholders.py``
(``pulumi.Output`` values as stand-ins while compiling, and back) -> one module per component, each validating and
compiling in ``prepare`` before it registers anything: ``firewall_policy.py`` (``EgressFirewallPolicy``), ``nat.py``
(``EgressNat``), ``private_access.py`` (``StoragePrivateAccess``), ``secure_web_proxy.py`` (``SecureWebProxy``).
"""

from __future__ import annotations

from ..arguments import SelectionArgs
from ..compile.gcp import RoleTarget
from .args import (
    EgressFirewallPolicyArgs,
    EgressNatArgs,
    FirewallPolicyOptionsArgs,
    NatOptionsArgs,
    NatSubnetworkArgs,
    PrivateAccessOptionsArgs,
    RoleTargetArgs,
    SecureTagsArgs,
    StoragePrivateAccessArgs,
)
from .args import GcpArgs as GcpArgs  # "X as X": a name the 0.2 module had at its top level
from .firewall_policy import EgressFirewallPolicy
from .firewall_policy import snake_case_keys as snake_case_keys
from .nat import EgressNat
from .placeholders import Placeholders as Placeholders
from .private_access import StoragePrivateAccess
from .secure_web_proxy import SecureWebProxy, SecureWebProxyArgs, SecureWebProxyOptionsArgs

__all__ = [
    "EgressFirewallPolicy",
    "EgressFirewallPolicyArgs",
    "EgressNat",
    "EgressNatArgs",
    "FirewallPolicyOptionsArgs",
    "NatOptionsArgs",
    "NatSubnetworkArgs",
    "PrivateAccessOptionsArgs",
    "RoleTarget",
    "RoleTargetArgs",
    "SecureTagsArgs",
    "SecureWebProxy",
    "SecureWebProxyArgs",
    "SecureWebProxyOptionsArgs",
    "SelectionArgs",
    "StoragePrivateAccess",
    "StoragePrivateAccessArgs",
]
