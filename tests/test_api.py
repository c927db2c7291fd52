"""The public Python API (``import barrios``): what the command line does, as functions,
with the same numbers; the EMA Workbench and SALib examples of docs/api.md run as written."""

from __future__ import annotations

from datetime import date
import importlib.util
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import barrios
from barrios.cli import main
from conftest import ROOT, SCENARIOS

QUITO = SCENARIOS / "quito_2023_2025.toml"
TINY = {"years": 0.2, "scale": 500, "city": {"width": 6, "height": 12, "population": 200_000}}


def _example(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny_run():
    return barrios.run(QUITO, seed=3, replications=2, **TINY)


def test_run_returns_outcomes_series_and_panel(tiny_run):
    r = tiny_run
    assert list(r.outcomes["replication"]) == [0, 1]
    assert set(barrios.OUTCOMES) <= set(r.outcomes.columns)
    assert set(barrios.SERIES) <= set(r.timeseries.columns)
    assert {"barrio_id", "month", "incidents", *barrios.INTERVENTIONS} <= set(r.panel.columns)
    # the outcomes are the series at the start and the end
    last = r.timeseries.groupby("replication").last()
    np.testing.assert_allclose(r.outcomes["safe_public_end"], last["safe_public"])
    assert r.means()["safe_public_end"] == pytest.approx(last["safe_public"].mean())
    assert r.summary["replications"] == 2 and r.summary["seed"] == 3


def test_the_api_and_the_command_line_give_the_same_run(tiny_run, tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(f'extend = "{QUITO.as_posix()}"\nname = "quito_2023_2025"\n'
                    "[run]\nyears = 0.2\n[city]\ninhabitants_per_agent = 500\nwidth = 6\n"
                    "height = 12\npopulation = 200000\n")
    assert main(["run", str(path), "--seed", "3", "--replications", "2", "--out",
                 str(tmp_path / "out"), "--quiet"]) == 0
    assert_frame_equal(pd.read_parquet(tmp_path / "out" / "timeseries.parquet"),
                       tiny_run.timeseries)
    assert_frame_equal(pd.read_parquet(tmp_path / "out" / "barrios.parquet"), tiny_run.panel)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["outcomes"]["safe_public_end"] == tiny_run.summary["outcomes"]["safe_public_end"]


def test_a_scenario_object_and_its_changes(tiny_run):
    loaded = barrios.scenario(QUITO, **TINY)
    again = barrios.run(loaded.scenario, seed=3, replications=1)  # an object, not a path
    assert_frame_equal(again.timeseries, tiny_run.timeseries[tiny_run.timeseries["replication"] == 0])
    dark = barrios.run(QUITO, seed=3, replications=1, levers={"street_lighting.intensity": 0.0},
                       **TINY)
    # the plan lights from February 2024: moved into the tiny run's first months
    lit = barrios.run(QUITO, seed=3, replications=1,
                      levers={"street_lighting": {"intensity": 1.0, "unit_cost_usd": 1e6,
                                                  "start": date(2023, 1, 1)}}, **TINY)
    assert lit.means()["cost_usd_street_lighting"] > dark.means()["cost_usd_street_lighting"] == 0
    slow = barrios.scenario(QUITO, parameters={"memory_decay": 0.01}).scenario
    assert slow.parameters["memory_decay"] == 0.01


def test_bad_keywords_raise_bad_input_naming_them():
    with pytest.raises(barrios.BadInput, match="--scale.*inhabitants_per_agent"):
        barrios.run(QUITO, scale=0.5)
    with pytest.raises(barrios.BadInput, match="parameters.courage"):
        barrios.run(QUITO, parameters={"courage": 1.0})
    with pytest.raises(barrios.BadInput, match="interventions.street_lighting.brightness"):
        barrios.run(QUITO, levers={"street_lighting.brightness": 1.0})
    with pytest.raises(barrios.BadInput, match="outcomes"):
        barrios.ModelFunction(QUITO, outcomes=["happiness"])
    with pytest.raises(barrios.BadInput, match="courage"):
        barrios.problem(["courage"])


def test_model_function_is_reproducible_picklable_and_takes_both_kinds_of_names():
    f = barrios.ModelFunction(QUITO, outcomes=["safe_public_change", "cost_usd_total"], seed=2,
                              **TINY)
    a = f(fear_contagion=0.1, **{"patrol_units.intensity": 0.9})
    b = pickle.loads(pickle.dumps(f))(fear_contagion=0.1, patrol_units__intensity=0.9)
    assert a == b and set(a) == {"safe_public_change", "cost_usd_total"}
    cheaper = f(fear_contagion=0.1, **{"patrol_units.intensity": 0.5})
    assert cheaper["cost_usd_total"] < a["cost_usd_total"]


def test_problem_spans_the_plausible_ranges():
    problem = barrios.problem(["memory_decay", "fear_contagion"])
    assert problem["num_vars"] == 2
    assert problem["bounds"] == [list(barrios.PARAMETERS[n].plausible)
                                 for n in ("memory_decay", "fear_contagion")]


def test_the_ema_workbench_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    example = _example("ema_example")
    experiments, outcomes = example.main(scenarios=4, policies=2)
    assert len(experiments) == 8
    assert set(example.OUTCOMES) == set(outcomes)
    # the levers reached the model: each policy's row reruns to the cost EMA recorded, and
    # the two policies' levers price differently (two levers move cost, so no single one
    # orders the policies: EMA's sampler draws different levers on different Pythons)
    function = example.barrios_function()
    names = [*example.UNCERTAINTIES, *example.LEVERS]
    firsts = experiments.groupby(experiments["policy"].astype(str)).head(1)
    for index, row in firsts.iterrows():
        rerun = function(**{name: float(row[name]) for name in names})
        assert rerun["cost_usd_total"] == pytest.approx(outcomes["cost_usd_total"][index])
    costs = pd.Series(outcomes["cost_usd_total"]).groupby(experiments["policy"].astype(str))
    assert costs.mean().nunique() == 2
    assert np.isfinite(outcomes["safe_public_change"]).all()


def test_the_salib_example_runs(monkeypatch):
    monkeypatch.chdir(ROOT)
    spec = _example("salib_example").main(samples=4)
    assert spec.samples.shape == (4 * (3 + 2), 3)
    assert spec.results.shape == (20,) and np.ptp(spec.results) > 0  # the model responded
    total = spec.analysis["ST"]
    assert len(total) == 3 and np.isfinite(total).all()


def test_import_barrios_is_light():
    """``import barrios`` does not load the model's stack until a name is used."""
    code = "import sys, barrios; print('pandas' in sys.modules, 'mesa' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(ROOT), check=True).stdout.split()
    assert out == ["False", "False"]
