"""The Bayesian step after a history matching: a posterior over the parameter sets not
ruled out, with the emulators standing in for the model (Craig et al. 1997; Vernon et al.
2010, §7; Andrianakis et al. 2015, §6).

The not-ruled-out set is a region: every point in it is merely *not implausible*, so a
90% interval over it treats a point at the edge of every observation's tolerance like one
that meets them all. The posterior weighs them:

    p(x | z) ∝ p(x) · 1[x not ruled out] · Π_k N(z_k; E_k(x), V_k(x) + σ_k² + δ_k²)

over the observations not held out: E_k and V_k the last wave's emulator mean and
variance, σ_k the observation's sd, δ_k its model discrepancy (the implausibility's own
terms). The prior p(x) is uniform on the unit cube of the parameter space (a log-uniform
prior is uniform in its logarithm). Outside the set the likelihood is below
exp(−cut-off²/2) of its peak on every ruled-out term, so restricting to the set loses
little and keeps the posterior inside what the waves emulated well.

Sampling is importance sampling in two stages (defensive mixtures, Hesterberg 1995): first
uniform over the box the set spans, then a mixture of that uniform and a normal fitted to
the first stage's weighted points; each draw is weighted by prior × likelihood over the
mixture's density. The effective sample size says how many independent draws the weights
are worth. Held-out observations are predicted from this posterior, which never saw them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from experiments.emulator import Emulator, Space
from experiments.implausibility import worst

BATCH = 50_000
"""Candidates drawn per round (one round per stage)."""

SPREAD = 2.0
"""The second stage's normal has this times the first stage's weighted covariance: wide
enough that its tails cover the posterior's."""


def sample_posterior(loaded, sets: list[dict[str, Emulator]], box: Space, seed: int,
                     rounds: int = 4) -> pd.DataFrame:
    """Weighted draws from the posterior (columns: the parameters, ``weight`` summing to
    one), from ``rounds`` batches of each stage."""
    rng = np.random.default_rng(seed)
    low, high = loaded.space.to_unit(box.low), loaded.space.to_unit(box.high)
    volume = float(np.prod(high - low))
    uniform = [low + (high - low) * rng.random((BATCH, len(low))) for _ in range(rounds)]
    first = _weighted(loaded, sets, np.vstack(uniform), np.full(rounds * BATCH, math.log(1 / volume)))
    if first["weight"].sum() == 0:
        return first
    u = loaded.space.to_unit(first[loaded.space.names].to_numpy())
    mean = np.average(u, axis=0, weights=first["weight"])
    cov = SPREAD * np.cov(u, rowvar=False, aweights=first["weight"]) + 1e-8 * np.eye(len(low))
    normal = stats.multivariate_normal(mean, cov, allow_singular=True)
    draws = np.vstack([
        *(low + (high - low) * rng.random((BATCH // 2, len(low))) for _ in range(rounds)),
        *(normal.rvs(BATCH // 2, random_state=rng).reshape(-1, len(low)) for _ in range(rounds))])
    inside_box = np.all((draws >= low) & (draws <= high), axis=1)
    log_q = np.logaddexp(np.log(0.5) + np.where(inside_box, math.log(1 / volume), -np.inf),
                         np.log(0.5) + normal.logpdf(draws))
    return _weighted(loaded, sets, draws, log_q)


def _weighted(loaded, sets, u: np.ndarray, log_proposal: np.ndarray) -> pd.DataFrame:
    """The draws ``u`` (unit cube) inside the cube and not ruled out, weighted by
    likelihood over the proposal's density (the prior is constant on the cube)."""
    inside = np.all((u >= 0) & (u <= 1), axis=1)
    u, log_proposal = u[inside], log_proposal[inside]
    x = loaded.space.from_unit(u)
    cutoff = loaded.spec.matching.cutoff
    kept = worst(loaded, sets, x, below=cutoff) < cutoff
    x, u, log_proposal = x[kept], u[kept], log_proposal[kept]
    log_w = log_likelihood(loaded, sets[-1], u) - log_proposal
    weight = np.exp(log_w - log_w.max()) if len(log_w) else log_w
    frame = pd.DataFrame(x, columns=loaded.space.names)
    frame["weight"] = weight / weight.sum() if len(weight) else weight
    return frame


def log_likelihood(loaded, emulators: dict[str, Emulator], u: np.ndarray) -> np.ndarray:
    """The Gaussian log-likelihood of the observations not held out, at unit-cube points."""
    total = np.zeros(len(u))
    for obs in loaded.observations:
        if obs.held_out:
            continue
        mean, sd = emulators[obs.name].predict(u)
        var = sd ** 2 + obs.sd ** 2 + obs.discrepancy ** 2
        total += -0.5 * (obs.observed - mean) ** 2 / var - 0.5 * np.log(2 * math.pi * var)
    return total


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised importance weights."""
    weights = np.asarray(weights, dtype=float)
    return float(1 / np.sum(weights ** 2)) if weights.sum() > 0 else 0.0


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) - 0.5 * weights[order]
    return np.interp(qs, cumulative / weights.sum(), values[order])


def predictive(emulator: Emulator, space: Space, posterior: pd.DataFrame, prefix: str,
               seed: int = 0) -> dict:
    """Posterior mean and 90% interval of the model's mean output: the parameters'
    uncertainty and the emulator's (one draw from its predictive distribution each)."""
    if not len(posterior):
        return {f"{prefix}_mean": math.nan, f"{prefix}_low_90": math.nan,
                f"{prefix}_high_90": math.nan}
    means, sds = emulator.predict(space.to_unit(posterior[space.names].to_numpy()))
    draws = means + sds * np.random.default_rng(seed).standard_normal(len(means))
    w = posterior["weight"].to_numpy()
    low, high = weighted_quantiles(draws, w, [0.05, 0.95])
    return {f"{prefix}_mean": float(np.sum(w * draws)), f"{prefix}_low_90": float(low),
            f"{prefix}_high_90": float(high)}


def parameter_summary(space: Space, posterior: pd.DataFrame) -> pd.DataFrame:
    """Each parameter's posterior median and 90% interval."""
    w = posterior["weight"].to_numpy()
    rows = [dict(zip(("parameter", "posterior_5", "posterior_50", "posterior_95"),
                     (name, *weighted_quantiles(posterior[name].to_numpy(), w, [0.05, 0.5, 0.95]))))
            for name in space.names]
    return pd.DataFrame(rows)


def with_predictions(predictions: pd.DataFrame, emulators: dict[str, Emulator], space: Space,
                     posterior: pd.DataFrame) -> pd.DataFrame:
    """``predictions`` (one row per observation) with the posterior's mean and 90%
    interval of each; for a held-out observation this is its test."""
    rows = [predictive(emulators[name], space, posterior, "posterior", seed=i)
            for i, name in enumerate(predictions["observation"])]
    extra = pd.DataFrame(rows, index=predictions.index)
    extra["posterior_effective_size"] = effective_size(posterior["weight"].to_numpy()) \
        if len(posterior) else 0.0
    extra["posterior_draws"] = len(posterior)
    return pd.concat([predictions, extra], axis=1)
