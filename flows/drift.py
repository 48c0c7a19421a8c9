"""Feature drift: the model's recent inputs against its training (reference) data.

Scheduled every 30 minutes. For each feature of the model version, the window's
values are compared with the reference profile stored at registration, by
Jensen-Shannon distance, Kolmogorov-Smirnov and the Population Stability Index.
A feature counts as drifted when its score passes the method's threshold and the
difference is significant after Benjamini-Hochberg control across the window's
features, which keeps a window of many features from raising alarms by chance.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from prefect import flow

from flows.common import MonitoringRun, resolve_window
from tasks import drift, store
from tasks.drift.profile import ColumnProfile
from tasks.drift.result import DriftResult
from tasks.settings import Settings, get_settings
from tasks.windows import Window


def load_window(run: MonitoringRun, version: int | None) -> tuple[dict, pd.DataFrame]:
    """The model version's reference profiles and the window's predictions."""
    with store.session_scope(run.engine) as session:
        model = store.get_model_version(session, run.model_name, version)
        profiles = store.load_reference_profiles(
            session, model_name=run.model_name, version=model.version
        )
        frame = store.load_window_predictions(
            session,
            model_name=run.model_name,
            version=model.version,
            start=run.window.start,
            end=run.window.end,
        )
    run.version = model.version
    return profiles, frame


def compute_drift(
    profiles: dict[str, dict], frame: pd.DataFrame, settings: Settings
) -> list[DriftResult]:
    """Every feature by every method, with false-alarm control across features."""
    columns = {name: ColumnProfile.from_dict(data) for name, data in profiles.items()}
    # an empty window has no feature columns at all: that is an empty current
    # window for every feature, not a feature missing from the predictions
    current = frame if len(frame) else frame.reindex(columns=list(columns))
    return drift.compare(
        columns,
        current,
        methods=("js", "ks", "psi"),
        thresholds={
            "js": settings.drift_threshold_js,
            "ks": settings.drift_threshold_ks,
            "psi": settings.drift_threshold_psi,
        },
        alpha=settings.drift_alpha,
        min_rows=settings.drift_min_rows,
    )


def persist(run: MonitoringRun, results: list[DriftResult]) -> int:
    """Upsert the results: re-running the window replaces its rows."""
    now = datetime.now(UTC)
    rows = []
    for result in results:
        data = result.to_dict()
        rows.append(
            {
                "model_name": run.model_name,
                "version": run.version,
                "feature": result.column,
                "method": result.method,
                "window_start": run.window.start,
                "window_end": run.window.end,
                "score": data["score"],
                "p_value": data["p_value"],
                "threshold": result.threshold,
                "direction": result.direction,
                "drifted": result.drifted,
                "status": result.status,
                "n_reference": result.n_reference,
                "n_current": result.n_current,
                "missing_share_reference": data["missing_share_reference"],
                "missing_share_current": data["missing_share_current"],
                "details": {
                    "notes": list(result.notes),
                    "new_categories": list(result.new_categories),
                },
                "computed_at": now,
            }
        )
    with store.session_scope(run.engine) as session:
        return store.upsert_drift_results(session, rows)


def fill_metrics(
    run: MonitoringRun, results: list[DriftResult], frame: pd.DataFrame
) -> None:
    """Per-feature drift gauges, the window's size and its completeness."""
    metrics = run.metrics
    for result in results:
        if result.method == "js" and result.status in ("ok", "too_few_rows"):
            metrics.model_feature_drift_score.labels(
                model_name=run.model_name, feature_name=result.column
            ).set(result.score)
        if result.drifted is not None:
            metrics.model_feature_drifted.labels(
                model_name=run.model_name,
                feature_name=result.column,
                method=result.method,
            ).set(int(result.drifted))
    metrics.model_window_predictions.labels(
        model_name=run.model_name, version=str(run.version)
    ).set(len(frame))
    features = sorted({r.column for r in results})
    if len(frame) and features:
        values = frame.reindex(columns=features).apply(pd.to_numeric, errors="coerce")
        finite = np.isfinite(values.to_numpy(dtype="float64"))
        metrics.data_quality_score.labels(
            dataset=f"{run.model_name}/predictions", check_type="completeness"
        ).set(float(finite.mean()))


def summarise(run: MonitoringRun, results: list[DriftResult], rows: int) -> dict:
    """A JSON-safe summary of the run for callers and the Prefect UI."""
    flagged = sorted(
        {(r.column, r.method, round(r.score, 4)) for r in results if r.drifted}
    )
    return {
        "pipeline": run.pipeline,
        "model_name": run.model_name,
        "version": run.version,
        "window_start": run.window.start.isoformat(),
        "window_end": run.window.end.isoformat(),
        "n_current": max((r.n_current for r in results), default=0),
        "results": [r.to_dict() for r in results],
        "drifted": [{"feature": c, "method": m, "score": s} for c, m, s in flagged],
        "rows_written": rows,
    }


@flow(name="drift")
def drift_flow(
    model_name: str = "bug_predictor",
    window_end: datetime | None = None,
    window_minutes: float | None = None,
    version: int | None = None,
) -> dict:
    """Compute and store feature drift for one model and window.

    Args:
        model_name: the registered model to check.
        window_end: end of the window; by default the last complete window before
            the scheduled time.
        window_minutes: the window's length; the drift schedule's by default.
        version: the model version; the current champion by default.
    """
    settings = get_settings()
    window: Window = resolve_window(
        window_end, window_minutes or settings.drift_schedule_minutes
    )
    with MonitoringRun("drift", model_name, window, settings) as run:
        with run.stage("load"):
            profiles, frame = load_window(run, version)
        with run.stage("compute"):
            results = compute_drift(profiles, frame, settings)
        with run.stage("persist"):
            rows = persist(run, results)
        fill_metrics(run, results, frame)
        summary = summarise(run, results, rows)
    summary["metrics_delivery"] = run.delivery.delivery if run.delivery else None
    summary["metrics_target"] = run.delivery.target if run.delivery else None
    if summary["drifted"]:
        run.logger.warning(
            "drift in %d feature/method pairs: %s",
            len(summary["drifted"]),
            ", ".join(f"{d['feature']}/{d['method']}" for d in summary["drifted"]),
        )
    return summary
