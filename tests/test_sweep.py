"""Sweeps end to end on a tiny city: results in the store, restarts skip stored runs,
stable run ids, results independent of the number of workers, common random numbers, a
real SIGKILL in the middle of a sweep and a resume, failed runs recorded and retried only
when asked, and a changed experiment file refused.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from conftest import QUITO, raw_parquet_rows, shipped, write_tiny_experiment
from experiments import execution
from barrios.cli import main
from experiments.execution import Execution, execute
from experiments.runs import Run, execute_run, replication_seed, run_id
from experiments.sampling import make_design
from experiments.store import ExperimentChanged, ResultStore, load_results, load_timeseries
from experiments.study import manifest
from experiments.sweep import load_experiment, overrides_for, sweep

SERIAL = Execution(workers=1, progress=False)

BARRIOS = Path(sys.executable).with_name("barrios")
SCALARS = ["safe_public_change", "cost_usd_total", "victimization_12m_end", "safe_public@2023-01-21"]


def _without_duration(runs: pd.DataFrame) -> pd.DataFrame:
    return runs.drop(columns="duration_s")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- results in the store ---------------------------------------------------------------------


def test_results_land_in_the_store(tiny_sweeps):
    one = tiny_sweeps.one
    assert one.report.done == tiny_sweeps.total == 8 and one.report.failed == 0
    assert one.report.skipped == 0
    runs = load_results(one.folder)
    assert len(runs) == 8 and runs["run_id"].is_unique
    assert (runs["status"] == "ok").all() and (runs["error"] == "").all()
    for column in ["run_id", "point", "replication", "seed", "lighting", "fear_contagion",
                   *SCALARS, "status", "error", "duration_s"]:
        assert column in runs
    assert runs[SCALARS].notna().all().all()
    assert (runs["duration_s"] > 0).all()
    # batches of 3 runs: 3 parts (3 + 3 + 2), every run once
    assert len(list((one.folder / "runs").glob("part-*.parquet"))) == 3
    assert len(raw_parquet_rows(one.folder / "runs")) == 8
    # each run's parameters are the design point's
    design = pd.read_parquet(one.folder / "design.parquet")
    merged = runs.merge(design, on="point", suffixes=("", "_design"))
    assert np.allclose(merged["lighting"], merged["lighting_design"])
    assert np.allclose(merged["fear_contagion"], merged["fear_contagion_design"])
    assert sorted(map(tuple, runs[["point", "replication"]].to_numpy())) == [
        (p, k) for p in range(4) for k in range(2)]
    manifest_doc = json.loads((one.folder / "experiment.json").read_text())
    assert manifest_doc["fingerprint"] == load_experiment(tiny_sweeps.path).fingerprint


def test_time_series_are_kept_every_n_days(tiny_sweeps):
    runs = load_results(tiny_sweeps.one.folder)
    ts = load_timeseries(tiny_sweeps.one.folder)
    assert set(ts["run_id"]) == set(runs["run_id"])
    assert {"run_id", "step", "date", "safe_public", "incidents"} <= set(ts.columns)
    n_days = load_experiment(tiny_sweeps.path).base.scenario.n_days  # the last step
    for _, one_run in ts.groupby("run_id"):
        steps = one_run["step"].tolist()
        assert steps == sorted(set(range(0, n_days + 1, 5)) | {n_days})
        assert (one_run["date"] - pd.Timestamp("2023-01-01")).dt.days.tolist() == steps
    # the NAME@DATE scalar is the series' value on that date (2023-01-21 is step 20)
    at = ts[ts["step"] == 20].set_index("run_id")["safe_public"]
    assert np.allclose(runs.set_index("run_id")["safe_public@2023-01-21"], at.loc[runs["run_id"]])


def test_rerun_skips_everything(tiny_sweeps, tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(tiny_sweeps.one.folder, folder)
    before = _snapshot(folder / "runs")
    again = sweep(tiny_sweeps.path, folder, execution=SERIAL)
    assert again.report.skipped == tiny_sweeps.total and again.report.done == 0
    assert _snapshot(folder / "runs") == before


def test_run_ids_are_stable(tiny_sweeps):
    runs = load_results(tiny_sweeps.one.folder)
    exp = load_experiment(tiny_sweeps.path)
    name = exp.base.scenario.name
    for row in runs.itertuples():
        values = {"lighting": row.lighting, "fear_contagion": row.fear_contagion}
        assert row.run_id == run_id(name, values, 5, row.replication)
    values = {"lighting": 0.5, "fear_contagion": 0.05}
    ids = {run_id(name, values, 5, 0), run_id(name, {**values, "lighting": 0.0}, 5, 0),
           run_id(name, values, 5, 1), run_id(name, values, 6, 0), run_id("other", values, 5, 0)}
    assert len(ids) == 5
    assert run_id(name, dict(reversed(values.items())), 5, 0) == run_id(name, values, 5, 0)
    scenario = exp.base.scenario
    spec = Run(point=0, replication=1, seed=5, scenario=scenario, values=values)
    assert spec.run_id == run_id(name, values, 5, 1)
    assert Run(point=3, replication=1, seed=5, scenario=scenario, values=values).run_id == spec.run_id
    assert len(set(runs["run_id"])) == len(runs)


def test_results_do_not_depend_on_the_number_of_workers(tiny_sweeps):
    one, two = tiny_sweeps.one.folder, tiny_sweeps.two.folder
    # different batching (3 parts vs 1) and completion order, same results
    assert len(list((two / "runs").glob("part-*.parquet"))) == 1
    assert_frame_equal(_without_duration(load_results(one)), _without_duration(load_results(two)))
    assert_frame_equal(load_timeseries(one), load_timeseries(two))
    assert_frame_equal(pd.read_parquet(one / "design.parquet"), pd.read_parquet(two / "design.parquet"))


def test_common_random_numbers_across_design_points(tiny_sweeps):
    runs = load_results(tiny_sweeps.one.folder)
    assert (runs["seed"] == 5).all()
    # replication k is child k of SeedSequence(seed)
    for k in range(3):
        assert np.array_equal(replication_seed(5, k).generate_state(4),
                              np.random.SeedSequence(5).spawn(k + 1)[k].generate_state(4))
    # street lighting starts after the end of the 0.1-year run, so points that differ only
    # in lighting are the same simulation on the same stream: identical results per
    # replication, different results across replications
    by = runs.set_index(["fear_contagion", "replication", "lighting"])[SCALARS].sort_index()
    for fear in runs["fear_contagion"].unique():
        for k in (0, 1):
            a, b = by.loc[(fear, k, 0.0)], by.loc[(fear, k, 0.5)]
            assert a.equals(b)
        assert not by.loc[(fear, 0, 0.0)].equals(by.loc[(fear, 1, 0.0)])
    # and the uncertainty matters
    assert runs.groupby("fear_contagion")["safe_public@2023-01-21"].mean().nunique() == 2


# --- a real SIGKILL in the middle, then a resume ------------------------------------------

KILL_BODY = """
[levers.committees]
target = "interventions.safety_committees.intensity"
low = 0.1
high = 0.6

