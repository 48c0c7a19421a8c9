"""The shared course of the binned methods (JS and PSI).

Both compare reference and current counts on one set of bins (the profile's quantile
bins for numeric columns, the union of categories for categorical ones), score them,
and attach a p-value from the seeded multinomial null of :mod:`tasks.drift.null`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tasks.drift import null
from tasks.drift import result as codes
from tasks.drift.current import decide, prepare, skeleton, status_of
from tasks.drift.profile import ColumnProfile
from tasks.drift.result import DriftResult

Statistic = Callable[[np.ndarray, np.ndarray], np.ndarray]


def compute_binned(
    method: str,
    statistic: Statistic,
    profile: ColumnProfile,
    current: object,
    *,
    threshold: float,
    seed: int,
    alpha: float,
    min_rows: int,
) -> DriftResult:
    """Scores one column with a binned statistic and its null p-value.

    Args:
        method: the method name written into the result.
        statistic: maps reference and current counts (1-D, or 2-D with one row per
            draw) to the score.
        profile: the reference profile.
        current: the current values or a prepared column.
        threshold: score threshold of the decision.
        seed: seed of the null draws.
        alpha: level of the (unadjusted) p-value in the decision.
        min_rows: fewest current values for a decision.

    Returns:
        The result; score and p-value are also given under ``"too_few_rows"``, with
        ``drifted`` None.
    """
    prepared = prepare(profile, current)
    status = status_of(prepared, min_rows=min_rows)
    result = skeleton(prepared, method=method, threshold=threshold, status=status)
    if status not in (codes.OK, codes.TOO_FEW_ROWS):
        return result
    reference_counts, current_counts, _ = prepared.bin_counts()
    score = float(statistic(reference_counts, current_counts))
    p_value = null.p_value(
        statistic,
        reference_counts,
        current_counts,
        score,
        rng=null.rng_for(profile.column, seed),
    )
    drifted = (
        decide(score, p_value, threshold=threshold, alpha=alpha)
        if status == codes.OK
        else None
    )
    return result.with_changes(score=score, p_value=p_value, drifted=drifted)
