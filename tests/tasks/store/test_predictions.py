"""Predictions and outcomes: idempotent inserts and window frames, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from tasks.errors import ConfigurationError
from tasks.store import (
    Prediction,
    count_rows,
    insert_outcomes,
    insert_predictions,
    load_window_outcomes,
    load_window_predictions,
    session_scope,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
BASE_COLUMNS = [
    "id",
    "version",
    "created_at",
    "score",
    "label",
    "latency_ms",
    "status",
    "cpu_utilization",
]


def _prediction(number: int, **changes) -> dict:
    row = {
        "id": f"p{number}",
        "model_name": "bug_predictor",
        "version": 1,
        "variant": None,
        "entity_id": f"commit-{number}",
        "features": {"la": float(number), "project": "apache/flink"},
        "score": 0.1 * number,
        "label": int(number % 2),
        "latency_ms": 5.0,
        "status": "ok",
        "cpu_utilization": 0.25,
        "created_at": T0 + timedelta(minutes=number),
    }
    row.update(changes)
    return row


def test_inserting_twice_stores_each_prediction_once(engine: sa.Engine) -> None:
    rows = [_prediction(n) for n in range(5)]
    with session_scope(engine) as session:
        first = insert_predictions(session, rows)
    with session_scope(engine) as session:
        again = insert_predictions(session, [*rows, _prediction(5)])
        changed = insert_predictions(session, [_prediction(0, score=0.99)])
    with session_scope(engine) as session:
        stored = count_rows(session, "predictions")
        score = session.get(Prediction, "p0").score
    assert (first, again, changed, stored) == (5, 1, 0, 6)
    assert score == 0.0  # the first write is kept


def test_repeated_ids_within_one_call_count_once(engine: sa.Engine) -> None:
    rows = [_prediction(1), _prediction(1, score=0.9), _prediction(2)]
    with session_scope(engine) as session:
        assert insert_predictions(session, rows) == 2
        assert session.get(Prediction, "p1").score == pytest.approx(0.1)


def test_no_rows_insert_nothing(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        assert insert_predictions(session, []) == 0
        assert insert_outcomes(session, []) == 0


def test_numpy_values_and_nan_are_stored_as_python_values_and_null(
    engine: sa.Engine,
) -> None:
    row = _prediction(
        1,
        version=np.int64(2),
        score=np.float32(0.5),
        label=np.int8(1),
        latency_ms=np.float64("nan"),
        cpu_utilization=np.inf,
        features={"la": np.float64("nan"), "nf": np.int64(4), "fix": np.bool_(True)},
    )
    with session_scope(engine) as session:
        insert_predictions(session, [row])
    with session_scope(engine) as session:
        nulls = session.scalar(
            sa.text(
                "SELECT count(*) FROM predictions "
                "WHERE latency_ms IS NULL AND cpu_utilization IS NULL"
            )
        )
        stored = session.get(Prediction, "p1")
    assert nulls == 1
    assert (stored.version, stored.score, stored.label) == (2, 0.5, 1)
    assert stored.features == {"la": None, "nf": 4, "fix": True}


def test_created_at_round_trips_as_the_same_instant_in_utc(engine: sa.Engine) -> None:
    east = timezone(timedelta(hours=5, minutes=30))
    made = datetime(2024, 5, 1, 18, 0, 0, 123456, tzinfo=east)
    with session_scope(engine) as session:
        insert_predictions(session, [_prediction(1, created_at=made)])
    with session_scope(engine) as session:
        stored = session.get(Prediction, "p1").created_at
        frame = load_window_predictions(
            session, model_name="bug_predictor", start=T0, end=T0 + timedelta(hours=1)
        )
    # 18:00:00.123456 at UTC+05:30 is 12:30:00.123456 UTC
    assert stored == datetime(2024, 5, 1, 12, 30, 0, 123456, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)
    assert frame["created_at"].tolist() == [
        pd.Timestamp("2024-05-01 12:30:00.123456", tz="UTC")
    ]


def test_naive_datetimes_are_refused_and_nothing_is_stored(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ConfigurationError, match="naive"):
            insert_predictions(
                session,
                [_prediction(1), _prediction(2, created_at=datetime(2024, 5, 1))],
            )
        with pytest.raises(ConfigurationError, match="window start.*naive"):
            load_window_predictions(
                session, model_name="m", start=datetime(2024, 5, 1), end=T0
            )
        assert count_rows(session, "predictions") == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"status": "fine"}, "status must be one of"),
        ({"features": [1, 2]}, "features must be a dict"),
        ({"features": {"score": 1.0}}, r"feature name\(s\) \['score'\] clash"),
        ({"entity_id": "a\x00b"}, "NUL character"),
        ({"model_name": None}, "predictions.model_name is required"),
        ({"id": None}, r"lacks key column\(s\) \['id'\]"),
        ({"extra": 1}, r"unknown column\(s\) \['extra'\]"),
    ],
)
def test_malformed_predictions_are_refused(
    engine: sa.Engine, changes: dict, message: str
) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ConfigurationError, match=message):
            insert_predictions(session, [_prediction(1, **changes)])


def test_window_includes_its_start_and_excludes_its_end(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        insert_predictions(session, [_prediction(n) for n in range(0, 40, 10)])
        insert_predictions(session, [_prediction(99, model_name="other")])
        frame = load_window_predictions(
            session,
            model_name="bug_predictor",
            start=T0 + timedelta(minutes=10),
            end=T0 + timedelta(minutes=30),
        )
    # rows at minutes 0, 10, 20, 30: [10, 30) holds 10 and 20
    assert frame["id"].tolist() == ["p10", "p20"]
    assert list(frame.columns) == [*BASE_COLUMNS, "la", "project"]
    assert frame["la"].tolist() == [10.0, 20.0]
    assert frame["project"].tolist() == ["apache/flink", "apache/flink"]
    assert frame["label"].tolist() == [0, 0]


def test_window_can_select_one_version(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        insert_predictions(session, [_prediction(1), _prediction(2, version=2)])
        frame = load_window_predictions(
            session,
            model_name="bug_predictor",
            start=T0,
            end=T0 + timedelta(hours=1),
            version=2,
        )
    assert frame["id"].tolist() == ["p2"]
    assert frame["version"].tolist() == [2]


def test_missing_values_and_features_come_back_as_missing(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        insert_predictions(
            session,
            [
                _prediction(1, score=None, label=None, status="error"),
                _prediction(2, features={"la": 2.0, "nf": 3}),
            ],
        )
        frame = load_window_predictions(
            session, model_name="bug_predictor", start=T0, end=T0 + timedelta(hours=1)
        )
    assert np.isnan(frame.loc[0, "score"])
    assert frame.loc[0, "label"] is pd.NA
    assert frame.loc[1, "label"] == 0
    assert frame["status"].tolist() == ["error", "ok"]
    assert np.isnan(frame.loc[0, "nf"]) and frame.loc[1, "nf"] == 3


def test_empty_windows_give_empty_frames_with_the_fixed_columns(
    engine: sa.Engine,
) -> None:
    with session_scope(engine) as session:
        insert_predictions(session, [_prediction(1)])
        predictions = load_window_predictions(
            session, model_name="bug_predictor", start=T0 - timedelta(days=1), end=T0
        )
        outcomes = load_window_outcomes(
            session, model_name="bug_predictor", start=T0, end=T0 + timedelta(days=1)
        )
    assert predictions.empty and outcomes.empty
    assert list(predictions.columns) == BASE_COLUMNS
    assert list(outcomes.columns) == [
        "prediction_id",
        "version",
        "label",
        "score",
        "actual",
        "observed_at",
        "created_at",
    ]
    assert str(predictions["created_at"].dtype) == "datetime64[ns, UTC]"
    assert str(outcomes["observed_at"].dtype) == "datetime64[ns, UTC]"
    assert predictions["score"].dtype == np.float64


def test_a_window_ending_before_it_starts_is_refused(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ConfigurationError, match="ends .* before it starts"):
            load_window_outcomes(
                session, model_name="m", start=T0, end=T0 - timedelta(seconds=1)
            )


def test_outcomes_are_stored_once_and_joined_to_their_predictions(
    engine: sa.Engine,
) -> None:
    day = timedelta(days=1)
    with session_scope(engine) as session:
        insert_predictions(session, [_prediction(n) for n in (1, 2, 3)])
        first = insert_outcomes(
            session,
            [
                {"prediction_id": "p1", "actual": np.int64(1), "observed_at": T0 + day},
                {"prediction_id": "p2", "actual": 0, "observed_at": T0 + 2 * day},
            ],
        )
        again = insert_outcomes(
            session,
            [
                {"prediction_id": "p1", "actual": 0, "observed_at": T0 + day},
                {"prediction_id": "p3", "actual": 1, "observed_at": T0 + 3 * day},
            ],
        )
        frame = load_window_outcomes(
            session, model_name="bug_predictor", start=T0 + day, end=T0 + 3 * day
        )
    assert (first, again) == (2, 1)
    # observed in [day 1, day 3): p1 and p2; p1 keeps its first actual (1)
    assert frame["prediction_id"].tolist() == ["p1", "p2"]
    assert frame["actual"].tolist() == [1, 0]
    assert frame["label"].tolist() == [1, 0]
    assert frame["score"].tolist() == pytest.approx([0.1, 0.2])
    assert frame["version"].tolist() == [1, 1]
    assert frame["observed_at"].tolist() == [
        pd.Timestamp(T0 + day),
        pd.Timestamp(T0 + 2 * day),
    ]
    assert frame["created_at"].tolist() == [
        pd.Timestamp(T0 + timedelta(minutes=1)),
        pd.Timestamp(T0 + timedelta(minutes=2)),
    ]


def test_outcomes_for_unknown_predictions_are_refused(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        insert_predictions(session, [_prediction(1)])
        with pytest.raises(
            ConfigurationError,
            match=r"2 outcome\(s\) name predictions that are not stored: 'nope', 'p9'",
        ):
            insert_outcomes(
                session,
                [
                    {"prediction_id": "p1", "actual": 1, "observed_at": T0},
                    {"prediction_id": "p9", "actual": 1, "observed_at": T0},
                    {"prediction_id": "nope", "actual": 0, "observed_at": T0},
                ],
            )
        assert count_rows(session, "outcomes") == 0


def test_the_real_commit_set_is_stored_and_windowed(
    engine: sa.Engine, apachejit_csv: Path
) -> None:
    commits = pd.read_csv(apachejit_csv)
    features = ["la", "ld", "nf", "nd", "ns", "ent", "ndev", "age", "nuc", "aexp"]
    created = pd.to_datetime(commits["author_date"], unit="s", utc=True)
    rows = [
        {
            "id": commit.commit_id,
            "model_name": "bug_predictor",
            "version": 1,
            "features": {name: getattr(commit, name) for name in features},
            "label": commit.buggy,
            "status": "ok",
            "created_at": created.iloc[index],
        }
        for index, commit in enumerate(commits.itertuples(index=False))
    ]
    start, end = (
        T0.replace(year=2018, month=1, day=1, hour=0),
        T0.replace(year=2019, month=1, day=1, hour=0),
    )
    with session_scope(engine) as session:
        inserted = insert_predictions(session, rows)
    with session_scope(engine) as session:
        frame = load_window_predictions(
            session, model_name="bug_predictor", start=start, end=end
        )
    in_2018 = commits[(created >= start) & (created < end)]
    assert inserted == len(commits) == commits["commit_id"].nunique()
    assert len(frame) == len(in_2018)
    assert frame["la"].sum() == in_2018["la"].sum()
    assert frame["ent"].to_numpy() == pytest.approx(
        in_2018.assign(t=created).sort_values(["t", "commit_id"])["ent"].to_numpy()
    )
    assert frame["label"].sum() == in_2018["buggy"].sum()
