"""Shared fixtures: the real data in ../shared/data and the real services.

Services are started by ``deployments/testing/services.sh start``, which writes the
``MLPULSE_TEST_*`` variables. Under CI (``CI=true``) a test whose service is not
configured fails; on a developer's machine it is skipped with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(
    os.environ.get("MLPULSE_TEST_DATA_DIR", REPO.parent / "shared" / "data")
)


def _service(variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if value:
        return value
    message = (
        f"{what} is not configured: {variable} is unset. Start the services with "
        "`bash deployments/testing/services.sh start`, then source the env file."
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder holding the real data sets (apachejit/, jitreliability/)."""
    if not (DATA_DIR / "apachejit").is_dir():
        pytest.fail(f"the real data is not at {DATA_DIR}; set MLPULSE_TEST_DATA_DIR")
    return DATA_DIR


@pytest.fixture(scope="session")
def apachejit_csv(data_dir: Path) -> Path:
    return data_dir / "apachejit" / "apachejit_test_small.csv"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _service("MLPULSE_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def pushgateway_url() -> str:
    return _service("MLPULSE_TEST_PUSHGATEWAY_URL", "The Pushgateway")


@pytest.fixture(scope="session")
def prometheus_url() -> str:
    return _service("MLPULSE_TEST_PROMETHEUS_URL", "Prometheus")


@pytest.fixture(scope="session")
def alertmanager_url() -> str:
    return _service("MLPULSE_TEST_ALERTMANAGER_URL", "Alertmanager")
