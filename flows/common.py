"""What every monitoring flow run does around its own work.

A run resolves its window, opens the store, times its stages, records itself in
``pipeline_runs`` and publishes its metrics once at the end, whether it succeeded
or failed. A failed metrics push never fails a run whose results are stored: the
delivery outcome is recorded with the run instead.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from prefect import runtime
from prefect.logging import get_run_logger
from sqlalchemy.engine import Engine

from tasks import store
from tasks.metrics import DeliveryOutcome, RunMetrics, publish
from tasks.settings import Settings, get_settings
from tasks.windows import Window, aligned_window, window_ending

_engines: dict[str, Engine] = {}


def engine_for(url: str) -> Engine:
    """One engine per database URL and process, shared by the runs it serves."""
    engine = _engines.get(url)
    if engine is None:
        engine = _engines[url] = store.make_engine(url)
    return engine


def dispose_engines() -> None:
    """Close every shared engine (SQLite then folds its write-ahead log back)."""
    while _engines:
        _, engine = _engines.popitem()
        engine.dispose()


def resolve_window(window_end: datetime | None, minutes: float) -> Window:
    """The run's window: the one given, else the last complete one before the
    run's scheduled time (or now, for a run started by hand)."""
    if window_end is not None:
        if window_end.tzinfo is None:
            window_end = window_end.replace(tzinfo=UTC)
        return window_ending(window_end, minutes)
    scheduled = runtime.flow_run.scheduled_start_time
    moment = scheduled if scheduled is not None else datetime.now(UTC)
    return aligned_window(moment, int(minutes))


def _flow_run_id(pipeline: str, model_name: str, window: Window) -> str:
    run_id = runtime.flow_run.id
    if run_id:
        return str(run_id)
    return f"{pipeline}:{model_name}:{window.end.isoformat()}:{time.time_ns()}"


class MonitoringRun:
    """Book-keeping of one flow run for one model and window.

    Use as a context manager around the run's work; :meth:`stage` times each step.
    """

    def __init__(
        self,
        pipeline: str,
        model_name: str,
        window: Window,
        settings: Settings | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.model_name = model_name
        self.window = window
        self.settings = settings or get_settings()
        self.engine = engine_for(self.settings.resolved_database_url())
        self.metrics = RunMetrics(job=pipeline, model_name=model_name)
        self.run_id = _flow_run_id(pipeline, model_name, window)
        self.version: int | None = None
        self.delivery: DeliveryOutcome | None = None
        self.logger = get_run_logger()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time a step of the run into ``pipeline_duration_seconds``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.metrics.pipeline_duration_seconds.labels(
                pipeline_name=self.pipeline, stage=name
            ).observe(time.perf_counter() - started)

    def __enter__(self) -> MonitoringRun:
        self.started_at = datetime.now(UTC)
        self._clock = time.perf_counter()
        self.logger.info(
            "%s run for %s over %s", self.pipeline, self.model_name, self.window
        )
        return self

    def __exit__(self, kind, error, tb) -> None:
        status = "completed" if error is None else "failed"
        duration = time.perf_counter() - self._clock
        self.metrics.pipeline_duration_seconds.labels(
            pipeline_name=self.pipeline, stage="total"
        ).observe(duration)
        text = None
        if error is not None:
            text = "".join(traceback.format_exception_only(kind, error)).strip()
        row = {
            "id": self.run_id,
            "pipeline_name": self.pipeline,
            "model_name": self.model_name,
            "window_start": self.window.start,
            "window_end": self.window.end,
            "status": status,
            "started_at": self.started_at,
            "finished_at": datetime.now(UTC),
            "duration_seconds": duration,
            "metrics_delivery": None,
            "error": text,
        }
        try:
            with store.session_scope(self.engine) as session:
                store.record_pipeline_run(session, row)
                totals = store.pipeline_run_totals(
                    session, pipeline_name=self.pipeline, model_name=self.model_name
                )
        except Exception as exc:  # the store may be what failed; metrics still go out
            self.logger.warning("could not record the run in pipeline_runs: %s", exc)
            totals = {(self.pipeline, status): 1}
        # both statuses always appear, so increase() sees the first failure too
        zero = {(self.pipeline, "completed"): 0, (self.pipeline, "failed"): 0}
        self.metrics.set_pipeline_run_totals({**zero, **totals})
        if error is None:
            self.metrics.mark_success()

        self.delivery = publish(
            self.metrics,
            pushgateway_url=self.settings.pushgateway_url,
            metrics_dir=self.settings.resolved_metrics_dir(),
            retries=self.settings.push_retries,
            backoff_seconds=self.settings.push_backoff_seconds,
            timeout_seconds=self.settings.push_timeout_seconds,
        )
        if self.delivery.delivery == "failed":
            self.logger.warning(
                "metrics not delivered to %s after %d attempts: %s",
                self.delivery.target,
                self.delivery.attempts,
                self.delivery.error,
            )
        row["metrics_delivery"] = self.delivery.delivery
        try:
            with store.session_scope(self.engine) as session:
                store.record_pipeline_run(session, row)
        except Exception as exc:
            self.logger.warning("could not record the metrics delivery: %s", exc)
