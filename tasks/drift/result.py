"""The outcome of one drift method on one column: :class:`DriftResult`."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

HIGHER_MEANS_DRIFT = "higher_means_drift"

# Status codes. "ok" is the only status with a usable decision.
OK = "ok"
EMPTY_CURRENT = "empty_current"
ALL_MISSING = "all_missing"
TOO_FEW_ROWS = "too_few_rows"
NOT_APPLICABLE_CATEGORICAL = "not_applicable_categorical"
NO_REFERENCE = "no_reference"
MISSING_COLUMN = "missing_column"
KIND_MISMATCH = "kind_mismatch"
FAILED = "failed"


def _plain(value: Any) -> Any:
    """Turns numpy scalars, tuples and NaN into JSON-safe Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True)
class DriftResult:
    """One method's verdict on one column.

    Attributes:
        column: the feature name.
        method: ``"js"``, ``"ks"`` or ``"psi"``.
        score: the statistic in the method's own scale (JS distance in [0, 1], KS
            statistic in [0, 1], PSI in [0, inf)); NaN when it could not be computed.
        p_value: the raw p-value of the statistic under "no drift", or None when the
            method has none or the score is not computable.
        threshold: the score threshold used, in the method's scale.
        direction: always ``"higher_means_drift"``.
        drifted: the decision; None when the status is not ``"ok"``.
        status: ``"ok"`` or a reason code (see the module constants).
        n_reference: finite reference values used.
        n_current: finite current values used.
        missing_share_reference: share of reference rows that were NaN/None (NaN when
            the reference had no rows).
        missing_share_current: the same for the current window.
        new_categories: categories of the current window absent from the reference.
        notes: sentences for people (dropped infinities, conversions, adjustments).
    """

    column: str
    method: str
    score: float
    p_value: float | None
    threshold: float
    direction: str
    drifted: bool | None
    status: str
    n_reference: int
    n_current: int
    missing_share_reference: float
    missing_share_current: float
    new_categories: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Returns the result as plain JSON-safe values (NaN and inf become None)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    def with_changes(self, **changes: Any) -> DriftResult:
        """Returns a copy with the given attributes replaced."""
        return replace(self, **changes)
