"""Tests of tasks.metrics: one registry per run, push and file delivery."""

from __future__ import annotations

import json
import socket
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tasks.metrics import RunMetrics, metrics_file_path, publish, push_metrics


def _filled(job: str = "health", model: str = "bug_predictor") -> RunMetrics:
    metrics = RunMetrics(job=job, model_name=model)
    metrics.model_prediction_accuracy.labels(model_name=model, version="1").set(0.75)
    metrics.model_health_score.labels(model_name=model).set(0.5)
    for seconds in (0.004, 0.02, 0.02, 3.0):
        metrics.model_inference_duration_seconds.labels(
            model_name=model, endpoint="predict"
        ).observe(seconds)
    metrics.set_pipeline_run_totals({(job, "completed"): 7, (job, "failed"): 2})
    return metrics


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _wipe(gateway: str) -> None:
    request = urllib.request.Request(f"{gateway}/api/v1/admin/wipe", method="PUT")
    urllib.request.urlopen(request, timeout=5).close()


def test_each_run_has_its_own_registry_without_process_collectors():
    first, second = RunMetrics("drift", "m"), RunMetrics("drift", "m")
    first.model_health_score.labels(model_name="m").set(1.0)

    names = {family.name for family in second.registry.collect()}
    assert "process_cpu_seconds" not in names
    assert "python_info" not in names
    values = [s.value for f in second.registry.collect() for s in f.samples]
    assert 1.0 not in values


def test_run_metrics_rejects_empty_names():
    with pytest.raises(ValueError, match="non-empty"):
        RunMetrics(job="", model_name="m")


def test_file_delivery_carries_grouping_labels(tmp_path):
    metrics = _filled()
    metrics.mark_success(1_700_000_000.0)

    outcome = publish(metrics, metrics_dir=tmp_path)

    path = metrics_file_path(tmp_path, "health", "bug_predictor")
    assert outcome.delivery == "file" and outcome.target == str(path)
    samples = _samples(path.read_text())
    group = {("job", "health"), ("model_name", "bug_predictor")}
    key = frozenset(group | {("version", "1")})
    assert samples[("model_prediction_accuracy", key)] == 0.75
    runs = frozenset(group | {("pipeline_name", "health"), ("status", "failed")})
    assert samples[("pipeline_runs_total", runs)] == 2
    # 4 observations: 0.004 and two of 0.02 fall at or below 0.05, 3.0 above 2
    bucket = frozenset(group | {("endpoint", "predict"), ("le", "0.05")})
    assert samples[("model_inference_duration_seconds_bucket", bucket)] == 3
    stamp = frozenset(group)
    assert samples[("mlpulse_flow_last_success_timestamp_seconds", stamp)] == 1.7e9


def test_publish_without_target_raises():
    with pytest.raises(ValueError, match="pushgateway_url or a metrics_dir"):
        publish(_filled())


def test_push_to_closed_port_fails_after_retries_without_raising():
    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    outcome = push_metrics(
        _filled(), f"http://127.0.0.1:{port}", retries=2, backoff_seconds=0.0
    )

    assert outcome.delivery == "failed"
    assert outcome.attempts == 3
    assert "refused" in outcome.error.lower()


@pytest.mark.pushgateway
def test_push_reaches_real_pushgateway_and_reads_back(pushgateway_url):
    _wipe(pushgateway_url)
    metrics = _filled()
    metrics.mark_success(1_700_000_000.0)

    outcome = publish(metrics, pushgateway_url=pushgateway_url)

    assert outcome.delivery == "pushed" and outcome.attempts == 1
    with urllib.request.urlopen(f"{pushgateway_url}/metrics", timeout=5) as response:
        samples = _samples(response.read().decode())
    # the Pushgateway adds an empty instance label to every pushed series
    group = {("job", "health"), ("model_name", "bug_predictor"), ("instance", "")}
    key = frozenset(group | {("version", "1")})
    assert samples[("model_prediction_accuracy", key)] == 0.75
    runs = frozenset(group | {("pipeline_name", "health"), ("status", "completed")})
    assert samples[("pipeline_runs_total", runs)] == 7
    assert samples[("mlpulse_metrics_push_failed_attempts", frozenset(group))] == 0


@pytest.mark.pushgateway
def test_failed_run_keeps_last_success_of_previous_push(pushgateway_url):
    _wipe(pushgateway_url)
    good = _filled()
    good.mark_success(1_700_000_000.0)
    publish(good, pushgateway_url=pushgateway_url)

    failed = RunMetrics("health", "bug_predictor")
    failed.set_pipeline_run_totals(
        {("health", "completed"): 7, ("health", "failed"): 3}
    )
    publish(failed, pushgateway_url=pushgateway_url)

    with urllib.request.urlopen(
        f"{pushgateway_url}/api/v1/metrics", timeout=5
    ) as response:
        groups = json.load(response)["data"]
    (group,) = [g for g in groups if g["labels"].get("job") == "health"]
    stamp = group["mlpulse_flow_last_success_timestamp_seconds"]["metrics"][0]
    assert float(stamp["value"]) == 1.7e9
    failed_runs = [
        m
        for m in group["pipeline_runs_total"]["metrics"]
        if m["labels"]["status"] == "failed"
    ]
    assert float(failed_runs[0]["value"]) == 3
