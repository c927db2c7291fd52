"""Experiment files and designs.

Every shipped example loads and makes a design of its documented size; a bad experiment
file gives one ``BadInput`` line naming the file and the dotted key (and, through the
CLI, exit status 2 with no traceback); designs have the properties their kind promises
(full factorial: every combination; Latin hypercube: one point per stratum; Sobol: 2^m
points); and budget shares become intensities that spend at most the total.
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import QUITO, ROOT, SCENARIOS, write_tiny_experiment
from experiments import budget
from barrios.cli import main
from experiments.files import BadInput
from experiments.sampling import make_design
from experiments.scenario_files import load_scenario
from experiments.sweep import Design, Variable, load_experiment, overrides_for, scenario_for
from simulation.parameters import PARAMETERS

BARRIOS = Path(sys.executable).with_name("barrios")
# Sweep experiment files (calibration and sensitivity files have their own schemas and tests).
EXAMPLES = sorted(p for p in (ROOT / "experiments").glob("*.toml")
                  if not p.stem.startswith(("calibrate", "sensitivity", "evaluate")))
# Sizes stated in the examples' comments: 64 budget splits, a 5 x 4 grid, 48 LHS points.
DOCUMENTED_POINTS = {"budget_100m": 64, "lighting_x_committees": 5 * 4, "uncertainty_quito": 48}


# --- shipped examples ----------------------------------------------------------------------


def test_every_documented_example_is_shipped():
    assert {p.stem for p in EXAMPLES} >= set(DOCUMENTED_POINTS)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_shipped_example_loads_and_makes_its_design(path):
    loaded = load_experiment(path)
    exp = loaded.spec
    design = make_design(loaded.variables, exp.design)
    assert list(design.columns) == list(loaded.variables)
    if exp.design.kind == "full_factorial":
        expected = math.prod(len(v.levels) if v.levels is not None else exp.design.levels
                             for v in loaded.variables.values())
    else:
        expected = exp.design.samples
    assert len(design) == expected
    if path.stem in DOCUMENTED_POINTS:
        assert len(design) == DOCUMENTED_POINTS[path.stem]
    assert not design.isna().any().any()
    # every design point makes a valid scenario (the first and the last suffice to load)
    for i in (0, len(design) - 1):
        scenario = scenario_for(loaded, design.iloc[i].to_dict())
        assert scenario.run.years == loaded.base.scenario.run.years


def test_budget_example_sweeps_shares_of_the_budget():
    loaded = load_experiment(ROOT / "experiments" / "budget_100m.toml")
    names = loaded.spec.budget.interventions
    assert list(loaded.variables) == [f"share_{n}" for n in names]
    design = make_design(loaded.variables, loaded.spec.design)
    base = loaded.base.scenario
    point = design.iloc[0].to_dict()
    overrides = overrides_for(loaded, point)
    assert set(overrides) == {f"interventions.{n}.intensity" for n in names}
    assert all(0 <= v <= 1 for v in overrides.values())
    # the design point's coordinates stand for shares of the budget (budget.split), and
    # at full ramp the intensities spend the whole US$ 100 million (no programme is capped)
    shares = budget.split({n: point[f"share_{n}"] for n in names})
    assert overrides == budget.intensities(base, 100_000_000, shares, budget.barrio_count(base))
    assert all(v < 1 for v in overrides.values())
    assert _spend(base, overrides, budget.barrio_count(base)) == pytest.approx(1e8, rel=1e-9)


def test_uncertainty_example_uses_plausible_ranges():
    loaded = load_experiment(ROOT / "experiments" / "uncertainty_quito.toml")
    for name, var in loaded.variables.items():
        assert loaded.kinds[name] == "uncertainty"
        assert var.target == f"parameters.{name}"
        assert (var.low, var.high) == tuple(PARAMETERS[name].plausible)
    design = make_design(loaded.variables, loaded.spec.design)
    for name, var in loaded.variables.items():
        assert design[name].between(var.low, var.high).all()
    assert loaded.base.scenario.city.width == 10


# --- bad experiment files -----------------------------------------------------------------

LEVER = """
[levers.lighting]
target = "interventions.street_lighting.intensity"
low = 0.0
high = 0.5
"""

# (id, body after the [city] table, dotted key the message must name, extra text it must contain)
BAD = [
    ("unknown_top_key", 'TOP:colour = "red"\n', "colour", "unknown key"),
    ("unknown_nested_key", '[design]\nkind = "latin_hypercube"\nsample = 8\n', "design.sample",
     "unknown key"),
    ("lever_without_target", "[levers.lighting]\nlow = 0.0\nhigh = 0.5\n",
     "levers.lighting.target", ""),
    ("lever_target_not_a_key", '[levers.lighting]\ntarget = "interventions.street_lighting.brightness"\n'
     "low = 0.0\nhigh = 0.5\n", "levers.lighting.target", "brightness"),
    ("lever_target_unknown_table", '[levers.x]\ntarget = "interventions.moonlight.intensity"\n'
     "low = 0.0\nhigh = 0.5\n", "levers.x.target", "moonlight"),
    ("lever_range_rejected", '[levers.lighting]\ntarget = "interventions.street_lighting.intensity"\n'
     "low = 0.0\nhigh = 1.5\n", "levers.lighting", "1.5"),
    ("lever_level_rejected", '[levers.lighting]\ntarget = "interventions.street_lighting.intensity"\n'
     "levels = [0.2, 2.0]\n", "levers.lighting", "2.0"),
    ("unknown_uncertainty", "[uncertainties.courage]\n", "uncertainties.courage", "courage"),
    ("low_equals_high", LEVER.replace("high = 0.5", "high = 0.0"), "levers.lighting", "low < high"),
    ("low_above_high", "[uncertainties.fear_contagion]\nlow = 0.3\nhigh = 0.1\n",
     "uncertainties.fear_contagion", "low < high"),
    ("sobol_not_power_of_two", LEVER + '[design]\nkind = "sobol"\nsamples = 12\n', "design.samples",
     "power of two"),
    ("unknown_outcome", '[outcomes]\nscalars = ["safe_public_change", "happiness"]\n',
     "outcomes.scalars[1]", "happiness"),
    ("bad_outcome_date", '[outcomes]\nscalars = ["safe_public@2023-13-45"]\n', "outcomes.scalars[0]",
     "2023-13-45"),
    ("unknown_timeseries", '[outcomes]\ntimeseries = ["happiness"]\n', "outcomes.timeseries[0]",
     "happiness"),
    ("unknown_design_kind", '[design]\nkind = "random"\n', "design.kind", "random"),
    ("bad_replications", "", "replications", "two"),
]


def _write_bad(tmp_path: Path, case_id: str, body: str) -> Path:
    path = tmp_path / f"bad_{case_id}.toml"
    if body.startswith("TOP:"):
        write_tiny_experiment(path, top=body.removeprefix("TOP:"))
    else:
        write_tiny_experiment(path, body)
    if case_id == "bad_replications":
        path.write_text(path.read_text().replace("replications = 2", 'replications = "two"'))
    return path


def _assert_one_line(message: str, path: Path, key: str, contains: str):
    assert "\n" not in message.strip()
    assert path.name in message
    assert f": {key}" in message, f"{key!r} not named in {message!r}"
    assert contains in message


@pytest.mark.parametrize("case_id, body, key, contains", BAD, ids=[b[0] for b in BAD])
def test_bad_experiment_file_is_one_line_naming_the_key(tmp_path, case_id, body, key, contains):
    path = _write_bad(tmp_path, case_id, body)
    with pytest.raises(BadInput) as info:
        load_experiment(path)
    _assert_one_line(str(info.value), path, key, contains)
    assert info.value.key == key or info.value.key.startswith(key)


@pytest.mark.parametrize("case_id, body, key, contains", BAD, ids=[b[0] for b in BAD])
def test_bad_experiment_file_exits_2_from_the_cli(tmp_path, monkeypatch, capsys, case_id, body,
                                                 key, contains):
    path = _write_bad(tmp_path, case_id, body)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    _assert_one_line(lines[0], path, key, contains)
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()  # nothing stored for a file that does not load


@pytest.mark.parametrize("key", ["high", "levels"])
def test_rejected_value_names_the_key_that_holds_it(tmp_path, key):
    """A range or level the scenario rejects is a problem of ``high`` / ``levels``, not of
    ``target`` (which is a valid key): the message should name the key to edit."""
    value = "high = 1.5" if key == "high" else "levels = [0.2, 1.5]"
    body = ('[levers.lighting]\ntarget = "interventions.street_lighting.intensity"\n'
            + ("low = 0.0\n" if key == "high" else "") + value + "\n")
    path = write_tiny_experiment(tmp_path / "bad.toml", body)
    with pytest.raises(BadInput) as info:
        load_experiment(path)
    assert info.value.key == f"levers.lighting.{key}", str(info.value)


def test_budget_for_a_programme_the_scenario_does_not_price(tmp_path):
    # the baseline has no street lighting or Cero Acoso at all
    body = ('[budget]\ntotal_usd = 1_000_000\ninterventions = ["street_lighting", "cero_acoso"]\n'
            '[design]\nsamples = 4\n')
    path = write_tiny_experiment(tmp_path / "budget.toml", body,
                                 scenario=SCENARIOS / "baseline_2023.toml")
    with pytest.raises(BadInput) as info:
        load_experiment(path)
    _assert_one_line(str(info.value), path, "budget.interventions", "street_lighting")


def test_budget_for_an_unknown_programme(tmp_path):
    body = '[budget]\ntotal_usd = 1_000_000\ninterventions = ["street_lighting", "fireworks"]\n'
    path = write_tiny_experiment(tmp_path / "budget.toml", body)
    with pytest.raises(BadInput) as info:
        load_experiment(path)
    _assert_one_line(str(info.value), path, "budget.interventions", "fireworks")


@pytest.mark.parametrize("city, key, contains", [
    ("colour = 3", "city.colour", "colour"),
    ("width = 1\nheight = 12", "city.width", "1"),
])
def test_bad_city_key(tmp_path, capsys, city, key, contains):
    path = write_tiny_experiment(tmp_path / "city.toml", city=city)
    with pytest.raises(BadInput) as info:
        load_experiment(path)
    _assert_one_line(str(info.value), path, key, contains)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and key in err[0]


def test_missing_base_scenario_and_bad_toml_are_one_line(tmp_path):
    path = write_tiny_experiment(tmp_path / "nobase.toml", scenario=tmp_path / "nowhere.toml")
    with pytest.raises(BadInput) as info:
        load_experiment(path)
    assert "nowhere.toml" in str(info.value) and "\n" not in str(info.value)
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\nscenario = \n')
    with pytest.raises(BadInput) as info:
        load_experiment(broken)
    assert "broken.toml" in str(info.value) and "\n" not in str(info.value)


def test_bad_experiment_file_through_a_real_process(tmp_path):
    path = write_tiny_experiment(tmp_path / "bad.toml", '[uncertainties.courage]\n')
    proc = subprocess.run([str(BARRIOS), "sweep", str(path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and "bad.toml" in lines[0]
    assert "uncertainties.courage" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "out").exists()


def test_valid_tiny_experiment_loads(tmp_path):
    """The tiny file the other tests build on is itself valid, so the bad cases above differ
    from a good file only by what they break."""
    loaded = load_experiment(write_tiny_experiment(tmp_path / "ok.toml"))
    base = loaded.base.scenario
    assert (base.city.width, base.city.height, base.city.population) == (6, 12, 200_000)
    assert base.city.inhabitants_per_agent == 500 and base.run.years == pytest.approx(0.1)
    assert loaded.kinds == {"lighting": "lever", "fear_contagion": "uncertainty"}


# --- designs ---------------------------------------------------------------------------------

CONTINUOUS = {
    "a": Variable(low=0.0, high=2.0),
    "b": Variable(low=1.0, high=100.0, distribution="loguniform"),
    "c": Variable(low=0.0, high=1.0, distribution="normal"),
    "d": Variable(low=0.0, high=4.0, distribution="triangular", mode=1.0),
}
MIXED = {**CONTINUOUS, "i": Variable(low=1, high=9, integer=True),
         "l": Variable(levels=["worst_first", "random", "list"])}


def _cdf(name: str, x: np.ndarray) -> np.ndarray:
    """The variable's own CDF (so that F(x) is uniform on [0, 1] if x follows it)."""
    var = CONTINUOUS[name]
    low, high = var.bounds()
    match var.distribution:
        case "uniform":
            return (x - low) / (high - low)
        case "loguniform":
            return (np.log(x) - np.log(low)) / (np.log(high) - np.log(low))
        case "normal":
            mean, sd = (low + high) / 2, (high - low) / 4
            return stats.truncnorm(-2, 2, loc=mean, scale=sd).cdf(x)
        case "triangular":
            return stats.triang((var.mode - low) / (high - low), loc=low, scale=high - low).cdf(x)


