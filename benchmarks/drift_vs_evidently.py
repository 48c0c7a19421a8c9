"""Time and memory of mlpulse's drift run against Evidently's DataDriftPreset.

The script builds one reference frame and one current frame, writes them to a
temporary folder, and measures each step in a fresh Python process so that the peak
memories are separate:

* ``profile``: ``tasks.drift.profile_frame`` on the reference (done once per model
  version, beforehand); the profiles are saved as JSON for the next step;
* ``compare``: ``tasks.drift.compare`` of the current frame with the saved profiles
  (JS, KS and PSI on every column, with p-values and Benjamini-Hochberg);
* ``evidently``: ``Report([DataDriftPreset()]).run`` on the same two frames.

By default the rows are drawn with replacement from the ApacheJIT commit metrics
(``--data``), and every third feature of the current frame is scaled by 1.25 to
create drift; ``--synthetic`` uses normal features with a mean shift of half a
standard deviation instead.

Each worker reports the wall time of the measured call, the peak resident memory of
its process (``ru_maxrss``) and how much that peak grew during the call.

Example::

    .venv/bin/python benchmarks/drift_vs_evidently.py --rows 1000000 \\
        --reference-rows 100000 --features 14
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.data import APACHEJIT_FEATURES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = (
    REPO.parent / "shared" / "data" / "apachejit" / "apachejit_test_small.csv"
)
# 14 numeric columns: the change metrics (without the 0/1 fix flag) and the time
FEATURES = (
    *(name for name in APACHEJIT_FEATURES if name != "fix"),
    "author_date",
    "year",
)
SHIFT_EVERY = 3


def _status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status in MiB, or None off Linux."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return None


class PeakMemory:
    """Peak resident memory of this process before and during a measured call.

    On Linux it reads VmHWM, the high-water mark of this process's own memory, and
    resets it before the call through /proc/self/clear_refs so that the peak of the
    call itself is known. ``ru_maxrss`` is not used there: it keeps the parent's
    high-water mark across fork and exec. Elsewhere it falls back to ``ru_maxrss``.
    """

    def __enter__(self) -> PeakMemory:
        self.before = _status_mb("VmHWM")
        self.resident = _status_mb("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            pass
        if self.before is None or self.resident is None:
            self.before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
            self.resident = self.before
        return self

    def __exit__(self, *exc: object) -> None:
        during = _status_mb("VmHWM")
        if during is None:
            during = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        self.during = during
        self.peak = max(self.before, during)
        self.growth = max(0.0, during - self.resident)

    def report(self) -> dict:
        """Peak of the process, peak during the call and its growth, in MiB."""
        return {
            "peak_mb": self.peak,
            "call_peak_mb": self.during,
            "growth_mb": self.growth,
        }


def _feature_names(count: int, base: tuple[str, ...]) -> list[tuple[str, str]]:
    """(new name, source column) pairs, repeating the base columns when needed."""
    names = []
    for i in range(count):
        source = base[i % len(base)]
        suffix = "" if i < len(base) else f"_{i // len(base) + 1}"
        names.append((source + suffix, source))
    return names


def build_frames(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference and current frames described in the module docstring."""
    rng = np.random.default_rng(args.seed)
    reference: dict[str, np.ndarray] = {}
    current: dict[str, np.ndarray] = {}
    if args.synthetic:
        for i in range(args.features):
            name = f"x{i}"
            shift = 0.5 if i % SHIFT_EVERY == 0 else 0.0
            reference[name] = rng.normal(size=args.reference_rows)
            current[name] = rng.normal(loc=shift, size=args.rows)
        return pd.DataFrame(reference), pd.DataFrame(current)
    source = pd.read_csv(args.data, usecols=list(FEATURES))
    table = source.to_numpy(dtype=np.float64)
    reference_rows = rng.integers(0, table.shape[0], size=args.reference_rows)
    current_rows = rng.integers(0, table.shape[0], size=args.rows)
    position = {name: i for i, name in enumerate(FEATURES)}
    for i, (name, column) in enumerate(_feature_names(args.features, FEATURES)):
        values = table[:, position[column]]
        reference[name] = values[reference_rows]
        scale = 1.25 if i % SHIFT_EVERY == 0 else 1.0
        current[name] = values[current_rows] * scale
    return pd.DataFrame(reference), pd.DataFrame(current)


def _load(workdir: Path, name: str) -> pd.DataFrame:
    """Loads a frame saved one file per column, without a second copy."""
    columns = json.loads((workdir / "columns.json").read_text())
    data = {c: np.load(workdir / f"{name}-{i}.npy") for i, c in enumerate(columns)}
    return pd.DataFrame(data, copy=False)


