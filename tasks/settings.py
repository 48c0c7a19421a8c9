"""One typed settings object for the whole of mlpulse.

Every value can be set in the environment with the ``MLPULSE_`` prefix (for example
``MLPULSE_DATABASE_URL``) or in a ``.env`` file in the working directory. Thresholds,
weights and schedules live here with their defaults, never as literals in the code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APACHEJIT_URL = (
    "https://raw.githubusercontent.com/hosseinkshvrz/apachejit/master/dataset/"
    "apachejit_test_small.csv"
)
APACHEJIT_SHA256 = "0cc3c6edfbd46572330b9790ee672f944234ff3689ea13f9a3214191ccc0b9a3"


class HealthWeights(BaseModel):
    """Weights of the composite health score; they must add up to 1."""

    accuracy: float = 0.4
    latency: float = 0.2
    drift: float = 0.2
    error_rate: float = 0.1
    resource_utilization: float = 0.1

    @model_validator(mode="after")
    def _sum_to_one(self) -> HealthWeights:
        total = sum(self.model_dump().values())
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"health weights must add up to 1, got {total:.6g}")
        return self


class Settings(BaseSettings):
    """mlpulse's settings, read from ``MLPULSE_*`` environment variables."""

    model_config = SettingsConfigDict(
        env_prefix="MLPULSE_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    # where things live
    data_dir: Path = Field(
        default=Path(".mlpulse"),
        description="Folder for the embedded SQLite store, artifacts and metrics file.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the results store; SQLite in data_dir if unset",
    )
    pushgateway_url: str | None = Field(
        default=None, description="Pushgateway address, e.g. http://127.0.0.1:9091."
    )
    metrics_dir: Path | None = Field(
        default=None,
        description=(
            "Folder of text-format metrics files (one per flow and model) used when no "
            "Pushgateway is configured; data_dir/metrics if unset."
        ),
    )
    artifact_dir: Path | None = Field(
        default=None,
        description="Folder for model artifacts; data_dir/artifacts if unset.",
    )
    dataset_path: Path | None = Field(
        default=None, description="ApacheJIT CSV used by `mlpulse demo` without --data."
    )
    dataset_url: str = APACHEJIT_URL
    dataset_sha256: str = APACHEJIT_SHA256

    # drift (C1): each threshold is stated in its own method's scale
    drift_threshold_js: float = Field(0.1, ge=0, le=1)
    drift_threshold_ks: float = Field(0.1, ge=0, le=1)
    drift_threshold_psi: float = Field(0.1, ge=0)
    drift_alpha: float = Field(
        0.05, gt=0, lt=1, description="False-discovery rate across a window's features."
    )
    drift_bins: int = Field(10, ge=2, le=1000)
    drift_min_rows: int = Field(
        30, ge=1, description="Fewer current rows than this give status 'too_few_rows'."
    )
    drift_schedule_minutes: int = Field(30, ge=1)

    # model health (C2)
    health_weights: HealthWeights = Field(default_factory=HealthWeights)
    health_accuracy_target: float = 0.9
    health_latency_target_ms: float = 1000.0
    health_drift_target: float = 0.3
    health_error_rate_target: float = 0.1
    health_resource_target: float = 0.8
    health_healthy_at: float = 0.8
    health_warning_at: float = 0.6
    health_schedule_minutes: int = Field(60, ge=1)

    # feedback loop and retraining (C6)
    retrain_feedback_count: int = 100
    retrain_drift_threshold: float = 0.15
    accuracy_threshold: float = 0.80

    # explainability (C3)
    explanation_drift_threshold: float = 0.3
    unusual_explanation_percentile: float = 0.95

    # A/B testing (C8)
    ab_traffic_split: float = 0.5
    ab_min_sample_size: int = 1000
    ab_significance: float = 0.05

    # metrics delivery
    push_retries: int = Field(3, ge=0)
    push_backoff_seconds: float = Field(0.5, ge=0)
    push_timeout_seconds: float = Field(5.0, gt=0)

    def resolved_database_url(self) -> str:
        """The store's URL: the configured one, else an SQLite file in data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'mlpulse.db').resolve()}"

    def resolved_artifact_dir(self) -> Path:
        """Where model artifacts are written."""
        return self.artifact_dir or self.data_dir / "artifacts"

    def resolved_metrics_dir(self) -> Path:
        """Where metrics go in text format when no Pushgateway is configured."""
        return self.metrics_dir or self.data_dir / "metrics"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
