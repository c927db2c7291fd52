"""What ``barrios sweep`` writes after the runs: design-point means (``points.csv``, with
how many replications succeeded and failed at each point), the cost/gain Pareto front
(``pareto.csv``, ``tradeoff.png``) and, with a ``[target]``, the PRIM box of lever ranges
that reach it (``prim.csv``); and the text it prints."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments import budget
from experiments.store import ResultStore
from experiments.study import successful
from experiments.sweep import BUDGET_SPENT, LoadedExperiment, SweepResult


def analyse(result: SweepResult) -> str:
    """Write the tables and the figure for the sweep's design; return the text to print."""
    from experiments.sweep_analysis import pareto_front, point_means, prim_box, tradeoff_figure

    folder, loaded = result.folder, result.loaded
    exp = loaded.spec
    runs = ResultStore(folder).runs()
    runs = runs[runs["run_id"].isin(set(result.run_ids))].reset_index(drop=True)
    successful(runs, folder)  # nothing to analyse when every run failed
    if exp.budget is not None:
        runs[BUDGET_SPENT] = runs[[f"cost_usd_{n}" for n in exp.budget.interventions]].sum(axis=1)
    variables = list(loaded.variables)
    scalars = [*exp.outcomes.scalars, *([BUDGET_SPENT] if exp.budget else [])]
    points = point_means(runs, variables, [c for c in dict.fromkeys(scalars) if c in runs])
    if exp.budget is not None:  # design coordinates -> the budget shares they stand for
        names = [f"share_{n}" for n in exp.budget.interventions]
        shares = points[names].apply(lambda r: pd.Series(budget.split(r.to_dict())), axis=1)
        points[names] = shares[names]
    points.to_csv(folder / "points.csv", index=False)
    failed = int(points["failed"].gt(0).sum())
    lines = [f"Design points: {len(points)} (means over replications in points.csv)"
             + (f"; {failed} with failed runs (column failed)" if failed else "")]
    analysed = points[points["replications"] > 0]
    # With a budget, the trade-off is what the budgeted programmes cost, not the status quo.
    cost = BUDGET_SPENT if exp.budget else "cost_usd_total"
    gain = exp.target.outcome if exp.target else "safe_public_change"
    if cost in analysed and gain in analysed:
        front = pareto_front(analysed, cost, gain)
        front.to_csv(folder / "pareto.csv", index=False)
        tradeoff_figure(analysed, front, cost, gain, exp.target.at_least if exp.target else None,
                        folder / "tradeoff.png")
        lines.append(f"Pareto front of cost vs {gain}: {len(front)} mixes (pareto.csv, tradeoff.png)")
    if exp.target is not None:
        lines += _prim(analysed, loaded, folder, prim_box)
    return "\n".join(lines)


def _prim(points: pd.DataFrame, loaded: LoadedExperiment, folder: Path, prim_box) -> list[str]:
    target = loaded.spec.target
    levers = [n for n in loaded.variables if loaded.kinds[n] == "lever"]
    reached = (points[target.outcome] >= target.at_least).to_numpy()
    best = points[target.outcome].max()
    lines = [f"{int(reached.sum())} of {len(points)} mixes reach {target.outcome} >= "
             f"{target.at_least:g} (the best reaches {best:.3g})."]
    if 0 < reached.sum() < len(points):
        box, stats = prim_box(points, levers, reached)
        box.to_csv(folder / "prim.csv", index=False)
        lines.append(f"PRIM: mixes in this box reach it (coverage {stats['coverage']:.0%} of "
                     f"the successes, density {stats['density']:.0%}), prim.csv:")
        lines += [f"  {r.lever}: {r.min:.3g} to {r.max:.3g}" for r in box.itertuples()] or [
            "  (no lever range restricts them)"]
    return lines
