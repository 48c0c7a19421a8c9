"""Result tables: upserts keyed by window, pipeline runs, summaries, row counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tasks.errors import ConfigurationError
from tasks.store import (
    DriftResult,
    HealthScore,
    PipelineRun,
    count_rows,
    drift_scores_within,
    latest_drift_scores,
    pipeline_run_totals,
    record_pipeline_run,
    session_scope,
    upsert_drift_results,
    upsert_health_score,
)

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
END = START + timedelta(minutes=30)
COMPUTED = datetime(2024, 5, 1, 12, 31, tzinfo=UTC)


def _drift(feature: str, method: str = "js", **changes) -> dict:
    row = {
        "model_name": "bug_predictor",
        "version": 1,
        "feature": feature,
        "method": method,
        "window_start": START,
        "window_end": END,
        "score": 0.05,
        "p_value": None,
        "threshold": 0.1,
        "direction": "up",
        "drifted": False,
        "status": "ok",
        "n_reference": 5000,
        "n_current": 120,
        "missing_share_reference": 0.0,
        "missing_share_current": 0.0,
        "details": {"notes": [], "new_categories": []},
        "computed_at": COMPUTED,
    }
    row.update(changes)
    return row


def test_drift_upsert_replaces_the_rows_of_a_window(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        first = upsert_drift_results(session, [_drift("la"), _drift("ld")])
    with session_scope(engine) as session:
        again = upsert_drift_results(
            session,
            [
                _drift(
                    "la",
                    score=np.float64(0.3),
                    drifted=np.bool_(True),
                    details={"notes": ["shifted"], "new_categories": ["x"]},
                ),
                _drift("ld", score=0.07),
            ],
        )
    with session_scope(engine) as session:
        rows = count_rows(session, "drift_results")
        la = session.scalars(
            select(DriftResult).where(DriftResult.feature == "la")
        ).one()
    assert (first, again, rows) == (2, 2, 2)
    assert (la.score, la.drifted) == (0.3, True)
    assert la.details == {"notes": ["shifted"], "new_categories": ["x"]}


def test_drift_rows_of_another_window_or_method_are_new_rows(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        upsert_drift_results(
            session,
            [
                _drift("la"),
                _drift("la", method="ks"),
                _drift("la", window_start=END, window_end=END + timedelta(minutes=30)),
                _drift("la", version=2),
            ],
        )
        assert count_rows(session, "drift_results") == 4


def test_drift_nan_and_infinity_are_stored_as_null(engine: sa.Engine) -> None:
    row = _drift(
        "la",
        score=np.nan,
        p_value=np.float64("inf"),
        drifted=None,
        status="insufficient_data",
        details={"notes": ["too few rows"], "ratio": float("nan")},
    )
    with session_scope(engine) as session:
        upsert_drift_results(session, [row])
    with session_scope(engine) as session:
        nulls = session.scalar(
            sa.text(
                "SELECT count(*) FROM drift_results WHERE score IS NULL "
                "AND p_value IS NULL AND drifted IS NULL"
            )
        )
        details = session.scalars(select(DriftResult.details)).one()
    assert nulls == 1
    assert details == {"notes": ["too few rows"], "ratio": None}


def test_drift_computed_at_defaults_to_now(engine: sa.Engine) -> None:
    row = _drift("la")
    del row["computed_at"]
    with session_scope(engine) as session:
        upsert_drift_results(session, [row])
        stored = session.scalars(select(DriftResult.computed_at)).one()
    assert abs((datetime.now(UTC) - stored).total_seconds()) < 60


def test_window_keys_match_whatever_time_zone_they_came_in(engine: sa.Engine) -> None:
    east = timezone(timedelta(hours=2))
    with session_scope(engine) as session:
        upsert_drift_results(session, [_drift("la")])
        upsert_drift_results(
            session,
            [
                _drift(
                    "la",
                    window_start=START.astimezone(east),
                    window_end=END.astimezone(east),
                    score=0.2,
                )
            ],
        )
        scores = latest_drift_scores(
            session,
            model_name="bug_predictor",
            version=1,
            window_start=START.astimezone(east),
            window_end=END,
        )
        assert count_rows(session, "drift_results") == 1
    assert scores == {"la": 0.2}


def test_latest_drift_scores_keep_only_computed_scores_of_the_method(
    engine: sa.Engine,
) -> None:
    with session_scope(engine) as session:
        upsert_drift_results(
            session,
            [
                _drift("la", score=0.12),
                _drift("ld", score=0.03),
                _drift("nf", score=None, status="empty_window"),
                _drift("la", method="psi", score=0.8),
                _drift("ns", window_start=END, window_end=END + timedelta(hours=1)),
            ],
        )
        scores = latest_drift_scores(
            session,
            model_name="bug_predictor",
            version=1,
            window_start=START,
            window_end=END,
        )
        none = latest_drift_scores(
            session,
            model_name="bug_predictor",
            version=2,
            window_start=START,
            window_end=END,
        )
    assert scores == {"la": 0.12, "ld": 0.03}
    assert none == {}


def test_drift_scores_within_take_each_features_last_window(engine: sa.Engine) -> None:
    half = timedelta(minutes=30)
    with session_scope(engine) as session:
        upsert_drift_results(
            session,
            [
                _drift("la", score=0.4),
                _drift("la", window_start=END, window_end=END + half, score=0.1),
                _drift("ld", score=0.2),
                _drift("ld", window_start=END, window_end=END + half, status="error"),
                _drift("nf", window_start=START - half, window_end=START, score=0.9),
            ],
        )
        scores = drift_scores_within(
            session,
            model_name="bug_predictor",
            version=1,
            start=START,
            end=START + timedelta(hours=1),
        )
    # la: windows 12:00-12:30 (0.4) and 12:30-13:00 (0.1) -> the later, 0.1;
    # ld: the later window failed -> the earlier 0.2; nf lies before the hour.
    assert scores == {"la": 0.1, "ld": 0.2}


def _health(**changes) -> dict:
    row = {
        "model_name": "bug_predictor",
        "version": 1,
        "window_start": START,
        "window_end": START + timedelta(hours=1),
        "health_score": 0.82,
        "status": "healthy",
        "accuracy": 0.81,
        "p95_latency_ms": 12.5,
        "drift_score": 0.04,
        "error_rate": 0.0,
        "resource_utilization": 0.3,
        "components": {"accuracy": 0.81, "latency": 1.0},
        "n_predictions": np.int64(240),
        "n_labelled": 200,
        "computed_at": COMPUTED,
    }
    row.update(changes)
    return row


def test_health_upsert_replaces_the_window_row(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        upsert_health_score(session, _health())
    with session_scope(engine) as session:
        upsert_health_score(
            session,
            _health(
                health_score=0.55,
                status="critical",
                accuracy=np.nan,
                components={"accuracy": None, "latency": 0.5},
            ),
        )
    with session_scope(engine) as session:
        rows = count_rows(session, "health_scores")
        stored = session.scalars(select(HealthScore)).one()
    assert rows == 1
    assert (stored.health_score, stored.status, stored.accuracy) == (
        0.55,
        "critical",
        None,
    )
    assert stored.components == {"accuracy": None, "latency": 0.5}
    assert (stored.n_predictions, stored.n_labelled) == (240, 200)


def test_health_status_must_be_known(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ConfigurationError, match="health status must be one of"):
            upsert_health_score(session, _health(status="fine"))


def _run(run_id: str, pipeline: str = "drift", **changes) -> dict:
    row = {
        "id": run_id,
        "pipeline_name": pipeline,
        "model_name": "bug_predictor",
        "window_start": START,
        "window_end": END,
        "status": "completed",
        "started_at": COMPUTED,
        "finished_at": COMPUTED + timedelta(seconds=3),
        "duration_seconds": np.float64(3.0),
        "metrics_delivery": None,
        "error": None,
    }
    row.update(changes)
    return row


def test_recording_a_run_again_updates_it(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        record_pipeline_run(session, _run("r1"))
        record_pipeline_run(session, _run("r1", metrics_delivery="pushed"))
    with session_scope(engine) as session:
        stored = session.get(PipelineRun, "r1")
        rows = count_rows(session, "pipeline_runs")
    assert rows == 1
    assert (stored.metrics_delivery, stored.duration_seconds) == ("pushed", 3.0)
    assert stored.finished_at == datetime(2024, 5, 1, 12, 31, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "running"}, "pipeline run status must be one of"),
        ({"metrics_delivery": "email"}, "metrics_delivery must be one of"),
        ({"error": "Traceback\x00"}, "NUL character"),
    ],
)
def test_bad_pipeline_runs_are_refused(
    engine: sa.Engine, changes: dict, message: str
) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ConfigurationError, match=message):
            record_pipeline_run(session, _run("r1", **changes))


def test_pipeline_run_totals_count_by_pipeline_and_status(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        assert pipeline_run_totals(session) == {}
        for run in (
            _run("a"),
            _run("b"),
            _run("c", status="failed", error="boom"),
            _run("d", "health"),
            _run("e", "health", model_name="other"),
        ):
            record_pipeline_run(session, run)
        totals = pipeline_run_totals(session)
        drift_only = pipeline_run_totals(session, pipeline_name="drift")
        health_of_other = pipeline_run_totals(
            session, pipeline_name="health", model_name="other"
        )
    assert totals == {
        ("drift", "completed"): 2,
        ("drift", "failed"): 1,
        ("health", "completed"): 2,
    }
    assert drift_only == {("drift", "completed"): 2, ("drift", "failed"): 1}
    assert health_of_other == {("health", "completed"): 1}


def test_count_rows_names_the_known_tables_for_an_unknown_one(
    engine: sa.Engine,
) -> None:
    with session_scope(engine) as session:
        assert count_rows(session, "predictions") == 0
        with pytest.raises(ConfigurationError, match=r"unknown table 'users'.*drift"):
            count_rows(session, "users")
