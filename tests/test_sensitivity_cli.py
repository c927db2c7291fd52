"""``barrios sensitivity`` end to end on a tiny city (6 x 12 barrios, 200,000 people, 500
per agent, a tenth of a year): outputs written, a second invocation skips stored runs,
an interrupted analysis resumes to the same indices, common random numbers, and bad
sensitivity files get one-line errors (exit 2, file and key named)."""

from __future__ import annotations

import shutil
import textwrap
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from experiments import execution
from barrios.cli import main
from experiments.execution import Execution
from experiments.runs import replication_seed
from experiments.sensitivity_report import write_outputs
from experiments.sensitivity_study import MAIN_OUTCOMES, load_sensitivity, sensitivity
from experiments.store import ResultStore

ROOT = Path(__file__).resolve().parents[1]

TINY = """
name = "sensitivity_tiny"
scenario = "tiny_scenario.toml"
seed = 5

[run]
years = 0.1

[city]
inhabitants_per_agent = 500
width = 6
height = 12
population = 200_000

[vary]
groups = []
include = ["memory_decay", "own_victimization_drop", "fear_contagion", "lighting_perception_effect"]

[morris]
trajectories = 4
replications = 2

[sobol]
samples = 4
top = 2
"""


def write_tiny(folder: Path, text: str = TINY) -> Path:
    (folder / "tiny_scenario.toml").write_text(
        f'extend = "{ROOT / "scenarios" / "quito_2023_2025.toml"}"\nname = "quito_tiny"\n'
        "[run]\nburn_in_days = 10\nstart = 2023-12-01\n")  # a year end inside 0.1 years
    path = folder / "tiny.toml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, cluster):
    folder = tmp_path_factory.mktemp("sens")
    path = write_tiny(folder)
    out = folder / "out"
    code = main(["sensitivity", str(path), "--out", str(out), "--scheduler", cluster, "--quiet"])
    return path, out, code


def test_the_cli_writes_indices_figures_and_report(tiny_run, capsys):
    path, out, code = tiny_run
    assert code == 0
    for name in ("morris_indices.csv", "morris_indices.parquet", "morris_convergence.csv",
                 "morris_by_year.csv", "noise.csv", "morris_mu_sigma.png", "sobol_indices.csv",
                 "sobol_convergence.csv", "sobol_indices.png", "report.md", "report.html"):
        assert (out / name).is_file(), name
    morris = pd.read_csv(out / "morris_indices.csv")
    assert len(morris) == 4 * len(MAIN_OUTCOMES)
    assert {"mu_star", "mu_star_conf", "sigma", "sigma_low", "sigma_high", "noise_floor",
            "influential"} <= set(morris.columns)
    sobol = pd.read_csv(out / "sobol_indices.csv")
    assert sobol["parameter"].nunique() == 2 and {"S1", "S1_conf", "ST", "ST_conf"} <= set(sobol)
    noise = pd.read_csv(out / "noise.csv")
    assert set(MAIN_OUTCOMES) <= set(noise["outcome"])
    report = (out / "report.md").read_text()
    assert "cannot pin down" in report and "replication noise" in report.lower()
    # one replication per Sobol point: the unexplained variance cites Morris's noise estimate
    sobol_lines = [line for line in report.split("## Sobol indices")[1].splitlines()
                   if line.startswith("- **")]
    assert len(sobol_lines) == len(MAIN_OUTCOMES)
    assert all("unexplained" in line and "by Morris" in line for line in sobol_lines)
    assert "<table>" in (out / "report.html").read_text()
    # runs went through the store: 4 trajectories x 5 points x 2 replications, then 4 x 4 x 1
    assert len(ResultStore(out / "morris").runs()) == 40
    assert len(ResultStore(out / "sobol").runs()) == 16


