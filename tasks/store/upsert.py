"""Dialect-specific INSERT ... ON CONFLICT, the one way the store writes rows.

Both PostgreSQL and SQLite (3.24+) support ``ON CONFLICT``; SQLAlchemy builds it
through each dialect's own ``insert``. Rows are sent in chunks of ``CHUNK_ROWS`` as
one executemany each; the drivers' summed row counts say how many rows were written
(a row skipped by ``DO NOTHING`` counts 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tasks.errors import ConfigurationError
from tasks.store.convert import prepare_row

CHUNK_ROWS = 1000

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def write_rows(
    session: Session,
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    key: Sequence[str],
    update: bool,
    defaults: Mapping[str, Any] | None = None,
) -> int:
    """Insert rows, updating (``update=True``) or skipping rows whose key exists.

    Each row passes through :func:`prepare_row` after ``defaults`` fill the columns
    it leaves out. Rows repeating a key within the call collapse to one (a single
    statement may not touch a row twice): the last for an upsert, the first for an
    insert-if-absent, as if they had been written one after another.

    Args:
        session: an open session; the caller commits.
        table: the target table.
        rows: column -> value mappings; every row must give the key columns.
        key: the columns of the unique constraint or primary key to conflict on.
        update: True: a conflicting row is overwritten with the new non-key values
            (an upsert). False: it is left alone (insert-if-absent).
        defaults: values for columns a row leaves out.

    Returns:
        The number of rows inserted or updated; rows skipped on conflict (with
        ``update=False``) are not counted. 0 for no rows.

    Raises:
        ConfigurationError: a row lacks a key column or has a bad value.
    """
    insert = _INSERTS.get(session.get_bind().dialect.name)
    if insert is None:
        raise ConfigurationError(
            f"upserts support {sorted(_INSERTS)}, not "
            f"{session.get_bind().dialect.name!r}"
        )
    prepared = _prepare(table, rows, key=key, defaults=defaults or {}, keep_last=update)
    if not prepared:
        return 0
    # One statement shape per column set, so chunks stay executemany-friendly.
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in prepared:
        by_columns.setdefault(tuple(sorted(row)), []).append(row)
    written = 0
    key_columns = [table.c[name] for name in key]
    for columns, group in by_columns.items():
        statement = insert(table)
        values_to_set = [name for name in columns if name not in key]
        if update and values_to_set:
            statement = statement.on_conflict_do_update(
                index_elements=key_columns,
                set_={name: statement.excluded[name] for name in values_to_set},
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=key_columns)
        for start in range(0, len(group), CHUNK_ROWS):
            chunk = group[start : start + CHUNK_ROWS]
            result = session.execute(
                statement, chunk, execution_options={"preserve_rowcount": True}
            )
            written += result.rowcount
    return written


def _prepare(
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    key: Sequence[str],
    defaults: Mapping[str, Any],
    keep_last: bool,
) -> list[dict[str, Any]]:
    required = _required_columns(table)
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for index, row in enumerate(rows):
        missing = [name for name in key if row.get(name) is None]
        if missing:
            raise ConfigurationError(
                f"{table.name}: row {index} lacks key column(s) {missing}; every row "
                f"needs {list(key)}"
            )
        merged = {**defaults, **row}
        absent = [name for name in required if name not in merged]
        if absent:
            raise ConfigurationError(
                f"{table.name}: row {index} lacks required column(s) {absent}"
            )
        prepared = prepare_row(table, merged)
        identity = tuple(prepared[name] for name in key)
        if keep_last or identity not in unique:
            unique[identity] = prepared
    return list(unique.values())


def _required_columns(table: Table) -> list[str]:
    return [
        column.name
        for column in table.columns
        if not column.nullable
        and column.default is None
        and column.server_default is None
        and column is not table.autoincrement_column
    ]
