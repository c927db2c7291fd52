"""The budget game: split a total budget across interventions, run the mix, and see what it
achieved, at what cost per percentage point, next to the shipped scenarios.

**The rule** (the same arithmetic as ``experiments/budget.py``). The money goes on top of
Quito before the plan (``baseline_2023``): what already exists (180 UPC posts, 40 patrol
units, 800 operations a year, 120 committees) stays and is not paid from the game's budget.
A programme's allocation buys, over the run's ``years``, at its capital cost once plus its
running cost each year, a number of barrios (barrio programmes, committees, UPC posts),
patrol units or operations a year::

    added intensity = allocation / ((capital_cost_usd + unit_cost_usd x years) x full)
    intensity       = min(1, intensity in the baseline + added intensity)

where ``full`` is what intensity 1 means: every barrio (1,200), or the app's full level of
patrol units (160) and operations a year (4,000). Unit costs are the baseline's where it
prices the programme, else the Quito plan's (``quito_2023_2025.toml``). Costs are counted
at full coverage from day one, so a programme that ramps up spends somewhat less than its
allocation: the page shows what was actually spent.

**The comparison.** Every figure is a difference with the baseline run on the same seed
and scale (paired, so the noise of one run cancels): points gained in the share feeling
safe at the end of the run, extra US$ spent, and US$ per point gained. The shipped
scenarios that describe the same city and period as the baseline are run the same way,
in a worker process (so the page keeps its speed), and cached.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor

from simulation import BarriosModel
from simulation.interventions import INTERVENTIONS
from workshop.core import (BASELINE, SCENARIO_NAMES, InputError, Settings, app_scenario,
                           build_scenario, check_intervention, load_named, scenario_levels,
                           template, unit_count)

DEFAULT_BUDGET_MUSD = 100.0
MAX_BUDGET_MUSD = 10_000.0
MIN_GAIN_PP = 0.1  # below this a cost per point is not meaningful
OUTCOMES = ("safe_public", "safe_neighbourhood", "safe_public_women", "safe_public_men",  # SERIES
            "safe_public_youth", "safe_public_migrants", "victimization_12m",
            "severe_violence_per_100k_12m", "legitimacy", "cost_usd")


def check_budget(value) -> float:
    """A total budget in US$ millions, in (0, MAX_BUDGET_MUSD]."""
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError("error_budget", found=str(value)[:60]) from None
    if not math.isfinite(number) or not 0 < number <= MAX_BUDGET_MUSD:
        raise InputError("error_budget", found=str(value)[:60])
    return number


def check_shares(shares: dict) -> dict[str, float]:
    """Percentages of the budget per intervention: each in [0, 100], together at most 100."""
    if not isinstance(shares, dict):
        raise InputError("error_share", found=str(shares)[:60])
    clean = {}
    for name, value in shares.items():
        name = check_intervention(name)
        try:
            if isinstance(value, bool):
                raise TypeError
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            raise InputError("error_share", found=str(value)[:60]) from None
        if not math.isfinite(number) or not 0 <= number <= 100:
            raise InputError("error_share", found=str(value)[:60])
        clean[name] = number
    if sum(clean.values()) > 100 + 1e-9:
        raise InputError("error_share_total", found=f"{sum(clean.values()):g}")
    return clean


def unit_cost(name: str, years: float) -> float:
    """US$ per unit over ``years``: capital once plus running cost a year (a barrio, a
    committee, a post, a patrol unit, or one operation a year)."""
    for scenario in (app_scenario(BASELINE), template()):
        cfg = scenario.interventions.active().get(name) if scenario else None
        if cfg is not None and cfg.cost_over(years) > 0:
            return cfg.cost_over(years)
    return 0.0


def full_cost(name: str, years: float) -> float:
    """US$ over ``years`` for intensity 1 of an intervention (unit cost x full)."""
    return unit_cost(name, years) * unit_count(app_scenario(BASELINE), name)


def budget_levels(total_musd, shares: dict) -> dict[str, float]:
    """Intensities on top of the baseline for a budget (US$ millions) split in percentages.

    Only interventions with a positive share are returned; a programme without a price is
    free (any money switches it fully on)."""
    total = check_budget(total_musd) * 1e6
    shares = check_shares(shares)
    base = app_scenario(BASELINE)
    before = scenario_levels(base)
    years = base.run.years
    levels = {}
    for name in INTERVENTIONS:
        share = shares.get(name, 0.0)
        if share <= 0:
            continue
        money = total * share / 100
        cost = full_cost(name, years)
        added = money / cost if cost > 0 else 1.0
        levels[name] = min(1.0, before[name] + added)
    return levels


def budget_settings(total_musd, shares: dict, seed: int, scale: float | None) -> Settings:
    """The baseline with the budget's intensities."""
    return Settings(scenario=BASELINE, seed=seed, scale=scale).with_levels(
        budget_levels(total_musd, shares))


