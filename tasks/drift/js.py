"""Jensen-Shannon distance between reference and current bin shares.

``JS(P, Q) = sqrt(0.5 * KL(P || M) + 0.5 * KL(Q || M))`` with ``M = (P + Q) / 2`` and
logarithms in base 2, so the distance lies in [0, 1]: 0 for identical shares, 1 for
shares with no bin in common (for example a constant reference and a different
constant current). Terms with a zero share contribute 0, so no smoothing is needed;
the divergence is computed in float64 and clamped to [0, 1] before the square root,
because rounding can leave it a hair below 0. Identical shares (the same proportions
at any sample sizes) give exactly 0.

Higher means drift. The default threshold is 0.1. The p-value comes from the seeded
multinomial null of :mod:`tasks.drift.null`, which corrects for the small-sample bias
of the distance.
"""

from __future__ import annotations

import numpy as np

from tasks.drift.binned import compute_binned
from tasks.drift.profile import ColumnProfile
from tasks.drift.result import DriftResult

METHOD = "js"
DEFAULT_THRESHOLD = 0.1


def _kl_to_mixture(share: np.ndarray, mixture: np.ndarray) -> np.ndarray:
    """``sum share * log2(share / mixture)`` with ``0 * log 0 = 0``, last axis."""
    ratio = np.where(share > 0, share / np.where(mixture > 0, mixture, 1.0), 1.0)
    return np.sum(share * np.log2(ratio), axis=-1)


def js_distance(reference_counts: np.ndarray, current_counts: np.ndarray) -> np.ndarray:
    """Jensen-Shannon distance (base 2) between two count vectors.

    Args:
        reference_counts: counts per bin; 1-D, or 2-D with one row per comparison.
        current_counts: counts on the same bins, same shape.

    Returns:
        The distance in [0, 1] (a 0-d array for 1-D input, one per row otherwise).
    """
    p = np.asarray(reference_counts, dtype=np.float64)
    q = np.asarray(current_counts, dtype=np.float64)
    p = p / p.sum(axis=-1, keepdims=True)
    q = q / q.sum(axis=-1, keepdims=True)
    m = (p + q) * 0.5
    divergence = 0.5 * _kl_to_mixture(p, m) + 0.5 * _kl_to_mixture(q, m)
    return np.sqrt(np.clip(divergence, 0.0, 1.0))


def compute(
    profile: ColumnProfile,
    current: object,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 0,
    alpha: float = 0.05,
    min_rows: int = 30,
) -> DriftResult:
    """Jensen-Shannon drift of one column.

    Args:
        profile: the reference profile (numeric or categorical).
        current: the current values, or a :class:`tasks.drift.current.CurrentColumn`.
        threshold: drift when the distance exceeds it (and p < alpha).
        seed: seed of the null draws behind the p-value.
        alpha: level of the raw p-value in ``drifted`` (:func:`tasks.drift.compare`
            replaces the decision with a Benjamini-Hochberg one).
        min_rows: fewer current values give status ``"too_few_rows"``.

    Returns:
        The result: score in [0, 1], NaN with a status code for degenerate input.
    """
    return compute_binned(
        METHOD,
        js_distance,
        profile,
        current,
        threshold=threshold,
        seed=seed,
        alpha=alpha,
        min_rows=min_rows,
    )
