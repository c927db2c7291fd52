"""Figures. Matplotlib with the non-interactive Agg backend (works without a screen)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

SERIES = (("safe_public", "public spaces (streets, parks, plazas)", "tab:blue"),
          ("safe_neighbourhood", "neighbourhoods", "tab:green"))


def perception_figure(ts_all: pd.DataFrame, observed: dict, title: str, path: Path):
    """Both perception shares over time (mean, and the 5-95% band across replications
    when there are several), with the observed survey values marked at start and end."""
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    by_date = ts_all.groupby("date")
    start, end = ts_all["date"].min(), ts_all["date"].max()
    for col, label, colour in SERIES:
        mean = by_date[col].mean()
        ax.plot(mean.index, 100 * mean.values, color=colour, label=f"simulated: {label}")
        if ts_all["replication"].nunique() > 1:
            lo, hi = by_date[col].quantile(0.05), by_date[col].quantile(0.95)
            ax.fill_between(lo.index, 100 * lo.values, 100 * hi.values, color=colour, alpha=0.2,
                            linewidth=0, label="5–95% of replications")
        for when, day in (("start", start), ("end", end)):
            value = observed.get(f"{col}_{when}")
            if value is not None:
                ax.plot([day], [100 * value], marker="D", markersize=9, color=colour,
                        markeredgecolor="black", linestyle="none",
                        label=f"observed: {label}" if when == "start" else None)
    ax.set_ylabel("feel safe (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), loc="lower right", fontsize=8)
    if observed.get("source"):
        fig.text(0.01, 0.01, f"Observed: {observed['source']}", fontsize=7, color="dimgray")
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
