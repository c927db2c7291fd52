"""The ``barrios`` command line, end to end at small scale.

A tiny scenario file extends the shipped Quito plan by absolute path and shrinks the
city and the run; ``barrios run`` is called in-process (``barrios.cli.main``) and
once as a real program, whose outputs must match the in-process run with the same seed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from conftest import ROOT, SCENARIOS
from barrios.cli import main
import barrios
from experiments.scenario_files import load_scenario
from simulation.interventions import INTERVENTIONS
from simulation.outcomes import PANEL_COLUMNS as PANEL
from simulation.outcomes import REPORTERS
from simulation.parameters import PARAMETERS

BARRIOS = Path(sys.executable).with_name("barrios")
SHIPPED = sorted(SCENARIOS.glob("*.toml"))
SUMMARY_OUTCOMES = ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
                    "safe_neighbourhood_end", "victimization_12m_end",
                    "severe_violence_per_100k_end", "cost_usd_total")
PANEL_COLUMNS = ["replication", *PANEL]
RUN_ARGS = ["--seed", "3", "--replications", "2", "--quiet"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "tiny.toml"
    path.write_text(f"""extend = "{(SCENARIOS / 'quito_2023_2025.toml').as_posix()}"

[city]
inhabitants_per_agent = 1000
width = 10
height = 20

[run]
years = 0.25
burn_in_days = 30
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cli_run(tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", str(tiny), "--out", str(out), *RUN_ARGS]) == 0
    return out


def run_program(*args, cwd=None) -> subprocess.CompletedProcess:
    command = [str(BARRIOS)] if BARRIOS.exists() else [sys.executable, "-m", "barrios"]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=300)


# --- barrios run ------------------------------------------------------------------------


def test_run_writes_the_four_outputs(cli_run):
    assert {p.name for p in cli_run.iterdir()} >= {"summary.json", "timeseries.parquet",
                                                    "barrios.parquet", "perception.png"}


def test_summary_json_has_the_documented_structure(cli_run, tiny):
    summary = json.loads((cli_run / "summary.json").read_text())
    assert summary["scenario"] == "tiny"  # a name is not inherited: the file's stem
    assert summary["seed"] == 3
    assert summary["replications"] == 2
    assert summary["years"] == 0.25
    assert summary["residents"] > 0
    assert set(summary) >= {"scenario", "seed", "replications", "years", "residents",
                            "outcomes", "observed"}
    outcomes = summary["outcomes"]
    for name in SUMMARY_OUTCOMES:
        entry = outcomes[name]
        assert set(entry) == {"mean", "ci95"}, name
        lo, hi = entry["ci95"]
        assert lo <= entry["mean"] <= hi, name
    # observed figures come from the extended files
    assert summary["observed"]["safe_public_end"] == 0.50


def test_summary_means_are_the_means_of_the_replications(cli_run):
    summary = json.loads((cli_run / "summary.json").read_text())
    ts = pd.read_parquet(cli_run / "timeseries.parquet")
    last = ts.groupby("replication").last()
    first = ts.groupby("replication").first()
    o = summary["outcomes"]
    assert o["safe_public_end"]["mean"] == pytest.approx(last["safe_public"].mean())
    assert o["safe_neighbourhood_start"]["mean"] == pytest.approx(first["safe_neighbourhood"].mean())
    assert o["cost_usd_total"]["mean"] == pytest.approx(last["cost_usd"].mean())
    assert o["victimization_12m_end"]["mean"] == pytest.approx(last["victimization_12m"].mean())


def test_timeseries_has_every_step_of_both_replications(cli_run, tiny):
    scenario = barrios.scenario(tiny, seed=3, replications=2).scenario
    ts = pd.read_parquet(cli_run / "timeseries.parquet")
    assert list(ts.columns[:3]) == ["replication", "step", "date"]
    assert set(REPORTERS) <= set(ts.columns)
    assert sorted(ts["replication"].unique()) == [0, 1]
    for _, rows in ts.groupby("replication"):
        np.testing.assert_array_equal(rows["step"], np.arange(scenario.n_days + 1))
        assert rows["date"].iloc[0] == pd.Timestamp(scenario.run.start)
    # two independent replications
    a, b = (rows["safe_public"].to_numpy() for _, rows in ts.groupby("replication"))
    assert not np.array_equal(a, b)


def test_barrios_parquet_has_the_panel_columns(cli_run):
    panel = pd.read_parquet(cli_run / "barrios.parquet")
    assert list(panel.columns) == PANEL_COLUMNS
    assert sorted(panel["replication"].unique()) == [0, 1]
    per_rep = panel.groupby("replication").size()
    assert per_rep.iloc[0] == per_rep.iloc[1] == 10 * 20 * panel["month"].nunique()
    for name in INTERVENTIONS:
        assert panel[name].dtype == bool


def test_perception_png_is_a_png(cli_run):
    data = (cli_run / "perception.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 1000


def test_the_program_gives_the_same_outputs_as_main(cli_run, tiny, tmp_path):
    out = tmp_path / "out"
    result = run_program("run", tiny, "--out", out, *RUN_ARGS)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # --quiet: no summary
    for name in ("timeseries", "barrios"):
        assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"),
                           pd.read_parquet(cli_run / f"{name}.parquet"))
    assert json.loads((out / "summary.json").read_text()) == json.loads(
        (cli_run / "summary.json").read_text())


