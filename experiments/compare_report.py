"""What ``barrios compare`` shows and writes: a terminal table, comparison.csv/.parquet,
comparison.png, and a short report (report.md and report.html) to hand to a city official.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.compare import OUTCOMES, Comparison  # noqa: E402
from experiments.scenario_files import scenario_summary  # noqa: E402
from simulation.outcomes import OUTCOMES as REGISTRY  # noqa: E402

LABELS = {**{k: REGISTRY[k].label("en") for k in OUTCOMES},
          "usd_per_pp_safe_public": "US$ M per pp (public spaces)",
          "usd_per_pp_safe_neighbourhood": "US$ M per pp (neighbourhood)"}
UNITS = {k: REGISTRY[k].display.suffix for k in OUTCOMES}
SCALE = {**{k: REGISTRY[k].display.scale for k in OUTCOMES},
         "usd_per_pp_safe_public": 1e-6, "usd_per_pp_safe_neighbourhood": 1e-6}


CALIBRATED = ("Intervention effects on crime start from meta-analyses; the perception and "
              "offending parameters are calibrated jointly (history matching) to the 2023 and "
              "2025 survey figures (41%→50%, 51%→62%), 8 homicides per 100,000, a "
              "victimization level and published effects of the programmes, each measured by "
              "its evaluation design in the model; see docs/calibration.md and "
              "docs/parameters.md.")


def _fmt(x: float, digits: int = 1) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:,.{digits}f}"


def _cell(row, prefix: str) -> str:
    s = SCALE[row["outcome"]]
    mean, low, high = (row[f"{prefix}mean"], row[f"{prefix}low" if prefix else "ci_low"],
                       row[f"{prefix}high" if prefix else "ci_high"])
    if not math.isfinite(mean):
        return "—"
    if not (math.isfinite(low) and math.isfinite(high)):
        return _fmt(mean * s)
    return f"{_fmt(mean * s)} [{_fmt(low * s)}, {_fmt(high * s)}]"


def wide_table(result: Comparison, paired: bool) -> pd.DataFrame:
    """Scenarios as rows, outcomes as columns: 'mean [95% CI]' text."""
    t = result.table
    out = {}
    for row in t.to_dict("records"):
        out.setdefault(row["scenario"], {})[LABELS[row["outcome"]]] = _cell(row, "diff_" if paired else "")
    order = list(dict.fromkeys(t["scenario"]))
    return pd.DataFrame.from_dict(out, orient="index").loc[order]


def terminal_text(result: Comparison) -> str:
    first = result.table["scenario"].iloc[0]
    n = result.replications
    parts = [f"Compared {len(result.scenarios)} scenarios, {n} replications each on common seeds. "
             "Mean [95% CI]; pp = percentage points.", "",
             wide_table(result, paired=False).to_string(), "",
             f"Paired difference against {first} (for US$ per pp: extra cost per extra point):", "",
             wide_table(result, paired=True).iloc[1:].to_string()]
    return "\n".join(parts)


def write_outputs(result: Comparison) -> list[Path]:
    folder = result.folder
    result.table.to_csv(folder / "comparison.csv", index=False)
    result.table.to_parquet(folder / "comparison.parquet", index=False)
    result.groups.to_csv(folder / "groups.csv", index=False)
    figure(result, folder / "comparison.png")
    md = markdown(result)
    (folder / "report.md").write_text(md)
    (folder / "report.html").write_text(to_html(result))
    return [folder / n for n in ("comparison.csv", "comparison.parquet", "groups.csv",
                                 "comparison.png", "report.md", "report.html")]


def figure(result: Comparison, path: Path):
    t = result.table.set_index(["scenario", "outcome"])
    names = list(dict.fromkeys(result.table["scenario"]))
    panels = ["safe_public_change", "safe_neighbourhood_change", "victimization_12m_end", "cost_usd_total"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 0.5 * len(names) + 2), dpi=100,
                             sharey=True)
    for ax, outcome in zip(axes, panels):
        s = SCALE[outcome]
        means = [t.loc[(n, outcome), "mean"] * s for n in names]
        lows = [t.loc[(n, outcome), "ci_low"] * s for n in names]
        highs = [t.loc[(n, outcome), "ci_high"] * s for n in names]
        err = [[max(m - lo, 0) if math.isfinite(lo) else 0 for m, lo in zip(means, lows)],
               [max(hi - m, 0) if math.isfinite(hi) else 0 for m, hi in zip(means, highs)]]
        ax.barh(range(len(names)), means, xerr=err, color="tab:blue", alpha=0.75, capsize=3)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(LABELS[outcome] + (f" ({UNITS[outcome]})" if UNITS[outcome] else ""),
                     fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(names)), names, fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle("Scenario comparison: mean and 95% interval over replications", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _group_lines(result: Comparison) -> list[str]:
    """Say where groups differ: the gap between women and men, migrants and others."""
    g = result.groups.set_index(["scenario", "measure", "group"])["mean"]
    lines = []
    for name in dict.fromkeys(result.groups["scenario"]):
        for measure in ("public", "neighbourhood"):
            women, men = g[(name, measure, "women")], g[(name, measure, "men")]
            youth, migrants = g[(name, measure, "youth")], g[(name, measure, "migrants")]
            lines.append(f"| {name} | {measure} | {100 * women:.1f}% | {100 * men:.1f}% | "
                         f"{100 * youth:.1f}% | {100 * migrants:.1f}% |")
    return lines


def markdown(result: Comparison) -> str:
    first = result.table["scenario"].iloc[0]
    n = result.replications
    lines = ["# Barrios scenario comparison", "",
             "## What was compared", ""]
    for loaded in result.scenarios:
        lines += ["```", scenario_summary(loaded, seed=result.seed, replications=n), "```", ""]
    lines += ["## Results", "",
              f"Each scenario ran {n} times; replication k of every scenario used the same "
              "random-number stream (common random numbers), so differences between scenarios "
              "are not blurred by chance differences between runs. Values are means over "
              "replications with 95% intervals in brackets. Changes are from the start to the "
              "end of the run, in percentage points (pp).", "",
              wide_table(result, paired=False).to_markdown(), "",
              f"### Difference against `{first}` (paired by replication)", "",
              "For US$ per pp this is the extra cost per extra point gained relative to "
              f"`{first}`.", "",
              wide_table(result, paired=True).iloc[1:].to_markdown(), "",
              "### Who feels safe at the end", "",
              "| scenario | measure | women | men | youth | migrants |",
              "| --- | --- | --- | --- | --- | --- |", *_group_lines(result), "",
              "![comparison](comparison.png)", "",
              "## How sure are we", "",
              "- The intervals show the spread between replications of the same scenario "
              "(chance in who meets whom, who is victimized, who talks with whom). They do "
              "not include uncertainty about the model's parameters; see `barrios "
              "sensitivity` and the policy-robustness table of the calibration "
              "(results/calibration/README.md) for that.",
              "- A difference whose interval excludes 0 is larger than the noise of the "
              "simulation; it is still conditional on the model's assumptions.", "",
              "## Assumptions", "",
              f"- {CALIBRATED}",
              "- Costs use each scenario's unit costs (assumptions documented in the scenario "
              "files), booked daily from the start date.",
              "- The synthetic city is Quito-like, not Quito's real barrios.", ""]
    return "\n".join(lines)


def to_html(result: Comparison) -> str:
    """The same report as a standalone HTML page."""
    esc = html.escape
    first = result.table["scenario"].iloc[0]
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>Barrios comparison</title>",
             "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;font-size:0.9em}td,th{border:1px solid #ccc;"
             "padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
             "pre{background:#f6f6f6;padding:0.6em;font-size:0.85em;overflow-x:auto}</style>",
             "</head><body><h1>Barrios scenario comparison</h1><h2>What was compared</h2>"]
    n = result.replications
    parts += [f"<pre>{esc(scenario_summary(l, seed=result.seed, replications=n))}</pre>"
              for l in result.scenarios]
    parts += ["<h2>Results</h2><p>Means over replications with 95% intervals in brackets, on "
              "common random numbers; changes in percentage points (pp).</p>",
              wide_table(result, paired=False).to_html(),
              f"<h3>Difference against {esc(first)} (paired by replication)</h3>",
              wide_table(result, paired=True).iloc[1:].to_html(),
              "<h3>Who feels safe at the end</h3>",
              result.groups.pivot_table(index=["scenario", "measure"], columns="group",
                                        values="mean").map(lambda x: f"{100 * x:.1f}%").to_html(),
              "<p><img src='comparison.png' style='max-width:100%'></p>",
              "<h2>How sure are we</h2><p>Intervals show the spread between replications, not "
              "uncertainty about parameters. A difference whose interval excludes 0 is larger "
              "than simulation noise, under the model's assumptions.</p>",
              f"<h2>Assumptions</h2><ul><li>{esc(CALIBRATED)}</li><li>Unit costs: "
              "assumptions documented in the scenario files.</li><li>The city is synthetic and "
              "Quito-like.</li></ul></body></html>"]
    return "\n".join(parts)
