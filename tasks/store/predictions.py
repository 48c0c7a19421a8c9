"""Logged predictions and their observed outcomes: writing them and reading windows."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasks.errors import ConfigurationError
from tasks.store.models import PREDICTION_STATUSES, Outcome, Prediction
from tasks.store.types import as_utc
from tasks.store.upsert import CHUNK_ROWS, write_rows

logger = logging.getLogger(__name__)

PREDICTION_COLUMNS = (
    "id",
    "version",
    "created_at",
    "score",
    "label",
    "latency_ms",
    "status",
    "cpu_utilization",
)
OUTCOME_COLUMNS = (
    "prediction_id",
    "version",
    "label",
    "score",
    "actual",
    "observed_at",
    "created_at",
)
# Dtypes of the frames' fixed columns; label is nullable ("Int64": <NA> = no label).
_DTYPES = {
    "id": "object",
    "prediction_id": "object",
    "version": "int64",
    "score": "float64",
    "label": "Int64",
    "actual": "int64",
    "latency_ms": "float64",
    "status": "object",
    "cpu_utilization": "float64",
}
_OPTIONAL = {
    "variant": None,
    "entity_id": None,
    "score": None,
    "label": None,
    "latency_ms": None,
    "cpu_utilization": None,
}


def insert_predictions(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Store predictions; a prediction whose id is already stored is left unchanged.

    Args:
        session: an open session; the caller commits.
        rows: mappings with id (str), model_name, version (int), features (dict of
            feature -> value), status ("ok" or "error"), created_at (aware
            datetime), and optionally variant, entity_id, score, label, latency_ms,
            cpu_utilization (share 0..1 of the serving process's CPU). NaN and
            infinities in numbers and features are stored as NULL.

    Returns:
        How many rows were inserted (ids already stored, or repeated within
        ``rows``, are not counted). 0 for no rows.

    Raises:
        ConfigurationError: a missing or malformed value, an unknown status, or a
            feature named like one of the frame's own columns.
    """
    return write_rows(
        session,
        Prediction.__table__,
        (_checked_prediction(index, row) for index, row in enumerate(rows)),
        key=("id",),
        update=False,
        defaults=_OPTIONAL,
    )


def _checked_prediction(index: int, row: Mapping[str, Any]) -> Mapping[str, Any]:
    status = row.get("status")
    if status not in PREDICTION_STATUSES:
        raise ConfigurationError(
            f"prediction {index} (id {row.get('id')!r}): status must be one of "
            f"{list(PREDICTION_STATUSES)}, got {status!r}"
        )
    features = row.get("features")
    if not isinstance(features, Mapping):
        raise ConfigurationError(
            f"prediction {index} (id {row.get('id')!r}): features must be a dict of "
            f"feature -> value, got {type(features).__name__}"
        )
    clashes = sorted(set(map(str, features)) & set(PREDICTION_COLUMNS))
    if clashes:
        raise ConfigurationError(
            f"prediction {index} (id {row.get('id')!r}): feature name(s) {clashes} "
            f"clash with the window frame's columns {list(PREDICTION_COLUMNS)}; "
            "rename those features"
        )
    return row


