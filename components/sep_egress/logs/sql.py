"""The classification of ``logs explain`` as one SQL query, for the engines where an organisation's logs live.

- ``athena``: AWS Network Firewall alert logs in S3, in the table AWS documents for Athena
  (``network_firewall_alert_logs``, "Create and query a table for alert logs",
  https://docs.aws.amazon.com/athena/latest/ug/querying-network-firewall-logs-sample-alert-logs-table.html), with
  the two structs its sample DDL leaves out and Network Firewall writes: ``tls struct<sni:string>`` and ``http
  struct<hostname:string>`` (docs/rollout.md gives the DDL).
- ``bigquery``: Cloud Logging's BigQuery export (https://cloud.google.com/logging/docs/export/bigquery): the
  firewall log's table ``compute_googleapis_com_firewall`` and the Cloud DNS table
  ``dns_googleapis_com_dns_queries`` (a log ID's ``.`` and ``/`` become ``_``), ``jsonPayload`` as a record,
  ``timestamp`` a TIMESTAMP.

The catalog and the selection are inlined: every name the catalog or the plan knows with, per port and source,
the verdict ``Classifier`` gives it (so the SQL and ``logs explain`` cannot disagree on the catalog's reading);
the stack's refusing rules; the source ranges and plan address rules as IPv4 integer intervals; the internal paths
per port; the shared and storage domains. The query uses only what Trino (Athena), BigQuery and DuckDB share
(``REGEXP_EXTRACT`` without capture groups, ``STRPOS``, ``SUBSTR``, ``CONCAT``, ``ROW_NUMBER``), except where the
dialects differ: Athena's inline tables are ``VALUES``, BigQuery's ``SELECT ... UNION ALL`` (it has no VALUES);
the time is ``CAST(event_timestamp AS BIGINT)`` in Athena, ``UNIX_SECONDS(timestamp)`` in BigQuery; text is
``VARCHAR`` in Athena, ``STRING`` in BigQuery.

What it leaves to ``logs explain``: IPv6 sources and addresses (no integer intervals), a declared internal
address on an optional path not selected (the SQL always proposes declaring the address), and, for an address
several DNS answers name, only the first DNS answer of each address in each line's text is read.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterable, Sequence
from typing import Literal

from ..catalog.roles import ROLES, Role
from .classify import CLASSES, Classifier
from .controls import Controls

Engine = Literal["athena", "bigquery"]
_UNKNOWN = "unknown"
#: An address no declaration covers, to ask the classifier for the internal verdict of a port.
_PROBE_ADDRESSES = ("10.255.255.254", "172.31.255.254", "192.168.255.254")


def _text(value: object) -> str:
    """A SQL literal; NULL for None. Text is inlined only when it needs no escape: the dialects escape a quote
    differently (``''`` in Trino, ``\\'`` in BigQuery) and BigQuery reads backslashes as escapes. Everything inlined
    is built from validated names, ids, ports and versions, so a value that would need one is a bug, refused."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if any(char in "'\\" or not char.isprintable() for char in text):
        raise ValueError(f"not inlined into SQL: {text!r}")
    return f"'{text}'"


def _table(engine: Engine, name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[object]]) -> str:
    """An inline table: ``VALUES`` for Athena, ``SELECT ... UNION ALL`` for BigQuery; typed NULLs when empty."""
    text_type = "VARCHAR" if engine == "athena" else "STRING"
    kinds = {"text": text_type, "int": "BIGINT", "bool": "BOOLEAN"}
    rows = list(rows)
    names = [column for column, _ in columns]
    if not rows:
        nulls = ", ".join(f"CAST(NULL AS {kinds[kind]}) AS {column}" for column, kind in columns)
        # Column names and types are this module's constants; no value of the input is in this text.
        return f"{name} AS (SELECT {nulls} FROM (SELECT 1 AS one) AS empty WHERE 1 = 0)"  # noqa: S608
    if engine == "athena":
        values = ",\n    ".join("(" + ", ".join(_text(value) for value in row) + ")" for row in rows)
        return f"{name} ({', '.join(names)}) AS (VALUES\n    {values})"
    selects = "\n    UNION ALL ".join(
        "SELECT " + ", ".join(f"{_text(value)} AS {column}" for value, column in zip(row, names, strict=True))
        for row in rows
    )
    return f"{name} AS (\n    {selects})"


