"""The emulator side of history matching: fitting one emulator per output, the
implausibility of candidate parameter sets, the set not ruled out (over every wave's
emulators, Vernon et al. 2010), its predictions, and the emulators' validation.

``loaded`` is a ``LoadedMatching`` (``experiments.history_matching``): what is read here
is its parameter space, its observations (value, sd, discrepancy, held out or not), its
seed and its ``[matching]`` settings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from experiments.emulator import Emulator, Space, make_emulator, validate


FINAL_POINTS = 1000
"""How many not-ruled-out points the final predictions and robustness draws come from."""


def in_region(loaded, sets: list[dict[str, Emulator]], data: pd.DataFrame,
              cutoff: float) -> pd.DataFrame:
    """The runs whose points no earlier wave's emulators put above ``cutoff``."""
    if not sets:
        return data
    largest = worst(loaded, sets, data[loaded.space.names].to_numpy(), below=cutoff)
    return data[largest < cutoff].reset_index(drop=True)


def worst(loaded, sets, x: np.ndarray, held: bool = False,
          below: float | None = None) -> np.ndarray:
    """The largest implausibility of each point over every wave's emulators.

    With ``below``, a point is dropped as soon as one observation puts it at or above
    ``below`` (its value is then that implausibility, a lower bound of the largest): the
    emulators' predictive variance costs runs² per point, and most candidates are ruled
    out by the first few observations, so testing only the survivors makes the set not
    ruled out and the posterior's draws several times cheaper, with the same answer."""
    largest = np.zeros(len(x))
    alive = np.arange(len(x))
    for emulators in sets:
        u = loaded.space.to_unit(x[alive])
        for obs in _observed(loaded, held):
            if not len(alive):
                return largest
            value = _implausibility(obs, emulators[obs.name], u)
            largest[alive] = np.maximum(largest[alive], value)
            if below is not None:
                keep = value < below
                alive, u = alive[keep], u[keep]
    return largest


def _observed(loaded, held: bool) -> list:
    return [obs for obs in loaded.observations if held or not obs.held_out]


def _implausibility(obs, emulator, u: np.ndarray) -> np.ndarray:
    mean, sd = emulator.predict(u)
    return np.abs(obs.observed - mean) / np.sqrt(sd ** 2 + obs.sd ** 2 + obs.discrepancy ** 2)


def plausible_box(space: Space, nroy: pd.DataFrame) -> Space:
    """Each parameter's range over the not-ruled-out points (the prior's if none)."""
    if len(nroy) < 2:
        return space
    low = np.array([nroy[n].min() for n in space.names])
    high = np.array([nroy[n].max() for n in space.names])
    return box_between(space, low, high)


def box_between(space: Space, low: np.ndarray, high: np.ndarray) -> Space:
    """``space``'s parameters from ``low`` to ``high`` (a range that collapsed to a point
    keeps a sliver, so the unit cube stays defined)."""
    return Space(list(space.names), low, np.maximum(high, low * (1 + 1e-9) + 1e-12), space.log)


def top_up(loaded, sets, nroy: pd.DataFrame, wanted: int, seed: int,
            rounds: int = 20, held: bool = False) -> pd.DataFrame:
    """Enough not-ruled-out points for the next wave: when the uniform candidates leave
    fewer than ``wanted``, candidates drawn around those that remain (a Gaussian step of
    5% of each range in the unit cube) are tested too."""
    rng = np.random.default_rng(seed)
    names = loaded.space.names
    for _ in range(rounds):
        if len(nroy) >= wanted or len(nroy) == 0:
            break
        u = loaded.space.to_unit(nroy[names].to_numpy())
        near = u[rng.integers(len(u), size=4 * wanted)]
        near = np.clip(near + 0.05 * rng.standard_normal(near.shape), 0, 1)
        found = not_ruled_out(loaded, sets, loaded.space.from_unit(near), held=held)
        nroy = pd.concat([nroy, found], ignore_index=True)
    return nroy


