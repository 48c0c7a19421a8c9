"""Benjamini-Hochberg adjustment of p-values (false-discovery-rate control)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, in the input order.

    ``adjusted_(i) = min_{j >= i} min(1, p_(j) * m / j)`` over the p-values sorted
    ascending; rejecting ``adjusted < alpha`` keeps the expected share of false
    discoveries at or below alpha for independent (or positively dependent) tests.

    Args:
        p_values: raw p-values in [0, 1]; an empty sequence gives an empty array.

    Returns:
        Adjusted p-values in [0, 1], each >= its raw p-value.
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.shape[0]
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m, dtype=np.float64)
    adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    return adjusted
