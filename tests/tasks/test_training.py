"""Tests of tasks.training on the real ApacheJIT commits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tasks.data import APACHEJIT_FEATURES, load_apachejit
from tasks.errors import ConfigurationError
from tasks.training import evaluate, split_by_time, train_model

FEATURES = list(APACHEJIT_FEATURES)


def test_evaluate_by_hand():
    labels = [1, 1, 0, 0, 0]
    scores = [0.9, 0.3, 0.6, 0.2, 0.1]

    result = evaluate(labels, scores)

    # predicted 1,0,1,0,0: TP=1 FN=1 FP=1 TN=2
    assert result.accuracy == pytest.approx(3 / 5)
    assert result.recall == pytest.approx(1 / 2)
    assert result.precision == pytest.approx(1 / 2)
    # the standard rate FP/(FP+TN), not FP over all predictions (1/5)
    assert result.false_positive_rate == pytest.approx(1 / 3)
    # pairs (positive, negative) ranked right: 0.9 beats all 3; 0.3 beats 0.2, 0.1
    assert result.roc_auc == pytest.approx(5 / 6)


def test_evaluate_with_one_class_gives_nan_auc_and_rates():
    result = evaluate([0, 0, 0], [0.1, 0.7, 0.2])

    assert math.isnan(result.roc_auc)
    assert math.isnan(result.recall)
    assert result.false_positive_rate == pytest.approx(1 / 3)
    assert result.to_dict()["roc_auc"] is None


def test_split_is_in_time_order_without_overlap(apachejit_csv):
    commits = load_apachejit(apachejit_csv)

    split = split_by_time(commits, train_share=0.4, holdout_share=0.1)

    assert (len(split.train), len(split.holdout)) == (3010, 753)
    assert len(split.replay) == 7526 - 3010 - 753
    assert split.train["committed_at"].max() <= split.holdout["committed_at"].min()
    assert split.holdout["committed_at"].max() <= split.replay["committed_at"].min()


def test_split_rejects_shares_that_leave_nothing():
    frame = pd.DataFrame({"committed_at": pd.date_range("2020", periods=5, tz="UTC")})
    with pytest.raises(ConfigurationError, match="train \\+ holdout < 1"):
        split_by_time(frame, train_share=0.9, holdout_share=0.2)


def test_model_beats_chance_on_later_commits(apachejit_csv):
    commits = load_apachejit(apachejit_csv)
    split = split_by_time(commits)

    model = train_model(split.train[FEATURES], split.train["buggy"], n_estimators=50)
    scores = model.predict_proba(split.holdout[FEATURES].to_numpy())[:, 1]
    result = evaluate(split.holdout["buggy"], scores)

    # measured 0.85 with 200 trees; a broken pipeline would sit near 0.5
    assert result.roc_auc > 0.8
    assert 0 <= result.false_positive_rate <= 0.3


def test_training_needs_both_classes():
    features = pd.DataFrame({"x": np.arange(10.0)})
    with pytest.raises(ConfigurationError, match="one class only"):
        train_model(features, pd.Series(np.zeros(10, dtype=int)))