def _ip4(column: str) -> str:
    """An IPv4 address as an integer (NULL for anything else), with no dialect-specific function."""

    def octet(count: int) -> str:
        prefix = "^[0-9]+" + "[.][0-9]+" * (count - 1)
        return f"CAST(REGEXP_EXTRACT(REGEXP_EXTRACT({column}, '{prefix}'), '[0-9]+$') AS BIGINT)"

    value = f"{octet(1)} * 16777216 + {octet(2)} * 65536 + {octet(3)} * 256 + {octet(4)}"
    return f"CASE WHEN {column} LIKE '%.%.%.%' AND {column} NOT LIKE '%:%' THEN {value} END"


_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"


def _logged_name(column: str) -> str:
    """A logged name (SNI, Host, DNS query) as ``logs explain`` reads it (``readers._canonical_name``): lower case,
    without a port or trailing dots; NULL when it is not a host name (a character outside ``[a-z0-9._*-]``, more than
    253 characters, an IPv4 address), so the flow goes by its address. DuckDB's REGEXP_EXTRACT gives '' where Trino
    and BigQuery give NULL: NULLIF makes them one."""
    text = f"TRIM(LOWER({column}))"
    whole = f"REGEXP_EXTRACT({text}, '^[a-z0-9._*-]+(?::[^:]*)?$')"
    host = f"NULLIF(REGEXP_EXTRACT({whole}, '^[a-z0-9._*-]*[a-z0-9_*-]'), '')"
    address = f"^(?:{_OCTET}[.]){{3}}{_OCTET}$"
    return f"CASE WHEN LENGTH({host}) <= 253 AND COALESCE(REGEXP_EXTRACT({host}, '{address}'), '') = '' THEN {host} END"


def _private(column: str) -> str:
    """RFC 1918 (the addresses ``ipaddress`` calls private that internal paths can have) for IPv4 text."""
    ranges = "^(?:10[.]|192[.]168[.]|172[.](?:1[6-9]|2[0-9]|3[01])[.])"
    return f"COALESCE(REGEXP_EXTRACT({column}, '{ranges}'), '') <> ''"