def test_full_factorial_is_every_combination():
    variables = {"x": Variable(levels=[0.0, 0.3, 0.6]), "y": Variable(levels=["random", "worst_first"]),
                 "z": Variable(low=0.0, high=1.0), "n": Variable(low=10, high=40, integer=True)}
    design = make_design(variables, Design(kind="full_factorial", levels=4))
    z_levels = list(np.linspace(0, 1, 4))
    n_levels = [10, 20, 30, 40]
    assert len(design) == 3 * 2 * 4 * 4
    combos = set(map(tuple, design[["x", "y", "z", "n"]].itertuples(index=False)))
    assert combos == set(itertools.product([0.0, 0.3, 0.6], ["random", "worst_first"], z_levels, n_levels))
    assert len(combos) == len(design)  # no combination twice


@pytest.mark.parametrize("n", [7, 30])
def test_latin_hypercube_has_one_point_per_stratum(n):
    design = make_design(CONTINUOUS, Design(kind="latin_hypercube", samples=n, seed=4))
    assert len(design) == n
    for name in CONTINUOUS:
        strata = np.floor(_cdf(name, design[name].to_numpy()) * n).astype(int)
        assert sorted(strata) == list(range(n)), name


@pytest.mark.parametrize("m", [3, 5])
def test_sobol_has_two_to_the_m_points_one_per_stratum(m):
    n = 2 ** m
    design = make_design(CONTINUOUS, Design(kind="sobol", samples=n, seed=2))
    assert len(design) == n
    for name in CONTINUOUS:  # the first 2^m Sobol points are a (0, m, 1)-net in each variable
        strata = np.floor(_cdf(name, design[name].to_numpy()) * n).astype(int)
        assert sorted(strata) == list(range(n)), name


