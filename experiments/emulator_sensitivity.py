"""Sobol indices computed on Gaussian-process emulators (Oakley & O'Hagan 2004).

The runs of a history matching already cover the parameter space; an emulator fitted to
them answers a Sobol design of tens of thousands of points in seconds, where the model
would need days. Two uncertainties are in each interval:

- the Monte Carlo error of the Sobol estimate on the emulator (SALib's bootstrap), small
  for a large design;
- the emulator's own, from the runs it was fitted to: a delete-a-group jackknife (the
  runs split at random into ``groups`` groups; the indices recomputed on emulators
  refitted without each group; variance (G − 1)/G · Σ (θ₍g₎ − θ̄)²). A bootstrap would
  resample runs with replacement, and a Gaussian process reads a duplicated run as a run
  without noise: its fits then chase the noise and the indices scatter for that reason.

The reported index is the one on the emulator fitted to every run; its interval is
± 1.96 times the root of the sum of both variances. Convergence: the same on half the
base samples (``ST_half``), and the interval's half-width against the ±0.05 the
sensitivity must resolve.

The Sobol design is on the unit cube of the parameter space (``Space``): a parameter
sampled on a log scale is uniform in its logarithm, as its prior is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from experiments.emulator import Z95, Emulator, Space
from experiments.sensitivity import sample, sobol_indices

RESOLVED = 0.05
"""The largest interval half-width of a total-order index that counts as resolved."""


def emulator_sobol(space: Space, data: pd.DataFrame, outputs: list[str], *,
                   box: Space | None = None, samples: int = 4096, groups: int = 10,
                   restarts: int = 1, seed: int = 0) -> pd.DataFrame:
    """S1 and ST per output and parameter over ``box`` (default: all of ``space``), with
    intervals that include the emulator's uncertainty, from the runs in ``data``
    (parameter columns and output columns). The emulators are fitted on ``space``'s unit
    cube to every run, inside the box or not (a run just outside still informs the
    emulator near the edge); only the Sobol design is drawn in the box."""
    box = box or space
    problem = {"names": list(space.names), "bounds": [[0.0, 1.0]] * len(space.names)}
    design = space.to_unit(box.from_unit(sample(problem, "sobol", samples, seed=seed)))
    u = space.to_unit(data[space.names].to_numpy(dtype=float))
    rows = []
    for output in outputs:
        y = data[output].to_numpy(dtype=float)
        ok = np.isfinite(y)
        estimates = _jackknife(problem, design, u[ok], y[ok], output, groups, restarts, seed)
        rows.append(_summarise(estimates, output, samples, groups))
    return pd.concat(rows, ignore_index=True)


def _jackknife(problem, design, u, y, output, groups, restarts, seed) -> pd.DataFrame:
    """Indices on the emulator of every run (``left_out`` −1) and on the emulators
    refitted without each group of runs (one process per core: each refit is seeded, so
    the indices do not depend on how many)."""
    assignment = np.arange(len(y)) % groups
    np.random.default_rng(seed).shuffle(assignment)
    refits = (delayed(_indices)(problem, design, u[assignment != g], y[assignment != g],
                                output, restarts, seed, g) for g in range(-1, groups))
    return pd.concat(Parallel(n_jobs=-1)(refits), ignore_index=True)


def _indices(problem, design, u, y, output, restarts, seed, left_out) -> pd.DataFrame:
    emulator = Emulator(restarts=restarts, seed=0).fit(u, y)
    predicted = pd.DataFrame({output: emulator.mean_at(design)})
    row = sobol_indices(problem, predicted, num_resamples=200, seed=seed).assign(left_out=left_out)
    if left_out == -1:
        half = sobol_indices(problem, predicted, num_resamples=200, seed=seed,
                             base_samples=len(design) // (len(problem["names"]) + 2) // 2)
        row = row.assign(ST_half=half["ST"].to_numpy(), S1_half=half["S1"].to_numpy())
    return row


def _summarise(estimates: pd.DataFrame, output: str, samples: int, groups: int) -> pd.DataFrame:
    main = estimates[estimates["left_out"] == -1].set_index("parameter")
    refits = estimates[estimates["left_out"] >= 0]
    rows = []
    for name, row in main.iterrows():
        entry = {"output": output, "parameter": name, "base_samples": samples}
        for index in ("S1", "ST"):
            values = refits.loc[refits["parameter"] == name, index].to_numpy()
            jackknife = float(np.sqrt((groups - 1) / groups * ((values - values.mean()) ** 2).sum()))
            monte_carlo = row[f"{index}_conf"] / Z95
            half_width = Z95 * float(np.sqrt(jackknife ** 2 + monte_carlo ** 2))
            entry.update({index: row[index], f"{index}_low": row[index] - half_width,
                          f"{index}_high": row[index] + half_width,
                          f"{index}_half_width": half_width, f"{index}_half": row[f"{index}_half"],
                          f"{index}_emulator_sd": jackknife})
        entry["resolved"] = entry["ST_half_width"] <= RESOLVED
        rows.append(entry)
    return pd.DataFrame(rows).sort_values("ST", ascending=False)
