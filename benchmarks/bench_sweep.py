"""Speed and memory of the experiment runner (``barrios sweep``).

    python benchmarks/bench_sweep.py speedup    # 1 vs 2 workers, default-scale runs
    python benchmarks/bench_sweep.py overhead   # runner time per run beyond the simulation
    python benchmarks/bench_sweep.py memory     # driver peak memory, 100 vs 2,000 runs
    python benchmarks/bench_sweep.py sensitivity  # projected wall time of Morris and Sobol (N = 512, 1024)
    python benchmarks/bench_sweep.py all

Each measurement runs in a fresh process (the driver's max RSS is its own; Dask worker
processes are not counted, the scheduler running in the driver is). Results are printed
and written to benchmarks/results/bench_sweep.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUITO = ROOT / "scenarios" / "quito_2023_2025.toml"


def experiment_file(folder: Path, points: int, replications: int, scale_block: str) -> Path:
    path = folder / "bench.toml"
    path.write_text(f"""
name = "bench"
scenario = "{QUITO}"
seed = 1
replications = {replications}
{scale_block}
[levers.lighting]
target = "interventions.street_lighting.intensity"
low = 0.0
high = 0.6
[design]
kind = "latin_hypercube"
samples = {points}
""")
    return path


DEFAULT_SCALE = "[run]\nyears = 3\n"                       # a default-scale Quito run
QUARTER = "[run]\nyears = 3\n[city]\nwidth = 10\nheight = 30\npopulation = 700000\n"   # Morris's city
EIGHTH = "[run]\nyears = 3\n[city]\nwidth = 10\nheight = 15\npopulation = 350000\n"    # Sobol's city
SCALES = {"default": DEFAULT_SCALE, "quarter": QUARTER, "eighth": EIGHTH}
TINY = ("[run]\nyears = 0.1\n[city]\ninhabitants_per_agent = 500\nwidth = 6\nheight = 12\n"
        "population = 200000\n")


def child(kind: str, points: int, replications: int, workers: int) -> dict:
    """One sweep in this process; returns wall time, in-worker time and driver peak RSS."""
    from experiments.execution import Execution
    from experiments.store import load_results
    from experiments.sweep import sweep

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        exp = experiment_file(tmp, points, replications, SCALES.get(kind, TINY))
        start = time.perf_counter()
        result = sweep(exp, tmp / "out", execution=Execution(workers=workers, progress=False))
        wall = time.perf_counter() - start
        runs = load_results(tmp / "out")
    return {"runs": len(runs), "workers": workers, "wall_s": round(wall, 2),
            "sum_run_s": round(float(runs["duration_s"].sum()), 2),
            "mean_run_s": round(float(runs["duration_s"].mean()), 3),
            "cluster_and_loop_s": round(result.report.seconds, 2),
            "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def measure(kind: str, points: int, replications: int, workers: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(points), str(replications),
                          str(workers)], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def speedup() -> dict:
    # 24 runs, so the cluster's start-up (a few seconds, paid once) does not hide the
    # steady-state rate that long sweeps see.
    one = measure("default", 24, 1, 1)
    two = measure("default", 24, 1, 2)
    return {"one_worker": one, "two_workers": two,
            "speedup": round(one["wall_s"] / two["wall_s"], 2)}


def overhead() -> dict:
    """Runner time per run beyond the simulation itself, with one worker (so wall time
    minus summed run time is all overhead: cluster start-up, scheduling, pickling,
    storing), as a share of a default-scale run."""
    r = measure("default", 12, 1, 1)
    per_run = (r["wall_s"] - r["sum_run_s"]) / r["runs"]
    startup = measure("tiny", 1, 1, 1)["wall_s"]  # a sweep of one tiny run: mostly start-up
    steady = max(per_run - startup / r["runs"], 0.0)
    return {**r, "overhead_per_run_s": round(per_run, 3),
            "overhead_share_of_run": round(per_run / r["mean_run_s"], 4),
            "excluding_cluster_startup_s": round(steady, 3),
            "excluding_startup_share": round(steady / r["mean_run_s"], 4)}


def memory() -> dict:
    small = measure("tiny", 100, 1, 2)
    large = measure("tiny", 2000, 1, 2)
    return {"100_runs": small, "2000_runs": large,
            "ratio": round(large["driver_peak_rss_mb"] / small["driver_peak_rss_mb"], 3)}


def sensitivity() -> dict:
    """Wall time per run with two workers on the sensitivity analysis' scales, and what
    the default designs take at that rate: Morris 6 x 79 points x 2 replications on the
    quarter city, Sobol N x (8 + 2) points x 1 replication on the eighth city at N = 512
    and at the default N = 1024."""
    startup = measure("tiny", 1, 1, 2)["wall_s"]  # cluster start-up, paid once per analysis
    quarter = measure("quarter", 40, 1, 2)
    eighth = measure("eighth", 40, 1, 2)
    per_q = (quarter["wall_s"] - startup) / quarter["runs"]
    per_e = (eighth["wall_s"] - startup) / eighth["runs"]
    return {"quarter": quarter, "eighth": eighth, "startup_s": startup,
            "wall_per_run_s": {"quarter": round(per_q, 3), "eighth": round(per_e, 3)},
            "morris_948_runs_min": round(948 * per_q / 60, 1),
            "sobol_5120_runs_min": round(5120 * per_e / 60, 1),
            "sobol_10240_runs_min": round(10240 * per_e / 60, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="all", choices=["speedup", "overhead", "memory", "sensitivity", "all"])
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, points, reps, workers = args.child
        print(json.dumps(child(kind, int(points), int(reps), int(workers))))
        return 0
    jobs = {"speedup": speedup, "overhead": overhead, "memory": memory, "sensitivity": sensitivity}
    chosen = jobs if args.what == "all" else {args.what: jobs[args.what]}
    results = {}
    for name, job in chosen.items():
        results[name] = job()
        print(name, json.dumps(results[name], indent=2))
    folder = ROOT / "benchmarks" / "results"
    folder.mkdir(exist_ok=True)
    path = folder / "bench_sweep.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
