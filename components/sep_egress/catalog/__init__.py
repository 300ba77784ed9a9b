"""The vendor's list as validated, versioned data, and the selection that turns it into an ``EgressPlan``.

Typical use::

    from sep_egress.catalog import load_catalog, select
    plan = select(load_catalog(), mode="hybrid", version="14.3 RU1")

The package has four parts; each imports only the parts before it:

1. shared pieces, at the top: ``hosts.py`` (host names, URLs, CIDRs, safe text), ``versions.py`` (product
   releases), ``bounded_yaml.py`` (files read within bounds), ``roles.py``, ``history.py`` (catalog versions, ids
   and change history), ``schema_fields.py`` (the pydantic field types both file schemas use), ``validation.py``
   (a parsed file against a schema, errors in words), ``cache.py`` (the one cache of validated catalogs: its folder,
   keys, bounded reading and atomic writing of JSON; it knows no catalog) and ``json_fields.py`` (the readers both
   cache codecs share);
2. ``internal/``: SEP's internal paths (``data/internal.yaml``) and the user's internal destinations;
3. ``vendor/``: the vendor's catalog (``data/endpoints.yaml``), overlays, and the selection that turns them, with
   the internal rules, into an ``EgressPlan``;
4. ``article/``: Broadcom's article read, compared with the catalog (drift), and the catalog that agrees with it.

Both catalogs (``internal/``, ``vendor/``) are laid out alike: ``models.py`` (the plain runtime objects),
``schema.py`` (the file schema, pydantic), ``codec.py`` (the catalog as the cache's JSON) and ``load.py`` (the file,
or its cache entry, in; models out).
"""

import sys as _sys

from .roles import ROLES, Role
from .vendor import select as _select_module
from .vendor.load import CATALOG_PATH, load_catalog, load_overlay, parse_overlay
from .vendor.models import Catalog, Entry, Overlay, Text
from .vendor.plan import AllowRule, CidrRule, EgressPlan, PlanWarning
from .vendor.select import MODES, STORAGE_PHASES, SourcedOverlay, merge_overlays, resolve_roles, select
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

#: The flat modules of 0.2 and where their names live now (``sep_egress.moved`` serves the old paths). ``internal``
#: and ``article`` are packages at their old paths and export what the old modules did; ``select`` is below.
MOVED_MODULES = {
    "load": "sep_egress.catalog.vendor.load",
    "models": "sep_egress.catalog.vendor.models",
    "schema": "sep_egress.catalog.vendor.schema",
    "plan": "sep_egress.catalog.vendor.plan",
    "cache_format": "sep_egress.catalog.vendor.codec",
    "internal_schema": "sep_egress.catalog.internal.schema",
    "drift": "sep_egress.catalog.article.drift",
    "propose": "sep_egress.catalog.article.propose",
}

# ``sep_egress.catalog.select`` is the function ``select``: an alias in MOVED_MODULES would set the package attribute
# to the module when first imported. The old module path ``sep_egress.catalog.select`` is registered directly
# instead (as importing the old flat module left it: the module in sys.modules, the function as the attribute).
_sys.modules.setdefault(f"{__name__}.select", _select_module)
