"""Calibration (``barrios calibrate``) end to end on a tiny configuration.

A 6 x 12-barrio city of 200,000 people at 500 inhabitants per agent, 0.1 years, 10
particles: each simulation takes a fraction of a second. The first invocation is
stopped after one generation (``max_generations = 1``); the second, with two, must
continue from the SQLite history (same run id, the first generation untouched) rather
than start over. Bad calibration files get one-line errors naming the file and the key.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from conftest import SCENARIOS
from experiments.calibration import load_calibration
from barrios.cli import main
from experiments.scenario_files import load_scenario

TINY = f"""
name = "tiny"
scenario = "{(SCENARIOS / 'quito_2023_2025.toml').as_posix()}"
seed = 5
results = "results"
write_scenario = "calibrated.toml"

[run]
years = 0.1

[city]
inhabitants_per_agent = 500
width = 6
height = 12
population = 200_000

[survey]
observed_sample_size = 1200

[targets]
safe_public_start = {{ observed = 0.41 }}
safe_neighbourhood_start = {{ observed = 0.51 }}
severe_violence_per_100k = {{ observed = 8.0, sd = 1.0 }}

[priors.safe_public_baseline]
[priors.safe_neighbourhood_baseline]
[priors.severe_share]
distribution = "loguniform"

[abc]
population_size = 10
max_generations = GENERATIONS
max_simulations = 1000
max_walltime_minutes = 5
min_epsilon = 0

[predictive]
draws = 3
every_days = 10
"""


def _write(folder, generations: int):
    path = folder / "tiny.toml"
    path.write_text(TINY.replace("GENERATIONS", str(generations)), encoding="utf-8")
    return path


def _populations(out):
    import pyabc

    history = pyabc.History(f"sqlite:///{out / 'history.db'}")
    pops = history.get_all_populations()
    return history.id, pops[pops["t"] >= 0].reset_index(drop=True)


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calibration")
    out = folder / "out"
    path = _write(folder, 1)
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "1", "--quiet",
                 "--no-predictive"]) == 0
    first = _populations(out)
    path = _write(folder, 2)   # the same calibration, allowed one generation more
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    return folder, out, first, _populations(out)


def test_second_invocation_continues_from_the_history(calibrated):
    _, out, (id1, pops1), (id2, pops2) = calibrated
    assert len(pops1) == 1 and len(pops2) == 2
    assert id1 == id2
    pd.testing.assert_frame_equal(pops1.iloc[:1], pops2.iloc[:1])  # generation 0 kept as it was
    assert pops2["epsilon"].iloc[1] <= pops2["epsilon"].iloc[0]
    runtime = json.loads((out / "runtime.json").read_text())
    assert len(runtime["invocations"]) == 2


def test_outputs_table_figures_and_scenario(calibrated):
    folder, out, _, _ = calibrated
    results = folder / "results"
    for name in ("posterior_marginals.png", "posterior_pairs.png", "posterior_predictive.png",
                 "parameters.csv", "parameters.md", "summary.json"):
        assert (results / name).stat().st_size > 0, name
    table = pd.read_csv(results / "parameters.csv")
    assert list(table["parameter"]) == ["safe_public_baseline", "safe_neighbourhood_baseline",
                                        "severe_share"]
    assert (table["prior_low"] <= table["ci90_low"]).all()
    assert (table["ci90_low"] <= table["posterior_median"]).all()
    assert (table["posterior_median"] <= table["ci90_high"]).all()
    assert (table["ci90_high"] <= table["prior_high"]).all()
    summary = json.loads((results / "summary.json").read_text())
    assert summary["generations"] == 2 and summary["population_size"] == 10
    assert 1 <= summary["effective_sample_size"] <= 10
    assert summary["predictive"]["draws"] == 3
    # The calibrated scenario validates, and a scenario extending it gets its values
    # but not its name.
    text = (folder / "calibrated.toml").read_text()
    for word in ("tiny.toml", "Seed 5", "population size 10", "2 generations", "final epsilon"):
        assert word in text
    child = folder / "child.toml"
    child.write_text('extend = "calibrated.toml"\n', encoding="utf-8")
    loaded = load_scenario(child)
    assert loaded.scenario.name == "child"
    assert loaded.scenario.parameters["safe_public_baseline"] == pytest.approx(
        table["posterior_median"][0], rel=1e-3)


def test_finished_calibration_is_not_run_again(calibrated):
    folder, out, _, (_, pops) = calibrated
    assert main(["calibrate", str(folder / "tiny.toml"), "--out", str(out), "--workers", "1",
                 "--quiet", "--no-predictive"]) == 0
    assert len(_populations(out)[1]) == len(pops)


BAD = [
    ('[priors.no_such_parameter]', "priors.no_such_parameter"),
    ('[priors.fear_contagion]\nlow = 0.2\nhigh = 0.1', "priors.fear_contagion"),
    ('[priors.fear_contagion]\nshape = 2', "priors.fear_contagion.shape"),
    # the bounds of the parameter (not only its plausible range) hold for priors
    ('[priors.fear_contagion]\nlow = -0.5\nhigh = 0.1', "priors.fear_contagion"),
    ('[priors.fear_contagion]\nlow = 0.1\nhigh = 1.5', "priors.fear_contagion"),
    ('[targets.crime_rate]\nobserved = 3.0', "targets.crime_rate"),
    ('[targets.safe_public_end]\nobserved = 50', "targets.safe_public_end.observed"),
    ('[abc]\npopulation_size = 0', "abc.population_size"),
    ('[abc]\nwall_time = 3', "abc.wall_time"),
    ('[abc]\ntransition = "gaussian"', "abc.transition"),
]


@pytest.mark.parametrize("extra, key", BAD)
def test_bad_calibration_files_get_one_line_errors(tmp_path, capsys, extra, key):
    text = TINY.replace("GENERATIONS", "1")
    table = extra.split("\n", 1)[0]
    if table in text:  # replace the table the case redefines
        start = text.index(table)
        end = text.find("\n[", start + 1)
        text = text[:start] + text[end + 1:]
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n" + extra + "\n", encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "bad.toml" in err and key in err


def test_missing_sd_and_bad_scenario_are_named(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(TINY.replace("GENERATIONS", "1").replace(", sd = 1.0", ""), encoding="utf-8")
    assert main(["calibrate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "bad.toml" in err and "targets.severe_violence_per_100k.sd" in err
    path.write_text(TINY.replace("GENERATIONS", "1").replace("population = 200_000",
                                                            "population = -5"), encoding="utf-8")
    assert main(["calibrate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "city.population" in err


def test_shipped_calibration_files_validate():
    for name in ("calibrate_quito.toml", "calibrate_quito_holdout.toml"):
        loaded = load_calibration(SCENARIOS.parent / "experiments" / name)
        assert loaded.scenario.city.width == 10 and loaded.n_observed == 1200
    holdout = load_calibration(SCENARIOS.parent / "experiments" / "calibrate_quito_holdout.toml")
    assert "safe_neighbourhood_end" not in holdout.spec.targets


def test_outputs_only_needs_a_stored_history(tmp_path, capsys):
    path = _write(tmp_path, 1)
    assert main(["calibrate", str(path), "--out", str(tmp_path / "empty"), "--outputs-only"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "tiny.toml" in err and "history" in err
