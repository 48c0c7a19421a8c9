"""The Alertmanager configuration: amtool's checks, the route table, the test copy.

Every case of deployments/alertmanager/route_tests.yml is resolved by
``amtool config routes test --verify.receivers`` against the production file and
against the generated test copy that the end-to-end test runs on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deployments.alertmanager.testing_copy import (
    TIMING_KEYS,
    WEBHOOK_PLACEHOLDER,
    render_testing_config,
)

REPO = Path(__file__).resolve().parents[2]
PRODUCTION = REPO / "deployments" / "alertmanager" / "alertmanager.yml"
TESTING = REPO / "deployments" / "testing" / "alertmanager.yml"
ROUTE_TESTS = REPO / "deployments" / "alertmanager" / "route_tests.yml"
RULES = REPO / "deployments" / "prometheus" / "rules.yml"
SECRETS_DIR = "/etc/alertmanager/secrets/"


def _amtool() -> str:
    path = shutil.which("amtool")
    if path:
        return path
    message = (
        "amtool is not installed; install Debian's `prometheus-alertmanager` "
        "package (bash deployments/testing/services.sh install)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _cases() -> list[dict[str, Any]]:
    return _load(ROUTE_TESTS)["cases"]


@pytest.fixture(scope="module")
def testing_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test copy with its webhook placeholder filled in, as services.sh does."""
    path = tmp_path_factory.mktemp("alertmanager") / "alertmanager.yml"
    text = TESTING.read_text(encoding="utf-8")
    path.write_text(text.replace(WEBHOOK_PLACEHOLDER, "127.0.0.1:59099"), "utf-8")
    return path


def _check_config(path: Path) -> None:
    result = subprocess.run(
        [_amtool(), "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 inhibit rules" in result.stdout
    assert "4 receivers" in result.stdout


def test_amtool_check_config_passes_on_the_production_file() -> None:
    _check_config(PRODUCTION)


def test_amtool_check_config_passes_on_the_test_copy(testing_config: Path) -> None:
    _check_config(testing_config)


def test_test_copy_is_generated_from_the_production_file() -> None:
    assert TESTING.read_text(encoding="utf-8") == render_testing_config(), (
        f"{TESTING} is out of date: run python -m deployments.alertmanager.testing_copy"
    )


def _without_timings(route: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in route.items() if key not in TIMING_KEYS}
    out["routes"] = [_without_timings(child) for child in route.get("routes", [])]
    return out


def test_test_copy_has_the_production_routing_tree_and_inhibit_rules() -> None:
    production, testing = _load(PRODUCTION), _load(TESTING)
    assert _without_timings(testing["route"]) == _without_timings(production["route"])
    assert testing["inhibit_rules"] == production["inhibit_rules"]
    names = [receiver["name"] for receiver in production["receivers"]]
    assert [receiver["name"] for receiver in testing["receivers"]] == names
    for receiver in testing["receivers"]:
        (hook,) = receiver["webhook_configs"]
        assert hook == {
            "url": f"http://{WEBHOOK_PLACEHOLDER}/{receiver['name']}",
            "send_resolved": True,
        }


def test_routes_carry_the_design_timings() -> None:
    route = _load(PRODUCTION)["route"]
    assert route["receiver"] == "mlops-team"
    by_matchers = {tuple(child["matchers"]): child for child in route["routes"]}
    model = by_matchers[('severity="critical"', 'component="model"')]
    assert model["receiver"] == "ml-engineers"
    assert (model["group_wait"], model["group_interval"], model["repeat_interval"]) == (
        "0s",
        "5m",
        "15m",
    )
    infra = by_matchers[('severity="critical"', 'component="infrastructure"')]
    assert infra["receiver"] == "sre-team"
    assert (infra["group_wait"], infra["group_interval"], infra["repeat_interval"]) == (
        "10s",
        "5m",
        "12h",
    )


def test_model_offline_inhibits_accuracy_alerts_of_the_same_model() -> None:
    assert _load(PRODUCTION)["inhibit_rules"] == [
        {
            "source_matchers": ['alertname="ModelOffline"'],
            "target_matchers": ['alertname="ModelAccuracyDegraded"'],
            "equal": ["model_name"],
        }
    ]


def test_receivers_read_every_secret_from_a_file() -> None:
    text = PRODUCTION.read_text(encoding="utf-8")
    assert "hooks.slack.com" not in text
    assert "pagerduty.com" not in text
    secret_keys = {"api_url", "service_key", "routing_key", "url"}
    files = []
    for receiver in _load(PRODUCTION)["receivers"]:
        for kind, configs in receiver.items():
            if kind == "name":
                continue
            for config in configs:
                assert not secret_keys & set(config), (receiver["name"], config)
                files += [
                    value for key, value in config.items() if key.endswith("_file")
                ]
    assert files, "no receiver reads a secret file"
    assert all(path.startswith(SECRETS_DIR) for path in files), files
    # One Slack URL per channel, one PagerDuty key per paging team.
    assert len(set(files)) == len(files) == 6


def _route_test(config: Path, case: dict[str, Any]) -> subprocess.CompletedProcess:
    labels = [f"{key}={value}" for key, value in case["labels"].items()]
    return subprocess.run(
        [
            _amtool(),
            "config",
            "routes",
            "test",
            f"--config.file={config}",
            f"--verify.receivers={','.join(case['receivers'])}",
            *labels,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case["name"])
def test_route_reaches_the_expected_receivers(
    case: dict[str, Any], testing_config: Path
) -> None:
    for config in (PRODUCTION, testing_config):
        result = _route_test(config, case)
        assert result.returncode == 0, (
            f"{config}: {case['labels']} expected {case['receivers']}, amtool said "
            f"{result.stdout.strip()} {result.stderr.strip()}"
        )


def test_a_wrong_expectation_fails_the_route_test() -> None:
    # The tool is trusted only if it can say no.
    case = {"labels": {"alertname": "ModelOffline"}, "receivers": ["sre-team"]}
    assert _route_test(PRODUCTION, case).returncode != 0


def test_route_table_covers_every_route_and_the_default() -> None:
    route = _load(PRODUCTION)["route"]
    expected = {child["receiver"] for child in route["routes"]} | {route["receiver"]}
    reached = {receiver for case in _cases() for receiver in case["receivers"]}
    assert reached == expected


def test_route_table_covers_every_alert_with_its_real_labels() -> None:
    groups = _load(RULES)["groups"]
    for rule in (rule for group in groups for rule in group["rules"]):
        routed = {key: rule["labels"][key] for key in ("severity", "component")}
        assert any(
            case["labels"].get("alertname") == rule["alert"]
            and routed.items() <= case["labels"].items()
            for case in _cases()
        ), f"route_tests.yml has no case for {rule['alert']} with {routed}"
