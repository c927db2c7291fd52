"""Speed and memory of one Barrios run: resident-steps per second, wall time, peak memory.

    python benchmarks/bench.py                 # default scale and 10x the residents
    python benchmarks/bench.py --scales 100    # only the default scale (inhabitants per agent)

Each configuration runs in a fresh process so its peak memory (max RSS, which includes
the Python interpreter and imported libraries) is its own. Committees and police units are
ordinary Mesa agents stepped in Python; their share of the time is reported separately.
Results are printed and written to benchmarks/results/bench.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "quito_2023_2025.toml"


def measure(inhabitants_per_agent: float, seed: int) -> dict:
    """Run the Quito scenario once in this process and time its parts."""
    import barrios
    from simulation import BarriosModel
    from simulation.police import Police

    scenario = barrios.scenario(SCENARIO, scale=inhabitants_per_agent, seed=seed).scenario

    timers = {"committees": 0.0, "police": 0.0}

    def timed(owner, name, key):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timers[key] += time.perf_counter() - t
        setattr(owner, name, wrapper)

    timed(BarriosModel, "_committee_week", "committees")
    timed(Police, "deploy", "police")

    t0 = time.perf_counter()
    model = BarriosModel(scenario)
    t1 = time.perf_counter()
    burn_in_share = {k: v for k, v in timers.items()}
    model.run()
    t2 = time.perf_counter()
    days, residents = model.end_day, model.population.n
    return {
        "inhabitants_per_agent": inhabitants_per_agent,
        "residents": residents,
        "barrios": len(model.valid_barrios),
        "days": days,
        "committees": len(model.committees),
        "patrol_units": len(model.police.units),
        "setup_s (incl. burn-in)": round(t1 - t0, 3),
        "run_s": round(t2 - t1, 3),
        "total_s": round(t2 - t0, 3),
        "resident_steps_per_s": round(residents * days / (t2 - t1)),
        "committees_s": round(timers["committees"] - burn_in_share["committees"], 3),
        "police_s": round(timers["police"] - burn_in_share["police"], 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[100.0, 10.0],
                        help="inhabitants per agent to measure (100 = default, 10 = 10x the residents)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child, args.seed)))
        return 0
    results = []
    for scale in args.scales:
        out = subprocess.run([sys.executable, __file__, "--child", str(scale), "--seed", str(args.seed)],
                             check=True, capture_output=True, text=True, cwd=ROOT)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"\n{result['residents']:,} residents ({scale:g} inhabitants per agent), "
              f"{result['barrios']:,} barrios, {result['days']} days")
        for key, value in result.items():
            print(f"  {key:26s} {value:,}" if isinstance(value, int) else f"  {key:26s} {value}")
    folder = ROOT / "benchmarks" / "results"
    folder.mkdir(exist_ok=True)
    (folder / "bench.json").write_text(json.dumps(
        {"machine": platform.platform(), "python": platform.python_version(), "results": results},
        indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
