"""``mlpulse demo``: the whole monitoring loop on real commit data, in one process.

1. load the ApacheJIT commits, ordered by commit time;
2. train ``bug_predictor`` on the earliest commits, evaluate it on the commits that
   follow, and register it as the champion with its reference profile;
3. replay the later commits as production traffic (predictions, then outcomes after
   a delay);
4. run the drift and health flows over every window of the replay;
5. deliver each run's metrics (Pushgateway, else text files);
6. report per window what drifted, the health score and status, and accuracy.

Re-running the demo on the same data and store is idempotent: the model trains to
the same artifact, so the registered version is reused, predictions are keyed by
commit, and results are upserted by window.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from sqlalchemy.engine import make_url

from flows.common import engine_for
from flows.drift import drift_flow
from flows.health import health_flow
from tasks import store
from tasks.data import APACHEJIT_FEATURES, download_dataset, load_apachejit
from tasks.errors import ConfigurationError
from tasks.registration import register_version
from tasks.replay import replay_batches
from tasks.settings import Settings
from tasks.training import MODEL_NAME, evaluate, split_by_time, train_model
from tasks.windows import windows_between

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    """What the demo runs on; every field has a command-line flag."""

    data: Path | None = None
    window_days: float = 30.0
    label_delay_days: float = 3.0
    batch_size: int = 16
    train_share: float = 0.4
    holdout_share: float = 0.1
    seed: int = 0


@dataclass
class DemoReport:
    """What the demo did and where its results went."""

    data_path: str = ""
    n_commits: int = 0
    n_train: int = 0
    n_holdout: int = 0
    n_replay: int = 0
    version: int = 0
    holdout: dict = field(default_factory=dict)
    windows: list[dict] = field(default_factory=list)
    database: str = ""
    metrics_target: str = ""
    row_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def resolve_data(options: DemoOptions, settings: Settings, progress: Progress) -> Path:
    """The data file: --data, else the configured path, else a verified download."""
    if options.data is not None:
        return options.data
    if settings.dataset_path is not None:
        return settings.dataset_path
    destination = settings.data_dir / "apachejit_test_small.csv"
    progress(f"downloading ApacheJIT from {settings.dataset_url}")
    return download_dataset(
        settings.dataset_url, destination, sha256=settings.dataset_sha256
    )


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def run_demo(
    options: DemoOptions, settings: Settings, progress: Progress = lambda _: None
) -> DemoReport:
    """Run the demo end to end; see the module docstring for the steps."""
    if options.window_days <= 0:
        raise ConfigurationError(
            f"--window-days must be > 0, got {options.window_days}"
        )
    started = time.perf_counter()
    report = DemoReport()
    features = list(APACHEJIT_FEATURES)

    # an unusable store should fail the demo before anything is trained
    url = settings.resolved_database_url()
    report.database = _safe_url(url)
    store.upgrade(url)
    engine = engine_for(url)

    path = resolve_data(options, settings, progress)
    commits = load_apachejit(path)
    report.data_path, report.n_commits = str(path), len(commits)
    progress(f"loaded {len(commits)} commits from {path}")

    split = split_by_time(
        commits, train_share=options.train_share, holdout_share=options.holdout_share
    )
    report.n_train, report.n_holdout = len(split.train), len(split.holdout)
    report.n_replay = len(split.replay)
    model = train_model(split.train[features], split.train["buggy"], seed=options.seed)
    holdout_scores = model.predict_proba(split.holdout[features].to_numpy())[:, 1]
    report.holdout = evaluate(split.holdout["buggy"], holdout_scores).to_dict()
    progress(
        f"trained {MODEL_NAME} on {len(split.train)} commits up to "
        f"{split.train['committed_at'].max():%Y-%m-%d}; held-out ROC AUC "
        f"{report.holdout['roc_auc']:.3f} on {len(split.holdout)} commits"
    )

    with store.session_scope(engine) as session:
        version = register_version(
            session,
            model=model,
            model_name=MODEL_NAME,
            reference=split.train,
            features=features,
            metrics={"holdout": report.holdout, "n_train": len(split.train)},
            artifact_dir=settings.resolved_artifact_dir(),
            bins=settings.drift_bins,
        )
    report.version = version
    progress(f"champion: {MODEL_NAME} version {version}")

    model.n_jobs = 1  # one request at a time, as a serving process would
    served = 0
    for batch in replay_batches(
        model,
        split.replay,
        model_name=MODEL_NAME,
        version=version,
        features=features,
        label_delay=timedelta(days=options.label_delay_days),
        batch_size=options.batch_size,
    ):
        with store.session_scope(engine) as session:
            store.insert_predictions(session, batch.predictions)
            store.insert_outcomes(session, batch.outcomes)
        served += len(batch.predictions)
        if served % 1000 < options.batch_size or served == len(split.replay):
            progress(f"replayed {served}/{len(split.replay)} commits")

    # Windows run until the last outcome has arrived, so every label is counted,
    # and are laid back from there: the last window, whose metrics stay in the
    # Pushgateway, is a whole one; the first may reach back before the replay.
    first = split.replay["committed_at"].min().to_pydatetime()
    delay = timedelta(days=options.label_delay_days)
    last = (split.replay["committed_at"].max() + delay).ceil("D").to_pydatetime()
    minutes = options.window_days * 24 * 60
    step = timedelta(minutes=minutes)
    start = last - math.ceil((last - first) / step) * step
    windows = windows_between(start, last, minutes)
    for number, window in enumerate(windows, start=1):
        # Heartbeats tell a server that a worker's run is alive; these runs live and
        # die with this process, and each heartbeat thread costs about 1 s to join.
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            drift = drift_flow(
                model_name=MODEL_NAME, window_end=window.end, window_minutes=minutes
            )
            health = health_flow(
                model_name=MODEL_NAME, window_end=window.end, window_minutes=minutes
            )
        row = _window_row(window.start, window.end, drift, health)
        report.windows.append(row)
        target = health.get("metrics_target") or ""
        if health.get("metrics_delivery") == "file":
            target = str(Path(target).parent)  # one file per flow in this folder
        report.metrics_target = target
        progress(
            f"window {number}/{len(windows)} {window.start:%Y-%m-%d}.."
            f"{window.end:%Y-%m-%d}: {row['n_predictions']} predictions, "
            f"health {_fmt(row['health_score'])} ({row['status']}), "
            f"{len(row['drifted'])} drifted"
        )

    with store.session_scope(engine) as session:
        for table in (
            "predictions",
            "outcomes",
            "drift_results",
            "health_scores",
            "pipeline_runs",
        ):
            report.row_counts[table] = store.count_rows(session, table)
    report.seconds = time.perf_counter() - started
    return report


def _window_row(start: datetime, end: datetime, drift: dict, health: dict) -> dict:
    js = {
        r["column"]: r["score"]
        for r in drift["results"]
        if r["method"] == "js" and r["score"] is not None
    }
    methods: dict[str, list[str]] = {}
    for flagged in drift["drifted"]:
        methods.setdefault(flagged["feature"], []).append(flagged["method"])
    return {
        "start": start.astimezone(UTC),
        "end": end.astimezone(UTC),
        "n_predictions": health["n_predictions"],
        "n_labelled": health["n_labelled"],
        "accuracy": health["accuracy"],
        "health_score": health["health_score"],
        "status": health["status"],
        "drifted": {
            name: (js.get(name), sorted(found))
            for name, found in sorted(methods.items())
        },
        "max_js": max(js.values()) if js else None,
    }


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}"


def format_report(report: DemoReport) -> str:
    """The demo's summary as readable text."""
    h = report.holdout
    lines = [
        f"mlpulse demo: {report.n_commits} commits from {report.data_path}",
        f"  {MODEL_NAME} v{report.version}: trained on {report.n_train} commits, "
        f"held-out ({report.n_holdout}) ROC AUC {_fmt(h.get('roc_auc'))}, "
        f"accuracy {_fmt(h.get('accuracy'))}, recall {_fmt(h.get('recall'))}, "
        f"false-positive rate {_fmt(h.get('false_positive_rate'))}",
        f"  replayed {report.n_replay} commits in {len(report.windows)} windows",
        "",
        f"{'window':<23} {'preds':>5} {'labelled':>8} {'accuracy':>8} "
        f"{'health':>6} {'status':<8} {'max JS':>6}  drifted: feature JS [methods]",
    ]
    for row in report.windows:
        drifted = ", ".join(
            f"{name} {_fmt(score, 2)} [{','.join(found)}]"
            for name, (score, found) in row["drifted"].items()
        )
        lines.append(
            f"{row['start']:%Y-%m-%d}..{row['end']:%Y-%m-%d}  "
            f"{row['n_predictions']:>5} {row['n_labelled']:>8} "
            f"{_fmt(row['accuracy']):>8} {_fmt(row['health_score']):>6} "
            f"{row['status']:<8} {_fmt(row['max_js']):>6}  {drifted or '-'}"
        )
    counts = ", ".join(f"{table} {count}" for table, count in report.row_counts.items())
    lines += [
        "",
        f"results: {report.database} ({counts})",
        f"metrics: {report.metrics_target}",
        f"took {report.seconds:.1f} s",
    ]
    return "\n".join(lines)
