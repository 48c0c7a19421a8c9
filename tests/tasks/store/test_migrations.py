"""The migrations in sql/ build exactly the ORM's schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError

from tasks.store import Base, current_revision, make_engine, upgrade
from tests.tasks.store.conftest import fresh_postgres_database

REPO = Path(__file__).resolve().parents[3]
TABLES = {
    "model_versions",
    "reference_profiles",
    "predictions",
    "outcomes",
    "drift_results",
    "health_scores",
    "pipeline_runs",
}


def _differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True}
            )
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def _indexes(url: str) -> dict[str, list[str]]:
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {
            index["name"]: index["column_names"]
            for table in ("predictions", "outcomes")
            for index in inspector.get_indexes(table)
        }
    finally:
        engine.dispose()


def test_the_orm_declares_the_tables_of_the_design() -> None:
    assert set(Base.metadata.tables) == TABLES


def test_upgrade_of_an_empty_sqlite_file_matches_the_orm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'store.db'}"
    assert current_revision(url) is None

    upgrade(url)

    assert current_revision(url) == "0001"
    assert _differences(url) == []
    assert _indexes(url) == {
        "ix_predictions_model_name_created_at": ["model_name", "created_at"],
        "ix_outcomes_model_name_observed_at": ["model_name", "observed_at"],
    }


@pytest.mark.postgres
def test_upgrade_of_an_empty_postgres_database_matches_the_orm(
    postgres_url: str,
) -> None:
    with fresh_postgres_database(postgres_url) as url:
        assert current_revision(url) is None

        upgrade(url)

        assert current_revision(url) == "0001"
        assert _differences(url) == []
        assert _indexes(url) == {
            "ix_predictions_model_name_created_at": ["model_name", "created_at"],
            "ix_outcomes_model_name_observed_at": ["model_name", "observed_at"],
        }


def test_upgrade_twice_keeps_the_data(store_url: str) -> None:
    engine = make_engine(store_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO pipeline_runs (id, pipeline_name, status, started_at) "
                    "VALUES ('run-1', 'drift', 'completed', :started)"
                ),
                {"started": "2024-01-01 00:00:00+00:00"},
            )
        upgrade(store_url)
        with engine.connect() as connection:
            count = connection.scalar(sa.text("SELECT count(*) FROM pipeline_runs"))
    finally:
        engine.dispose()
    assert current_revision(store_url) == "0001"
    assert count == 1


def test_upgrade_to_an_unknown_revision_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="nope"):
        upgrade(f"sqlite:///{tmp_path / 'store.db'}", revision="nope")


def test_downgrade_below_the_first_revision_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(url)
    from alembic import command

    from tasks.store.migrations import alembic_config

    config = alembic_config()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            with pytest.raises(NotImplementedError, match="drop every table"):
                command.downgrade(config, "base")
    finally:
        engine.dispose()
    assert current_revision(url) == "0001"


def test_alembic_command_line_upgrades_with_the_root_ini(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli' / 'store.db'}"
    alembic = Path(sys.executable).with_name("alembic")

    done = subprocess.run(
        [str(alembic), "-x", f"url={url}", "upgrade", "head"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )

    assert done.returncode == 0, done.stderr
    assert "Running upgrade  -> 0001" in done.stderr
    assert current_revision(url) == "0001"
