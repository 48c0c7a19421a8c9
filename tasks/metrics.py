"""Prometheus metrics of one flow run, and their delivery.

Each flow run fills its own :class:`RunMetrics` (a fresh ``CollectorRegistry`` holding
only mlpulse's metrics, no process collectors) and hands it to :func:`publish` once at
the end. ``publish`` pushes the registry to the Pushgateway grouped by ``job`` (the
flow) and ``model_name``; without a Pushgateway it writes the same series, with the
same grouping labels, in the text exposition format to one file per group, which
node_exporter's textfile collector can read.

Metrics pushed by a batch flow describe the flow's window: a histogram holds that
window's observations and is replaced by the next push. ``pipeline_runs_total`` is
the exception: its value is the cumulative count of runs read from the store, so
``increase()`` over it is meaningful.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, Histogram, write_to_textfile
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.exposition import push_to_gateway, pushadd_to_gateway
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
PIPELINE_DURATION_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)


class _PipelineRunTotals(Collector):
    """``pipeline_runs_total`` taken from the store's cumulative run counts."""

    def __init__(self) -> None:
        self.totals: dict[tuple[str, str], int] = {}

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily(
            "pipeline_runs",
            "Flow runs recorded in the store, by pipeline and final status.",
            labels=["pipeline_name", "status"],
        )
        for (pipeline_name, status), count in sorted(self.totals.items()):
            family.add_metric([pipeline_name, status], count)
        yield family


