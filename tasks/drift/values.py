"""Turning raw column values into what the drift statistics count.

Kinds follow the dtype, never the number of distinct values:

* bool, object, string and category columns are categorical; their labels are
  compared as text (``str(value)``), missing values being NaN, None, NA or NaT;
* integer and float columns are numeric and cast to float64, so a float column with
  few distinct values stays numeric;
* datetime columns are numeric in seconds since 1970-01-01 UTC (time zones are
  converted to UTC first), timedelta columns in seconds.

Numeric values that are NaN are missing; +inf and -inf are dropped too but counted on
their own, so that no value disappears without a trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

Kind = Literal["numeric", "categorical"]

DATETIME_NOTE = "datetime values converted to seconds since 1970-01-01 UTC"
TIMEDELTA_NOTE = "timedelta values converted to seconds"


def as_series(values: object) -> pd.Series:
    """Wraps array-likes in a Series without copying when possible."""
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.Index | pd.Categorical | np.ndarray):
        return pd.Series(values, copy=False)
    if values is None:
        return pd.Series([], dtype="float64")
    return pd.Series(list(values) if not isinstance(values, list) else values)


def kind_of(series: pd.Series) -> Kind:
    """Returns the drift kind of a column from its dtype alone.

    Args:
        series: the column.

    Returns:
        ``"categorical"`` for bool, object, string and category dtypes (and complex
        numbers, which have no order); ``"numeric"`` otherwise. An empty object
        column counts as numeric, since it holds no labels.
    """
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if ptypes.is_datetime64_any_dtype(dtype) or ptypes.is_timedelta64_dtype(dtype):
        return "numeric"
    if ptypes.is_complex_dtype(dtype):
        return "categorical"
    if ptypes.is_numeric_dtype(dtype):
        return "numeric"
    return "categorical"


@dataclass(frozen=True)
class NumericValues:
    """Finite float64 values of a numeric column and what was dropped.

    Attributes:
        values: the column as float64; still holds NaN and +-inf (dropping them
            would copy the column; the counts below say how many there are).
        n_rows: all rows.
        n_missing: NaN/None/NaT rows.
        n_infinite: +inf and -inf rows.
        n_negative_infinite: the -inf rows among them.
        notes: conversions applied.
        float32: True when the column arrived as float32.
    """

    values: np.ndarray
    n_rows: int
    n_missing: int
    n_infinite: int
    n_negative_infinite: int
    notes: tuple[str, ...]
    float32: bool

    @property
    def n_finite(self) -> int:
        """Rows that are neither missing nor infinite."""
        return self.n_rows - self.n_missing - self.n_infinite

    def finite(self) -> np.ndarray:
        """Returns the finite values (a copy only when something must be dropped)."""
        if self.n_missing or self.n_infinite:
            return self.values[np.isfinite(self.values)]
        return self.values


def numeric_values(series: pd.Series) -> NumericValues:
    """Casts a numeric (or datetime/timedelta) column to float64 and counts drops.

    Args:
        series: a column whose :func:`kind_of` is numeric.

    Returns:
        The float64 values with the counts of missing and infinite rows.
    """
    notes: list[str] = []
    dtype = series.dtype
    if ptypes.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        seconds = (series - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
        array = seconds.to_numpy(dtype="float64", na_value=np.nan)
        notes.append(DATETIME_NOTE)
    elif ptypes.is_timedelta64_dtype(dtype):
        array = (series / pd.Timedelta(seconds=1)).to_numpy(
            dtype="float64", na_value=np.nan
        )
        notes.append(TIMEDELTA_NOTE)
    elif dtype == np.dtype("float64"):
        array = series.to_numpy(copy=False)
    else:
        array = series.to_numpy(dtype="float64", na_value=np.nan)
    n_missing = int(np.count_nonzero(np.isnan(array)))
    n_infinite = int(np.count_nonzero(np.isinf(array)))
    n_negative = int(np.count_nonzero(array == -np.inf)) if n_infinite else 0
    return NumericValues(
        values=array,
        n_rows=int(array.shape[0]),
        n_missing=n_missing,
        n_infinite=n_infinite,
        n_negative_infinite=n_negative,
        notes=tuple(notes),
        float32=dtype == np.dtype("float32"),
    )


@dataclass(frozen=True)
class CategoricalValues:
    """Category counts of a categorical column.

    Attributes:
        counts: label -> number of rows, labels as text.
        n_rows: all rows.
        n_missing: NaN/None/NA/NaT rows.
    """

    counts: dict[str, int]
    n_rows: int
    n_missing: int

    @property
    def n_finite(self) -> int:
        """Rows with a label."""
        return self.n_rows - self.n_missing


def categorical_values(series: pd.Series) -> CategoricalValues:
    """Counts the labels of a column as text, leaving missing values out.

    Args:
        series: any column (numeric values are labelled by their text, too).

    Returns:
        The label counts and the number of missing rows.
    """
    missing = series.isna().to_numpy()
    n_missing = int(np.count_nonzero(missing))
    present = series[~missing] if n_missing else series
    if isinstance(present.dtype, pd.CategoricalDtype):
        present = present.astype(object)
    raw = present.value_counts(sort=False, dropna=True)
    counts: dict[str, int] = {}
    for label, count in raw.items():
        key = str(label)
        counts[key] = counts.get(key, 0) + int(count)
    return CategoricalValues(counts=counts, n_rows=len(series), n_missing=n_missing)
