"""Training and evaluation of the example model, ``bug_predictor``.

The model is a scikit-learn random forest over a commit's change metrics, so SHAP's
TreeExplainer applies to it. Splits are by time, never at random: the model learns
from earlier commits and is judged on the commits that follow, as it would be in
production.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import confusion_matrix, roc_auc_score

from tasks.errors import ConfigurationError

logger = logging.getLogger(__name__)

MODEL_NAME = "bug_predictor"


@dataclass(frozen=True)
class TimeSplit:
    """Consecutive slices of a frame sorted by time."""

    train: pd.DataFrame
    holdout: pd.DataFrame
    replay: pd.DataFrame


@dataclass(frozen=True)
class Evaluation:
    """Classification quality on labelled data; rates follow the usual definitions.

    ``false_positive_rate`` is FP / (FP + TN): the share of clean commits flagged.
    ``roc_auc`` is NaN when the data holds only one class.
    """

    n: int
    roc_auc: float
    accuracy: float
    recall: float
    precision: float
    false_positive_rate: float
    positive_share: float

    def to_dict(self) -> dict[str, float]:
        return {k: (None if v != v else v) for k, v in asdict(self).items()}


def split_by_time(
    frame: pd.DataFrame,
    *,
    time_column: str = "committed_at",
    train_share: float = 0.4,
    holdout_share: float = 0.1,
) -> TimeSplit:
    """Split rows into train, held-out and replay slices in time order.

    Args:
        frame: rows with a time column.
        train_share: share of the earliest rows to train on, in (0, 1).
        holdout_share: share of the next rows kept to evaluate the model.

    Returns:
        The three slices; replay is everything after the held-out rows.
    """
    if not 0 < train_share < 1 or not 0 < holdout_share < 1 - train_share:
        raise ConfigurationError(
            "need 0 < train_share and 0 < holdout_share with train + holdout < 1, "
            f"got {train_share} and {holdout_share}"
        )
    ordered = frame.sort_values(time_column, kind="stable").reset_index(drop=True)
    first = int(round(len(ordered) * train_share))
    second = first + int(round(len(ordered) * holdout_share))
    if first == 0 or second == first or second >= len(ordered):
        raise ConfigurationError(
            f"{len(ordered)} rows are too few to split into train, holdout and replay"
        )
    return TimeSplit(
        train=ordered.iloc[:first].reset_index(drop=True),
        holdout=ordered.iloc[first:second].reset_index(drop=True),
        replay=ordered.iloc[second:].reset_index(drop=True),
    )


def train_model(
    features: pd.DataFrame,
    labels: pd.Series,
    *,
    seed: int = 0,
    n_estimators: int = 200,
) -> RandomForestClassifier:
    """Fit the random forest on the given features and 0/1 labels.

    Classes are weighted by their frequency in each tree's sample, since buggy
    commits are the minority (about one in five in ApacheJIT).
    """
    if features.empty:
        raise ConfigurationError("cannot train on zero rows")
    if labels.nunique() < 2:
        raise ConfigurationError(
            "training labels hold one class only; need both 0 and 1"
        )
    model = RandomForestClassifier(
        n_estimators=n_estimators,
        min_samples_leaf=5,
        max_features="sqrt",
        class_weight="balanced_subsample",
        n_jobs=2,
        random_state=seed,
    )
    model.fit(features.to_numpy(dtype="float64"), labels.to_numpy(dtype="int64"))
    return model


def evaluate(
    labels: np.ndarray | pd.Series,
    scores: np.ndarray | pd.Series,
    *,
    threshold: float = 0.5,
) -> Evaluation:
    """Quality of scores against 0/1 labels; a score >= threshold predicts 1."""
    y_true = np.asarray(labels, dtype="int64")
    y_score = np.asarray(scores, dtype="float64")
    if y_true.size == 0:
        nan = float("nan")
        return Evaluation(0, nan, nan, nan, nan, nan, nan)
    y_pred = (y_score >= threshold).astype("int64")
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    both = np.unique(y_true).size == 2
    return Evaluation(
        n=int(y_true.size),
        roc_auc=float(roc_auc_score(y_true, y_score)) if both else float("nan"),
        accuracy=float((tp + tn) / y_true.size),
        recall=_ratio(tp, tp + fn),
        precision=_ratio(tp, tp + fp),
        false_positive_rate=_ratio(fp, fp + tn),
        positive_share=float(y_true.mean()),
    )


def _ratio(numerator: int, denominator: int) -> float:
    return float(numerator / denominator) if denominator else float("nan")