def test_a_second_invocation_skips_stored_runs(tiny_run, cluster, capsys):
    path, out, _ = tiny_run
    before = pd.read_csv(out / "morris_indices.csv")
    assert main(["sensitivity", str(path), "--out", str(out), "--scheduler", cluster, "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "morris: 0 run(s) done (0 failed), 40 already stored" in text
    assert "sobol: 0 run(s) done (0 failed), 16 already stored" in text
    pd.testing.assert_frame_equal(before, pd.read_csv(out / "morris_indices.csv"))


def test_an_interrupted_analysis_resumes_to_the_same_indices(tiny_run, cluster, tmp_path, monkeypatch):
    path, out, _ = tiny_run
    folder = tmp_path / "resumed"
    shutil.copytree(out / "morris", folder / "morris")
    parts = sorted((folder / "morris" / "runs").glob("part-*.parquet"))
    kept = len(ResultStore(folder / "morris").runs())
    if len(parts) > 1:   # as if killed before the last batches were written
        for p in parts[len(parts) // 2:]:
            p.unlink()
    else:
        p = parts[0]
        pd.read_parquet(p).iloc[:25].to_parquet(p, index=False)
    kept = len(ResultStore(folder / "morris").runs())
    assert 0 < kept < 40
    result = sensitivity(load_sensitivity(path), folder, stages="morris",
                         execution=Execution(scheduler=cluster, progress=False))
    assert result.morris.runs.report.skipped == kept
    assert result.morris.runs.report.done == 40 - kept
    write_outputs(result.loaded, result.morris, None, folder)
    pd.testing.assert_frame_equal(pd.read_csv(out / "morris_indices.csv"),
                                  pd.read_csv(folder / "morris_indices.csv"))


def test_samples_flag_grows_the_sobol_design_reusing_stored_runs(tiny_run, cluster, tmp_path, capsys):
    path, out, _ = tiny_run
    folder = tmp_path / "grown"
    shutil.copytree(out, folder)
    capsys.readouterr()
    assert main(["sensitivity", str(path), "--out", str(folder), "--scheduler", cluster,
                 "--quiet", "--samples", "8", "--trajectories", "5"]) == 0
    text = capsys.readouterr().out
    assert "morris: 10 run(s) done (0 failed), 40 already stored" in text   # 1 more trajectory x 5 points x 2
    assert "sobol: 16 run(s) done (0 failed), 16 already stored" in text    # N 4 -> 8, 4 points per N
    assert len(ResultStore(folder / "sobol").runs()) == 32
    assert len(ResultStore(folder / "morris").runs()) == 50


def test_the_report_states_the_design_as_run_after_the_flags(tiny_run, cluster, tmp_path):
    """--trajectories and --samples change the file's design: the report (here in Spanish)
    states the sizes that ran, in its text and in its settings appendix."""
    path, out, _ = tiny_run
    folder = tmp_path / "grown"
    shutil.copytree(out, folder)
    assert main(["sensitivity", str(path), "--out", str(folder), "--scheduler", cluster,
                 "--quiet", "--samples", "8", "--trajectories", "5", "--lang", "es"]) == 0
    report = (folder / "report.md").read_text()
    assert "**Tamizaje de Morris**: 5 trayectorias" in report
    assert "25 puntos de diseño" in report and "punto: 50 simulaciones" in report
    assert "N = 8 muestras base, 32 puntos" in report
    assert "82 simulaciones" in report  # 50 Morris + 32 Sobol, in the summary
    settings = tomllib.loads(report.split("```toml\n")[1].split("```")[0])
    assert settings["sensitivity"]["morris"]["trajectories"] == 5
    assert settings["sensitivity"]["sobol"]["samples"] == 8
    assert settings["scenario"]["city"]["width"] == 6 and settings["scenario"]["run"]["years"] == 0.1


@pytest.mark.parametrize("flag, value", [("--samples", "6"), ("--samples", "x"), ("--trajectories", "1")])
def test_bad_design_size_flags_get_one_line_errors(tmp_path, capsys, flag, value):
    path = write_tiny(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(["sensitivity", str(path), flag, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"{flag}: expected" in err and "Traceback" not in err, err


def test_common_random_numbers_across_design_points(tiny_run):
    _, out, _ = tiny_run
    runs = ResultStore(out / "morris").runs()
    assert runs["point"].nunique() == 20
    for k, group in runs.groupby("replication"):
        assert set(group["seed"]) == {5}   # replication k of every point: replication_seed(5, k)
    assert replication_seed(5, 1).spawn_key == (1,)
    assert execution.BATCH_RUNS >= 1


BAD = [
    ("vary.include[0]", 'include = ["memory_decay"]', 'include = ["no_such_parameter"]',
     "expected a parameter listed by `barrios params`"),
    ("sobol.samples", "samples = 4", "samples = 6", "expected a power of two"),
    ("morris.trajectories", "trajectories = 4", "trajectories = 1", "expected"),
    ("vary.ranges.memory_decay", "[morris]",
     "[vary.ranges.memory_decay]\nlow = 0.5\nhigh = 0.1\n[morris]", "expected low < high"),
    ("vary.groups[0]", "groups = []", 'groups = ["astrology"]', "expected one of"),
    ("colour", 'name = "sensitivity_tiny"', 'name = "sensitivity_tiny"\ncolour = "red"', "unknown key"),
    ("outcomes[0]", "seed = 5", 'seed = 5\noutcomes = ["happiness"]', "expected one of"),
    ("city.widht", "width = 6", "widht = 6", "unknown key; expected one of population"),
    ("sobol.city.height", "top = 2", "top = 2\n[sobol.city]\nheight = 1", "expected an integer"),
    ("parameters.memory_decay", "[morris]", "[parameters]\nmemory_decay = 3.0\n[morris]",
     "expected a number in [0, 1]"),
]


@pytest.mark.parametrize("key, old, new, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_sensitivity_files_get_one_line_errors(tmp_path, capsys, key, old, new, expected):
    text = TINY.replace('include = ["memory_decay", "own_victimization_drop", "fear_contagion", '
                        '"lighting_perception_effect"]', 'include = ["memory_decay"]')
    assert old in text
    path = write_tiny(tmp_path, text.replace(old, new, 1))
    assert main(["sensitivity", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"error: {path}") or err.startswith("error: ") and "tiny.toml" in err, err
    assert f": {key}: " in err and expected in err, err


def test_the_shipped_quito_file_validates():
    loaded = load_sensitivity(ROOT / "experiments" / "sensitivity_quito.toml")
    assert len(loaded.names) >= 70 and "safe_threshold" not in loaded.names
    assert loaded.morris_scenario.city.width == 10 and loaded.morris_scenario.city.height == 30
    assert loaded.sobol_scenario.city.height == 15
