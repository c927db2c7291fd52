"""Who gets the programme in a virtual evaluation, decided inside the run on the trial's
start day from what the city looks like then, as an evaluator would decide it.

``Assignment`` is the run's ``DayHook`` (``experiments.runs``). On the start day it

1. records each barrio's covariates (every targeting indicator: disadvantage, disorder,
   darkness, reported incidents, fear, population);
2. sets aside barrios the programme already covers (``covered``: in neither arm);
3. ranks the rest by the design's indicator (ties broken at random) and keeps the top
   ``eligible_count`` or ``eligible_share`` as eligible;
4. randomizes: the eligible barrios are cut into ``blocks`` strata of consecutive rank
   (pairs for a hot-spot experiment) and ``treated_share`` of each stratum is treated;
   in a catchment design the controls are the untreated eligible barrios more than
   ``far_steps`` from any treated one;
5. gives the programme to the treatment arm (``Timeline.assign``) and labels catchments:
   untreated barrios within ``catchment_steps`` (Moore steps) of the treatment arm and
   farther from the control arm (``catchment``), and the reverse (``control_catchment``).

The draw uses its own stream, child 0 of the run's seed sequence
(``SeedSequence(seed, spawn_key=(replication, 0))``): the assignment of replication k is
fixed by the study's seed, whatever the number of workers, and independent of the model's
own draws. Each barrio's random key is drawn once, so a larger ``treated_share`` treats a
superset of a smaller one (dose-response designs are nested).

A matched design assigns nothing: the hook only records the covariates on the first day,
and ``experiments.matching`` finds controls after the run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import ndimage

from simulation.interventions import INTERVENTIONS

COVARIATES = ("disadvantage", "disorder", "darkness", "incidents", "fear", "population")
"""Indicators recorded for every barrio on the start day (``BarriosModel.indicator``)."""


def assignment_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The assignment's stream: child 0 of replication ``replication``'s sequence."""
    return np.random.SeedSequence(seed, spawn_key=(replication, 0))


@dataclass(frozen=True)
class Assignment:
    """A virtual evaluation's assignment (a picklable ``DayHook``)."""

    day: int                  # days since the run's start: the trial's start
    programme: str
    kind: str                 # randomized | hot_spots | catchment | matched
    indicator: str
    seed: int
    replication: int
    eligible_share: float = 1.0
    eligible_count: int | None = None
    treated_share: float = 0.5
    blocks: int | None = None
    ramp_months: float = 0.0
    catchment_steps: int = 0
    far_steps: int = 0
    settings: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    def __call__(self, model) -> pd.DataFrame:
        table = covariates(model)
        if self.kind == "matched":
            return table
        rng = np.random.default_rng(assignment_seed(self.seed, self.replication))
        key = rng.random(len(table))      # each barrio's lottery number
        tie = rng.random(len(table))      # tie-break of the ranking
        rounding = rng.random(len(table))  # per stratum: who gets a fractional place
        covered = self._covered(model, table["barrio_id"].to_numpy())
        rank = _rank(table[self.indicator].to_numpy(), tie, covered)
        eligible = rank < self._eligible_count(int((~covered).sum()))
        strata = np.where(eligible, _strata(rank, eligible, self._blocks(eligible.sum())), -1)
        treated = _draw(strata, key, rounding, self.treated_share)
        if not treated.any():
            raise ValueError(f"the design treats no barrio (eligible {int(eligible.sum())}, "
                             f"treated_share {self.treated_share})")
        steps_t = steps_to(model.city, table["barrio_id"].to_numpy(), treated)
        control = eligible & ~treated
        if self.kind == "catchment":
            control &= steps_t > self.far_steps
        steps_c = steps_to(model.city, table["barrio_id"].to_numpy(), control)
        table["rank"] = np.where(covered, -1, rank)
        table["block"] = strata
        table["area"] = self._areas(covered, eligible, treated, control, steps_t, steps_c)
        table["steps_to_treatment"], table["steps_to_control"] = steps_t, steps_c
        ids = table["barrio_id"].to_numpy()[treated]
        model.timeline.assign(self.programme, ids[np.argsort(rank[treated])], model.date,
                              self.ramp_months, **dict(self.settings))
        return table

    def _covered(self, model, ids: np.ndarray) -> np.ndarray:
        if INTERVENTIONS[self.programme].counts != "barrios":
            return np.zeros(len(ids), dtype=bool)  # patrols and operations cover no barrio
        return model.treated(self.programme)[ids].copy()

    def _eligible_count(self, available: int) -> int:
        if self.eligible_count is not None:
            return min(self.eligible_count, available)
        return int(round(self.eligible_share * available))

    def _blocks(self, n_eligible: int) -> int:
        return max(1, min(self.blocks or 1, int(n_eligible)))

    def _areas(self, covered, eligible, treated, control, steps_t, steps_c) -> np.ndarray:
        area = np.where(covered, "covered", np.where(eligible, "eligible", "other")).astype(object)
        area[treated], area[control] = "treatment", "control"
        k = self.catchment_steps
        if k > 0:
            free = ~treated & ~control & ~covered
            area[free & (steps_t <= k) & (steps_c > k)] = "catchment"
            if self.kind != "catchment":  # there, far controls have no catchment of their own
                area[free & (steps_c <= k) & (steps_t > k)] = "control_catchment"
        area[(area == "eligible")] = "other"  # eligible, in neither arm (a catchment design)
        return area.astype(str)


def covariates(model) -> pd.DataFrame:
    """Every valid barrio's targeting indicators today."""
    ids = model.valid_barrios
    return pd.DataFrame({"barrio_id": ids,
                         **{name: model.indicator(name)[ids].astype(float) for name in COVARIATES}})


def _rank(values: np.ndarray, tie: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """0 for the barrio with the highest value among those not covered (ties at random);
    covered barrios rank last."""
    order = np.lexsort((tie, -values, covered))
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank


def _strata(rank: np.ndarray, eligible: np.ndarray, blocks: int) -> np.ndarray:
    """The stratum of each eligible barrio: ``blocks`` runs of consecutive rank."""
    n = int(eligible.sum())
    bounds = np.linspace(0, n, blocks + 1)
    return np.searchsorted(bounds, rank, side="right") - 1


def _draw(strata: np.ndarray, key: np.ndarray, rounding: np.ndarray, share: float) -> np.ndarray:
    """Treat ``share`` of each stratum (-1: not eligible): the members with the smallest
    lottery numbers, floor(share x size) of them plus one with the chance of the
    fractional part (so a larger share treats a superset)."""
    treated = np.zeros(len(strata), dtype=bool)
    for s in range(int(strata.max()) + 1):
        members = np.flatnonzero(strata == s)
        exact = share * len(members)
        n = math.floor(exact) + int(rounding[s] < exact - math.floor(exact))
        treated[members[np.argsort(key[members], kind="stable")[:n]]] = True
    return treated


def steps_to(city, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Moore steps from each barrio ``ids[i]`` to the nearest barrio where ``mask`` is
    true (a large number if none)."""
    if not mask.any():
        return np.full(len(ids), 10**6, dtype=np.int64)
    grid = np.ones(city.n, dtype=bool)
    grid[ids[mask]] = False
    distance = ndimage.distance_transform_cdt(city.as_grid(grid), metric="chessboard")
    return distance.reshape(-1)[ids].astype(np.int64)
