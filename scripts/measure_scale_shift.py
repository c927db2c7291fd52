"""What the full city adds to the calibration's quarter city, output by output, at the
current defaults: the ``scale_shift`` of experiments/calibrate_joint.toml's targets.

    python scripts/measure_scale_shift.py [--replications 20]

Runs the Quito plan on the calibration's city ([city] of the calibration file) and on the
full city, each ``--replications`` times, and prints each target's shift (full minus
quarter) with its standard error, as TOML lines to paste into [targets].
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILE = ROOT / "experiments" / "calibrate_joint.toml"


def main() -> None:
    import barrios
    from experiments.history_matching import load_matching

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    spec = load_matching(FILE).spec
    scenario = (FILE.parent / spec.scenario).resolve()
    quarter = barrios.run(scenario, replications=args.replications, city=spec.city).outcomes
    full = barrios.run(scenario, replications=args.replications).outcomes
    n = args.replications
    for name in spec.targets:
        shift = full[name].mean() - quarter[name].mean()
        se = math.sqrt(full[name].var() / n + quarter[name].var() / n)
        print(f"# {name}: quarter {quarter[name].mean():.4f}, full {full[name].mean():.4f}, "
              f"standard error of the shift {se:.4f}")
        print(f"scale_shift = {shift:.4f}")


if __name__ == "__main__":
    main()
