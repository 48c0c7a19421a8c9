"""The current window of one column, read once against its reference profile.

:func:`prepare` converts the current values to the profile's kind, counts what was
dropped and caches the work the methods share (bin counts for JS and PSI, the sorted
values for KS), so that :func:`tasks.drift.compare` reads each column only once.
Every method's ``compute`` accepts either raw values or a :class:`CurrentColumn`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from tasks.drift import result as codes
from tasks.drift import values as column_values
from tasks.drift.profile import ColumnProfile, bin_bounds, bin_index, n_bins
from tasks.drift.result import HIGHER_MEANS_DRIFT, DriftResult

FLOAT32_NOTE = "float32 values compared with the reference rounded to float32"


@dataclass
class CurrentColumn:
    """Current values of one column, converted to its profile's kind.

    Attributes:
        profile: the reference profile these values are compared with.
        numeric: the numeric values, when the profile is numeric.
        categorical: the label counts, when the profile is categorical.
        notes: sentences about conversions and dropped values.
        kind_problem: why the values cannot be compared with the profile, or None.
    """

    profile: ColumnProfile
    numeric: column_values.NumericValues | None = None
    categorical: column_values.CategoricalValues | None = None
    notes: tuple[str, ...] = ()
    kind_problem: str | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_rows(self) -> int:
        """All current rows."""
        found = self.numeric or self.categorical
        return 0 if found is None else found.n_rows

    @property
    def n_missing(self) -> int:
        """NaN/None current rows."""
        found = self.numeric or self.categorical
        return 0 if found is None else found.n_missing

    @property
    def n_values(self) -> int:
        """Finite, non-missing current values."""
        found = self.numeric or self.categorical
        return 0 if found is None else found.n_finite

    def _float32_edges(self, edges: np.ndarray) -> np.ndarray:
        """Reference edges rounded to float32 when the current values are float32.

        Kept at float64 when rounding would merge two edges or overflow.
        """
        if self.numeric is None or not self.numeric.float32:
            return edges
        with np.errstate(over="ignore"):
            rounded = edges.astype(np.float32).astype(np.float64)
        if np.all(np.isfinite(rounded)) and np.all(np.diff(rounded) > 0):
            return rounded
        return edges

    def bin_counts(self) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
        """Reference and current counts on one shared set of bins.

        Returns:
            ``(reference_counts, current_counts, new_categories)``: numeric columns
            use the profile's bins; categorical columns use the reference categories
            followed by the new ones (sorted), with zero reference counts.
        """
        if "bins" in self._cache:
            return self._cache["bins"]
        profile = self.profile
        reference = np.asarray(profile.counts, dtype=np.int64)
        if self.numeric is not None:
            edges = self._float32_edges(np.asarray(profile.edges, dtype=np.float64))
            numbers = self.numeric
            if "sorted" in self._cache:  # KS sorted them already: count by bounds
                ordered = self._cache["sorted"]
                starts = np.searchsorted(ordered, bin_bounds(edges), side="left")
                current = np.diff(starts, prepend=0, append=ordered.shape[0])
            else:
                index = bin_index(edges, numbers.values)
                current = np.bincount(index, minlength=n_bins(edges))
                # NaN and +inf sort into the overflow bin, -inf into the underflow.
                positive = numbers.n_infinite - numbers.n_negative_infinite
                current[-1] -= numbers.n_missing + positive
                current[0] -= numbers.n_negative_infinite
            current = current.astype(np.int64)
            found = (reference, current, ())
        else:
            assert self.categorical is not None
            labels = self.categorical.counts
            known = set(profile.categories)
            new = tuple(sorted(label for label in labels if label not in known))
            order = profile.categories + new
            reference = np.concatenate([reference, np.zeros(len(new), np.int64)])
            current = np.array([labels.get(c, 0) for c in order], dtype=np.int64)
            found = (reference, current, new)
        self._cache["bins"] = found
        return found

    def sorted_values(self) -> np.ndarray:
        """The finite current values, sorted (numeric columns only)."""
        if "sorted" not in self._cache:
            assert self.numeric is not None
            self._cache["sorted"] = np.sort(self.numeric.finite())
        return self._cache["sorted"]


def _numeric_from_labels(series: pd.Series) -> pd.Series | None:
    """Reads a bool/object/category column as numbers, or None if it is not."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    if ptypes.is_bool_dtype(series.dtype):
        return series.astype("float64")
    try:
        converted = pd.to_numeric(series, errors="raise")
    except (ValueError, TypeError):
        return None
    return converted if ptypes.is_numeric_dtype(converted.dtype) else None


