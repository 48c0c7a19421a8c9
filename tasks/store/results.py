"""Results of the flows: drift, health, pipeline runs; and small summaries of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasks.errors import ConfigurationError
from tasks.store.models import (
    HEALTH_STATUSES,
    METRICS_DELIVERIES,
    PIPELINE_STATUSES,
    Base,
    DriftResult,
    HealthScore,
    PipelineRun,
)
from tasks.store.types import as_utc
from tasks.store.upsert import write_rows

DRIFT_KEY = ("model_name", "version", "feature", "method", "window_start", "window_end")
HEALTH_KEY = ("model_name", "version", "window_start", "window_end")


def upsert_drift_results(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Store drift results, replacing any with the same key.

    The key is (model_name, version, feature, method, window_start, window_end), so
    re-running a window overwrites its rows. Other columns: score, p_value,
    threshold, direction, drifted (bool or None), status, n_reference, n_current,
    missing_share_reference, missing_share_current, details (JSON: notes,
    new_categories, ...), computed_at (now, if left out). Columns a row leaves out
    are NULL on insert and unchanged on update. NaN is stored as NULL.

    Args:
        session: an open session; the caller commits.
        rows: one mapping per (feature, method).

    Returns:
        The number of rows inserted or replaced (0 for none).

    Raises:
        ConfigurationError: a missing key column, an unknown column or a bad value.
    """
    now = datetime.now(UTC)
    return write_rows(
        session,
        DriftResult.__table__,
        rows,
        key=DRIFT_KEY,
        update=True,
        defaults={"computed_at": now},
    )


def upsert_health_score(session: Session, row: Mapping[str, Any]) -> None:
    """Store one model version's health over a window, replacing an earlier one.

    Args:
        session: an open session; the caller commits.
        row: key (model_name, version, window_start, window_end) and health_score,
            status (healthy, warning, critical or unknown), accuracy,
            p95_latency_ms, drift_score, error_rate, resource_utilization,
            components (JSON), n_predictions, n_labelled, computed_at (now if left
            out). NaN is stored as NULL.

    Raises:
        ConfigurationError: an unknown status, a missing key column or a bad value.
    """
    status = row.get("status")
    if status not in HEALTH_STATUSES:
        raise ConfigurationError(
            f"health status must be one of {list(HEALTH_STATUSES)}, got {status!r}"
        )
    write_rows(
        session,
        HealthScore.__table__,
        [row],
        key=HEALTH_KEY,
        update=True,
        defaults={"computed_at": datetime.now(UTC)},
    )


def record_pipeline_run(session: Session, row: Mapping[str, Any]) -> None:
    """Record one pipeline run; recording the same run id again updates it.

    Args:
        session: an open session; the caller commits.
        row: id (the flow run id), pipeline_name, model_name, window_start,
            window_end, status ("completed" or "failed"), started_at, finished_at,
            duration_seconds, metrics_delivery ("pushed", "file" or "failed"),
            error (text or None).

    Raises:
        ConfigurationError: an unknown status or delivery, or a bad value.
    """
    status = row.get("status")
    if status not in PIPELINE_STATUSES:
        raise ConfigurationError(
            f"pipeline run status must be one of {list(PIPELINE_STATUSES)}, got "
            f"{status!r}"
        )
    delivery = row.get("metrics_delivery")
    if delivery is not None and delivery not in METRICS_DELIVERIES:
        raise ConfigurationError(
            f"metrics_delivery must be one of {list(METRICS_DELIVERIES)} or None, got "
            f"{delivery!r}"
        )
    write_rows(session, PipelineRun.__table__, [row], key=("id",), update=True)


def pipeline_run_totals(
    session: Session,
    *,
    pipeline_name: str | None = None,
    model_name: str | None = None,
) -> dict[tuple[str, str], int]:
    """Count recorded pipeline runs by (pipeline_name, status).

    Args:
        session: an open session.
        pipeline_name: count only this pipeline's runs; None for every pipeline.
        model_name: count only runs for this model; None for every model.

    Returns:
        (pipeline_name, status) -> number of runs; empty if none match.
    """
    query = select(PipelineRun.pipeline_name, PipelineRun.status, func.count())
    if pipeline_name is not None:
        query = query.where(PipelineRun.pipeline_name == pipeline_name)
    if model_name is not None:
        query = query.where(PipelineRun.model_name == model_name)
    rows = session.execute(
        query.group_by(PipelineRun.pipeline_name, PipelineRun.status).order_by(
            PipelineRun.pipeline_name, PipelineRun.status
        )
    ).all()
    return {(name, status): count for name, status, count in rows}


def latest_drift_scores(
    session: Session,
    *,
    model_name: str,
    version: int,
    window_start: datetime,
    window_end: datetime,
    method: str = "js",
) -> dict[str, float]:
    """Return feature -> score of one method's drift results for one window.

    Only results with status "ok" and a score are returned; a feature whose drift
    could not be computed is absent. Empty if the window has no such results.

    Args:
        session: an open session.
        model_name: the model's name.
        version: its version.
        window_start: the window's start (aware datetime).
        window_end: the window's end (aware datetime).
        method: the drift method's name as stored (e.g. "js", "ks", "psi").
    """
    rows = session.execute(
        select(DriftResult.feature, DriftResult.score)
        .where(
            DriftResult.model_name == model_name,
            DriftResult.version == version,
            DriftResult.method == method,
            DriftResult.window_start == as_utc(window_start, what="window_start"),
            DriftResult.window_end == as_utc(window_end, what="window_end"),
            DriftResult.status == "ok",
            DriftResult.score.is_not(None),
        )
        .order_by(DriftResult.feature)
    ).all()
    return {feature: score for feature, score in rows}


def drift_scores_within(
    session: Session,
    *,
    model_name: str,
    version: int,
    start: datetime,
    end: datetime,
    method: str = "js",
) -> dict[str, float]:
    """Return feature -> score of the latest drift window lying inside [start, end].

    Drift runs on shorter windows than health (30 minutes against an hour); this
    collects the drift windows with ``start <= window_start`` and
    ``window_end <= end``, and for each feature keeps the score of the window that
    ends last. Only results with status "ok" and a score count.

    Args:
        session: an open session.
        model_name: the model's name.
        version: its version.
        start: the outer window's start (aware datetime).
        end: the outer window's end (aware datetime).
        method: the drift method's name as stored (e.g. "js").

    Returns:
        feature -> score; empty if no drift window inside the range has results.
    """
    rows = session.execute(
        select(DriftResult.feature, DriftResult.score)
        .where(
            DriftResult.model_name == model_name,
            DriftResult.version == version,
            DriftResult.method == method,
            DriftResult.window_start >= as_utc(start, what="start"),
            DriftResult.window_end <= as_utc(end, what="end"),
            DriftResult.status == "ok",
            DriftResult.score.is_not(None),
        )
        .order_by(DriftResult.feature, DriftResult.window_end)
    ).all()
    # ordered by window_end, so a later window overwrites an earlier one
    return {feature: score for feature, score in rows}


def count_rows(session: Session, table: str) -> int:
    """Return the number of rows in one of the store's tables.

    Raises:
        ConfigurationError: ``table`` is not one of the store's tables (they are
            listed in the message).
    """
    known = Base.metadata.tables
    if table not in known:
        raise ConfigurationError(
            f"unknown table {table!r}; the store's tables are {sorted(known)}"
        )
    return session.scalar(select(func.count()).select_from(known[table])) or 0