def outputs_to_fit(loaded) -> list[str]:
    """Every observed output (held out or not) and the rises the sensitivity reads."""
    names = [o.name for o in loaded.observations]
    return list(dict.fromkeys([*names, "safe_public_change", "safe_neighbourhood_change",
                               "plan_minus_baseline_safe_public_change",
                               "plan_minus_baseline_safe_neighbourhood_change"]))


def fit_emulators(loaded, data: pd.DataFrame, jobs: int | None = None) -> dict[str, Emulator]:
    """One emulator per output (``[matching]``'s ``refits`` and ``restarts``), fitted in
    ``jobs`` local processes (one per core by default; each fit is seeded, so the
    emulators do not depend on how many)."""
    u = loaded.space.to_unit(data[loaded.space.names].to_numpy())
    names = [name for name in outputs_to_fit(loaded) if name in data]
    fits = [delayed(_fit)(u, data[name].to_numpy(dtype=float) + scale_shift(loaded, name),
                          loaded.spec.matching)
            for name in names]
    return dict(zip(names, Parallel(n_jobs=jobs or -1)(fits)))


def scale_shift(loaded, name: str) -> float:
    """What the full city adds to output ``name`` of the calibration's smaller city
    (``[targets.NAME] scale_shift``, measured): the emulators emulate the full city's
    output, which the survey describes, from the cheaper city's runs."""
    return next((o.scale_shift for o in loaded.observations if o.name == name), 0.0)


def _fit(u: np.ndarray, y: np.ndarray, spec, held: np.ndarray | None = None):
    """An emulator of ``y`` on its finite runs; with ``held``, its check on those."""
    ok = np.isfinite(y)
    kw = {"refits": spec.refits, "restarts": spec.restarts}
    if held is None:
        return make_emulator(**kw).fit(u[ok], y[ok])
    return validate(u[ok], y[ok], held[ok], **kw)


def implausibility(loaded, emulators: dict[str, Emulator], x: np.ndarray,
                   held: bool = False, skip: tuple[str, ...] = ()) -> pd.DataFrame:
    """Each observation's implausibility at each point (held-out ones only if ``held``;
    none of those named in ``skip``)."""
    u = loaded.space.to_unit(x)
    return pd.DataFrame({obs.name: _implausibility(obs, emulators[obs.name], u)
                         for obs in _observed(loaded, held) if obs.name not in skip})


def not_ruled_out(loaded, sets, candidates, held: bool = False) -> pd.DataFrame:
    """The candidates whose largest implausibility, over every wave's emulators (``sets``:
    a list of emulator dicts, or one dict) and the observations not held out (every one
    with ``held``), is below the cut-off."""
    sets = [sets] if isinstance(sets, dict) else sets
    largest = worst(loaded, sets, candidates, held=held, below=loaded.spec.matching.cutoff)
    frame = pd.DataFrame(candidates, columns=loaded.space.names)
    frame["max_implausibility"] = largest
    return frame[largest < loaded.spec.matching.cutoff].reset_index(drop=True)


def final_predictions(loaded, sets, without_holdouts: pd.DataFrame, candidates):
    """The not-ruled-out set of every observation (the calibration) and each observation's
    predictions (the last wave's emulators): at the most plausible point and over that
    set; a held-out observation also over the set its own fit left
    (``without_holdouts``): the hold-out test."""
    emulators = sets[-1]
    pool = without_holdouts[loaded.space.names].to_numpy() if len(without_holdouts) else candidates
    nroy = not_ruled_out(loaded, sets, pool, held=True)
    if any(o.held_out for o in loaded.observations):
        nroy = top_up(loaded, sets, nroy, FINAL_POINTS, loaded.spec.seed, held=True)
    best, rows = most_plausible(loaded, emulators, nroy if len(nroy) else without_holdouts, candidates)
    for row, obs in zip(rows, loaded.observations):
        if obs.held_out:
            row.update(spread(emulators[obs.name], loaded.space, without_holdouts, "holdout"))
    return nroy, best, pd.DataFrame(rows)


