"""The calibration's sensitivity design: its runs sit in the box, pair the plan with the
baseline on the same streams, and its outputs are each point's means."""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.emulator import Space
from experiments.scenario_files import load_scenario
from experiments.sensitivity_design import design_outputs, design_runs
from conftest import SCENARIOS

BOX = Space(["fear_contagion", "severe_share"], np.array([0.02, 1e-4]), np.array([0.14, 1e-3]),
            np.array([False, True]))


def test_the_design_runs_plan_and_baseline_on_shared_streams_inside_the_box():
    plan = load_scenario(SCENARIOS / "quito_2023_2025.toml")
    baseline = load_scenario(SCENARIOS / "baseline_2023.toml")
    runs = design_runs(BOX, plan, baseline, points=5, replications=3, seed=77,
                       outputs=("safe_public_change",))
    assert len(runs) == 5 * 3 * 2
    x = np.array([[r.values[n] for n in BOX.names] for r in runs])
    assert ((x >= BOX.low) & (x <= BOX.high)).all()
    assert len({tuple(row) for row in x}) == 5
    # each (point, replication) has one plan and one baseline run on the same stream
    pairs = pd.DataFrame([{"point": r.point, "replication": r.replication,
                           "target": r.values["target"], "scenario": r.scenario.name}
                          for r in runs])
    targets = pairs.groupby(["point", "replication"])["target"].agg(lambda t: tuple(sorted(t)))
    assert (targets == ("baseline", "scenario")).all() and len(targets) == 15
    # streams are distinct across points and replications: no two points share luck
    assert pairs["replication"].nunique() == 15 and pairs["replication"].max() == 14
    assert {r.seed for r in runs} == {77}
    assert runs[0].overrides == {f"parameters.{n}": runs[0].values[n] for n in BOX.names}


def test_the_design_outputs_are_point_means_and_paired_differences():
    rows = []
    for point, (plan_rise, base_rise) in enumerate([(0.10, 0.02), (0.06, 0.01)]):
        for k, noise in enumerate((-0.01, 0.01)):
            for target, rise in (("scenario", plan_rise), ("baseline", base_rise)):
                rows.append({"point": point, "replication": 2 * point + k, "target": target,
                             "status": "ok", "fear_contagion": 0.05 + point,
                             "severe_share": 1e-4, "safe_public_change": rise + noise,
                             "safe_neighbourhood_change": rise / 2 + noise})
    rows.append({**rows[0], "status": "failed", "safe_public_change": np.nan})
    table = design_outputs(pd.DataFrame(rows), BOX.names,
                           ("safe_public_change", "safe_neighbourhood_change"))
    assert list(table["point"]) == [0, 1] and list(table["replications"]) == [2, 2]
    assert np.allclose(table["safe_public_change"], [0.10, 0.06])
    assert np.allclose(table["plan_minus_baseline_safe_public_change"], [0.08, 0.05])
    assert np.allclose(table["plan_minus_baseline_safe_neighbourhood_change"], [0.04, 0.025])
    assert np.allclose(table["fear_contagion"], [0.05, 1.05])


def test_the_report_says_what_the_sobol_emulators_were_fitted_to():
    from experiments.history_matching_report import _fitted_to, strings
    from experiments.reporting import translator

    t = translator(strings, "en")
    design = pd.DataFrame({"runs": [300], "runs_in_box": [300], "design_points": [300],
                           "design_replications": [2]})
    assert _fitted_to(design, t, "en") == (
        "a design of their own: 300 parameter sets drawn in the box (a Latin hypercube), "
        "each run 2 times, the plan and the baseline on the same streams (1,200 runs), "
        "each set's mean")
    region = design.assign(design_points=0, runs=543, runs_in_box=61)
    assert _fitted_to(region, t, "en") == \
        "the 543 runs of the last region (61 of them inside the box)"
    older = region.drop(columns=["runs_in_box", "design_points", "design_replications"])
    assert _fitted_to(older, t, "en") == "the 543 runs inside it"
    assert "1.200 corridas" in _fitted_to(design, translator(strings, "es"), "es")
