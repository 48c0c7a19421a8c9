"""Column types that behave the same on PostgreSQL and SQLite.

``UTCDateTime`` stores timezone-aware datetimes in UTC and always returns them aware
in UTC: PostgreSQL keeps them in ``timestamp with time zone``; SQLite has no time
zones, so the value is written as naive UTC text and tagged UTC again when read.
``JSONDocument`` is JSON (``jsonb`` on PostgreSQL) where Python ``None`` is SQL NULL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from tasks.errors import ConfigurationError


def as_utc(value: Any, *, what: str = "value") -> datetime:
    """Return an aware datetime converted to UTC.

    Args:
        value: a timezone-aware ``datetime`` (``pandas.Timestamp`` included).
        what: the name used in the error message (a column name, for example).

    Returns:
        The same instant as an aware ``datetime`` in UTC, microsecond precision.

    Raises:
        ConfigurationError: the value is not a datetime, or it is naive (its meaning
            would depend on the machine that wrote it).
    """
    if not isinstance(value, datetime):
        raise ConfigurationError(
            f"{what}: expected a timezone-aware datetime, got {type(value).__name__} "
            f"{value!r}; pass datetime objects with tzinfo (e.g. UTC)"
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ConfigurationError(
            f"{what}: expected a timezone-aware datetime, got the naive "
            f"{value.isoformat()}; attach a time zone first "
            "(value.replace(tzinfo=UTC) if it is UTC)"
        )
    to_pydatetime = getattr(value, "to_pydatetime", None)
    if to_pydatetime is not None:  # pandas.Timestamp: drop the nanoseconds' subclass
        value = to_pydatetime(warn=False)
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; naive datetimes are refused.

    Bound values must carry a time zone (a naive datetime raises ConfigurationError,
    because its meaning depends on the machine that wrote it). Results are aware
    datetimes in UTC on every backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            # SQLite stores text; keep it naive UTC so that text order is time order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def JSONDocument() -> JSON:  # noqa: N802 - reads like a type in column definitions
    """JSON on SQLite, jsonb on PostgreSQL; ``None`` is stored as SQL NULL."""
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
