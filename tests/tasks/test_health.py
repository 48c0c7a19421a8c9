"""Tests of tasks.health: normalisations, weights and statuses."""

from __future__ import annotations

import math

import pytest

from tasks.health import component_scores, health_status, score_health

WEIGHTS = {
    "accuracy": 0.4,
    "latency": 0.2,
    "drift": 0.2,
    "error_rate": 0.1,
    "resource_utilization": 0.1,
}


def test_design_example_scores_by_hand():
    components = component_scores(
        accuracy=0.81,
        p95_latency_ms=250.0,
        drift=0.06,
        error_rate=0.02,
        resource_utilization=0.4,
    )
    # 0.81/0.9 = 0.9; 1-250/1000 = 0.75; 1-0.06/0.3 = 0.8; 1-0.02/0.1 = 0.8;
    # 1-0.4/0.8 = 0.5
    assert components == pytest.approx(
        {
            "accuracy": 0.9,
            "latency": 0.75,
            "drift": 0.8,
            "error_rate": 0.8,
            "resource_utilization": 0.5,
        }
    )

    health = score_health(components, weights=WEIGHTS)

    # 0.4*0.9 + 0.2*0.75 + 0.2*0.8 + 0.1*0.8 + 0.1*0.5 = 0.36+0.15+0.16+0.08+0.05
    assert health.score == pytest.approx(0.80)
    assert health.status == "healthy"


def test_components_are_clipped_to_unit_interval():
    components = component_scores(
        accuracy=0.99,
        p95_latency_ms=5000.0,
        drift=0.9,
        error_rate=0.5,
        resource_utilization=1.0,
    )
    assert components == {
        "accuracy": 1.0,
        "latency": 0.0,
        "drift": 0.0,
        "error_rate": 0.0,
        "resource_utilization": 0.0,
    }
    # only accuracy counts: 0.4 * 1.0
    assert score_health(components, weights=WEIGHTS).score == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("score", "status"),
    [
        (0.8, "healthy"),
        (0.7999, "warning"),
        (0.6, "warning"),
        (0.5999, "critical"),
        (0.0, "critical"),
        (float("nan"), "unknown"),
    ],
)
def test_status_boundaries(score, status):
    assert health_status(score) == status


def test_missing_inputs_rescale_the_remaining_weights():
    components = component_scores(
        accuracy=None,
        p95_latency_ms=500.0,
        drift=float("nan"),
        error_rate=0.0,
        resource_utilization=None,
    )

    health = score_health(components, weights=WEIGHTS)

    # latency 0.5 (weight 0.2) and error 1.0 (weight 0.1) rescaled to 2/3 and 1/3
    assert health.weights == pytest.approx({"latency": 2 / 3, "error_rate": 1 / 3})
    assert health.score == pytest.approx(2 / 3 * 0.5 + 1 / 3 * 1.0)
    assert health.missing == ("accuracy", "drift", "resource_utilization")
    assert health.status == "warning"


def test_no_inputs_at_all_is_unknown_not_a_number():
    components = component_scores(
        accuracy=None,
        p95_latency_ms=None,
        drift=None,
        error_rate=None,
        resource_utilization=None,
    )

    health = score_health(components, weights=WEIGHTS)

    assert math.isnan(health.score)
    assert health.status == "unknown"


def test_negative_input_is_rejected_with_its_name():
    with pytest.raises(ValueError, match="error_rate must be >= 0"):
        component_scores(
            accuracy=0.9,
            p95_latency_ms=1.0,
            drift=0.0,
            error_rate=-0.1,
            resource_utilization=0.1,
        )


def test_unknown_weight_name_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown health components.*accuracy"):
        score_health({}, weights={"speed": 1.0})
