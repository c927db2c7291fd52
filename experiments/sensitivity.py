"""Global sensitivity analysis of any model: Morris screening and Sobol indices (SALib).

Nothing here knows about Barrios. A *problem* is a SALib ProblemSpec-style dict::

    problem = {"names": ["a", "b"], "bounds": [[0, 1], [-3.14, 3.14]],
               "dists": ["unif", "unif"]}          # dists optional (SALib names)

and a *model* is either a callable from one parameter dict to a dict of outcomes::

    def model(params: dict[str, float]) -> dict[str, float]: ...

or an ``evaluate_many(X) -> pandas.DataFrame`` hook that takes the whole design matrix
(one row per design point, columns in ``names`` order) and returns one row per point
and one column per outcome — how a caller plugs in its own batch runner (Barrios runs
its simulations through Dask and a resumable store this way).

``analyse(problem, model, method="morris")`` samples with ``SALib.sample.morris``
(trajectories), evaluates, and returns μ, μ*, σ per parameter and outcome with
bootstrap confidence intervals for μ* (SALib) and σ (resampling trajectories).
``analyse(problem, model, method="sobol")`` samples with ``SALib.sample.sobol`` (Saltelli's
scheme on a scrambled Sobol sequence; not the deprecated ``saltelli`` module) and returns
first-order (S1) and total (ST) indices, optionally second-order (S2), with bootstrap
confidence intervals. Both also report the indices on the first half of the design
(N/2 base samples or r/2 trajectories) next to the full design, flag wide intervals and
disagreement between the two, and suggest a design size (``convergence``).

The lower-level pieces — ``sample``, ``morris_indices``, ``sobol_indices``,
``convergence`` — take a design and its outputs, for callers that evaluate on their own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from SALib import ProblemSpec
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

SALIB_DISTS = ("unif", "triang", "norm", "truncnorm", "lognorm", "logunif")


class ProblemError(ValueError):
    """A problem definition that cannot be analysed; the message names the key."""


def make_problem(problem: dict) -> ProblemSpec:
    """Check a problem dict (names, bounds, optional dists/groups) and return a ProblemSpec."""
    for key in ("names", "bounds"):
        if key not in problem:
            raise ProblemError(f"{key}: expected a list, found nothing")
    names, bounds = list(problem["names"]), [list(map(float, b)) for b in problem["bounds"]]
    if not names:
        raise ProblemError("names: expected at least one parameter, found none")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ProblemError(f"names: expected distinct names, found {', '.join(dup)} twice")
    if len(bounds) != len(names):
        raise ProblemError(f"bounds: expected {len(names)} pairs (one per name), found {len(bounds)}")
    dists = list(problem.get("dists") or ["unif"] * len(names))
    if len(dists) != len(names):
        raise ProblemError(f"dists: expected {len(names)} entries (one per name), found {len(dists)}")
    for name, b, dist in zip(names, bounds, dists):
        if dist not in SALIB_DISTS:
            raise ProblemError(f"dists.{name}: expected one of {', '.join(SALIB_DISTS)}, found {dist!r}")
        if len(b) not in (2, 3):
            raise ProblemError(f"bounds.{name}: expected [low, high], found {b}")
        if not all(math.isfinite(v) for v in b):
            raise ProblemError(f"bounds.{name}: expected finite numbers, found {b}")
        if dist in ("unif", "logunif", "triang", "truncnorm") and not b[0] < b[1]:
            raise ProblemError(f"bounds.{name}: expected low < high, found {b[0]:g}, {b[1]:g}")
        if dist == "logunif" and b[0] <= 0:
            raise ProblemError(f"bounds.{name}: expected low > 0 for logunif, found {b[0]:g}")
    spec = {"names": names, "bounds": bounds, "dists": dists, "num_vars": len(names)}
    if problem.get("outputs"):
        spec["outputs"] = list(problem["outputs"])
    return ProblemSpec(spec)


def _plain(problem) -> dict:
    """The dict SALib's functional API wants (names, bounds, num_vars, dists)."""
    return {k: problem[k] for k in ("names", "bounds", "num_vars", "dists") if k in problem}


