"""The results store: SQLAlchemy models, migrations, and the functions flows call.

One schema for PostgreSQL and SQLite; Alembic migrations live in ``sql/``. Values
are converted at the boundary (numpy scalars to Python, NaN to NULL, aware datetimes
to UTC; see :func:`tasks.store.convert.prepare_row`).
"""

from tasks.store.engine import make_engine, session_scope
from tasks.store.migrations import current_revision, upgrade
from tasks.store.models import (
    Base,
    DriftResult,
    HealthScore,
    ModelVersion,
    Outcome,
    PipelineRun,
    Prediction,
    ReferenceProfile,
)
from tasks.store.predictions import (
    insert_outcomes,
    insert_predictions,
    load_window_outcomes,
    load_window_predictions,
)
from tasks.store.registry import (
    find_model_version,
    get_model_version,
    load_reference_profiles,
    register_model_version,
    save_reference_profiles,
)
from tasks.store.results import (
    count_rows,
    drift_scores_within,
    latest_drift_scores,
    pipeline_run_totals,
    record_pipeline_run,
    upsert_drift_results,
    upsert_health_score,
)

__all__ = [
    "Base",
    "DriftResult",
    "HealthScore",
    "ModelVersion",
    "Outcome",
    "PipelineRun",
    "Prediction",
    "ReferenceProfile",
    "count_rows",
    "current_revision",
    "drift_scores_within",
    "find_model_version",
    "get_model_version",
    "insert_outcomes",
    "insert_predictions",
    "latest_drift_scores",
    "load_reference_profiles",
    "load_window_outcomes",
    "load_window_predictions",
    "make_engine",
    "pipeline_run_totals",
    "record_pipeline_run",
    "register_model_version",
    "save_reference_profiles",
    "session_scope",
    "upgrade",
    "upsert_drift_results",
    "upsert_health_score",
]
