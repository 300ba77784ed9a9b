"""Helpers of the log tests (tests/logs/): the fixtures, ``logs explain`` in this process, DuckDB tables laid out
as Athena's Network Firewall table and Cloud Logging's BigQuery export, and log lines in each vendor's format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support import ROOT, call_main

if TYPE_CHECKING:
    import duckdb
    import pytest

FIXTURES = ROOT / "tests" / "logs" / "fixtures"
AWS_FIXTURE = FIXTURES / "aws-network-firewall.jsonl"
GCP_FIXTURE = FIXTURES / "gcp-firewall-dns.jsonl"
SQUID_FIXTURE = FIXTURES / "squid-access.log"
PROD = ["--stack", "prod", "--project-dir", str(ROOT)]


def explain(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[dict[str, Any], str]:
    """``sep-egress logs explain ARGUMENTS --format json`` in this process: the document and stderr."""
    code, out, err = call_main(["logs", "explain", *arguments, "--format", "json"], capsys)
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document, err


def refused_rows(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows ``logs query`` returns, from ``logs explain``'s document (times as epoch seconds)."""
    import datetime

    def epoch(text: str) -> int:
        return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())

    return [
        (
            item["source"],
            item["destination"],
            item["port"],
            item["transport"],
            item["outcome"],
            item["class"],
            item["entry"],
            item["change"],
            item["count"],
            epoch(item["first_seen"]),
            epoch(item["last_seen"]),
        )
        for item in document["refused"]
    ]


# --- DuckDB tables in the engines' layouts -------------------------------------------------------------------------

#: AWS's sample DDL for the alert table (Athena user guide, "Create and query a table for alert logs"), the fields
#: the query reads, plus the tls and http structs Network Firewall writes (docs/rollout.md).
ATHENA_ALERT_COLUMNS = {
    "firewall_name": "VARCHAR",
    "availability_zone": "VARCHAR",
    "event_timestamp": "VARCHAR",
    "event": (
        "STRUCT(timestamp VARCHAR, flow_id BIGINT, event_type VARCHAR, src_ip VARCHAR, src_port INTEGER, "
        "dest_ip VARCHAR, dest_port INTEGER, proto VARCHAR, app_proto VARCHAR, sni VARCHAR, tls STRUCT(sni VARCHAR), "
        "http STRUCT(hostname VARCHAR), alert STRUCT(action VARCHAR, signature_id INTEGER, rev INTEGER, "
        "signature VARCHAR, category VARCHAR, severity INTEGER))"
    ),
}
#: Cloud Logging's BigQuery export of the firewall and DNS logs: LogEntry columns, jsonPayload a record.
BIGQUERY_FIREWALL_COLUMNS = {
    "logName": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "jsonPayload": (
        "STRUCT(connection STRUCT(src_ip VARCHAR, src_port BIGINT, dest_ip VARCHAR, dest_port BIGINT, "
        "protocol BIGINT), "
        "disposition VARCHAR, rule_details STRUCT(reference VARCHAR, priority BIGINT, action VARCHAR, "
        "direction VARCHAR), instance STRUCT(vm_name VARCHAR))"
    ),
}
BIGQUERY_DNS_COLUMNS = {
    "logName": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "jsonPayload": "STRUCT(queryName VARCHAR, queryType VARCHAR, rdata VARCHAR, sourceIP VARCHAR)",
}


def athena_tables(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """``network_firewall_alert_logs`` from a file of Network Firewall log lines, as Athena's JSON SerDe reads it."""
    connection.execute(
        "CREATE OR REPLACE TABLE network_firewall_alert_logs AS SELECT * FROM "
        "read_json(?, format = 'newline_delimited', columns = ?)",
        [str(path), ATHENA_ALERT_COLUMNS],
    )


def bigquery_tables(connection: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The two export tables from a Cloud Logging export; ``UNIX_SECONDS`` as BigQuery defines it (seconds since the
    epoch of a TIMESTAMP), since DuckDB names it ``epoch``."""
    for table, columns, log in (
        ("compute_googleapis_com_firewall", BIGQUERY_FIREWALL_COLUMNS, "compute.googleapis.com%2Ffirewall"),
        ("dns_googleapis_com_dns_queries", BIGQUERY_DNS_COLUMNS, "dns.googleapis.com%2Fdns_queries"),
    ):
        connection.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM "  # noqa: S608 (the test's own table names)
            "read_json(?, format = 'newline_delimited', columns = ?) WHERE logName LIKE ?",
            [str(path), columns, f"%/logs/{log}"],
        )
    connection.execute("CREATE OR REPLACE MACRO unix_seconds(moment) AS CAST(epoch(moment) AS BIGINT)")
