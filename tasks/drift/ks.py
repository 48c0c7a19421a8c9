"""Two-sample Kolmogorov-Smirnov statistic between reference and current values.

``D = max_x |F_ref(x) - F_cur(x)|`` over the distinct values of both samples, with
right-continuous ECDFs (``searchsorted(side="right")``), so tied values are handled
exactly. D lies in [0, 1]; higher means drift; the default threshold is 0.1.

The reference ECDF comes from the profile's stored values. When the profile keeps
every reference value (``exact``) it is the true ECDF; otherwise it keeps order
statistics at evenly spaced ranks, the ECDF between two kept values is taken at the
middle of the ranks it can have, and D is off by at most the largest rank gap over
n_reference (about ``1 / len(quantiles)``; a note gives the bound).

p-value: the exact two-sample distribution (``scipy.stats.ks_2samp(method="exact")``
on the stored reference values) when the profile is exact and
``n_reference * n_current <= EXACT_LIMIT``; otherwise the Kolmogorov distribution of
``scipy.stats.kstwo`` at the effective size ``round(n * m / (n + m))`` (its limit,
the Kolmogorov distribution ``scipy.special.kolmogorov``, above an effective size of
``KSTWO_LIMIT``). Categorical
columns have no order and get status ``"not_applicable_categorical"``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import special

from tasks.drift import result as codes
from tasks.drift.current import CurrentColumn, decide, prepare, skeleton, status_of
from tasks.drift.profile import ColumnProfile, summary_ranks
from tasks.drift.result import DriftResult

METHOD = "ks"
DEFAULT_THRESHOLD = 0.1
EXACT_LIMIT = 10_000
# Above this effective size the limiting distribution (kstwobign) replaces kstwo,
# whose evaluation gets slow there; they differ by under 1 % of p.
KSTWO_LIMIT = 10_000


class _ReferenceEcdf:
    """The reference ECDF recovered from a profile's stored values."""

    def __init__(self, profile: ColumnProfile, *, float32: bool) -> None:
        stored = np.asarray(profile.quantiles, dtype=np.float64)
        if float32:
            with np.errstate(over="ignore"):
                stored = stored.astype(np.float32).astype(np.float64)
        self.stored = stored
        self.distinct = np.unique(stored)
        self.n = profile.n
        self.exact = bool(profile.exact) and stored.shape[0] == profile.n
        if self.exact:
            self.ranks = None
            self.rank_error = 0.0
        else:
            self.ranks = summary_ranks(self.n, stored.shape[0])
            self.rank_error = float(np.max(np.diff(self.ranks))) / self.n

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """F_ref at the points (exact, or mid-rank between stored values)."""
        kept = np.searchsorted(self.stored, points, side="right")
        if self.ranks is None:
            return kept / self.n
        size = self.stored.shape[0]
        low = np.where(kept > 0, self.ranks[np.maximum(kept - 1, 0)] + 1, 0)
        high = np.where(kept < size, self.ranks[np.minimum(kept, size - 1)], self.n)
        return (low + high) * 0.5 / self.n


def ks_statistic(reference: _ReferenceEcdf, current_sorted: np.ndarray) -> float:
    """D between the reference ECDF and the sorted finite current values.

    Between two consecutive distinct reference values ``u_{j-1} < u_j`` the reference
    ECDF is constant and the current ECDF rises, so the largest gap on
    ``[u_{j-1}, u_j)`` sits at ``u_{j-1}`` or just below ``u_j``; below ``u_0`` the
    reference ECDF is 0 and from the last value on it is 1. D therefore needs only,
    for each distinct reference value, the number of current values below it and at
    or below it: two ``searchsorted`` calls of the few reference values into the
    sorted current values.
    """
    distinct = reference.distinct
    m = current_sorted.shape[0]
    below = np.searchsorted(current_sorted, distinct, side="left") / m
    at = np.searchsorted(current_sorted, distinct, side="right") / m
    reference_at = reference(distinct)
    reference_below = np.concatenate(([0.0], reference_at[:-1]))
    return float(
        max(np.abs(reference_at - at).max(), np.abs(reference_below - below).max())
    )


def _p_value(
    reference: _ReferenceEcdf, prepared: CurrentColumn, statistic: float
) -> tuple[float, list[str]]:
    n, m = reference.n, prepared.n_values
    notes: list[str] = []
    # scipy.stats is imported only where it is needed: it costs about 60 MiB and
    # 0.7 s at import, while large windows only need scipy.special.kolmogorov.
    if (reference.exact and n * m <= EXACT_LIMIT) or (
        n * m / (n + m) <= KSTWO_LIMIT + 0.5
    ):
        from scipy import stats
    if reference.exact and n * m <= EXACT_LIMIT:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            found = stats.ks_2samp(
                reference.stored, prepared.sorted_values(), method="exact"
            )
        notes.extend(str(w.message) for w in caught)
        notes.append("exact two-sample KS p-value")
        return float(found.pvalue), notes
    effective = max(1, round(n * m / (n + m)))
    notes.append(f"asymptotic KS p-value at effective size {effective}")
    if effective <= KSTWO_LIMIT:
        p_value = stats.kstwo.sf(statistic, effective)
    else:
        p_value = special.kolmogorov(statistic * np.sqrt(effective))
    return float(np.clip(p_value, 0.0, 1.0)), notes


def compute(
    profile: ColumnProfile,
    current: object,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 0,
    alpha: float = 0.05,
    min_rows: int = 30,
) -> DriftResult:
    """Kolmogorov-Smirnov drift of one numeric column.

    Args:
        profile: the reference profile; categorical profiles are not applicable.
        current: the current values, or a :class:`tasks.drift.current.CurrentColumn`.
        threshold: drift when D exceeds it (and p < alpha).
        seed: unused (the p-value is not random); accepted for one signature.
        alpha: level of the raw p-value in ``drifted`` (:func:`tasks.drift.compare`
            replaces the decision with a Benjamini-Hochberg one).
        min_rows: fewer current values give status ``"too_few_rows"``.

    Returns:
        The result: D in [0, 1], NaN with a status code for degenerate input.
    """
    del seed
    prepared = prepare(profile, current)
    if profile.kind == "categorical":
        return skeleton(
            prepared,
            method=METHOD,
            threshold=threshold,
            status=codes.NOT_APPLICABLE_CATEGORICAL,
        )
    status = status_of(prepared, min_rows=min_rows)
    result = skeleton(prepared, method=METHOD, threshold=threshold, status=status)
    if status not in (codes.OK, codes.TOO_FEW_ROWS):
        return result
    assert isinstance(prepared, CurrentColumn) and prepared.numeric is not None
    reference = _ReferenceEcdf(profile, float32=prepared.numeric.float32)
    statistic = ks_statistic(reference, prepared.sorted_values())
    p_value, notes = _p_value(reference, prepared, statistic)
    if not reference.exact:
        notes.append(
            f"reference ECDF from {reference.stored.shape[0]} stored quantiles of "
            f"{reference.n} values (D within {reference.rank_error:.2g})"
        )
    drifted = (
        decide(statistic, p_value, threshold=threshold, alpha=alpha)
        if status == codes.OK
        else None
    )
    return result.with_changes(
        score=statistic,
        p_value=p_value,
        drifted=drifted,
        notes=result.notes + tuple(notes),
    )
