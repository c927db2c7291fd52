"""What ``barrios pathways`` shows and writes: a terminal table, pathways.csv, pathways.png
and report.md/report.html."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.pathways import RISES, Pathways
from experiments.reporting import fmt, interval, markdown_table, render
from experiments.scenario_files import scenario_summary
from simulation.perception import DIRECT, PATHWAYS

RISE_LABEL = {"safe_public_change": "public spaces", "safe_neighbourhood_change": "neighbourhood"}


def table_rows(result: Pathways) -> list[dict]:
    """One row per switch: the rise (first row) or each contribution, in points."""
    t = result.table
    rows = []
    for name in dict.fromkeys(t["switch"]):
        row = {"channel switched off": name}
        for rise in RISES:
            r = t[(t["switch"] == name) & (t["rise"] == rise)].iloc[0]
            row[f"{RISE_LABEL[rise]} (pp)"] = (f"{fmt(100 * r['mean'], 1, True)} "
                                               f"{interval(100 * r['ci_low'], 100 * r['ci_high'])}")
        rows.append(row)
    rows[0]["channel switched off"] = "the rise itself (nothing off)"
    return rows


def sums(result: Pathways) -> dict[str, float]:
    """The sum of the single channels' contributions, per rise (points)."""
    t = result.table
    single = t[t["switch"].isin(list(PATHWAYS)) & (t["kind"] == "contribution")]
    return {RISE_LABEL[r]: 100 * single[single["rise"] == r]["mean"].sum() for r in RISES}


def terminal_text(result: Pathways) -> str:
    total = sums(result)
    return "\n".join([
        f"Where the rise in perceived safety comes from: {result.loaded.scenario.name}, "
        f"{result.replications} paired replications (seed {result.seed}). Contribution = "
        "rise with everything on minus rise with the channel off, in points [95% CI].", "",
        pd.DataFrame(table_rows(result)).to_string(index=False), "",
        "Sum of the single channels: " + ", ".join(f"{k} {v:+.1f} pp" for k, v in total.items())
        + " (channels interact: the sum need not equal the rise)."])


def write_outputs(result: Pathways) -> list[Path]:
    folder = result.folder
    result.table.to_csv(folder / "pathways.csv", index=False)
    figure(result, folder / "pathways.png")
    md, page = render("pathways", title=f"Where the rise comes from: {result.loaded.scenario.name}",
                      scenario=scenario_summary(result.loaded, seed=result.seed,
                                                replications=result.replications),
                      table=markdown_table(table_rows(result)), sums=sums(result),
                      pathways=PATHWAYS, direct=DIRECT, replications=result.replications)
    (folder / "report.md").write_text(md, encoding="utf-8")
    (folder / "report.html").write_text(page, encoding="utf-8")
    result.files = [folder / n for n in ("pathways.csv", "pathways.png", "report.md", "report.html")]
    return result.files


def figure(result: Pathways, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.table
    names = list(dict.fromkeys(t["switch"]))
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.4 * len(names) + 1.6), dpi=100, sharey=True)
    for ax, rise in zip(axes, RISES):
        df = t[t["rise"] == rise].set_index("switch").loc[names]
        y = range(len(names))
        err = [100 * (df["mean"] - df["ci_low"]).clip(lower=0).fillna(0),
               100 * (df["ci_high"] - df["mean"]).clip(lower=0).fillna(0)]
        colours = ["tab:grey"] + ["tab:blue"] * (len(names) - 1)
        ax.barh(list(y), 100 * df["mean"], xerr=err, color=colours, alpha=0.8, capsize=2)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(f"{RISE_LABEL[rise]}: rise and contributions (points)", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(names)), ["the rise itself", *names[1:]], fontsize=8)
    axes[0].invert_yaxis()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
