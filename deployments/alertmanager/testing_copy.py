"""Derive the end-to-end test copy of the Alertmanager configuration.

The production configuration (``deployments/alertmanager/alertmanager.yml``) sends to
Slack and PagerDuty. The test copy (``deployments/testing/alertmanager.yml``), which
``deployments/testing/services.sh`` loads, keeps the routing tree (order, matchers,
``continue``, grouping) and the inhibit rules as they are, shortens every timing so an
alert travels in seconds, and turns every receiver into a webhook to
``http://@WEBHOOK@/<receiver name>`` with ``send_resolved``; services.sh replaces
``@WEBHOOK@`` with the local receiver's address.

Run ``python -m deployments.alertmanager.testing_copy`` after changing the production
file; ``tests/deployments/test_alert_routing.py`` fails while the copy is out of date.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PRODUCTION = HERE / "alertmanager.yml"
TESTING = HERE.parent / "testing" / "alertmanager.yml"

TIMING_KEYS = ("group_wait", "group_interval", "repeat_interval")
TEST_TIMINGS = {"group_wait": "0s", "group_interval": "1s", "repeat_interval": "1h"}
WEBHOOK_PLACEHOLDER = "@WEBHOOK@"

HEADER = """\
# GENERATED from deployments/alertmanager/alertmanager.yml by
# `python -m deployments.alertmanager.testing_copy`; do not edit by hand.
# Same routing tree and inhibit rules as production; every timing shortened so an
# alert travels in seconds; every receiver is a webhook to the local test receiver
# (services.sh replaces @WEBHOOK@ with 127.0.0.1:<port>).
"""


def _shorten(route: dict[str, Any], timings: dict[str, str]) -> dict[str, Any]:
    """A copy of ``route`` whose timings, where set, are the test ones."""
    out = copy.deepcopy(route)
    for key in TIMING_KEYS:
        if key in out:
            out[key] = timings[key]
    out["routes"] = [_shorten(child, timings) for child in route.get("routes", [])]
    if not out["routes"]:
        del out["routes"]
    return out


def build_testing_config(
    production: dict[str, Any], *, timings: dict[str, str] | None = None
) -> dict[str, Any]:
    """The test configuration derived from a parsed production configuration.

    Args:
        production: the production configuration as parsed by ``yaml.safe_load``;
            it must have ``route`` and ``receivers``.
        timings: group_wait, group_interval and repeat_interval to use wherever the
            production tree sets one; :data:`TEST_TIMINGS` if None. The root route
            always gets all three.

    Returns:
        A new mapping: the same ``global``, routing tree (timings replaced) and
        ``inhibit_rules``, and one webhook receiver per production receiver, with
        the same names, in the same order.

    Raises:
        ValueError: when ``route`` or ``receivers`` is missing.
    """
    timings = dict(TEST_TIMINGS if timings is None else timings)
    if "route" not in production or "receivers" not in production:
        raise ValueError(
            "expected an Alertmanager configuration with `route` and `receivers`, "
            f"got keys {sorted(production)}; pass the parsed alertmanager.yml"
        )
    route = _shorten(production["route"], timings)
    route.update(timings)
    config: dict[str, Any] = {}
    if "global" in production:
        config["global"] = copy.deepcopy(production["global"])
    config["route"] = route
    if "inhibit_rules" in production:
        config["inhibit_rules"] = copy.deepcopy(production["inhibit_rules"])
    config["receivers"] = [
        {
            "name": receiver["name"],
            "webhook_configs": [
                {
                    "url": f"http://{WEBHOOK_PLACEHOLDER}/{receiver['name']}",
                    "send_resolved": True,
                }
            ],
        }
        for receiver in production["receivers"]
    ]
    return config


def render_testing_config(production_path: Path = PRODUCTION) -> str:
    """The text of the test copy derived from the production file at the path."""
    production = yaml.safe_load(production_path.read_text(encoding="utf-8"))
    body = yaml.safe_dump(
        build_testing_config(production), sort_keys=False, default_flow_style=False
    )
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the test copy; 1 when it is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare")
    args = parser.parse_args(argv)
    text = render_testing_config()
    if args.check:
        current = TESTING.read_text(encoding="utf-8") if TESTING.exists() else ""
        if current != text:
            parser.exit(1, f"{TESTING} is out of date; run without --check\n")
        return 0
    TESTING.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
