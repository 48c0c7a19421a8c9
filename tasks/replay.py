"""Replay of historical commits as production traffic for a registered model.

Commits are served in commit-time order in small batches, the way a batching model
server sees them: the model scores each batch once and every prediction in it
records the batch's measured wall time as its latency, and the share of the
machine's CPU the serving process used meanwhile as its resource utilisation. Each
commit's true label arrives later as an outcome, after a configurable delay in data
time. Predictions carry their commit time as ``created_at``, so windows over the
replay are windows of data time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from tasks.errors import ConfigurationError


@dataclass(frozen=True)
class ReplayBatch:
    """The prediction and outcome rows of one served batch, ready for the store."""

    predictions: list[dict]
    outcomes: list[dict]


def _cpu_share(cpu_seconds: float, wall_seconds: float) -> float | None:
    if wall_seconds <= 0:
        return None
    cores = os.cpu_count() or 1
    return min(max(cpu_seconds / (wall_seconds * cores), 0.0), 1.0)


def replay_batches(
    model: object,
    commits: pd.DataFrame,
    *,
    model_name: str,
    version: int,
    features: list[str],
    label_delay: timedelta = timedelta(days=3),
    batch_size: int = 16,
    threshold: float = 0.5,
    clock: Callable[[], float] = time.perf_counter,
    cpu_clock: Callable[[], float] = time.process_time,
) -> Iterator[ReplayBatch]:
    """Serve ``commits`` batch by batch and yield the rows to store.

    Args:
        model: a fitted classifier with ``predict_proba``.
        commits: rows with commit_id, committed_at, buggy and the feature columns.
        features: the model's feature columns, in training order.
        label_delay: how long after the commit its true label is observed.
        batch_size: commits served in one call.
        threshold: a score at or above it predicts "buggy" (label 1).

    Yields:
        One :class:`ReplayBatch` per served batch, in commit-time order. Prediction
        ids are ``<model_name>:<commit_id>``, so replaying again is idempotent.
    """
    if batch_size < 1:
        raise ConfigurationError(f"batch_size must be at least 1, got {batch_size}")
    missing = [c for c in (*features, "commit_id", "committed_at") if c not in commits]
    if missing:
        raise ConfigurationError(f"replay data lacks columns {missing}")
    ordered = commits.sort_values("committed_at", kind="stable")
    matrix = ordered[features].to_numpy(dtype="float64")
    has_label = "buggy" in ordered

    for begin in range(0, len(ordered), batch_size):
        rows = ordered.iloc[begin : begin + batch_size]
        block = matrix[begin : begin + batch_size]
        wall, cpu = clock(), cpu_clock()
        try:
            scores = model.predict_proba(block)[:, 1]
            status = "ok"
        except ValueError:
            scores = np.full(len(rows), np.nan)
            status = "error"
        latency_ms = (clock() - wall) * 1000.0
        utilisation = _cpu_share(cpu_clock() - cpu, (latency_ms / 1000.0))

        predictions, outcomes = [], []
        for offset, (_, commit) in enumerate(rows.iterrows()):
            prediction_id = f"{model_name}:{commit['commit_id']}"
            score = float(scores[offset])
            ok = status == "ok" and np.isfinite(score)
            predictions.append(
                {
                    "id": prediction_id,
                    "model_name": model_name,
                    "version": version,
                    "variant": None,
                    "entity_id": str(commit["commit_id"]),
                    "features": {name: commit[name] for name in features},
                    "score": score if ok else None,
                    "label": int(score >= threshold) if ok else None,
                    "latency_ms": latency_ms,
                    "status": "ok" if ok else "error",
                    "cpu_utilization": utilisation,
                    "created_at": commit["committed_at"].to_pydatetime(),
                }
            )
            if has_label:
                outcomes.append(
                    {
                        "prediction_id": prediction_id,
                        "actual": int(commit["buggy"]),
                        "observed_at": (
                            commit["committed_at"] + label_delay
                        ).to_pydatetime(),
                    }
                )
        yield ReplayBatch(predictions, outcomes)
