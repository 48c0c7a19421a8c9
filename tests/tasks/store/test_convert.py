"""Boundary conversion: what each column type accepts, converts and refuses."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tasks.errors import ConfigurationError
from tasks.store.convert import json_safe, prepare_row
from tasks.store.models import DriftResult, HealthScore, Prediction

PREDICTIONS = Prediction.__table__
DRIFT = DriftResult.__table__


def test_numpy_scalars_become_python_values() -> None:
    row = prepare_row(
        DRIFT,
        {
            "version": np.int64(3),
            "score": np.float32(0.25),
            "drifted": np.bool_(True),
            "n_current": np.uint32(40),
            "feature": np.str_("la"),
        },
    )
    assert row == {
        "version": 3,
        "score": 0.25,
        "drifted": True,
        "n_current": 40,
        "feature": "la",
    }
    assert [type(v) for v in row.values()] == [int, float, bool, int, str]


@pytest.mark.parametrize(
    "missing", [float("nan"), np.float64("nan"), math.inf, -np.inf, None, pd.NA]
)
def test_nan_infinities_and_missing_markers_are_stored_as_null(missing) -> None:
    assert prepare_row(DRIFT, {"score": missing, "p_value": missing}) == {
        "score": None,
        "p_value": None,
    }


def test_integral_floats_become_integers_and_nan_integers_null() -> None:
    row = prepare_row(PREDICTIONS, {"label": 1.0, "version": np.float64(2.0)})
    assert row == {"label": 1, "version": 2}
    assert prepare_row(PREDICTIONS, {"label": np.nan}) == {"label": None}


def test_fractional_integers_are_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"predictions.label.*fractional 0.5"):
        prepare_row(PREDICTIONS, {"label": 0.5})


def test_integers_outside_the_column_range_are_refused() -> None:
    # version is int4 on PostgreSQL: 2**31 = 2147483648 does not fit.
    with pytest.raises(ConfigurationError, match="2147483648 is outside"):
        prepare_row(PREDICTIONS, {"version": 2**31})
    # n_current is int8: 2**40 fits.
    assert prepare_row(DRIFT, {"n_current": 2**40}) == {"n_current": 2**40}


def test_huge_floats_are_kept_exactly() -> None:
    assert prepare_row(DRIFT, {"score": 1e300}) == {"score": 1e300}
    assert prepare_row(DRIFT, {"score": Decimal("1e16")}) == {"score": 1e16}


def test_text_in_a_number_column_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="expected a number, got str '0.5'"):
        prepare_row(DRIFT, {"score": "0.5"})


def test_aware_datetimes_are_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    row = prepare_row(
        PREDICTIONS,
        {"created_at": datetime(2024, 3, 1, 14, 30, tzinfo=plus_two)},
    )
    # 14:30 at UTC+2 is 12:30 UTC
    assert row["created_at"] == datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert row["created_at"].utcoffset() == timedelta(0)


def test_pandas_timestamps_are_accepted() -> None:
    stamp = pd.Timestamp("2024-03-01 12:30:00.000001", tz="UTC")
    row = prepare_row(PREDICTIONS, {"created_at": stamp})
    assert type(row["created_at"]) is datetime
    assert row["created_at"] == datetime(2024, 3, 1, 12, 30, 0, 1, tzinfo=UTC)


def test_naive_datetimes_are_refused_with_a_hint() -> None:
    with pytest.raises(ConfigurationError, match=r"predictions.created_at.*naive"):
        prepare_row(PREDICTIONS, {"created_at": datetime(2024, 3, 1)})


def test_text_with_nul_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"NUL character .* at position 2"):
        prepare_row(PREDICTIONS, {"entity_id": "ab\x00c"})


def test_text_with_an_unpaired_surrogate_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unpaired surrogate at position 1"):
        prepare_row(PREDICTIONS, {"entity_id": "a\ud800b"})


def test_unknown_columns_are_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown column\(s\) \['scor'\]"):
        prepare_row(PREDICTIONS, {"scor": 0.5})


def test_null_in_a_required_column_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="health_scores.status is required"):
        prepare_row(HealthScore.__table__, {"status": None})


def test_json_is_cleaned_recursively() -> None:
    value = {
        "bins": np.array([0.0, np.inf, 2.5]),
        "counts": (np.int64(3), np.int32(4)),
        "nested": [{"missing": np.nan, "flag": np.bool_(False)}],
        1: "one",
        "categories": {"b", "a"},
        "when": datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
    }
    assert json_safe(value) == {
        "bins": [0.0, None, 2.5],
        "counts": [3, 4],
        "nested": [{"missing": None, "flag": False}],
        "1": "one",
        "categories": ["a", "b"],
        "when": "2024-01-01T00:00:00+00:00",
    }


def test_json_refuses_values_without_a_json_form_and_names_the_path() -> None:
    with pytest.raises(ConfigurationError, match=r"details\['notes'\]\[1\]: bytes"):
        prepare_row(DRIFT, {"details": {"notes": ["ok", b"raw"]}})
    with pytest.raises(ConfigurationError, match=r"details\['x'\].*NUL"):
        prepare_row(DRIFT, {"details": {"x": "a\x00"}})
