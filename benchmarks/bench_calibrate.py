"""Wall time of the joint calibration (``barrios calibrate experiments/calibrate_joint.toml``).

    python benchmarks/bench_calibrate.py [--points 8]

Measures, on this machine with its two cores:

- one design point's runs (the plan, the baseline and each evidence design on the
  calibration's city), over a small wave of ``--points`` points with 2 workers;
- fitting every emulator, their cross-validation, the not-ruled-out search over the
  candidates, and the Sobol analysis on the emulators, on the committed design's waves 3
  and up (``results/calibration/design.parquet``; 600 runs with seven waves: about the
  size of the last region the emulators are fitted to, 543) when there is one;

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


def analysis_seconds() -> dict:
    """Emulator fits, the not-ruled-out search and the Sobol analysis on the committed runs."""
    import pandas as pd

    from experiments.emulator_sensitivity import emulator_sobol
    from experiments.history_matching import load_matching
    from experiments.implausibility import fit_emulators, not_ruled_out, validation_table

    loaded = load_matching(FILE)
    data = pd.read_parquet(DESIGN).query("wave >= 3")
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
    emulator_sobol(loaded.space, data, spec.sensitivity.outputs, samples=spec.sensitivity.samples,
                   groups=spec.sensitivity.groups, restarts=spec.sensitivity.restarts)
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
    if DESIGN.exists():
        analysis = analysis_seconds()
        result.update(analysis)
        # the match refits the emulators and searches once per wave
        result["projected_total_minutes"] = runs_minutes + (
            result["waves"] * (analysis["fit_emulators"] + analysis["not_ruled_out_search"])
            + analysis["validate_emulators"] + analysis["sobol_on_emulators"]) / 60
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
