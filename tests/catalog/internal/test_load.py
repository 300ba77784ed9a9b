"""The internal catalog as shipped: every path the documentation states, its sources, what it could not transcribe, and
ids that never collide with the vendor catalog's."""

from __future__ import annotations

from sep_egress.catalog import Catalog
from sep_egress.catalog.internal import InternalCatalog

from support import ROOT

TECHDOCS = (
    "https://techdocs.broadcom.com/fr/fr/symantec-security-software/endpoint-security-and-management/"
    "endpoint-protection/all/getting-up-and-running-on-for-the-first-time-v45150512-d43e1033/"
    "communication-ports-for-symantec-endpoint-protecti-v7054802-d23e797.html"
)


KB_158445 = "https://knowledge.broadcom.com/external/article?articleId=158445"


# The facts as the documentation states them, written out here from the sources (not from the YAML):
# - techdocs "Ports de communication pour Symantec Endpoint Protection" (TECHDOCS, fr; de/it/pl editions for the
#   TCP 2967 row, whose French cell is cut in the stored copy): TCP 139, 445 + UDP 137, 138 push deployment from
#   SEPM to Windows computers, "Non configurable", "Toutes"; TCP 22 push deployment to Macs, "Non configurable",
#   "Toutes"; TCP 2967 Group Update Provider web caching proxy, initiated by the clients, "Konfigurierbar"/
#   "Configurabile", all versions.
# - KB 158445 (en): clients to the manager's Apache on TCP 443 (HTTPS) and 8014 (HTTP) "by default"; managers to
#   managers over 8443/HTTPS; the web console over 8443/HTTPS; the Reporting Server site over 8445/HTTPS (the
#   console's Home, Monitors and Reports tabs); the Web Services site over 8446/HTTPS.
# (id, from role, destination kind, transport, ports, configurable, optional, source, words the quote must hold)
DOCUMENTED: tuple[tuple[str, str, str, str, tuple[int, ...], bool, bool, str, tuple[str, ...]], ...] = (
    ("sepm-agent-https", "agent", "sepm", "tcp", (443,), True, False, "kb-158445", ("By default", "TCP port 443")),
    ("sepm-agent-http", "agent", "sepm", "tcp", (8014,), True, True, "kb-158445", ("TCP port 8014", "HTTP")),
    ("gup-agent-proxy", "agent", "gup", "tcp", (2967,), True, False, "techdocs-ports", ("TCP 2967", "Konfigurierbar")),
    ("sepm-console-web", "console", "sepm", "tcp", (8443,), False, False, "kb-158445", ("Web console", "8443/HTTPS")),
    ("sepm-console-reporting", "console", "sepm", "tcp", (8445,), False, False, "kb-158445", ("Reporting", "8445")),
    ("sepm-console-web-services", "console", "sepm", "tcp", (8446,), False, True, "kb-158445",
     ("Web Services", "8446")),
    ("sepm-replication", "sepm", "sepm", "tcp", (8443,), False, True, "kb-158445", ("other managers", "8443/HTTPS")),
    ("clients-push-windows-tcp", "sepm", "clients", "tcp", (139, 445), False, False, "techdocs-ports",
     ("TCP 139, 445", "Windows", "Non configurable", "Toutes")),
    ("clients-push-windows-udp", "sepm", "clients", "udp", (137, 138), False, False, "techdocs-ports",
     ("UDP 137, 138", "Windows", "Non configurable", "Toutes")),
    ("clients-push-mac", "sepm", "clients", "tcp", (22,), False, True, "techdocs-ports",
     ("TCP 22", "Mac", "Non configurable", "Toutes")),
)  # fmt: skip


def test_every_documented_path_is_in_the_file_as_the_documentation_states_it(internal: InternalCatalog) -> None:
    assert [path.id for path in internal.paths] == [row[0] for row in DOCUMENTED]
    for path_id, role, kind, protocol, ports, configurable, optional, source, words in DOCUMENTED:
        path = internal.path(path_id)
        assert path is not None
        assert (path.from_role, path.to, path.protocol, path.ports) == (role, kind, protocol, ports), path_id
        assert (path.configurable, path.optional, path.source) == (configurable, optional, source), path_id
        for word in words:
            assert word in path.quote.text, (path_id, word)
        for port in ports:  # the quote carries every port the path opens
            assert str(port) in path.quote.text, (path_id, port)
        assert path.quote.language == ("en" if source == "kb-158445" else path.quote.language)
        # "Toutes"/"Alle" (all versions) and the KB's silence give no version bound
        assert (path.min_version, path.max_version, path.before_version) == (None, None, None)
        assert path.blocked and path.usage


def test_the_file_names_its_sources_and_what_it_could_not_transcribe(internal: InternalCatalog) -> None:
    assert internal.sources["techdocs-ports"].url == TECHDOCS
    assert internal.sources["techdocs-ports"].language == "fr"
    assert internal.sources["kb-158445"].url == KB_158445
    assert internal.sources["kb-158445"].language == "en"
    for source in internal.sources.values():
        assert source.publisher == "Broadcom" and source.read
    subjects = " ".join(subject for subject, _ in internal.not_transcribed)
    for missing in ("1433", "2638", "LiveUpdate Administrator", "2968"):
        assert missing in subjects  # left out rather than guessed
    for reading in internal.readings:
        assert reading.source in internal.sources and reading.text and reading.reading


def test_internal_ids_never_collide_with_the_catalog(catalog: Catalog, internal: InternalCatalog) -> None:
    assert not {path.id for path in internal.paths} & {entry.id for entry in catalog.entries}


def test_the_docs_table_of_paths_matches_the_file(internal: InternalCatalog) -> None:
    text = (ROOT / "docs" / "internal.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| `")]
    table = {cells[0].strip().strip("`"): [cell.strip() for cell in cells[1:]] for cells in rows}
    assert list(table) == [path.id for path in internal.paths]
    for path in internal.paths:
        role, kind, transport, configurable, selected, _ = table[path.id]
        assert (role, kind, configurable) == (path.from_role, path.to, "yes" if path.configurable else "no")
        assert transport.startswith(f"{path.protocol.upper()} {', '.join(map(str, path.ports))}")
        assert (selected == "optional") == path.optional
