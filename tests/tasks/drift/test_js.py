"""Jensen-Shannon distance (base 2) on shared bins, with its null p-value."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tasks.drift import js
from tasks.drift.profile import profile_column


def test_categorical_js_matches_the_hand_computation():
    # P = (a .5, b .5, c 0), Q = (a .75, b 0, c .25), M = (.625, .25, .125)
    # KL(P||M) = .5 log2(.5/.625) + .5 log2(.5/.25) = .5 log2(.8) + .5 = 0.339036
    # KL(Q||M) = .75 log2(.75/.625) + .25 log2(.25/.125) = .75 log2(1.2) + .25
    #          = 0.447276
    # JS = sqrt((0.339036 + 0.447276) / 2) = sqrt(0.393156) = 0.627022
    profile = profile_column(pd.Series(["a", "a", "b", "b"]), column="c")
    found = js.compute(
        profile, pd.Series(["a", "a", "a", "c"]), threshold=0.1, min_rows=1
    )
    expected = math.sqrt(
        0.5 * (0.5 * math.log2(0.8) + 0.5) + 0.5 * (0.75 * math.log2(1.2) + 0.25)
    )
    assert found.status == "ok"
    assert found.score == pytest.approx(expected, rel=1e-12)
    assert found.score == pytest.approx(0.627022, abs=1e-6)
    assert found.new_categories == ("c",)


def test_numeric_js_matches_the_hand_computation():
    # reference 0..4, bins=2 -> bins (<0) [0,2) [2,4] (>4): P = (0, .4, .6, 0)
    # current 1, 1, 3, 5 -> Q = (0, .5, .25, .25); M = (0, .45, .425, .125)
    # KL(P||M) = .4 log2(.4/.45) + .6 log2(.6/.425) = 0.230530
    # KL(Q||M) = .5 log2(.5/.45) + .25 log2(.25/.425) + .25 log2(2) = 0.134618
    # JS = sqrt((0.230530 + 0.134618) / 2) = 0.427287
    profile = profile_column([0, 1, 2, 3, 4], column="x", bins=2)
    found = js.compute(profile, [1, 1, 3, 5], threshold=0.1, min_rows=1)
    assert found.score == pytest.approx(0.427287, abs=1e-6)


def test_different_constant_current_is_complete_drift():
    profile = profile_column(np.full(100, 1e16), column="big")
    found = js.compute(profile, np.full(100, 2e16), threshold=0.1)
    assert found.score == 1.0
    assert found.drifted is True


def test_same_constant_current_is_no_drift():
    profile = profile_column(np.full(100, 3.0), column="c")
    found = js.compute(profile, np.full(40, 3.0), threshold=0.1)
    assert found.score == 0.0
    assert found.drifted is False


def test_same_proportions_at_other_sample_sizes_give_exactly_zero():
    reference = np.repeat([1.0, 2.0, 3.0], [10, 20, 30])
    current = np.repeat([1.0, 2.0, 3.0], [200, 400, 600])
    found = js.compute(profile_column(reference, column="p"), current, threshold=0.1)
    assert found.score == 0.0
    assert found.p_value == 1.0


def test_integers_and_floats_of_the_same_values_do_not_drift():
    # 60 copies of 0..16 as int64 against 30 copies as float64: same shares.
    reference = pd.Series(np.tile(np.arange(17), 60), dtype="int64")
    current = pd.Series(np.tile(np.arange(17), 30), dtype="float64")
    found = js.compute(profile_column(reference, column="i"), current, threshold=0.1)
    assert found.score == 0.0
    assert found.drifted is False


def test_float32_current_of_the_same_values_does_not_drift():
    # float32(0.3) = 0.30000001192 lies above the float64 top edge 0.3; the edges are
    # rounded to float32 for a float32 window, so it stays in the top bin.
    values = np.tile([0.1, 0.2, 0.3], 100)
    profile = profile_column(values, column="f")
    current = pd.Series(values.astype(np.float32))
    found = js.compute(profile, current, threshold=0.1)
    assert found.score == 0.0
    assert any("float32" in note for note in found.notes)


def test_small_sample_bias_is_corrected_by_the_p_value():
    # Two samples of one distribution: 200 current rows on 12 bins give a JS
    # distance near 0.09 by chance alone, yet the p-values stay near uniform.
    rng = np.random.default_rng(7)
    scores, p_values = [], []
    for seed in range(100):
        profile = profile_column(rng.normal(size=5000), column="n")
        found = js.compute(profile, rng.normal(size=200), threshold=0.1, seed=seed)
        scores.append(found.score)
        p_values.append(found.p_value)
    assert 0.06 < np.mean(scores) < 0.12
    assert np.mean(np.array(p_values) < 0.05) <= 0.12
    assert np.mean(np.array(p_values) < 0.5) == pytest.approx(0.5, abs=0.15)


def test_p_value_repeats_for_one_seed_and_has_the_stated_floor():
    rng = np.random.default_rng(3)
    profile = profile_column(rng.normal(size=2000), column="s")
    current = rng.normal(loc=0.05, size=300)
    first = js.compute(profile, current, threshold=0.1, seed=11)
    again = js.compute(profile, current, threshold=0.1, seed=11)
    assert first.p_value == again.p_value
    shifted = js.compute(profile, current + 3.0, threshold=0.1, seed=11)
    assert shifted.p_value == 1 / 1001  # (1 + 0) / (1 + 1000 draws)


def test_nan_and_infinities_are_dropped_and_reported():
    profile = profile_column(np.arange(100.0), column="x")
    current = np.concatenate(
        [np.arange(100.0), [np.nan] * 20, [np.inf, np.inf, -np.inf]]
    )
    found = js.compute(profile, current, threshold=0.1)
    assert found.score == 0.0
    assert found.n_current == 100
    assert found.missing_share_current == pytest.approx(20 / 123)
    assert "3 infinite values dropped from the current window (2 +inf, 1 -inf)" in (
        found.notes
    )


def test_js_of_disjoint_shares_is_exactly_one_and_never_nan():
    found = js.js_distance(np.array([5, 0]), np.array([0, 7]))
    assert float(found) == 1.0
    tiny = js.js_distance(np.array([1, 10**15]), np.array([1, 10**15]))
    assert float(tiny) == 0.0
