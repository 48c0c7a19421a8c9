"""Reference profiles: kinds, quantile bins, constants, huge values, persistence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tasks.drift.profile import (
    ColumnProfile,
    bin_index,
    profile_column,
    profile_frame,
    summary_ranks,
)
from tasks.errors import ConfigurationError


def test_numeric_bins_are_reference_quantiles_with_underflow_and_overflow():
    # values 0..4, bins=2: quantiles at 0, 0.5, 1 are 0, 2, 4.
    # bins: (<0) | [0, 2) holds 0, 1 | [2, 4] holds 2, 3, 4 | (>4)
    profile = profile_column([0, 1, 2, 3, 4], column="x", bins=2)
    assert profile.kind == "numeric"
    assert profile.edges == (0.0, 2.0, 4.0)
    assert profile.counts == (0, 2, 3, 0)
    assert profile.quantiles == (0.0, 1.0, 2.0, 3.0, 4.0)
    assert profile.exact is True


def test_the_top_edge_is_inclusive_and_values_outside_go_to_the_outer_bins():
    edges = np.array([0.0, 2.0, 4.0])
    found = bin_index(edges, np.array([-1.0, 0.0, 1.9, 2.0, 4.0, 4.0000001]))
    assert found.tolist() == [0, 1, 1, 2, 2, 3]


def test_constant_reference_has_below_equal_and_above_bins():
    profile = profile_column(np.full(50, 7.0), column="c")
    assert profile.edges == (7.0,)
    assert profile.counts == (0, 50, 0)
    found = bin_index(np.array([7.0]), np.array([6.0, 7.0, 8.0]))
    assert found.tolist() == [0, 1, 2]


def test_tied_quantiles_merge_into_fewer_bins():
    # 8 zeros and 2 ones; decile p sits at position 9p of the sorted values:
    # p <= 0.7 -> positions <= 6.3, all 0; p = 0.8 -> 7.2 -> 0 + 0.2 * (1 - 0) = 0.2;
    # p = 0.9 -> 8.1 -> 1; p = 1 -> 1. Unique edges 0, 0.2, 1.
    profile = profile_column([0.0] * 8 + [1.0] * 2, column="t", bins=10)
    assert profile.edges == pytest.approx((0.0, 0.2, 1.0))
    assert profile.counts == (0, 8, 2, 0)


def test_huge_magnitudes_give_finite_strictly_increasing_edges():
    values = np.array([-1.7e308, -1e300, 0.0, 1e300, 1.7e308])
    profile = profile_column(values, column="huge", bins=4)
    assert all(np.isfinite(profile.edges))
    assert list(profile.edges) == sorted(set(profile.edges))
    assert profile.edges[0] == -1.7e308 and profile.edges[-1] == 1.7e308
    assert sum(profile.counts) == 5


def test_nan_none_and_infinities_are_counted_not_binned():
    series = pd.Series([1.0, np.nan, None, np.inf, -np.inf, 2.0, 3.0])
    profile = profile_column(series, column="m")
    assert (profile.n, profile.n_missing, profile.n_infinite) == (3, 2, 2)
    assert sum(profile.counts) == 3
    assert profile.quantiles == (1.0, 2.0, 3.0)


def test_all_missing_reference_gives_an_empty_profile():
    profile = profile_column([np.nan, np.nan], column="e")
    assert profile.n == 0 and profile.n_missing == 2
    assert profile.edges == () and profile.counts == ()


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (pd.Series([True, False, True]), "categorical"),
        (pd.Series(["a", "b", None]), "categorical"),
        (pd.Series(["a", "b"], dtype="category"), "categorical"),
        (pd.Series(["a", "b"], dtype="string"), "categorical"),
        (pd.Series([1, 2, 3], dtype="int64"), "numeric"),
        (pd.Series([1, None, 3], dtype="Int64"), "numeric"),
        # few distinct floats stay numeric
        (pd.Series([0.5, 0.5, 1.5, 1.5], dtype="float32"), "numeric"),
        (pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02"])), "numeric"),
    ],
)
def test_kind_follows_the_dtype(values, kind):
    assert profile_column(values, column="k").kind == kind


def test_categorical_profile_counts_labels_as_text():
    profile = profile_column(pd.Series(["b", "a", "b", None, "c"]), column="cat")
    assert profile.categories == ("a", "b", "c")
    assert profile.counts == (1, 2, 1)
    assert (profile.n, profile.n_missing) == (4, 1)


def test_datetime_reference_is_in_epoch_seconds():
    # 1970-01-02 is 86400 s after the epoch; a UTC+1 time zone is converted first.
    naive = pd.Series(pd.to_datetime(["1970-01-02", "1970-01-03", None]))
    profile = profile_column(naive, column="d")
    assert profile.quantiles == (86400.0, 172800.0)
    assert profile.n_missing == 1
    aware = pd.Series(pd.to_datetime(["1970-01-02 01:00"]).tz_localize("Etc/GMT-1"))
    assert profile_column(aware, column="d").quantiles == (86400.0,)


def test_large_reference_keeps_evenly_ranked_order_statistics():
    values = np.arange(100, dtype=float)[::-1]
    profile = profile_column(values, column="s", max_quantiles=11)
    # ranks round(k * 99 / 10): 0, 10, 20, 30, 40, 50, 59, 69, 79, 89, 99
    assert summary_ranks(100, 11).tolist() == [
        0,
        10,
        20,
        30,
        40,
        50,
        59,
        69,
        79,
        89,
        99,
    ]
    assert profile.quantiles == (0, 10, 20, 30, 40, 50, 59, 69, 79, 89, 99)
    assert profile.exact is False and profile.n == 100


def test_to_dict_round_trips_through_strict_json():
    frame = pd.DataFrame(
        {
            "num": [1.0, 2.0, np.nan, np.inf, 1e16],
            "cat": ["x", "y", "x", None, "z"],
        }
    )
    for profile in profile_frame(frame).values():
        text = json.dumps(profile.to_dict(), allow_nan=False)
        assert ColumnProfile.from_dict(json.loads(text)) == profile


def test_from_dict_names_what_is_missing():
    with pytest.raises(ConfigurationError, match=r"lacks \['counts'\]"):
        ColumnProfile.from_dict({"column": "a", "kind": "numeric", "n": 1, "edges": []})


def test_from_dict_rejects_counts_that_do_not_fit_the_edges():
    data = profile_column([1.0, 2.0, 3.0], column="a", bins=2).to_dict()
    data["counts"] = [0, 3]
    with pytest.raises(ConfigurationError, match="inconsistent"):
        ColumnProfile.from_dict(data)


def test_profile_frame_rejects_absent_columns():
    with pytest.raises(ConfigurationError, match=r"cannot profile columns \['b'\]"):
        profile_frame(pd.DataFrame({"a": [1.0]}), columns=["b"])


def test_from_dict_rejects_an_exact_profile_without_its_values():
    data = profile_column([1.0, 2.0, 3.0], column="a", bins=2).to_dict()
    data["quantiles"] = [1.0, 3.0]
    with pytest.raises(ConfigurationError, match="exact, but 2 stored values for n=3"):
        ColumnProfile.from_dict(data)