def sample(problem: dict | ProblemSpec, method: str, n: int, *, seed: int = 0,
           num_levels: int = 4, second_order: bool = False) -> np.ndarray:
    """The design matrix. Morris: ``n`` trajectories of D+1 points. Sobol: ``n`` base
    samples (a power of two), n·(D+2) points (n·(2D+2) with second order)."""
    spec = problem if isinstance(problem, ProblemSpec) else make_problem(problem)
    if method == "morris":
        if n < 2:
            raise ProblemError(f"trajectories: expected at least 2, found {n}")
        if num_levels < 2 or num_levels % 2:
            raise ProblemError(f"levels: expected an even number >= 2, found {num_levels}")
        if any(d != "unif" for d in spec["dists"]):
            # SALib's Morris grid is on the unit cube; other marginals through their quantiles
            unit = morris_sample.sample({**_plain(spec), "bounds": [[0, 1]] * spec["num_vars"],
                                         "dists": ["unif"] * spec["num_vars"]},
                                        n, num_levels=num_levels, seed=seed)
            return _from_unit(unit, spec)
        return morris_sample.sample(_plain(spec), n, num_levels=num_levels, seed=seed)
    if method == "sobol":
        if n < 2 or n & (n - 1):
            raise ProblemError(f"samples: expected a power of two >= 2, found {n}")
        return sobol_sample.sample(_plain(spec), n, calc_second_order=second_order, seed=seed)
    raise ProblemError(f"method: expected 'morris' or 'sobol', found {method!r}")


def _from_unit(unit: np.ndarray, spec) -> np.ndarray:
    from SALib.util import nonuniform_scale_samples

    eps = 1e-9  # keep quantiles finite at the grid's 0 and 1
    return nonuniform_scale_samples(np.clip(unit, eps, 1 - eps), spec["bounds"], spec["dists"])


def _to_unit(X: np.ndarray, spec) -> np.ndarray:
    """Inverse of the marginal scaling, for Morris step sizes (uniform marginals only)."""
    lo = np.array([b[0] for b in spec["bounds"]], float)
    hi = np.array([b[1] for b in spec["bounds"]], float)
    return (X - lo) / (hi - lo)


# --- Morris --------------------------------------------------------------------------

