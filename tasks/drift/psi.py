"""Population Stability Index between reference and current bin shares.

``PSI = sum_i (c_i - r_i) * ln(c_i / r_i)`` over the shared bins, natural logarithm
(the scale on which the usual 0.1 / 0.25 rules of thumb are stated). It is 0 for
identical shares and grows without bound.

Smoothing rule (one rule, applied identically to both sides): with ``B`` bins and
``eps = 0.5 / max(n_reference, n_current)``, every share becomes
``(share + eps) / (1 + B * eps)``. ``eps`` is half the smallest share that a real
count can have on either side, so an empty bin always stays below every observed
share, the shares still add up to 1, and a bin empty on one side gives a large but
finite term. Identical shares stay identical, so the same proportions at different
sample sizes give exactly 0.

Higher means drift. The default threshold is 0.1. The p-value comes from the seeded
multinomial null of :mod:`tasks.drift.null` (same sample sizes, so the same ``eps``).
"""

from __future__ import annotations

import numpy as np

from tasks.drift.binned import compute_binned
from tasks.drift.profile import ColumnProfile
from tasks.drift.result import DriftResult

METHOD = "psi"
DEFAULT_THRESHOLD = 0.1


def smoothed_shares(counts: np.ndarray, eps: float) -> np.ndarray:
    """``(count / n + eps) / (1 + bins * eps)`` along the last axis."""
    counts = np.asarray(counts, dtype=np.float64)
    share = counts / counts.sum(axis=-1, keepdims=True)
    return (share + eps) / (1.0 + counts.shape[-1] * eps)


def psi(reference_counts: np.ndarray, current_counts: np.ndarray) -> np.ndarray:
    """PSI between two count vectors with the module's smoothing rule.

    Args:
        reference_counts: counts per bin; 1-D, or 2-D with one row per comparison
            (every row of one call must have the same totals).
        current_counts: counts on the same bins, same shape.

    Returns:
        PSI >= 0 (a 0-d array for 1-D input, one per row otherwise).
    """
    reference_counts = np.asarray(reference_counts)
    current_counts = np.asarray(current_counts)
    n_reference = int(np.max(reference_counts.sum(axis=-1)))
    n_current = int(np.max(current_counts.sum(axis=-1)))
    eps = 0.5 / max(n_reference, n_current, 1)
    r = smoothed_shares(reference_counts, eps)
    c = smoothed_shares(current_counts, eps)
    return np.maximum(np.sum((c - r) * np.log(c / r), axis=-1), 0.0)


def compute(
    profile: ColumnProfile,
    current: object,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 0,
    alpha: float = 0.05,
    min_rows: int = 30,
) -> DriftResult:
    """PSI drift of one column.

    Args:
        profile: the reference profile (numeric or categorical).
        current: the current values, or a :class:`tasks.drift.current.CurrentColumn`.
        threshold: drift when PSI exceeds it (and p < alpha).
        seed: seed of the null draws behind the p-value.
        alpha: level of the raw p-value in ``drifted`` (:func:`tasks.drift.compare`
            replaces the decision with a Benjamini-Hochberg one).
        min_rows: fewer current values give status ``"too_few_rows"``.

    Returns:
        The result: score >= 0, NaN with a status code for degenerate input.
    """
    return compute_binned(
        METHOD,
        psi,
        profile,
        current,
        threshold=threshold,
        seed=seed,
        alpha=alpha,
        min_rows=min_rows,
    )