def test_sobol_rejects_a_sample_size_not_a_power_of_two():
    with pytest.raises(ValueError):
        make_design(CONTINUOUS, Design(kind="sobol", samples=12))


@pytest.mark.parametrize("kind, n", [("latin_hypercube", 500), ("sobol", 512)])
def test_values_stay_in_range_and_have_their_types(kind, n):
    design = make_design(MIXED, Design(kind=kind, samples=n, seed=9))
    for name, var in MIXED.items():
        if var.levels is None:
            assert design[name].between(var.low, var.high).all(), name
    assert pd.api.types.is_integer_dtype(design["i"])
    assert set(design["i"]) <= set(range(1, 10))
    assert set(design["l"]) <= {"worst_first", "random", "list"}
    # levels share the unit interval equally
    counts = design["l"].value_counts()
    assert set(counts.index) == {"worst_first", "random", "list"}
    assert counts.max() - counts.min() <= max(2, 0.05 * n)


def test_latin_hypercube_levels_are_balanced_exactly():
    design = make_design({"l": Variable(levels=[0.1, 0.2, 0.3, 0.4])},
                         Design(kind="latin_hypercube", samples=20, seed=1))
    assert design["l"].value_counts().to_dict() == {0.1: 5, 0.2: 5, 0.3: 5, 0.4: 5}


