"""What the full city adds to the calibration's quarter city, output by output: the
``scale_shift`` of experiments/calibrate_joint.toml's targets, and how much it varies
over the parameter sets the calibration did not rule out (its ``scale_shift_sd``).

    python scripts/measure_scale_shift.py [--replications 20]
    python scripts/measure_scale_shift.py --points 12 --replications 4

Without ``--points``: at the current defaults, the Quito plan on the calibration's city
([city] of the calibration file) and on the full city, each ``--replications`` times;
prints each target's shift (full minus quarter) with its standard error, as TOML lines to
paste into [targets].

With ``--points N``: the same at N parameter sets drawn (seeded) from the calibration's
not-ruled-out set (results/calibration/nroy.parquet), each on the same replications in
both cities; prints each target's mean shift over the sets, the spread between sets (the
standard deviation of the per-set shifts), the part of it replication noise alone would
give (the root mean square of the per-set standard errors) and the spread beyond that
noise: the ``scale_shift_sd`` the data support. Both cities of one set run on the same seeds, so the shift is paired.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILE = ROOT / "experiments" / "calibrate_joint.toml"
NROY = ROOT / "results" / "calibration" / "nroy.parquet"


def shifts(scenario, spec, replications: int, parameters: dict | None = None) -> pd.DataFrame:
    """Per target: the shift's mean and its standard error at one parameter set."""
    import barrios

    quarter = barrios.run(scenario, replications=replications, city=spec.city,
                          parameters=parameters).outcomes
    full = barrios.run(scenario, replications=replications, parameters=parameters).outcomes
    rows = []
    for name in spec.targets:
        se = math.sqrt((full[name].var() + quarter[name].var()) / replications)
        rows.append({"target": name, "quarter": quarter[name].mean(), "full": full[name].mean(),
                     "shift": full[name].mean() - quarter[name].mean(), "se": se})
    return pd.DataFrame(rows).set_index("target")


def at_defaults(scenario, spec, replications: int) -> None:
    table = shifts(scenario, spec, replications)
    for name, row in table.iterrows():
        print(f"# {name}: quarter {row['quarter']:.4f}, full {row['full']:.4f}, "
              f"standard error of the shift {row['se']:.4f}")
        print(f"scale_shift = {row['shift']:.4f}")


def over_points(scenario, spec, replications: int, points: int, seed: int) -> None:
    nroy = pd.read_parquet(NROY)
    names = [n for n in spec.priors if n in nroy]
    chosen = nroy.sample(n=min(points, len(nroy)), random_state=seed)[names]
    tables = []
    for i, (_, row) in enumerate(chosen.iterrows()):
        table = shifts(scenario, spec, replications, {k: float(v) for k, v in row.items()})
        tables.append(table.assign(point=i))
        print(f"# set {i + 1}/{len(chosen)} done", file=sys.stderr)
    by = pd.concat(tables).reset_index().groupby("target", sort=False)
    print(f"# {len(chosen)} sets not ruled out ({NROY.relative_to(ROOT)}), "
          f"{replications} replications each")
    print(f"# {'target':36s} {'mean shift':>10s} {'between sets':>12s} {'noise':>7s} "
          f"{'beyond noise':>12s}")
    for name, g in by:
        between = g["shift"].std(ddof=1)
        noise = math.sqrt((g["se"] ** 2).mean())  # what replication noise alone would spread
        beyond = math.sqrt(max(between ** 2 - noise ** 2, 0.0))
        print(f"# {name:36s} {g['shift'].mean():10.4f} {between:12.4f} {noise:7.4f} "
              f"{beyond:12.4f}")


def main() -> None:
    from experiments.history_matching import load_matching

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--points", type=int, default=0,
                        help="parameter sets from the not-ruled-out set (0: the defaults)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    spec = load_matching(FILE).spec
    scenario = (FILE.parent / spec.scenario).resolve()
    if args.points:
        over_points(scenario, spec, args.replications, args.points, args.seed)
    else:
        at_defaults(scenario, spec, args.replications)


if __name__ == "__main__":
    main()
