"""The result store: one call loads a sweep as a pandas DataFrame, polars and DuckDB read
the Parquet folders directly, leftovers of a kill are cleaned on open, the manifest is
written once and a different experiment is refused; and the analysis helpers (Pareto
front, PRIM, design-point means) on synthetic tables.
"""

from __future__ import annotations

import json
import warnings

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest

from conftest import raw_parquet_rows
from experiments.sweep_analysis import pareto_front, point_means, prim_box
from experiments.store import ExperimentChanged, ResultStore, load_results, load_timeseries

# --- reading a sweep's folder ------------------------------------------------------------


def test_results_load_with_one_call(tiny_sweeps):
    runs = load_results(tiny_sweeps.one.folder)
    assert isinstance(runs, pd.DataFrame) and len(runs) == tiny_sweeps.total
    assert list(runs[["point", "replication"]].itertuples(index=False, name=None)) == sorted(
        runs[["point", "replication"]].itertuples(index=False, name=None))
    ts = load_timeseries(tiny_sweeps.one.folder, columns=["run_id", "step", "safe_public"])
    assert list(ts.columns) == ["run_id", "step", "safe_public"]
    assert set(ts["run_id"]) == set(runs["run_id"])


@pytest.mark.parametrize("which", ["one", "two"])  # 3 parts and 1 part
def test_polars_and_duckdb_read_the_folders(tiny_sweeps, which):
    folder = getattr(tiny_sweeps, which).folder
    runs = load_results(folder)
    ts = load_timeseries(folder)
    by_polars = pl.read_parquet(f"{folder}/runs/*.parquet")
    n_duck = duckdb.sql(f"select count(*) from '{folder}/runs/*.parquet'").fetchall()[0][0]
    assert by_polars.height == n_duck == len(runs) == tiny_sweeps.total
    assert set(by_polars["run_id"].to_list()) == set(runs["run_id"])
    assert set(by_polars.columns) == set(runs.columns)
    mean_duck = duckdb.sql(f"select avg(cost_usd_total) from '{folder}/runs/*.parquet'").fetchall()[0][0]
    assert mean_duck == pytest.approx(runs["cost_usd_total"].mean(), rel=1e-12)
    assert pl.read_parquet(f"{folder}/timeseries/*.parquet").height == len(ts)
    assert duckdb.sql(f"select count(*) from '{folder}/timeseries/*.parquet'").fetchall()[0][0] == len(ts)
    joined = duckdb.sql(f"select count(*) from '{folder}/timeseries/*.parquet' t join "
                        f"'{folder}/runs/*.parquet' r using (run_id)").fetchall()[0][0]
    assert joined == len(ts)


# --- the store on its own ----------------------------------------------------------------------


def _rows(ids, status="ok", value=1.0):
    return [{"run_id": i, "point": n, "replication": 0, "seed": 1, "x": value,
             "status": status, "error": "" if status == "ok" else "RuntimeError: boom",
             "duration_s": 0.1} for n, i in enumerate(ids)]


def _series(ids):
    return {"timeseries": [pd.DataFrame({"run_id": i, "step": [0, 1], "y": [0.5, 0.6]})
                           for i in ids]}


MANIFEST = {"fingerprint": "abc", "created": "first", "definition": {"experiment": {"seed": 1}}}


def test_leftovers_of_a_kill_are_deleted_on_open(tmp_path):
    store = ResultStore(tmp_path).open(MANIFEST)
    store.write_batch(_rows(["a", "b"]), _series(["a", "b"]))
    # a kill after the time series of batch 2 was renamed, before its runs part
    (store.ts_dir / "part-000002.parquet").write_bytes(
        (store.ts_dir / "part-000001.parquet").read_bytes())
    # and half-written temporary files
    (store.runs_dir / "part-000003.tmp").write_bytes(b"PAR1 half")
    (store.ts_dir / "part-000003.tmp").write_bytes(b"PAR1 half")
    store.close()  # the writer is gone
    reopened = ResultStore(tmp_path).open(MANIFEST)
    assert sorted(p.name for p in reopened.ts_dir.iterdir()) == ["part-000001.parquet"]
    assert sorted(p.name for p in reopened.runs_dir.iterdir()) == ["part-000001.parquet"]
    assert reopened.next_part() == 2
    reopened.write_batch(_rows(["c"]), _series(["c"]))
    assert sorted(reopened.runs()["run_id"]) == ["a", "b", "c"]
    assert sorted(reopened.timeseries()["run_id"].unique()) == ["a", "b", "c"]
    assert len(reopened.timeseries()) == 6


