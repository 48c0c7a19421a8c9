"""The store's tables as a typed SQLAlchemy ORM.

One schema serves PostgreSQL and SQLite. Result tables carry a surrogate ``id`` and a
unique key (model, version, subject, method, window) that every upsert conflicts on,
so re-running a window replaces its rows. Timestamps are aware UTC (``UTCDateTime``);
JSON columns are ``jsonb`` on PostgreSQL. The migration in ``sql/versions`` creates
exactly these tables; a test compares the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tasks.store.types import JSONDocument, UTCDateTime

MODEL_STATUSES = ("champion", "challenger", "retired", "rolled_back")
PREDICTION_STATUSES = ("ok", "error")
HEALTH_STATUSES = ("healthy", "warning", "critical", "unknown")
PIPELINE_STATUSES = ("completed", "failed")
METRICS_DELIVERIES = ("pushed", "file", "failed")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata and naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ModelVersion(Base):
    """One registered version of a model; at most one champion per model."""

    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("model_name", "version"),
        CheckConstraint(_one_of("status", MODEL_STATUSES), name="status"),
        Index(
            "ix_model_versions_one_champion",
            "model_name",
            unique=True,
            sqlite_where=text("status = 'champion'"),
            postgresql_where=text("status = 'champion'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    artifact: Mapped[str] = mapped_column(Text)
    features: Mapped[list[str]] = mapped_column(JSONDocument())
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONDocument())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReferenceProfile(Base):
    """The reference (training) summary of one feature of one model version."""

    __tablename__ = "reference_profiles"
    __table_args__ = (
        ForeignKeyConstraint(
            ["model_name", "version"],
            ["model_versions.model_name", "model_versions.version"],
            ondelete="CASCADE",
        ),
        UniqueConstraint("model_name", "version", "feature"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    feature: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    profile: Mapped[dict[str, Any]] = mapped_column(JSONDocument())


class Prediction(Base):
    """One logged prediction with the features it was made from."""

    __tablename__ = "predictions"
    __table_args__ = (
        CheckConstraint(_one_of("status", PREDICTION_STATUSES), name="status"),
        Index("ix_predictions_model_name_created_at", "model_name", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    variant: Mapped[str | None] = mapped_column(String(100))
    entity_id: Mapped[str | None] = mapped_column(String(200))
    features: Mapped[dict[str, Any]] = mapped_column(JSONDocument())
    score: Mapped[float | None] = mapped_column(Double)
    label: Mapped[int | None]
    latency_ms: Mapped[float | None] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(20))
    cpu_utilization: Mapped[float | None] = mapped_column(Double)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Outcome(Base):
    """The observed true outcome of one prediction (at most one per prediction)."""

    __tablename__ = "outcomes"
    __table_args__ = (
        Index("ix_outcomes_model_name_observed_at", "model_name", "observed_at"),
    )

    prediction_id: Mapped[str] = mapped_column(
        String(200), ForeignKey("predictions.id", ondelete="CASCADE"), primary_key=True
    )
    model_name: Mapped[str] = mapped_column(String(200))
    actual: Mapped[int]
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DriftResult(Base):
    """One drift statistic of one feature over one window."""

    __tablename__ = "drift_results"
    __table_args__ = (
        UniqueConstraint(
            "model_name", "version", "feature", "method", "window_start", "window_end"
        ),
        Index("ix_drift_results_model_name_window_end", "model_name", "window_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    feature: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(40))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Double)
    p_value: Mapped[float | None] = mapped_column(Double)
    threshold: Mapped[float | None] = mapped_column(Double)
    direction: Mapped[str | None] = mapped_column(String(40))
    drifted: Mapped[bool | None]
    status: Mapped[str] = mapped_column(String(40))
    n_reference: Mapped[int | None] = mapped_column(BigInteger)
    n_current: Mapped[int | None] = mapped_column(BigInteger)
    missing_share_reference: Mapped[float | None] = mapped_column(Double)
    missing_share_current: Mapped[float | None] = mapped_column(Double)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HealthScore(Base):
    """The composite health of one model version over one window."""

    __tablename__ = "health_scores"
    __table_args__ = (
        UniqueConstraint("model_name", "version", "window_start", "window_end"),
        CheckConstraint(_one_of("status", HEALTH_STATUSES), name="status"),
        Index("ix_health_scores_model_name_window_end", "model_name", "window_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    health_score: Mapped[float | None] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(20))
    accuracy: Mapped[float | None] = mapped_column(Double)
    p95_latency_ms: Mapped[float | None] = mapped_column(Double)
    drift_score: Mapped[float | None] = mapped_column(Double)
    error_rate: Mapped[float | None] = mapped_column(Double)
    resource_utilization: Mapped[float | None] = mapped_column(Double)
    components: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument())
    n_predictions: Mapped[int] = mapped_column(BigInteger)
    n_labelled: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PipelineRun(Base):
    """One run of a pipeline (a flow run), keyed by its flow run id."""

    __tablename__ = "pipeline_runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", PIPELINE_STATUSES), name="status"),
        CheckConstraint(
            _one_of("metrics_delivery", METRICS_DELIVERIES), name="metrics_delivery"
        ),
        Index(
            "ix_pipeline_runs_pipeline_name_started_at", "pipeline_name", "started_at"
        ),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    pipeline_name: Mapped[str] = mapped_column(String(200))
    model_name: Mapped[str | None] = mapped_column(String(200))
    window_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[float | None] = mapped_column(Double)
    metrics_delivery: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
