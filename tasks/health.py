"""The composite health score of a model (0 worst, 1 best) and its status.

Each input is turned into a component score in [0, 1] that rises with health, then
the components are averaged with the configured weights:

* accuracy: ``min(accuracy / accuracy_target, 1)``
* latency: ``max(0, 1 - p95_latency_ms / latency_target_ms)``
* drift: ``max(0, 1 - drift / drift_target)`` (drift is a distance: higher is worse)
* error rate: ``max(0, 1 - error_rate / error_rate_target)``
* resource utilisation: ``max(0, 1 - utilisation / resource_target)``

An input that is unknown for the window (no labelled outcomes, say) is left out and
the remaining weights are rescaled to add up to 1; the result records which inputs
were missing. With no input at all the score is NaN and the status ``unknown``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

COMPONENTS = ("accuracy", "latency", "drift", "error_rate", "resource_utilization")


@dataclass(frozen=True)
class HealthTargets:
    """Where each input's component score reaches 1 (accuracy) or 0 (the rest)."""

    accuracy: float = 0.9
    latency_ms: float = 1000.0
    drift: float = 0.3
    error_rate: float = 0.1
    resource_utilization: float = 0.8


@dataclass(frozen=True)
class HealthScore:
    """A model's health for one window.

    Attributes:
        score: weighted mean of the known components, in [0, 1]; NaN if none known.
        status: ``healthy``, ``warning``, ``critical`` or ``unknown``.
        components: each component's score, None where its input was unknown.
        weights: the weights actually applied (rescaled when inputs were missing).
        missing: the inputs that were unknown.
    """

    score: float
    status: str
    components: dict[str, float | None]
    weights: dict[str, float]
    missing: tuple[str, ...] = field(default=())


def _known(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def component_scores(
    *,
    accuracy: float | None,
    p95_latency_ms: float | None,
    drift: float | None,
    error_rate: float | None,
    resource_utilization: float | None,
    targets: HealthTargets = HealthTargets(),
) -> dict[str, float | None]:
    """Each input normalised to [0, 1], higher meaning healthier; None if unknown."""
    raw = {
        "accuracy": (accuracy, lambda v: min(v / targets.accuracy, 1.0)),
        "latency": (p95_latency_ms, lambda v: 1.0 - v / targets.latency_ms),
        "drift": (drift, lambda v: 1.0 - v / targets.drift),
        "error_rate": (error_rate, lambda v: 1.0 - v / targets.error_rate),
        "resource_utilization": (
            resource_utilization,
            lambda v: 1.0 - v / targets.resource_utilization,
        ),
    }
    scores: dict[str, float | None] = {}
    for name, (value, normalise) in raw.items():
        if not _known(value):
            scores[name] = None
            continue
        if value < 0:
            raise ValueError(f"health input {name} must be >= 0, got {value}")
        scores[name] = min(max(normalise(float(value)), 0.0), 1.0)
    return scores


def health_status(
    score: float, *, healthy_at: float = 0.8, warning_at: float = 0.6
) -> str:
    """``healthy`` at or above healthy_at, ``warning`` at or above warning_at, else
    ``critical``; ``unknown`` for NaN."""
    if not math.isfinite(score):
        return "unknown"
    if score >= healthy_at:
        return "healthy"
    if score >= warning_at:
        return "warning"
    return "critical"


def score_health(
    components: Mapping[str, float | None],
    *,
    weights: Mapping[str, float],
    healthy_at: float = 0.8,
    warning_at: float = 0.6,
) -> HealthScore:
    """Combine component scores with weights into the health score and status."""
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise ValueError(f"unknown health components {unknown}; valid: {COMPONENTS}")
    known = {name: components.get(name) for name in COMPONENTS}
    present = [name for name, value in known.items() if value is not None]
    missing = tuple(name for name in COMPONENTS if name not in present)
    total = sum(weights[name] for name in present)
    if not present or total <= 0:
        return HealthScore(float("nan"), "unknown", known, {}, missing)
    applied = {name: weights[name] / total for name in present}
    score = sum(applied[name] * known[name] for name in present)
    score = min(max(score, 0.0), 1.0)
    status = health_status(score, healthy_at=healthy_at, warning_at=warning_at)
    return HealthScore(score, status, known, applied, missing)
