"""Residents and youth: the many agents, as arrays.

``Population`` holds one array per attribute (struct of arrays, index = resident number),
and every mechanism steps whole arrays, as mesa-frames does for large populations. There
are no per-resident Python objects: 28,000 of them would cost memory and set-up time and
no mechanism would use them. The few agents (committees, UPC posts, patrol units) are
ordinary Mesa agents on the barrio grid.

Youth (12-24) are residents who carry an offending propensity (see ``offending``).
"""

from __future__ import annotations

import numpy as np

AGE_GROUPS = ("youth", "adult", "older")  # 12-24, 25-64, 65+ (share: params.older_share)


class Population:
    """State of all residents as arrays (index = resident number)."""

    def __init__(self, city, params, inhabitants_per_agent: float, rng: np.random.Generator):
        pop = city.layer("population")
        expected = pop / inhabitants_per_agent
        # Stochastic rounding keeps small barrios represented on average.
        counts = np.floor(expected + rng.random(city.n)).astype(np.int64)
        counts[~city.valid] = 0
        self.n = n = int(counts.sum())
        self.home = np.repeat(np.arange(city.n, dtype=np.int32), counts)
        self.residents_per_barrio = np.bincount(self.home, minlength=city.n)
        self.barrio_start = np.concatenate([[0], np.cumsum(self.residents_per_barrio)])

        u = rng.random(n)
        self.youth = u < params.youth_share
        self.age_group = np.where(self.youth, 0, np.where(u > 1 - params.older_share, 2, 1)).astype(np.int8)
        self.youth_index = np.flatnonzero(self.youth)
        self.programme_draw = rng.random(n).astype(np.float32)  # fixed uptake lottery
        self.female = rng.random(n) < params.women_share
        self.migrant = rng.random(n) < params.migrant_share
        self.vulnerability = rng.lognormal(
            -params.vulnerability_heterogeneity ** 2 / 2, params.vulnerability_heterogeneity, n
        ).astype(np.float32)

        self.activity = _nearby(city, self.home, params.activity_distance_scale, rng)
        self.night_spot = _nearby(city, self.home, params.activity_distance_scale
                                  * params.night_spot_distance_ratio, rng)
        self.ties = self._make_ties(city, params, rng)

        self.detained_until = np.full(n, -10**6, dtype=np.int32)  # never detained
        self.last_victimized = np.full(n, -10**6, dtype=np.int32)
        self.committee_member = np.zeros(n, dtype=bool)
        self.in_sports = np.zeros(n, dtype=bool)
        self.in_prevention = np.zeros(n, dtype=bool)
        self.included = np.zeros(n, dtype=bool)  # reached by migrant inclusion services
        self.propensity = np.zeros(n, dtype=np.float32)
        self.propensity_base = np.zeros(n, dtype=np.float32)
        self.safe_public = np.zeros(n, dtype=np.float32)
        self.safe_neighbourhood = np.zeros(n, dtype=np.float32)
        self.baseline_public = np.zeros(n, dtype=np.float32)
        self.baseline_neighbourhood = np.zeros(n, dtype=np.float32)
        self.scar = np.zeros(n, dtype=np.float32)  # lasting fear from own victimization
        self.went_out_tonight = np.zeros(n, dtype=bool)

    def _make_ties(self, city, params, rng) -> np.ndarray:
        """Neighbour ties inside the home barrio, acquaintances anywhere (nearer likelier)."""
        k_n, k_a = int(params.neighbour_ties), int(params.acquaintance_ties)
        ties = np.empty((self.n, k_n + k_a), dtype=np.int32)
        for j in range(k_n):
            ties[:, j] = self.random_resident_of(self.home, rng)
        for j in range(k_a):
            where = _nearby(city, self.home, params.activity_distance_scale, rng)
            where = np.where(self.residents_per_barrio[where] > 0, where, self.home)
            ties[:, k_n + j] = self.random_resident_of(where, rng)
        return ties

    def random_resident_of(self, barrios: np.ndarray, rng) -> np.ndarray:
        """One uniformly drawn resident living in each given barrio (which must be inhabited)."""
        start = self.barrio_start[barrios]
        count = self.residents_per_barrio[barrios]
        return (start + (rng.random(len(barrios)) * count).astype(np.int64)).astype(np.int32)

    def residents_of(self, barrios: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All residents living in ``barrios`` and, for each, its position in ``barrios``."""
        counts = self.residents_per_barrio[barrios]
        owner = np.repeat(np.arange(len(barrios)), counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.barrio_start[barrios][owner] + offset, owner

    def group_codes(self) -> np.ndarray:
        """Code for group shares: bit 0 female, bit 1 youth, bit 2 migrant."""
        return (self.female.astype(np.int8) | (self.youth.astype(np.int8) << 1)
                | (self.migrant.astype(np.int8) << 2))


def _nearby(city, home: np.ndarray, scale: float, rng) -> np.ndarray:
    """A barrio near each home: exponential distance with ``scale`` cells, random direction."""
    r = rng.exponential(scale, len(home))
    angle = rng.random(len(home)) * 2 * np.pi
    x = np.rint(city.x[home] + r * np.cos(angle)).astype(np.int64)
    y = np.rint(city.y[home] + r * np.sin(angle)).astype(np.int64)
    return city.snap(x, y).astype(np.int32)
