"""The figures of the workshop guide (docs/workshop.md, "what they tend to find"), from the
budget game's own runs: each scenario or US$ 100 million mix over the game's five
replications of the page's default seed, at the page's scale, paired with the baseline.

    python scripts/workshop_figures.py [--seed 42] [--replications 5] [--cache DIR] > figures.md

Prints one Markdown section per exercise with the numbers the guide quotes (means and 95%
intervals, formatted as the page formats them). About 50 full runs: a few minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from experiments.runs import simulate  # noqa: E402
from experiments.statistics import t_interval  # noqa: E402
from simulation.outcomes import GROUPS  # noqa: E402
from workshop import budget as bud  # noqa: E402
from workshop.core import DEFAULT_SEED, Settings, build_scenario, scenario_label  # noqa: E402

SCENARIOS = ("lighting_only", "committees_only", "mano_dura", "policing_only", "quito_2023_2025")
MIXES = {  # the guide's US$ 100 million mixes: shares in percent
    "all on lighting": {"street_lighting": 100},
    "all on policing": {"patrol_units": 50, "police_operations": 50},
    "all on public space": {"public_space_recovery": 100},
    "mixed": {"street_lighting": 60, "safety_committees": 10, "cero_acoso": 10,
              "youth_prevention": 10, "sports_programmes": 10},
}
KEEP = ("safe_public", "safe_neighbourhood", "cost_usd", "victimization_12m", "legitimacy",
        "incidents_per_100k_12m", *(f"safe_public_{g}" for g in GROUPS))


def runs(option: Settings, replications: int, cache: Path | None = None):
    """Each replication's monthly time series (as the game runs it: child k of the seed);
    kept in ``cache`` (a folder) when given, so a second call costs nothing."""
    key = hashlib.sha1(repr((option, replications)).encode()).hexdigest()[:16]
    if cache is not None and (cache / f"{key}.pkl").exists():
        return pd.read_pickle(cache / f"{key}.pkl")
    built, table = build_scenario(option)
    days = range(0, int(built.run.years * 365) + 1, 30)
    out = []
    for k in range(replications):
        result = simulate(built, seed=option.seed, replication=k, city_table=table,
                          record_days=days)
        out.append(result.timeseries[["step", *KEEP]].reset_index(drop=True))
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        pd.to_pickle(out, cache / f"{key}.pkl")
    return out


def end(series) -> list[dict]:
    return [ts.iloc[-1].to_dict() for ts in series]


def half_time_months(series, reference) -> float:
    """Months until the mean gain in the larger perception measure first reaches half its
    final value."""
    # on the days both record (a scenario with survey dates records those days too)
    steps = np.intersect1d(series[0]["step"], reference[0]["step"])
    best = None
    for measure in ("safe_public", "safe_neighbourhood"):
        gain = np.mean([s.set_index("step").loc[steps, measure].to_numpy()
                        - r.set_index("step").loc[steps, measure].to_numpy()
                        for s, r in zip(series, reference)], axis=0)
        if best is None or gain[-1] > best[-1]:
            best = gain
    reached = np.nonzero(best >= best[-1] / 2)[0]
    return float(steps[reached[0]] / 30.4) if len(reached) else float("nan")


def describe(label: str, series, reference, lang: str) -> list[str]:
    g = bud.paired_gains(end(series), end(reference))
    incidents = [100 * (s["incidents_per_100k_12m"] / r["incidents_per_100k_12m"] - 1)
                 for s, r in zip(end(series), end(reference))]
    mean_inc, low_inc, high_inc = t_interval(incidents)
    trust = [100 * s["legitimacy"] for s in end(series)]
    return [
        f"- **{label}**: public {bud.estimate_text(g['gain_public_pp'], lang)} pp, "
        f"neighbourhood {bud.estimate_text(g['gain_neighbourhood_pp'], lang)} pp, "
        f"extra {bud.estimate_text(g['extra_cost_musd'], lang, sign=False)} US$ M, "
        f"per point (public) {bud.cost_per_point_text(g['musd_per_pp_public'], lang)}, "
        f"per point (neighbourhood) {bud.cost_per_point_text(g['musd_per_pp_neighbourhood'], lang)}, "
        f"victimization {bud.estimate_text(g['victimization_change_pp'], lang)} pp, "
        f"incidents {mean_inc:+.1f}% [{low_inc:.1f}, {high_inc:.1f}], "
        f"trust at the end {np.mean(trust):.1f}%, "
        f"half the effect after {half_time_months(series, reference):.0f} months",
    ]


def groups(series, label: str) -> str:
    start = {g: 100 * np.mean([s[f"safe_public_{g}"].iloc[0] for s in series]) for g in GROUPS}
    finish = {g: 100 * np.mean([s[f"safe_public_{g}"].iloc[-1] for s in series]) for g in GROUPS}
    return f"- {label}: " + ", ".join(f"{g} {start[g]:.0f}→{finish[g]:.0f}%" for g in GROUPS)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--replications", type=int, default=bud.GAME_REPLICATIONS)
    parser.add_argument("--lang", choices=("en", "es"), default="en")
    parser.add_argument("--cache", type=Path, help="a folder to keep the runs in")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    base = Settings(scenario=bud.BASELINE, seed=args.seed)
    reference = runs(base, args.replications, args.cache)
    lines = [f"# Workshop figures (seed {args.seed}, {args.replications} replications, "
             "paired with the baseline)", "", "## Scenarios", ""]
    plan = None
    for name in SCENARIOS:
        series = runs(Settings(scenario=name, seed=args.seed), args.replications, args.cache)
        plan = series if name == "quito_2023_2025" else plan
        lines += describe(scenario_label(name, args.lang), series, reference, args.lang)
    lines += ["", "## US$ 100 million mixes", ""]
    for label, shares in MIXES.items():
        levels = bud.budget_levels(100, shares)
        option = bud.budget_settings(100, shares, args.seed, None)
        lines.append(f"- {label}: intensities " + ", ".join(
            f"{k} {100 * v:.0f}%" for k, v in levels.items()))
        lines += describe(label, runs(option, args.replications, args.cache), reference, args.lang)
    lines += ["", "## Groups (safe in public spaces, start → end)", "",
              groups(reference, "baseline"), groups(plan, "plan")]
    lines += ["", f"({time.perf_counter() - began:.0f} s)"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