def prepare(profile: ColumnProfile, current: object) -> CurrentColumn:
    """Reads the current values of one column against its profile.

    Args:
        profile: the reference profile.
        current: the current values (Series, array, list), or a
            :class:`CurrentColumn` already prepared for this profile.

    Returns:
        The prepared column; ``kind_problem`` is set when a numeric profile meets
        labels that are not numbers.
    """
    if isinstance(current, CurrentColumn) and current.profile is profile:
        return current
    if isinstance(current, CurrentColumn):  # prepared for another profile
        if current.categorical is not None:
            labels = current.categorical.counts
            current = np.repeat(list(labels), list(labels.values())).astype(object)
        else:
            current = current.numeric.values if current.numeric else []
    series = column_values.as_series(current)
    notes: list[str] = []
    if profile.kind == "categorical":
        found = column_values.categorical_values(series)
        return CurrentColumn(profile=profile, categorical=found)
    if column_values.kind_of(series) == "categorical" and len(series) > 0:
        converted = _numeric_from_labels(series)
        if converted is None:
            return CurrentColumn(
                profile=profile,
                numeric=column_values.numeric_values(pd.Series([], dtype="float64")),
                kind_problem=(
                    f"the reference of {profile.column!r} is numeric but the current "
                    f"values are {series.dtype} labels that are not numbers; send "
                    "numbers, or profile the reference as text"
                ),
            )
        notes.append(f"{series.dtype} values read as numbers")
        series = converted
    numbers = column_values.numeric_values(series)
    notes.extend(numbers.notes)
    if numbers.n_infinite:
        positive = numbers.n_infinite - numbers.n_negative_infinite
        notes.append(
            f"{numbers.n_infinite} infinite values dropped from the current window "
            f"({positive} +inf, {numbers.n_negative_infinite} -inf)"
        )
    if numbers.float32:
        notes.append(FLOAT32_NOTE)
    return CurrentColumn(profile=profile, numeric=numbers, notes=tuple(notes))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else math.nan


def status_of(prepared: CurrentColumn, *, min_rows: int) -> str:
    """The status code of a comparison before any score is computed."""
    if prepared.profile.n == 0:
        return codes.NO_REFERENCE
    if prepared.kind_problem is not None:
        return codes.KIND_MISMATCH
    if prepared.n_rows == 0:
        return codes.EMPTY_CURRENT
    if prepared.n_values == 0:
        return codes.ALL_MISSING
    # a handful of values on either side decides nothing, however far apart
    if prepared.n_values < min_rows or prepared.profile.n < min_rows:
        return codes.TOO_FEW_ROWS
    return codes.OK


#: New categories listed in a result at most; a column of identifiers would list
#: every row otherwise. The note on the result gives the full count.
MAX_LISTED_CATEGORIES = 20


def skeleton(
    prepared: CurrentColumn, *, method: str, threshold: float, status: str
) -> DriftResult:
    """A result with every field but the score, p-value and decision filled in."""
    profile = prepared.profile
    notes = list(prepared.notes)
    if profile.n_infinite:
        notes.append(
            f"{profile.n_infinite} infinite values were dropped from the reference"
        )
    if prepared.kind_problem is not None:
        notes.append(prepared.kind_problem)
    new_categories: tuple[str, ...] = ()
    if prepared.categorical is not None:
        known = set(profile.categories)
        unseen = sorted(c for c in prepared.categorical.counts if c not in known)
        new_categories = tuple(unseen[:MAX_LISTED_CATEGORIES])
        if len(unseen) > MAX_LISTED_CATEGORIES:
            notes.append(
                f"{len(unseen)} categories are new in the current data; the first "
                f"{MAX_LISTED_CATEGORIES} are listed"
            )
    return DriftResult(
        column=profile.column,
        method=method,
        score=math.nan,
        p_value=None,
        threshold=float(threshold),
        direction=HIGHER_MEANS_DRIFT,
        drifted=None,
        status=status,
        n_reference=profile.n,
        n_current=prepared.n_values,
        missing_share_reference=_share(profile.n_missing, profile.n_rows),
        missing_share_current=_share(prepared.n_missing, prepared.n_rows),
        new_categories=new_categories,
        notes=tuple(notes),
    )


def decide(
    score: float, p_value: float | None, *, threshold: float, alpha: float
) -> bool:
    """Drift when the score exceeds its threshold and (if any) p is below alpha."""
    if not math.isfinite(score):
        return False
    return bool(score > threshold and (p_value is None or p_value < alpha))
