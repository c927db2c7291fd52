"""Gaussian-process emulators of the model's outputs (scikit-learn), for history matching
and emulator-based sensitivity analysis (Oakley & O'Hagan 2004; Andrianakis et al. 2015).

One emulator per output: inputs scaled to the unit cube of their ranges (log scale for
log-uniform ones), a constant times an anisotropic RBF kernel plus white noise (a run of
a stochastic model is the emulator's mean plus that noise), hyperparameters by maximum
likelihood with restarts. ``RefitMixture`` pools emulators refitted without a share of
the runs each, so its intervals carry how much the fit itself moves from one set of runs
to the next. ``validate`` holds back runs and counts how many fall inside the emulator's
95% predictive intervals: the convergence criterion the calibration reports (at least 95%).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054

SHORTEST_LENGTH_SCALE = 0.1
"""The shortest length scale an emulator may fit, as a share of each input's range. An
RBF narrower than the spacing of the runs acts as a second nugget: maximum likelihood
can then put the run noise into it instead of the white noise, so the emulated *mean*
carries the run noise (the greening and hot-spot emulators did, with a run noise of 0.015
against a real 4.6). A tenth of the range is far below any trend 100-300 runs can
resolve in 13 dimensions."""


@dataclass
class Space:
    """The parameter space: names, ranges and which are sampled on a log scale."""

    names: list[str]
    low: np.ndarray
    high: np.ndarray
    log: np.ndarray

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        lo, hi = self._scaled(self.low), self._scaled(self.high)
        return (self._scaled(x) - lo) / (hi - lo)

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        lo, hi = self._scaled(self.low), self._scaled(self.high)
        v = lo + np.asarray(u, dtype=float) * (hi - lo)
        return np.where(self.log, np.exp(v), v)

    def _scaled(self, x):
        return np.where(self.log, np.log(np.where(self.log, np.maximum(x, 1e-300), 1.0)), x)

    def latin_hypercube(self, n: int, seed: int) -> np.ndarray:
        from scipy.stats import qmc

        return self.from_unit(qmc.LatinHypercube(d=len(self.names), seed=seed).random(n))


class Emulator:
    """A GP emulator of one output over the unit cube."""

    def __init__(self, restarts: int = 3, seed: int = 0):
        self.restarts, self.seed = restarts, seed
        self.gp = None
        self.mean = 0.0
        self.scale = 1.0

    def fit(self, u: np.ndarray, y: np.ndarray) -> Emulator:
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

        y = np.asarray(y, dtype=float)
        self.mean, self.scale = float(y.mean()), float(y.std()) or 1.0
        d = u.shape[1]
        rbf = RBF(np.full(d, 0.5), (SHORTEST_LENGTH_SCALE, 1e2))
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * rbf + WhiteKernel(0.1, (1e-6, 1.0))
        self.gp = GaussianProcessRegressor(kernel, normalize_y=False,
                                           n_restarts_optimizer=self.restarts,
                                           random_state=self.seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bounds reached by a length scale: not an error
            self.gp.fit(u, (y - self.mean) / self.scale)
        return self

    def predict(self, u: np.ndarray, noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Mean and standard deviation of the output at ``u``: of the model's mean
        (``noise`` False) or of a single run (True)."""
        mean, std = self.gp.predict(np.atleast_2d(u), return_std=True)
        var = std ** 2
        if not noise:
            var = np.maximum(var - self.noise_variance, 1e-12)
        return self.mean + self.scale * mean, self.scale * np.sqrt(var)

    def mean_at(self, u: np.ndarray) -> np.ndarray:
        """The emulated mean alone (cheaper than ``predict``: no variance)."""
        return self.mean + self.scale * self.gp.predict(np.atleast_2d(u))

    @property
    def noise_variance(self) -> float:
        """The white-noise level (in the normalised units the GP works in)."""
        return float(self.gp.kernel_.k2.noise_level)

    @property
    def run_noise_sd(self) -> float:
        """The standard deviation of one run around the model's mean, in output units."""
        return self.scale * math.sqrt(self.noise_variance)

    @property
    def length_scales(self) -> np.ndarray:
        return np.atleast_1d(self.gp.kernel_.k1.k2.length_scale)


class RefitMixture:
    """``refits`` emulators, each fitted without one ``refits``-th of the runs (a
    delete-a-group jackknife), predicting as one: their average, with the average of their
    predictive variances plus the jackknife's variance of their means ((G − 1) times their
    spread: the refits share all but two G-ths of their runs, so they agree more than fits
    to independent runs would).

    Why: with fifteen hyperparameters and a few hundred noisy runs, maximum likelihood
    picks one of many near-equally likely fits, and a single GP's intervals ignore the
    others. On the calibration's last wave the single emulators covered 91-94% of held-back
    runs on their weakest outputs, and the refits' spread is the missing part (an offline
    check: docs/calibration.md)."""

    def __init__(self, refits: int = 5, restarts: int = 3, seed: int = 0):
        self.refits, self.restarts, self.seed = refits, restarts, seed
        self.members: list[Emulator] = []

    def fit(self, u: np.ndarray, y: np.ndarray) -> RefitMixture:
        group = np.arange(len(y)) % self.refits
        np.random.default_rng(self.seed).shuffle(group)
        self.members = [Emulator(self.restarts, seed=0).fit(u[group != g], np.asarray(y)[group != g])
                        for g in range(self.refits)]
        return self

    def predict(self, u: np.ndarray, noise: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """As ``Emulator.predict``, pooled over the refits."""
        means, sds = np.array([m.predict(u, noise=noise) for m in self.members]).transpose(1, 0, 2)
        spread = (self.refits - 1) * means.var(axis=0)
        return means.mean(axis=0), np.sqrt((sds ** 2).mean(axis=0) + spread)

    def mean_at(self, u: np.ndarray) -> np.ndarray:
        return np.mean([m.mean_at(u) for m in self.members], axis=0)

    @property
    def run_noise_sd(self) -> float:
        return float(np.mean([m.run_noise_sd for m in self.members]))

    @property
    def length_scales(self) -> np.ndarray:
        return np.median([m.length_scales for m in self.members], axis=0)


def make_emulator(refits: int = 1, restarts: int = 3, seed: int = 0) -> Emulator | RefitMixture:
    """A single emulator (``refits`` 1) or a mixture of ``refits`` refits."""
    if refits > 1:
        return RefitMixture(refits, restarts, seed)
    return Emulator(restarts, seed)


def validate(u: np.ndarray, y: np.ndarray, held: np.ndarray, **kw) -> dict:
    """Fit on the runs not ``held`` and count the held-back runs inside the emulator's 95%
    predictive intervals (for a single run: with the run noise). ``kw``: ``make_emulator``'s."""
    fitted = make_emulator(**kw).fit(u[~held], y[~held])
    mean, sd = fitted.predict(u[held], noise=True)
    inside = np.abs(y[held] - mean) <= Z95 * sd
    return {"held_back": int(held.sum()), "inside": int(inside.sum()),
            "inside_95": float(inside.mean()),
            "rmse": float(np.sqrt(np.mean((y[held] - mean) ** 2))),
            "run_noise_sd": fitted.run_noise_sd}
