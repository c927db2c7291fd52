"""The frontier search (experiments/frontier.py): the smallest worst deviation from the
aimed observations among points the other observations do not rule out."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from experiments.emulator import Space
from experiments.frontier import closest
from experiments.history_matching import LoadedMatching, Observation


class _Linear:
    """A fake emulator: the output is one input exactly, known to within ``sd``."""

    def __init__(self, column: int, sd: float = 0.001):
        self.column, self.sd = column, sd

    def predict(self, u, noise=False):
        return u[:, self.column], np.full(len(u), self.sd)


def _problem():
    # Two aimed figures read the same input a and pull it apart (0.6 and 0.2): no point
    # meets both, and the minimax answer is a = 0.4, missing each by 0.2. A third
    # observation pins b near 0.9; it is not aimed at, only a constraint.
    space = Space(["a", "b"], np.zeros(2), np.ones(2), np.zeros(2, bool))
    obs = (Observation("high", "run", 0.6, 0.01, 0.0, False),
           Observation("low", "run", 0.2, 0.01, 0.0, False),
           Observation("pin", "evidence", 0.9, 0.01, 0.0, False))
    loaded = LoadedMatching(spec=SimpleNamespace(matching=SimpleNamespace(cutoff=3.0)),
                            path=None, base=None, space=space, observations=obs)
    return loaded, {"high": _Linear(0), "low": _Linear(0), "pin": _Linear(1)}


def test_the_search_finds_the_minimax_point_inside_the_constraint():
    loaded, emulators = _problem()
    start = np.random.default_rng(0).random((300, 2))
    found = closest(loaded, emulators, ["high", "low"], start, cutoff=3.0, keep=20)
    best = found.iloc[0]
    assert abs(best["a"] - 0.4) < 0.01 and abs(best["worst"] - 0.2) < 0.01
    assert abs(best["dev_high"] + 0.2) < 0.01 and abs(best["dev_low"] - 0.2) < 0.01
    # the constraint holds: b stays where the third observation leaves it plausible
    assert best["implausibility_pin"] < 3.0 and abs(best["b"] - 0.9) < 3 * np.hypot(0.01, 0.001)
    assert found["worst"].is_monotonic_increasing


def test_dropping_a_constraint_frees_its_parameter():
    loaded, emulators = _problem()
    start = np.random.default_rng(1).random((300, 2))
    free = closest(loaded, emulators, ["high", "low", "pin"], start, cutoff=3.0, keep=50)
    # aimed at too, the third figure is one more deviation to balance: b is pulled to
    # within the worst deviation of 0.9, not pinned by the cut-off
    assert abs(free.iloc[0]["b"] - 0.9) <= free.iloc[0]["worst"] + 1e-9
    assert abs(free.iloc[0]["worst"] - 0.2) < 0.01
