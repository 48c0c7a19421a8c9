"""Reference profiles: what the drift statistics keep of the training data.

A numeric profile holds bin edges at reference quantiles with the reference counts
per bin, and a sorted summary of the reference values for the KS statistic. A
categorical profile holds the reference categories with their counts. Profiles are
computed once per model version and stored as JSON (:meth:`ColumnProfile.to_dict`).

Numeric bins, with edges ``e_0 < e_1 < ... < e_k`` (the unique reference quantiles at
``linspace(0, 1, bins + 1)``, linear interpolation):

* bin 0 is the underflow ``x < e_0``;
* bins 1..k are ``[e_{i-1}, e_i)``, the last one closed ``[e_{k-1}, e_k]``;
* bin k + 1 is the overflow ``x > e_k``.

A constant reference ``c`` has the single edge ``c`` and the bins ``(<c)``, ``[c]``,
``(>c)``, so a different constant current lands wholly outside and scores complete
drift instead of NaN.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from tasks.drift import values as column_values
from tasks.errors import ConfigurationError

logger = logging.getLogger(__name__)

PROFILE_FORMAT = 1


@dataclass(frozen=True)
class ColumnProfile:
    """The reference distribution of one column.

    Attributes:
        column: the feature name.
        kind: ``"numeric"`` or ``"categorical"``.
        n: non-missing, finite reference values.
        n_missing: NaN/None reference rows.
        n_infinite: +-inf reference rows (dropped, counted here).
        edges: numeric bin edges (strictly increasing); () for categorical.
        counts: reference counts per numeric bin (underflow and overflow included,
            so ``len(edges) + 1`` bins, or 3 for a constant reference) or per
            category.
        categories: the reference categories (sorted text); () for numeric.
        quantiles: numeric: every reference value sorted when ``exact``, otherwise
            ``max_quantiles`` order statistics at evenly spaced ranks (see
            :func:`summary_ranks`); () for categorical.
        exact: True when ``quantiles`` holds every reference value.
    """

    column: str
    kind: Literal["numeric", "categorical"]
    n: int
    n_missing: int
    n_infinite: int
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    categories: tuple[str, ...]
    quantiles: tuple[float, ...]
    exact: bool

    @property
    def n_rows(self) -> int:
        """Reference rows, including missing and infinite ones."""
        return self.n + self.n_missing + self.n_infinite

    def to_dict(self) -> dict[str, Any]:
        """Returns the profile as JSON-safe plain values (no NaN can occur)."""
        return {
            "format": PROFILE_FORMAT,
            "column": str(self.column),
            "kind": self.kind,
            "n": int(self.n),
            "n_missing": int(self.n_missing),
            "n_infinite": int(self.n_infinite),
            "edges": [float(x) for x in self.edges],
            "counts": [int(x) for x in self.counts],
            "categories": [str(x) for x in self.categories],
            "quantiles": [float(x) for x in self.quantiles],
            "exact": bool(self.exact),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnProfile:
        """Rebuilds a profile written by :meth:`to_dict`.

        Raises:
            ConfigurationError: when a key is missing or the shapes do not agree.
        """
        required = ("column", "kind", "n", "edges", "counts")
        absent = [key for key in required if key not in data]
        if absent:
            raise ConfigurationError(
                f"a stored drift profile lacks {absent}; expected the keys written by "
                "ColumnProfile.to_dict. Recompute the profile from the reference data."
            )
        profile = cls(
            column=str(data["column"]),
            kind=data["kind"],
            n=int(data["n"]),
            n_missing=int(data.get("n_missing", 0)),
            n_infinite=int(data.get("n_infinite", 0)),
            edges=tuple(float(x) for x in data["edges"]),
            counts=tuple(int(x) for x in data["counts"]),
            categories=tuple(str(x) for x in data.get("categories", ())),
            quantiles=tuple(float(x) for x in data.get("quantiles", ())),
            exact=bool(data.get("exact", True)),
        )
        _check(profile)
        return profile


def _check(profile: ColumnProfile) -> None:
    """Raises ConfigurationError when a profile's parts do not fit together."""
    problem = None
    if profile.kind not in ("numeric", "categorical"):
        problem = f"kind is {profile.kind!r}, expected 'numeric' or 'categorical'"
    elif profile.kind == "categorical" and len(profile.counts) != len(
        profile.categories
    ):
        problem = (
            f"{len(profile.counts)} counts for {len(profile.categories)} categories"
        )
    elif profile.kind == "numeric" and profile.n > 0:
        expected = max(len(profile.edges) - 1, 1) + 2
        if len(profile.counts) != expected:
            problem = f"{len(profile.counts)} counts for {len(profile.edges)} edges"
    if problem is None and profile.kind == "numeric" and profile.n > 0:
        kept = len(profile.quantiles)
        if profile.exact and kept != profile.n:
            problem = f"exact, but {kept} stored values for n={profile.n}"
        elif not profile.exact and not 2 <= kept <= profile.n:
            problem = f"{kept} stored quantiles for n={profile.n}"
    if problem is None and sum(profile.counts) != profile.n:
        problem = f"counts add up to {sum(profile.counts)}, not n={profile.n}"
    if problem is not None:
        raise ConfigurationError(
            f"the drift profile of column {profile.column!r} is inconsistent: "
            f"{problem}. Recompute it with profile_column."
        )


