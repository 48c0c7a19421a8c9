"""Model health: one composite score per model and window.

Scheduled hourly. The inputs, each measured over the window:

* accuracy: share of outcomes that arrived in the window whose prediction was right;
* p95 latency: 95th percentile of the window's logged inference latencies;
* drift: the largest Jensen-Shannon distance of any feature, each feature taken
  from the latest drift window stored inside this one;
* error rate: share of the window's predictions that failed (status ``error``);
* resource utilisation: mean share of the machine's CPU the serving process used
  while predicting, as logged with each prediction.

They are combined with the configured weights into a score in [0, 1] and a status
(see ``tasks.health``).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from prefect import flow

from flows.common import MonitoringRun, resolve_window
from tasks import store
from tasks.health import HealthScore, HealthTargets, component_scores, score_health
from tasks.settings import Settings, get_settings


def _finite_mean(values: pd.Series) -> float | None:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    numbers = numbers[np.isfinite(numbers)]
    return float(numbers.mean()) if numbers.size else None


def load_inputs(run: MonitoringRun, version: int | None) -> dict:
    """The window's raw health inputs, None where the window cannot tell."""
    window = run.window
    with store.session_scope(run.engine) as session:
        model = store.get_model_version(session, run.model_name, version)
        run.version = model.version
        predictions = store.load_window_predictions(
            session,
            model_name=run.model_name,
            version=model.version,
            start=window.start,
            end=window.end,
        )
        outcomes = store.load_window_outcomes(
            session, model_name=run.model_name, start=window.start, end=window.end
        )
        drift_scores = store.drift_scores_within(
            session,
            model_name=run.model_name,
            version=model.version,
            start=window.start,
            end=window.end,
            method="js",
        )

    outcomes = outcomes[outcomes["version"] == model.version]
    labelled = outcomes.dropna(subset=["label", "actual"])
    served = predictions[predictions["status"] == "ok"]
    latencies = pd.to_numeric(served["latency_ms"], errors="coerce").dropna()
    return {
        "predictions": predictions,
        "n_predictions": len(predictions),
        "n_labelled": len(labelled),
        "accuracy": (
            float((labelled["label"] == labelled["actual"]).mean())
            if len(labelled)
            else None
        ),
        "p95_latency_ms": float(np.percentile(latencies, 95))
        if len(latencies)
        else None,
        "drift": max(drift_scores.values()) if drift_scores else None,
        "error_rate": (
            float((predictions["status"] == "error").mean())
            if len(predictions)
            else None
        ),
        "resource_utilization": _finite_mean(served["cpu_utilization"]),
    }


def compute_health(inputs: dict, settings: Settings) -> HealthScore:
    """The composite score from the inputs, with the configured weights."""
    targets = HealthTargets(
        accuracy=settings.health_accuracy_target,
        latency_ms=settings.health_latency_target_ms,
        drift=settings.health_drift_target,
        error_rate=settings.health_error_rate_target,
        resource_utilization=settings.health_resource_target,
    )
    components = component_scores(
        accuracy=inputs["accuracy"],
        p95_latency_ms=inputs["p95_latency_ms"],
        drift=inputs["drift"],
        error_rate=inputs["error_rate"],
        resource_utilization=inputs["resource_utilization"],
        targets=targets,
    )
    return score_health(
        components,
        weights=settings.health_weights.model_dump(),
        healthy_at=settings.health_healthy_at,
        warning_at=settings.health_warning_at,
    )


def persist(run: MonitoringRun, inputs: dict, health: HealthScore) -> None:
    """Upsert the window's health row: re-running the window replaces it."""
    row = {
        "model_name": run.model_name,
        "version": run.version,
        "window_start": run.window.start,
        "window_end": run.window.end,
        "health_score": health.score,
        "status": health.status,
        "accuracy": inputs["accuracy"],
        "p95_latency_ms": inputs["p95_latency_ms"],
        "drift_score": inputs["drift"],
        "error_rate": inputs["error_rate"],
        "resource_utilization": inputs["resource_utilization"],
        "components": {
            "scores": health.components,
            "weights": health.weights,
            "missing": list(health.missing),
        },
        "n_predictions": inputs["n_predictions"],
        "n_labelled": inputs["n_labelled"],
        "computed_at": datetime.now(UTC),
    }
    with store.session_scope(run.engine) as session:
        store.upsert_health_score(session, row)


def fill_metrics(run: MonitoringRun, inputs: dict, health: HealthScore) -> None:
    """Health, accuracy, latency and confidence metrics of the window."""
    metrics, name = run.metrics, run.model_name
    if math.isfinite(health.score):
        metrics.model_health_score.labels(model_name=name).set(health.score)
    if inputs["accuracy"] is not None:
        metrics.model_prediction_accuracy.labels(
            model_name=name, version=str(run.version)
        ).set(inputs["accuracy"])
    metrics.model_window_predictions.labels(
        model_name=name, version=str(run.version)
    ).set(inputs["n_predictions"])
    served = inputs["predictions"]
    served = served[served["status"] == "ok"]
    latency = metrics.model_inference_duration_seconds.labels(
        model_name=name, endpoint="predict"
    )
    for value in pd.to_numeric(served["latency_ms"], errors="coerce").dropna():
        latency.observe(value / 1000.0)
    scores = pd.to_numeric(served["score"], errors="coerce").dropna().to_numpy()
    for predicted, confidence in (
        (1, scores[scores >= 0.5]),
        (0, 1 - scores[scores < 0.5]),
    ):
        histogram = metrics.model_prediction_confidence.labels(
            model_name=name, prediction_class=str(predicted)
        )
        for value in confidence:
            histogram.observe(float(value))


@flow(name="health")
def health_flow(
    model_name: str = "bug_predictor",
    window_end: datetime | None = None,
    window_minutes: float | None = None,
    version: int | None = None,
) -> dict:
    """Compute and store the health score of one model for one window.

    Args:
        model_name: the registered model to score.
        window_end: end of the window; by default the last complete window before
            the scheduled time.
        window_minutes: the window's length; the health schedule's by default.
        version: the model version; the current champion by default.
    """
    settings = get_settings()
    window = resolve_window(
        window_end, window_minutes or settings.health_schedule_minutes
    )
    with MonitoringRun("health", model_name, window, settings) as run:
        with run.stage("load"):
            inputs = load_inputs(run, version)
        with run.stage("compute"):
            health = compute_health(inputs, settings)
        with run.stage("persist"):
            persist(run, inputs, health)
        fill_metrics(run, inputs, health)
    if health.status in ("warning", "critical"):
        run.logger.warning(
            "%s health %.3f (%s)", model_name, health.score, health.status
        )
    return {
        "pipeline": "health",
        "model_name": model_name,
        "version": run.version,
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "health_score": health.score if math.isfinite(health.score) else None,
        "status": health.status,
        "components": health.components,
        "missing": list(health.missing),
        "accuracy": inputs["accuracy"],
        "p95_latency_ms": inputs["p95_latency_ms"],
        "drift": inputs["drift"],
        "error_rate": inputs["error_rate"],
        "resource_utilization": inputs["resource_utilization"],
        "n_predictions": inputs["n_predictions"],
        "n_labelled": inputs["n_labelled"],
        "metrics_delivery": run.delivery.delivery if run.delivery else None,
        "metrics_target": run.delivery.target if run.delivery else None,
    }