# --- outcomes and comparisons -----------------------------------------------------------------


def outcomes_of(model: BarriosModel) -> dict[str, float]:
    """End-of-run (or current) values of the outcomes the comparison uses."""
    values = model.outcomes.values
    return {key: float(values[key]) for key in OUTCOMES}


def run_outcomes(scenario: str, seed: int, scale: float | None) -> dict[str, float]:
    """Run a shipped scenario to its end (as its file says, on the seed as the live page
    runs it) with the run verb and return its outcomes."""
    from experiments.runs import simulate

    built, table = build_scenario(Settings(scenario=scenario, seed=seed, scale=scale))
    result = simulate(built, seed=built.run.seed, replication=None, city_table=table,
                      record_days=())
    last = result.timeseries.iloc[-1]
    return {key: float(last[key]) for key in OUTCOMES}


def gains(result: dict[str, float], reference: dict[str, float]) -> dict[str, float | None]:
    """Points gained over the reference, extra US$ millions, US$ millions per point."""
    public = 100 * (result["safe_public"] - reference["safe_public"])
    neighbourhood = 100 * (result["safe_neighbourhood"] - reference["safe_neighbourhood"])
    extra = (result["cost_usd"] - reference["cost_usd"]) / 1e6
    return {
        "gain_public_pp": public,
        "gain_neighbourhood_pp": neighbourhood,
        "extra_cost_musd": extra,
        "musd_per_pp_public": extra / public if public >= MIN_GAIN_PP else None,
        "musd_per_pp_neighbourhood": extra / neighbourhood if neighbourhood >= MIN_GAIN_PP else None,
        "victimization_change_pp": 100 * (result["victimization_12m"] - reference["victimization_12m"]),
    }


def comparable_scenarios() -> tuple[str, ...]:
    """Shipped scenarios of the same city and period as the baseline (not, e.g., the
    northern border), other than the baseline itself."""
    if BASELINE not in SCENARIO_NAMES:
        return ()
    base = load_named(BASELINE).scenario
    base_levels = scenario_levels(app_scenario(BASELINE))
    out = []
    for name in SCENARIO_NAMES:
        if name == BASELINE:
            continue
        try:
            s = load_named(name).scenario
        except InputError:
            continue
        same_place = (s.city == base.city and s.run.start == base.run.start
                      and s.run.years == base.run.years)
        if same_place and scenario_levels(app_scenario(name)) != base_levels:
            out.append(name)
    return tuple(out)


class Comparisons:
    """Runs of shipped scenarios in one worker process, cached by (scenario, seed, scale)
    for the life of the server. Thread-safe; ``get`` never blocks."""

    def __init__(self):
        self._lock = threading.Lock()
        self._futures: dict[tuple, Future] = {}
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # never fork a threaded server
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                             initializer=_follow_parent, initargs=(os.getpid(),))
            atexit.register(self.shutdown)
        return self._pool

    def request(self, scenario: str, seed: int, scale: float | None) -> Future:
        key = (scenario, int(seed), scale)
        with self._lock:
            future = self._futures.get(key)
            if future is None or (future.done() and future.exception() is not None):
                future = self._executor().submit(run_outcomes, scenario, int(seed), scale)
                self._futures[key] = future
            return future

    def get(self, scenario: str, seed: int, scale: float | None) -> dict | None:
        """The outcomes if ready (requesting the run if needed), else None."""
        future = self.request(scenario, seed, scale)
        if future.done() and future.exception() is None:
            return future.result()
        return None

    def warm(self, seed: int, scale: float | None):
        """Start the baseline and every comparable scenario (baseline first)."""
        for name in (BASELINE, *comparable_scenarios()):
            self.request(name, seed, scale)

    def shutdown(self):
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # at most the run in progress


def _follow_parent(parent: int):
    """In the worker: exit as soon as the server is gone, however it ended."""

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


COMPARISONS = Comparisons()
