"""The analysis of a sweep: design-point means, the cost/gain Pareto front, and PRIM
scenario discovery (EMA Workbench) of the mixes that reach a target.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

MIN_COVERAGE = 0.8  # PRIM: the densest box that still covers this share of the successes


def point_means(runs: pd.DataFrame, variables: list[str], outcomes: list[str]) -> pd.DataFrame:
    """One row per design point: its variables, the mean of each outcome over the
    successful replications, how many there were and how many failed (a point whose
    every run failed has no means)."""
    ok = runs[runs["status"] == "ok"]
    means = ok.groupby("point")[outcomes].mean()
    first = runs.groupby("point")[variables].first()
    n = ok.groupby("point").size().rename("replications")
    failed = (runs["status"] != "ok").groupby(runs["point"]).sum().rename("failed")
    table = pd.concat([first, means, n, failed], axis=1)
    table["replications"] = table["replications"].fillna(0).astype(int)
    return table.reset_index()


def pareto_front(points: pd.DataFrame, cost: str, gain: str) -> pd.DataFrame:
    """Points no other point dominates (lower or equal cost and higher or equal gain,
    strictly better in one), sorted by cost; identical points are all kept."""
    c, g = points[cost].to_numpy(float), points[gain].to_numpy(float)
    no_worse = (c[None, :] <= c[:, None]) & (g[None, :] >= g[:, None])
    better = (c[None, :] < c[:, None]) | (g[None, :] > g[:, None])
    dominated = (no_worse & better).any(axis=1)
    return points[~dominated].sort_values([cost, gain], ascending=[True, False])


def prim_box(points: pd.DataFrame, levers: list[str], reached: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """PRIM (Friedman & Fisher 1999, via EMA Workbench) on the levers: ranges of the
    levers within which mixes reach the target. Returns the box's limits on the levers
    it restricts and its coverage (share of successes inside) and density (share of
    mixes inside that succeed)."""
    with warnings.catch_warnings():  # ema_workbench warns about optional ipyparallel
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

    if reached.sum() == 0 or reached.all():
        return pd.DataFrame(columns=["lever", "min", "max"]), {
            "coverage": float(reached.all()), "density": float(reached.mean()), "mass": 1.0}
    x = points[levers].astype(float).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        box = prim.Prim(x, np.asarray(reached, dtype=bool)).find_box()
    trajectory = box.peeling_trajectory
    eligible = trajectory[trajectory["coverage"] >= MIN_COVERAGE]
    chosen = int(eligible.sort_values("density").index[-1]) if len(eligible) else len(trajectory) - 1
    box.select(chosen)
    limits = box.box_lims[chosen]
    restricted = [c for c in levers if (limits[c].iloc[0] > x[c].min() + 1e-12)
                  or (limits[c].iloc[1] < x[c].max() - 1e-12)]
    table = pd.DataFrame({"lever": restricted,
                          "min": [float(limits[c].iloc[0]) for c in restricted],
                          "max": [float(limits[c].iloc[1]) for c in restricted]})
    row = trajectory.loc[chosen]
    return table, {"coverage": float(row["coverage"]), "density": float(row["density"]),
                   "mass": float(row["mass"])}


def tradeoff_figure(points: pd.DataFrame, front: pd.DataFrame, cost: str, gain: str,
                    target: float | None, path: Path, *, labels: dict | None = None,
                    lang: str = "en", scale: float = 100):
    """Cost (US$ million) against the gain (times ``scale``, e.g. 100 for percentage
    points) of every design point, the Pareto front and the target; ``labels`` holds the
    words in the report's language (``points``, ``front``, ``cost``, ``gain``, ``target``)."""
    from experiments.reporting import decimal_axes

    words = {"points": "design points", "front": "Pareto front", "cost": "cost (US$ million)",
             "gain": f"{gain} (percentage points)",
             "target": None if target is None else f"target {scale * target:+.1f} pp"}
    words.update(labels or {})
    fig, ax = plt.subplots(figsize=(7, 5), dpi=100)
    ax.scatter(points[cost] / 1e6, scale * points[gain], s=12, alpha=0.5, label=words["points"])
    ax.plot(front[cost] / 1e6, scale * front[gain], color="tab:red", marker="o", markersize=4,
            label=words["front"])
    if target is not None:
        ax.axhline(scale * target, color="tab:green", linestyle="--", label=words["target"])
    ax.set_xlabel(words["cost"])
    ax.set_ylabel(words["gain"])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    decimal_axes(ax, lang)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
