"""Loaders for the public just-in-time defect data sets, and their download.

Both data sets hold one row per code commit: its change metrics, its time, and whether
it later turned out to introduce a bug. The loaders check every column they use and
name the file and the problem when something is wrong, so a damaged file fails loudly
instead of training a model on garbage.

* ApacheJIT (``apachejit_test_small.csv``): 7,526 commits of 15 Apache projects.
* JiTReliability (``<Project>_input.csv.gz``): one file per Apache project.

Both loaders return the same frame shape: ``commit_id``, ``project``, ``committed_at``
(aware UTC), ``buggy`` (0/1) and the feature columns of :data:`APACHEJIT_FEATURES`
(JiTReliability's own names are mapped onto them, see :data:`JITRELIABILITY_NAMES`),
sorted by commit time.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import shutil
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from tasks.errors import DataFileError, DownloadError

logger = logging.getLogger(__name__)

#: The change metrics the example model uses, in ApacheJIT's names.
APACHEJIT_FEATURES = (
    "la",  # lines added
    "ld",  # lines deleted
    "nf",  # files touched
    "nd",  # directories touched
    "ns",  # subsystems touched
    "ent",  # entropy of the change across files
    "ndev",  # developers who changed the files before
    "age",  # mean days since the files' last change
    "nuc",  # unique earlier changes to the files
    "aexp",  # author experience, overall
    "arexp",  # author experience, recent
    "asexp",  # author experience, in the subsystem
    "fix",  # the commit fixes a bug (0/1)
)

_APACHEJIT_COLUMNS = (
    "commit_id",
    "project",
    "buggy",
    "author_date",
    *APACHEJIT_FEATURES,
)

#: JiTReliability's column names mapped to ApacheJIT's.
JITRELIABILITY_NAMES = {
    "transactionid": "commit_id",
    "nm": "nd",
    "entropy": "ent",
    "pd": "age",
    "npt": "nuc",
    "exp": "aexp",
    "rexp": "arexp",
    "sexp": "asexp",
    "bug": "buggy",
}
_JITRELIABILITY_COLUMNS = (
    "transactionid",
    "commitdate",
    "ns",
    "nm",
    "nf",
    "entropy",
    "la",
    "ld",
    "lt",
    "fix",
    "ndev",
    "pd",
    "npt",
    "exp",
    "rexp",
    "sexp",
    "bug",
)

_BOOLEAN_TEXT = {"true": 1, "false": 0, "1": 1, "0": 0}


def _require_file(path: Path) -> None:
    if path.is_dir():
        raise DataFileError(path, "is a directory; give a CSV or Parquet file")
    if not path.is_file():
        raise DataFileError(path, "no such file; check the path or download the data")


def _read_csv(path: Path) -> pd.DataFrame:
    _require_file(path)
    try:
        return pd.read_csv(path, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise DataFileError(path, f"cannot be parsed as CSV ({exc})") from exc
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(path, "is empty") from exc


def _require_columns(path: Path, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataFileError(
            path,
            f"missing columns {missing}; found {list(frame.columns)[:20]}. "
            "Is this the right data set?",
        )


def _as_binary(path: Path, frame: pd.DataFrame, column: str) -> pd.Series:
    """A True/False or 0/1 column as int8, or a clear error."""
    values = frame[column]
    if values.dtype == bool:
        return values.astype("int8")
    text = values.astype("string").str.strip().str.lower()
    mapped = text.map(_BOOLEAN_TEXT)
    bad = mapped.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(
            path,
            f"column {column!r} must be True/False or 0/1; row {row + 2} holds "
            f"{values.iloc[row]!r} ({int(bad.sum())} such rows)",
        )
    return mapped.astype("int8")


def _as_numeric(path: Path, frame: pd.DataFrame, column: str) -> pd.Series:
    """A numeric column as float64; text that is not a number is an error."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(
            path,
            f"column {column!r} must be numeric; row {row + 2} holds "
            f"{frame[column].iloc[row]!r} ({int(bad.sum())} such rows)",
        )
    return values.astype("float64")


