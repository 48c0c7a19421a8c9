"""Registering a trained model version: its artifact, its registry row and its
reference profile.

The reference profile (bin edges and counts, category frequencies, a sorted sample
for Kolmogorov-Smirnov, missing shares) is computed once here, from the data the
version was trained on, and every later drift run reuses it.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path

import joblib
import pandas as pd
from sqlalchemy.orm import Session

from tasks import store
from tasks.drift.profile import profile_frame

logger = logging.getLogger(__name__)


def save_model(model: object, directory: Path, *, model_name: str) -> Path:
    """Write the model under ``directory/model_name``, named by its content hash.

    The same model saved twice lands in the same file, and a new version never
    overwrites an old one's artifact.
    """
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    payload = buffer.getvalue()
    digest = hashlib.sha256(payload).hexdigest()[:16]
    folder = directory / model_name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.joblib"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.write_bytes(payload)
        partial.replace(path)
    return path.resolve()


def load_model(path: str | Path) -> object:
    """Load a model written by :func:`save_model`."""
    return joblib.load(Path(path))


def register_version(
    session: Session,
    *,
    model: object,
    model_name: str,
    reference: pd.DataFrame,
    features: list[str],
    metrics: dict,
    artifact_dir: Path,
    status: str = "champion",
    bins: int = 10,
) -> int:
    """Save, register and profile a trained model version.

    Args:
        model: the fitted model.
        reference: the training rows; its feature columns become the reference.
        features: the model's feature columns, in training order.
        metrics: evaluation figures to keep with the version (JSON-safe).
        status: ``champion`` (demotes the current one) or ``challenger``.
        bins: regular bins per numeric feature in the reference profile.

    Returns:
        The version's number. A model identical to a registered version (same
        artifact bytes) is not registered again: that version's number is returned.
    """
    artifact = save_model(model, artifact_dir, model_name=model_name)
    known = store.find_model_version(session, model_name, artifact=str(artifact))
    if known is not None:
        logger.info(
            "%s version %d holds this very model; reusing it", model_name, known.version
        )
        return known.version
    version = store.register_model_version(
        session,
        model_name=model_name,
        artifact=str(artifact),
        features=list(features),
        metrics=metrics,
        status=status,
    )
    profiles = profile_frame(reference, columns=list(features), bins=bins)
    store.save_reference_profiles(
        session,
        model_name=model_name,
        version=version,
        profiles={name: profile.to_dict() for name, profile in profiles.items()},
    )
    logger.info(
        "registered %s version %d (%s) with %d reference rows",
        model_name,
        version,
        status,
        len(reference),
    )
    return version
