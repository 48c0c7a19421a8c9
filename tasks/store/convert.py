"""Conversion of Python, numpy and pandas values at the store's boundary.

Every row written by the store passes through :func:`prepare_row`, which checks the
row's keys against the table and turns each value into what the column can hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from numbers import Integral, Real
from typing import Any

import numpy as np
from sqlalchemy import JSON, BigInteger, Boolean, Column, Double, String, Table, Text
from sqlalchemy import Integer as SAInteger

from tasks.errors import ConfigurationError
from tasks.store.types import UTCDateTime, as_utc

_INT32 = 2**31
_INT64 = 2**63


def prepare_row(table: Table, row: Mapping[str, Any]) -> dict[str, Any]:
    """Check one row against a table and convert its values for SQL.

    Conversions, by column type:

    * floats: numpy and ``Decimal`` numbers become ``float``; **NaN, +inf and -inf are
      stored as NULL** (a nullable float column holds "no value", never NaN).
    * integers: numpy integers and ``bool`` become ``int``; a float with an integral
      value (3.0) becomes 3; NaN becomes NULL; a fractional value or one outside
      the column's range (int32 or int64) is refused.
    * booleans: ``numpy.bool_`` and 0/1 become ``bool``; NaN becomes NULL.
    * datetimes: must be timezone-aware (``datetime`` or ``pandas.Timestamp``) and
      are converted to UTC; a naive datetime is refused.
    * text: must be ``str``; text containing a NUL character (``\\x00``) or an
      unpaired surrogate is refused, because PostgreSQL cannot store it and
      silently changing it would alter the record.
    * JSON: converted recursively: numpy scalars and arrays become Python numbers
      and lists, NaN and infinities become ``null``, tuples and sets become lists,
      aware datetimes become ISO 8601 text in UTC, keys become text.

    ``None``, ``pandas.NA`` and ``NaT`` are NULL; a NULL in a NOT NULL column, an
    unknown key, or a value of the wrong kind raises ConfigurationError naming the
    table, the column and the value.

    Args:
        table: the table the row is for.
        row: column name -> value. Columns left out are not set (the caller's
            defaults, or NULL).

    Returns:
        A new dict with the same keys and converted values.

    Raises:
        ConfigurationError: an unknown column, a NULL in a required column, or a value
            that the column cannot hold.
    """
    unknown = sorted(set(row) - set(table.columns.keys()))
    if unknown:
        raise ConfigurationError(
            f"{table.name}: unknown column(s) {unknown}; expected some of "
            f"{sorted(table.columns.keys())}"
        )
    converters = _converters(table)
    out: dict[str, Any] = {}
    for name, value in row.items():
        convert, nullable, where = converters[name]
        converted = None if _is_missing(value) else convert(value, where)
        if converted is None and not nullable:
            raise ConfigurationError(
                f"{table.name}.{name} is required but got {value!r}; give it a value"
            )
        out[name] = converted
    return out


Converter = Callable[[Any, str], Any]


@cache
def _converters(table: Table) -> dict[str, tuple[Converter, bool, str]]:
    return {
        column.name: (
            _converter(column),
            bool(column.nullable),
            f"{table.name}.{column.name}",
        )
        for column in table.columns
    }


def _converter(column: Column[Any]) -> Converter:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return lambda value, where: as_utc(value, what=where)
    if isinstance(kind, JSON):
        return lambda value, where: json_safe(value, where=where)
    if isinstance(kind, Boolean):
        return _to_bool
    if isinstance(kind, Double):
        return _to_float
    if isinstance(kind, SAInteger):
        limit = _INT64 if isinstance(kind, BigInteger) else _INT32
        return lambda value, where: _to_int(value, where, limit)
    if isinstance(kind, String | Text):
        return lambda value, where: check_text(value, where=where)
    raise ConfigurationError(
        f"{column.table.name}.{column.name}: no conversion for column type {kind!r}"
    )


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    kind = type(value)
    if kind is str or kind is int or kind is bool:
        return False
    if kind is float:
        return value != value  # NaN is the only value unequal to itself
    if isinstance(value, float | np.floating) and math.isnan(value):
        return True
    # pandas.NA and NaT without importing pandas
    return type(value).__name__ in {"NAType", "NaTType"}


def _to_float(value: Any, where: str) -> float | None:
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, bool | np.bool_):
        return float(value)
    if isinstance(value, Real | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    raise ConfigurationError(
        f"{where}: expected a number, got {type(value).__name__} {value!r}"
    )


def _to_int(value: Any, where: str, limit: int) -> int | None:
    if type(value) is int and -limit <= value < limit:
        return value
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, Integral):
        number = int(value)
    elif isinstance(value, Real | Decimal):
        as_float = float(value)
        if not math.isfinite(as_float):
            return None
        if not as_float.is_integer():
            raise ConfigurationError(
                f"{where}: expected an integer, got the fractional {value!r}"
            )
        number = int(as_float)
    else:
        raise ConfigurationError(
            f"{where}: expected an integer, got {type(value).__name__} {value!r}"
        )
    if not -limit <= number < limit:
        raise ConfigurationError(
            f"{where}: {number} is outside the column's range [-{limit}, {limit})"
        )
    return number


def _to_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, Real) and value in (0, 1):
        return bool(value)
    raise ConfigurationError(
        f"{where}: expected true or false, got {type(value).__name__} {value!r}"
    )


def check_text(value: Any, *, where: str) -> str:
    """Return ``value`` as ``str`` if PostgreSQL and SQLite can both store it.

    Args:
        value: the text (``numpy.str_`` is accepted).
        where: the name used in the error message.

    Returns:
        The text unchanged, as a plain ``str``.

    Raises:
        ConfigurationError: not text, or text with a NUL character or an unpaired
            surrogate (neither can be stored as UTF-8 text in PostgreSQL).
    """
    if not isinstance(value, str):
        raise ConfigurationError(
            f"{where}: expected text, got {type(value).__name__} {value!r}"
        )
    if "\x00" in value:
        raise ConfigurationError(
            f"{where}: text contains a NUL character (\\x00) at position "
            f"{value.index(chr(0))}, which PostgreSQL cannot store; remove it first"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ConfigurationError(
            f"{where}: text contains an unpaired surrogate at position {error.start}, "
            "which is not valid UTF-8; fix the text's encoding first"
        ) from None
    return str(value)


def json_safe(value: Any, *, where: str = "JSON value") -> Any:
    """Return a JSON-ready copy of ``value``; NaN and infinities become ``None``.

    Args:
        value: dicts, lists, tuples, sets, numbers, text, booleans, None, numpy
            scalars and arrays, aware datetimes, nested in any way.
        where: the name used in error messages (the path inside the value is
            appended, e.g. ``['bins'][3]``).

    Returns:
        Plain dicts (text keys), lists, ``str``, ``int``, ``float`` (finite),
        ``bool`` and ``None``.

    Raises:
        ConfigurationError: a value with no JSON form (an object, bytes, a naive
            datetime, text with NUL) with its path.
    """
    return _json(value, where, ())


def _json(value: Any, where: str, path: tuple[str, ...]) -> Any:
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int or kind is bool or value is None:
        return value
    if kind is str:
        return check_text(value, where=_at(where, path))
    if kind is dict or isinstance(value, Mapping):
        return {
            _json_key(key, where, path): _json(item, where, (*path, f"[{key!r}]"))
            for key, item in value.items()
        }
    if kind is list or kind is tuple or isinstance(value, np.ndarray):
        return [
            _json(item, where, (*path, f"[{index}]"))
            for index, item in enumerate(value)
        ]
    if _is_missing(value):
        return None
    if isinstance(value, str):
        return check_text(value, where=_at(where, path))
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime):
        return as_utc(value, what=_at(where, path)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | list | tuple):
        items = [_json(item, where, (*path, "[]")) for item in value]
        if isinstance(value, list | tuple):
            return items
        try:
            return sorted(items)
        except TypeError:
            return sorted(items, key=repr)
    raise ConfigurationError(
        f"{_at(where, path)}: {type(value).__name__} {value!r} has no JSON form; pass "
        "numbers, text, booleans, lists or dicts"
    )


def _at(where: str, path: tuple[str, ...]) -> str:
    return where + "".join(path)


def _json_key(key: Any, where: str, path: tuple[str, ...]) -> str:
    if isinstance(key, str):
        return check_text(key, where=f"{_at(where, path)} key")
    if isinstance(key, bool | np.bool_):
        return "true" if key else "false"
    if isinstance(key, Integral):
        return str(int(key))
    raise ConfigurationError(
        f"{_at(where, path)}: dict key {key!r} ({type(key).__name__}) is not text; "
        "use text keys"
    )