def morris_indices(problem: dict | ProblemSpec, X: np.ndarray, Y: pd.DataFrame, *,
                   num_levels: int = 4, conf_level: float = 0.95, num_resamples: int = 1000,
                   seed: int = 0, trajectories: int | None = None) -> pd.DataFrame:
    """μ, μ*, σ per outcome and parameter from a Morris design (X) and outputs (Y, one
    column per outcome). ``trajectories`` uses only the first ones (convergence). The μ*
    interval is SALib's bootstrap; σ's is a percentile bootstrap over trajectories."""
    spec = problem if isinstance(problem, ProblemSpec) else make_problem(problem)
    d = spec["num_vars"]
    r_all = len(X) // (d + 1)
    r = min(trajectories or r_all, r_all)
    X, Y = np.asarray(X, float)[: r * (d + 1)], Y.iloc[: r * (d + 1)]
    if any(dist != "unif" for dist in spec["dists"]):
        raise ProblemError("dists: Morris elementary effects need uniform marginals ('unif')")
    rows = []
    alpha = (1 - conf_level) / 2
    rng = np.random.default_rng(seed)
    for outcome in Y.columns:
        y = Y[outcome].to_numpy(float)
        if not np.isfinite(y).all():
            rows += [_nan_morris(outcome, n) for n in spec["names"]]
            continue
        res = morris_analyze.analyze(_plain(spec), X, y, num_resamples=num_resamples,
                                     conf_level=conf_level, num_levels=num_levels, seed=seed)
        ee = elementary_effects(spec, X, y)   # trajectories x parameters
        boot = rng.integers(0, r, size=(max(num_resamples // 5, 50), r))
        sig = np.array([ee[b].std(axis=0, ddof=1) for b in boot])
        for j, name in enumerate(spec["names"]):
            rows.append({"outcome": outcome, "parameter": name, "mu": float(res["mu"][j]),
                         "mu_star": float(res["mu_star"][j]),
                         "mu_star_conf": float(res["mu_star_conf"][j]),
                         "sigma": float(res["sigma"][j]),
                         "sigma_low": float(np.quantile(sig[:, j], alpha)),
                         "sigma_high": float(np.quantile(sig[:, j], 1 - alpha)),
                         "trajectories": r})
    df = pd.DataFrame(rows)
    df["rank"] = df.groupby("outcome")["mu_star"].rank(ascending=False, method="min")
    return df


def _nan_morris(outcome, name):
    return {"outcome": outcome, "parameter": name, **{k: float("nan") for k in (
        "mu", "mu_star", "mu_star_conf", "sigma", "sigma_low", "sigma_high")}, "trajectories": 0}


def elementary_effects(spec, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Elementary effects (trajectories x parameters), steps measured in the unit cube
    (SALib's unscaled convention: the effect of moving a parameter by Δ of its range, per Δ)."""
    d = spec["num_vars"]
    U = _to_unit(np.asarray(X, float), spec).reshape(-1, d + 1, d)
    y = np.asarray(y, float).reshape(-1, d + 1)
    dU = np.diff(U, axis=1)                      # r x d x d: one changed coordinate per step
    dy = np.diff(y, axis=1)                      # r x d
    which = np.abs(dU).argmax(axis=2)            # r x d: which parameter each step moved
    step = np.take_along_axis(dU, which[..., None], axis=2)[..., 0]
    ee = np.empty((len(y), d))
    rows = np.arange(len(y))[:, None]
    ee[rows, which] = dy / step
    return ee


# --- Sobol ---------------------------------------------------------------------------

def sobol_indices(problem: dict | ProblemSpec, Y: pd.DataFrame, *, second_order: bool = False,
                  conf_level: float = 0.95, num_resamples: int = 1000, seed: int = 0,
                  base_samples: int | None = None) -> pd.DataFrame:
    """S1, ST (and S2) with bootstrap intervals per outcome and parameter, from the outputs
    of a ``sample(..., "sobol")`` design. ``base_samples`` uses only the first N base
    samples of the design (the design of size N is a prefix of the one of size 2N)."""
    spec = problem if isinstance(problem, ProblemSpec) else make_problem(problem)
    d = spec["num_vars"]
    block = 2 * d + 2 if second_order else d + 2
    n_all = len(Y) // block
    n = min(base_samples or n_all, n_all)
    Y = Y.iloc[: n * block]
    rows = []
    for outcome in Y.columns:
        y = Y[outcome].to_numpy(float)
        ok = np.isfinite(y).all() and y.std() > 0
        res = sobol_analyze.analyze(_plain(spec), y, calc_second_order=second_order,
                                    num_resamples=num_resamples, conf_level=conf_level,
                                    seed=seed + 1) if ok else None  # SALib leaves seed 0 unseeded
        for j, name in enumerate(spec["names"]):
            row = {"outcome": outcome, "parameter": name, "base_samples": n}
            for key in ("S1", "S1_conf", "ST", "ST_conf"):
                row[key] = float(res[key][j]) if ok else float("nan")
            if second_order:
                for k, other in enumerate(spec["names"]):
                    if k > j:
                        row[f"S2_{other}"] = float(res["S2"][j, k]) if ok else float("nan")
                        row[f"S2_{other}_conf"] = float(res["S2_conf"][j, k]) if ok else float("nan")
            rows.append(row)
    return pd.DataFrame(rows)


# --- convergence ----------------------------------------------------------------------

def convergence(half: pd.DataFrame, full: pd.DataFrame, method: str, size: int, *,
                wide: float | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Indices of the first half of the design next to the whole design, with warnings
    (``convergence_checks`` in words)."""
    if method == "sobol":
        keys, conf = ["S1", "ST"], {"S1": "S1_conf", "ST": "ST_conf"}
    else:
        keys, conf = ["mu_star", "sigma"], {"mu_star": "mu_star_conf"}
    table = full[["outcome", "parameter"]].copy()
    for k in keys:
        table[f"{k}_half"] = half[k].to_numpy()
        table[k] = full[k].to_numpy()
        if k in conf:
            table[conf[k]] = full[conf[k]].to_numpy()
    return table, [c.warning(method) for c in convergence_checks(table, method, size, wide=wide)]


@dataclass
class ConvergenceCheck:
    """An outcome whose indices have not settled: its widest interval half-width against
    the ``target``, the parameters whose estimates moved from half the design to all of it,
    and the design size suggested."""

    outcome: str
    widest: float
    target: float
    disagree: list[str]
    suggest: int

    @property
    def too_wide(self) -> bool:
        return self.widest > self.target

    def warning(self, method: str) -> str:
        what = "N" if method == "sobol" else "trajectories"
        parts = []
        if self.too_wide:
            parts.append(f"widest interval ±{self.widest:.3g} exceeds {self.target:.3g}")
        if self.disagree:
            parts.append(("indices at N/2 and N disagree for " if method == "sobol" else
                          "the top 5 by μ* at r/2 and r differ: ") + ", ".join(self.disagree[:6]))
        return f"{self.outcome}: {'; '.join(parts)}; suggested {what} ≈ {self.suggest}"


def convergence_checks(table: pd.DataFrame, method: str, size: int, *,
                       wide: float | None = None) -> list[ConvergenceCheck]:
    """The outcomes of a convergence ``table`` whose indices have not settled.

    ``size`` is the full design's N (Sobol base samples) or r (Morris trajectories).
    An interval is *wide* when its half-width exceeds ``wide`` (Sobol: 0.1 in index units;
    Morris: a quarter of the largest μ* of that outcome); two estimates *disagree* when
    they differ by more than the full design's interval half-width (Sobol) or the top five
    by μ* differ (Morris). The suggested size scales the full size by (widest / target)²
    (intervals shrink like 1/√N), rounded up to a power of two for Sobol.
    """
    checks = []
    for outcome, g in table.groupby("outcome", sort=False):
        if method == "sobol":
            target = wide if wide is not None else 0.1
            confs = g[["S1_conf", "ST_conf"]].to_numpy()
            widest = float(np.nanmax(confs)) if np.isfinite(confs).any() else float("nan")
            moved = ((g["ST"] - g["ST_half"]).abs() > g["ST_conf"]) | \
                    ((g["S1"] - g["S1_half"]).abs() > g["S1_conf"])
            disagree = list(g.loc[moved, "parameter"])
        else:
            top = float(np.nanmax(g["mu_star"])) if g["mu_star"].notna().any() else 0.0
            target = (wide if wide is not None else 0.25) * top
            widest = (float(np.nanmax(g["mu_star_conf"])) if g["mu_star_conf"].notna().any()
                      else float("nan"))
            k = min(5, len(g))
            a = set(g.nlargest(k, "mu_star")["parameter"])
            b = set(g.nlargest(k, "mu_star_half")["parameter"])
            disagree = sorted(a ^ b)
        if not np.isfinite(widest) or target <= 0:
            continue
        if widest > target or disagree:
            factor = max((widest / target) ** 2, 2.0 if disagree else 1.0)
            suggest = math.ceil(size * factor)
            if method == "sobol":
                suggest = 2 ** math.ceil(math.log2(suggest))
            checks.append(ConvergenceCheck(str(outcome), widest, target, disagree, suggest))
    return checks


# --- the one-call interface ---------------------------------------------------------------

@dataclass
class SensitivityResult:
    method: str
    problem: dict
    X: np.ndarray
    Y: pd.DataFrame
    indices: pd.DataFrame            # the whole design
    half: pd.DataFrame               # the first half of the design
    convergence: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


def analyse(problem: dict, model: Callable[[dict], dict] | None = None, *, method: str = "morris",
            n: int | None = None, evaluate_many: Callable[[np.ndarray], pd.DataFrame] | None = None,
            seed: int = 0, num_levels: int = 4, second_order: bool = False,
            conf_level: float = 0.95, num_resamples: int = 1000) -> SensitivityResult:
    """Sample, evaluate and analyse in one call.

    ``model`` maps a parameter dict to an outcome dict (evaluated point by point), or
    ``evaluate_many`` maps the design matrix to a DataFrame of outcomes (one row per point).
    ``n``: Morris trajectories (default 10) or Sobol base samples (default 1024, a power of
    two). Returns the indices, the same indices on the first half of the design, the two
    side by side and convergence warnings.
    """
    if (model is None) == (evaluate_many is None):
        raise ProblemError("model: expected a callable or evaluate_many, found "
                           + ("neither" if model is None else "both"))
    spec = make_problem(problem)
    n = n or (10 if method == "morris" else 1024)
    X = sample(spec, method, n, seed=seed, num_levels=num_levels, second_order=second_order)
    if evaluate_many is not None:
        Y = pd.DataFrame(evaluate_many(X)).reset_index(drop=True)
    else:
        Y = pd.DataFrame([model(dict(zip(spec["names"], map(float, row)))) for row in X])
    if len(Y) != len(X):
        raise ProblemError(f"model: expected {len(X)} rows of outcomes, found {len(Y)}")
    kw = dict(conf_level=conf_level, num_resamples=num_resamples, seed=seed)
    if method == "morris":
        full = morris_indices(spec, X, Y, num_levels=num_levels, **kw)
        half = morris_indices(spec, X, Y, num_levels=num_levels, trajectories=max(n // 2, 2), **kw)
    else:
        full = sobol_indices(spec, Y, second_order=second_order, **kw)
        half = sobol_indices(spec, Y, second_order=second_order, base_samples=max(n // 2, 1), **kw)
    table, warnings = convergence(half, full, method, n)
    return SensitivityResult(method, _plain(spec), X, Y, full, half, table, warnings)
