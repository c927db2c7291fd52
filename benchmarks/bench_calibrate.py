"""Wall time of the joint calibration (``barrios calibrate experiments/calibrate_joint.toml``).

    python benchmarks/bench_calibrate.py [--points 8]

Measures, on this machine with its two cores:

- one design point's runs (the plan, the baseline and each evidence design on the
  calibration's city), over a small wave of ``--points`` points with 2 workers;
- one point of the sensitivity design (the plan and the baseline, ``[sensitivity]
  replications`` times each), over ``--points`` points with 2 workers;
- fitting every emulator, their cross-validation, the not-ruled-out search over the
  candidates, on the committed design's waves 3 and up
  (``results/calibration/design.parquet``; 600 runs with seven waves: about the size of
  the last region the emulators are fitted to, 543) when there is one, and the Sobol
  analysis on emulators fitted to as many of its rows as the sensitivity design has
  points (what a fit costs depends on how many rows, not which);

and projects the whole calibration (waves x points) from them. Printed and written to
benchmarks/results/bench_calibrate.json, beside the CPU yardstick.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILE = ROOT / "experiments" / "calibrate_joint.toml"
DESIGN = ROOT / "results" / "calibration" / "design.parquet"


def wave_seconds(points: int) -> float:
    """Seconds per design point: one wave of ``points`` points, stored in a fresh folder."""
    from experiments.execution import Execution, dask_client
    from experiments.history_matching import _run_wave, load_matching

    loaded = load_matching(FILE)
    x = loaded.space.latin_hypercube(points, seed=99)
    with tempfile.TemporaryDirectory() as folder, dask_client(None, 2) as client:
        start = time.perf_counter()
        _run_wave(loaded, Path(folder), 1, x, Execution(workers=2, progress=False), client)
        return (time.perf_counter() - start) / points


def sensitivity_seconds(points: int) -> float:
    """Seconds per point of the sensitivity design, over ``points`` points of the prior box."""
    from experiments.execution import Execution, dask_client, execute_design
    from experiments.history_matching import RUN_OUTPUTS, load_matching
    from experiments.sensitivity_design import design_runs
    from experiments.study import open_store

    loaded = load_matching(FILE)
    config = loaded.spec.sensitivity
    runs = design_runs(loaded.space, loaded.base, loaded.baseline, points, config.replications,
                       seed=99, outputs=RUN_OUTPUTS)
    with tempfile.TemporaryDirectory() as folder, dask_client(None, 2) as client:
        start = time.perf_counter()
        with open_store(Path(folder), "bench", {"points": points}, []) as store:
            execute_design(runs, store, Execution(workers=2, progress=False), client)
        return (time.perf_counter() - start) / points


def analysis_seconds() -> dict:
    """Emulator fits, the not-ruled-out search and the Sobol analysis on the committed runs."""
    import pandas as pd

    from experiments.emulator_sensitivity import emulator_sobol
    from experiments.history_matching import load_matching
    from experiments.implausibility import fit_emulators, not_ruled_out, validation_table

    loaded = load_matching(FILE)
    design = pd.read_parquet(DESIGN)
    data = design.query("wave >= 3")
    spec = loaded.spec
    out = {"design_points": len(data), "refits": spec.matching.refits}
    start = time.perf_counter()
    emulators = fit_emulators(loaded, data)
    out["fit_emulators"] = time.perf_counter() - start
    start = time.perf_counter()
    validation_table(loaded, data)
    out["validate_emulators"] = time.perf_counter() - start
    start = time.perf_counter()
    not_ruled_out(loaded, [emulators], loaded.space.latin_hypercube(spec.matching.candidates, 1))
    out["not_ruled_out_search"] = time.perf_counter() - start
    start = time.perf_counter()
    config = spec.sensitivity
    fitted = design.head(config.points) if config.points else data
    out["sobol_fitted_rows"] = len(fitted)
    emulator_sobol(loaded.space, fitted, config.outputs, samples=config.samples,
                   groups=config.groups, restarts=config.restarts)
    out["sobol_on_emulators"] = time.perf_counter() - start
    return out


def main() -> int:
    from timing import RESULTS, YARDSTICK

    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=8)
    args = parser.parse_args()
    spec = tomllib.loads(FILE.read_text())
    per_point = wave_seconds(args.points)
    result = {"seconds_per_design_point": per_point,
              "waves": spec["matching"]["waves"], "points_per_wave": spec["matching"]["points"]}
    runs_minutes = per_point * result["waves"] * result["points_per_wave"] / 60
    result["projected_run_minutes"] = runs_minutes
    print(json.dumps(result), flush=True)  # the runs' figure, before the longer analysis
    sensitivity = spec.get("sensitivity", {})
    if sensitivity.get("points"):
        result["sensitivity_seconds_per_point"] = sensitivity_seconds(args.points)
        result["projected_sensitivity_run_minutes"] = (
            result["sensitivity_seconds_per_point"] * sensitivity["points"] / 60)
        print(json.dumps(result), flush=True)
    if DESIGN.exists():
        analysis = analysis_seconds()
        result.update(analysis)
        # the match refits the emulators and searches once per wave
        result["projected_total_minutes"] = runs_minutes + (
            result["waves"] * (analysis["fit_emulators"] + analysis["not_ruled_out_search"])
            + analysis["validate_emulators"] + analysis["sobol_on_emulators"]) / 60 \
            + result.get("projected_sensitivity_run_minutes", 0.0)
    start = time.perf_counter()
    exec(YARDSTICK)  # noqa: S102 - the fixed loop every benchmark reports beside its figures
    result["yardstick_seconds"] = time.perf_counter() - start
    result["date"] = time.strftime("%Y-%m-%d %H:%M")
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench_calibrate.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
