"""Engines and sessions: SQLite set-up, PostgreSQL driver choice, commit/rollback."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from tasks.errors import ConfigurationError
from tasks.store import count_rows, make_engine, record_pipeline_run, session_scope


def test_sqlite_engine_creates_the_folder_and_sets_its_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "mlpulse.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            foreign_keys = pragma("PRAGMA foreign_keys").scalar()
            journal = pragma("PRAGMA journal_mode").scalar()
            busy = pragma("PRAGMA busy_timeout").scalar()
    finally:
        engine.dispose()
    assert path.parent.is_dir()
    assert (foreign_keys, journal, busy) == (1, "wal", 30_000)


def test_a_bare_postgresql_url_uses_psycopg_3() -> None:
    engine = make_engine("postgresql://user@127.0.0.1:1/none")
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.pool._pre_ping is True
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://u@127.0.0.1/db", "supports SQLite and PostgreSQL"), ("::", "parse")],
)
def test_unsupported_or_malformed_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_engine(url)


def _run(run_id: str) -> dict:
    return {
        "id": run_id,
        "pipeline_name": "drift",
        "status": "completed",
        "started_at": datetime(2024, 1, 1, tzinfo=UTC),
    }


def test_session_scope_commits_on_success(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        record_pipeline_run(session, _run("a"))
    with session_scope(engine) as session:
        assert count_rows(session, "pipeline_runs") == 1


def test_session_scope_rolls_back_on_error(engine: sa.Engine) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with session_scope(engine) as session:
            record_pipeline_run(session, _run("a"))
            raise RuntimeError("boom")
    with session_scope(engine) as session:
        assert count_rows(session, "pipeline_runs") == 0
