"""``sep-egress logs query``: the SQL, run on DuckDB over the fixtures loaded into tables of the engines' layouts,
gives the rows ``logs explain`` gives for the same lines."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from log_samples import AWS_FIXTURE, GCP_FIXTURE, PROD, athena_tables, bigquery_tables, explain, refused_rows
from support import call_main


def query(capsys: pytest.CaptureFixture[str], engine: str, *arguments: str) -> str:
    code, out, err = call_main(["logs", "query", "--engine", engine, *arguments], capsys)
    assert code == 0, err
    return out


def aws_lines(tmp_path: Path) -> Path:
    """The AWS fixture's lines as S3 holds them (Athena reads S3): the subscription record and the bad line out."""
    path = tmp_path / "alerts.jsonl"
    lines = AWS_FIXTURE.read_text().splitlines(keepends=True)
    path.write_text(
        "".join(line for line in lines if line.startswith('{"firewall_name"') and line.rstrip().endswith("}"))
    )
    return path


@pytest.mark.real_program
def test_athena_sql_gives_the_answer_of_explain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = aws_lines(tmp_path)
    document, _ = explain(capsys, str(path), *PROD)
    sql = query(capsys, "athena", *PROD)
    assert "VALUES" in sql and "network_firewall_alert_logs" in sql
    connection = duckdb.connect()
    athena_tables(connection, path)
    rows = connection.execute(sql).fetchall()
    expected = refused_rows(document)
    assert rows == expected
    assert {row[5] for row in rows} == {"left-out", "internal-undeclared", "wider-or-non-sep", "unknown"}


@pytest.mark.real_program
def test_bigquery_sql_gives_the_answer_of_explain(capsys: pytest.CaptureFixture[str]) -> None:
    document, _ = explain(capsys, str(GCP_FIXTURE), *PROD)
    sql = query(capsys, "bigquery", *PROD)
    assert "VALUES" not in sql and "UNION ALL" in sql and "UNIX_SECONDS(timestamp)" in sql
    connection = duckdb.connect()
    bigquery_tables(connection, GCP_FIXTURE)
    rows = connection.execute(sql).fetchall()
    assert rows == refused_rows(document)
    # The firewall log has addresses only: the names come from the DNS log.
    assert ("clients", "faults.qalabs.symantec.com") in {(row[0], row[1]) for row in rows}


@pytest.mark.real_program
def test_a_selection_without_a_stack_has_empty_rule_tables_and_the_same_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Flags only: no refusing rule and no source range, so the inline tables are empty (typed, still valid SQL),
    every source is unknown, and ``logs explain`` agrees."""
    selection = ["--mode", "on-prem", "--version", "14.3 RU1"]
    path = aws_lines(tmp_path)
    sql = query(capsys, "athena", *selection)
    assert "sep_rules AS (SELECT CAST(NULL AS VARCHAR) AS rule_key" in sql
    connection = duckdb.connect()
    athena_tables(connection, path)
    rows = connection.execute(sql).fetchall()
    document, _ = explain(capsys, str(path), *selection)
    assert rows == refused_rows(document)
    assert {row[0] for row in rows} == {"unknown"}


def test_the_query_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    assert query(capsys, "bigquery", *PROD) == query(capsys, "bigquery", *PROD)


@pytest.mark.real_program
def test_a_logged_name_is_read_as_explain_reads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A trailing dot, a port, upper case, a bidi override, an IPv4 address or SQL text as the SNI: the query reads
    the name as ``logs explain`` does (or goes by the address when it is no host name), so both give the same rows;
    the SQL text stays data."""
    import json

    base = json.loads(aws_lines(tmp_path).read_text().splitlines()[0])
    names = [
        "x'); DROP TABLE network_firewall_alert_logs; --",
        "UPDATES.EXAMPLE.NET.",
        "updates.example.net.:443",
        "ev\u202eil.example.net",
        "10.1.2.3",
        "999.1.2.3",
        "a" * 250 + ".net",
        "",
    ]
    lines = []
    for name in names:
        line = json.loads(json.dumps(base))
        line["event"]["tls"]["sni"] = name
        lines.append(json.dumps(line))
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    document, _ = explain(capsys, str(path), *PROD)
    connection = duckdb.connect()
    athena_tables(connection, path)
    rows = connection.execute(query(capsys, "athena", *PROD)).fetchall()
    assert rows == refused_rows(document)
    assert {row[1] for row in rows} == {"203.0.113.10", "updates.example.net", "999.1.2.3"}
    assert connection.execute("SELECT COUNT(*) FROM network_firewall_alert_logs").fetchone() == (len(names),)
