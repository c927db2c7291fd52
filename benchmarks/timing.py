"""What the shell-level benchmarks share: the CPU yardstick, min / median / max of
repeated timings, the printed table and the JSON file under benchmarks/results/."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
YARDSTICK = "x = 0\nfor i in range(10_000_000):\n    x += i"
"""A fixed Python loop: this machine's speed drifts by up to a quarter within an hour, so
every figure is reported beside it."""


def spread(values: list[float]) -> dict:
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3),
            "max": round(max(values), 3)}


def report(figures: dict[str, list[float]], runs: int, file: str, **extra) -> dict:
    """Print each figure's min / median / max and write them to results/``file``."""
    result = {name: spread(values) for name, values in figures.items()}
    width = max(len(name) for name in result) + 2
    print(f"{'seconds':{width}s} {'min':>7s} {'median':>7s} {'max':>7s}   ({runs} runs each)")
    for name, s in result.items():
        print(f"{name:{width}s} {s['min']:7.2f} {s['median']:7.2f} {s['max']:7.2f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / file).write_text(json.dumps(
        {"date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.platform(),
         "cores": os.cpu_count(), "runs": runs, **extra, "seconds": result}, indent=2) + "\n")
    return result