class RunMetrics:
    """The metrics of one flow run for one model, in a registry of their own.

    Args:
        job: the flow's name; the Pushgateway group's ``job``.
        model_name: the model the run is about; the group's second key.
    """

    def __init__(self, job: str, model_name: str) -> None:
        if not job or not model_name:
            raise ValueError(
                f"job and model_name must be non-empty, got {job!r}, {model_name!r}"
            )
        self.job = job
        self.model_name = model_name
        self.registry = CollectorRegistry()
        registry = self.registry

        self.model_prediction_accuracy = Gauge(
            "model_prediction_accuracy",
            "Accuracy of the predictions whose outcomes arrived in the window.",
            ["model_name", "version"],
            registry=registry,
        )
        self.model_inference_duration_seconds = Histogram(
            "model_inference_duration_seconds",
            "Inference latency of the window's predictions, in seconds.",
            ["model_name", "endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.model_prediction_confidence = Histogram(
            "model_prediction_confidence",
            "Confidence of the window's predictions in the class they predict.",
            ["model_name", "prediction_class"],
            buckets=CONFIDENCE_BUCKETS,
            registry=registry,
        )
        self.model_feature_drift_score = Gauge(
            "model_feature_drift_score",
            "Jensen-Shannon distance (base 2, 0..1) of a feature, reference vs window.",
            ["model_name", "feature_name"],
            registry=registry,
        )
        self.model_feature_drifted = Gauge(
            "model_feature_drifted",
            "1 when a method flags the feature after false-alarm control, else 0.",
            ["model_name", "feature_name", "method"],
            registry=registry,
        )
        self.model_health_score = Gauge(
            "model_health_score",
            "Composite health of the model, 0 (worst) to 1 (best).",
            ["model_name"],
            registry=registry,
        )
        self.model_window_predictions = Gauge(
            "model_window_predictions",
            "Predictions logged in the flow's window; 0 means the model served none.",
            ["model_name", "version"],
            registry=registry,
        )
        self.model_explanation_drift_ratio = Gauge(
            "model_explanation_drift_ratio",
            "Relative change of a feature's mean |SHAP| value from its baseline.",
            ["model_name", "feature_name"],
            registry=registry,
        )
        self.pipeline_duration_seconds = Histogram(
            "pipeline_duration_seconds",
            "Duration of each stage of the flow run, in seconds.",
            ["pipeline_name", "stage"],
            buckets=PIPELINE_DURATION_BUCKETS,
            registry=registry,
        )
        self.data_quality_score = Gauge(
            "data_quality_score",
            "Data quality of a data set by check, 0 (worst) to 1 (best).",
            ["dataset", "check_type"],
            registry=registry,
        )
        self.feedback_quality_ratio = Gauge(
            "feedback_quality_ratio",
            "Share of scored feedback judged high quality.",
            ["model_name"],
            registry=registry,
        )
        self.last_success = Gauge(
            "mlpulse_flow_last_success_timestamp_seconds",
            "Unix time at which the flow last finished successfully for the model.",
            ["job", "model_name"],
            registry=registry,
        )
        self.push_failed_attempts = Gauge(
            "mlpulse_metrics_push_failed_attempts",
            "Push attempts of this run that failed before the one that succeeded.",
            ["job", "model_name"],
            registry=registry,
        )
        self._pipeline_runs = _PipelineRunTotals()
        registry.register(self._pipeline_runs)

    def set_pipeline_run_totals(self, totals: Mapping[tuple[str, str], int]) -> None:
        """Set ``pipeline_runs_total`` from the store's (pipeline, status) counts."""
        self._pipeline_runs.totals = {key: int(value) for key, value in totals.items()}

    def mark_success(self, when: float | None = None) -> None:
        """Record that the run succeeded at ``when`` (unix seconds, default now)."""
        stamp = time.time() if when is None else when
        self.last_success.labels(job=self.job, model_name=self.model_name).set(stamp)

    @property
    def succeeded(self) -> bool:
        """Whether :meth:`mark_success` was called for this run."""
        return any(
            sample.value > 0
            for family in self.last_success.collect()
            for sample in family.samples
        )

    @property
    def grouping_key(self) -> dict[str, str]:
        return {"model_name": self.model_name}


@dataclass(frozen=True)
class DeliveryOutcome:
    """Where a run's metrics went.

    Attributes:
        delivery: ``"pushed"``, ``"file"`` or ``"failed"``.
        target: the Pushgateway URL or the file written.
        attempts: push attempts made (0 when writing a file).
        error: the last error's text when delivery failed, else None.
    """

    delivery: str
    target: str
    attempts: int
    error: str | None = None


class _GroupLabels(Collector):
    """Adds the Pushgateway's grouping labels to every sample of a registry."""

    def __init__(self, registry: CollectorRegistry, labels: Mapping[str, str]) -> None:
        self._registry = registry
        self._labels = dict(labels)

    def collect(self) -> Iterable[Metric]:
        for family in self._registry.collect():
            labelled = Metric(family.name, family.documentation, family.type)
            for sample in family.samples:
                labels = {**self._labels, **sample.labels}
                labelled.add_sample(
                    sample.name, labels, sample.value, sample.timestamp, sample.exemplar
                )
            yield labelled


def metrics_file_path(directory: Path, job: str, model_name: str) -> Path:
    """The text-format file that holds one (job, model) group's metrics."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in model_name)
    return directory / f"mlpulse_{job}_{safe}.prom"


def write_metrics_file(metrics: RunMetrics, directory: Path) -> Path:
    """Write the run's metrics, with job and model_name labels, to its group's file.

    The file is replaced atomically, like a push replaces a Pushgateway group.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = metrics_file_path(directory, metrics.job, metrics.model_name)
    wrapper = CollectorRegistry()
    labels = {"job": metrics.job, **metrics.grouping_key}
    wrapper.register(_GroupLabels(metrics.registry, labels))
    write_to_textfile(str(path), wrapper)
    return path


def push_metrics(
    metrics: RunMetrics,
    gateway_url: str,
    *,
    retries: int = 3,
    backoff_seconds: float = 0.5,
    timeout_seconds: float = 5.0,
) -> DeliveryOutcome:
    """Push the run's registry to the Pushgateway, retrying with backoff.

    A successful run replaces its whole group (HTTP PUT), so series the run no longer
    produces disappear. A failed run only adds what it holds (HTTP POST), so the
    group keeps the last successful run's values and its last-success timestamp,
    which is what lets staleness alerts fire.

    Returns:
        The outcome; ``delivery == "failed"`` after ``retries + 1`` failed attempts.
        Never raises for delivery problems: the caller records the outcome.
    """
    send = push_to_gateway if metrics.succeeded else pushadd_to_gateway
    attempts = 0
    error: str | None = None
    gauge = metrics.push_failed_attempts.labels(
        job=metrics.job, model_name=metrics.model_name
    )
    for attempt in range(retries + 1):
        attempts = attempt + 1
        gauge.set(attempt)
        try:
            send(
                gateway_url,
                job=metrics.job,
                registry=metrics.registry,
                grouping_key=metrics.grouping_key,
                timeout=timeout_seconds,
            )
        except Exception as exc:  # urllib raises several unrelated types here
            error = f"{type(exc).__name__}: {exc}"
            logger.warning(
                "push of %s/%s to %s failed (attempt %d of %d): %s",
                metrics.job,
                metrics.model_name,
                gateway_url,
                attempts,
                retries + 1,
                error,
            )
            if attempt < retries:
                time.sleep(backoff_seconds * 2**attempt)
            continue
        return DeliveryOutcome("pushed", gateway_url, attempts)
    return DeliveryOutcome("failed", gateway_url, attempts, error)


def publish(
    metrics: RunMetrics,
    *,
    pushgateway_url: str | None = None,
    metrics_dir: Path | None = None,
    retries: int = 3,
    backoff_seconds: float = 0.5,
    timeout_seconds: float = 5.0,
) -> DeliveryOutcome:
    """Deliver a run's metrics once: to the Pushgateway if given, else to a file.

    Args:
        metrics: the run's metrics.
        pushgateway_url: e.g. ``http://127.0.0.1:9091``; takes precedence.
        metrics_dir: folder for the text-format file when there is no Pushgateway.

    Raises:
        ValueError: when neither a Pushgateway nor a folder is given.
    """
    if pushgateway_url:
        return push_metrics(
            metrics,
            pushgateway_url,
            retries=retries,
            backoff_seconds=backoff_seconds,
            timeout_seconds=timeout_seconds,
        )
    if metrics_dir is None:
        raise ValueError("publish needs a pushgateway_url or a metrics_dir")
    path = write_metrics_file(metrics, metrics_dir)
    return DeliveryOutcome("file", str(path), 0)
