"""Population Stability Index with its one shared smoothing rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tasks.drift import psi
from tasks.drift.profile import profile_column


def test_psi_matches_the_hand_computation():
    # bins (<0) [0,2) [2,4] (>4); reference 0..4 -> counts 0 2 3 0 (n=5),
    # current 1 1 3 5 -> counts 0 2 1 1 (n=4); eps = 0.5 / max(5, 4) = 0.1, B = 4:
    # r = (0 + .1, .4 + .1, .6 + .1, 0 + .1) / 1.4 = (.1, .5, .7, .1) / 1.4
    # c = (0 + .1, .5 + .1, .25 + .1, .25 + .1) / 1.4 = (.1, .6, .35, .35) / 1.4
    # PSI = (.1/1.4) ln(.6/.5) + (-.35/1.4) ln(.35/.7) + (.25/1.4) ln(.35/.1)
    #     = 0.013023 + 0.173287 + 0.223708 = 0.410018
    profile = profile_column([0, 1, 2, 3, 4], column="x", bins=2)
    found = psi.compute(profile, [1, 1, 3, 5], threshold=0.1, min_rows=1)
    expected = (
        (0.1 / 1.4) * math.log(0.6 / 0.5)
        + (-0.35 / 1.4) * math.log(0.35 / 0.7)
        + (0.25 / 1.4) * math.log(0.35 / 0.1)
    )
    assert found.score == pytest.approx(expected, rel=1e-12)
    assert found.score == pytest.approx(0.410018, abs=1e-6)


def test_same_proportions_at_other_sample_sizes_give_exactly_zero():
    reference = np.repeat([1.0, 2.0, 3.0], [10, 20, 30])
    current = np.repeat([1.0, 2.0, 3.0], [200, 400, 600])
    found = psi.compute(profile_column(reference, column="p"), current, threshold=0.1)
    assert found.score == 0.0
    assert found.drifted is False


def test_smoothed_empty_bin_stays_below_the_smallest_real_share():
    # n = 4 on 3 bins, eps = 0.5 / 4 = 0.125: the empty bin gets
    # 0.125 / (1 + 3 * 0.125) = 0.0909, below the smallest real share
    # (1/4 + 0.125) / 1.375 = 0.2727; the shares still add up to 1.
    shares = psi.smoothed_shares(np.array([1, 3, 0]), 0.125)
    assert shares[2] == pytest.approx(0.125 / 1.375)
    assert shares[2] < shares.min(where=np.array([1, 1, 0], bool), initial=1.0)
    assert shares.sum() == pytest.approx(1.0)


def test_one_sided_empty_bins_give_a_large_finite_psi():
    profile = profile_column(np.full(100, 1e16), column="c")
    found = psi.compute(profile, np.full(100, 3e16), threshold=0.1)
    # all mass moves from [c] to (>c): eps = 0.005, B = 3, shares (1 + eps) / 1.015
    # and eps / 1.015; PSI = 2 * (1 / 1.015) * ln(1.005 / 0.005)
    assert found.score == pytest.approx(2 * (1 / 1.015) * math.log(1.005 / 0.005))
    assert math.isfinite(found.score) and found.drifted is True


def test_categorical_psi_counts_new_categories():
    profile = profile_column(
        np.array(["a"] * 50 + ["b"] * 50, dtype=object), column="c"
    )
    current = np.array(["a"] * 30 + ["b"] * 30 + ["new"] * 40, dtype=object)
    found = psi.compute(profile, current, threshold=0.1)
    assert found.new_categories == ("new",)
    assert found.score > 1.0 and found.drifted is True