def _worker_profile(workdir: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from tasks.drift import profile_frame

    reference = _load(workdir, "reference")
    with PeakMemory() as memory:
        start = time.perf_counter()
        profiles = profile_frame(reference)
        seconds = time.perf_counter() - start
    payload = {name: p.to_dict() for name, p in profiles.items()}
    (workdir / "profiles.json").write_text(json.dumps(payload, allow_nan=False))
    return {"seconds": seconds, **memory.report()}


def _worker_compare(workdir: Path) -> dict:
    sys.path.insert(0, str(REPO))
    from tasks.drift import compare
    from tasks.drift.profile import ColumnProfile

    stored = json.loads((workdir / "profiles.json").read_text())
    profiles = {name: ColumnProfile.from_dict(data) for name, data in stored.items()}
    current = _load(workdir, "current")
    with PeakMemory() as memory:
        start = time.perf_counter()
        results = compare(profiles, current)
        seconds = time.perf_counter() - start
    drifted = {
        method: sorted(r.column for r in results if r.method == method and r.drifted)
        for method in ("js", "ks", "psi")
    }
    return {
        "seconds": seconds,
        **memory.report(),
        "drifted": drifted,
    }


def _worker_evidently(workdir: Path) -> dict:
    os.environ["DO_NOT_TRACK"] = "1"
    from evidently import Report
    from evidently.presets import DataDriftPreset

    reference = _load(workdir, "reference")
    current = _load(workdir, "current")
    with PeakMemory() as memory:
        start = time.perf_counter()
        snapshot = Report([DataDriftPreset()]).run(
            current_data=current, reference_data=reference
        )
        seconds = time.perf_counter() - start
    drifted = []
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift"):
            if float(metric["value"]) >= float(config.get("threshold", 0.1)):
                drifted.append(config["column"])
    return {
        "seconds": seconds,
        **memory.report(),
        "drifted": sorted(drifted),
    }


WORKERS = {
    "profile": _worker_profile,
    "compare": _worker_compare,
    "evidently": _worker_evidently,
}


def _run_worker(name: str, workdir: Path) -> dict:
    command = [sys.executable, __file__, "--worker", name, "--workdir", str(workdir)]
    environment = dict(os.environ, DO_NOT_TRACK="1", PYTHONWARNINGS="ignore")
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, env=environment
    )
    if done.returncode != 0:
        raise SystemExit(f"the {name} worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Time mlpulse's drift run (tasks.drift.compare) against Evidently's "
            "DataDriftPreset on the same frames, each in a fresh process."
        )
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="current rows")
    parser.add_argument(
        "--reference-rows", type=int, default=100_000, help="reference rows"
    )
    parser.add_argument("--features", type=int, default=14, help="numeric features")
    parser.add_argument("--seed", type=int, default=0, help="seed of the row draws")
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="normal features with a mean shift instead of ApacheJIT rows",
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="ApacheJIT CSV to draw from"
    )
    parser.add_argument(
        "--skip-evidently", action="store_true", help="measure mlpulse only"
    )
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args.workdir)))
        return 0
    reference, current = build_frames(args)
    kind = "synthetic" if args.synthetic else f"ApacheJIT rows from {args.data.name}"
    print(
        f"frames: reference {reference.shape[0]:,} x {reference.shape[1]}, "
        f"current {current.shape[0]:,} x {current.shape[1]} ({kind}; every "
        f"{SHIFT_EVERY}rd feature shifted)"
    )
    with tempfile.TemporaryDirectory(prefix="mlpulse-drift-bench-") as folder:
        workdir = Path(folder)
        (workdir / "columns.json").write_text(json.dumps(list(reference.columns)))
        for name, frame in (("reference", reference), ("current", current)):
            for i, column in enumerate(frame.columns):
                values = frame[column].to_numpy(dtype=np.float64)
                np.save(workdir / f"{name}-{i}.npy", values)
        del reference, current
        profile = _run_worker("profile", workdir)
        mlpulse = _run_worker("compare", workdir)
        evidently = None if args.skip_evidently else _run_worker("evidently", workdir)
    rows = [("mlpulse profile_frame", profile), ("mlpulse compare", mlpulse)]
    if evidently is not None:
        rows.append(("evidently DataDriftPreset", evidently))
    print(
        f"{'step':26} {'seconds':>8} {'process peak MiB':>17} "
        f"{'call peak MiB':>14} {'call growth MiB':>16}"
    )
    for label, found in rows:
        print(
            f"{label:26} {found['seconds']:8.3f} {found['peak_mb']:17.1f} "
            f"{found['call_peak_mb']:14.1f} {found['growth_mb']:16.1f}"
        )
    for method, columns in mlpulse["drifted"].items():
        print(f"mlpulse {method:3} drifted: {columns}")
    if evidently is not None:
        print(f"evidently drifted:   {evidently['drifted']}")
        print(
            f"speed-up (evidently / mlpulse compare): "
            f"{evidently['seconds'] / mlpulse['seconds']:.1f}x; "
            f"including profiling: "
            f"{evidently['seconds'] / (mlpulse['seconds'] + profile['seconds']):.1f}x"
        )
        print(
            f"memory mlpulse / evidently: process peak "
            f"{mlpulse['peak_mb'] / evidently['peak_mb']:.2f}, call peak "
            f"{mlpulse['call_peak_mb'] / evidently['call_peak_mb']:.2f}, call growth "
            f"{mlpulse['growth_mb'] / max(evidently['growth_mb'], 1e-9):.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
