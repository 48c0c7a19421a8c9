"""The one-process local runner: every scheduled deployment served by this process.

``mlpulse serve`` registers the drift and health deployments with the Prefect API
the environment names (or a temporary local one) and runs their scheduled and
manual runs in this process until it is stopped. For production, register them
from prefect.yaml and let workers of a work pool run them.
"""

from __future__ import annotations

from prefect import serve

from flows.drift import drift_flow
from flows.health import health_flow
from tasks.settings import Settings


def serve_all(settings: Settings, *, model_name: str = "bug_predictor") -> None:
    """Serve the monitoring deployments of one model on their schedules."""
    drift_minutes = settings.drift_schedule_minutes
    health_minutes = settings.health_schedule_minutes
    serve(
        drift_flow.to_deployment(
            name="drift",
            interval=drift_minutes * 60,
            parameters={"model_name": model_name, "window_minutes": drift_minutes},
            tags=["mlpulse", "drift"],
        ),
        health_flow.to_deployment(
            name="health",
            interval=health_minutes * 60,
            parameters={"model_name": model_name, "window_minutes": health_minutes},
            tags=["mlpulse", "health"],
        ),
    )
