"""Apply the Alembic migrations in ``sql/`` to a store.

Alembic is configured in code: the script location is the repository's ``sql/``
folder, found next to the ``tasks`` package (the project is installed editable).
Only upgrades are offered; nothing here drops or downgrades.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from tasks.errors import ConfigurationError
from tasks.store.engine import make_engine

logger = logging.getLogger(__name__)

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"


def alembic_config() -> Config:
    """Return an Alembic configuration whose scripts are the repository's ``sql/``.

    Raises:
        ConfigurationError: ``sql/env.py`` is not where the installed package
            expects it (the project must be installed editable from its checkout).
    """
    if not (SQL_DIR / "env.py").is_file():
        raise ConfigurationError(
            f"the migrations folder {SQL_DIR} has no env.py; install mlpulse editable "
            "from its repository (pip install -e .) so sql/ sits next to tasks/"
        )
    config = Config()
    config.set_main_option("script_location", str(SQL_DIR))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the store at ``url`` up to ``revision`` (never downgrades or drops).

    Running it again on an up-to-date store does nothing.

    Args:
        url: the store's SQLAlchemy URL (an SQLite file is created if missing).
        revision: the target revision; "head" is the newest.

    Raises:
        ConfigurationError: the migrations folder is missing.
        alembic.util.CommandError: ``revision`` is unknown or lies below the current
            revision (that would be a downgrade).
    """
    config = alembic_config()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
    logger.info("store upgraded to %s", revision)


def current_revision(url: str) -> str | None:
    """Return the store's current migration revision, or None if it has none.

    Args:
        url: the store's SQLAlchemy URL.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
