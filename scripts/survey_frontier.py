"""Can any parameter set reproduce the four survey figures within the issue's tolerance
without being ruled out by the rest of the calibration's targets?

    python scripts/survey_frontier.py [--confirm 2] [--replications 20]

Fits the calibration's emulators (experiments/calibrate_joint.toml) to its stored design
(results/calibration/design.parquet, waves from ``--first-wave`` on: the region the
last waves searched), then searches them (experiments/frontier.py) for the set whose
worst deviation from the four survey figures (full city: the targets' scale shifts
included) is smallest while severe violence, victimization and every published effect
stay below the cut-off. Writes results/calibration/frontier.csv (the best sets, best
first) and runs the ``--confirm`` best on the full city (the Quito plan, ``--replications``
each, as the README's check does), printing the four figures on the survey days.

    python scripts/survey_frontier.py --centre [--centre-seed 7]

Also writes scenarios/calibrated.toml from the frontier's best set, made to reproduce the
survey on the full city (the emulators see the calibration's quarter city plus measured
scale shifts, which miss the full city's start values by 1-4 points): the two
parameters that carry the rises (the Sobol analysis: the disorder effect for public
spaces, the committee effect for neighbourhoods) at the not-ruled-out set's 95th
percentile, because the model's one-year rise falls short of the survey's everywhere
in that set; then the two baselines moved, on full-city runs (``--centre-seed``, not the
check's), until each pair of survey-day figures is centred on the observed pair (its
mean on theirs: the smallest worst deviation a given rise allows). The emulators must
still find the set below the cut-off on every observation, or nothing is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILE = ROOT / "experiments" / "calibrate_joint.toml"
FOLDER = ROOT / "results" / "calibration"
SURVEY = ["safe_public_on_survey_start", "safe_public_on_survey_end",
          "safe_neighbourhood_on_survey_start", "safe_neighbourhood_on_survey_end"]


RISES = {"safe_public": "disorder_perception_effect",
         "safe_neighbourhood": "committee_perception_effect"}
"""The parameter that carries each pair's rise (largest total Sobol index that no published
effect bounds; docs/calibration.md, "Sensitivity and robustness")."""
BASELINES = {"safe_public": "safe_public_baseline",
             "safe_neighbourhood": "safe_neighbourhood_baseline"}
FIRST_SLOPE = 3.3
"""Change in a pair's survey-day shares per unit change of its baseline, for the first
step only (measured at the frontier: 0.01 of baseline moves them by about 3.3 points);
later steps take the secant."""
CENTRED = 0.0015
"""How close each pair's mean must come to the observed pair's (a share)."""
STEPS = 5


def search(loaded, first_wave: int, seed: int):
    from experiments.frontier import closest
    from experiments.implausibility import fit_emulators

    design = pd.read_parquet(FOLDER / "design.parquet")
    emulators = fit_emulators(loaded, design[design["wave"] >= first_wave].reset_index(drop=True))
    names = loaded.space.names
    start = np.vstack([pd.read_parquet(FOLDER / "nroy.parquet")[names].to_numpy(),
                       loaded.space.latin_hypercube(20_000, seed=seed)])
    return emulators, closest(loaded, emulators, SURVEY, start,
                              cutoff=loaded.spec.matching.cutoff, seed=seed)


def confirm(loaded, frontier: pd.DataFrame, count: int, replications: int) -> pd.DataFrame:
    """The best ``count`` sets on the full city, far enough apart to differ."""
    observed = _observed(loaded)
    rows = []
    for i, row in _distinct(frontier, loaded.space, count).iterrows():
        point = {n: float(row[n]) for n in loaded.space.names}
        full = _full_city(loaded, point, None, replications)
        rows.append({"rank": i,
                     **{f"emulated_{n}": 100 * (row[f"dev_{n}"] + observed[n]) for n in SURVEY},
                     **{f"full_{n}": 100 * full[n] for n in SURVEY},
                     "full_worst": 100 * max(abs(full[n] - observed[n]) for n in SURVEY),
                     "full_severe": full["severe_violence_per_100k_end"]})
    return pd.DataFrame(rows)


def _distinct(frontier: pd.DataFrame, space, count: int, apart: float = 0.05) -> pd.DataFrame:
    """The first ``count`` rows each at least ``apart`` (unit cube, largest coordinate)
    from every row kept before it: the search's top rows are near-copies of one point."""
    u = space.to_unit(frontier[space.names].to_numpy())
    kept: list[int] = []
    for i in range(len(frontier)):
        if all(np.abs(u[i] - u[j]).max() >= apart for j in kept):
            kept.append(i)
        if len(kept) == count:
            break
    return frontier.iloc[kept]


def centre(loaded, emulators, frontier: pd.DataFrame, seed: int, replications: int):
    """The frontier's best set with the rise parameters at the not-ruled-out set's 95th
    percentile and the baselines moved until each pair is centred on the full city;
    with the runs' history (one row per full-city run)."""
    names = loaded.space.names
    nroy = pd.read_parquet(FOLDER / "nroy.parquet")
    point = {n: float(frontier[n].iloc[0]) for n in names}
    for parameter in RISES.values():
        point[parameter] = float(nroy[parameter].quantile(0.95))
    history: list[dict] = []
    for _ in range(STEPS):
        figures = _full_city(loaded, point, seed, replications)
        history.append({**point, **figures})
        offsets = {pair: _offset(loaded, figures, pair) for pair in BASELINES}
        if all(abs(o) < CENTRED for o in offsets.values()):
            break
        for pair, baseline in BASELINES.items():
            point[baseline] -= offsets[pair] / _slope(loaded, history, pair, baseline)
    from experiments.implausibility import implausibility

    x = np.array([[point[n] for n in names]])
    largest = implausibility(loaded, emulators, x, held=True).iloc[0]
    return point, pd.DataFrame(history), largest


