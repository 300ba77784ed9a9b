"""The sep-egress components as a Pulumi component package, for stacks written in YAML, TypeScript, Go or .NET.

``provider/`` (at the repository root) holds ``PulumiPlugin.yaml`` and the entry point; a consuming project runs
``pulumi package add <path or git URL>/provider`` and gets a typed SDK generated from the schema that Pulumi's
component provider host (``pulumi.provider.experimental``) infers from the classes of ``components.py``.

The data flows through the files in this order:

- ``inputs.py``: the input types, generated from the Python args models (``package_args_source``), not restated;
- ``outputs.py``: the output object types, and a Python component's outputs as the package hands them over;
- ``components.py``: the four package components, each creating its Python component as its only child, with the
  URN a Python program gives it (``package_alias`` for the opposite move);
- ``host.py``: the version, the inferred schema (``python provider --schema``) and ``main``, which serves the
  components to the Pulumi engine.
"""

from .components import (
    COMPONENTS,
    PACKAGE_NAME,
    WRAPS,
    EgressFirewallPolicy,
    EgressNat,
    NetworkFirewallAllowlist,
    PackageComponent,
    StoragePrivateAccess,
    Wrapped,
    package_alias,
    package_type,
)
from .host import main, package_schema, package_version
from .inputs import (
    ARGS_MODELS,
    PACKAGE_ARGS,
    EgressFirewallPolicyInputs,
    EgressNatInputs,
    NetworkFirewallAllowlistInputs,
    StoragePrivateAccessInputs,
    args_model,
    package_args_source,
)
from .outputs import (
    EgressWarning,
    NatRule,
    PrivateAccessRoute,
    RuleGroupCapacity,
    RuleGroupReference,
    SubnetSetting,
    package_output,
)

__all__ = [
    "ARGS_MODELS",
    "COMPONENTS",
    "PACKAGE_ARGS",
    "PACKAGE_NAME",
    "WRAPS",
    "EgressFirewallPolicy",
    "EgressFirewallPolicyInputs",
    "EgressNat",
    "EgressNatInputs",
    "EgressWarning",
    "NatRule",
    "NetworkFirewallAllowlist",
    "NetworkFirewallAllowlistInputs",
    "PackageComponent",
    "PrivateAccessRoute",
    "RuleGroupCapacity",
    "RuleGroupReference",
    "StoragePrivateAccess",
    "StoragePrivateAccessInputs",
    "SubnetSetting",
    "Wrapped",
    "args_model",
    "main",
    "package_alias",
    "package_args_source",
    "package_output",
    "package_schema",
    "package_type",
    "package_version",
]