[uncertainties.fear_contagion]
low = 0.05
high = 0.2

[design]
kind = "latin_hypercube"
samples = 12
seed = 2

[outcomes]
scalars = ["safe_public_change", "safe_neighbourhood_change", "cost_usd_total"]
timeseries = ["safe_public"]
timeseries_every_days = 7
"""


def _group_alive(pgid: int) -> list[int]:
    """Processes of a process group that are still running (zombies excluded)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def test_sigkill_and_resume_equals_an_uninterrupted_sweep(tmp_path):
    path = write_tiny_experiment(tmp_path / "kill.toml", KILL_BODY)
    folder = tmp_path / "killed"
    command = [str(BARRIOS), "sweep", str(path), "--out", str(folder), "--workers", "1", "--quiet"]
    env = {**os.environ, "BARRIOS_BATCH_RUNS": "1"}
    total = 12 * 2
    with open(tmp_path / "first.log", "w") as log:
        proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while len(list((folder / "runs").glob("part-*.parquet"))) < 2:
                assert proc.poll() is None, (tmp_path / "first.log").read_text()
                assert time.monotonic() < deadline, "no runs stored within 90 s"
                time.sleep(0.02)
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while _group_alive(proc.pid):  # the Dask worker processes die with the driver
        assert time.monotonic() < deadline, f"still running: {_group_alive(proc.pid)}"
        time.sleep(0.1)
    assert proc.returncode == -signal.SIGKILL
    stored_at_kill = len(raw_parquet_rows(folder / "runs"))
    assert 2 <= stored_at_kill < total, "the kill did not land in the middle of the sweep"

    resumed = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                             timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    m = re.search(r"(\d+) run\(s\) done \((\d+) failed\), (\d+) already stored", resumed.stdout)
    assert m, resumed.stdout
    done, failed, skipped = map(int, m.groups())
    assert failed == 0 and done + skipped == total and skipped >= stored_at_kill

    reference = sweep(path, tmp_path / "uninterrupted",
                      execution=Execution(workers=2, progress=False)).folder
    runs, ref = load_results(folder), load_results(reference)
    assert len(runs) == total and runs["run_id"].is_unique and (runs["status"] == "ok").all()
    assert_frame_equal(_without_duration(runs), _without_duration(ref))
    ts = load_timeseries(folder)
    assert_frame_equal(ts, load_timeseries(reference))
    assert not ts.duplicated(["run_id", "step"]).any()
    # none duplicated in the raw parts either: no failures to supersede, so one row per run
    raw = raw_parquet_rows(folder / "runs")
    assert len(raw) == total and raw["run_id"].is_unique
    assert len(raw_parquet_rows(folder / "timeseries")) == len(ts)
    parts = {p.name for p in (folder / "runs").glob("*")}
    assert parts == {p.name for p in (folder / "timeseries").glob("*")}  # no leftovers
    assert not list(folder.rglob("*.tmp"))