def _full_city(loaded, point: dict, seed: int | None, replications: int) -> dict:
    """The Quito plan at ``point`` on the full city (the scenario without the calibration's
    [city]): the survey-day figures and severe violence, means over the replications
    (``seed`` None: the scenario's)."""
    import barrios

    scenario = (FILE.parent / loaded.spec.scenario).resolve()
    outcomes = barrios.run(scenario, seed=seed, replications=replications,
                           parameters=point).outcomes
    figures = {n: float(outcomes[n].mean()) for n in [*SURVEY, "severe_violence_per_100k_end"]}
    print("  full city:", ", ".join(f"{100 * figures[n]:.2f}" for n in SURVEY), flush=True)
    return figures


def _observed(loaded) -> dict[str, float]:
    return {o.name: o.observed for o in loaded.observations}


def _offset(loaded, figures: dict, pair: str) -> float:
    """The pair's mean on the survey days less the observed pair's mean (a share)."""
    observed = _observed(loaded)
    days = [f"{pair}_on_survey_start", f"{pair}_on_survey_end"]
    return float(np.mean([figures[d] - observed[d] for d in days]))


def _slope(loaded, history: list[dict], pair: str, baseline: str) -> float:
    if len(history) < 2 or history[-1][baseline] == history[-2][baseline]:
        return FIRST_SLOPE
    change = _offset(loaded, history[-1], pair) - _offset(loaded, history[-2], pair)
    return change / (history[-1][baseline] - history[-2][baseline])


def write_centred(loaded, point: dict, largest: pd.Series, path: Path) -> None:
    """scenarios/calibrated.toml from the centred set, with how it was chosen."""
    from experiments.history_matching import calibrated_text

    nroy = pd.read_parquet(FOLDER / "nroy.parquet")
    design = pd.read_parquet(FOLDER / "design.parquet")
    validation = pd.read_csv(FOLDER / "validation.csv")
    header = [
        "# Calibrated parameter values: history matching with Gaussian-process emulators",
        "# (docs/calibration.md), the set not ruled out that comes closest to the survey on",
        "# the full city, centred on the survey at full scale (scripts/survey_frontier.py",
        "# --centre; results/calibration/frontier.csv, frontier_centring.csv).",
        "# Written by a script; do not edit by hand (run it again).",
        f"# Calibration file: experiments/{loaded.path.name}",
        f"# Seed {loaded.spec.seed}, {design['wave'].nunique()} waves, {len(design)} design "
        f"points, {len(nroy)} candidates not ruled out, date {dt.date.today()}.",
        f"# Emulators at the 95% validation target: "
        f"{int((validation['inside_95'] >= 0.95).sum())} of {len(validation)}.",
        "# Report, figures and hold-outs: results/calibration/",
        f"# Largest implausibility on the emulators, every observation: {largest.max():.2f} "
        f"({largest.idxmax()}); cut-off {loaded.spec.matching.cutoff:g}.",
        "# simulation/parameters.py carries these values as defaults "
        "(scripts/adopt_calibration.py)."]
    text = calibrated_text(loaded, point, nroy, header, "Parameter values from the joint "
                           "calibration (history matching), centred on the survey at full scale")
    path.write_text(text, encoding="utf-8")


def main() -> None:
    from experiments.history_matching import load_matching

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-wave", type=int, default=4)
    parser.add_argument("--confirm", type=int, default=2, help="best sets run on the full city")
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--centre", action="store_true",
                        help="write scenarios/calibrated.toml centred on the full city")
    parser.add_argument("--centre-seed", type=int, default=7,
                        help="seed of the centring runs (not the check's)")
    args = parser.parse_args()
    loaded = load_matching(FILE)
    emulators, frontier = search(loaded, args.first_wave, args.seed)
    frontier.head(50).to_csv(FOLDER / "frontier.csv", index=False)
    print(f"Emulated best worst deviation: {100 * frontier['worst'].iloc[0]:.2f} points "
          f"({', '.join(f'{100 * frontier[f'dev_{n}'].iloc[0]:+.2f}' for n in SURVEY)})")
    if args.confirm:
        table = confirm(loaded, frontier, args.confirm, args.replications)
        table.to_csv(FOLDER / "frontier_confirmed.csv", index=False)
        print(table.round(2).T.to_string())
    if args.centre:
        point, history, largest = centre(loaded, emulators, frontier, args.centre_seed,
                                         args.replications)
        history.to_csv(FOLDER / "frontier_centring.csv", index=False)
        if largest.max() >= loaded.spec.matching.cutoff:
            sys.exit(f"error: the centred set is ruled out by {largest.idxmax()} "
                     f"(implausibility {largest.max():.2f}); nothing written")
        write_centred(loaded, point, largest, ROOT / "scenarios" / "calibrated.toml")
        print("wrote scenarios/calibrated.toml; implausibilities:", largest.round(2).to_dict())


if __name__ == "__main__":
    main()
