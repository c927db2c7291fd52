"""The generic sensitivity analysis (experiments.sensitivity) against functions whose
indices are known: Ishigami for Sobol, a linear function for Morris; and bad problems."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from experiments import sensitivity as sa

PI = math.pi
ISHIGAMI = {"names": ["x1", "x2", "x3"], "bounds": [[-PI, PI]] * 3}


def _ishigami_truth(a=7.0, b=0.1):
    """Analytic first-order and total indices of the Ishigami function."""
    v1 = 0.5 * (1 + b * PI ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * PI ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]}


@pytest.fixture(scope="module")
def ishigami():
    return sa.analyse(ISHIGAMI, evaluate_many=lambda X: pd.DataFrame({"y": Ishigami.evaluate(X)}),
                      method="sobol", n=1024, seed=3)


def test_sobol_recovers_the_ishigami_indices_within_their_intervals(ishigami):
    truth = _ishigami_truth()
    idx = ishigami.indices
    assert list(idx["parameter"]) == ["x1", "x2", "x3"]
    assert len(ishigami.X) == 1024 * (3 + 2)
    for key in ("S1", "ST"):
        est, conf = idx[key].to_numpy(), idx[f"{key}_conf"].to_numpy()
        assert (conf > 0).all() and (conf < 0.1).all(), conf  # intervals reported, and useful
        # the analytic value lies within the reported 95% interval
        assert (np.abs(est - np.array(truth[key])) <= conf).all(), (key, est, truth[key], conf)


def test_the_half_design_is_a_prefix_and_convergence_is_reported(ishigami):
    small = sa.sample(ISHIGAMI, "sobol", 512, seed=3)
    assert np.array_equal(small, ishigami.X[: len(small)])   # N/2 analysis reuses the runs
    conv = ishigami.convergence
    assert {"S1_half", "S1", "ST_half", "ST", "S1_conf", "ST_conf"} <= set(conv.columns)
    assert ishigami.half["base_samples"].iloc[0] == 512
    assert ishigami.warnings == []   # converged at N = 1024


def test_a_small_design_warns_and_suggests_a_larger_n():
    res = sa.analyse(ISHIGAMI, evaluate_many=lambda X: pd.DataFrame({"y": Ishigami.evaluate(X)}),
                     method="sobol", n=16, seed=1, num_resamples=200)
    assert res.warnings and "suggested N ≈" in res.warnings[0]
    n = int(res.warnings[0].rsplit("≈", 1)[1])
    assert n > 16 and n & (n - 1) == 0


def test_morris_ranks_a_linear_function_and_sees_no_interactions():
    coef = {"a": 10.0, "b": 5.0, "c": 1.0, "d": 0.1, "e": 0.0}
    problem = {"names": list(coef), "bounds": [[0, 1], [0, 3], [0, 1], [0, 1], [-1, 1]]}
    ranges = np.array([1, 3, 1, 1, 2])

    def model(p):
        return {"y": sum(coef[k] * v for k, v in p.items()), "xy": p["a"] * p["b"]}

    res = sa.analyse(problem, model, method="morris", n=10, seed=4)
    y = res.indices[res.indices["outcome"] == "y"].set_index("parameter")
    expected = np.array(list(coef.values())) * ranges     # effect over a parameter's whole range
    assert np.allclose(y["mu_star"], expected)
    assert np.allclose(y["mu_star_conf"], 0, atol=1e-9) and np.allclose(y["sigma"], 0, atol=1e-9)
    assert list(y.sort_values("mu_star", ascending=False).index) == ["b", "a", "c", "d", "e"]
    # the interaction term shows up as sigma > 0, with an interval around it
    xy = res.indices[res.indices["outcome"] == "xy"].set_index("parameter")
    assert xy.loc["a", "sigma"] > 0 and xy.loc["a", "sigma_low"] <= xy.loc["a", "sigma"] <= xy.loc["a", "sigma_high"]
    assert xy.loc["c", "mu_star"] == 0


def test_elementary_effects_match_salib():
    problem = {"names": ["p", "q", "r"], "bounds": [[0, 2], [1, 5], [-1, 1]]}
    spec = sa.make_problem(problem)
    X = sa.sample(spec, "morris", 8, seed=2)
    y = np.sin(X[:, 0]) * X[:, 1] + X[:, 2] ** 2
    ee = sa.elementary_effects(spec, X, y)
    idx = sa.morris_indices(spec, X, pd.DataFrame({"y": y}))
    assert np.allclose(ee.mean(axis=0), idx["mu"])
    assert np.allclose(np.abs(ee).mean(axis=0), idx["mu_star"])
    assert np.allclose(ee.std(axis=0, ddof=1), idx["sigma"])


def test_callable_and_evaluate_many_agree():
    f = lambda p: {"y": p["x1"] + 2 * p["x2"] * p["x3"]}  # noqa: E731
    a = sa.analyse(ISHIGAMI, f, method="sobol", n=64, seed=0)
    b = sa.analyse(ISHIGAMI, evaluate_many=lambda X: pd.DataFrame({"y": X[:, 0] + 2 * X[:, 1] * X[:, 2]}),
                   method="sobol", n=64, seed=0)
    pd.testing.assert_frame_equal(a.indices, b.indices)


@pytest.mark.parametrize("problem, message", [
    ({"bounds": [[0, 1]]}, "names: expected a list"),
    ({"names": ["a", "a"], "bounds": [[0, 1], [0, 1]]}, "names: expected distinct names, found a"),
    ({"names": ["a", "b"], "bounds": [[0, 1]]}, "bounds: expected 2 pairs"),
    ({"names": ["a"], "bounds": [[1, 0]]}, "bounds.a: expected low < high"),
    ({"names": ["a"], "bounds": [[0, 1]], "dists": ["cauchy"]}, "dists.a: expected one of"),
    ({"names": ["a"], "bounds": [[0, 1]], "dists": ["logunif"]}, "bounds.a: expected low > 0"),
])
def test_bad_problems_get_one_line_errors(problem, message):
    with pytest.raises(sa.ProblemError) as err:
        sa.analyse(problem, lambda p: {"y": 0.0}, method="morris", n=4)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_bad_sizes_and_methods():
    with pytest.raises(sa.ProblemError, match="samples: expected a power of two"):
        sa.sample(ISHIGAMI, "sobol", 100)
    with pytest.raises(sa.ProblemError, match="method: expected"):
        sa.sample(ISHIGAMI, "fast", 100)
    with pytest.raises(sa.ProblemError, match="model: expected a callable or evaluate_many"):
        sa.analyse(ISHIGAMI)


def test_sobol_takes_parameters_detected_above_the_noise_before_large_noisy_ones():
    """A huge μ* whose interval reaches into the noise must not crowd out a smaller one
    that Morris detected; among equals, larger relative μ* first."""
    from experiments.sensitivity_study import top_parameters

    rows = [  # outcome, parameter, mu_star, influential
        ("a", "noisy_big", 20.0, False), ("a", "detected_small", 5.0, True),
        ("a", "nothing", 1.0, False), ("b", "noisy_big", 2.0, False),
        ("b", "detected_b", 4.0, True), ("b", "middling", 3.0, False),
    ]
    indices = pd.DataFrame(rows, columns=["outcome", "parameter", "mu_star", "influential"])
    assert top_parameters(indices, 2) == ["detected_b", "detected_small"]   # 4/4 > 5/20
    assert top_parameters(indices, 4) == ["detected_b", "detected_small", "noisy_big", "middling"]
