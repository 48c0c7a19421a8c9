"""prefect.yaml declares every deployment with its schedule and a loadable flow."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from prefect.flows import load_flow_from_entrypoint

from tasks.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deployments() -> dict[str, dict]:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    return {d["name"]: d for d in config["deployments"]}


def test_drift_runs_every_30_minutes_and_health_hourly(deployments):
    settings = Settings()
    drift = deployments["drift"]["schedules"][0]
    health = deployments["health"]["schedules"][0]

    assert drift["interval"] == settings.drift_schedule_minutes * 60 == 1800
    assert deployments["drift"]["parameters"]["window_minutes"] == 30
    assert health["cron"] == "5 * * * *" and health["timezone"] == "UTC"
    assert deployments["health"]["parameters"]["window_minutes"] == 60


@pytest.mark.parametrize(
    ("name", "flow_name"), [("drift", "drift"), ("health", "health")]
)
def test_entrypoints_load_the_flows(deployments, name, flow_name, monkeypatch):
    monkeypatch.chdir(REPO)

    flow = load_flow_from_entrypoint(deployments[name]["entrypoint"])

    assert flow.name == flow_name
    assert deployments[name]["parameters"]["model_name"] == "bug_predictor"
    assert set(deployments[name]["parameters"]) <= set(flow.parameters.properties)


def test_every_deployment_has_one_run_at_a_time(deployments):
    assert {d["concurrency_limit"] for d in deployments.values()} == {1}
    assert {d["work_pool"]["name"] for d in deployments.values()} == {
        "mlpulse-monitoring"
    }