def test_distributions_have_their_shape():
    n = 2000
    design = make_design(CONTINUOUS, Design(kind="latin_hypercube", samples=n, seed=5))
    for name in CONTINUOUS:  # F(x) uniform: Kolmogorov-Smirnov against U(0, 1)
        assert stats.kstest(_cdf(name, design[name].to_numpy()), "uniform").pvalue > 0.01, name
    # and not all the same shape: the loguniform's median is the geometric mean of its range
    assert design["b"].median() == pytest.approx(10.0, rel=0.1)
    assert design["d"].median() == pytest.approx(4 - math.sqrt(4 * 3 / 2), abs=0.05)  # mode 1 of [0, 4]


def test_integer_variable_gives_every_integer_the_same_weight():
    """A uniform integer lever over [1, 9] should draw each of its 9 values equally often
    (EMA Workbench's IntegerParameter); rounding a continuous draw halves the weight of
    both ends."""
    n = 9 * 40
    design = make_design({"i": Variable(low=1, high=9, integer=True)},
                         Design(kind="latin_hypercube", samples=n, seed=3))
    counts = design["i"].value_counts().reindex(range(1, 10), fill_value=0)
    assert counts.min() >= 0.8 * n / 9, counts.to_dict()


@pytest.mark.parametrize("kind", ["latin_hypercube", "sobol"])
def test_same_seed_same_design(kind):
    a = make_design(MIXED, Design(kind=kind, samples=16, seed=11))
    b = make_design(MIXED, Design(kind=kind, samples=16, seed=11))
    c = make_design(MIXED, Design(kind=kind, samples=16, seed=12))
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["a"], c["a"])


