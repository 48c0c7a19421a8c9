"""Initial schema: registry, predictions, outcomes and result tables.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _time(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("artifact", sa.Text(), nullable=False),
        sa.Column("features", _json(), nullable=False),
        sa.Column("metrics", _json(), nullable=False),
        _time("created_at"),
        sa.CheckConstraint(
            "status IN ('champion', 'challenger', 'retired', 'rolled_back')",
            name=op.f("ck_model_versions_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint(
            "model_name", "version", name=op.f("uq_model_versions_model_name_version")
        ),
    )
    op.create_index(
        "ix_model_versions_one_champion",
        "model_versions",
        ["model_name"],
        unique=True,
        sqlite_where=sa.text("status = 'champion'"),
        postgresql_where=sa.text("status = 'champion'"),
    )

    op.create_table(
        "reference_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("profile", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_name", "version"],
            ["model_versions.model_name", "model_versions.version"],
            name=op.f("fk_reference_profiles_model_name_version_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_profiles")),
        sa.UniqueConstraint(
            "model_name",
            "version",
            "feature",
            name=op.f("uq_reference_profiles_model_name_version_feature"),
        ),
    )

    op.create_table(
        "predictions",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(100), nullable=True),
        sa.Column("entity_id", sa.String(200), nullable=True),
        sa.Column("features", _json(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("label", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Double(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("cpu_utilization", sa.Double(), nullable=True),
        _time("created_at"),
        sa.CheckConstraint(
            "status IN ('ok', 'error')", name=op.f("ck_predictions_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
    )
    op.create_index(
        "ix_predictions_model_name_created_at",
        "predictions",
        ["model_name", "created_at"],
    )

    op.create_table(
        "outcomes",
        sa.Column("prediction_id", sa.String(200), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("actual", sa.Integer(), nullable=False),
        _time("observed_at"),
        sa.ForeignKeyConstraint(
            ["prediction_id"],
            ["predictions.id"],
            name=op.f("fk_outcomes_prediction_id_predictions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("prediction_id", name=op.f("pk_outcomes")),
    )
    op.create_index(
        "ix_outcomes_model_name_observed_at",
        "outcomes",
        ["model_name", "observed_at"],
    )

    op.create_table(
        "drift_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("method", sa.String(40), nullable=False),
        _time("window_start"),
        _time("window_end"),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("p_value", sa.Double(), nullable=True),
        sa.Column("threshold", sa.Double(), nullable=True),
        sa.Column("direction", sa.String(40), nullable=True),
        sa.Column("drifted", sa.Boolean(), nullable=True),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("n_reference", sa.BigInteger(), nullable=True),
        sa.Column("n_current", sa.BigInteger(), nullable=True),
        sa.Column("missing_share_reference", sa.Double(), nullable=True),
        sa.Column("missing_share_current", sa.Double(), nullable=True),
        sa.Column("details", _json(), nullable=True),
        _time("computed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_results")),
        sa.UniqueConstraint(
            "model_name",
            "version",
            "feature",
            "method",
            "window_start",
            "window_end",
            name=op.f(
                "uq_drift_results_model_name_version_feature_method_window_start_"
                "window_end"
            ),
        ),
    )
    op.create_index(
        "ix_drift_results_model_name_window_end",
        "drift_results",
        ["model_name", "window_end"],
    )

    op.create_table(
        "health_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _time("window_start"),
        _time("window_end"),
        sa.Column("health_score", sa.Double(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("accuracy", sa.Double(), nullable=True),
        sa.Column("p95_latency_ms", sa.Double(), nullable=True),
        sa.Column("drift_score", sa.Double(), nullable=True),
        sa.Column("error_rate", sa.Double(), nullable=True),
        sa.Column("resource_utilization", sa.Double(), nullable=True),
        sa.Column("components", _json(), nullable=True),
        sa.Column("n_predictions", sa.BigInteger(), nullable=False),
        sa.Column("n_labelled", sa.BigInteger(), nullable=False),
        _time("computed_at"),
        sa.CheckConstraint(
            "status IN ('healthy', 'warning', 'critical', 'unknown')",
            name=op.f("ck_health_scores_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_scores")),
        sa.UniqueConstraint(
            "model_name",
            "version",
            "window_start",
            "window_end",
            name=op.f("uq_health_scores_model_name_version_window_start_window_end"),
        ),
    )
    op.create_index(
        "ix_health_scores_model_name_window_end",
        "health_scores",
        ["model_name", "window_end"],
    )

    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("pipeline_name", sa.String(200), nullable=False),
        sa.Column("model_name", sa.String(200), nullable=True),
        _time("window_start", nullable=True),
        _time("window_end", nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        _time("started_at"),
        _time("finished_at", nullable=True),
        sa.Column("duration_seconds", sa.Double(), nullable=True),
        sa.Column("metrics_delivery", sa.String(20), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('completed', 'failed')", name=op.f("ck_pipeline_runs_status")
        ),
        sa.CheckConstraint(
            "metrics_delivery IN ('pushed', 'file', 'failed')",
            name=op.f("ck_pipeline_runs_metrics_delivery"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_runs")),
    )
    op.create_index(
        "ix_pipeline_runs_pipeline_name_started_at",
        "pipeline_runs",
        ["pipeline_name", "started_at"],
    )


def downgrade() -> None:
    raise NotImplementedError(
        "0001 is the first revision; going below it would drop every table and its "
        "data. Restore a backup or create a new database instead."
    )
