"""Engines and sessions for the store (SQLite embedded, PostgreSQL in production)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from tasks.errors import ConfigurationError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000

# NaN is not JSON; the boundary conversion turns it into null, and this refuses any
# that slipped past instead of writing text PostgreSQL would reject.
_json_dumps = partial(json.dumps, allow_nan=False, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    """Create an engine for the store at ``url``.

    SQLite: the database file's folder is created if missing; every connection turns
    foreign keys on, uses write-ahead logging (readers do not block the writer) and
    waits up to 30 s for a lock instead of failing at once. PostgreSQL: connections
    are checked before use (``pool_pre_ping``); a bare ``postgresql://`` URL uses
    the psycopg 3 driver.

    Args:
        url: an SQLAlchemy URL, e.g. ``sqlite:///data/mlpulse.db`` or
            ``postgresql+psycopg://user@host/db``.

    Returns:
        A new engine (the caller disposes of it).

    Raises:
        ConfigurationError: the URL cannot be parsed or names another database.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ConfigurationError(
            f"cannot parse the database URL {url!r} ({error}); expected e.g. "
            "sqlite:///path/to/mlpulse.db or postgresql+psycopg://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, json_serializer=_json_dumps)
    raise ConfigurationError(
        f"the store supports SQLite and PostgreSQL, got {backend!r} in "
        f"{parsed.render_as_string(hide_password=True)}; use sqlite:/// or "
        "postgresql+psycopg://"
    )


def _sqlite_engine(parsed: Any) -> Engine:
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, json_serializer=_json_dumps)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Open a session that commits on success and rolls back on error.

    Objects stay usable after the block (attributes are not expired on commit).

    Args:
        engine: from :func:`make_engine`.

    Yields:
        A session bound to ``engine``; it is closed when the block ends.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