def insert_outcomes(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Store observed outcomes; an outcome for a prediction already having one is kept.

    Args:
        session: an open session; the caller commits.
        rows: mappings with prediction_id (an id stored by
            :func:`insert_predictions`), actual (int) and observed_at (aware
            datetime).

    Returns:
        How many outcomes were inserted (0 for none).

    Raises:
        ConfigurationError: an unknown prediction id (all of them are listed, up to
            20), or a missing or malformed value.
    """
    rows = [dict(row) for row in rows]
    if not rows:
        return 0
    unknown_keys = sorted(
        {k for row in rows for k in row} - {"prediction_id", "actual", "observed_at"}
    )
    if unknown_keys:
        raise ConfigurationError(
            f"outcomes: unknown key(s) {unknown_keys}; expected prediction_id, actual, "
            "observed_at"
        )
    ids = {str(row.get("prediction_id")) for row in rows}
    models = _model_of_predictions(session, ids)
    unknown = sorted(ids - set(models))
    if unknown:
        shown = ", ".join(repr(i) for i in unknown[:20])
        more = f" and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        raise ConfigurationError(
            f"{len(unknown)} outcome(s) name predictions that are not stored: "
            f"{shown}{more}; store the predictions first or fix the ids"
        )
    for row in rows:
        row["model_name"] = models[str(row["prediction_id"])]
    return write_rows(
        session, Outcome.__table__, rows, key=("prediction_id",), update=False
    )


def _model_of_predictions(session: Session, ids: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK_ROWS):
        chunk = ordered[start : start + CHUNK_ROWS]
        rows = session.execute(
            select(Prediction.id, Prediction.model_name).where(Prediction.id.in_(chunk))
        )
        found.update((prediction_id, model) for prediction_id, model in rows)
    return found


def load_window_predictions(
    session: Session,
    *,
    model_name: str,
    start: datetime,
    end: datetime,
    version: int | None = None,
) -> pd.DataFrame:
    """Return a model's predictions made in the window ``start <= created_at < end``.

    Args:
        session: an open session.
        model_name: the model's name.
        start: the window's start (aware datetime, included).
        end: the window's end (aware datetime, excluded).
        version: only this version's predictions; None for every version.

    Returns:
        One row per prediction ordered by created_at then id, with columns id,
        version, created_at (datetime64 UTC), score, label (nullable Int64),
        latency_ms, status, cpu_utilization, then one column per feature key found
        in the window (missing or null values are NaN/None). An empty window gives
        an empty frame with just the fixed columns.

    Raises:
        ConfigurationError: naive datetimes, or ``end`` before ``start``.
    """
    start, end = _window(start, end)
    query = (
        select(
            Prediction.id,
            Prediction.version,
            Prediction.created_at,
            Prediction.score,
            Prediction.label,
            Prediction.latency_ms,
            Prediction.status,
            Prediction.cpu_utilization,
            Prediction.features,
        )
        .where(
            Prediction.model_name == model_name,
            Prediction.created_at >= start,
            Prediction.created_at < end,
        )
        .order_by(Prediction.created_at, Prediction.id)
    )
    if version is not None:
        query = query.where(Prediction.version == version)
    rows = session.execute(query).all()
    base = _frame([row[:-1] for row in rows], PREDICTION_COLUMNS, ("created_at",))
    if not rows:
        return base
    features = pd.DataFrame.from_records([row.features for row in rows])
    features.index = base.index
    return pd.concat([base, features], axis=1)


def load_window_outcomes(
    session: Session, *, model_name: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Return outcomes observed in ``start <= observed_at < end``, with predictions.

    Args:
        session: an open session.
        model_name: the model's name.
        start: the window's start (aware datetime, included).
        end: the window's end (aware datetime, excluded).

    Returns:
        Columns prediction_id, version, label (nullable Int64), score, actual,
        observed_at and created_at (both datetime64 UTC), ordered by observed_at
        then prediction_id; empty with those columns if nothing was observed.

    Raises:
        ConfigurationError: naive datetimes, or ``end`` before ``start``.
    """
    start, end = _window(start, end)
    rows = session.execute(
        select(
            Outcome.prediction_id,
            Prediction.version,
            Prediction.label,
            Prediction.score,
            Outcome.actual,
            Outcome.observed_at,
            Prediction.created_at,
        )
        .join(Prediction, Prediction.id == Outcome.prediction_id)
        .where(
            Outcome.model_name == model_name,
            Outcome.observed_at >= start,
            Outcome.observed_at < end,
        )
        .order_by(Outcome.observed_at, Outcome.prediction_id)
    ).all()
    return _frame(rows, OUTCOME_COLUMNS, ("observed_at", "created_at"))


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start = as_utc(start, what="window start")
    end = as_utc(end, what="window end")
    if end < start:
        raise ConfigurationError(
            f"the window ends ({end.isoformat()}) before it starts "
            f"({start.isoformat()}); swap start and end"
        )
    return start, end


def _frame(
    rows: list[Any], columns: tuple[str, ...], times: tuple[str, ...]
) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(
        [tuple(row) for row in rows], columns=list(columns)
    )
    for name in columns:
        if name in times:
            frame[name] = pd.to_datetime(frame[name], utc=True)
        else:
            frame[name] = frame[name].astype(_DTYPES[name])
    return frame