def _check_complete(path: Path, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    """A truncated or damaged file shows up as missing values where none may be."""
    holes = frame[list(columns)].isna()
    if holes.to_numpy().any():
        rows = np.flatnonzero(holes.any(axis=1).to_numpy())
        empty = [c for c in columns if holes[c].any()]
        raise DataFileError(
            path,
            f"{len(rows)} rows have empty required fields {empty} (first at line "
            f"{int(rows[0]) + 2}); the file may be truncated or damaged",
        )


def read_table(path: str | Path) -> pd.DataFrame:
    """Read any CSV or Parquet table for a column-by-column comparison.

    A CSV holding NUL bytes or repeated column names is refused rather than let
    the parser cut values at the NUL or rename the repeats; numbers beyond
    float64's range (1e309) are read as infinities, not as text.

    Raises:
        DataFileError: a missing, empty, unreadable or refused file.
    """
    path = Path(path)
    _require_file(path)
    parquet = path.suffix.lower() in (".parquet", ".pq")
    if not parquet:
        _check_csv_text(path)
    try:
        if parquet:
            return pd.read_parquet(path)
        return _with_overflowed_numbers(pd.read_csv(path, low_memory=False))
    except pd.errors.EmptyDataError as exc:
        raise DataFileError(path, "is empty") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        raise DataFileError(path, f"cannot be read ({exc})") from exc


def _with_overflowed_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """The CSV parser keeps a column as text when one of its numbers overflows; a
    column whose every value is a number is numeric, however large."""
    for column in frame.select_dtypes(include="object").columns:
        present = frame[column].dropna()
        if present.empty:
            continue
        try:
            numbers = present.map(float)
        except (TypeError, ValueError):
            continue
        frame[column] = numbers.reindex(frame.index).astype("float64")
    return frame


def _check_csv_text(path: Path) -> None:
    """Refuse what the CSV parser would silently alter."""
    with path.open("rb") as handle:
        for number, block in enumerate(iter(lambda: handle.read(1 << 20), b"")):
            if b"\x00" in block:
                offset = number * (1 << 20) + block.index(b"\x00")
                raise DataFileError(
                    path, f"holds a NUL byte at offset {offset}; is it really a CSV?"
                )
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        header = next(csv.reader(handle), [])
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise DataFileError(path, f"repeats the column names {repeated}")


def load_apachejit(path: str | Path) -> pd.DataFrame:
    """Load ApacheJIT's commits, checked, sorted by commit time.

    Args:
        path: the ``apachejit_test_small.csv`` file (or any ApacheJIT CSV).

    Returns:
        One row per commit: commit_id, project, committed_at (UTC), buggy (0/1) and
        the features of :data:`APACHEJIT_FEATURES` as float64.

    Raises:
        DataFileError: missing file, wrong columns, non-numeric values, or empty
            fields (a truncated file).
    """
    path = Path(path)
    raw = _read_csv(path)
    _require_columns(path, raw, _APACHEJIT_COLUMNS)
    _check_complete(path, raw, _APACHEJIT_COLUMNS)
    if raw.empty:
        raise DataFileError(path, "holds a header but no commits")

    frame = pd.DataFrame(
        {
            "commit_id": raw["commit_id"].astype("string").astype(object),
            "project": raw["project"].astype("string").astype(object),
            "buggy": _as_binary(path, raw, "buggy"),
        }
    )
    seconds = _as_numeric(path, raw, "author_date")
    frame["committed_at"] = pd.to_datetime(seconds, unit="s", utc=True)
    for feature in APACHEJIT_FEATURES:
        if feature == "fix":
            frame[feature] = _as_binary(path, raw, feature).astype("float64")
        else:
            frame[feature] = _as_numeric(path, raw, feature)
    return _finish(path, frame)


def load_jitreliability(
    path: str | Path, *, project: str | None = None
) -> pd.DataFrame:
    """Load one JiTReliability project file, mapped onto ApacheJIT's column names.

    Rows without a commit date cannot be placed in time and are dropped (logged);
    ``nuc`` (JiTReliability's ``npt``) is missing for some commits and stays NaN.
    JiTReliability's ``la`` and ``ld`` are shares of ``lt`` (lines before the
    change), not line counts as in ApacheJIT; ``lt`` is kept as an extra column.

    Args:
        path: a ``<Project>_input.csv.gz`` file.
        project: the project's name; by default taken from the file name.
    """
    path = Path(path)
    raw = _read_csv(path)
    _require_columns(path, raw, _JITRELIABILITY_COLUMNS)
    if raw.empty:
        raise DataFileError(path, "holds a header but no commits")
    name = project or path.name.split("_input")[0]

    committed = pd.to_datetime(raw["commitdate"], errors="coerce", utc=True)
    undated = committed.isna()
    if undated.all():
        raise DataFileError(path, "no row has a readable commitdate")
    if undated.any():
        logger.info("%s: dropped %d commits without a date", path, int(undated.sum()))
    raw = raw.loc[~undated].reset_index(drop=True)
    committed = committed.loc[~undated].reset_index(drop=True)
    required = tuple(
        c for c in _JITRELIABILITY_COLUMNS if c not in ("npt", "commitdate")
    )
    _check_complete(path, raw, required)

    frame = pd.DataFrame(
        {
            "commit_id": raw["transactionid"].astype("string").astype(object),
            "project": name,
            "buggy": _as_binary(path, raw, "bug"),
            "committed_at": committed,
        }
    )
    renamed = raw.rename(columns=JITRELIABILITY_NAMES)
    for feature in (*APACHEJIT_FEATURES, "lt"):
        frame[feature] = _as_numeric(path, renamed, feature)
    return _finish(path, frame)


def _finish(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    if frame["commit_id"].duplicated().any():
        count = int(frame["commit_id"].duplicated().sum())
        raise DataFileError(path, f"{count} commit ids appear more than once")
    frame = frame.sort_values("committed_at", kind="stable").reset_index(drop=True)
    return frame


def sha256_of(path: Path) -> str:
    """The file's SHA-256 as lowercase hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_dataset(
    url: str, destination: Path, *, sha256: str, timeout: float = 60.0
) -> Path:
    """Download a data file once and verify its checksum.

    An existing file with the right checksum is reused. The download goes to a
    temporary file first, so an interrupted or corrupted download never leaves a
    file at ``destination``.

    Raises:
        DownloadError: the download failed or its SHA-256 differs from ``sha256``.
    """
    if destination.is_file() and sha256_of(destination) == sha256:
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s to %s", url, destination)
    with tempfile.NamedTemporaryFile(dir=destination.parent, delete=False) as handle:
        partial = Path(handle.name)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                shutil.copyfileobj(response, handle)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise DownloadError(url, f"download failed ({exc})") from exc
    actual = sha256_of(partial)
    if actual != sha256:
        partial.unlink(missing_ok=True)
        raise DownloadError(
            url, f"SHA-256 is {actual}, expected {sha256}; the file was not kept"
        )
    partial.replace(destination)
    return destination
