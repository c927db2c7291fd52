"""Wall time of one virtual evaluation at default scale with 10 replications, as a user
runs it: ``barrios evaluate FILE --replications 10`` in a fresh process (Dask start-up,
the runs on every core, the analysis, the tables, figures and report).

    python benchmarks/bench_evaluate.py [--runs 3] [--file evidence/evaluations/street_lighting.toml]

Each repetition starts from an empty result folder. The command's own summary line says
how long the runs took; the rest is start-up, analysis and the report. A CPU yardstick
(a fixed Python loop) is timed alongside, as this machine's speed drifts within an hour.
The target (issue 13) is at most 2 minutes on this machine (2 cores). Results are printed
and written to benchmarks/results/evaluate.json.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import YARDSTICK, report

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, check=True, cwd=ROOT, env=ENV, capture_output=True, text=True)
    return time.perf_counter() - start, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--file", default="evidence/evaluations/street_lighting.toml")
    args = parser.parse_args()
    whole, runs, yardstick = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            out = Path(tmp) / f"out{i}"
            seconds, printed = timed([sys.executable, "-m", "barrios", "evaluate", args.file,
                                      "--replications", "10", "--out", str(out), "--quiet"])
            whole.append(seconds)
            runs.append(float(re.search(r"in ([\d.]+) s; results", printed)[1]))
            yardstick.append(timed([sys.executable, "-c", YARDSTICK])[0])
    figures = {"barrios evaluate, 10 replications (whole command)": whole,
               "of which the runs": runs, "yardstick (CPU loop)": yardstick}
    print(f"{args.file}, default scale, {os.cpu_count()} cores")
    result = report(figures, args.runs, "evaluate.json", file=args.file)
    verdict = "meets" if result[next(iter(result))]["max"] <= 120 else "misses"
    print(f"target: at most 120 s for the whole command: {verdict} it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
