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
