"""The drift flow on real replayed predictions, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import socket
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from flows.drift import drift_flow
from tasks import store
from tasks.errors import UnknownModelError
from tasks.metrics import metrics_file_path
from tasks.settings import get_settings
from tests.flows.conftest import FEATURES, MODEL

# commits 2000-3500 of ApacheJIT (the replay) run from 2017-06 to 2018-03
WINDOW_END = datetime(2018, 2, 1, tzinfo=UTC)
MINUTES = 30 * 24 * 60


def _rows(url: str, table) -> list:
    engine = store.make_engine(url)
    try:
        with store.session_scope(engine) as session:
            return list(session.scalars(select(table)))
    finally:
        engine.dispose()


def _metric_values(path, name: str) -> dict[tuple, float]:
    families = text_string_to_metric_families(path.read_text())
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
        if sample.name == name
    }


def _replayed_in_window(commits) -> int:
    replay = commits.iloc[2000:3500]["committed_at"]
    start = WINDOW_END - timedelta(minutes=MINUTES)
    return int(((replay >= start) & (replay < WINDOW_END)).sum())


def test_drift_flow_stores_each_feature_and_method_once(configured, commits):
    summary = drift_flow(
        model_name=MODEL, window_end=WINDOW_END, window_minutes=MINUTES
    )
    again = drift_flow(model_name=MODEL, window_end=WINDOW_END, window_minutes=MINUTES)

    rows = _rows(configured, store.DriftResult)
    assert len(rows) == len(FEATURES) * 3
    assert {(r.feature, r.method) for r in rows} == {
        (f, m) for f in FEATURES for m in ("js", "ks", "psi")
    }
    expected = _replayed_in_window(commits)
    assert summary["n_current"] == again["n_current"] == expected
    assert all(r.n_current == expected and r.n_reference == 2000 for r in rows)
    # a re-run replaces the rows with the same values
    assert {r.feature: r.score for r in rows if r.method == "js"} == {
        r["column"]: r["score"] for r in again["results"] if r["method"] == "js"
    }
    # author experience grows with time: months after training it has drifted
    aexp = {r.method: r for r in rows if r.feature == "aexp"}
    assert aexp["js"].score > 0.1 and aexp["js"].drifted is True
    assert aexp["psi"].score > 0.1 and aexp["psi"].drifted is True
    # the KS distance stays below its 0.1 threshold for this window (0.094)
    assert aexp["ks"].score < 0.1 and aexp["ks"].drifted is False


def test_drift_metrics_match_the_stored_scores(configured, tmp_path):
    drift_flow(model_name=MODEL, window_end=WINDOW_END, window_minutes=MINUTES)

    path = metrics_file_path(tmp_path / "metrics", "drift", MODEL)
    gauges = _metric_values(path, "model_feature_drift_score")
    stored = {
        r.feature: r.score
        for r in _rows(configured, store.DriftResult)
        if r.method == "js"
    }
    assert {dict(k)["feature_name"]: v for k, v in gauges.items()} == pytest.approx(
        stored
    )
    runs = _metric_values(path, "pipeline_runs_total")
    assert {dict(k)["status"]: v for k, v in runs.items()} == {
        "completed": 1,
        "failed": 0,
    }
    stamps = _metric_values(path, "mlpulse_flow_last_success_timestamp_seconds")
    assert list(stamps.values())[0] > 1.7e9


def test_empty_window_gives_a_status_per_feature_not_a_crash(configured):
    summary = drift_flow(
        model_name=MODEL, window_end=datetime(2030, 1, 1, tzinfo=UTC), window_minutes=30
    )

    assert summary["n_current"] == 0
    rows = _rows(configured, store.DriftResult)
    assert len(rows) == len(FEATURES) * 3
    assert {r.status for r in rows} == {"empty_current"}
    assert all(r.drifted is None and r.score is None for r in rows)


def test_unknown_model_fails_and_is_recorded_as_failed(configured, tmp_path):
    with pytest.raises(UnknownModelError, match="registered: bug_predictor"):
        drift_flow(model_name="nope", window_end=WINDOW_END, window_minutes=30)

    (run,) = _rows(configured, store.PipelineRun)
    assert (run.pipeline_name, run.model_name, run.status) == (
        "drift",
        "nope",
        "failed",
    )
    assert "UnknownModelError" in run.error
    assert run.metrics_delivery == "file"
    path = metrics_file_path(tmp_path / "metrics", "drift", "nope")
    assert _metric_values(path, "mlpulse_flow_last_success_timestamp_seconds") == {}
    runs = _metric_values(path, "pipeline_runs_total")
    assert {dict(k)["status"]: v for k, v in runs.items()} == {
        "completed": 0,
        "failed": 1,
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_pushgateway_loses_no_result(configured, monkeypatch):
    monkeypatch.setenv("MLPULSE_PUSHGATEWAY_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("MLPULSE_PUSH_RETRIES", "1")
    monkeypatch.setenv("MLPULSE_PUSH_BACKOFF_SECONDS", "0")
    get_settings.cache_clear()

    summary = drift_flow(
        model_name=MODEL, window_end=WINDOW_END, window_minutes=MINUTES
    )

    assert summary["metrics_delivery"] == "failed"
    assert len(_rows(configured, store.DriftResult)) == len(FEATURES) * 3
    (run,) = _rows(configured, store.PipelineRun)
    assert (run.status, run.metrics_delivery) == ("completed", "failed")


@pytest.mark.pushgateway
def test_drift_metrics_reach_the_real_pushgateway(
    configured, monkeypatch, pushgateway_url
):
    gateway = pushgateway_url
    model = MODEL
    request = urllib.request.Request(
        f"{gateway}/metrics/job/drift/model_name/{model}", method="DELETE"
    )
    urllib.request.urlopen(request, timeout=5).close()
    monkeypatch.setenv("MLPULSE_PUSHGATEWAY_URL", gateway)
    get_settings.cache_clear()

    summary = drift_flow(
        model_name=MODEL, window_end=WINDOW_END, window_minutes=MINUTES
    )

    assert summary["metrics_delivery"] == "pushed"
    with urllib.request.urlopen(f"{gateway}/api/v1/metrics", timeout=5) as response:
        groups = json.load(response)["data"]
    (group,) = [
        g
        for g in groups
        if (g["labels"].get("job"), g["labels"].get("model_name")) == ("drift", model)
    ]
    pushed = {
        m["labels"]["feature_name"]: float(m["value"])
        for m in group["model_feature_drift_score"]["metrics"]
    }
    stored = {
        r.feature: r.score
        for r in _rows(configured, store.DriftResult)
        if r.method == "js"
    }
    assert pushed == pytest.approx(stored)
