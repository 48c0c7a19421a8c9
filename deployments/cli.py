"""The ``mlpulse`` command.

    mlpulse demo          train, replay and monitor the example model on real data
    mlpulse drift-check   compare two CSV or Parquet files column by column
    mlpulse run           one manual run of the drift or health flow for one window
    mlpulse serve         run the drift and health schedules in this process
    mlpulse db upgrade    apply the store's migrations

Exit codes: 0 success, 1 a run failed, 2 bad usage or bad input. Failures print one
line starting ``mlpulse: error:``; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

# Set before Prefect or Evidently is imported: no usage reports leave the machine.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from pydantic import ValidationError  # noqa: E402

from tasks.errors import MlpulseError  # noqa: E402

EXIT_FAILED, EXIT_USAGE = 1, 2


def _progress(message: str) -> None:
    print(f"mlpulse: {message}", file=sys.stderr, flush=True)


def _apply_overrides(args: argparse.Namespace) -> None:
    """Command-line options win over MLPULSE_* settings for this process."""
    overrides = {
        "MLPULSE_DATABASE_URL": getattr(args, "database_url", None),
        "MLPULSE_PUSHGATEWAY_URL": getattr(args, "pushgateway", None),
    }
    for name, value in overrides.items():
        if value:
            os.environ[name] = value
    from tasks.settings import get_settings

    get_settings.cache_clear()


def _quiet_prefect(verbose: bool) -> None:
    # without --verbose the command reports outcomes itself, one line per failure
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "CRITICAL")


class _OneLineFormatter(logging.Formatter):
    """Log lines without tracebacks; ``--debug`` shows them."""

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.exc_info, record.exc_text = None, None
        return super().format(record)


def _require_store(url: str) -> None:
    """Fail early, with the fix, when the store is missing or not migrated."""
    from sqlalchemy.engine import make_url

    from tasks import store

    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    advice = f"run `mlpulse db upgrade --database-url {shown}` (or `mlpulse demo`)"
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, ""):
        if parsed.database != ":memory:" and not Path(parsed.database).is_file():
            raise MlpulseError(f"no store at {parsed.database}; {advice} first")
    if store.current_revision(url) is None:
        raise MlpulseError(f"the store at {shown} has no mlpulse schema; {advice}")


# ---------------------------------------------------------------- commands


def cmd_demo(args: argparse.Namespace) -> int:
    _apply_overrides(args)
    _quiet_prefect(args.verbose)
    from deployments.demo import DemoOptions, format_report, run_demo
    from tasks.settings import get_settings

    options = DemoOptions(
        data=args.data,
        window_days=args.window_days,
        label_delay_days=args.label_delay_days,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    report = run_demo(options, get_settings(), progress=_progress)
    print(format_report(report))
    return 0


def cmd_drift_check(args: argparse.Namespace) -> int:
    from tasks import drift
    from tasks.data import read_table
    from tasks.settings import get_settings

    settings = get_settings()
    reference = read_table(args.reference)
    current = read_table(args.current)
    methods = ("js", "ks", "psi") if args.method == "all" else (args.method,)
    common = [c for c in reference.columns if c in current.columns]
    only = sorted(set(reference.columns) ^ set(current.columns))
    if not common:
        raise MlpulseError(
            f"{args.reference} and {args.current} share no column; "
            f"reference has {list(reference.columns)[:10]}"
        )
    if only:
        _progress(f"compared only the shared columns; not in both: {only}")
    results = drift.compare_frames(
        reference[common],
        current[common],
        methods=methods,
        thresholds={
            "js": settings.drift_threshold_js,
            "ks": settings.drift_threshold_ks,
            "psi": settings.drift_threshold_psi,
        },
        alpha=settings.drift_alpha,
        min_rows=args.min_rows
        if args.min_rows is not None
        else settings.drift_min_rows,
        bins=settings.drift_bins,
    )
    if args.format == "json":
        payload = [result.to_dict() for result in results]
        print(json.dumps(payload, indent=2, allow_nan=False))
    else:
        print(_drift_table(results))
    return 0


def _drift_table(results) -> str:
    def number(value) -> str:
        if value is None or value != value:
            return "-"
        return f"{value:.4g}"

    header = (
        f"{'column':<20} {'method':<6} {'score':>8} {'p_value':>9} {'threshold':>9} "
        f"{'drifted':<7} {'n_ref':>7} {'n_cur':>7}  status"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        drifted = "-" if r.drifted is None else ("yes" if r.drifted else "no")
        lines.append(
            f"{r.column[:20]:<20} {r.method:<6} {number(r.score):>8} "
            f"{number(r.p_value):>9} {number(r.threshold):>9} {drifted:<7} "
            f"{r.n_reference:>7} {r.n_current:>7}  {r.status}"
        )
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    _apply_overrides(args)
    _quiet_prefect(args.verbose)
    from tasks.settings import get_settings
    from tasks.windows import parse_instant

    window_end = parse_instant(args.window_end)
    _require_store(get_settings().resolved_database_url())
    if args.flow == "drift":
        from flows.drift import drift_flow as flow
    else:
        from flows.health import health_flow as flow
    summary = flow(
        model_name=args.model,
        window_end=window_end,
        window_minutes=args.window_minutes,
        version=args.version,
    )
    if args.format == "json":
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(_run_text(args.flow, summary))
    return 0


def _run_text(flow: str, summary: dict) -> str:
    head = (
        f"{flow} for {summary['model_name']} v{summary['version']} over "
        f"[{summary['window_start']}, {summary['window_end']})"
    )
    if flow == "drift":
        drifted = ", ".join(
            f"{d['feature']}/{d['method']} {d['score']:.3f}" for d in summary["drifted"]
        )
        body = (
            f"  {summary['n_current']} predictions; drifted: {drifted or 'none'}; "
            f"{summary['rows_written']} results stored"
        )
    else:
        score = summary["health_score"]
        shown = "-" if score is None else f"{score:.3f}"
        body = (
            f"  health {shown} ({summary['status']}); {summary['n_predictions']} "
            f"predictions, {summary['n_labelled']} labelled"
        )
    target = f"  metrics: {summary['metrics_delivery']} -> {summary['metrics_target']}"
    return "\n".join([head, body, target])


def cmd_serve(args: argparse.Namespace) -> int:
    _apply_overrides(args)
    _quiet_prefect(True)
    from deployments.serve import serve_all
    from tasks.settings import get_settings

    _require_store(get_settings().resolved_database_url())
    serve_all(get_settings(), model_name=args.model)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    _apply_overrides(args)
    from sqlalchemy.engine import make_url

    from tasks import store
    from tasks.settings import get_settings

    url = get_settings().resolved_database_url()
    store.upgrade(url)
    shown = make_url(url).render_as_string(hide_password=True)
    print(f"{shown} is at revision {store.current_revision(url)}")
    return 0


# ---------------------------------------------------------------- parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlpulse",
        description="Monitoring and feedback loop for machine-learning models.",
        epilog="Settings come from MLPULSE_* environment variables; see README.md.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def store_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--database-url",
            metavar="URL",
            help="SQLAlchemy URL of the store, e.g. postgresql+psycopg://u@host/db "
            "(default: MLPULSE_DATABASE_URL, else SQLite in MLPULSE_DATA_DIR)",
        )

    def push_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--pushgateway",
            metavar="URL",
            help="Pushgateway to push metrics to, e.g. http://127.0.0.1:9091 "
            "(default: MLPULSE_PUSHGATEWAY_URL, else text files in the data folder)",
        )
        sub.add_argument(
            "-v", "--verbose", action="store_true", help="show Prefect's run logs"
        )

    demo = commands.add_parser(
        "demo",
        help="train, replay and monitor bug_predictor on ApacheJIT",
        description="Train the example model on the earliest ApacheJIT commits, "
        "replay the later ones as production traffic, and run the drift and health "
        "flows over every window of the replay.",
    )
    demo.add_argument(
        "--data",
        type=Path,
        metavar="PATH",
        help="ApacheJIT CSV (default: MLPULSE_DATASET_PATH, else download it and "
        "verify its SHA-256)",
    )
    store_options(demo)
    push_options(demo)
    demo.add_argument(
        "--window-days",
        type=_positive_float,
        default=30.0,
        metavar="N",
        help="window length in data time (default: 30)",
    )
    demo.add_argument(
        "--label-delay-days",
        type=_non_negative_float,
        default=3.0,
        metavar="N",
        help="days until a commit's true label arrives (default: 3)",
    )
    demo.add_argument(
        "--batch-size",
        type=_positive_int,
        default=16,
        metavar="N",
        help="commits served per model call in the replay (default: 16)",
    )
    demo.add_argument("--seed", type=int, default=0, help="training seed (default: 0)")
    demo.set_defaults(handler=cmd_demo)

    check = commands.add_parser(
        "drift-check",
        help="compare two CSV or Parquet files column by column",
        description="Compare each column shared by REFERENCE and CURRENT. A column "
        "is drifted when its score passes the method's threshold and the difference "
        "is significant after Benjamini-Hochberg control across columns.",
    )
    check.add_argument("reference", type=Path, metavar="REFERENCE")
    check.add_argument("current", type=Path, metavar="CURRENT")
    check.add_argument(
        "--method", choices=("js", "ks", "psi", "all"), default="all", help="(all)"
    )
    check.add_argument("--format", choices=("table", "json"), default="table")
    check.add_argument(
        "--min-rows",
        type=_positive_int,
        metavar="N",
        help="fewer current values give status too_few_rows (default: "
        "MLPULSE_DRIFT_MIN_ROWS, 30)",
    )
    check.set_defaults(handler=cmd_drift_check)

    run = commands.add_parser(
        "run",
        help="one manual run of a flow for one window",
        description="Run the drift or health flow once for one model and window.",
    )
    run.add_argument("flow", choices=("drift", "health"))
    run.add_argument("--model", required=True, metavar="NAME", help="model name")
    run.add_argument(
        "--window-end",
        required=True,
        metavar="ISO8601",
        help="end of the window, e.g. 2019-06-01T00:00:00Z (no zone means UTC)",
    )
    run.add_argument(
        "--window-minutes",
        required=True,
        type=_positive_float,
        metavar="M",
        help="length of the window in minutes",
    )
    run.add_argument(
        "--version", type=_positive_int, help="model version (default: champion)"
    )
    run.add_argument("--format", choices=("text", "json"), default="text")
    store_options(run)
    push_options(run)
    run.set_defaults(handler=cmd_run)

    serve = commands.add_parser(
        "serve",
        help="run the drift and health schedules in this process",
        description="Serve the drift (every MLPULSE_DRIFT_SCHEDULE_MINUTES) and "
        "health (every MLPULSE_HEALTH_SCHEDULE_MINUTES) deployments until stopped.",
    )
    serve.add_argument("--model", default="bug_predictor", metavar="NAME")
    store_options(serve)
    serve.add_argument("--pushgateway", metavar="URL", help="Pushgateway for metrics")
    serve.set_defaults(handler=cmd_serve)

    db = commands.add_parser("db", help="manage the store's schema")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser("upgrade", help="apply the migrations")
    store_options(upgrade)
    upgrade.set_defaults(handler=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler()
    formatter = logging.Formatter if args.debug else _OneLineFormatter
    handler.setFormatter(formatter("mlpulse: %(message)s"))
    for name in ("tasks", "flows", "deployments"):  # mlpulse's own loggers only
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
    try:
        return args.handler(args)
    except MlpulseError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"mlpulse: error: {_one_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except ValidationError as exc:  # a MLPULSE_* setting has an unusable value
        if args.debug:
            traceback.print_exc()
        print(f"mlpulse: error: {_settings_problem(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # the reader went away (e.g. `| head`); nothing left to say to it
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("mlpulse: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(
            f"mlpulse: error: {type(exc).__name__}: {_one_line(exc)} "
            "(--debug for details)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        if "flows.common" in sys.modules:
            sys.modules["flows.common"].dispose_engines()


def _one_line(error: BaseException, limit: int = 400) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _settings_problem(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = "_".join(str(part) for part in item["loc"]).upper()
        variable = f"MLPULSE_{where}" if where else "the MLPULSE_* settings"
        problems.append(f"{variable}: {item['msg']}")
    return "bad setting: " + "; ".join(problems)


if __name__ == "__main__":
    sys.exit(main())
