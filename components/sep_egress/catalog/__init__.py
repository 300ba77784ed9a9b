"""The vendor's list as validated, versioned data, and the selection that turns it into an ``EgressPlan``.

Typical use::

    from sep_egress.catalog import load_catalog, select
    plan = select(load_catalog(), mode="hybrid", version="14.3 RU1")
"""

from .load import CATALOG_PATH, load_catalog, load_overlay, parse_overlay
from .models import ROLES, Catalog, Entry, Overlay, Role, Text
from .plan import AllowRule, CidrRule, EgressPlan, PlanWarning
from .select import MODES, STORAGE_PHASES, SourcedOverlay, merge_overlays, resolve_roles, select
from .versions import ProductVersion, VersionError

__all__ = [
    "CATALOG_PATH",
    "MODES",
    "ROLES",
    "STORAGE_PHASES",
    "AllowRule",
    "Catalog",
    "CidrRule",
    "EgressPlan",
    "Entry",
    "Overlay",
    "PlanWarning",
    "ProductVersion",
    "Role",
    "SourcedOverlay",
    "Text",
    "VersionError",
    "load_catalog",
    "load_overlay",
    "merge_overlays",
    "parse_overlay",
    "resolve_roles",
    "select",
]
