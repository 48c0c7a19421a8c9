"""Fixtures for flow tests: a Prefect test server and a store with a real model.

The store holds ``bug_predictor`` trained on the earliest 2,000 ApacheJIT commits
(a small forest, for speed) and the replay of the next 1,500 commits, so flows
run over real predictions. Each test gets its own store: an SQLite file, or a
fresh PostgreSQL database on the test server.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from tasks import store
from tasks.data import APACHEJIT_FEATURES, load_apachejit
from tasks.registration import register_version
from tasks.replay import replay_batches
from tasks.settings import get_settings
from tasks.training import train_model
from tests.databases import fresh_postgres_database

FEATURES = list(APACHEJIT_FEATURES)
MODEL = "bug_predictor"


@pytest.fixture(scope="session", autouse=True)
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One temporary Prefect server for every flow test."""
    results = tmp_path_factory.mktemp("prefect-results")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_RESULTS_LOCAL_STORAGE_PATH", str(results))
        with prefect_test_harness(server_startup_timeout=60):
            yield


@pytest.fixture(scope="session")
def commits(apachejit_csv: Path):
    return load_apachejit(apachejit_csv)


@pytest.fixture(scope="session")
def trained(commits):
    train = commits.iloc[:2000]
    return train, train_model(train[FEATURES], train["buggy"], n_estimators=20)


def _fill(url: str, trained, commits, artifacts: Path) -> int:
    train, model = trained
    store.upgrade(url)
    engine = store.make_engine(url)
    try:
        with store.session_scope(engine) as session:
            version = register_version(
                session,
                model=model,
                model_name=MODEL,
                reference=train,
                features=FEATURES,
                metrics={},
                artifact_dir=artifacts,
            )
        for batch in replay_batches(
            model,
            commits.iloc[2000:3500],
            model_name=MODEL,
            version=version,
            features=FEATURES,
            label_delay=timedelta(days=3),
            batch_size=64,
        ):
            with store.session_scope(engine) as session:
                store.insert_predictions(session, batch.predictions)
                store.insert_outcomes(session, batch.outcomes)
    finally:
        engine.dispose()
    return version


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, trained, commits) -> Path:
    folder = tmp_path_factory.mktemp("flow-store")
    path = folder / "template.db"
    _fill(f"sqlite:///{path}", trained, commits, folder / "artifacts")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path, trained, commits) -> Iterator[str]:
    """A store holding the registered model and its replayed predictions."""
    if request.param == "sqlite":
        path = tmp_path / "mlpulse.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("postgres_url")
    with fresh_postgres_database(admin) as url:
        _fill(url, trained, commits, tmp_path / "artifacts")
        yield url
        from flows.common import engine_for

        engine_for(url).dispose()  # let DROP DATABASE find no open connection


@pytest.fixture
def configured(store_url, tmp_path, monkeypatch) -> Iterator[str]:
    """mlpulse settings pointing at the store, metrics written to tmp_path/metrics."""
    monkeypatch.setenv("MLPULSE_DATABASE_URL", store_url)
    monkeypatch.setenv("MLPULSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLPULSE_PUSHGATEWAY_URL", raising=False)
    get_settings.cache_clear()
    yield store_url
    get_settings.cache_clear()
