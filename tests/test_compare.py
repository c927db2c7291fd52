"""``compare`` on tiny scenarios: common random numbers make a renamed copy of the baseline
differ from it by exactly 0; means, intervals and paired differences follow from the stored
runs; the outputs exist and name every scenario; a re-run skips stored runs and more
replications later reuse them (through the CLI).
"""

from __future__ import annotations

import math
import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy import stats

from conftest import SCENARIOS, raw_parquet_rows
from barrios.cli import main
from experiments.compare import GROUP_OUTCOMES, OUTCOMES, compare
from experiments.execution import Execution
from experiments.statistics import ratio_of_means, t_interval
from experiments.compare_report import terminal_text, write_outputs
from experiments.store import load_results

CITY = "[city]\nwidth = 6\nheight = 12\npopulation = 200000\n"
NAMES = ["base_tiny", "base_copy", "plan_tiny"]
OPTIONS = {"seed": 4, "years": 0.1, "scale": 500.0}
TWO = Execution(workers=2, progress=False)
CLI_OPTIONS = ["--seed", "4", "--years", "0.1", "--scale", "500"]
OUTPUT_FILES = ["comparison.csv", "comparison.parquet", "groups.csv", "comparison.png",
                "cost_gain.png", "report.md", "report.html"]


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    files = []
    for name, parent in zip(NAMES, ["baseline_2023", "baseline_2023", "quito_2023_2025"]):
        path = folder / f"{name}.toml"
        path.write_text(f'extend = "{(SCENARIOS / f"{parent}.toml").as_posix()}"\n'
                        f'name = "{name}"\n\n{CITY}', encoding="utf-8")
        files.append(path)
    return files


