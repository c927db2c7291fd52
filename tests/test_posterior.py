"""The Bayesian step after history matching recovers a posterior known in closed form."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from experiments import posterior
from experiments.emulator import Space
from experiments.history_matching import Observation


class Exact:
    """An 'emulator' that knows the model: the output is the first parameter."""

    def predict(self, u, noise=False):
        u = np.atleast_2d(u)
        return u[:, 0], np.full(len(u), 1e-9)


def toy(observed=0.3, sd=0.05, held=None):
    space = Space(["a", "b"], np.zeros(2), np.ones(2), np.array([False, False]))
    observations = [Observation("out", "run", observed, sd, 0.0, False)]
    if held:
        observations.append(Observation(held, "run", 0.9, 0.01, 0.0, True))
    loaded = SimpleNamespace(space=space, observations=tuple(observations),
                             spec=SimpleNamespace(matching=SimpleNamespace(cutoff=3.0)))
    return loaded, [{"out": Exact(), **({held: Exact()} if held else {})}]


def test_the_posterior_is_the_likelihood_on_the_prior():
    """z = a + noise(sd 0.05), a and b uniform: a's posterior is N(0.3, 0.05) cut at the
    implausibility's 3 sd, b's stays uniform."""
    loaded, sets = toy()
    draws = posterior.sample_posterior(loaded, sets, loaded.space, seed=1, rounds=1)
    w = draws["weight"].to_numpy()
    ess = posterior.effective_size(w)
    assert ess > 2000
    mean_a = np.sum(w * draws["a"])
    assert mean_a == pytest.approx(0.3, abs=4 * 0.05 / np.sqrt(ess))
    sd_a = np.sqrt(np.sum(w * (draws["a"] - mean_a) ** 2))
    assert sd_a == pytest.approx(0.05 * 0.9733, rel=0.05)   # a normal cut at ±3 sd
    low, high = posterior.weighted_quantiles(draws["a"].to_numpy(), w, [0.05, 0.95])
    assert (low, high) == pytest.approx((0.3 - 1.645 * 0.05, 0.3 + 1.645 * 0.05), abs=0.01)
    assert draws["a"].between(0.15, 0.45).all()                # nothing the cut-off rules out
    b_low, b_high = posterior.weighted_quantiles(draws["b"].to_numpy(), w, [0.05, 0.95])
    assert (b_low, b_high) == pytest.approx((0.05, 0.95), abs=0.03)


def test_a_held_out_observation_does_not_move_the_posterior():
    """An observation held out (0.9, far from the fitted 0.3) neither rules out nor
    weighs: the posterior predicts it from the other observations, and the test fails it."""
    loaded, sets = toy(held="other")
    draws = posterior.sample_posterior(loaded, sets, loaded.space, seed=2, rounds=1)
    assert np.sum(draws["weight"] * draws["a"]) == pytest.approx(0.3, abs=0.01)
    predictions = pd.DataFrame({"observation": ["out", "other"], "held_out": [False, True]})
    table = posterior.with_predictions(predictions, sets[-1], loaded.space, draws)
    held = table.set_index("observation").loc["other"]
    assert held["posterior_high_90"] < 0.9                     # the held-out value misses
    assert held["posterior_low_90"] == pytest.approx(0.3 - 1.645 * 0.05, abs=0.01)
    assert table["posterior_draws"].iloc[0] == len(draws)


def test_the_second_stage_sharpens_a_narrow_posterior():
    """A posterior much narrower than the box: the mixture stage lifts the effective size
    far above what the uniform stage alone gives."""
    loaded, sets = toy(sd=0.005)
    draws = posterior.sample_posterior(loaded, sets, loaded.space, seed=3, rounds=1)
    uniform_share = 6 * 0.005                                  # the set's width in the box
    assert posterior.effective_size(draws["weight"].to_numpy()) > 5 * uniform_share * posterior.BATCH
    assert np.sum(draws["weight"] * draws["a"]) == pytest.approx(0.3, abs=0.002)
