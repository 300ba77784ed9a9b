"""The catalog against an edition of the article: what differs, and what each difference means for a deployment.

The unit of comparison is one URL under one role (table), with what a deployment enforces for it: ports, version
bounds, the proxy condition, the storage phase and footnote, and the path. Row titles and descriptions are not
compared (they are worded differently in every edition).

Each difference is reported once:

- ``changed``: the same URL (scheme, host) under the same role with other ports, bounds, proxy condition, storage
  phase, footnote or path; or a URL that left one table and appeared in another (``fields.role``): a row moved
  to another table is one ``changed`` item per URL, never a ``removed`` plus an ``added``.
- ``added``: a URL the article lists under a role where the catalog has nothing for that scheme and host.
- ``removed``: a catalog URL the article no longer lists under its role (nor moved elsewhere).

Paths of the form ``/ll/cc`` (``www.symantec.com/fr/fr``) are the edition's own language page
(readings: localized-path) and compare equal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..roles import ROLES, Role
from ..vendor.models import Catalog
from ..versions import ProductVersion
from .reader import Article, ArticleUrl

FIELDS = ("ports", "min_version", "max_version", "before_version", "proxy", "storage", "footnote", "path")
_LOCALIZED_PATH = re.compile(r"^/[a-z]{2}/[a-z]{2}$")


@dataclass(frozen=True, slots=True)
class UrlFacts:
    """What a deployment enforces for one URL under one role, from either side."""

    role: Role
    scheme: str
    host: str
    path: str | None
    ports: tuple[int, ...]
    min_version: ProductVersion | None
    max_version: ProductVersion | None
    before_version: ProductVersion | None
    proxy: bool
    storage: str | None
    footnote: str | None
    entry: str | None = None
    row: str | None = None
    #: The row's place within its table (1, 2, ...): it tells apart the same URL in two rows of one table.
    row_ordinal: int = 0

    @property
    def url(self) -> str:
        """The URL rebuilt from validated parts (never the raw text)."""
        return f"{self.scheme}://{self.host}{self.path or ''}"

    def value(self, name: str) -> Any:
        if name == "path":
            return comparable_path(self.path)
        return getattr(self, name)

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "host": self.host,
            "url": self.url,
            "path": self.path,
            "ports": list(self.ports),
            "min_version": _text(self.min_version),
            "max_version": _text(self.max_version),
            "before_version": _text(self.before_version),
            "proxy": self.proxy,
            "storage": self.storage,
            "footnote": self.footnote,
        }


def _text(version: ProductVersion | None) -> str | None:
    return str(version) if version is not None else None


def comparable_path(path: str | None) -> str | None:
    """A path as compared: an edition's own language page (``/fr/fr``, ``/en/us``) is one placeholder."""
    return "/{language}/{country}" if path and _LOCALIZED_PATH.match(path) else path


def _json_value(name: str, value: Any) -> Any:
    if isinstance(value, ProductVersion):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def article_facts(item: ArticleUrl, ordinal: int = 0) -> UrlFacts:
    return UrlFacts(
        role=item.role,
        scheme=item.url.scheme or "https",
        host=item.url.host,
        path=item.url.path,
        ports=item.ports,
        min_version=item.min_version,
        max_version=item.max_version,
        before_version=item.before_version,
        proxy=item.proxy,
        storage=item.storage,
        footnote=item.footnote,
        row=item.row,
        row_ordinal=ordinal,
    )


def _article_side(article: Article) -> list[UrlFacts]:
    ordinals: dict[str, list[int]] = {}
    facts = []
    for item in article.urls:
        rows = ordinals.setdefault(item.role, [])
        if not rows or rows[-1] != item.row_index:
            rows.append(item.row_index)
        facts.append(article_facts(item, len(rows)))
    return facts


