"""Tests of tasks.replay: rows as the serving code would log them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from tasks.errors import ConfigurationError
from tasks.replay import replay_batches


class _Model:
    """Scores a commit by its first feature; fails on a batch holding a negative."""

    def predict_proba(self, block: np.ndarray) -> np.ndarray:
        if (block[:, 0] < 0).any():
            raise ValueError("negative input")
        return np.column_stack([1 - block[:, 0], block[:, 0]])


class _Clock:
    """A fake clock that advances 2 ms per reading."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 0.002
        return self.now


def _commits(scores: list[float]) -> pd.DataFrame:
    start = datetime(2019, 1, 1, tzinfo=UTC)
    return pd.DataFrame(
        {
            "commit_id": [f"c{i}" for i in range(len(scores))],
            # given in reverse time order: the replay must sort them
            "committed_at": [
                start + timedelta(hours=len(scores) - i) for i in range(len(scores))
            ],
            "buggy": [i % 2 for i in range(len(scores))],
            "p": scores,
        }
    )


def test_rows_follow_commit_time_and_carry_labels_and_delays():
    commits = _commits([0.9, 0.2, 0.5])

    batches = list(
        replay_batches(
            _Model(),
            commits,
            model_name="m",
            version=3,
            features=["p"],
            label_delay=timedelta(days=2),
            batch_size=2,
            clock=_Clock(),
            cpu_clock=lambda: 0.0,
        )
    )

    assert [len(b.predictions) for b in batches] == [2, 1]
    rows = [p for b in batches for p in b.predictions]
    assert [r["id"] for r in rows] == ["m:c2", "m:c1", "m:c0"]
    assert [r["label"] for r in rows] == [1, 0, 1]  # 0.5 >= threshold 0.5
    assert [r["score"] for r in rows] == [0.5, 0.2, 0.9]
    assert all(r["version"] == 3 and r["status"] == "ok" for r in rows)
    # one clock reading before and one after each call: 2 ms apart
    assert rows[0]["latency_ms"] == pytest.approx(2.0)
    assert rows[0]["cpu_utilization"] == 0.0
    outcomes = [o for b in batches for o in b.outcomes]
    assert outcomes[0]["observed_at"] - rows[0]["created_at"] == timedelta(days=2)
    assert [o["actual"] for o in outcomes] == [0, 1, 0]


def test_failing_batch_is_logged_as_errors_not_raised():
    commits = _commits([0.9, -1.0, 0.3])

    batches = list(
        replay_batches(
            _Model(), commits, model_name="m", version=1, features=["p"], batch_size=1
        )
    )

    statuses = [b.predictions[0]["status"] for b in batches]
    assert statuses == ["ok", "error", "ok"]
    failed = batches[1].predictions[0]
    assert failed["score"] is None and failed["label"] is None


def test_missing_feature_column_is_a_clear_error():
    with pytest.raises(ConfigurationError, match=r"lacks columns \['q'\]"):
        list(
            replay_batches(
                _Model(), _commits([0.1]), model_name="m", version=1, features=["q"]
            )
        )
