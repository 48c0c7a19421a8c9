"""Two-sample Kolmogorov-Smirnov statistic, exact and asymptotic p-values."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tasks.drift import ks
from tasks.drift.profile import profile_column


def _enumerated_p_value(n: int, m: int, observed: Fraction) -> Fraction:
    """P(D >= observed) over all equally likely splits of n + m distinct values."""
    hits = total = 0
    for chosen in itertools.combinations(range(n + m), n):
        picked = set(chosen)
        seen_n = seen_m = 0
        largest = Fraction(0)
        for i in range(n + m):
            if i in picked:
                seen_n += 1
            else:
                seen_m += 1
            largest = max(largest, abs(Fraction(seen_n, n) - Fraction(seen_m, m)))
        hits += largest >= observed
        total += 1
    return Fraction(hits, total)


def test_ks_statistic_and_exact_p_value_match_an_enumeration():
    # reference 1 2 3 4, current 3.5 4.5 5 6: at x = 2, F_ref = 2/4, F_cur = 0;
    # at x = 3, F_ref = 3/4, F_cur = 0 -> D = 3/4.
    # P(D >= 3/4) under the null: among the C(8, 4) = 70 equally likely orders, the
    # count gap reaches +3 on C(8, 7) = 8 paths (reflection) and -3 on 8 more, never
    # both in 8 steps -> 16/70 = 8/35; the enumeration below confirms it.
    profile = profile_column([1.0, 2.0, 3.0, 4.0], column="x")
    found = ks.compute(profile, [3.5, 4.5, 5.0, 6.0], threshold=0.1, min_rows=1)
    assert found.score == 0.75
    enumerated = _enumerated_p_value(4, 4, Fraction(3, 4))
    assert enumerated == Fraction(8, 35)
    assert found.p_value == pytest.approx(float(enumerated), rel=1e-9)
    assert "exact two-sample KS p-value" in found.notes


def test_heavy_ties_are_compared_only_at_distinct_values():
    # reference 1 1 1 2 2, current 1 2 2 2 2: F_ref(1) = 3/5, F_cur(1) = 1/5;
    # F(2) = 1 on both sides -> D = 2/5 (evaluating between tied copies would not
    # change it, evaluating with side="left" would give 3/5).
    profile = profile_column([1, 1, 1, 2, 2], column="t")
    found = ks.compute(profile, [1, 2, 2, 2, 2], threshold=0.1, min_rows=1)
    assert found.score == pytest.approx(0.4)
    scipy_found = stats.ks_2samp([1, 1, 1, 2, 2], [1, 2, 2, 2, 2], method="exact")
    assert found.score == pytest.approx(scipy_found.statistic)


def test_asymptotic_p_value_agrees_with_scipy_on_large_samples():
    rng = np.random.default_rng(5)
    reference = rng.normal(size=3000)
    current = rng.normal(loc=0.08, size=2000)
    found = ks.compute(profile_column(reference, column="a"), current, threshold=0.1)
    expected = stats.ks_2samp(reference, current, method="asymp")
    assert found.score == pytest.approx(expected.statistic, abs=1e-12)
    assert found.p_value == pytest.approx(expected.pvalue, rel=1e-6)


def test_summary_profile_keeps_d_within_its_stated_bound():
    rng = np.random.default_rng(9)
    reference = rng.normal(size=50_000)
    current = rng.normal(loc=0.03, size=20_000)
    summary = profile_column(reference, column="s", max_quantiles=1000)
    found = ks.compute(summary, current, threshold=0.1)
    truth = stats.ks_2samp(reference, current).statistic
    # the largest rank gap is ceil(49999 / 999) = 51 ranks of 50000 -> 0.00102
    assert abs(found.score - truth) <= 51 / 50_000
    assert any("D within 0.001" in note for note in found.notes)


def test_constant_reference_against_another_constant_is_d_one():
    profile = profile_column(np.full(200, 1e17), column="c")
    found = ks.compute(profile, np.full(300, -1e17), threshold=0.1)
    assert found.score == 1.0
    assert found.drifted is True


def test_datetime_windows_are_compared_in_seconds():
    start = pd.Timestamp("2024-01-01")
    reference = pd.Series(start + pd.to_timedelta(np.arange(100), unit="h"))
    # current: the same hours shifted by 50 h -> half of it lies beyond the
    # reference, so D = 50/100
    current = pd.Series(start + pd.to_timedelta(np.arange(50, 150), unit="h"))
    found = ks.compute(profile_column(reference, column="d"), current, threshold=0.1)
    assert found.score == pytest.approx(0.5)
    assert "datetime values converted to seconds since 1970-01-01 UTC" in found.notes


def test_categorical_columns_are_not_applicable():
    profile = profile_column(pd.Series(["a", "b"] * 20), column="c")
    found = ks.compute(profile, pd.Series(["a"] * 40), threshold=0.1)
    assert found.status == "not_applicable_categorical"
    assert found.drifted is None and np.isnan(found.score)
