"""The catalog that agrees with an edition of the article: ``sep-egress catalog verify --propose OUT.yaml``.

The proposal is the current catalog with its entries rebuilt from the article's rows, as the catalog's own rule
says ("one entry = one set of URLs that share a role, ports, product-version bounds and conditions"):

- an entry whose URLs, role and conditions the article still gives is kept as written (id, texts, comments);
- an entry whose URLs overlap a row group of the article keeps its id and takes the article's URLs, role, ports,
  bounds, proxy condition, storage phase and footnote (disposition ``change``, with one impact per difference);
- a row group that matches no entry becomes a new entry with a new id that was never used (disposition ``add``);
- an entry the article no longer gives is dropped (disposition ``remove``).

``version`` is bumped and one ``changes`` record lists every id with its disposition and impact, as Microsoft
365's endpoint ``changes`` do. Everything outside ``entries`` (provenance, roles, notices, readings, comments) is
kept as written. The result is validated by the catalog schema before it is returned.
"""

from __future__ import annotations

import copy
import datetime
import os
import re
from dataclasses import dataclass
from typing import Any

from ...errors import CatalogError
from ..history import catalog_version_key
from ..roles import ROLES
from ..vendor.models import Catalog, Entry
from .drift import UrlFacts, article_facts, catalog_facts, comparable_path, compare
from .reader import Article, ArticleUrl, plain_text

Signature = tuple[Any, ...]


@dataclass
class _Group:
    """URLs of one article row that share role, ports and conditions: one catalog entry."""

    index: int
    items: list[ArticleUrl]
    ordinal: int = 0

    @property
    def first(self) -> ArticleUrl:
        return self.items[0]

    @property
    def role(self) -> str:
        return self.first.role

    def keys(self) -> set[tuple[str, str, str | None]]:
        return {_key(article_facts(item)) for item in self.items}

    def signature(self) -> Signature:
        return _signature(article_facts(self.first))


def _key(facts: UrlFacts) -> tuple[str, str, str | None]:
    return (facts.scheme, facts.host, comparable_path(facts.path))


def _signature(facts: UrlFacts) -> Signature:
    return (
        facts.ports,
        facts.min_version,
        facts.max_version,
        facts.before_version,
        facts.proxy,
        facts.storage,
        facts.footnote,
    )


def _groups(article: Article) -> list[_Group]:
    groups: list[_Group] = []
    by_key: dict[tuple[int, Signature], _Group] = {}
    rows: dict[str, list[int]] = {}
    for item in article.urls:
        seen = rows.setdefault(item.role, [])
        if not seen or seen[-1] != item.row_index:
            seen.append(item.row_index)
        key = (item.row_index, _signature(article_facts(item)))
        if key not in by_key:
            by_key[key] = _Group(len(groups), [], len(seen))
            groups.append(by_key[key])
        by_key[key].items.append(item)
    return groups


def _entry_facts(catalog: Catalog) -> dict[str, list[UrlFacts]]:
    facts: dict[str, list[UrlFacts]] = {}
    for item in catalog_facts(catalog):
        assert item.entry is not None
        facts.setdefault(item.entry, []).append(item)
    return facts


def _match(groups: list[_Group], catalog: Catalog) -> dict[int, Entry]:
    """Pair article groups with catalog entries: same role first, then across roles (a moved row)."""
    facts = _entry_facts(catalog)
    entries = [entry for entry in catalog.entries if entry.id in facts]
    matched: dict[int, Entry] = {}
    claimed: set[str] = set()
    for same_role in (True, False):
        candidates = []
        for group in groups:
            if group.index in matched:
                continue
            keys = group.keys()
            for position, entry in enumerate(entries):
                if entry.id in claimed or (entry.role == group.role) != same_role:
                    continue
                entry_keys = {_key(item) for item in facts[entry.id]}
                overlap = len(keys & entry_keys)
                if not overlap:
                    continue
                same = group.signature() == _signature(facts[entry.id][0])
                distance = abs(group.ordinal - facts[entry.id][0].row_ordinal)
                candidates.append((not same, -overlap, distance, group.index, position, entry))
        candidates.sort(key=lambda candidate: candidate[:5])
        for _, _, _, group_index, _, entry in candidates:
            if group_index in matched or entry.id in claimed:
                continue
            matched[group_index] = entry
            claimed.add(entry.id)
    return matched


# ---- YAML ----------------------------------------------------------------------------------------------------------


