"""The health flow on a hand-built window whose score is computed by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from flows.health import health_flow
from tasks import store
from tasks.settings import get_settings
from tests.databases import fresh_postgres_database

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _prediction(pid, minutes, score, label, latency, cpu, status="ok"):
    return {
        "id": pid,
        "model_name": "m",
        "version": 1,
        "variant": None,
        "entity_id": pid,
        "features": {"a": 1.0},
        "score": score,
        "label": label,
        "latency_ms": latency,
        "status": status,
        "cpu_utilization": cpu,
        "created_at": _at(minutes),
    }


def _drift(feature, start, end, score):
    return {
        "model_name": "m",
        "version": 1,
        "feature": feature,
        "method": "js",
        "window_start": _at(start),
        "window_end": _at(end),
        "score": score,
        "p_value": 0.5,
        "threshold": 0.1,
        "direction": "higher_means_drift",
        "drifted": False,
        "status": "ok",
        "n_reference": 100,
        "n_current": 50,
        "missing_share_reference": 0.0,
        "missing_share_current": 0.0,
        "details": {},
        "computed_at": _at(0),
    }


def _fill(url: str) -> None:
    store.upgrade(url)
    engine = store.make_engine(url)
    with store.session_scope(engine) as session:
        store.register_model_version(
            session, model_name="m", artifact="unused", features=["a"], metrics={}
        )
        store.insert_predictions(
            session,
            [
                _prediction("p0", -60, 0.1, 0, 10.0, 0.9),  # before the window
                _prediction("p1", 5, 0.9, 1, 100.0, 0.2),
                _prediction("p2", 10, 0.2, 0, 200.0, 0.4),
                _prediction("p3", 15, 0.7, 1, 300.0, 0.6),
                _prediction("p4", 20, None, None, 50.0, None, status="error"),
                _prediction("p5", 25, 0.8, 1, 100.0, 0.2),
            ],
        )
        store.insert_outcomes(
            session,
            [
                {"prediction_id": "p0", "actual": 0, "observed_at": _at(40)},
                {"prediction_id": "p1", "actual": 1, "observed_at": _at(10)},
                {"prediction_id": "p2", "actual": 1, "observed_at": _at(20)},
                {"prediction_id": "p3", "actual": 1, "observed_at": _at(30)},
                {"prediction_id": "p5", "actual": 0, "observed_at": _at(90)},
            ],
        )
        store.upsert_drift_results(
            session,
            [
                _drift("a", -30, 30, 0.9),  # straddles the window: not inside it
                _drift("a", 0, 30, 0.3),
                _drift("a", 30, 60, 0.06),
                _drift("b", 30, 60, 0.09),
            ],
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hand_store(request, tmp_path, monkeypatch) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mlpulse.db'}"
        context = None
    else:
        context = fresh_postgres_database(request.getfixturevalue("postgres_url"))
        url = context.__enter__()
    _fill(url)
    monkeypatch.setenv("MLPULSE_DATABASE_URL", url)
    monkeypatch.setenv("MLPULSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLPULSE_PUSHGATEWAY_URL", raising=False)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    if context is not None:
        from flows.common import engine_for

        engine_for(url).dispose()
        context.__exit__(None, None, None)


def test_health_of_a_hand_built_window(hand_store):
    summary = health_flow(model_name="m", window_end=_at(60), window_minutes=60)

    # outcomes observed in the window: p1 right, p2 wrong, p3 right, p0 right
    assert summary["accuracy"] == pytest.approx(3 / 4)
    assert summary["n_labelled"] == 4
    # ok latencies 100, 200, 300, 100 -> p95 by linear interpolation:
    # sorted 100 100 200 300, rank 0.95*3 = 2.85 -> 200 + 0.85*100 = 285
    assert summary["p95_latency_ms"] == pytest.approx(285.0)
    assert summary["error_rate"] == pytest.approx(1 / 5)  # p4 of p1..p5
    assert summary["resource_utilization"] == pytest.approx((0.2 + 0.4 + 0.6 + 0.2) / 4)
    # latest drift window inside the hour: a 0.06, b 0.09 -> 0.09
    assert summary["drift"] == pytest.approx(0.09)
    # components: 0.75/0.9, 1-0.285, 1-0.09/0.3, 1-0.2/0.1 -> 0, 1-0.35/0.8
    expected = (
        0.4 * (0.75 / 0.9)
        + 0.2 * (1 - 0.285)
        + 0.2 * (1 - 0.3)
        + 0.1 * 0.0
        + 0.1 * (1 - 0.35 / 0.8)
    )
    assert summary["health_score"] == pytest.approx(expected)
    assert summary["status"] == "warning"  # 0.6648

    engine = store.make_engine(hand_store)
    with store.session_scope(engine) as session:
        (row,) = session.scalars(select(store.HealthScore))
        assert row.health_score == pytest.approx(expected)
        assert (row.status, row.n_predictions, row.n_labelled) == ("warning", 5, 4)
    engine.dispose()


def test_window_without_data_is_unknown_and_stored_as_null(hand_store):
    summary = health_flow(
        model_name="m", window_end=datetime(2031, 1, 1, tzinfo=UTC), window_minutes=60
    )

    assert summary["status"] == "unknown"
    assert summary["health_score"] is None
    assert summary["n_predictions"] == 0
    engine = store.make_engine(hand_store)
    with store.session_scope(engine) as session:
        (row,) = session.scalars(select(store.HealthScore))
        assert row.health_score is None and row.status == "unknown"
    engine.dispose()


def test_rerunning_a_window_replaces_its_health_row(hand_store):
    for _ in range(3):
        health_flow(model_name="m", window_end=_at(60), window_minutes=60)

    engine = store.make_engine(hand_store)
    with store.session_scope(engine) as session:
        assert store.count_rows(session, "health_scores") == 1
        assert store.count_rows(session, "pipeline_runs") == 3
    engine.dispose()
