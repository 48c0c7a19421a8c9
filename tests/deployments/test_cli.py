"""The mlpulse command: its contract, its errors and its main job."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from deployments.cli import main
from tests.databases import fresh_postgres_database

FEATURES = ("la", "ld", "nf", "nd", "ns", "ent", "ndev", "age", "nuc", "aexp")
FEATURES += ("arexp", "asexp", "fix")
CONTRACT = {
    "column",
    "method",
    "score",
    "p_value",
    "threshold",
    "drifted",
    "status",
    "n_reference",
    "n_current",
}


def _mlpulse(*args: str, env: dict | None = None, timeout: float = 300):
    """Run the installed command in a child process, as a user would."""
    command = [sys.executable, "-m", "deployments.cli", *args]
    merged = {**os.environ, **(env or {})}
    return subprocess.run(
        command, capture_output=True, text=True, env=merged, timeout=timeout
    )


@pytest.mark.parametrize(
    "command", [[], ["demo"], ["drift-check"], ["run"], ["serve"], ["db", "upgrade"]]
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    assert "usage: mlpulse" in capsys.readouterr().out


@pytest.fixture(scope="module")
def early_late(apachejit_csv, tmp_path_factory) -> tuple[Path, Path]:
    """The first 3,000 and the last 1,000 ApacheJIT commits, as CSV files."""
    commits = pd.read_csv(apachejit_csv).sort_values("author_date")
    folder = tmp_path_factory.mktemp("drift-check")
    early, late = folder / "early.csv", folder / "late.csv"
    commits.iloc[:3000][list(FEATURES)].to_csv(early, index=False)
    commits.iloc[-1000:][list(FEATURES)].to_parquet(late.with_suffix(".parquet"))
    commits.iloc[-1000:][list(FEATURES)].to_csv(late, index=False)
    return early, late


def test_drift_check_json_keeps_the_contract(early_late, capsys):
    early, late = early_late

    assert main(["drift-check", str(early), str(late), "--format", "json"]) == 0

    results = json.loads(capsys.readouterr().out)
    assert len(results) == len(FEATURES) * 3
    assert all(CONTRACT <= set(r) for r in results)
    by_key = {(r["column"], r["method"]): r for r in results}
    assert {r["n_reference"] for r in results} == {3000}
    assert {r["n_current"] for r in results} == {1000}
    # author experience grows over the years: late commits have drifted from early
    assert by_key[("aexp", "js")]["drifted"] is True
    assert by_key[("aexp", "js")]["score"] > 0.2
    assert by_key[("aexp", "psi")]["p_value"] is not None


def test_drift_check_of_a_file_against_itself_finds_nothing(early_late, capsys):
    early, _ = early_late

    main(["drift-check", str(early), str(early), "--format", "json", "--method", "ks"])

    results = json.loads(capsys.readouterr().out)
    by_column = {r["column"]: r for r in results}
    assert {r["method"] for r in results} == {"ks"}
    # fix is True/False in the file: a categorical column, which KS does not take
    assert by_column.pop("fix")["status"] == "not_applicable_categorical"
    assert all(r["score"] == 0.0 and r["drifted"] is False for r in by_column.values())


def test_drift_check_reads_parquet_and_prints_a_table(early_late, capsys):
    early, late = early_late

    main(
        [
            "drift-check",
            str(early),
            str(late.with_suffix(".parquet")),
            "--method",
            "psi",
        ]
    )

    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:4] == ["column", "method", "score", "p_value"]
    assert len(table) == 2 + len(FEATURES)
    assert any(line.startswith("aexp") and " yes " in line for line in table)


def test_hostile_columns_get_a_status_each_and_the_run_goes_on(tmp_path, capsys):
    rng = np.random.default_rng(0)
    reference = pd.DataFrame(
        {
            "normal": rng.normal(size=200),
            "constant": np.full(200, 5.0),
            "huge": np.full(200, 1e16),
            "colour": ["red", "blue"] * 100,
            "blank": np.full(200, np.nan),
        }
    )
    current = pd.DataFrame(
        {
            "normal": np.r_[rng.normal(size=150), [np.nan] * 40, [np.inf] * 10],
            "constant": np.full(200, 7.0),
            "huge": np.full(200, 2e16),
            "colour": ["red", "green"] * 100,
            "blank": np.full(200, np.nan),
        }
    )
    reference.to_csv(tmp_path / "r.csv", index=False)
    current.to_csv(tmp_path / "c.csv", index=False)

    code = main(
        [
            "drift-check",
            str(tmp_path / "r.csv"),
            str(tmp_path / "c.csv"),
            "--format",
            "json",
            "--method",
            "js",
        ]
    )

    assert code == 0
    results = {r["column"]: r for r in json.loads(capsys.readouterr().out)}
    # a constant against a different constant is complete drift
    assert results["constant"]["score"] == pytest.approx(1.0)
    assert results["huge"]["score"] == pytest.approx(1.0)
    assert results["colour"]["new_categories"] == ["green"]
    assert results["blank"]["status"] == "no_reference"
    assert results["normal"]["missing_share_current"] == pytest.approx(40 / 200)
    assert results["normal"]["n_current"] == 150


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (("absent.csv", "r.csv"), "absent.csv: no such file"),
        (("empty.csv", "r.csv"), "empty.csv: is empty"),
        (("other.csv", "r.csv"), "share no column"),
    ],
)
def test_drift_check_bad_files_exit_2_with_one_line(tmp_path, capsys, files, message):
    (tmp_path / "r.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "other.csv").write_text("x\n1\n")

    code = main(["drift-check", *(str(tmp_path / f) for f in files)])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("mlpulse: error: ") and message in err[-1]


def test_bad_arguments_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as done:
        main(["demo", "--window-days", "-3"])
    assert done.value.code == 2
    assert "expected a positive number" in capsys.readouterr().err


def test_run_with_a_bad_window_end_names_the_format(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 's.db'}"
    code = main(
        [
            "run",
            "drift",
            "--model",
            "m",
            "--window-end",
            "soon",
            "--window-minutes",
            "30",
            "--database-url",
            url,
        ]
    )

    assert code == 2
    assert "ISO 8601 time such as" in capsys.readouterr().err


def test_db_upgrade_creates_the_schema(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'fresh' / 'mlpulse.db'}"

    assert main(["db", "upgrade", "--database-url", url]) == 0

    assert "is at revision 0001" in capsys.readouterr().out
    tables = set(sa.inspect(sa.create_engine(url)).get_table_names())
    assert {"predictions", "drift_results", "health_scores", "pipeline_runs"} <= tables


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def data_server(apachejit_csv, tmp_path):
    """Serves the ApacheJIT file on 127.0.0.1, standing in for its public address."""
    root = tmp_path / "served"
    root.mkdir()
    (root / "apachejit_test_small.csv").write_bytes(apachejit_csv.read_bytes())
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a, **k: _Quiet(*a, directory=str(root), **k)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/apachejit_test_small.csv"
    server.shutdown()
    server.server_close()
    thread.join()


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table: connection.exec_driver_sql(
                    f"SELECT count(*) FROM {table}"
                ).scalar()
                for table in ("predictions", "drift_results", "health_scores")
            }
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.pushgateway
def test_demo_on_postgres_and_pushgateway_is_repeatable(
    apachejit_csv, data_server, postgres_url, pushgateway_url, tmp_path
):
    env = {"MLPULSE_DATA_DIR": str(tmp_path / "data")}
    with fresh_postgres_database(postgres_url) as url:
        first = _mlpulse(
            "demo",
            "--data",
            str(apachejit_csv),
            "--database-url",
            url,
            "--pushgateway",
            pushgateway_url,
            "--window-days",
            "90",
            env=env,
        )
        assert first.returncode == 0, first.stderr[-2000:]
        counts = _counts(url)

        # the second run downloads the file from the local server and verifies it
        second = _mlpulse(
            "demo",
            "--database-url",
            url,
            "--pushgateway",
            pushgateway_url,
            "--window-days",
            "90",
            env={**env, "MLPULSE_DATASET_URL": data_server},
        )
        assert second.returncode == 0, second.stderr[-2000:]
        assert _counts(url) == counts

    # 3,763 replayed commits from 2018-05-28, and 3 days for the last labels, make
    # 7 windows of 90 days; 13 features by 3 methods each
    assert counts == {
        "predictions": 3763,
        "drift_results": 7 * 13 * 3,
        "health_scores": 7,
    }
    assert "downloading ApacheJIT" in second.stderr
    assert "ROC AUC 0.852" in first.stdout
    with urllib.request.urlopen(f"{pushgateway_url}/api/v1/metrics") as response:
        groups = json.load(response)["data"]
    jobs = {(g["labels"]["job"], g["labels"].get("model_name")) for g in groups}
    assert {("drift", "bug_predictor"), ("health", "bug_predictor")} <= jobs


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a,b\nx\x00evil,1\nx,2\n", "holds a NUL byte at offset 5"),
        (b"a,a\n1,2\n", "repeats the column names ['a']"),
    ],
)
def test_drift_check_refuses_csv_the_parser_would_alter(
    tmp_path, capsys, content, message
):
    (tmp_path / "r.csv").write_text("a,b\nx,1\nx,2\n")
    (tmp_path / "c.csv").write_bytes(content)

    code = main(["drift-check", str(tmp_path / "r.csv"), str(tmp_path / "c.csv")])

    assert code == 2
    assert message in capsys.readouterr().err


def test_drift_check_names_a_directory_as_such(tmp_path, capsys):
    assert main(["drift-check", str(tmp_path), str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_bad_setting_names_its_variable(tmp_path, capsys, monkeypatch):
    (tmp_path / "r.csv").write_text("a\n1\n")
    monkeypatch.setenv("MLPULSE_DRIFT_ALPHA", "5")
    from tasks.settings import get_settings

    get_settings.cache_clear()
    try:
        code = main(["drift-check", str(tmp_path / "r.csv"), str(tmp_path / "r.csv")])
    finally:
        monkeypatch.delenv("MLPULSE_DRIFT_ALPHA")
        get_settings.cache_clear()

    assert code == 2
    assert "bad setting: MLPULSE_DRIFT_ALPHA: Input should be less than 1" in (
        capsys.readouterr().err
    )


def test_run_without_a_store_says_how_to_make_one(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'absent' / 'mlpulse.db'}"

    code = main(
        [
            "run",
            "health",
            "--model",
            "m",
            "--window-end",
            "2019-01-01",
            "--window-minutes",
            "1.5",
            "--database-url",
            url,
        ]
    )

    assert code == 2
    assert "run `mlpulse db upgrade --database-url" in capsys.readouterr().err
    assert not (tmp_path / "absent").exists()


def test_negative_label_delay_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main(["demo", "--label-delay-days", "-5"])
    assert done.value.code == 2
    assert "expected a number >= 0" in capsys.readouterr().err


def test_failed_download_is_a_failure_not_bad_input(tmp_path, capsys, monkeypatch):
    with socket.socket() as sock:  # a port on this machine that nobody serves
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLPULSE_DATASET_URL", f"http://127.0.0.1:{port}/apachejit.csv")
    monkeypatch.setenv("MLPULSE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MLPULSE_DATASET_PATH", raising=False)

    code = main(["demo"])

    assert code == 1
    assert "download failed" in capsys.readouterr().err
    assert not (tmp_path / "apachejit_test_small.csv").exists()
