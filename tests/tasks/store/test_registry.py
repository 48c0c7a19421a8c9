"""Model registry: versions, champion demotion, lookups, reference profiles."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from tasks.errors import ConfigurationError, UnknownModelError
from tasks.store import (
    count_rows,
    get_model_version,
    load_reference_profiles,
    register_model_version,
    save_reference_profiles,
    session_scope,
)

FEATURES = ["la", "ld", "nf"]


def _register(session, name: str = "bug_predictor", **options) -> int:
    options.setdefault("artifact", f"artifacts/{name}.joblib")
    options.setdefault("features", FEATURES)
    options.setdefault("metrics", {"auc": 0.71})
    return register_model_version(session, model_name=name, **options)


def test_versions_count_up_per_model(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        numbers = [
            _register(session),
            _register(session, status="challenger"),
            _register(session, "other"),
            _register(session),
        ]
    assert numbers == [1, 2, 1, 3]


def test_a_new_champion_retires_the_old_one(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        _register(session)
        _register(session, status="challenger")
        _register(session)
        _register(session, "other")
    with session_scope(engine) as session:
        statuses = [
            get_model_version(session, "bug_predictor", n).status for n in (1, 2, 3)
        ]
        champion = get_model_version(session, "bug_predictor")
        other = get_model_version(session, "other")
    assert statuses == ["retired", "challenger", "champion"]
    assert (champion.version, other.version, other.status) == (3, 1, "champion")


def test_registering_a_challenger_keeps_the_champion(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        _register(session)
        _register(session, status="challenger")
        assert get_model_version(session, "bug_predictor").version == 1


def test_the_stored_version_keeps_its_fields(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        _register(
            session,
            version=7,
            metrics={"auc": np.float64(0.75), "brier": float("nan"), "n": np.int64(9)},
        )
    with session_scope(engine) as session:
        model = get_model_version(session, "bug_predictor", 7)
    assert model.artifact == "artifacts/bug_predictor.joblib"
    assert model.features == FEATURES
    assert model.metrics == {"auc": 0.75, "brier": None, "n": 9}
    assert model.created_at.tzinfo is not None
    assert model.created_at.utcoffset().total_seconds() == 0
    assert abs((datetime.now(UTC) - model.created_at).total_seconds()) < 60


def test_a_version_cannot_be_registered_twice(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        _register(session, version=2)
        with pytest.raises(ConfigurationError, match="version 2 .* already registered"):
            _register(session, version=2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"status": "live"}, "status must be one of"),
        ({"features": "la"}, "features must be a list"),
        ({"features": ["la", 3]}, "features must be a list"),
    ],
)
def test_bad_registrations_are_refused(
    engine: sa.Engine, options: dict, message: str
) -> None:
    with session_scope(engine) as session:
        with pytest.raises(ConfigurationError, match=message):
            _register(session, **options)
        assert count_rows(session, "model_versions") == 0


def test_unknown_model_error_lists_the_registered_models(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        _register(session)
        _register(session, status="challenger")
        _register(session, "other", status="retired")
        with pytest.raises(UnknownModelError) as raised:
            get_model_version(session, "bug_predicter")
        with pytest.raises(UnknownModelError, match="no version 9 of model"):
            get_model_version(session, "bug_predictor", 9)
        with pytest.raises(
            UnknownModelError, match="no champion version of model 'other'"
        ):
            get_model_version(session, "other")
    assert str(raised.value) == (
        "no champion version of model 'bug_predicter' is registered; registered: "
        "bug_predictor: versions 1 (champion), 2 (challenger); other: versions 1 "
        "(retired). Register one with tasks.registration.register_version or pick one "
        "of these."
    )


def test_unknown_model_error_on_an_empty_registry(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(UnknownModelError, match="registered: none"):
            get_model_version(session, "bug_predictor")


def test_reference_profiles_round_trip_and_upsert(engine: sa.Engine) -> None:
    first = {
        "la": {"kind": "numeric", "edges": np.array([0.0, 10.0]), "missing": 0.0},
        "project": {"kind": "categorical", "frequencies": {"apache/flink": 3}},
    }
    with session_scope(engine) as session:
        _register(session)
        save_reference_profiles(
            session, model_name="bug_predictor", version=1, profiles=first
        )
    with session_scope(engine) as session:
        save_reference_profiles(
            session,
            model_name="bug_predictor",
            version=1,
            profiles={"la": {"kind": "numeric", "edges": [1.0], "missing": np.nan}},
        )
    with session_scope(engine) as session:
        loaded = load_reference_profiles(session, model_name="bug_predictor", version=1)
        rows = count_rows(session, "reference_profiles")
    assert rows == 2
    assert loaded == {
        "la": {"kind": "numeric", "edges": [1.0], "missing": None},
        "project": {"kind": "categorical", "frequencies": {"apache/flink": 3}},
    }


def test_profiles_of_a_version_without_any_are_empty(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        _register(session)
        assert (
            load_reference_profiles(session, model_name="bug_predictor", version=1)
            == {}
        )


def test_profiles_need_a_registered_version_and_a_kind(engine: sa.Engine) -> None:
    with session_scope(engine) as session:
        with pytest.raises(UnknownModelError, match="no version 1 of model 'm'"):
            save_reference_profiles(
                session, model_name="m", version=1, profiles={"a": {"kind": "numeric"}}
            )
        with pytest.raises(UnknownModelError):
            load_reference_profiles(session, model_name="m", version=1)
        _register(session, "m")
        with pytest.raises(ConfigurationError, match="'a' must be a dict with a text"):
            save_reference_profiles(
                session, model_name="m", version=1, profiles={"a": {"bins": [1]}}
            )
