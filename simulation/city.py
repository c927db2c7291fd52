"""The city: a Mesa ``OrthogonalMooreGrid`` of barrios whose attributes are property layers.

The synthetic layout is Quito-like: a long north-south strip (``height`` rows from south
to north, ``width`` columns west to east) with more disadvantage in the south and on the
periphery, denser population in the centre, and lighting and disorder that follow
disadvantage. A table (from a CSV, read by the caller) can replace the synthetic layout.

Every barrio-level array used in the hot loop is a flat *view* of a property layer's data,
so the layers Mesa shows (and the app draws) are always the ones the model steps.
"""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import OrthogonalMooreGrid
from scipy import ndimage, sparse

LAYERS = {
    # name: (dtype, meaning)
    "population": (float, "inhabitants (real persons)"),
    "disadvantage": (float, "socio-economic disadvantage, 0-1"),
    "lighting": (float, "street-lighting coverage, 0-1"),
    "lit_at_night": (float, "street lighting on tonight: coverage less power cuts, 0-1"),
    "disorder": (float, "physical disorder / poor public space, 0-1"),
    "collective_efficacy": (float, "committee-built collective efficacy, 0-1"),
    "sports_places": (float, "sports-programme places for youth (agents)"),
    "police_presence": (float, "police presence today (units)"),
    "attractiveness": (float, "repeat/near-repeat attractiveness (Short et al. 2008)"),
    "legitimacy": (float, "police legitimacy / trust, 0-1 (Epstein 2002)"),
    "reported_incidents": (float, "recent reported incidents (30-day decaying count)"),
    "safe_neighbourhood": (float, "share of residents feeling safe in their neighbourhood"),
    "incidents": (float, "incidents in the last 30 days (decaying count)"),
    "attractors": (float, "crime generators and attractors: markets, transport hubs, "
                          "nightlife, 0-1 (where offenders look for targets)"),
    "recruitment": (float, "armed-group recruitment of the barrio's youth, 0-1"),
}