def test_a_batch_is_committed_by_its_runs_part(tmp_path):
    store = ResultStore(tmp_path).open(MANIFEST)
    store.write_batch(_rows(["a"]), _series(["a"]))
    store.write_batch(_rows(["b"]))   # a batch without time series
    store.write_batch([], _series(["z"]))  # nothing to commit: nothing written
    assert sorted(p.name for p in store.runs_dir.iterdir()) == ["part-000001.parquet",
                                                                "part-000002.parquet"]
    assert sorted(p.name for p in store.ts_dir.iterdir()) == ["part-000001.parquet"]
    store.close()
    ResultStore(tmp_path).open(MANIFEST).close()  # nothing to clean
    assert set(store.timeseries()["run_id"]) == {"a"}
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_manifest_is_written_once(tmp_path):
    ResultStore(tmp_path).open(MANIFEST).close()
    first = (tmp_path / "experiment.json").read_bytes()
    store = ResultStore(tmp_path).open({**MANIFEST, "created": "second"})
    assert (tmp_path / "experiment.json").read_bytes() == first
    assert store.manifest()["created"] == "first"
    assert json.loads(first)["fingerprint"] == "abc"


def test_a_different_experiment_is_refused_and_nothing_changes(tmp_path):
    store = ResultStore(tmp_path).open(MANIFEST)
    store.write_batch(_rows(["a"]), _series(["a"]))
    (store.ts_dir / "part-000009.parquet").write_bytes(b"leftover")
    store.close()
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    other = {"fingerprint": "def", "definition": {"experiment": {"seed": 2}}}
    with pytest.raises(ExperimentChanged) as info:
        ResultStore(tmp_path).open(other)
    assert "experiment.seed: 1 -> 2" in str(info.value)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_latest_record_of_a_run_wins(tmp_path):
    store = ResultStore(tmp_path).open(MANIFEST)
    store.write_batch(_rows(["a", "b"], status="failed", value=np.nan))
    store.write_batch(_rows(["b"], status="ok", value=2.0))
    assert store.stored_status() == {"a": "failed", "b": "ok"}
    runs = store.runs().set_index("run_id")
    assert runs.loc["b", "status"] == "ok" and runs.loc["b", "x"] == 2.0
    assert runs.loc["a", "status"] == "failed"
    assert len(raw_parquet_rows(store.runs_dir)) == 3 and len(runs) == 2


def test_empty_folder_loads_as_empty_tables(tmp_path):
    ResultStore(tmp_path).open(MANIFEST)
    assert load_results(tmp_path).empty and load_timeseries(tmp_path).empty


# --- analysis ---------------------------------------------------------------------------------


def _brute_force_front(points: pd.DataFrame, cost: str, gain: str) -> set:
    c, g = points[cost].to_numpy(), points[gain].to_numpy()
    keep = set()
    for i in range(len(points)):
        dominated = ((c <= c[i]) & (g >= g[i]) & ((c < c[i]) | (g > g[i]))).any()
        if not dominated:
            keep.add(points.index[i])
    return keep


@pytest.mark.parametrize("seed", range(8))
def test_pareto_front_is_exactly_the_non_dominated_points(seed):
    rng = np.random.default_rng(seed)
    n = 200
    cost = rng.uniform(0, 100, n)
    gain = np.sqrt(cost) + rng.normal(0, 2, n)
    if seed % 2:  # ties in one coordinate at a time (no identical points)
        cost = np.round(cost / 10) * 10
        gain = gain + np.arange(n) * 1e-9
    points = pd.DataFrame({"cost": cost, "gain": gain, "lever": rng.random(n)})
    front = pareto_front(points, "cost", "gain")
    assert set(front.index) == _brute_force_front(points, "cost", "gain")
    assert front["cost"].is_monotonic_increasing and front["gain"].is_monotonic_increasing
    assert list(front.columns) == list(points.columns)


def test_pareto_front_keeps_identical_points():
    """Two identical mixes do not dominate each other (the docstring's definition:
    better in one), so both are on the front."""
    points = pd.DataFrame({"cost": [1.0, 1.0, 2.0, 3.0], "gain": [5.0, 5.0, 6.0, 6.0]})
    front = pareto_front(points, "cost", "gain")
    assert set(front.index) == _brute_force_front(points, "cost", "gain") == {0, 1, 2}


