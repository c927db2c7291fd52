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

**The comparison.** The game runs an option (the page's scenario and intensities) over
``GAME_REPLICATIONS`` seeds: replication k is child k of ``SeedSequence(seed)``, the same
stream for every option (common random numbers, as ``barrios compare`` runs scenarios), so
the baseline's replication k is the reference of every option's replication k. Each figure
is a mean over the replications of those paired differences with its 95% t-interval:
points gained in the share feeling safe at the end of the run, extra US$ spent, and US$ per
point gained (unbounded, '[x, ∞)', where the gain's interval includes 0). The reference is
always the baseline (``baseline_2023``), never a file of parameter values; the shipped mixes
of the same city and period are run the same way and shown beside the page's option.

**Speed.** A full run at the page's scale (1 agent per 100 inhabitants) takes about 3.5
seconds of one core, so a mix's five runs take about 18 seconds in one worker process (half
that with two); the page shows their progress meanwhile. The game runs at the page's scale,
not on a coarser city: coarser cities save little time, since the work per barrio and day
stays (3.5, 2.3 and 1.8 seconds a run at 100, 250 and 500 inhabitants per agent), and they
change the answers (the change in victimization of a mixed US$ 100 million budget: -3.4,
-2.4 and -1.3 points). Runs are cached for the life of the server: the baseline's and the
shipped mixes' runs are shared by every page, and the server starts them when it starts.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass

from experiments.reporting import COMMON, interval, number
from experiments.statistics import t_interval
from simulation import BarriosModel
from simulation.config import Scenario
from simulation.interventions import INTERVENTIONS
from workshop.core import (BASELINE, SCENARIO_NAMES, InputError, Settings, app_scenario,
                           build_scenario, check_intervention, load_named, scenario_levels,
                           template, unit_count)

DEFAULT_BUDGET_MUSD = 100.0
MAX_BUDGET_MUSD = 10_000.0
GAME_REPLICATIONS = 5
GAME_WORKERS = max(1, min(2, (os.cpu_count() or 2) // 2))
"""Worker processes for the game's runs: half the machine (two at most, 300-400 MB each), so
the pages keep playing."""
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



# --- the game's runs: several seeds, common random numbers ----------------------------------


def run_replication(option: Settings, replication: int) -> dict[str, float]:
    """End-of-run outcomes of replication ``replication`` of an option (the page's
    settings: scenario, intensities, seed, scale): child
    ``replication`` of ``SeedSequence(option.seed)``, as every study runs it. Replication k
    of every option uses the same stream (common random numbers), whatever else ran before."""
    from experiments.runs import simulate

    built, table = build_scenario(option)
    result = simulate(built, seed=option.seed, replication=replication, city_table=table,
                      record_days=())
    last = result.timeseries.iloc[-1]
    return {key: float(last[key]) for key in OUTCOMES}


def outcomes_of(model: BarriosModel) -> dict[str, float]:
    """Current values of the outcomes the game uses (a live model)."""
    values = model.outcomes.values
    return {key: float(values[key]) for key in OUTCOMES}


# --- what an option achieved over the baseline ------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A mean over replications and its 95% interval (Student's t over paired differences)."""

    mean: float
    low: float
    high: float


DIFFERENCES = {  # name: (outcome, scale)
    "gain_public_pp": ("safe_public", 100.0),
    "gain_neighbourhood_pp": ("safe_neighbourhood", 100.0),
    "extra_cost_musd": ("cost_usd", 1e-6),
    "victimization_change_pp": ("victimization_12m", 100.0),
}
"""What the table shows of an option: differences with the baseline in the same replication."""


def paired_gains(runs: list[dict], reference: list[dict]) -> dict[str, Estimate | None]:
    """Points gained over the reference, extra US$ millions, change in victimization (means
    and 95% t-intervals of the per-replication differences: replication k of both ran on the
    same stream) and US$ millions per point (``cost_per_point``; None: no clear gain)."""
    if len(runs) != len(reference):
        raise ValueError(f"expected as many runs as the reference's {len(reference)}, found {len(runs)}")
    out: dict[str, Estimate | None] = {}
    for name, (outcome, scale) in DIFFERENCES.items():
        diffs = [scale * (run[outcome] - ref[outcome]) for run, ref in zip(runs, reference)]
        out[name] = Estimate(*t_interval(diffs))
    for measure in ("public", "neighbourhood"):
        out[f"musd_per_pp_{measure}"] = cost_per_point(out["extra_cost_musd"],
                                                       out[f"gain_{measure}_pp"])
    return out


def cost_per_point(extra: Estimate, gain: Estimate) -> Estimate | None:
    """US$ millions per point gained: the mean extra cost over the mean gain, with the range
    of ratios the gain's interval allows (``[extra / high, extra / low]``). Where that
    interval includes 0 the cost per point is unbounded above (``high`` = inf); where it
    holds no gain at all (upper bound at or below 0) there is no clear gain: None. An option
    that costs nothing extra has no cost per point (NaN)."""
    if not gain.high > 0:
        return None
    if not extra.mean > 0:
        return Estimate(math.nan, math.nan, math.nan)
    low = extra.mean / gain.high
    high = extra.mean / gain.low if gain.low > 0 else math.inf
    mean = extra.mean / gain.mean if gain.mean > 0 else math.inf
    return Estimate(mean, low, high)


def estimate_text(estimate: Estimate, lang: str, digits: int = 1, sign: bool = True) -> str:
    """'+1.2 [0.4, 2.0]' / '+1,2 [0,4; 2,0]'."""
    bounds = interval(estimate.low, estimate.high, digits, lang)
    return f"{number(estimate.mean, digits, lang, sign)} {bounds}".strip()


def cost_per_point_text(estimate: Estimate | None, lang: str, digits: int = 1) -> str:
    """'17.3 [12.1, 30.4]'; '[12.1, ∞)' when the gain's interval includes 0 (a mean would
    mislead); 'no clear gain' / 'sin ganancia clara' when there is none."""
    if estimate is None:
        return COMMON["no_clear_gain"][lang if lang in COMMON["no_clear_gain"] else "es"]
    if math.isinf(estimate.high):
        return interval(estimate.low, estimate.high, digits, lang)
    return estimate_text(estimate, lang, digits, sign=False)


# --- the runs behind the page ------------------------------------------------------------------


def comparable_scenarios() -> tuple[str, ...]:
    """Intervention mixes of the same city and period as the baseline (not, e.g., the
    northern border), other than the baseline itself; never a set of parameter values
    (only mixes are in ``SCENARIO_NAMES``)."""
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
        if same_place(s, base) and scenario_levels(app_scenario(name)) != base_levels:
            out.append(name)
    return tuple(out)


def same_place(scenario: Scenario, base: Scenario) -> bool:
    """The same city and period (a difference with the baseline means something)."""
    return (scenario.city == base.city and scenario.run.start == base.run.start
            and scenario.run.years == base.run.years)


class Comparisons:
    """The game's runs, in worker processes (so the page keeps its speed), one future per
    (option, replication), kept for the life of the server: the baseline's replication k is
    run once for every page. Thread-safe; nothing here blocks."""

    def __init__(self, replications: int = GAME_REPLICATIONS, workers: int = GAME_WORKERS,
                 runner=run_replication, pool: Executor | None = None):
        """``runner(option, replication)`` runs one replication; ``pool``: where (default:
        ``workers`` spawned processes, started on first use)."""
        self.replications = replications
        self.workers = workers
        self.runner = runner
        self._lock = threading.Lock()
        self._futures: dict[tuple[Settings, int], Future] = {}
        self._pool: Executor | None = pool

    def _executor(self) -> Executor:
        if self._pool is None:
            context = multiprocessing.get_context("spawn")  # never fork a threaded server
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                             initializer=_follow_parent, initargs=(os.getpid(),))
            atexit.register(self.shutdown)
        return self._pool

    def request(self, option: Settings) -> list[Future]:
        """The option's replications (started if needed; a failed one is retried)."""
        futures = []
        with self._lock:
            for k in range(self.replications):
                future = self._futures.get((option, k))
                if future is None or (future.done() and future.exception() is not None):
                    future = self._executor().submit(self.runner, option, k)
                    self._futures[(option, k)] = future
                futures.append(future)
        return futures

    def runs(self, option: Settings) -> list[dict] | None:
        """Every replication's outcomes if all are ready (requesting them if needed)."""
        futures = self.request(option)
        if all(f.done() and f.exception() is None for f in futures):
            return [f.result() for f in futures]
        return None

    def progress(self, options) -> tuple[int, int]:
        """(replications done, replications in all) over ``options``."""
        futures = [f for option in dict.fromkeys(options) for f in self.request(option)]
        return sum(f.done() for f in futures), len(futures)

    def warm(self, seed: int, scale: float | None):
        """Start the baseline and every comparable scenario (baseline first)."""
        for name in (BASELINE, *comparable_scenarios()):
            self.request(Settings(scenario=name, seed=seed, scale=scale))

    def shutdown(self):
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        # The runs are only a cache: stop the workers instead of waiting for the run in
        # progress and the one the pool has already queued behind it (Ctrl-C took ~19 s).
        # ProcessPoolExecutor.terminate_workers() arrives in Python 3.14; until then, its
        # process table.
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)


def _follow_parent(parent: int):
    """In the worker: exit as soon as the server is gone, however it ended."""

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


COMPARISONS = Comparisons()
