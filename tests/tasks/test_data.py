"""Tests of tasks.data: the loaders on the real files and on damaged copies."""

from __future__ import annotations

import hashlib
import http.server
import threading

import pandas as pd
import pytest

from tasks.data import (
    APACHEJIT_FEATURES,
    download_dataset,
    load_apachejit,
    load_jitreliability,
    sha256_of,
)
from tasks.errors import DataFileError
from tasks.settings import APACHEJIT_SHA256


def test_apachejit_loads_every_commit_sorted_by_time(apachejit_csv):
    frame = load_apachejit(apachejit_csv)

    # figures of the published file: 7,526 commits, 19.2 % buggy, 2015-06 to 2019-12
    assert len(frame) == 7526
    assert frame["buggy"].mean() == pytest.approx(0.192, abs=0.0005)
    assert frame["committed_at"].is_monotonic_increasing
    assert str(frame["committed_at"].dt.tz) == "UTC"
    assert frame["committed_at"].min() == pd.Timestamp("2015-06-15 18:04:02", tz="UTC")
    assert set(APACHEJIT_FEATURES) <= set(frame.columns)
    assert frame[list(APACHEJIT_FEATURES)].dtypes.eq("float64").all()


def test_apachejit_checksum_matches_published_one(apachejit_csv):
    assert sha256_of(apachejit_csv) == APACHEJIT_SHA256


def test_truncated_file_is_reported_with_its_line(apachejit_csv, tmp_path):
    lines = apachejit_csv.read_text().splitlines()
    cut = tmp_path / "cut.csv"
    # the last line loses its last five fields, as a download cut short would
    cut.write_text("\n".join(lines[:100] + [",".join(lines[100].split(",")[:13])]))

    with pytest.raises(
        DataFileError, match=r"1 rows have empty required fields"
    ) as err:
        load_apachejit(cut)
    assert "line 101" in str(err.value)
    assert err.value.path == str(cut)


def test_text_in_numeric_column_names_column_and_row(apachejit_csv, tmp_path):
    frame = pd.read_csv(apachejit_csv, nrows=20)
    frame["la"] = frame["la"].astype(object)
    frame.loc[4, "la"] = "many"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)

    with pytest.raises(DataFileError, match=r"column 'la' must be numeric; row 6"):
        load_apachejit(bad)


def test_wrong_data_set_lists_missing_columns(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")

    with pytest.raises(DataFileError, match=r"missing columns \['commit_id'"):
        load_apachejit(other)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b"\x00\xff\xfe garbage \x00", "cannot be parsed|missing")],
)
def test_empty_or_binary_file_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)

    with pytest.raises(DataFileError, match=message):
        load_apachejit(path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        load_apachejit(tmp_path / "absent.csv")


def test_jitreliability_maps_names_and_drops_undated_commits(data_dir):
    path = data_dir / "jitreliability" / "Ant_input.csv.gz"
    raw = pd.read_csv(path)

    frame = load_jitreliability(path)

    # Ant has 14,539 commits of which 152 carry no commit date
    assert len(raw) == 14539
    assert len(frame) == 14539 - 152
    assert frame["project"].unique().tolist() == ["Ant"]
    assert frame["buggy"].mean() == pytest.approx(raw["bug"].mean(), abs=0.002)
    assert frame["committed_at"].is_monotonic_increasing
    # npt (here nuc) is missing for some commits and stays missing
    assert (
        frame["nuc"].isna().sum()
        == raw.loc[raw["commitdate"].notna(), "npt"].isna().sum()
    )


def test_jitreliability_truncated_gzip_is_a_clear_error(data_dir, tmp_path):
    data = (data_dir / "jitreliability" / "IVY_input.csv.gz").read_bytes()
    cut = tmp_path / "IVY_input.csv.gz"
    cut.write_bytes(data[: len(data) // 2])

    with pytest.raises(DataFileError, match="IVY_input"):
        load_jitreliability(cut)


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture
def file_server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving tmp_path/served."""
    root = tmp_path / "served"
    root.mkdir()

    def handler(*args, **kwargs):
        return _Files(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_download_verifies_checksum_and_reuses_file(
    apachejit_csv, file_server, tmp_path
):
    root, base = file_server
    (root / "apachejit.csv").write_bytes(apachejit_csv.read_bytes())
    target = tmp_path / "data" / "apachejit.csv"

    path = download_dataset(f"{base}/apachejit.csv", target, sha256=APACHEJIT_SHA256)

    assert path == target and sha256_of(target) == APACHEJIT_SHA256
    (root / "apachejit.csv").unlink()  # a second call must not need the server
    assert download_dataset(f"{base}/x.csv", target, sha256=APACHEJIT_SHA256) == target


def test_download_with_wrong_checksum_keeps_nothing(file_server, tmp_path):
    root, base = file_server
    (root / "f.csv").write_bytes(b"commit_id\n1\n")
    target = tmp_path / "data" / "f.csv"
    expected = hashlib.sha256(b"something else").hexdigest()

    with pytest.raises(DataFileError, match="SHA-256 is .* expected"):
        download_dataset(f"{base}/f.csv", target, sha256=expected)
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_download_of_missing_file_is_a_clear_error(file_server, tmp_path):
    _, base = file_server

    with pytest.raises(DataFileError, match="download failed"):
        download_dataset(f"{base}/absent.csv", tmp_path / "x.csv", sha256="0" * 64)