# --- failed runs ------------------------------------------------------------------------------


def _tiny_scenario():
    return shipped("quito_2023_2025", city={"width": 6, "height": 12, "population": 200_000},
                   run={"years": 0.1})


def _city_table(scenario) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    cells = [(r, c) for c in range(scenario.city.width) for r in range(scenario.city.height)]
    return pd.DataFrame({"row": [r for r, _ in cells], "col": [c for _, c in cells],
                         "population": rng.integers(500, 5000, len(cells)),
                         "disadvantage": rng.random(len(cells))})


def test_a_failing_run_is_recorded_and_the_others_go_on(tmp_path, cluster, monkeypatch):
    monkeypatch.setattr(execution, "BATCH_RUNS", 1)
    scenario = _tiny_scenario()
    good = _city_table(scenario)
    broken = good.drop(columns="disadvantage")
    scalars = ("safe_public_change", "cost_usd_total")
    specs = [Run(point=i, replication=0, seed=3, scenario=scenario, values={"case": i},
                 scalars=scalars, timeseries=("safe_public",),
                 city_table=broken if i == 1 else good) for i in range(3)]
    store = ResultStore(tmp_path / "out").open({"fingerprint": "failing"})
    on_cluster = Execution(scheduler=cluster, progress=False)
    report = execute(specs, store, on_cluster)
    assert (report.done, report.failed) == (3, 1)
    runs = store.runs().set_index("point")
    assert runs.loc[1, "status"] == "failed"
    assert "KeyError" in runs.loc[1, "error"] and "disadvantage" in runs.loc[1, "error"]
    assert np.isnan(runs.loc[1, list(scalars)].astype(float)).all()
    assert (runs.loc[[0, 2], "status"] == "ok").all() and (runs.loc[[0, 2], "error"] == "").all()
    assert runs.loc[[0, 2], list(scalars)].notna().all().all()
    ts = store.timeseries()
    assert set(ts["run_id"]) == {specs[0].run_id, specs[2].run_id}  # no series for a failure
    assert store.stored_status() == {specs[0].run_id: "ok", specs[1].run_id: "failed",
                                     specs[2].run_id: "ok"}

    # retried with a fixed input (same run id): the latest record wins
    fixed = Run(point=1, replication=0, seed=3, scenario=scenario, values={"case": 1},
                scalars=scalars, timeseries=("safe_public",), city_table=good)
    assert fixed.run_id == specs[1].run_id
    report = execute([fixed], store, on_cluster)
    assert (report.done, report.failed) == (1, 0)
    runs = store.runs()
    assert len(runs) == 3 and (runs["status"] == "ok").all() and runs["run_id"].is_unique
    assert len(raw_parquet_rows(store.runs_dir)) == 4  # the failure is kept, superseded
    assert set(store.stored_status().values()) == {"ok"}
    assert set(store.timeseries()["run_id"]) == {s.run_id for s in specs}


RETRY_BODY = """
[levers.committees]
target = "interventions.safety_committees.intensity"
levels = [0.1, 0.5]

[design]
kind = "full_factorial"

[outcomes]
scalars = ["safe_public_change", "cost_usd_total"]
"""


def _store_failures(path: Path, folder: Path, points: list[int], replications: int) -> list[dict]:
    """Store failed records for these design points' runs (as runs with a bad input
    would be: a barrio table without its disadvantage column) before the sweep runs."""
    loaded = load_experiment(path)
    design = make_design(loaded.variables, loaded.spec.design).to_dict("records")
    base = loaded.base.scenario
    broken = _city_table(base).drop(columns="disadvantage")
    rows = [execute_run(Run(point=p, replication=k, seed=5, scenario=base, values=design[p],
                            overrides=overrides_for(loaded, design[p]),
                            scalars=tuple(loaded.scalars), city_table=broken))[0]
            for p in points for k in range(replications)]
    assert all(row["status"] == "failed" for row in rows)
    with ResultStore(folder).open(manifest("sweep", loaded.definition(), loaded.sources)) as store:
        store.write_batch(rows)
    return rows


