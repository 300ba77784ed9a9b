"""sep-egress: the outbound URLs of Symantec Endpoint Protection / Endpoint Security as cloud egress controls.

The package is layered so that each layer can be used alone:

- ``sep_egress.catalog``: the vendor's list as validated data, overlays, product versions, and ``select()``
  which turns a selection into an ``EgressPlan``. Pure Python; imports neither pulumi nor cloud SDKs.
- ``sep_egress.compile``: pure compilers from an ``EgressPlan`` to cloud and proxy configurations.
- ``sep_egress.aws`` / ``sep_egress.gcp``: thin Pulumi components over the compilers.
"""

from .moved import install as _install_moved_modules

__version__ = "0.2.0"

_install_moved_modules()
