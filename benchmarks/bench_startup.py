"""Wall time of ``barrios run`` on the default Quito scenario, as a user runs it, and where
it goes.

    python benchmarks/bench_startup.py [--runs 7]

Each figure is a fresh process, timed from outside: the whole command (``barrios run
scenarios/quito_2023_2025.toml --quiet``, which still writes the four outputs and the
figure), the command line's own start (``barrios --help``), importing the model's stack,
and the model alone (set-up with burn-in, then the three-year run, timed inside the
process). Python's bytecode caches are allowed, as on a user's machine (this sandbox sets
PYTHONDONTWRITEBYTECODE; it is unset here), and one warm-up run fills them and the
compiled-kernel cache first. A CPU yardstick (a fixed Python loop) is timed alongside:
this machine's speed drifts by up to a quarter within an hour, so compare figures with
their yardstick. Results are printed as min / median / max and written to
benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import YARDSTICK, report

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = "scenarios/quito_2023_2025.toml"
BARRIOS = [sys.executable, "-m", "barrios"]
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
MODEL_ONLY = f"""
import time
import barrios
from simulation import BarriosModel
loaded = barrios.scenario({SCENARIO!r})
t = time.perf_counter()
model = BarriosModel(loaded.scenario)
t1 = time.perf_counter()
model.run()
print(t1 - t, time.perf_counter() - t1)
"""


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = [*BARRIOS, "run", SCENARIO, "--quiet", "--out", str(Path(tmp) / "out")]
        wall(run)  # warm-up: bytecode and kernel caches
        figures = {"barrios run (whole command)": [], "barrios --help (start of the CLI)": [],
                   "import the model's stack": [], "model set-up incl. burn-in": [],
                   "model run (3 years)": [], "yardstick (CPU loop)": []}
        for _ in range(args.runs):
            figures["barrios run (whole command)"].append(wall(run))
            figures["barrios --help (start of the CLI)"].append(wall([*BARRIOS, "--help"]))
            figures["import the model's stack"].append(
                wall([sys.executable, "-c", "import barrios; barrios.scenario; import simulation.model"]))
            out = subprocess.run([sys.executable, "-c", MODEL_ONLY], check=True, cwd=ROOT, env=ENV,
                                 capture_output=True, text=True).stdout.split()
            figures["model set-up incl. burn-in"].append(float(out[0]))
            figures["model run (3 years)"].append(float(out[1]))
            figures["yardstick (CPU loop)"].append(wall([sys.executable, "-c", YARDSTICK]))
    report(figures, args.runs, "startup.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
