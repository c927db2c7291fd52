"""How much Ecuador's 2024 power cuts move the Quito plan's figures in the model: the plan
with its ``[[power_cuts]]`` (scenarios/baseline_2023.toml) and without them, on the same
seeds (paired), at the current defaults and with the darkness seen at the upper ends of
the lighting perception effect's evidence bound and prior range.

    python scripts/measure_power_cuts.py [--replications 20] [--scale 100]

Prints, per setting, each survey-day figure with and without the cuts and the paired
difference with its 95% interval (t), and the night incidents over the cuts' period.
The question it answers (docs/status.md): could the dark autumn of 2024 explain why the
first survey found Quito's public spaces less safe than the model does?
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PLAN = ROOT / "scenarios" / "quito_2023_2025.toml"
FIGURES = ("safe_public_on_survey_start", "safe_public_on_survey_end",
           "safe_neighbourhood_on_survey_start", "safe_neighbourhood_on_survey_end",
           "victimization_12m_on_survey_start", "victimization_12m_on_survey_end")
SETTINGS = {
    "defaults": {},
    "lighting perception effect at its evidence bound (0.012)": {"lighting_perception_effect": 0.012},
    "lighting perception effect at its prior's top (0.25)": {"lighting_perception_effect": 0.25},
}


def _figures(result, cuts) -> pd.DataFrame:
    """Per replication: the survey-day figures and the night incidents in the cuts' period."""
    out = result.outcomes.set_index("replication")[list(FIGURES)]
    ts = result.timeseries
    dates = pd.to_datetime(ts["date"])
    dark = (dates >= pd.Timestamp(cuts[0].start)) & (dates <= pd.Timestamp(cuts[-1].end))
    out["night_incidents_in_cuts"] = ts[dark].groupby("replication")["incidents_night"].sum()
    out["rise_public"] = out["safe_public_on_survey_end"] - out["safe_public_on_survey_start"]
    out["rise_neighbourhood"] = (out["safe_neighbourhood_on_survey_end"]
                                 - out["safe_neighbourhood_on_survey_start"])
    return out


def paired(with_cuts: pd.DataFrame, without: pd.DataFrame) -> pd.DataFrame:
    from experiments.statistics import t_interval

    rows = []
    for name in with_cuts.columns:
        mean, _, high = t_interval(with_cuts[name] - without[name])
        rows.append({"figure": name, "with cuts": with_cuts[name].mean(),
                     "without": without[name].mean(), "difference": mean, "95% ±": high - mean})
    return pd.DataFrame(rows).set_index("figure")


def main() -> None:
    import barrios
    from experiments.scenario_files import load_scenario

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--scale", type=float, default=None, help="inhabitants per agent")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    plan = load_scenario(PLAN).scenario
    cuts = plan.power_cuts
    uncut = plan.model_copy(update={"power_cuts": []})
    print(f"# {len(cuts)} periods of cuts, {cuts[0].start} to {cuts[-1].end}; "
          f"{args.replications} paired replications, seed {args.seed}")
    for label, parameters in SETTINGS.items():
        runs = [barrios.run(s, seed=args.seed, replications=args.replications,
                            scale=args.scale, parameters=parameters) for s in (plan, uncut)]
        table = paired(_figures(runs[0], cuts), _figures(runs[1], cuts))
        print(f"\n## {label}")
        print(table.to_string(float_format=lambda x: f"{x:.4f}"))


if __name__ == "__main__":
    main()
