"""The product's internal paths and the user's internal destinations.

``data/internal.yaml`` lists how SEP's own machines talk to each other (client to manager, client to Group Update
Provider, console to manager, manager to push-deployment targets), transcribed from Broadcom's documentation. A
path is a direction (from a role to a *kind* of internal destination: ``sepm``, ``gup``, ``clients``), a transport
and its ports. Nothing is allowed until the user declares the addresses of a destination kind
(``sep-egress:internal`` in a stack, ``--internal KIND=CIDR`` on the command line); then ``select()`` turns every
applicable path into ordinary ``CidrRule``s of the plan, so every compiler handles them like overlay CIDRs.

The files, each importing only the ones listed before it (a file is read by ``load.py``, checked by ``schema.py``,
which builds ``models.py``, kept in the cache as ``codec.py`` writes it):

- ``models.py``: the plain runtime objects (the catalog, its paths, the user's destinations, the rules);
- ``schema.py``: the pydantic file schema, whose ``to_model()`` builds those objects;
- ``codec.py``: the catalog as the cache's JSON, and back;
- ``load.py``: the file read and validated, or served from the cache (``../cache.py``) without pydantic or YAML;
- ``destinations.py``: the user's destinations validated against the catalog, and the rules a selection allows,
  which ``vendor/select.py`` turns into ``CidrRule``s.

This package imports nothing of the vendor's catalog (``vendor/``), which uses it.
"""

from .destinations import destinations_from_config, destinations_from_flags, internal_rules, parse_cidr
from .load import INTERNAL_CATALOG_PATH, load_internal_catalog
from .models import (
    DESTINATION_KIND,
    InternalCatalog,
    InternalDestinations,
    InternalPath,
    InternalReading,
    InternalRule,
    InternalSource,
    Quote,
)

__all__ = [
    "DESTINATION_KIND",
    "INTERNAL_CATALOG_PATH",
    "InternalCatalog",
    "InternalDestinations",
    "InternalPath",
    "InternalReading",
    "InternalRule",
    "InternalSource",
    "Quote",
    "destinations_from_config",
    "destinations_from_flags",
    "internal_rules",
    "load_internal_catalog",
    "parse_cidr",
]