@pytest.fixture(scope="module")
def compared(scenario_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "out"
    result = compare(scenario_files, replications=3, out=out, execution=TWO, **OPTIONS)
    files = write_outputs(result)
    return result, files


def _runs(folder) -> dict[str, pd.DataFrame]:
    runs = load_results(folder)
    return {n: runs[runs["scenario"] == n].set_index("replication").sort_index() for n in NAMES}


def test_every_scenario_runs_on_the_same_seeds(compared):
    result, _ = compared
    assert (result.report.done, result.report.failed, result.report.skipped) == (9, 0, 0)
    runs = load_results(result.folder)
    assert len(runs) == 9 and (runs["status"] == "ok").all() and runs["run_id"].is_unique
    assert sorted(runs["scenario"].unique()) == sorted(NAMES)
    for name in NAMES:
        assert sorted(runs.loc[runs["scenario"] == name, "replication"]) == [0, 1, 2]
    assert (runs["seed"] == 4).all()


def test_a_renamed_copy_differs_from_the_baseline_by_exactly_zero(compared):
    result, _ = compared
    by = _runs(result.folder)
    outcomes = [*OUTCOMES, *GROUP_OUTCOMES, "safe_public_end", "safe_neighbourhood_end"]
    assert_frame_equal(by["base_tiny"][outcomes], by["base_copy"][outcomes])
    table = result.table.set_index(["scenario", "outcome"])
    for outcome in OUTCOMES:
        row = table.loc[("base_copy", outcome)]
        assert (row["diff_mean"], row["diff_low"], row["diff_high"]) == (0.0, 0.0, 0.0), outcome
    # and the replications are not copies of each other
    assert by["base_tiny"]["safe_public_change"].nunique() == 3


def test_means_intervals_and_paired_differences_follow_from_the_runs(compared):
    result, _ = compared
    by = _runs(result.folder)
    table = result.table.set_index(["scenario", "outcome"])
    t = stats.t.ppf(0.975, 2)
    for name in NAMES:
        for outcome in OUTCOMES:
            x = by[name][outcome].to_numpy(float)
            row = table.loc[(name, outcome)]
            assert row["replications"] == 3
            half = t * x.std(ddof=1) / math.sqrt(3)
            assert row["mean"] == pytest.approx(x.mean(), rel=1e-9, abs=1e-12)
            assert row["ci_low"] == pytest.approx(x.mean() - half, rel=1e-9, abs=1e-12)
            assert row["ci_high"] == pytest.approx(x.mean() + half, rel=1e-9, abs=1e-12)
            d = x - by["base_tiny"][outcome].to_numpy(float)
            d_half = t * d.std(ddof=1) / math.sqrt(3)
            assert row["diff_mean"] == pytest.approx(d.mean(), rel=1e-9, abs=1e-12)
            assert row["diff_low"] == pytest.approx(d.mean() - d_half, rel=1e-9, abs=1e-12)
    # the base's differences against itself are 0 by definition
    for outcome in OUTCOMES:
        row = table.loc[("base_tiny", outcome)]
        assert (row["diff_mean"], row["diff_low"], row["diff_high"]) == (0.0, 0.0, 0.0)


def test_cost_per_point(compared):
    result, _ = compared
    by = _runs(result.folder)
    table = result.table.set_index(["scenario", "outcome"])
    for name in NAMES:
        for measure in ("safe_public", "safe_neighbourhood"):
            gain = by[name][f"{measure}_change"].to_numpy(float)
            row = table.loc[(name, f"usd_per_pp_{measure}")]
            if gain.mean() > 0:
                expected = by[name]["cost_usd_total"].mean() / (100 * gain.mean())
                assert row["mean"] == pytest.approx(expected, rel=1e-9)
                assert row["ci_low"] <= row["mean"] * (1 + 1e-9) or math.isnan(row["ci_low"])
            else:
                assert math.isnan(row["mean"])
    rng = np.random.default_rng(0)
    mean, low, high = ratio_of_means(np.full(20, 2e6), np.full(20, 4.0), rng)
    assert (mean, low, high) == pytest.approx((5e5, 5e5, 5e5))
    assert all(map(math.isnan, ratio_of_means(np.full(5, 1e6), np.full(5, -1.0), rng)))
    spread = rng.normal(0.05, 0.01, 200)
    mean, low, high = ratio_of_means(np.full(200, 1e6), 100 * spread, rng)
    assert low < mean < high and mean == pytest.approx(1e6 / (100 * spread.mean()))


def test_t_interval():
    x = np.array([1.0, 2.0, 4.0, np.nan])
    mean, low, high = t_interval(x)
    half = stats.t.ppf(0.975, 2) * np.std([1, 2, 4], ddof=1) / math.sqrt(3)
    assert (mean, low, high) == pytest.approx((7 / 3, 7 / 3 - half, 7 / 3 + half))
    assert t_interval(np.array([3.0]))[0] == 3.0 and math.isnan(t_interval(np.array([3.0]))[1])
    # coverage: about 95% of intervals from normal samples contain the mean
    rng = np.random.default_rng(1)
    hits = sum(lo <= 0 <= hi for _, lo, hi in (t_interval(rng.normal(0, 1, 5)) for _ in range(2000)))
    assert abs(hits / 2000 - 0.95) < 4 * math.sqrt(0.95 * 0.05 / 2000)


def test_groups_table(compared):
    result, _ = compared
    by = _runs(result.folder)
    groups = result.groups.set_index(["scenario", "measure", "group"])
    assert len(groups) == 3 * 2 * 4
    for (name, measure, group), row in groups.iterrows():
        x = by[name][f"safe_{measure}_{group}_end"]
        assert row["mean"] == pytest.approx(x.mean(), rel=1e-12)
        assert 0 <= row["mean"] <= 1


def test_outputs_exist_and_name_every_scenario(compared):
    result, files = compared
    assert [f.name for f in files] == OUTPUT_FILES
    folder = result.folder
    for name in OUTPUT_FILES:
        assert (folder / name).stat().st_size > 0, name
    assert (folder / "comparison.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv(folder / "comparison.csv")
    assert_frame_equal(csv, result.table, check_dtype=False)
    assert_frame_equal(pd.read_parquet(folder / "comparison.parquet"), result.table)
    assert set(pd.read_csv(folder / "groups.csv")["scenario"]) == set(NAMES)
    for report in ("report.md", "report.html"):
        text = (folder / report).read_text()
        for name in NAMES:
            assert name in text, (report, name)
    assert "comparison.png" in (folder / "report.md").read_text()
    # the reports state the comparison's own replications and seed, not each file's
    md = (folder / "report.md").read_text()
    assert "ran 3 times" in md and f"(seed {OPTIONS['seed']})" in md
    assert "**base_copy** has the reference's programmes and parameters." in md
    assert md.count("seed = 4\nreplications = 3\n") == len(NAMES)  # the appendix, as run
    assert (folder / "report.html").read_text().lstrip().lower().startswith("<!doctype html>")
    text = terminal_text(result)
    assert all(name in text for name in NAMES)


def test_rerun_skips_stored_runs(compared, scenario_files, tmp_path):
    result, _ = compared
    folder = tmp_path / "copy"
    shutil.copytree(result.folder, folder)
    again = compare(scenario_files, replications=3, out=folder, execution=TWO, **OPTIONS)
    assert (again.report.done, again.report.skipped) == (0, 9)
    assert_frame_equal(again.table, result.table)
    assert len(raw_parquet_rows(folder / "runs")) == 9


def test_api_and_cli_share_a_folder_whatever_the_number_type(compared, scenario_files, tmp_path):
    """``scale=500`` from Python and ``--scale 500`` from the CLI are the same
    comparison: the folder made with one is reused by the other, not refused as changed."""
    result, _ = compared
    folder = tmp_path / "copy"
    shutil.copytree(result.folder, folder)
    again = compare(scenario_files, replications=3, out=folder, execution=TWO,
                    seed=4, years=0.1, scale=500)
    assert (again.report.done, again.report.skipped) == (0, 9)


def test_cli_compare_with_more_replications_reuses_stored_ones(compared, scenario_files, tmp_path,
                                                               capsys):
    result, _ = compared
    folder = tmp_path / "copy"
    shutil.copytree(result.folder, folder)
    for name in OUTPUT_FILES:
        (folder / name).unlink()
    before = load_results(folder)
    code = main(["compare", *map(str, scenario_files), "--replications", "4", *CLI_OPTIONS,
                 "--out", str(folder), "--workers", "2", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "3 run(s) done (0 failed), 9 already stored" in captured.out
    assert all(name in captured.out for name in NAMES)
    after = load_results(folder)
    assert len(after) == 12 and after["run_id"].is_unique
    assert len(raw_parquet_rows(folder / "runs")) == 12
    # the first three replications are the stored records, untouched (same durations too)
    assert_frame_equal(after[after["replication"] < 3].reset_index(drop=True), before)
    for name in OUTPUT_FILES:
        assert (folder / name).exists(), name
    # the report states the settings the runs used: the flags', not the files' (3 years,
    # 1 agent per 100 inhabitants), in the sentence and in the appendix
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "simulated for 0.1 years from January 1, 2023" in md and "3 years" not in md
    assert "for every 500 inhabitants (400 agents)" in md and "every 100 inhabitants" not in md
    assert "ran 4 times" in md and "(seed 4)" in md
    for toml in re.findall(r"```toml\n(.*?)```", md, flags=re.DOTALL):
        document = tomllib.loads(toml)
        assert (document["run"]["years"], document["city"]["inhabitants_per_agent"]) == (0.1, 500)
        assert (document["run"]["seed"], document["run"]["replications"]) == (4, 4)
    assert "--replications 4 --seed 4 --years 0.1 --scale 500" in md
    table = pd.read_csv(folder / "comparison.csv")
    assert (table["replications"] == 4).all()
    copy = table[table["scenario"] == "base_copy"]
    assert (copy.loc[copy["outcome"].isin(list(OUTCOMES)), ["diff_mean", "diff_low", "diff_high"]] == 0).all().all()
    # --lang es: the same runs (none new), reported in Spanish
    code = main(["compare", *map(str, scenario_files), "--replications", "4", *CLI_OPTIONS,
                 "--out", str(folder), "--quiet", "--lang", "es"])
    captured = capsys.readouterr()
    assert code == 0 and "0 run(s) done (0 failed), 12 already stored" in captured.out
    assert "Diferencia frente a base_tiny" in captured.out
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert "se simuló durante 0,1 años" in md and "--lang es" in md


def test_scenarios_with_the_same_name_are_not_mixed(tmp_path, capsys):
    """Two different files that both default to the name ``same`` (their file name): either
    refused with one line (exit 2), or both compared with their own runs — never one
    scenario's runs silently replacing the other's."""
    files = []
    for folder, extra in [("a", ""), ("b", "[interventions.cero_acoso]\nintensity = 0.3\n"
                                           "unit_cost_usd = 20000\n")]:
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "same.toml"
        path.write_text(f'extend = "{(SCENARIOS / "baseline_2023.toml").as_posix()}"\n{extra}{CITY}')
        files.append(str(path))
    out = tmp_path / "out"
    try:
        code = main(["compare", *files, "--replications", "2", "--years", "0.1", "--scale", "500",
                     "--out", str(out), "--workers", "2", "--quiet"])
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"traceback instead of a result or a one-line error: {exc!r}")
    captured = capsys.readouterr()
    if code == 2:
        lines = captured.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "same" in lines[0]
    else:
        assert code == 0
        raw = raw_parquet_rows(out / "runs")
        assert len(raw) == 4 and raw["run_id"].is_unique