class City:
    """The barrio grid plus flat views of its property layers.

    Barrio ``b`` is grid cell ``(b // height, b % height)``: ``x`` west-east, ``y``
    south-north. ``valid`` marks cells that are barrios (a CSV city may leave gaps).
    """

    def __init__(self, width: int, height: int, random):
        self.width, self.height = width, height
        self.grid = OrthogonalMooreGrid((width, height), torus=False, random=random)
        self.n = width * height
        self._flat = {}
        for name, (dtype, _) in LAYERS.items():
            layer = self.grid.create_property_layer(name, default_value=dtype(0), dtype=dtype)
            self._flat[name] = layer.data.reshape(-1)  # a view: the model steps Mesa's layer
        self.valid = np.ones(self.n, dtype=bool)
        x, y = np.divmod(np.arange(self.n), height)
        self.x, self.y = x, y
        self._cells = [self.grid[(int(a), int(b))] for a, b in zip(x, y)]

    def layer(self, name: str) -> np.ndarray:
        """A flat, writable view of a property layer (barrio index order)."""
        return self._flat[name]

    def cell(self, b: int):
        """The grid cell of barrio ``b`` (patrols move every day: looked up in a list)."""
        return self._cells[b]

    def as_grid(self, flat: np.ndarray) -> np.ndarray:
        return flat.reshape(self.width, self.height)

    def neighbour_sum(self, flat: np.ndarray) -> np.ndarray:
        """Sum over each barrio's Moore neighbours (cells outside the grid or not barrios
        count as nothing)."""
        # A sparse product over the adjacency the daily attractiveness kernel also walks.
        return self.adjacency @ flat

    def distances_from(self, b: int) -> np.ndarray:
        """Chebyshev (Moore) distance from barrio ``b`` to every barrio."""
        return np.maximum(np.abs(self.x - self.x[b]), np.abs(self.y - self.y[b]))

    def snap(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Barrio index of grid positions, clipped to the grid and moved to the nearest
        valid barrio (for CSV cities with gaps)."""
        x = np.clip(x, 0, self.width - 1)
        y = np.clip(y, 0, self.height - 1)
        return self._nearest_valid[x * self.height + y]

    def finish(self):
        """Freeze the barrio mask; precompute nearest-valid look-up and neighbour counts."""
        # adjacency: Moore neighbours as a CSR matrix; neighbour_count: existing neighbour
        # barrios of each cell (3 in a corner, 5 on an edge; at least 1)
        self.adjacency = moore_adjacency(self.width, self.height, self.valid)
        self.neighbour_count = np.maximum(self.neighbour_sum(np.ones(self.n)), 1.0)
        mask = self.as_grid(~self.valid)
        _, (ix, iy) = ndimage.distance_transform_edt(mask, return_indices=True)
        self._nearest_valid = (ix * self.height + iy).reshape(-1)


def moore_adjacency(width: int, height: int, valid: np.ndarray) -> sparse.csr_matrix:
    """``A[i, j] = 1`` when barrio ``j`` is a Moore neighbour of cell ``i`` (flat index
    ``x * height + y``, no wrap-around) and a barrio."""
    x, y = np.divmod(np.arange(width * height), height)
    rows, cols = [], []
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx == dy == 0:
                continue
            nx, ny = x + dx, y + dy
            inside = (nx >= 0) & (nx < width) & (ny >= 0) & (ny < height)
            j = nx[inside] * height + ny[inside]
            keep = valid[j]
            rows.append(np.flatnonzero(inside)[keep])
            cols.append(j[keep])
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(width * height,) * 2)


def synthetic_layout(city: City, population: int, disadvantage_shift: float, seed: int):
    """Fill layers with a Quito-like layout drawn from its own seed (same city every run).

    Disadvantage rises toward the south and the east/west periphery, plus smooth noise;
    population is densest in the centre strip; lighting falls and disorder rises with
    disadvantage (Quito's south and periphery: Metropolitan Plan diagnosis, seed 000).
    Crime attractors follow population density, plus a few hubs (markets, terminals,
    nightlife) with their surroundings (Brantingham & Brantingham 1995).
    """
    rng = np.random.default_rng(seed)
    w, h = city.width, city.height
    south = 1.0 - city.y / max(h - 1, 1)                     # 1 in the far south
    periphery = np.abs(city.x - (w - 1) / 2) / max((w - 1) / 2, 1)  # 1 at the edges
    noise = ndimage.gaussian_filter(rng.normal(size=(w, h)), sigma=2).reshape(-1)
    noise /= noise.std() + 1e-12
    z = 1.6 * south + 1.4 * periphery - 1.5 + 0.5 * noise + 3 * disadvantage_shift
    disadvantage = 1 / (1 + np.exp(-z))
    density = np.exp(-1.5 * periphery ** 2) * (0.6 + 0.4 * rng.gamma(4, 0.25, city.n))
    city.layer("population")[:] = population * density / density.sum()
    city.layer("disadvantage")[:] = disadvantage
    jitter = rng.normal(0, 0.05, city.n)
    city.layer("lighting")[:] = np.clip(0.85 - 0.6 * disadvantage + jitter, 0.05, 1)
    city.layer("disorder")[:] = np.clip(0.15 + 0.6 * disadvantage + jitter, 0, 1)
    hubs = np.zeros(city.n)
    hubs[rng.choice(city.n, max(1, city.n // 60), replace=False)] = 1.0
    hubs = ndimage.gaussian_filter(hubs.reshape(w, h), sigma=1.0).reshape(-1)
    city.layer("attractors")[:] = np.clip(0.5 * density / density.max()
                                          + 0.5 * hubs / max(hubs.max(), 1e-12), 0, 1)
    city.finish()


def table_layout(city: City, table, population: int | None = None):
    """Fill layers from a barrio table (columns row, col, population, disadvantage and
    optionally lighting, disorder, attractors; without attractors, the population's share
    of the largest barrio's). Cells not in the table are not barrios."""
    city.valid[:] = False
    b = table["col"].to_numpy(int) * city.height + table["row"].to_numpy(int)
    city.valid[b] = True
    pop = table["population"].to_numpy(float)
    if population:
        pop = pop * population / max(pop.sum(), 1.0)
    dis = table["disadvantage"].to_numpy(float)
    city.layer("population")[b] = pop
    city.layer("disadvantage")[b] = dis
    light = table["lighting"].to_numpy(float) if "lighting" in table else 0.85 - 0.6 * dis
    disorder = table["disorder"].to_numpy(float) if "disorder" in table else 0.15 + 0.6 * dis
    city.layer("lighting")[b] = np.clip(light, 0, 1)
    city.layer("disorder")[b] = np.clip(disorder, 0, 1)
    attractors = (table["attractors"].to_numpy(float) if "attractors" in table
                  else pop / max(pop.max(), 1e-12))
    city.layer("attractors")[b] = np.clip(attractors, 0, 1)
    city.finish()
