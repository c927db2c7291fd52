"""A real Dask cluster on loopback: a ``dask scheduler`` and a ``dask worker`` with two
worker processes, started as programs; a tiny sweep goes through ``--scheduler`` and gives
the same results as a local run. Every wait is bounded; the processes are stopped at the end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from conftest import SCENARIOS, TINY_CITY, write_tiny_experiment
from barrios.cli import main
from experiments.store import load_results, load_timeseries
from experiments.execution import Execution
from experiments.sweep import sweep

DASK = Path(sys.executable).with_name("dask")
START_TIMEOUT = 90

BODY = """
[levers.committees]
target = "interventions.safety_committees.intensity"
low = 0.1
high = 0.6

[uncertainties.fear_contagion]
low = 0.05
high = 0.2

[design]
kind = "latin_hypercube"
samples = 4
seed = 8

[outcomes]
scalars = ["safe_public_change", "safe_neighbourhood_change", "cost_usd_total"]
timeseries = ["safe_public"]
timeseries_every_days = 10
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=20)
    except ProcessLookupError:
        pass


def _log(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = [folder / "scheduler.log", folder / "worker.log"]
    commands = [[str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                [str(DASK), "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"]]
    try:
        for command, log in zip(commands, logs):
            with open(log, "w") as f:
                procs.append(subprocess.Popen(command, stdout=f, stderr=subprocess.STDOUT, cwd=folder,
                                              start_new_session=True))
            if command[1] == "scheduler":  # wait until it listens
                deadline = time.monotonic() + START_TIMEOUT
                while True:
                    assert procs[0].poll() is None, _log(logs[0])
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        assert time.monotonic() < deadline, "scheduler did not start\n" + _log(logs[0])
                        time.sleep(0.2)
        deadline = time.monotonic() + START_TIMEOUT
        with Client(address, timeout=30) as client:
            while len(client.scheduler_info()["workers"]) < 2:
                assert all(p.poll() is None for p in procs), _log(logs[1])
                assert time.monotonic() < deadline, "2 workers did not connect\n" + _log(logs[1])
                time.sleep(0.2)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)


def _workers_imported_the_model(address: str) -> dict:
    from distributed import Client

    with Client(address, timeout=30) as client:
        return client.run(lambda: "simulation.model" in sys.modules)


def test_sweep_through_the_scheduler_equals_a_local_sweep(scheduler, tmp_path, capsys):
    path = write_tiny_experiment(tmp_path / "tiny.toml", BODY)
    before = _workers_imported_the_model(scheduler)
    assert len(before) == 2 and not any(before.values())

    remote = tmp_path / "remote"
    assert main(["sweep", str(path), "--scheduler", scheduler, "--out", str(remote), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "8 run(s) done (0 failed), 0 already stored" in out
    # the runs ran in the cluster's worker processes, not in this one
    assert any(_workers_imported_the_model(scheduler).values())

    local = sweep(path, tmp_path / "local", execution=Execution(workers=1, progress=False)).folder
    remote_runs = load_results(remote)
    assert len(remote_runs) == 8 and (remote_runs["status"] == "ok").all()
    assert_frame_equal(remote_runs.drop(columns="duration_s"),
                       load_results(local).drop(columns="duration_s"))
    assert_frame_equal(load_timeseries(remote), load_timeseries(local))

    # the cluster is still there after the sweep (the client closed, the cluster did not):
    # the same command again skips everything
    assert main(["sweep", str(path), "--scheduler", scheduler, "--out", str(remote), "--quiet"]) == 0
    assert "0 run(s) done (0 failed), 8 already stored" in capsys.readouterr().out


def test_compare_through_the_scheduler(scheduler, tmp_path, capsys):
    files = []
    for name, parent in [("base", "baseline_2023"), ("copy", "baseline_2023")]:
        p = tmp_path / f"{name}.toml"
        p.write_text(f'extend = "{(SCENARIOS / f"{parent}.toml").as_posix()}"\nname = "{name}"\n'
                     "[city]\nwidth = 6\nheight = 12\npopulation = 200000\n")
        files.append(str(p))
    out = tmp_path / "out"
    assert main(["compare", *files, "--replications", "2", "--years", "0.1", "--scale", "500",
                 "--scheduler", scheduler, "--out", str(out), "--quiet"]) == 0
    assert "4 run(s) done (0 failed)" in capsys.readouterr().out
    runs = load_results(out)
    base = runs[runs["scenario"] == "base"].set_index("replication")
    copy = runs[runs["scenario"] == "copy"].set_index("replication")
    assert_frame_equal(base[["safe_public_change", "cost_usd_total"]],
                       copy[["safe_public_change", "cost_usd_total"]])
    assert (out / "report.html").exists()


def test_history_matching_through_the_scheduler_equals_a_local_match(scheduler, tmp_path):
    """A joint calibration's waves run on the cluster and give the local design."""
    import pandas as pd

    text = f"""name = "hm"
method = "history_matching"
scenario = "{(SCENARIOS / 'quito_2023_2025.toml').as_posix()}"
baseline = "{(SCENARIOS / 'baseline_2023.toml').as_posix()}"
seed = 3
[run]
years = 0.1
{TINY_CITY}
[targets]
safe_public_start = {{ observed = 0.41 }}
[priors.safe_public_baseline]
[matching]
waves = 2
points = 10
candidates = 1000
restarts = 0
"""
    path = tmp_path / "hm.toml"
    path.write_text(text)
    for name, flags in (("remote", ["--scheduler", scheduler]), ("local", ["--workers", "1"])):
        assert main(["calibrate", str(path), "--out", str(tmp_path / name), *flags, "--quiet"]) == 0
    remote = [load_results(tmp_path / "remote" / f"wave{w}") for w in (1, 2)]
    local = [load_results(tmp_path / "local" / f"wave{w}") for w in (1, 2)]
    for r, l in zip(remote, local):
        assert len(r) == 20 and (r["status"] == "ok").all()
        assert_frame_equal(r.drop(columns="duration_s").sort_values("run_id", ignore_index=True),
                           l.drop(columns="duration_s").sort_values("run_id", ignore_index=True))
    assert pd.read_csv(tmp_path / "remote" / "waves.csv")["failed"].eq(0).all()