# --- budgets ------------------------------------------------------------------------------


def _spend(scenario, intensities: dict, n_barrios: int) -> float:
    """What the intensities cost over the run at full ramp: each unit's capital once and
    its running cost every year."""
    total = 0.0
    for key, intensity in intensities.items():
        name = key.split(".")[1]
        cfg = getattr(scenario.interventions, name)
        full = (cfg.units if name == "patrol_units" else
                cfg.per_year if name == "police_operations" else n_barrios)
        total += intensity * full * (cfg.capital_cost_usd + cfg.unit_cost_usd * scenario.run.years)
    return total


@pytest.fixture(scope="module")
def quito():
    return load_scenario(QUITO).scenario


PROGRAMMES = ["street_lighting", "public_space_recovery", "sports_programmes", "cero_acoso",
              "patrol_units", "police_operations", "safety_committees"]


@pytest.mark.parametrize("seed", range(5))
def test_budget_spends_the_total_when_no_cap_binds(quito, seed):
    rng = np.random.default_rng(seed)
    shares = dict(zip(PROGRAMMES, rng.random(len(PROGRAMMES))))
    total = 20_000_000.0  # small enough that no programme reaches intensity 1
    out = budget.intensities(quito, total, shares, budget.barrio_count(quito))
    assert set(out) == {f"interventions.{n}.intensity" for n in PROGRAMMES}
    assert all(0 <= v < 1 for v in out.values())
    assert _spend(quito, out, 1200) == pytest.approx(total, rel=1e-9)
    # each programme gets its normalised share
    for name, share in shares.items():
        alone = _spend(quito, {f"interventions.{name}.intensity": out[f"interventions.{name}.intensity"]}, 1200)
        assert alone == pytest.approx(total * share / sum(shares.values()), rel=1e-9)