def catalog_facts(catalog: Catalog) -> list[UrlFacts]:
    """Every URL of the catalog's entries with what the catalog enforces for it (CIDR entries have no URL)."""
    facts = []
    rows: dict[str, list[str | None]] = {}
    for entry in catalog.entries:
        seen = rows.setdefault(entry.role, [])
        # Entries split from one row (same row title, one after the other) share the row's place.
        if not seen or entry.row is None or seen[-1] != entry.row:
            seen.append(entry.row)
        for url in entry.urls:
            facts.append(
                UrlFacts(
                    role=entry.role,
                    scheme=url.scheme or "https",
                    host=url.host,
                    path=url.path,
                    ports=tuple(sorted(entry.url_ports(url))),
                    min_version=entry.min_version,
                    max_version=entry.max_version,
                    before_version=entry.before_version,
                    proxy=bool(entry.requires_proxy),
                    storage=entry.storage,
                    footnote=entry.footnote,
                    entry=entry.id,
                    row=entry.row,
                    row_ordinal=len(seen),
                )
            )
    return facts


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference between the article and the catalog; ``fields`` names what differs for ``changed``."""

    kind: str
    article: UrlFacts | None
    catalog: UrlFacts | None
    fields: tuple[str, ...] = ()

    @property
    def facts(self) -> UrlFacts:
        facts = self.article or self.catalog
        assert facts is not None
        return facts

    def to_json(self) -> dict[str, Any]:
        document = self.facts.to_json()
        document["entry"] = self.catalog.entry if self.catalog else None
        if self.kind == "changed":
            assert self.article is not None and self.catalog is not None
            document["fields"] = {
                name: {
                    "catalog": _json_value(name, getattr(self.catalog, name)),
                    "article": _json_value(name, getattr(self.article, name)),
                }
                for name in self.fields
            }
        document["meaning"] = meaning(self)
        return document


@dataclass(frozen=True, slots=True)
class Drift:
    """The differences between one edition of the article and the catalog."""

    article: Article
    added: tuple[Difference, ...] = ()
    removed: tuple[Difference, ...] = ()
    changed: tuple[Difference, ...] = ()
    matched: tuple[tuple[UrlFacts, UrlFacts], ...] = field(default=())

    @property
    def agrees(self) -> bool:
        return not (self.added or self.removed or self.changed or self.article.problems)

    def to_json(self) -> dict[str, Any]:
        article = self.article
        return {
            "edition": {
                "language": article.language,
                "edition": article.edition,
                "title": article.title,
                "form": article.form,
                "tables": list(article.tables),
                "missing_tables": [role for role in ROLES if role not in article.tables],
                "footnote": article.footnote,
                "urls": len(article.urls),
                "problems": [
                    {"line": problem.line, "role": problem.role, "message": problem.message}
                    for problem in article.problems
                ],
            },
            "agrees": self.agrees,
            "added": [item.to_json() for item in self.added],
            "removed": [item.to_json() for item in self.removed],
            "changed": [item.to_json() for item in self.changed],
        }


def _differing(article: UrlFacts, catalog: UrlFacts) -> tuple[str, ...]:
    return tuple(name for name in FIELDS if article.value(name) != catalog.value(name))


def _pair(
    articles: list[UrlFacts], catalogs: list[UrlFacts], same_role: bool
) -> tuple[list[tuple[UrlFacts, UrlFacts]], list[UrlFacts], list[UrlFacts]]:
    """Pair article and catalog URLs with the same scheme and host, fewest differing fields first."""
    by_host: dict[tuple[str, str], list[int]] = {}
    for c_index, catalog in enumerate(catalogs):
        by_host.setdefault((catalog.scheme, catalog.host), []).append(c_index)
    candidates = []
    for a_index, article in enumerate(articles):
        for c_index in by_host.get((article.scheme, article.host), []):
            catalog = catalogs[c_index]
            if (article.role == catalog.role) != same_role:
                continue
            distance = abs(article.row_ordinal - catalog.row_ordinal)
            candidates.append((len(_differing(article, catalog)), distance, a_index, c_index))
    candidates.sort()
    used_a: set[int] = set()
    used_c: set[int] = set()
    pairs = []
    for _, _, a_index, c_index in candidates:
        if a_index in used_a or c_index in used_c:
            continue
        used_a.add(a_index)
        used_c.add(c_index)
        pairs.append((articles[a_index], catalogs[c_index]))
    rest_a = [item for index, item in enumerate(articles) if index not in used_a]
    rest_c = [item for index, item in enumerate(catalogs) if index not in used_c]
    return pairs, rest_a, rest_c


def compare(article: Article, catalog: Catalog) -> Drift:
    """Compare an edition with the catalog; every difference is reported once (see the module's docstring)."""
    article_side = _article_side(article)
    catalog_side = catalog_facts(catalog)
    same_pairs, rest_article, rest_catalog = _pair(article_side, catalog_side, same_role=True)
    moved_pairs, rest_article, rest_catalog = _pair(rest_article, rest_catalog, same_role=False)
    changed = []
    matched = []
    for article_item, catalog_item in same_pairs:
        fields = _differing(article_item, catalog_item)
        if fields:
            changed.append(Difference("changed", article_item, catalog_item, fields))
        else:
            matched.append((article_item, catalog_item))
    for article_item, catalog_item in moved_pairs:
        fields = ("role", *_differing(article_item, catalog_item))
        changed.append(Difference("changed", article_item, catalog_item, fields))
    order = {role: index for index, role in enumerate(ROLES)}

    def key(difference: Difference) -> tuple[int, str, str, str]:
        facts = difference.facts
        return (order[facts.role], facts.host, facts.scheme, facts.path or "")

    return Drift(
        article=article,
        added=tuple(sorted((Difference("added", item, None) for item in rest_article), key=key)),
        removed=tuple(sorted((Difference("removed", None, item) for item in rest_catalog), key=key)),
        changed=tuple(sorted(changed, key=key)),
        matched=tuple(matched),
    )


# ---- what a difference means for a deployment ----------------------------------------------------------------------


def _ports(ports: tuple[int, ...]) -> str:
    return (
        "port " + ", ".join(str(port) for port in ports)
        if len(ports) == 1
        else "ports " + ", ".join(str(port) for port in ports)
    )


def _conditions(facts: UrlFacts) -> str:
    parts = []
    if facts.min_version:
        parts.append(f"from {facts.min_version}")
    if facts.max_version:
        parts.append(f"up to {facts.max_version}")
    if facts.before_version:
        parts.append(f"before {facts.before_version}")
    if facts.proxy:
        parts.append("only behind a proxy")
    if facts.storage:
        parts.append(f"storage phase {facts.storage}")
    return f" ({', '.join(parts)})" if parts else ""


def _ports_meaning(article: tuple[int, ...], catalog: tuple[int, ...]) -> str:
    missing = tuple(port for port in article if port not in catalog)
    extra = tuple(port for port in catalog if port not in article)
    effects = ([f"block {_ports(missing)}"] if missing else []) + (
        [f"allow {_ports(extra)} needlessly"] if extra else []
    )
    head = f"the article asks for {_ports(article)} where the catalog allows {_ports(catalog)}"
    return f"{head}: deployments {' and '.join(effects)}" if effects else head


def _bound_meaning(name: str, old: ProductVersion | None, new: ProductVersion | None) -> str:
    """Which releases a changed bound wrongly blocks or needlessly allows (``min``/``max`` inclusive,
    ``before`` exclusive)."""
    label = {"min_version": "from", "max_version": "up to", "before_version": "before"}[name]
    head = f"needed {label} {new or 'any release'} where the catalog says {label} {old or 'any release'}"
    if name == "min_version":
        narrower = old is None or (new is not None and new > old)
        low, high = (old, new) if narrower else (new, old)
        releases = (f"from {low} to before {high}" if low else f"before {high}") if high else "every release"
    elif name == "max_version":
        narrower = old is None or (new is not None and new < old)
        low, high = (new, old) if narrower else (old, new)
        releases = (f"after {low} up to {high}" if high else f"after {low}") if low else "every release"
    else:
        narrower = old is None or (new is not None and new < old)
        low, high = (new, old) if narrower else (old, new)
        releases = (f"from {low} to before {high}" if high else f"from {low}") if low else "every release"
    effect = "allow it needlessly" if narrower else "block it"
    return f"{head}: releases {releases} {effect}"


def _storage_meaning(old: str | None, new: str | None) -> str:
    def dropped_by(phase: str | None) -> str:
        return {"gcp": "--storage aws", "aws": "--storage gcp"}.get(phase or "", "no --storage choice")

    return f"the catalog drops it under {dropped_by(old)}, the article under {dropped_by(new)}"


def meaning(difference: Difference) -> str:
    """One sentence on what the difference means for a deployment that selects the role."""
    facts = difference.facts
    where = f"{facts.url} on {_ports(facts.ports)}{_conditions(facts)}"
    if difference.kind == "added":
        return (
            f"role {facts.role} gains {where}: the article asks for it and deployments selecting {facts.role} "
            "block it until the catalog lists it"
        )
    if difference.kind == "removed":
        entry = f" (entry {facts.entry})" if facts.entry else ""
        return (
            f"role {facts.role} loses {where}{entry}: the article no longer lists it, so deployments allow more "
            "than the vendor asks until the catalog drops it"
        )
    article, catalog = difference.article, difference.catalog
    assert article is not None and catalog is not None
    sentences = []
    for name in difference.fields:
        if name == "role":
            sentences.append(
                f"moves from role {catalog.role} to role {article.role}: {article.role} gains it and "
                f"{catalog.role} loses it"
            )
        elif name == "ports":
            sentences.append(_ports_meaning(article.ports, catalog.ports))
        elif name in ("min_version", "max_version", "before_version"):
            sentences.append(_bound_meaning(name, getattr(catalog, name), getattr(article, name)))
        elif name == "proxy":
            sentences.append(
                "now needed only behind a proxy: deployments without a proxy allow it needlessly"
                if article.proxy
                else "now needed with or without a proxy: deployments without a proxy block it"
            )
        elif name == "storage":
            sentences.append(
                f"storage phase {article.storage or 'none'} where the catalog says {catalog.storage or 'none'}: "
                + _storage_meaning(catalog.storage, article.storage)
            )
        elif name == "footnote":
            sentences.append(
                f"footnote {article.footnote or 'none'} where the catalog says {catalog.footnote or 'none'}"
                + ("" if article.footnote else ": the article no longer ties it to the storage move")
            )
        elif name == "path":
            sentences.append(
                f"path {article.path or '/'} where the catalog says {catalog.path or '/'}; a network control "
                "allows the whole host either way"
            )
    entry = f" (entry {catalog.entry})" if catalog.entry else ""
    return f"{article.role}: {facts.url}{entry} " + "; ".join(sentences)