#: Keys written plain (identifiers, URLs), as flow lists, or quoted/folded (texts and versions) in the catalog.
_PLAIN_KEYS = frozenset({"id", "role", "storage", "footnote", "disposition", "urls", "proxy"})
_FLOW_KEYS = frozenset({"ports", "added", "removed", "changed", "impact"})
_FOLD_AT = 90


def _render_item(document: dict[str, Any]) -> str:
    """One list item (an entry or a change record) as YAML in the catalog's hand-written style (short texts and
    versions double-quoted, long texts folded, ids and URLs plain, ports and id lists inline), indented to sit
    under a top-level key."""
    import yaml

    class Quoted(str):
        pass

    class Folded(str):
        pass

    class Inline(list):  # type: ignore[type-arg]
        pass

    class CatalogDumper(yaml.SafeDumper):
        # Lists indented under their key, as the catalog is written by hand.
        def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
            return super().increase_indent(flow, False)

    CatalogDumper.add_representer(
        Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')
    )
    CatalogDumper.add_representer(
        Folded, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style=">")
    )
    CatalogDumper.add_representer(
        Inline, lambda dumper, value: dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=True)
    )

    def styled(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return {name: styled(item, name) for name, item in value.items()}
        if isinstance(value, list | tuple):
            if key in _FLOW_KEYS:  # ports and ids: plain, on one line
                return Inline(value)
            return [styled(item, key) for item in value]
        if isinstance(value, str) and key not in _PLAIN_KEYS:
            return Folded(value) if len(value) > _FOLD_AT and "\n" not in value else Quoted(value)
        return value

    text = yaml.dump([styled(document, "")], Dumper=CatalogDumper, sort_keys=False, allow_unicode=True, width=110)
    return "".join(f"  {line}\n" if line else "\n" for line in text.rstrip("\n").split("\n"))


@dataclass
class _Block:
    entry_id: str
    prefix: list[str]
    body: list[str]


_TOP_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*):")
_BLOCK_START = re.compile(r"^  - id: *[\"']?(?P<id>[a-z0-9-]+)[\"']?\s*$")


def _layout(text: str) -> tuple[list[str], list[_Block], list[str], list[str]] | None:
    """Split a catalog file into (head, entry blocks, tail after entries, changes section), or None."""
    lines = text.split("\n")
    tops = [(index, match["key"]) for index, line in enumerate(lines) if (match := _TOP_KEY.match(line))]
    keys = [key for _, key in tops]
    if "entries" not in keys or "changes" not in keys or keys[-1] != "changes":
        return None
    entries_at = next(index for index, key in tops if key == "entries")
    after_entries = next(index for index, _ in tops if index > entries_at)
    changes_at = next(index for index, key in tops if key == "changes")
    blocks: list[_Block] = []
    pending: list[str] = []
    for line in lines[entries_at + 1 : after_entries]:
        start = _BLOCK_START.match(line)
        if start:
            blocks.append(_Block(start["id"], pending, [line]))
            pending = []
        elif line.strip().startswith("#") and len(line) - len(line.lstrip()) <= 2:
            pending.append(line)
        elif not line.strip():
            (pending if pending or not blocks else blocks[-1].body).append(line)
        elif blocks and not pending:
            blocks[-1].body.append(line)
        else:
            return None
    for block in blocks:
        while block.body and not block.body[-1].strip():
            block.body.pop()
    head = lines[: entries_at + 1]
    return head, blocks, lines[after_entries:changes_at] + pending, lines[changes_at:]


# ---- the proposal --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """The proposed catalog file's text, its version, and the ids by disposition."""

    text: str
    version: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]


def today() -> datetime.date:
    """Today in UTC, or the day of ``SOURCE_DATE_EPOCH`` when it is set (reproducible proposals)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not epoch:
        return datetime.datetime.now(tz=datetime.UTC).date()
    # reproducible-builds.org: "an integer ... number of seconds since the epoch"; anything else is an error, not a
    # silent fallback to today (which would make the "reproducible" proposal depend on the day it runs).
    shown = repr(epoch[:24] + ("..." if len(epoch) > 24 else ""))
    if not (epoch.isascii() and epoch.isdigit()) or len(epoch) > 12:
        raise CatalogError("SOURCE_DATE_EPOCH", [("", f"{shown} is not a number of seconds since 1970-01-01 UTC")])
    try:
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC).date()
    except (OverflowError, ValueError, OSError):
        raise CatalogError("SOURCE_DATE_EPOCH", [("", f"{shown} is past the last day a date can hold")]) from None


def next_version(current: str, history: list[str], day: datetime.date) -> str:
    """A catalog version after ``current`` and every version in ``history``: the day, or the day's next ``.N``."""
    latest = max([current, *history], key=catalog_version_key)
    candidate = day.strftime("%Y.%m.%d")
    if catalog_version_key(candidate) > catalog_version_key(latest):
        return candidate
    parts = latest.split(".")
    if len(parts) == 4:
        return ".".join([*parts[:3], str(int(parts[3]) + 1)])
    return f"{latest}.1"