@pytest.mark.parametrize("seed", range(3))
def test_prim_recovers_the_box_and_leaves_an_irrelevant_lever_alone(seed):
    rng = np.random.default_rng(seed)
    n = 600
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "irrelevant": rng.random(n)})
    reached = ((x["a"] > 0.6) & (x["b"] < 0.4)).to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box, stats = prim_box(x, ["a", "b", "irrelevant"], reached)
    limits = box.set_index("lever")
    assert set(limits.index) == {"a", "b"}
    tolerance = 0.05  # a few points of 600 near each edge
    assert limits.loc["a", "min"] == pytest.approx(0.6, abs=tolerance)
    assert limits.loc["a", "max"] >= x["a"].max() - 1e-9
    assert limits.loc["b", "max"] == pytest.approx(0.4, abs=tolerance)
    assert limits.loc["b", "min"] <= x["b"].min() + 1e-9
    assert stats["coverage"] >= 0.8 and stats["density"] >= 0.9
    inside = ((x["a"] >= limits.loc["a", "min"]) & (x["a"] <= limits.loc["a", "max"])
              & (x["b"] >= limits.loc["b", "min"]) & (x["b"] <= limits.loc["b", "max"]))
    assert reached[inside.to_numpy()].mean() == pytest.approx(stats["density"], abs=0.02)
    assert reached[inside.to_numpy()].sum() / reached.sum() == pytest.approx(stats["coverage"], abs=0.02)


def test_prim_with_no_or_all_successes():
    x = pd.DataFrame({"a": np.linspace(0, 1, 20)})
    box, stats = prim_box(x, ["a"], np.zeros(20, bool))
    assert box.empty and stats["density"] == 0
    box, stats = prim_box(x, ["a"], np.ones(20, bool))
    assert box.empty and stats["coverage"] == 1 and stats["density"] == 1


def test_point_means_average_successful_replications():
    rng = np.random.default_rng(0)
    rows = []
    for point in range(4):
        for k in range(3):
            rows.append({"point": point, "replication": k, "lever": point / 10,
                         "y": rng.normal(point, 1), "z": rng.normal(),
                         "status": "failed" if (point, k) == (2, 1) else "ok"})
    runs = pd.DataFrame(rows).sample(frac=1, random_state=1)  # any order
    means = point_means(runs, ["lever"], ["y", "z"]).set_index("point")
    assert list(means.index) == [0, 1, 2, 3]
    for point in range(4):
        ok = [r for r in rows if r["point"] == point and r["status"] == "ok"]
        assert means.loc[point, "replications"] == len(ok)
        assert means.loc[point, "lever"] == point / 10
        assert means.loc[point, "y"] == pytest.approx(np.mean([r["y"] for r in ok]), rel=1e-12)
        assert means.loc[point, "z"] == pytest.approx(np.mean([r["z"] for r in ok]), rel=1e-12)


def test_a_runs_datasets_come_from_its_latest_record(tmp_path):
    """A retried run writes its panel again: readers see the new rows only, and a panel
    part whose runs part never landed (a kill) is ignored and then deleted."""
    store = ResultStore(tmp_path).open(MANIFEST)
    panel = lambda rid, value: pd.DataFrame({"run_id": rid, "barrio_id": [0, 1],  # noqa: E731
                                             "month": 0, "incidents": value})
    store.write_batch(_rows(["a", "b"]), {"panel": [panel("a", 1), panel("b", 2)]})
    store.write_batch(_rows(["a"]), {"panel": [panel("a", 7)], "barrios": [panel("a", 0)]})
    got = store.dataset("panel").sort_values(["run_id", "barrio_id"])
    assert got["incidents"].tolist() == [7, 7, 2, 2]
    assert store.dataset("panel", ["incidents"], run_ids=["b"])["incidents"].tolist() == [2, 2]
    (store.folder / "panel" / "part-000003.parquet").write_bytes(
        (store.folder / "panel" / "part-000002.parquet").read_bytes())
    assert len(store.dataset("panel")) == 4   # uncommitted: not read
    store.close()
    ResultStore(tmp_path).open(MANIFEST).close()
    assert not (tmp_path / "panel" / "part-000003.parquet").exists()
    with pytest.raises(ValueError, match="expected a dataset"):
        store.dataset("nothing")


def test_the_fingerprint_covers_the_models_code(tmp_path, monkeypatch):
    """Stored runs of another model version are refused, not silently reused."""
    from experiments import study
    from experiments.scenario_files import from_scenario
    from experiments.store import fingerprint
    from simulation import Scenario

    loaded = from_scenario(Scenario())
    first = study.scenario_definition(loaded)
    monkeypatch.setattr(study, "model_digest", lambda: "another-model")
    second = study.scenario_definition(loaded)
    assert first["model"] != second["model"]
    assert fingerprint(first) != fingerprint(second)
    assert len(first["model"]) == 16
