"""The model registry: model versions, their status, and their reference profiles."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tasks.errors import ConfigurationError, UnknownModelError
from tasks.store.convert import prepare_row
from tasks.store.models import MODEL_STATUSES, ModelVersion, ReferenceProfile
from tasks.store.upsert import write_rows

logger = logging.getLogger(__name__)


def register_model_version(
    session: Session,
    *,
    model_name: str,
    artifact: str,
    features: list[str],
    metrics: dict[str, Any],
    status: str = "champion",
    version: int | None = None,
) -> int:
    """Register a model version and return its version number.

    Registering a champion demotes the model's current champion to "retired", so a
    model has at most one champion.

    Args:
        session: an open session; the caller commits.
        model_name: the model's name.
        artifact: where the trained model is stored (path or URI).
        features: the feature names the model reads, in order.
        metrics: evaluation metrics (JSON-safe after conversion; NaN becomes null).
        status: one of champion, challenger, retired, rolled_back.
        version: the version number; None takes the model's highest plus one (1 for
            a new model).

    Returns:
        The registered version number.

    Raises:
        ConfigurationError: an unknown status, or a version already registered.
    """
    if status not in MODEL_STATUSES:
        raise ConfigurationError(
            f"model status must be one of {list(MODEL_STATUSES)}, got {status!r}"
        )
    if isinstance(features, str) or not all(isinstance(f, str) for f in features):
        raise ConfigurationError(
            f"features must be a list of feature names (text), got {_preview(features)}"
        )
    highest = session.scalar(
        select(func.max(ModelVersion.version)).where(
            ModelVersion.model_name == model_name
        )
    )
    if version is None:
        version = (highest or 0) + 1
    elif session.scalar(
        select(ModelVersion.id).where(
            ModelVersion.model_name == model_name, ModelVersion.version == version
        )
    ):
        raise ConfigurationError(
            f"version {version} of model {model_name!r} is already registered; pass "
            "version=None to take the next number"
        )
    row = prepare_row(
        ModelVersion.__table__,
        {
            "model_name": model_name,
            "version": version,
            "status": status,
            "artifact": artifact,
            "features": list(features),
            "metrics": dict(metrics),
            "created_at": datetime.now(UTC),
        },
    )
    if status == "champion":
        session.execute(
            update(ModelVersion)
            .where(
                ModelVersion.model_name == model_name,
                ModelVersion.status == "champion",
            )
            .values(status="retired")
        )
    session.add(ModelVersion(**row))
    session.flush()
    logger.info("registered %s version %s as %s", model_name, row["version"], status)
    return row["version"]


def get_model_version(
    session: Session, model_name: str, version: int | None = None
) -> ModelVersion:
    """Return a registered model version.

    Args:
        session: an open session.
        model_name: the model's name.
        version: the version number; None returns the current champion.

    Returns:
        The ``ModelVersion`` row (usable after the session ends).

    Raises:
        UnknownModelError: no such model, version or champion; the message lists
            the registered models and their versions.
    """
    query = select(ModelVersion).where(ModelVersion.model_name == model_name)
    if version is None:
        query = query.where(ModelVersion.status == "champion")
    else:
        query = query.where(ModelVersion.version == version)
    found = session.scalars(query).first()
    if found is not None:
        return found
    wanted = "champion version" if version is None else f"version {version}"
    raise UnknownModelError(
        f"no {wanted} of model {model_name!r} is registered; registered: "
        f"{_registered_summary(session)}. Register one with "
        "tasks.registration.register_version or pick one of these."
    )


def find_model_version(
    session: Session, model_name: str, *, artifact: str
) -> ModelVersion | None:
    """The model's version registered with exactly this artifact, if any.

    Artifacts are named by their content, so this finds an identical model that was
    registered before and lets registration be repeated without a new version.
    """
    return session.scalars(
        select(ModelVersion)
        .where(ModelVersion.model_name == model_name)
        .where(ModelVersion.artifact == artifact)
        .order_by(ModelVersion.version.desc())
    ).first()


def _registered_summary(session: Session) -> str:
    rows = session.execute(
        select(
            ModelVersion.model_name, ModelVersion.version, ModelVersion.status
        ).order_by(ModelVersion.model_name, ModelVersion.version)
    ).all()
    if not rows:
        return "none"
    models: dict[str, list[str]] = {}
    for name, number, status in rows:
        models.setdefault(name, []).append(f"{number} ({status})")
    return "; ".join(f"{name}: versions {', '.join(v)}" for name, v in models.items())


def save_reference_profiles(
    session: Session, *, model_name: str, version: int, profiles: Mapping[str, dict]
) -> None:
    """Store the reference profile of each feature, replacing earlier ones.

    Args:
        session: an open session; the caller commits.
        model_name: the model's name.
        version: a registered version of it.
        profiles: feature name -> profile dict with at least a text "kind"; the dict
            is stored as JSON (NaN becomes null, numpy values become Python ones).

    Raises:
        UnknownModelError: the version is not registered.
        ConfigurationError: a profile is not a dict or lacks "kind".
    """
    get_model_version(session, model_name, version)
    rows = []
    for feature, profile in profiles.items():
        if not isinstance(profile, Mapping) or not isinstance(profile.get("kind"), str):
            raise ConfigurationError(
                f"reference profile of feature {feature!r} must be a dict with a text "
                f"'kind', got {type(profile).__name__} "
                f"{_preview(profile)}"
            )
        rows.append(
            {
                "model_name": model_name,
                "version": version,
                "feature": feature,
                "kind": profile["kind"],
                "profile": dict(profile),
            }
        )
    write_rows(
        session,
        ReferenceProfile.__table__,
        rows,
        key=("model_name", "version", "feature"),
        update=True,
    )


def load_reference_profiles(
    session: Session, *, model_name: str, version: int
) -> dict[str, dict]:
    """Return feature -> profile dict for a model version.

    Args:
        session: an open session.
        model_name: the model's name.
        version: a registered version of it.

    Returns:
        The stored profiles (NaN values come back as None); an empty dict when the
        version is registered but has no profiles yet.

    Raises:
        UnknownModelError: the version is not registered.
    """
    get_model_version(session, model_name, version)
    rows = session.execute(
        select(ReferenceProfile.feature, ReferenceProfile.profile)
        .where(
            ReferenceProfile.model_name == model_name,
            ReferenceProfile.version == version,
        )
        .order_by(ReferenceProfile.feature)
    ).all()
    return {feature: profile for feature, profile in rows}


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