def _new_id(role: str, host: str, taken: set[str]) -> str:
    base = f"{role}-{host.replace('.', '-')}"
    base = base[:60].rstrip("-")
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _impacts(group: _Group, entry_facts: list[UrlFacts]) -> list[str]:
    article_side = [article_facts(item) for item in group.items]

    def paths(facts: list[UrlFacts]) -> dict[tuple[str, str], set[str | None]]:
        found: dict[tuple[str, str], set[str | None]] = {}
        for item in facts:
            found.setdefault((item.scheme, item.host), set()).add(comparable_path(item.path))
        return found

    new, old = paths(article_side), paths(entry_facts)
    impacts = []
    if group.role != entry_facts[0].role:
        impacts.append("changed-role")
    if set(new) - set(old):
        impacts.append("added-url")
    if set(old) - set(new):
        impacts.append("removed-url")
    names = ("ports", "min-version", "max-version", "before-version", "proxy", "storage", "footnote")
    for name, new_value, old_value in zip(names, _signature(article_side[0]), _signature(entry_facts[0]), strict=True):
        if new_value != old_value:
            impacts.append(f"changed-{name}")
    if any(new[host] != old[host] for host in set(new) & set(old)):
        impacts.append("changed-path")
    return impacts


def _apply(document: dict[str, Any], group: _Group, raw_urls: dict[tuple[str, str, str | None], str]) -> None:
    facts = article_facts(group.first)
    document["role"] = group.role
    document["urls"] = [raw_urls.get(_key(article_facts(item)), article_facts(item).url) for item in group.items]
    document["ports"] = list(facts.ports)
    for name in ("min_version", "max_version", "before_version"):
        value = getattr(facts, name)
        if value is None:
            document.pop(name, None)
        else:
            document[name] = str(value)
    if facts.proxy:
        document["when"] = {"proxy": True}
    else:
        document.pop("when", None)
    for name in ("storage", "footnote"):
        value = getattr(facts, name)
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value


def _detail(entry_id: str, disposition: str, impact: list[str], note: str) -> dict[str, Any]:
    return {"id": entry_id, "disposition": disposition, "impact": impact, "note": note}


