"""Policy robustness: does the ranking of intervention mixes survive what the calibration
leaves uncertain?

Draws are taken from the calibration's posterior (``experiments.posterior``: weighted by
how well each set meets the observations, inside the set history matching did not rule
out). At each draw every scenario of a comparison runs on common random numbers
(replication k of the draw's stream, the same for every scenario), and each scenario's
gain over the reference (the mean of the two perception rises, in points) is divided by
its extra cost (US$ million). A scenario that gains at no extra cost (its realized cost
at or below the reference's: a cheap programme whose cost is within the run-to-run
spread of the operations' cost) dominates every costly one: its gain per US$ is +inf,
best per US$; one that loses at no extra cost has none (NaN). The table gives, per
scenario, the probability over draws that it is the best per US$ spent and the probability that it gains most; and, per
parameter, how strongly it moves the margin between the two scenarios most often best
(Spearman's rank correlation over draws, with its p-value): the parameters that can flip
the ranking.

The draws carry run noise as well as parameter uncertainty (one city, a few replications
per draw): a probability near 1 is robust to both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from experiments.runs import Run
from experiments.scenario_files import LoadedScenario

OUTPUTS = ("safe_public_change", "safe_neighbourhood_change", "cost_usd_total")


def robustness_runs(draws: pd.DataFrame, scenarios: list[LoadedScenario], replications: int,
                    seed: int) -> list[Run]:
    """Every scenario at every draw, ``replications`` times; draw d, replication k runs on
    replication d * replications + k of ``seed`` for every scenario."""
    runs = []
    for d, row in enumerate(draws.to_dict("records")):
        overrides = {f"parameters.{k}": float(v) for k, v in row.items()}
        for item in scenarios:
            for k in range(replications):
                runs.append(Run(point=d, replication=d * replications + k, seed=seed,
                                scenario=item.scenario,
                                values={**row, "draw": d, "scenario": item.scenario.name},
                                overrides=overrides, scalars=OUTPUTS,
                                city_table=item.city_table))
    return runs


def scores(runs: pd.DataFrame, reference: str) -> pd.DataFrame:
    """Per draw and scenario: gain over the reference (points), extra cost (US$ M) and
    gain per US$ M (paired within each replication, then averaged over replications)."""
    ok = runs[runs["status"] == "ok"]
    mean = ok.groupby(["draw", "scenario"])[list(OUTPUTS)].mean()
    ref = mean.xs(reference, level="scenario")
    rows = []
    for (draw, name), row in mean.iterrows():
        if name == reference:
            continue
        gain = 100 * ((row["safe_public_change"] - ref.loc[draw, "safe_public_change"])
                      + (row["safe_neighbourhood_change"]
                         - ref.loc[draw, "safe_neighbourhood_change"])) / 2
        extra = (row["cost_usd_total"] - ref.loc[draw, "cost_usd_total"]) / 1e6
        rows.append({"draw": draw, "scenario": name, "gain_pp": gain, "extra_cost_musd": extra,
                     "pp_per_musd": per_musd(gain, extra)})
    return pd.DataFrame(rows)


def per_musd(gain: float, extra: float) -> float:
    """Gain per US$ M; a gain at no extra cost dominates (+inf), a loss at none has no
    value (NaN), rather than dropping out of the ranking as a NaN would."""
    if extra > 0:
        return gain / extra
    return np.inf if gain > 0 else np.nan


def ranking(table: pd.DataFrame) -> pd.DataFrame:
    """Per scenario: the probability of being best per US$ and of the largest gain, and
    the median and 90% range of its gain per US$ M over draws."""
    best_value = table.loc[table.groupby("draw")["pp_per_musd"].idxmax()]["scenario"]
    best_gain = table.loc[table.groupby("draw")["gain_pp"].idxmax()]["scenario"]
    draws = table["draw"].nunique()
    rows = []
    for name, part in table.groupby("scenario"):
        rows.append({"scenario": name,
                     "p_best_per_usd": float((best_value == name).sum() / draws),
                     "p_largest_gain": float((best_gain == name).sum() / draws),
                     "gain_pp_median": float(part["gain_pp"].median()),
                     **_quantiles(part["pp_per_musd"])})
    return pd.DataFrame(rows).sort_values(["p_best_per_usd", "pp_per_musd_median"],
                                          ascending=False, ignore_index=True)


def _quantiles(per_musd: pd.Series) -> dict:
    """Median and 90% range of gain per US$ M, each an observed value (a dominating
    draw's +inf must not be interpolated into inf - inf)."""
    q = per_musd.dropna().quantile([0.5, 0.05, 0.95], interpolation="nearest")
    return {"pp_per_musd_median": float(q[0.5]), "pp_per_musd_5": float(q[0.05]),
            "pp_per_musd_95": float(q[0.95])}


def flips(table: pd.DataFrame, draws: pd.DataFrame, order: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: Spearman's correlation with the margin (gain per US$ M) between the
    two scenarios most often best per US$, and with the margin in gain between the two
    most often largest. A strong correlation names a parameter that can flip the
    ranking."""
    pivot = {m: table.pivot(index="draw", columns="scenario", values=m)
             for m in ("pp_per_musd", "gain_pp")}
    by_value = list(order["scenario"])[:2]   # most often best, then by median (ties at 0)
    by_gain = list(order.sort_values(["p_largest_gain", "gain_pp_median"],
                                     ascending=False)["scenario"])[:2]
    value_margin = pivot["pp_per_musd"][by_value[0]] - pivot["pp_per_musd"][by_value[1]]
    gain_margin = pivot["gain_pp"][by_gain[0]] - pivot["gain_pp"][by_gain[1]]
    rows = []
    for name in draws.columns:
        x = draws[name].to_numpy()[value_margin.index.to_numpy()]
        rho_v, p_v = stats.spearmanr(x, value_margin.to_numpy(), nan_policy="omit")
        rho_g, p_g = stats.spearmanr(x, gain_margin.to_numpy(), nan_policy="omit")
        rows.append({"parameter": name,
                     "value_pair": f"{by_value[0]} − {by_value[1]}",
                     "rho_value_margin": float(rho_v), "p_value_margin": float(p_v),
                     "gain_pair": f"{by_gain[0]} − {by_gain[1]}",
                     "rho_gain_margin": float(rho_g), "p_gain_margin": float(p_g)})
    out = pd.DataFrame(rows)
    return out.reindex(out["rho_value_margin"].abs().sort_values(ascending=False).index)
