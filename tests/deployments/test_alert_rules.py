"""The Prometheus alert rules: promtool's checks and unit tests, and the contract.

``promtool check rules`` and ``promtool test rules`` run on the real files; the
other tests read rules.yml and hold it to what SPEC.md and the design require
(thresholds, durations, labels) and check that every rule has unit tests that see
it both quiet and firing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deployments" / "prometheus" / "rules.yml"
RULE_TESTS = sorted((REPO / "deployments" / "prometheus" / "tests").glob("*.yml"))

SEVERITIES = {"critical", "major", "warning"}
TEAMS = {"ml-ops", "platform", "data-eng"}
COMPONENTS = {"model", "data", "pipeline", "infrastructure"}


def _promtool() -> str:
    path = shutil.which("promtool")
    if path:
        return path
    message = (
        "promtool is not installed; install Debian's `prometheus` package "
        "(bash deployments/testing/services.sh install)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args], capture_output=True, text=True, timeout=120
    )


def _rules() -> list[dict]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def _rule(name: str) -> dict:
    matches = [rule for rule in _rules() if rule["alert"] == name]
    assert matches, f"no rule named {name} in {RULES}"
    return matches[0]


def test_promtool_check_rules_passes() -> None:
    result = _run(_promtool(), "check", "rules", RULES)
    assert result.returncode == 0, result.stdout + result.stderr
    # 14 rules: 13 alert names, MetricsPushFailing has two causes.
    assert "SUCCESS: 14 rules found" in result.stdout


def test_promtool_unit_tests_pass() -> None:
    assert len(RULE_TESTS) >= 4, RULE_TESTS
    result = _run(_promtool(), "test", "rules", *RULE_TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS), result.stdout


@pytest.mark.parametrize(
    ("alert", "threshold", "duration", "severity", "team"),
    [
        # The design's four alerts, with its thresholds, durations and labels.
        ("ModelAccuracyDegraded", "< 0.80", "10m", "critical", "ml-ops"),
        ("HighInferenceLatency", "> 2", "5m", "warning", "platform"),
        ("DataQualityIssue", "< 0.7", "15m", "major", "data-eng"),
        ("PipelineFailureRate", "> 0.1", "30m", "critical", "ml-ops"),
        # The design's dashboard alerts.
        ("FeatureDriftDetected", "> 0.2", "45m", "warning", "ml-ops"),
        ("APIErrorRate", "> 0.01", "5m", "warning", "platform"),
        ("APILatencyHigh", "> 1", "5m", "critical", "platform"),
        # What the system needs beyond them (SPEC C2, C3, C10).
        ("ModelHealthWarning", "< 0.8", "15m", "warning", "ml-ops"),
        ("ModelHealthCritical", "< 0.6", "5m", "critical", "ml-ops"),
        ("ExplanationDrift", "> 0.3", "15m", "warning", "ml-ops"),
        ("ModelOffline", "== 0", "5m", "critical", "ml-ops"),
        ("MlpulseMetricsStale", "> 3600", "5m", "warning", "platform"),
    ],
)
def test_rule_has_the_required_threshold_duration_and_labels(
    alert: str, threshold: str, duration: str, severity: str, team: str
) -> None:
    rule = _rule(alert)
    expr = " ".join(rule["expr"].split())
    assert expr.endswith(threshold) or f"{threshold} " in expr, expr
    assert rule["for"] == duration
    assert rule["labels"]["severity"] == severity
    assert rule["labels"]["team"] == team


def test_latency_rule_reads_pushed_buckets_without_rate() -> None:
    # Each push replaces the window's histogram: rate() over it would be wrong.
    expr = " ".join(_rule("HighInferenceLatency")["expr"].split())
    assert "rate(" not in expr and "increase(" not in expr
    assert "histogram_quantile(0.95, sum by (le, model_name)" in expr


def test_pipeline_failure_rule_is_a_share_of_runs_not_a_per_second_rate() -> None:
    expr = " ".join(_rule("PipelineFailureRate")["expr"].split())
    assert "rate(" not in expr
    assert 'increase(pipeline_runs_total{status="failed"}[1h])' in expr
    # The denominator counts every status and is filtered against zero.
    assert "(increase(pipeline_runs_total[1h])) > 0)" in expr


def test_staleness_limits_are_twice_each_flow_schedule() -> None:
    expr = " ".join(_rule("MlpulseMetricsStale")["expr"].split())
    # drift every 1800 s -> 3600 s; health and explainability every 3600 s -> 7200 s
    assert '{job="drift"}) > 3600' in expr
    assert '{job=~"health|explainability"} ) > 7200' in expr


def test_model_offline_keeps_model_name_for_the_inhibit_rule() -> None:
    expr = _rule("ModelOffline")["expr"]
    assert re.search(r"by \(model_name\)", expr), expr


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule["alert"])
def test_rule_carries_routing_labels_and_names_what_and_how_much(rule: dict) -> None:
    labels = rule["labels"]
    assert labels["severity"] in SEVERITIES
    assert labels["team"] in TEAMS
    assert labels["component"] in COMPONENTS
    summary = rule["annotations"]["summary"]
    description = rule["annotations"]["description"]
    # Each names its subject through a label and the description gives the value.
    assert "{{ $labels." in summary
    assert "{{ $labels." in description
    assert "{{ $value" in description


def _unit_tests_by_alert() -> dict[str, list[dict]]:
    cases: dict[str, list[dict]] = {}
    for path in RULE_TESTS:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                cases.setdefault(case["alertname"], []).append(case)
    return cases


@pytest.mark.parametrize("alert", sorted({rule["alert"] for rule in _rules()}), ids=str)
def test_every_alert_has_unit_tests_that_see_it_quiet_and_firing(alert: str) -> None:
    cases = _unit_tests_by_alert().get(alert, [])
    quiet = [case for case in cases if not case.get("exp_alerts")]
    firing = [case for case in cases if case.get("exp_alerts")]
    assert quiet, f"no unit test expects {alert} to stay quiet"
    assert firing, f"no unit test expects {alert} to fire"
    for case in firing:
        for expected in case["exp_alerts"]:
            assert {"severity", "team", "component"} <= set(expected["exp_labels"])
            assert set(expected["exp_annotations"]) == {"summary", "description"}


def test_unit_tests_catch_a_shortened_for_on_every_rule(tmp_path: Path) -> None:
    """Each rule's `for` is pinned: halving it, one rule at a time, fails a test."""
    promtool = _promtool()
    lines = RULES.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "tests").mkdir()
    for path in RULE_TESTS:
        shutil.copy(path, tmp_path / "tests" / path.name)
    tests = sorted((tmp_path / "tests").glob("*.yml"))
    pattern = re.compile(r"^(\s+for: )(\d+)m$")
    positions = [i for i, line in enumerate(lines) if pattern.match(line)]
    assert len(positions) == len(_rules())
    survivors = []
    for index in positions:
        prefix, minutes = pattern.match(lines[index]).groups()
        alert = next(
            line.split(":", 1)[1].strip()
            for line in reversed(lines[:index])
            if line.strip().startswith("- alert:")
        )
        # Only the files that test this alert, to keep the run short.
        mine = [path for path in tests if f"alertname: {alert}\n" in path.read_text()]
        assert mine, f"no unit test file names {alert}"
        mutated = list(lines)
        mutated[index] = f"{prefix}{int(minutes) // 2}m\n"
        (tmp_path / "rules.yml").write_text("".join(mutated), encoding="utf-8")
        result = _run(promtool, "test", "rules", *mine)
        if result.returncode == 0:
            survivors.append(f"{alert} {lines[index].strip()}")
    assert not survivors, f"halving these went unnoticed: {survivors}"
