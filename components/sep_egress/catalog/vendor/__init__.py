"""The vendor's catalog (``data/endpoints.yaml``) and the selection that turns it into an ``EgressPlan``.

The files, each importing only the ones listed before it (a file is read by ``load.py``, checked by ``schema.py``,
which builds ``models.py``, kept in the cache as ``codec.py`` writes it):

- ``models.py``: the plain runtime objects (the catalog, its entries, overlays);
- ``schema.py``: the pydantic file schema of the catalog and of overlays, whose ``to_model()`` builds those objects;
- ``codec.py``: the catalog as the cache's JSON, and back;
- ``load.py``: catalog and overlay files read and validated, the catalog served from the cache (``../cache.py``)
  without pydantic or YAML;
- ``plan.py``: the ``EgressPlan`` every compiler reads;
- ``select.py``: a deployment's selection over the catalog, the overlays and the internal rules
  (``../internal/``), as one ``EgressPlan``.

Only ``plan.py`` and ``select.py`` import the internal catalog.
"""