def propose(article: Article, catalog: Catalog, text: str, source: str, day: datetime.date | None = None) -> Proposal:
    """The catalog file (text) that agrees with ``article``, built from ``catalog`` and its file ``text``."""
    from ..bounded_yaml import parse_yaml
    from ..validation import validate_document
    from ..vendor.schema import CatalogDocument

    missing = [role for role in ROLES if role not in article.tables]
    if missing:
        # A table the reader did not find (a reworded heading) is unread, not emptied: proposing would drop its
        # entries, or give its rows to the table above it.
        raise CatalogError(
            source,
            [
                (
                    "",
                    f"no proposal: the article's table(s) for {', '.join(missing)} were not found (a heading "
                    "sep-egress does not recognise?); check the article by hand (docs/catalog.md)",
                )
            ],
        )
    raw = parse_yaml(text.encode("utf-8"), source)
    raw_entries = {item["id"]: item for item in raw["entries"]}
    groups = _groups(article)
    matched = _match(groups, catalog)
    facts = _entry_facts(catalog)
    taken = {entry.id for entry in catalog.entries}
    for change in catalog.changes:
        taken.update(change.added, change.removed, change.changed)
    shared_host = {url.host: entry.shared_host for entry in catalog.entries if entry.shared_host for url in entry.urls}

    documents: dict[str, dict[str, Any]] = {}
    unchanged: set[str] = set()
    details: list[dict[str, Any]] = []
    order: list[str] = []
    added, changed = [], []
    for group in groups:
        entry = matched.get(group.index)
        if entry is not None:
            entry_side = facts[entry.id]
            impacts = _impacts(group, entry_side)
            order.append(entry.id)
            if not impacts:
                unchanged.add(entry.id)
                documents[entry.id] = raw_entries[entry.id]
                continue
            document = copy.deepcopy(raw_entries[entry.id])
            raw_urls = {_key(item): url.raw for item, url in zip(entry_side, entry.urls, strict=True)}
            _apply(document, group, raw_urls)
            documents[entry.id] = document
            changed.append(entry.id)
            hosts = ", ".join(sorted({item.url.host for item in group.items}))
            details.append(_detail(entry.id, "change", impacts, f"{group.role}: {hosts}"))
            continue
        first = group.first
        entry_id = _new_id(group.role, first.url.host, taken)
        title = plain_text(first.row) or first.url.host
        document = {
            "id": entry_id,
            "role": group.role,
            "row": title,
            "usage": {"en": f"New in the {article.edition} edition of the article: {title}. Describe before merging."},
        }
        if article.language == "fr":
            document["usage"] = {"fr": title, **document["usage"]}
        _apply(document, group, {})
        host_note = next((shared_host[item.url.host] for item in group.items if item.url.host in shared_host), None)
        if host_note:
            document["shared_host"] = host_note
        documents[entry_id] = document
        order.append(entry_id)
        added.append(entry_id)
        hosts = ", ".join(sorted({item.url.host for item in group.items}))
        details.append(_detail(entry_id, "add", ["added-entry"], f"{group.role}: {hosts}"))
    removed = [entry.id for entry in catalog.entries if entry.id in facts and entry.id not in order]
    for entry_id in removed:
        hosts = ", ".join(sorted({item.host for item in facts[entry_id]}))
        role = facts[entry_id][0].role
        details.append(_detail(entry_id, "remove", ["removed-entry"], f"{role}: {hosts}"))
    # Entries the article cannot describe (CIDR-only entries) stay as they are.
    for entry in catalog.entries:
        if entry.id not in facts:
            order.append(entry.id)
            unchanged.add(entry.id)
            documents[entry.id] = raw_entries[entry.id]

    day = day or today()
    version = next_version(catalog.version, [change.version for change in catalog.changes], day)
    counts = f"{len(added)} added, {len(removed)} removed, {len(changed)} changed"
    record: dict[str, Any] = {
        "version": version,
        "date": day.isoformat(),
        "summary": (
            f"Proposed by `sep-egress catalog verify --propose` from the {article.edition} edition of the article "
            f"({article.title}): {counts}. Review each change against the article before merging."
        ),
        "added": added,
        "removed": removed,
        "changed": changed,
        "details": details,
    }
    out = _write(text, raw, catalog, order, documents, unchanged, record, version)
    out = record_retrieved(out, article.language, day)
    document = validate_document(CatalogDocument, parse_yaml(out.encode("utf-8"), source), source)
    # Lines the reader could not read (``article.problems``) are left out; everything it read must now agree.
    check = compare(article, document.to_model())
    if check.added or check.removed or check.changed:
        raise CatalogError(source, [("", "the proposed catalog does not agree with the article (a sep-egress bug)")])
    return Proposal(out, version, tuple(added), tuple(removed), tuple(changed))


def _write(
    text: str,
    raw: dict[str, Any],
    catalog: Catalog,
    order: list[str],
    documents: dict[str, dict[str, Any]],
    unchanged: set[str],
    record: dict[str, Any],
    version: str,
) -> str:
    """The proposed file: the original text outside ``entries``, kept blocks verbatim, the rest rendered."""
    layout = _layout(text)
    roles = {entry_id: documents[entry_id]["role"] for entry_id in order}
    original = [entry.id for entry in catalog.entries]
    # Keep the catalog's order; an entry that changed role or is new goes after the last entry of its role.
    sequence = [entry_id for entry_id in original if entry_id in documents and entry_id in order]
    relocated = [
        entry_id
        for entry_id in order
        if entry_id not in original or roles[entry_id] != _catalog_role(catalog, entry_id)
    ]
    sequence = [entry_id for entry_id in sequence if entry_id not in relocated]
    for entry_id in relocated:
        positions = [index for index, other in enumerate(sequence) if roles[other] == roles[entry_id]]
        sequence.insert(positions[-1] + 1 if positions else len(sequence), entry_id)
    if layout is None:
        import yaml

        document = dict(raw)
        document["version"] = version
        document["entries"] = [documents[entry_id] for entry_id in sequence]
        document["changes"] = [*raw["changes"], record]
        return str(yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110))
    head, blocks, tail, changes = layout
    by_id = {block.entry_id: block for block in blocks}
    originals = {item["id"]: item for item in raw["entries"] if isinstance(item, dict) and "id" in item}
    out = [re.sub(r"^version: .*$", f'version: "{version}"', line) for line in head]
    # A section comment sits before the first entry of its section: when that entry is removed or moves to
    # another role, the comment passes to the next entry that stays, so no comment is lost or misplaced.
    prefixes: dict[str, list[str]] = {}
    carried: list[str] = []
    for block in blocks:
        if block.entry_id not in sequence or block.entry_id in relocated:
            carried.extend(block.prefix)
        else:
            prefixes[block.entry_id] = carried + block.prefix
            carried = []
    for entry_id in sequence:
        out.extend(prefixes.get(entry_id, []))
        if entry_id in unchanged and entry_id in by_id:
            out.extend(by_id[entry_id].body)
        elif entry_id in by_id and entry_id in originals:
            patched = _patch_block(by_id[entry_id].body, originals[entry_id], documents[entry_id])
            out.extend(patched or _render_item(documents[entry_id]).rstrip("\n").split("\n"))
        else:
            out.extend(_render_item(documents[entry_id]).rstrip("\n").split("\n"))
        out.append("")
    if any(line.strip() for line in carried):
        out.extend(carried)
        out.append("")
    out.extend(tail)
    body = "\n".join(out + changes).rstrip("\n") + "\n"
    return body + _render_item(record)