def test_budget_never_spends_more_than_the_total(quito):
    rng = np.random.default_rng(0)
    for total in (1e6, 1e8, 1e9, 1e11):
        shares = dict(zip(PROGRAMMES, rng.random(len(PROGRAMMES))))
        out = budget.intensities(quito, total, shares, 72)
        assert all(0 <= v <= 1 for v in out.values())
        spend = _spend(quito, out, 72)
        assert spend <= total * (1 + 1e-9)
        if all(v < 1 for v in out.values()):
            assert spend == pytest.approx(total, rel=1e-9)
        else:
            assert spend < total
    capped = budget.intensities(quito, 1e11, {"street_lighting": 1, "cero_acoso": 1}, 72)
    assert set(capped.values()) == {1.0}


def test_budget_shares_are_normalised(quito):
    a = budget.intensities(quito, 5e7, {"street_lighting": 0.2, "cero_acoso": 0.6}, 1200)
    b = budget.intensities(quito, 5e7, {"street_lighting": 1.0, "cero_acoso": 3.0}, 1200)
    c = budget.intensities(quito, 5e7, {"street_lighting": 0.0, "cero_acoso": 0.0}, 1200)
    d = budget.intensities(quito, 5e7, {"street_lighting": 0.5, "cero_acoso": 0.5}, 1200)
    assert a == pytest.approx(b)
    assert c == pytest.approx(d)  # all-zero shares split the budget equally


def test_budget_split_is_uniform_on_the_simplex():
    """Design coordinates u in [0, 1) become shares: non-negative, summing to 1, and a
    uniform draw on the simplex (Dirichlet(1, ..., 1)): each share is Beta(1, K - 1) and two
    shares correlate at -1 / (K - 1)."""
    k, n = 6, 4000
    rng = np.random.default_rng(2)
    names = [f"p{i}" for i in range(k)]
    shares = np.array([list(budget.split(dict(zip(names, u))).values()) for u in rng.random((n, k))])
    assert (shares >= 0).all() and np.allclose(shares.sum(axis=1), 1)
    for i in range(k):
        assert stats.kstest(shares[:, i], stats.beta(1, k - 1).cdf).pvalue > 0.001
    corr = np.corrcoef(shares[:, 0], shares[:, 1])[0, 1]
    assert corr == pytest.approx(-1 / (k - 1), abs=4 / math.sqrt(n))
    # the edges of [0, 1) are safe: all zeros split equally, u -> 1 takes (almost) all
    assert budget.split(dict.fromkeys(names, 0.0)) == pytest.approx(dict.fromkeys(names, 1 / k))
    edge = budget.split({"a": 1.0, "b": 0.5})
    assert edge["a"] > 0.9 and sum(edge.values()) == pytest.approx(1)


def test_budget_intensity_scales_with_years_and_city(quito):
    """A longer run spends the running costs for longer (the capital once), a smaller city
    buys a larger share of its barrios."""
    shares = {"street_lighting": 1.0, "cero_acoso": 1.0}
    longer = quito.model_copy(update={"run": quito.run.model_copy(update={"years": 6.0})})
    a = budget.intensities(quito, 5e7, shares, 1200)
    b = budget.intensities(longer, 5e7, shares, 1200)
    c = budget.intensities(quito, 5e7, shares, 600)
    for key in a:
        cfg = getattr(quito.interventions, key.split(".")[1])
        per_unit = {y: cfg.capital_cost_usd + cfg.unit_cost_usd * y for y in (3.0, 6.0)}
        assert b[key] == pytest.approx(a[key] * per_unit[3.0] / per_unit[6.0])
        assert c[key] == pytest.approx(min(1.0, a[key] * 2))
    assert b["interventions.street_lighting.intensity"] > a["interventions.street_lighting.intensity"] / 2
