"""Feature drift between reference (training) data and a window of production data.

Three methods, each ``compute(profile, current, *, threshold, seed=0) -> DriftResult``:

* ``"js"``: Jensen-Shannon distance, base 2, in [0, 1] (:mod:`tasks.drift.js`);
* ``"ks"``: Kolmogorov-Smirnov statistic, numeric columns only (:mod:`tasks.drift.ks`);
* ``"psi"``: Population Stability Index, smoothed (:mod:`tasks.drift.psi`).

:func:`compare` runs them over many columns and controls false alarms across the
columns: within one call and one method, the p-values of the columns with status
``"ok"`` are adjusted with Benjamini-Hochberg, and a column drifts when its score
exceeds the method's threshold and its adjusted p-value is below ``alpha``. The
``p_value`` field keeps the raw p-value; a note gives the adjusted one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from tasks.drift import js, ks, psi
from tasks.drift import result as codes
from tasks.drift.current import prepare, skeleton
from tasks.drift.fdr import benjamini_hochberg
from tasks.drift.profile import ColumnProfile, profile_column, profile_frame
from tasks.drift.result import DriftResult
from tasks.errors import ConfigurationError

logger = logging.getLogger(__name__)

METHODS: dict[str, Callable[..., DriftResult]] = {
    "js": js.compute,
    "ks": ks.compute,
    "psi": psi.compute,
}
DEFAULT_THRESHOLDS: dict[str, float] = {
    "js": js.DEFAULT_THRESHOLD,
    "ks": ks.DEFAULT_THRESHOLD,
    "psi": psi.DEFAULT_THRESHOLD,
}

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "ColumnProfile",
    "DriftResult",
    "compare",
    "compare_frames",
    "profile_column",
    "profile_frame",
]


def _check_methods(methods: Sequence[str]) -> list[str]:
    if isinstance(methods, str):
        methods = [methods]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ConfigurationError(
            f"unknown drift method(s) {unknown or list(methods)}; valid methods are "
            f"{sorted(METHODS)}. Choose among those."
        )
    return list(dict.fromkeys(methods))


def _check_thresholds(
    methods: Sequence[str], thresholds: Mapping[str, float] | None
) -> dict[str, float]:
    chosen = dict(DEFAULT_THRESHOLDS)
    for name, value in (thresholds or {}).items():
        if name not in METHODS:
            raise ConfigurationError(
                f"a threshold was given for unknown drift method {name!r}; valid "
                f"methods are {sorted(METHODS)}."
            )
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise ConfigurationError(
                f"the {name} drift threshold must be a finite number >= 0, got "
                f"{value!r}; set it in the method's own scale (default "
                f"{DEFAULT_THRESHOLDS[name]})."
            )
        chosen[name] = number
    return {name: chosen[name] for name in methods}


def _check_number(name: str, value: float, low: float, high: float) -> None:
    if not (low < value < high):
        raise ConfigurationError(
            f"{name} must lie strictly between {low} and {high}, got {value!r}."
        )


def _adjust(results: list[DriftResult], alpha: float) -> list[DriftResult]:
    """Replaces the decisions of one method's results with Benjamini-Hochberg ones."""
    testable = [
        i
        for i, r in enumerate(results)
        if r.status == codes.OK and r.p_value is not None
    ]
    adjusted = benjamini_hochberg([results[i].p_value for i in testable])
    out = list(results)
    for i, p_adjusted in zip(testable, adjusted, strict=True):
        r = results[i]
        drifted = bool(
            math.isfinite(r.score) and r.score > r.threshold and p_adjusted < alpha
        )
        note = (
            f"Benjamini-Hochberg adjusted p-value {p_adjusted:.4g} across "
            f"{len(testable)} columns (alpha {alpha:g})"
        )
        out[i] = r.with_changes(drifted=drifted, notes=r.notes + (note,))
    return out