def bin_index(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Returns the bin of each value under the bin layout of this module.

    One ``searchsorted`` pass: the last edge is nudged up by one ulp so that it is
    included in the last regular bin, and a lone edge (constant reference) keeps
    itself as the lower bound of its single bin.

    Args:
        edges: strictly increasing finite edges, at least one.
        values: finite values (NaN would land in the overflow bin).

    Returns:
        Bin numbers in ``[0, n_bins)`` with ``n_bins = max(len(edges) - 1, 1) + 2``.
    """
    return np.searchsorted(bin_bounds(edges), values, side="right")


def bin_bounds(edges: np.ndarray) -> np.ndarray:
    """Lower bounds of bins 1.. under ``searchsorted(side="right")`` (see bin_index)."""
    top = np.nextafter(edges[-1], np.inf)
    lower = edges[:-1] if edges.shape[0] > 1 else edges
    return np.append(lower, top)


def n_bins(edges: Sequence[float]) -> int:
    """Number of numeric bins (underflow and overflow included) for these edges."""
    return max(len(edges) - 1, 1) + 2


def _edges(sorted_values: np.ndarray, bins: int) -> np.ndarray:
    """Unique reference quantiles at ``linspace(0, 1, bins + 1)`` (linear rule).

    Interpolation is written as ``a * (1 - t) + b * t`` so that no difference of two
    huge values can overflow; the first and last edges are the exact min and max.
    """
    n = sorted_values.shape[0]
    position = np.linspace(0.0, 1.0, bins + 1) * (n - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, n - 1)
    t = position - low
    a = sorted_values[low]
    b = sorted_values[high]
    edges = a * (1.0 - t) + b * t
    edges = np.clip(edges, a, b)  # rounding must not leave the bracketing values
    edges[0] = sorted_values[0]
    edges[-1] = sorted_values[-1]
    return np.unique(edges)


def summary_ranks(n: int, size: int) -> np.ndarray:
    """Ranks (0-based) of the order statistics kept when ``n > size``.

    ``r_k = round(k * (n - 1) / (size - 1))`` for ``k = 0..size-1`` in exact integer
    arithmetic, so the first and last are the min and the max. The KS statistic uses
    them to bound the reference ECDF between two kept values.
    """
    k = np.arange(size, dtype=np.int64)
    return (2 * k * (n - 1) + (size - 1)) // (2 * (size - 1))


def profile_column(
    values: object,
    *,
    column: str,
    bins: int = 10,
    max_quantiles: int = 10_000,
) -> ColumnProfile:
    """Profiles one reference column.

    Args:
        values: the reference values (Series, array or list); the kind follows the
            dtype (see :mod:`tasks.drift.values`).
        column: the feature name.
        bins: number of quantile bins (>= 1); tied quantiles merge, so there may be
            fewer, plus the underflow and overflow bins.
        max_quantiles: largest number of reference values kept for KS (>= 2).

    Returns:
        The profile. A reference without finite values gives ``n == 0`` with empty
        edges and counts; the methods answer it with status ``"no_reference"``.

    Raises:
        ConfigurationError: when ``bins < 1`` or ``max_quantiles < 2``.
    """
    if int(bins) < 1 or int(max_quantiles) < 2:
        raise ConfigurationError(
            f"profile_column needs bins >= 1 and max_quantiles >= 2, got bins={bins} "
            f"and max_quantiles={max_quantiles}; pass larger values."
        )
    series = column_values.as_series(values)
    if column_values.kind_of(series) == "categorical" and len(series) > 0:
        found = column_values.categorical_values(series)
        categories = tuple(sorted(found.counts))
        return ColumnProfile(
            column=column,
            kind="categorical",
            n=found.n_finite,
            n_missing=found.n_missing,
            n_infinite=0,
            edges=(),
            counts=tuple(found.counts[c] for c in categories),
            categories=categories,
            quantiles=(),
            exact=True,
        )
    numeric = column_values.numeric_values(series)
    finite = np.sort(numeric.finite())
    n = int(finite.shape[0])
    if n == 0:
        return ColumnProfile(
            column=column,
            kind="numeric",
            n=0,
            n_missing=numeric.n_missing,
            n_infinite=numeric.n_infinite,
            edges=(),
            counts=(),
            categories=(),
            quantiles=(),
            exact=True,
        )
    edges = _edges(finite, int(bins))
    counts = np.bincount(bin_index(edges, finite), minlength=n_bins(edges))
    if n <= max_quantiles:
        kept, exact = finite, True
    else:
        kept, exact = finite[summary_ranks(n, int(max_quantiles))], False
    return ColumnProfile(
        column=column,
        kind="numeric",
        n=n,
        n_missing=numeric.n_missing,
        n_infinite=numeric.n_infinite,
        edges=tuple(edges.tolist()),
        counts=tuple(int(c) for c in counts),
        categories=(),
        quantiles=tuple(kept.tolist()),
        exact=exact,
    )


def profile_frame(
    frame: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    bins: int = 10,
    max_quantiles: int = 10_000,
) -> dict[str, ColumnProfile]:
    """Profiles the columns of a reference frame.

    Args:
        frame: the reference (training) data.
        columns: the columns to profile; all of them when None.
        bins: quantile bins per numeric column (see :func:`profile_column`).
        max_quantiles: values kept per numeric column for KS.

    Returns:
        Column name -> profile, in the order asked for.

    Raises:
        ConfigurationError: when a named column is not in the frame.
    """
    names = list(frame.columns) if columns is None else list(columns)
    absent = [name for name in names if name not in frame.columns]
    if absent:
        raise ConfigurationError(
            f"cannot profile columns {absent}: the reference frame has "
            f"{list(frame.columns)}. Pass columns that exist in the reference data."
        )
    profiles = {}
    for name in names:
        profile = profile_column(
            frame[name], column=str(name), bins=bins, max_quantiles=max_quantiles
        )
        profiles[str(name)] = profile
        logger.debug("profiled %s (%s, n=%d)", name, profile.kind, profile.n)
    return profiles