_EDITION_ITEM = re.compile(r"^(?P<indent> +)- ")


def record_retrieved(text: str, language: str, day: datetime.date) -> str:
    """``text`` with ``retrieved: <day>`` on the edition of ``source.editions`` that was read: the one edition in
    the article's language that is not a knowledge-base page (``kb``), the form the reader reads. Left as it is
    when no edition, or more than one, fits: the proposal never guesses which page it read."""
    lines = text.split("\n")
    start = next((index for index, line in enumerate(lines) if line.strip() == "editions:"), None)
    if start is None:
        return text
    items: list[list[int]] = []
    base = len(lines[start]) - len(lines[start].lstrip())
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if line.strip() and len(line) - len(line.lstrip()) <= base and not _EDITION_ITEM.match(line):
            break
        if _EDITION_ITEM.match(line) and len(_EDITION_ITEM.match(line)["indent"]) > base:  # type: ignore[index]
            items.append([])
        if items:
            items[-1].append(index)
    fitting = []
    for item in items:
        fields = {}
        for index in item:
            match = re.match(r"^[ -]*(?P<key>[a-z_]+):\s*(?P<value>.*)$", lines[index])
            if match and match["key"] not in fields:
                fields[match["key"]] = (index, match["value"].strip().strip('"'))
        if fields.get("language", (0, ""))[1] == language and "kb" not in fields and "retrieved" in fields:
            fitting.append(fields["retrieved"][0])
    if len(fitting) != 1:
        return text
    index = fitting[0]
    lines[index] = re.sub(r"retrieved:.*$", f"retrieved: {day.isoformat()}", lines[index])
    return "\n".join(lines)


_KEY_LINE = re.compile(r"^(?:  - |    )(?P<key>[a-z_]+):")


def _patch_block(body: list[str], original: dict[str, Any], new: dict[str, Any]) -> list[str] | None:
    """The entry's original lines with only the changed keys rewritten (or None when the block is not in the
    shape this can patch): comments, texts and line breaks the proposal did not touch stay as they were."""
    from ..bounded_yaml import parse_yaml

    segments: list[tuple[str | None, list[str]]] = []
    for line in body:
        found = _KEY_LINE.match(line)
        if found:
            segments.append((found["key"], [line]))
        elif line.startswith("     ") and segments:
            segments[-1][1].append(line)
        else:
            segments.append((None, [line]))  # a comment of its own: kept in place
    present = {key for key, _ in segments}
    changed = [key for key in new if new[key] != original.get(key)]
    gone = [key for key in original if key not in new]
    patched: list[str] = []
    for key, lines in segments:
        if key in gone:
            continue
        if key is not None and key in changed:
            rendered = _render_item({key: new[key]}).rstrip("\n").split("\n")
            rendered[0] = ("  - " if lines[0].startswith("  - ") else "    ") + rendered[0][4:]
            patched.extend(rendered)
        else:
            patched.extend(lines)
    for name in changed:
        if name not in present:
            rendered = _render_item({name: new[name]}).rstrip("\n").split("\n")
            patched.extend(["    " + rendered[0][4:], *rendered[1:]])
    try:
        reread = parse_yaml(("\n".join(patched) + "\n").encode("utf-8"), "patched entry")
    except CatalogError:
        return None
    # A block in an unexpected shape falls back to rendering the whole entry.
    return patched if reread == [new] else None


def _catalog_role(catalog: Catalog, entry_id: str) -> str | None:
    return next((entry.role for entry in catalog.entries if entry.id == entry_id), None)
