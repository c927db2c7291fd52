"""Experimental designs: full factorial, Latin hypercube, Sobol sequence (scipy.stats.qmc).

A ``Variable`` is a lever or an uncertainty (a range with a distribution, or levels); a
``Design`` says how to sample them. A design table has one row per design point and one
column per variable, in the variables' own units. Quasi-random designs draw points in the
unit cube and map each coordinate through the variable's distribution (inverse CDF); a
variable with ``levels`` takes one of them (the unit interval cut into equal parts).
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field
from scipy import stats
from scipy.stats import qmc

from simulation.schema import StrictModel


class Variable(StrictModel):
    """A lever or an uncertainty: a range with a distribution, or a list of levels."""

    target: str | None = None
    low: float | None = None
    high: float | None = None
    distribution: Literal["uniform", "loguniform", "triangular", "normal"] = "uniform"
    mode: float | None = None
    levels: list[float | int | str | bool] | None = None
    integer: bool = False

    def bounds(self) -> tuple[float, float]:
        return float(self.low), float(self.high)


class Design(StrictModel):
    kind: Literal["full_factorial", "latin_hypercube", "sobol"] = "latin_hypercube"
    samples: int = Field(64, ge=1, le=10_000_000)
    levels: int = Field(3, ge=2, le=100)
    seed: int = Field(0, ge=0)


def unit_to_values(u: np.ndarray, var: Variable) -> np.ndarray | list:
    """Map points of [0, 1) to the variable's values (inverse CDF)."""
    if var.levels is not None:
        idx = np.minimum((u * len(var.levels)).astype(int), len(var.levels) - 1)
        return [var.levels[i] for i in idx]
    low, high = var.bounds()
    if var.integer and var.distribution == "uniform":
        # every integer in [low, high] equally likely (rounding would halve the ends)
        return np.minimum(np.floor(low + u * (high - low + 1)), high).astype(int)
    match var.distribution:
        case "uniform":
            x = low + u * (high - low)
        case "loguniform":
            x = np.exp(np.log(low) + u * (np.log(high) - np.log(low)))
        case "triangular":
            c = (var.mode - low) / (high - low)
            x = stats.triang(c, loc=low, scale=high - low).ppf(u)
        case "normal":  # mean at the centre, 2 sd to each bound, truncated at the bounds
            mean, sd = (low + high) / 2, (high - low) / 4
            x = stats.truncnorm(-2, 2, loc=mean, scale=sd).ppf(u)
    return np.rint(x).astype(int) if var.integer else x


def factorial_levels(var: Variable, n_levels: int) -> list:
    if var.levels is not None:
        return list(var.levels)
    low, high = var.bounds()
    values = np.linspace(low, high, n_levels)
    return sorted(set(np.rint(values).astype(int).tolist())) if var.integer else values.tolist()


def make_design(variables: dict[str, Variable], design: Design) -> pd.DataFrame:
    """The design table: one row per point, one column per variable."""
    names = list(variables)
    if not names:
        return pd.DataFrame(index=range(1))
    if design.kind == "full_factorial":
        grids = [factorial_levels(variables[n], design.levels) for n in names]
        return pd.DataFrame(list(itertools.product(*grids)), columns=names)
    d = len(names)
    if design.kind == "latin_hypercube":
        unit = qmc.LatinHypercube(d=d, seed=design.seed).random(design.samples)
    else:
        m = int(math.log2(design.samples))
        if 2 ** m != design.samples:
            raise ValueError(f"expected a power of two for a Sobol design, found {design.samples}")
        unit = qmc.Sobol(d=d, scramble=True, seed=design.seed).random_base2(m)
    return pd.DataFrame({n: unit_to_values(unit[:, i], variables[n]) for i, n in enumerate(names)})