def test_years_option_changes_the_number_of_steps(tiny, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--out", str(out), "--seed", "3", "--replications", "1",
                 "--years", "0.1", "--quiet"]) == 0
    ts = pd.read_parquet(out / "timeseries.parquet")
    short = barrios.scenario(tiny, years=0.1).scenario
    full = load_scenario(tiny).scenario
    assert short.n_days < full.n_days
    assert len(ts) == short.n_days + 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["years"] == 0.1
    assert summary["replications"] == 1
    assert summary["outcomes"]["safe_public_end"]["ci95"] is None  # one replication


def test_run_prints_a_summary_unless_quiet(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--out", str(tmp_path / "o"), "--replications", "1",
                 "--years", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "Perceived safety" in out and "public spaces" in out and "neighbourhoods" in out


def test_default_output_folder_is_runs_scenario_seed(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(tiny), "--seed", "5", "--years", "0.02", "--quiet"]) == 0
    assert (tmp_path / "runs" / "tiny-5" / "summary.json").is_file()


# --- bad input -------------------------------------------------------------------------


@pytest.fixture
def bad(tmp_path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text('[run]\nyears = "three"\n', encoding="utf-8")
    return path


def test_bad_scenario_file_exits_2_with_one_line(bad, tmp_path, capsys):
    assert main(["run", str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "bad.toml" in lines[0] and "run.years" in lines[0]
    assert "expected" in lines[0] and "found" in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "o" / "summary.json").exists()


def test_bad_scenario_file_as_a_program(bad):
    result = run_program("run", bad, "--quiet", cwd=bad.parent)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: bad.toml: run.years: expected")
    assert "Traceback" not in result.stderr


def test_validate_reports_a_bad_file_with_exit_2(bad, capsys):
    assert main(["validate", str(SHIPPED[0]), str(bad)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "bad.toml" in err


def test_missing_scenario_file_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nothing.toml"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "nothing.toml" in err


def exit_status(argv) -> int:
    """Run ``main`` as the ``barrios`` script would: SystemExit gives the status, any
    other exception would be a traceback for the user."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code
    except Exception as error:  # noqa: BLE001 - a traceback is the failure we test for
        pytest.fail(f"barrios {' '.join(argv)} ends in a traceback: {error!r}")


@pytest.mark.parametrize("option, value", [
    ("--replications", "0"), ("--replications", "two"), ("--years", "0"),
    ("--years", "31"), ("--seed", "-1"),
    ("--replications", "10001"),   # the scenario schema allows at most 10,000
])
def test_bad_option_exits_2_without_traceback(tiny, tmp_path, capsys, option, value):
    status = exit_status(["run", str(tiny), option, value, "--quiet", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 2, err
    assert option.lstrip("-") in err
    assert not (tmp_path / "o" / "summary.json").exists()


# --- validate, help, params ---------------------------------------------------------------


def test_validate_every_shipped_scenario(capsys):
    assert main(["validate", *map(str, SHIPPED)]) == 0
    out = capsys.readouterr().out
    for path in SHIPPED:
        assert f"{path}: ok" in out
        assert load_scenario(path).scenario.name in out


def test_validate_as_a_program():
    result = run_program("validate", *SHIPPED)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok") == len(SHIPPED)


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    return capsys.readouterr().out


def test_help_mentions_every_command(capsys):
    text = _help(["--help"], capsys)
    for command in ("run", "validate", "params"):
        assert command in text


def test_run_help_mentions_every_option(capsys):
    text = _help(["run", "--help"], capsys)
    for option in ("scenario", "--seed", "--replications", "--years", "--out", "--quiet",
                   "--help"):
        assert option in text, option
    assert "summary.json" in text


def test_validate_and_params_help(capsys):
    assert "files" in _help(["validate", "--help"], capsys)
    assert "--markdown" in _help(["params", "--help"], capsys)


def test_help_as_a_program():
    result = run_program("--help")
    assert result.returncode == 0
    assert "run" in result.stdout and "validate" in result.stdout and "params" in result.stdout


def test_params_lists_every_parameter(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    for name, p in PARAMETERS.items():
        assert f"{name} = {p.default:g}" in out, name
        assert p.unit in out


def test_params_markdown_has_one_row_per_parameter(capsys):
    assert main(["params", "--markdown"]) == 0
    text = capsys.readouterr().out
    main_table, evidence = text.split("## Ranges from evaluation studies")
    rows = [line for line in main_table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(PARAMETERS)
    anchored = [line.split("`")[1] for line in evidence.splitlines() if line.startswith("| `")]
    assert anchored == [name for name, p in PARAMETERS.items() if p.evidence]
    assert {"lighting_perception_effect", "police_visibility_perception_effect"} <= set(anchored)


def test_the_calibration_takes_its_prior_from_the_evidence_where_there_is_one(tmp_path):
    from experiments.calibration import Prior, _prior_range

    lighting = _prior_range("lighting_perception_effect", Prior(), tmp_path / "c.toml")
    assert lighting[:2] == PARAMETERS["lighting_perception_effect"].evidence[:2]
    memory = _prior_range("memory_decay", Prior(), tmp_path / "c.toml")
    assert memory[:2] == PARAMETERS["memory_decay"].plausible


def test_a_missing_extra_is_one_line_naming_it(monkeypatch, capsys):
    """An analyst who installed only the core gets told which extra the workshop needs."""
    import sys

    monkeypatch.setitem(sys.modules, "solara", None)   # import solara raises ModuleNotFoundError
    for name in [m for m in sys.modules if m.startswith("workshop")]:
        monkeypatch.delitem(sys.modules, name)
    status = main(["app", "--port", "8799"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1, err
    assert "barrios[app]" in err and "solara" in err