def test_failed_runs_are_retried_only_when_asked(tmp_path, capsys):
    """Record the sweep's runs as failed, then: a restart skips them; ``--retry-failed``
    runs them again and the new records win."""
    path = write_tiny_experiment(tmp_path / "retry.toml", RETRY_BODY, replications=1)
    folder = tmp_path / "out"
    failed_rows = _store_failures(path, folder, [0, 1], 1)

    again = sweep(path, folder, execution=SERIAL)
    assert (again.report.done, again.report.skipped) == (0, 2)
    assert (load_results(folder)["status"] == "failed").all()
    # with every run failed there is no result: one line, exit 1, no tables
    assert main(["sweep", str(path), "--out", str(folder), "--workers", "1", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "every run failed" in err[0] and "KeyError" in err[0]
    assert not (folder / "points.csv").exists()

    assert main(["sweep", str(path), "--out", str(folder), "--retry-failed", "--workers", "1",
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "2 run(s) done (0 failed), 0 already stored" in out
    runs = load_results(folder)
    assert len(runs) == 2 and (runs["status"] == "ok").all()
    assert sorted(runs["run_id"]) == sorted(r["run_id"] for r in failed_rows)
    raw = raw_parquet_rows(folder / "runs")
    assert len(raw) == 4 and sorted(raw["status"]) == ["failed", "failed", "ok", "ok"]


# --- a changed experiment file ------------------------------------------------------------------


def test_a_changed_experiment_is_refused(tiny_sweeps, tmp_path, capsys):
    folder = tmp_path / "results"
    shutil.copytree(tiny_sweeps.one.folder, folder)
    before = _snapshot(folder)
    changed = tmp_path / "tiny.toml"
    changed.write_text(tiny_sweeps.path.read_text().replace("high = 0.2", "high = 0.3"))

    with pytest.raises(ExperimentChanged) as info:
        sweep(changed, folder, execution=SERIAL)
    assert "fear_contagion" in str(info.value) and "high" in str(info.value)

    assert main(["sweep", str(changed), "--out", str(folder), "--workers", "1", "--quiet"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "uncertainties.fear_contagion.high" in lines[0] and "0.2" in lines[0] and "0.3" in lines[0]
    assert str(folder) in lines[0]
    assert "Traceback" not in captured.err
    assert _snapshot(folder) == before

    # the unchanged definition, even from another path, is the same experiment
    same = tmp_path / "same.toml"
    same.write_text(tiny_sweeps.path.read_text())
    assert sweep(same, folder, execution=SERIAL).report.skipped == tiny_sweeps.total


def test_a_changed_base_scenario_is_refused(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(f'extend = "{QUITO.as_posix()}"\nname = "mine"\n'
                    "[interventions.cero_acoso]\nintensity = 0.15\n")
    path = write_tiny_experiment(tmp_path / "exp.toml", RETRY_BODY, scenario=base)
    folder = tmp_path / "out"
    loaded = load_experiment(path)
    ResultStore(folder).open(manifest("sweep", loaded.definition(), loaded.sources)).close()
    base.write_text(base.read_text().replace("0.15", "0.25"))
    with pytest.raises(ExperimentChanged) as info:
        sweep(path, folder, execution=SERIAL)
    assert "cero_acoso.intensity" in str(info.value)


def test_points_say_which_design_points_failed(tmp_path, capsys):
    """A design point whose runs failed shows it in points.csv (failed, replications 0,
    no means); the others are analysed."""
    path = write_tiny_experiment(tmp_path / "partly.toml", RETRY_BODY, replications=2)
    folder = tmp_path / "out"
    _store_failures(path, folder, [0], 2)
    assert main(["sweep", str(path), "--out", str(folder), "--workers", "1", "--quiet"]) == 0
    assert "1 with failed runs" in capsys.readouterr().out
    points = pd.read_csv(folder / "points.csv").set_index("point")
    assert points.loc[0, "failed"] == 2 and points.loc[0, "replications"] == 0
    assert np.isnan(points.loc[0, "safe_public_change"])
    assert points.loc[1, "failed"] == 0 and points.loc[1, "replications"] == 2
    assert np.isfinite(points.loc[1, "safe_public_change"])
