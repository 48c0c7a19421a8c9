"""Alembic environment for the mlpulse store.

Used two ways: from ``tasks.store.upgrade`` (a connection is handed over in
``config.attributes["connection"]``) and from the command line with the
``alembic.ini`` at the repository root, where the URL comes from ``-x url=...``,
else ``MLPULSE_DATABASE_URL``, else the settings' default SQLite file.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

from tasks.store.engine import make_engine
from tasks.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if url:
        return url
    from tasks.settings import get_settings

    return get_settings().resolved_database_url()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit(
        "offline (--sql) migrations are not supported: the schema differs per "
        "database; run `alembic upgrade head` against a live database instead"
    )
run_migrations_online()
