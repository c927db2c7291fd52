"""How close can the model come to some targets without being ruled out by the others?

History matching answers "which parameter sets are not implausible"; a reader of the
survey also asks "is there any set that reproduces these figures within so many
points?". ``closest`` searches the emulators for the set whose worst deviation from the
``aimed`` observations is smallest (minimax, in the observations' own units) while every
other observation keeps its implausibility below the cut-off: a frontier of what the
model's structure and the evidence allow together. A local search (Gaussian steps in the
unit cube, shrinking) from the best of the candidates given; the emulators are cheap, so
thousands of trial points per step cost seconds.

``scripts/survey_frontier.py`` runs it on a calibration's stored design and confirms the
best sets on the full city.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.implausibility import implausibility

STEPS = (0.05, 0.03, 0.02, 0.01, 0.01, 0.005)
"""Step sizes of the local search, as shares of each parameter's range."""

PENALTY = 10.0
"""Worst-deviation units added per unit of implausibility above the cut-off: large
enough that no ruled-out set wins on deviation."""


def deviations(loaded, emulators, aimed: list[str], x: np.ndarray) -> np.ndarray:
    """Emulated mean minus observed value of each ``aimed`` observation, at each point."""
    u = loaded.space.to_unit(x)
    observed = {o.name: o.observed for o in loaded.observations}
    return np.column_stack([emulators[n].predict(u)[0] - observed[n] for n in aimed])


def score(loaded, emulators, aimed: list[str], x: np.ndarray, cutoff: float) -> np.ndarray:
    """The worst deviation of each point, plus the penalty for any other observation
    above the cut-off (the aimed ones' emulators are asked once: for their deviations)."""
    return _objective(deviations(loaded, emulators, aimed, x),
                      implausibility(loaded, emulators, x, held=True, skip=tuple(aimed)), cutoff)


def _objective(dev: np.ndarray, others: pd.DataFrame, cutoff: float) -> np.ndarray:
    worst = np.abs(dev).max(axis=1)
    if not others.shape[1]:
        return worst
    return worst + PENALTY * np.maximum(others.max(axis=1).to_numpy() - cutoff, 0.0)


def closest(loaded, emulators, aimed: list[str], candidates: np.ndarray, *, cutoff: float,
            keep: int = 200, trials: int = 10, seed: int = 0) -> pd.DataFrame:
    """The ``keep`` best points of a local search from ``candidates``, best first: each
    parameter, ``worst`` (the objective), ``dev_NAME`` per aimed observation and
    ``implausibility_NAME`` per observation."""
    rng = np.random.default_rng(seed)
    pool = _best(loaded, emulators, aimed, candidates, cutoff, keep)
    for step in STEPS:
        u = np.repeat(loaded.space.to_unit(pool), trials, axis=0)
        moved = np.clip(u + step * rng.standard_normal(u.shape), 0.0, 1.0)
        pool = _best(loaded, emulators, aimed,
                     np.vstack([pool, loaded.space.from_unit(moved)]), cutoff, keep)
    return _table(loaded, emulators, aimed, pool, cutoff)


def _best(loaded, emulators, aimed, x, cutoff, keep):
    s = score(loaded, emulators, aimed, x, cutoff)
    return x[np.argsort(s, kind="stable")[:keep]]


def _table(loaded, emulators, aimed, pool, cutoff) -> pd.DataFrame:
    dev = deviations(loaded, emulators, aimed, pool)
    imp = implausibility(loaded, emulators, pool, held=True)
    frame = pd.DataFrame(pool, columns=loaded.space.names)
    frame["worst"] = _objective(dev, imp.drop(columns=aimed, errors="ignore"), cutoff)
    for j, name in enumerate(aimed):
        frame[f"dev_{name}"] = dev[:, j]
    for name in imp:
        frame[f"implausibility_{name}"] = imp[name].to_numpy()
    return frame.sort_values("worst", kind="stable").reset_index(drop=True)