def _intervals(networks: Iterable[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Elementary IPv4 intervals of labelled networks, each with the union of labels covering it (role order)."""
    spans = []
    for cidr, label in networks:
        network = ipaddress.ip_network(cidr)
        if network.version == 4:
            spans.append((int(network.network_address), int(network.broadcast_address), label))
    cuts = sorted({lo for lo, _, _ in spans} | {hi + 1 for _, hi, _ in spans})
    found = []
    for lo, after in itertools.pairwise(cuts):
        labels = {part for start, end, label in spans if start <= lo and after - 1 <= end for part in label.split("+")}
        if labels:
            ordered = [role for role in ROLES if role in labels] + sorted(labels - set(ROLES))
            found.append((lo, after - 1, "+".join(ordered)))
    return found


def query(engine: Engine, classifier: Classifier, controls: Controls) -> str:
    """The SQL text: one statement whose rows are (source, destination, port, transport, outcome, class, entry,
    change, count, first_seen, last_seen), in the order ``logs explain --format json`` lists them."""
    plan = classifier.plan
    vendor = "aws" if engine == "athena" else "gcp"
    # Every source label a row can carry, with its roles: the refusing rules', the GCP groups', the ranges'.
    labels: dict[str, tuple[Role, ...] | None] = {_UNKNOWN: None}
    rule_rows = []
    for (rule_vendor, key), refusing in sorted(controls.refusing.items()):
        if rule_vendor == vendor:
            labels[refusing.source] = refusing.roles or None
            rule_rows.append((key, refusing.source, True))
    if vendor == "gcp":
        for key, (label, roles) in sorted(controls.gcp_groups.items()):
            labels.setdefault(label, roles)
            if ("gcp", key) not in controls.refusing:
                rule_rows.append((key, label, False))
    source_rows = _intervals((str(network), "+".join(roles)) for network, roles in controls.sources)
    for _, _, label in source_rows:
        labels.setdefault(label, tuple(role for role in ROLES if role in label.split("+")))
    # The verdict of every known name, per port and source.
    hosts: dict[tuple[str, bool], set[int]] = {}
    for entry in classifier.selection.entries:
        for url in entry.urls:
            hosts.setdefault((url.host, url.suffix), set()).update(entry.url_ports(url))
    for rule in plan.allow:
        hosts.setdefault((rule.host, rule.match == "suffix"), set()).add(rule.port)
    name_rows = []
    for (host, suffix), ports in sorted(hosts.items()):
        for port in sorted(ports):
            for label in sorted(labels):
                verdict = classifier.classify(host, None, port, "tcp", labels[label], label)
                if verdict.klass != "unknown":
                    name_rows.append((host, suffix, port, label, verdict.klass, verdict.entry, verdict.change))
    catalog_rows = [(host, suffix) for host, suffix in sorted(hosts)]
    # Plan address rules, per interval, port and source.
    ip_rows = []
    for cidr_rule in plan.cidrs:
        network = ipaddress.ip_network(cidr_rule.cidr)
        if network.version != 4:
            continue
        probe = str(network.network_address)
        for label in sorted(labels):
            verdict = classifier.classify(None, probe, cidr_rule.port, cidr_rule.protocol, labels[label], label)
            if verdict.klass in ("allowed-now", "left-out"):
                lo, hi = int(network.network_address), int(network.broadcast_address)
                ip_rows.append(
                    (lo, hi, cidr_rule.port, cidr_rule.protocol, label, verdict.klass, verdict.entry, verdict.change)
                )
    # Internal paths per port, transport and source, for an address no declaration covers.
    declared = [
        ipaddress.ip_network(cidr) for _, cidrs in (plan.internal.addresses if plan.internal else ()) for cidr in cidrs
    ]
    probe_address = next(a for a in _PROBE_ADDRESSES if not any(ipaddress.ip_address(a) in n for n in declared))
    internal_rows = []
    internal_ports = sorted(
        {
            (port, path.protocol)
            for path in classifier.selection.internal.paths
            for port in (plan.internal.ports_of(path) if plan.internal else path.ports)
        }
    )
    for port, transport in internal_ports:
        for label in sorted(labels):
            internal = classifier.internal_verdict(probe_address, port, transport, labels[label])
            if internal is not None and internal.change is not None:
                change = internal.change.replace(probe_address, "{ip}")
                internal_rows.append((port, transport, label, internal.entry, change))
    wide_rows = [(host, "shared") for host in classifier.shared_hosts] + [
        (domain, "storage") for domain in classifier.storage_domains
    ]
    tables = [
        _table(engine, "sep_rules", (("rule_key", "text"), ("source", "text"), ("refusing", "bool")), rule_rows),
        _table(engine, "sep_sources", (("lo", "int"), ("hi", "int"), ("source", "text")), source_rows),
        _table(
            engine,
            "sep_names",
            (
                ("host", "text"),
                ("suffix", "bool"),
                ("port", "int"),
                ("source", "text"),
                ("class", "text"),
                ("entry", "text"),
                ("change", "text"),
            ),
            name_rows,
        ),
        _table(engine, "sep_catalog_hosts", (("host", "text"), ("suffix", "bool")), catalog_rows),
        _table(
            engine,
            "sep_addresses",
            (
                ("lo", "int"),
                ("hi", "int"),
                ("port", "int"),
                ("transport", "text"),
                ("source", "text"),
                ("class", "text"),
                ("entry", "text"),
                ("change", "text"),
            ),
            ip_rows,
        ),
        _table(
            engine,
            "sep_internal",
            (("port", "int"), ("transport", "text"), ("source", "text"), ("entry", "text"), ("change", "text")),
            internal_rows,
        ),
        _table(engine, "sep_wide", (("domain", "text"), ("kind", "text")), wide_rows),
    ]
    return _statement(engine, tables)


def _flows(engine: Engine) -> str:
    """The decided flows of the engine's tables: rule key, addresses, port, transport, name, time, refused."""
    if engine == "athena":
        return f"""flows AS (
  SELECT
    CAST(event.alert.signature_id AS VARCHAR) AS rule_key,
    event.src_ip AS src_ip,
    event.dest_ip AS dest_ip,
    CAST(event.dest_port AS BIGINT) AS port,
    LOWER(event.proto) AS transport,
    COALESCE({_logged_name("event.tls.sni")}, {_logged_name("event.http.hostname")},
      {_logged_name("event.sni")}) AS name,
    CAST(event_timestamp AS BIGINT) AS seen,
    event.alert.action = 'blocked' AS blocked
  FROM network_firewall_alert_logs
  WHERE event.event_type = 'alert'
),"""  # noqa: S608 (this module's constants only)
    stripped = _logged_name("jsonPayload.queryName")
    spaced = "LOWER(REPLACE(jsonPayload.rdata, '\t', ' '))"
    return f"""dns AS (
  SELECT DISTINCT {stripped} AS name, {spaced} AS answer
  FROM dns_googleapis_com_dns_queries
  WHERE jsonPayload.rdata IS NOT NULL AND {stripped} IS NOT NULL
),
firewall AS (
  SELECT
    CAST(jsonPayload.rule_details.priority AS STRING) AS rule_key,
    jsonPayload.connection.src_ip AS src_ip,
    jsonPayload.connection.dest_ip AS dest_ip,
    CAST(jsonPayload.connection.dest_port AS BIGINT) AS port,
    CASE jsonPayload.connection.protocol WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 1 THEN 'icmp' WHEN 58 THEN 'icmp'
      ELSE 'other' END AS transport,
    UNIX_SECONDS(timestamp) AS seen,
    jsonPayload.disposition = 'DENIED' AS blocked
  FROM compute_googleapis_com_firewall
),
answered AS (
  SELECT d.addr, d.port, d.name, ROW_NUMBER() OVER (
    PARTITION BY d.addr, d.port ORDER BY CASE WHEN d.known THEN 0 ELSE 1 END, d.name) AS pick
  FROM (
    SELECT DISTINCT a.addr, a.port, q.name,
      EXISTS (SELECT 1 FROM sep_catalog_hosts h
              WHERE q.name = h.host OR (h.suffix AND q.name LIKE CONCAT('%.', h.host))) AS known
    FROM (SELECT DISTINCT dest_ip AS addr, port FROM firewall) AS a
    JOIN dns AS q
      ON STRPOS(q.answer, CONCAT(' a ', LOWER(a.addr))) > 0 OR STRPOS(q.answer, CONCAT(' aaaa ', LOWER(a.addr))) > 0
    WHERE STRPOS('0123456789abcdef.:', SUBSTR(CONCAT(q.answer, ' '),
      GREATEST(STRPOS(q.answer, CONCAT(' a ', LOWER(a.addr))) + 3,
               STRPOS(q.answer, CONCAT(' aaaa ', LOWER(a.addr))) + 6)
      + LENGTH(a.addr), 1)) = 0
  ) AS d
),
flows AS (
  SELECT f.rule_key, f.src_ip, f.dest_ip, f.port, f.transport, n.name, f.seen, f.blocked
  FROM firewall AS f LEFT JOIN answered AS n ON n.addr = f.dest_ip AND n.port = f.port AND n.pick = 1
),"""  # noqa: S608 (constants of this module and the values _text quoted; the same below)


def _statement(engine: Engine, tables: list[str]) -> str:
    header = (
        "-- sep-egress logs query: refused (and, in observe mode, would-be refused) flows classified against the\n"
        "-- catalog and the selection inlined below; the same rows as `sep-egress logs explain --format json`.\n"
    )
    joined = ",\n".join(tables)
    order = " ".join(f"WHEN '{klass}' THEN {index}" for index, klass in enumerate(CLASSES))
    body = f"""WITH
{joined},
{_flows(engine)}
decided AS (
  SELECT f.*,
    CASE WHEN f.blocked THEN 'refused' WHEN r.refusing THEN 'would-refuse' ELSE 'allowed' END AS outcome,
    COALESCE(r.source, s.source, 'unknown') AS source
  FROM flows AS f
  LEFT JOIN sep_rules AS r ON r.rule_key = f.rule_key
  LEFT JOIN sep_sources AS s ON {_ip4("f.src_ip")} BETWEEN s.lo AND s.hi
),
grouped AS (
  SELECT source, COALESCE(name, dest_ip) AS destination, name, CASE WHEN name IS NULL THEN dest_ip END AS addr,
    port, transport, outcome, COUNT(*) AS flows, MIN(seen) AS first_seen, MAX(seen) AS last_seen
  FROM decided
  WHERE outcome <> 'allowed'
  GROUP BY source, COALESCE(name, dest_ip), name, CASE WHEN name IS NULL THEN dest_ip END, port, transport, outcome
),
by_name AS (
  SELECT g.source, g.destination, g.port, g.transport, g.outcome, n.class, n.entry, n.change,
    ROW_NUMBER() OVER (PARTITION BY g.source, g.destination, g.port, g.transport, g.outcome
                       ORDER BY LENGTH(n.host) DESC, n.entry) AS pick
  FROM grouped AS g
  JOIN sep_names AS n ON n.port = g.port AND n.source = g.source
    AND (g.name = n.host OR (n.suffix AND g.name LIKE CONCAT('%.', n.host)))
  WHERE g.transport IN ('tcp', 'udp')
),
catalog_name AS (
  SELECT DISTINCT g.name
  FROM grouped AS g JOIN sep_catalog_hosts AS h ON g.name = h.host OR (h.suffix AND g.name LIKE CONCAT('%.', h.host))
),
wide AS (
  SELECT DISTINCT g.name
  FROM grouped AS g JOIN sep_wide AS w
    ON (w.kind = 'shared' AND g.name LIKE CONCAT('%.', w.domain))
    OR (w.kind = 'storage' AND (g.name = w.domain OR g.name LIKE CONCAT('%.', w.domain)))
),
by_address AS (
  SELECT g.source, g.addr, g.port, g.transport, g.outcome, a.class, a.entry, a.change,
    ROW_NUMBER() OVER (PARTITION BY g.source, g.addr, g.port, g.transport, g.outcome ORDER BY a.lo DESC, a.entry)
      AS pick
  FROM grouped AS g
  JOIN sep_addresses AS a ON {_ip4("g.addr")} BETWEEN a.lo AND a.hi AND a.port = g.port AND a.source = g.source
),
internal AS (
  SELECT g.source, g.addr, g.port, g.transport, g.outcome, i.entry, REPLACE(i.change, '{{ip}}', g.addr) AS change
  FROM grouped AS g
  JOIN sep_internal AS i ON i.port = g.port AND i.transport = g.transport AND i.source = g.source
  WHERE g.addr IS NOT NULL AND {_private("g.addr")}
),
verdicts AS (
SELECT g.source, g.destination, g.port, g.transport, g.outcome,
  CASE
    WHEN n.class IS NOT NULL THEN n.class
    WHEN c.name IS NOT NULL THEN 'unknown'
    WHEN w.name IS NOT NULL THEN 'wider-or-non-sep'
    WHEN a.class IS NOT NULL THEN a.class
    WHEN i.entry IS NOT NULL THEN 'internal-undeclared'
    ELSE 'unknown'
  END AS class,
  CASE
    WHEN n.class IS NOT NULL THEN n.entry
    WHEN c.name IS NOT NULL OR w.name IS NOT NULL THEN NULL
    WHEN a.class IS NOT NULL THEN a.entry
    ELSE i.entry
  END AS entry,
  CASE
    WHEN n.class IS NOT NULL THEN n.change
    WHEN c.name IS NOT NULL OR w.name IS NOT NULL THEN NULL
    WHEN a.class IS NOT NULL THEN a.change
    ELSE i.change
  END AS change,
  g.flows, g.first_seen, g.last_seen
FROM grouped AS g
LEFT JOIN by_name AS n ON n.pick = 1 AND n.source = g.source AND n.destination = g.destination AND n.port = g.port
  AND n.transport = g.transport AND n.outcome = g.outcome
LEFT JOIN catalog_name AS c ON c.name = g.name
LEFT JOIN wide AS w ON w.name = g.name
LEFT JOIN by_address AS a ON a.pick = 1 AND a.source = g.source AND a.addr = g.addr AND a.port = g.port
  AND a.transport = g.transport AND a.outcome = g.outcome
LEFT JOIN internal AS i ON i.source = g.source AND i.addr = g.addr AND i.port = g.port AND i.transport = g.transport
  AND i.outcome = g.outcome
)
SELECT source, destination, port, transport, outcome, class, entry, change, flows, first_seen, last_seen
FROM verdicts
ORDER BY CASE class {order} END, source, destination, port, transport, outcome
"""  # noqa: S608
    return header + body.rstrip("\n") + ";\n"