def most_plausible(loaded, emulators, nroy, candidates) -> tuple[dict[str, float], list[dict]]:
    """The most plausible candidate (smallest sum of squared implausibilities, every
    observation) among ``nroy`` (or all candidates, if empty), and each observation's
    prediction there and over ``nroy``."""
    pool = nroy[loaded.space.names].to_numpy() if len(nroy) else candidates
    imp = implausibility(loaded, emulators, pool, held=True)
    best = pool[int(np.argmin((imp.to_numpy() ** 2).sum(axis=1)))]
    rows = []
    for obs in loaded.observations:
        mean_best, sd_best = emulators[obs.name].predict(loaded.space.to_unit(best[None, :]))
        rows.append({"observation": obs.name, "kind": obs.kind, "held_out": obs.held_out,
                     "observed": obs.observed, "observed_sd": obs.sd,
                     "predicted_at_best": float(mean_best[0]), "best_sd": float(sd_best[0]),
                     **spread(emulators[obs.name], loaded.space,
                               pd.DataFrame(pool, columns=loaded.space.names), "predicted")})
    return dict(zip(loaded.space.names, map(float, best))), rows


def spread(emulator, space, points: pd.DataFrame, prefix: str) -> dict:
    """Mean and 90% interval of the model's mean output over ``points``: the parameters'
    uncertainty and the emulator's (one draw from its predictive distribution each)."""
    means, sds = emulator.predict(space.to_unit(points[space.names].to_numpy()))
    draws = means + sds * np.random.default_rng(0).standard_normal(len(means))
    low, high = np.percentile(draws, [5, 95])
    return {f"{prefix}_mean": float(draws.mean()), f"{prefix}_low_90": float(low),
            f"{prefix}_high_90": float(high)}


def validation_table(loaded, data: pd.DataFrame, jobs: int | None = None) -> pd.DataFrame:
    """Each emulator checked by cross-validation: the runs split at random into folds of
    ``validation_share`` of them, each fold held back once and predicted by an emulator
    fitted to the rest, so every run is a held-back run once (a single split tests only a
    fifth of the runs and leaves the verdict to the luck of that draw). The share inside
    the 95% intervals comes with its Clopper-Pearson 95% interval. A mixture of refits
    (``refits`` above 1) is checked as a whole: each fold's mixture is refitted from the
    other folds' runs alone."""
    spec = loaded.spec.matching
    folds = max(2, round(1 / spec.validation_share))
    fold = np.arange(len(data)) % folds
    np.random.default_rng(loaded.spec.seed + 7).shuffle(fold)
    u = loaded.space.to_unit(data[loaded.space.names].to_numpy())
    names = [name for name in outputs_to_fit(loaded) if name in data]
    checks = Parallel(n_jobs=jobs or -1)(
        delayed(_fit)(u, data[name].to_numpy(dtype=float), spec, fold == f)
        for name in names for f in range(folds))
    return pd.DataFrame([{"output": name, **pooled(checks[i * folds:(i + 1) * folds])}
                         for i, name in enumerate(names)])


def pooled(checks: list[dict]) -> dict:
    """The folds' checks as one: counts and squared errors summed, noise averaged."""
    from scipy.stats import binomtest

    n = sum(c["held_back"] for c in checks)
    inside = sum(c["inside"] for c in checks)
    interval = binomtest(inside, n).proportion_ci(0.95) if n else None
    return {"held_back": n, "inside_95": inside / n if n else np.nan,
            "inside_95_low": interval.low if n else np.nan,
            "inside_95_high": interval.high if n else np.nan,
            "rmse": float(np.sqrt(sum(c["rmse"] ** 2 * c["held_back"] for c in checks) / n)),
            "run_noise_sd": float(np.mean([c["run_noise_sd"] for c in checks])),
            "folds": len(checks)}