def compare(
    profiles: Mapping[str, ColumnProfile],
    current: pd.DataFrame,
    *,
    methods: Sequence[str] = ("js", "ks", "psi"),
    thresholds: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    min_rows: int = 30,
    seed: int = 0,
) -> list[DriftResult]:
    """Compares a current window with reference profiles, column by column.

    Args:
        profiles: column name -> reference profile (from :func:`profile_frame`).
        current: the current window; columns absent from it get status
            ``"missing_column"``; extra columns are ignored.
        methods: method names among ``METHODS``.
        thresholds: method -> score threshold in that method's scale; defaults
            ``DEFAULT_THRESHOLDS`` (0.1 each).
        alpha: false-discovery rate of the Benjamini-Hochberg step across columns.
        min_rows: fewest finite current values for a decision; below it the score
            is still given with status ``"too_few_rows"`` and ``drifted`` None.
        seed: seed of the null draws of JS and PSI.

    Returns:
        One result per column and method, columns in profile order, methods in the
        order given. ``drifted`` is None whenever the status is not ``"ok"``;
        ``p_value`` is the raw p-value, the adjusted one is in ``notes``. A column
        that fails never stops the others: it gets status ``"failed"``.

    Raises:
        ConfigurationError: for an unknown method, a bad threshold, alpha outside
            (0, 1) or min_rows < 1.
    """
    chosen = _check_methods(methods)
    limits = _check_thresholds(chosen, thresholds)
    _check_number("alpha", alpha, 0.0, 1.0)
    if int(min_rows) < 1:
        raise ConfigurationError(f"min_rows must be >= 1, got {min_rows!r}.")
    by_method: dict[str, list[DriftResult]] = {name: [] for name in chosen}
    for column, profile in profiles.items():
        present = column in current.columns
        problem: Exception | None = None
        try:
            prepared = prepare(profile, current[column] if present else [])
            if "ks" in chosen and prepared.numeric is not None and prepared.n_values:
                prepared.sorted_values()  # KS needs the sort; the bins reuse it
        except Exception as error:  # one bad column must not stop the others
            logger.exception("reading current column %r failed", column)
            prepared, problem = prepare(profile, []), error
        for name in chosen:
            try:
                if problem is not None:
                    raise problem
                if not present:
                    found = skeleton(
                        prepared,
                        method=name,
                        threshold=limits[name],
                        status=codes.MISSING_COLUMN,
                    )
                    found = found.with_changes(
                        notes=found.notes
                        + (f"column {column!r} is not in the current data",)
                    )
                else:
                    found = METHODS[name](
                        profile,
                        prepared,
                        threshold=limits[name],
                        seed=seed,
                        alpha=alpha,
                        min_rows=min_rows,
                    )
            except Exception as error:  # one bad column must not stop the others
                logger.exception("drift %s failed on column %r", name, column)
                found = skeleton(
                    prepared, method=name, threshold=limits[name], status=codes.FAILED
                )
                found = found.with_changes(
                    notes=found.notes + (f"{type(error).__name__}: {error}",)
                )
            by_method[name].append(found)
    adjusted = {name: _adjust(found, alpha) for name, found in by_method.items()}
    return [adjusted[name][i] for i in range(len(profiles)) for name in chosen]


def compare_frames(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    methods: Sequence[str] = ("js", "ks", "psi"),
    thresholds: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    min_rows: int = 30,
    bins: int = 10,
    seed: int = 0,
) -> list[DriftResult]:
    """Profiles ``reference`` and compares ``current`` with it (see :func:`compare`).

    Args:
        reference: the reference data; every one of its columns is compared.
        current: the current window.
        methods: method names among ``METHODS``.
        thresholds: method -> threshold; defaults 0.1 each.
        alpha: false-discovery rate across columns.
        min_rows: fewest finite current values for a decision.
        bins: quantile bins per numeric column.
        seed: seed of the null draws.

    Returns:
        As :func:`compare`.
    """
    _check_methods(methods)
    profiles = profile_frame(reference, bins=bins)
    return compare(
        profiles,
        current,
        methods=methods,
        thresholds=thresholds,
        alpha=alpha,
        min_rows=min_rows,
        seed=seed,
    )
