"""Alerts end to end on the real Pushgateway, Prometheus and Alertmanager.

``deployments/testing/services.sh start`` runs Prometheus with 1 s scrape and
evaluation intervals over deployments/prometheus/rules.yml plus any rules file in
``MLPULSE_TEST_RULES_DIR``, and Alertmanager with deployments/testing/alertmanager.yml
(the production routing tree, every receiver a webhook to
``127.0.0.1:MLPULSE_TEST_WEBHOOK_PORT/<receiver>``). These tests listen on that port.

The real ModelAccuracyDegraded waits 10 minutes before firing; the test loads a copy
of it, taken from rules.yml with only ``for`` shortened, so the expression, labels
and annotations that reach the webhook are the real ones.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.metrics import RunMetrics, publish

pytestmark = pytest.mark.prometheus

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deployments" / "prometheus" / "rules.yml"
SHORT_FOR = "2s"
TEST_GROUP = "end-to-end-shortened"
WAIT_SECONDS = 30.0


def _setting(variable: str) -> str:
    value = os.environ.get(variable)
    if value:
        return value
    message = (
        f"{variable} is unset. Start the services with `bash "
        "deployments/testing/services.sh start` and source the env file it writes."
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _http(
    method: str, url: str, body: Any = None, *, timeout: float = 5.0
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
        return response.status, json.loads(raw) if raw.strip() else None


def _wait(
    what: str,
    check: Callable[[], Any],
    timeout: float = WAIT_SECONDS,
    *,
    seen: Callable[[], object] | None = None,
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    detail = f"; meanwhile: {seen()}" if seen is not None else ""
    pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}{detail}")


class WebhookReceiver:
    """An Alertmanager webhook receiver on 127.0.0.1 that remembers what came.

    Each notification is kept as (monotonic arrival time, receiver path, payload).
    """

    def __init__(self, port: int) -> None:
        self.notifications: list[tuple[float, str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        received = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                payload = json.loads(self.rfile.read(length))
                with received._lock:
                    received.notifications.append(
                        (time.monotonic(), self.path.strip("/"), payload)
                    )
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def alerts(self) -> list[tuple[float, str, dict[str, Any]]]:
        """(arrival, receiver, alert) for every alert of every notification."""
        with self._lock:
            return [
                (arrival, path, alert)
                for arrival, path, payload in self.notifications
                for alert in payload["alerts"]
            ]

    def wait_for(
        self, what: str, match: Callable[[str, dict[str, Any]], bool]
    ) -> tuple[float, str, dict[str, Any]]:
        """The first (arrival, receiver, alert) that matches; fails after a while."""

        def first() -> tuple[float, str, dict[str, Any]] | None:
            found = [item for item in self.alerts() if match(item[1], item[2])]
            return found[0] if found else None

        def seen() -> list[tuple[str, str, str | None, str]]:
            return [
                (
                    path,
                    a["labels"].get("alertname"),
                    a["labels"].get("model_name"),
                    a["status"],
                )
                for _, path, a in self.alerts()
            ]

        return _wait(what, first, seen=seen)


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    port = int(_setting("MLPULSE_TEST_WEBHOOK_PORT"))
    receiver = WebhookReceiver(port)
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        receiver.thread.join(timeout=5)


@pytest.fixture
def prometheus(prometheus_url: str) -> str:
    """Prometheus, once it scrapes the Pushgateway (it starts ~5 s after launch)."""

    def pushgateway_up() -> bool:
        query = urllib.parse.urlencode({"query": 'up{job="pushgateway"} == 1'})
        _, answer = _http("GET", f"{prometheus_url}/api/v1/query?{query}")
        return bool(answer["data"]["result"])

    _wait("the Pushgateway target to be up in Prometheus", pushgateway_up)
    return prometheus_url


def _loaded_groups(prometheus_url: str) -> set[str]:
    _, answer = _http("GET", f"{prometheus_url}/api/v1/rules")
    return {group["name"] for group in answer["data"]["groups"]}


def _alertmanagers(prometheus_url: str) -> list[dict[str, str]]:
    _, answer = _http("GET", f"{prometheus_url}/api/v1/alertmanagers")
    return answer["data"]["activeAlertmanagers"]


def shortened_rule(alert: str, duration: str) -> dict[str, Any]:
    """The rule named ``alert`` from rules.yml with only its ``for`` changed."""
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    (real,) = [r for g in groups for r in g["rules"] if r.get("alert") == alert]
    rule = copy.deepcopy(real)
    rule["for"] = duration
    return rule


@pytest.fixture
def fast_accuracy_rule(prometheus: str) -> Iterator[dict[str, Any]]:
    """Load ModelAccuracyDegraded with ``for: 2s`` next to the real rules."""
    path = Path(_setting("MLPULSE_TEST_RULES_DIR")) / "accuracy_short_for.yml"
    rule = shortened_rule("ModelAccuracyDegraded", SHORT_FOR)
    path.write_text(
        yaml.safe_dump({"groups": [{"name": TEST_GROUP, "rules": [rule]}]}), "utf-8"
    )
    try:
        assert _http("POST", f"{prometheus}/-/reload")[0] == 200
        _wait(
            "the shortened rule to load",
            lambda: TEST_GROUP in _loaded_groups(prometheus),
        )
        # A reload restarts Alertmanager discovery: until it reports back (up to
        # ~5 s), Prometheus drops the alerts it sends and resends them only a minute
        # later. Push nothing before Prometheus knows its Alertmanager again.
        _wait(
            "Prometheus to rediscover Alertmanager", lambda: _alertmanagers(prometheus)
        )
        yield rule
    finally:
        path.unlink(missing_ok=True)
        _http("POST", f"{prometheus}/-/reload")


def _push_accuracy(pushgateway_url: str, model_name: str, accuracy: float) -> None:
    metrics = RunMetrics(job="health", model_name=model_name)
    metrics.model_prediction_accuracy.labels(model_name=model_name, version="1").set(
        accuracy
    )
    metrics.mark_success()
    outcome = publish(metrics, pushgateway_url=pushgateway_url)
    assert outcome.delivery == "pushed", outcome


def test_shortened_rule_differs_from_the_real_one_only_in_for() -> None:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    (real,) = [
        r for g in groups for r in g["rules"] if r["alert"] == "ModelAccuracyDegraded"
    ]
    short = shortened_rule("ModelAccuracyDegraded", SHORT_FOR)
    assert real["for"] == "10m" and short["for"] == SHORT_FOR
    assert {k: v for k, v in short.items() if k != "for"} == {
        k: v for k, v in real.items() if k != "for"
    }


def test_degraded_accuracy_pushed_by_mlpulse_alerts_ml_engineers_then_resolves(
    webhook: WebhookReceiver,
    fast_accuracy_rule: dict[str, Any],
    pushgateway_url: str,
) -> None:
    model = f"e2e_{uuid.uuid4().hex[:10]}"

    def ours(status: str) -> Callable[[str, dict[str, Any]], bool]:
        return lambda path, alert: (
            alert["labels"].get("model_name") == model
            and alert["labels"].get("alertname") == "ModelAccuracyDegraded"
            and alert["status"] == status
        )

    try:
        pushed = time.monotonic()
        _push_accuracy(pushgateway_url, model, 0.5)
        arrival, receiver, alert = webhook.wait_for("the firing alert", ours("firing"))
        fired_after = arrival - pushed

        # critical + component=model -> ml-engineers, and only there.
        assert receiver == "ml-engineers"
        assert alert["labels"] == {
            "alertname": "ModelAccuracyDegraded",
            "severity": "critical",
            "team": "ml-ops",
            "component": "model",
            "job": "health",
            "model_name": model,
            "version": "1",
        }
        assert alert["annotations"] == {
            "summary": f"Model {model} accuracy below 0.80",
            "description": (
                f"Model {model} version 1 has accuracy 0.500 over its latest "
                "labelled window (threshold 0.80), reported by the health flow."
            ),
        }

        healthy = time.monotonic()
        _push_accuracy(pushgateway_url, model, 0.95)
        resolved_at, receiver, _ = webhook.wait_for("the resolution", ours("resolved"))
        resolved_after = resolved_at - healthy
        assert receiver == "ml-engineers"
        receivers = {path for _, path, a in webhook.alerts() if ours("firing")(path, a)}
        assert receivers == {"ml-engineers"}
    finally:
        _http(
            "DELETE",
            f"{pushgateway_url}/metrics/job/health/model_name/{model}",
        )
    print(
        f"\npush -> firing webhook: {fired_after:.2f} s (rule `for` {SHORT_FOR}); "
        f"healthy push -> resolved webhook: {resolved_after:.2f} s"
    )


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _alert(name: str, model: str, run: str, **extra: str) -> dict[str, Any]:
    return {
        "labels": {
            "alertname": name,
            "severity": "critical",
            "team": "ml-ops",
            "component": "model",
            "model_name": model,
            "test_run": run,
            **extra,
        },
        "annotations": {"summary": f"{name} for {model}"},
        "startsAt": _now(),
    }


def _post(alertmanager_url: str, alerts: list[dict[str, Any]]) -> None:
    assert _http("POST", f"{alertmanager_url}/api/v2/alerts", alerts)[0] == 200


def _end(alertmanager_url: str, alerts: list[dict[str, Any]]) -> None:
    _post(alertmanager_url, [{**alert, "endsAt": _now()} for alert in alerts])


def test_model_offline_holds_back_accuracy_alerts_of_that_model_only(
    webhook: WebhookReceiver, alertmanager_url: str
) -> None:
    run = uuid.uuid4().hex[:10]
    offline_model, serving_model = f"offline_{run}", f"serving_{run}"
    offline = _alert("ModelOffline", offline_model, run)
    held_back = _alert("ModelAccuracyDegraded", offline_model, run)
    control = _alert("ModelAccuracyDegraded", serving_model, run)
    posted = [offline, held_back, control]

    def named(name: str, model: str) -> Callable[[str, dict[str, Any]], bool]:
        return lambda path, alert: (
            alert["labels"]["alertname"] == name
            and alert["labels"].get("model_name") == model
            and alert["status"] == "firing"
        )

    try:
        _post(alertmanager_url, [offline])
        webhook.wait_for("ModelOffline", named("ModelOffline", offline_model))
        _post(alertmanager_url, [held_back, control])
        # The control, of a model that is not offline, gets through ...
        arrival, _, _ = webhook.wait_for(
            "the control accuracy alert",
            named("ModelAccuracyDegraded", serving_model),
        )

        # ... and Alertmanager reports the other one as inhibited by ModelOffline.
        def suppressed() -> list[dict[str, Any]]:
            query = urllib.parse.urlencode(
                {"filter": [f'model_name="{offline_model}"'], "inhibited": "true"},
                doseq=True,
            )
            _, answer = _http("GET", f"{alertmanager_url}/api/v2/alerts?{query}")
            return [
                a
                for a in answer
                if a["labels"]["alertname"] == "ModelAccuracyDegraded"
                and a["status"]["state"] == "suppressed"
                and a["status"]["inhibitedBy"]
            ]

        _wait("the accuracy alert to be inhibited", suppressed)
        time.sleep(max(0.0, arrival + 2.0 - time.monotonic()))
        late = [
            item
            for item in webhook.alerts()
            if named("ModelAccuracyDegraded", offline_model)(item[1], item[2])
        ]
        assert late == []
    finally:
        _end(alertmanager_url, posted)


def test_security_scanner_accuracy_reaches_security_team_and_ml_engineers(
    webhook: WebhookReceiver, alertmanager_url: str
) -> None:
    run = uuid.uuid4().hex[:10]
    alert = _alert("ModelAccuracyDegraded", "security_scanner", run)
    try:
        _post(alertmanager_url, [alert])

        def receivers() -> set[str] | None:
            found = {
                path
                for _, path, a in webhook.alerts()
                if a["labels"].get("test_run") == run and a["status"] == "firing"
            }
            return found if len(found) >= 2 else None

        assert _wait("notices to two receivers", receivers) == {
            "security-team",
            "ml-engineers",
        }
    finally:
        _end(alertmanager_url, [alert])
