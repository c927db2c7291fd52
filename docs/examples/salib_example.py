"""Sobol indices of Barrios with SALib, through the public API only (docs/api.md).

``barrios.problem`` gives SALib the parameters' plausible ranges; ``barrios.ModelFunction``
runs the model at each sample. (``barrios sensitivity`` does this at scale: Morris first,
stored and resumable runs, Dask, replication noise; this is the same in a dozen lines.)

    python docs/examples/salib_example.py        # N = 8 base samples on a tiny city: a demonstration

Sobol indices need many samples (N >= 512) and a city large enough that replication noise
does not swamp the effects; the intervals SALib reports say whether N was enough.
"""

from __future__ import annotations

import numpy as np
from SALib import ProblemSpec

import barrios

NAMES = ["fear_contagion", "memory_decay", "lighting_perception_effect"]
OUTCOME = "safe_public_change"
TINY = {"years": 0.25, "scale": 500, "city": {"width": 6, "height": 12, "population": 200_000}}


def main(samples: int = 8, **size) -> ProblemSpec:
    function = barrios.ModelFunction("scenarios/quito_2023_2025.toml", outcomes=[OUTCOME],
                                     seed=1, **(size or TINY))
    spec = ProblemSpec({**barrios.problem(NAMES), "outputs": [OUTCOME]})
    spec.sample_sobol(samples, calc_second_order=False, seed=1)
    spec.evaluate(lambda X: np.array([function(**dict(zip(NAMES, x)))[OUTCOME] for x in X]))
    spec.analyze_sobol(calc_second_order=False, seed=1)
    return spec


if __name__ == "__main__":
    print(main())
