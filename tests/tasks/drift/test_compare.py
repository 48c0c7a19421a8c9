"""compare / compare_frames: statuses, false-alarm control, errors, JSON output."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tasks.drift import METHODS, compare, compare_frames, ks, profile_frame
from tasks.drift.fdr import benjamini_hochberg
from tasks.errors import ConfigurationError


def _by(results, column, method):
    (found,) = [r for r in results if r.column == column and r.method == method]
    return found


def test_benjamini_hochberg_matches_the_hand_computation():
    # sorted p .01 .03 .04 .2 (m = 4) scaled by m / rank: .04 .06 .0533 .2;
    # running minimum from the right: .04 .0533 .0533 .2, back in input order.
    found = benjamini_hochberg([0.01, 0.04, 0.03, 0.2])
    assert found == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    assert benjamini_hochberg([]).shape == (0,)


def test_degenerate_windows_get_a_status_and_no_decision():
    reference = pd.DataFrame(
        {
            "empty": np.arange(100.0),
            "all_nan": np.arange(100.0),
            "few": np.arange(100.0),
            "no_ref": [np.nan] * 100,
            "fine": np.arange(100.0),
        }
    )
    profiles = profile_frame(reference)
    current = pd.DataFrame(
        {
            "all_nan": [np.nan] * 40,
            "few": [1.0, 2.0, 3.0, 4.0, 5.0] + [np.nan] * 35,
            "no_ref": np.arange(40.0),
            "fine": np.arange(40.0) * 2.5,
        }
    )
    results = compare(profiles, current)
    assert len(results) == 5 * 3
    expected = {
        "empty": "missing_column",
        "all_nan": "all_missing",
        "few": "too_few_rows",
        "no_ref": "no_reference",
        "fine": "ok",
    }
    for column, status in expected.items():
        for method in ("js", "ks", "psi"):
            found = _by(results, column, method)
            assert found.status == status, (column, method)
            assert (found.drifted is None) == (status != "ok")
    # too few rows still reports the score: 1..5 all fall in the lowest decile bin
    assert np.isfinite(_by(results, "few", "js").score)
    assert _by(results, "few", "ks").score == pytest.approx(
        0.94
    )  # 1 - F_ref(5) = 1 - 6/100


def test_an_empty_current_frame_is_reported_per_column():
    profiles = profile_frame(pd.DataFrame({"a": np.arange(50.0)}))
    results = compare(profiles, pd.DataFrame({"a": pd.Series([], dtype=float)}))
    assert {r.status for r in results} == {"empty_current"}
    assert all(np.isnan(r.missing_share_current) for r in results)


def test_a_column_of_the_wrong_kind_does_not_stop_the_others():
    reference = pd.DataFrame({"num": np.arange(60.0), "ok": np.arange(60.0)})
    current = pd.DataFrame({"num": ["x", "y"] * 30, "ok": np.arange(60.0)})
    results = compare(profile_frame(reference), current)
    assert _by(results, "num", "js").status == "kind_mismatch"
    assert "not numbers" in " ".join(_by(results, "num", "js").notes)
    assert _by(results, "ok", "js").status == "ok"
    assert _by(results, "ok", "js").score == 0.0


def test_numbers_sent_as_text_are_read_as_numbers():
    reference = pd.DataFrame({"a": np.arange(60.0)})
    current = pd.DataFrame({"a": [str(v) for v in range(60)]})
    found = _by(compare(profile_frame(reference), current), "a", "ks")
    assert found.status == "ok" and found.score == 0.0
    assert "object values read as numbers" in found.notes


def test_drift_needs_the_benjamini_hochberg_adjusted_p_value():
    # Ten KS columns with exact p-values: column "s" shifted by 20 of 100 ranks has
    # D = 0.2 and a raw p below 0.05, but across ten columns its adjusted p is
    # raw * 10 / 1 > 0.05, so it must not drift; alone it would.
    base = np.arange(100.0)
    reference = pd.DataFrame({f"c{i}": base for i in range(9)} | {"s": base})
    current = pd.DataFrame({f"c{i}": base + 0.5 for i in range(9)} | {"s": base + 20})
    results = compare(
        profile_frame(reference), current, methods=["ks"], thresholds={"ks": 0.05}
    )
    shifted = _by(results, "s", "ks")
    raw = stats.ks_2samp(base, base + 20, method="exact").pvalue
    assert shifted.score == pytest.approx(0.2)
    assert shifted.p_value == pytest.approx(raw)
    assert raw < 0.05
    others = sorted(r.p_value for r in results if r.column != "s")
    adjusted = min(raw * 10, *(p * 10 / (rank + 2) for rank, p in enumerate(others)))
    assert adjusted > 0.05
    assert shifted.drifted is False
    assert f"Benjamini-Hochberg adjusted p-value {adjusted:.4g}" in shifted.notes[-1]
    alone = ks.compute(profile_frame(reference)["s"], current["s"], threshold=0.05)
    assert alone.drifted is True


def test_results_are_strict_json():
    reference = pd.DataFrame({"a": np.arange(50.0), "b": ["x"] * 50})
    current = pd.DataFrame({"a": [np.nan] * 50, "b": ["x"] * 40 + ["y"] * 10})
    for found in compare(profile_frame(reference), current):
        data = found.to_dict()
        json.dumps(data, allow_nan=False)
        assert isinstance(data["new_categories"], list)
    nan_result = _by(compare(profile_frame(reference), current), "a", "js")
    assert nan_result.to_dict()["score"] is None


def test_compare_frames_profiles_then_compares():
    reference = pd.DataFrame({"a": np.arange(100.0)})
    current = pd.DataFrame({"a": np.arange(100.0) + 1000})
    results = compare_frames(reference, current, methods=("js", "psi"), bins=5)
    assert [(r.method, r.score) for r in results][0] == ("js", 1.0)
    assert all(r.drifted for r in results)


def test_unknown_method_names_the_valid_ones():
    profiles = profile_frame(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(
        ConfigurationError, match=r"\['wasserstein'\].*\['js', 'ks', 'psi'\]"
    ):
        compare(profiles, pd.DataFrame({"a": [1.0]}), methods=["js", "wasserstein"])
    assert sorted(METHODS) == ["js", "ks", "psi"]


@pytest.mark.parametrize(
    ("thresholds", "alpha"),
    [
        ({"js": float("nan")}, 0.05),
        ({"js": -1}, 0.05),
        ({"chi2": 0.1}, 0.05),
        (None, 1.5),
    ],
)
def test_bad_settings_are_refused(thresholds, alpha):
    profiles = profile_frame(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(ConfigurationError):
        compare(
            profiles, pd.DataFrame({"a": [1.0]}), thresholds=thresholds, alpha=alpha
        )


def test_huge_outliers_land_in_the_overflow_bin_without_blowing_up():
    # 99 ordinary values and one 1e300 outlier per window; the reference max is 99,
    # so the outlier alone is in the overflow bin: Q has 1/100 there, P has 0.
    reference = pd.DataFrame({"a": np.arange(100.0)})
    current = pd.DataFrame({"a": np.append(np.arange(99.0), 1e300)})
    results = compare(profile_frame(reference), current)
    for found in results:
        assert found.status == "ok" and np.isfinite(found.score)
        assert found.drifted is False
    # KS: F_ref(98) = 99/100, F_cur(98) = 99/100; at 99 F_ref = 1, F_cur = 99/100
    assert _by(results, "a", "ks").score == pytest.approx(0.01)


def test_boolean_columns_are_compared_as_categories():
    reference = pd.DataFrame({"flag": [True] * 80 + [False] * 20})
    current = pd.DataFrame({"flag": [True] * 20 + [False] * 80})
    results = compare(profile_frame(reference), current)
    # P = (False .2, True .8), Q = (.8, .2), M = (.5, .5):
    # KL(P||M) = .2 log2(.4) + .8 log2(1.6) = 0.278072 = KL(Q||M)
    # JS = sqrt(0.278072) = 0.527325
    assert _by(results, "flag", "js").score == pytest.approx(0.527325, abs=1e-6)
    assert _by(results, "flag", "ks").status == "not_applicable_categorical"


def test_tiny_reference_decides_nothing():
    # one reference value against 200 current ones: a score, but no decision
    reference = pd.DataFrame({"x": [1.0]})
    current = pd.DataFrame({"x": np.linspace(0.0, 2.0, 200)})

    results = compare_frames(reference, current, methods=("js", "ks"), min_rows=30)

    assert [r.status for r in results] == ["too_few_rows", "too_few_rows"]
    assert all(r.drifted is None for r in results)
