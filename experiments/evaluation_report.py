"""What ``barrios evaluate`` shows and writes: a terminal table, effects.csv/.parquet (over
replications), estimates.parquet (per replication), event_study.csv, balance.csv,
effects.png (a forest plot), event_study.png and report.md/report.html."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from experiments.effects import EFFECT_OUTCOMES
from experiments.evaluation import EvaluationResult
from experiments.plots import finish_grid
from experiments.reporting import fmt, interval, markdown_table, render
from experiments.scenario_files import scenario_summary
from simulation.interventions import INTERVENTIONS

MAIN = {"log_rate_ratio": "percent_change", "points": "points"}
UNIT = {"percent_change": "%", "points": "pp"}
COMPARISON_TEXT = {
    "direct": "treated against control barrios",
    "catchment": "catchment: untreated barrios next to treated ones against the controls' "
                 "neighbours (far controls in a catchment design)",
    "net": "net: treated barrios and their catchment against controls and theirs",
    "naive": "naive: treated against untreated barrio-months after the start (biased)",
}


def write_outputs(result: EvaluationResult, folder: Path | None = None) -> list[Path]:
    folder = Path(folder or result.folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"effects.csv": lambda p: result.effects.to_csv(p, index=False),
             "effects.parquet": lambda p: result.effects.to_parquet(p, index=False),
             "estimates.parquet": lambda p: result.estimates.to_parquet(p, index=False),
             "event_study.csv": lambda p: result.events.to_csv(p, index=False),
             "balance.csv": lambda p: result.balance.to_csv(p, index=False),
             "effects.png": lambda p: forest_figure(result, p),
             "event_study.png": lambda p: event_figure(result, p)}
    for name, write in files.items():
        write(folder / name)
    md, page = render("evaluation", **context(result))
    (folder / "report.md").write_text(md, encoding="utf-8")
    (folder / "report.html").write_text(page, encoding="utf-8")
    return [folder / n for n in (*files, "report.md", "report.html")]


# --- tables -------------------------------------------------------------------------------------


def main_rows(result: EvaluationResult, group: str = "everyone") -> pd.DataFrame:
    """The headline measure (% change for counts, points for shares) and Cohen's d, one
    row per dose, comparison and outcome."""
    e = result.effects
    e = e[(e["group"] == group) & e["measure"].isin(["percent_change", "points", "cohens_d"])]
    return e


def effect_text(row) -> str:
    unit = UNIT.get(row["measure"], "")
    return f"{fmt(row['mean'], 1, sign=True)}{unit} {interval(row['ci_low'], row['ci_high'])}".strip()


def effects_table(result: EvaluationResult) -> list[dict]:
    e = main_rows(result)
    rows = []
    keys = ["dose", "comparison", "outcome"]
    for key, df in e.groupby(keys, sort=False, dropna=False):
        dose, comparison, outcome = key
        main = df[df["measure"] != "cohens_d"].iloc[0]
        d = df[df["measure"] == "cohens_d"]
        d = d.iloc[0] if len(d) else None
        row = {"dose": fmt(dose, 3) if _has_doses(result) else None,
               "comparison": comparison, "outcome": EFFECT_OUTCOMES[outcome].label,
               "effect [95% CI]": effect_text(main),
               "single trials (95%)": f"{fmt(main['trial_low'], 1, True)} to "
                                      f"{fmt(main['trial_high'], 1, True)}",
               "Cohen's d [95% CI]": "—" if d is None else
               f"{fmt(d['mean'], 3, True)} {interval(d['ci_low'], d['ci_high'], 3)}",
               "trials significant": _share(main["significant_share"])}
        if row["dose"] is None:
            row.pop("dose")
        rows.append(row)
    return rows


def group_table(result: EvaluationResult) -> list[dict]:
    e = result.effects
    e = e[(e["comparison"] == "direct") & e["measure"].isin(["percent_change", "points"])]
    rows = []
    for (dose, outcome), df in e.groupby(["dose", "outcome"], sort=False, dropna=False):
        if not EFFECT_OUTCOMES[outcome].by_group:
            continue
        row = {"dose": fmt(dose, 3)} if _has_doses(result) else {}
        row["outcome"] = EFFECT_OUTCOMES[outcome].label
        for _, r in df.iterrows():
            row[r["group"]] = effect_text(r)
        rows.append(row)
    return rows


def catchment_table(result: EvaluationResult) -> list[dict]:
    e = result.effects
    pooled = e[e["measure"].str.startswith("pooled_")]
    if pooled.empty:
        return []
    per_rep = e[e["measure"] == "wdq"].set_index(["dose", "outcome"])
    change = e[(e["comparison"] == "catchment") & (e["measure"] == "percent_change")
               & (e["group"] == "everyone")].set_index(["dose", "outcome"])
    rows = []
    for (dose, outcome), df in pooled.groupby(["dose", "outcome"], sort=False, dropna=False):
        v = df.set_index("measure")["mean"]
        rep = per_rep.loc[(dose, outcome)] if (dose, outcome) in per_rep.index else None
        row = {"dose": fmt(dose, 3)} if _has_doses(result) else {}
        row.update({
            "outcome": EFFECT_OUTCOMES[outcome].label,
            "success measure": fmt(v["pooled_success_measure"], 3, True),
            "buffer measure": fmt(v["pooled_buffer_measure"], 3, True),
            "WDQ (pooled)": fmt(v["pooled_wdq"], 2, True),
            "WDQ per trial: mean [95% CI] (trials)": "—" if rep is None else
            f"{fmt(rep['mean'], 2, True)} {interval(rep['ci_low'], rep['ci_high'], 2)} "
            f"({int(rep['replications'])})",
            "reading": read_wdq(v["pooled_wdq"], v["pooled_success_measure"],
                                change.loc[(dose, outcome)] if (dose, outcome) in change.index
                                else None)})
        rows.append(row)
    return rows


def read_wdq(wdq: float, success: float, catchment=None) -> str:
    """Bowers & Johnson's reading of a WDQ, once the catchment's own change (its %
    change against the controls' catchment, ``catchment``) is told apart from noise."""
    if not math.isfinite(success) or success >= 0:
        return "no direct effect to displace (success measure ≥ 0)"
    if catchment is not None and catchment["ci_low"] <= 0 <= catchment["ci_high"]:
        return "neither displacement nor diffusion detected (the catchment's change is within noise)"
    if wdq > 1:
        return "diffusion of benefits larger than the direct effect"
    if wdq > 0:
        return "diffusion of benefits"
    if wdq > -1:
        return "displacement, smaller than the direct effect" if wdq < 0 else "no catchment change"
    return "displacement larger than the direct effect"


def balance_table(result: EvaluationResult) -> list[dict]:
    b = result.balance
    if b.empty:
        return []
    wide = b.pivot_table(index="covariate", columns="stage", values="smd", aggfunc="mean")
    return [{"covariate": c, **{stage: fmt(wide.loc[c, stage], 3, True) for stage in wide.columns}}
            for c in wide.index]


def _share(x: float) -> str:
    return "—" if not math.isfinite(x) else f"{100 * x:.0f}%"


def _has_doses(result: EvaluationResult) -> bool:
    return result.loaded.design.dose is not None


# --- the report ------------------------------------------------------------------------------


def design_text(result: EvaluationResult) -> list[str]:
    loaded, d = result.loaded, result.loaded.design
    entry = INTERVENTIONS[loaded.spec.programme]
    window = loaded.window.scenario.run
    lines = [f"Programme: **{entry.label_en}** (`{loaded.spec.programme}`); design "
             f"**{d.kind}**; {loaded.spec.replications} replications, seed "
             f"{loaded.spec.seed} (replication k: child k of `SeedSequence(seed)` for the model, "
             "and its child 0 for the assignment).",
             f"The run covers {window.start} to {window.end} ({d.pre_months} months before the "
             f"start on {loaded.start} and {d.post_months} after). Counts are summed over each "
             f"window; shares are averaged over each window's last {d.follow_up_months} "
             "months, as a survey at the end of each period would see them."]
    if d.kind == "matched":
        on_outcome = d.matching.on_outcome
        if on_outcome is None:
            on_outcome = loaded.indicator == "incidents"
        lines.append(f"The programme runs as the scenario deploys it. Each barrio it reaches "
                     f"after at least {d.pre_months} months without it is matched to "
                     f"{d.matching.neighbours} never-treated barrio(s) on `{loaded.indicator}` "
                     "(its targeting indicator) and population"
                     + (", and its incidents before adoption" if on_outcome else "")
                     + f" (caliper {d.matching.caliper:g} SD); windows run from its adoption month.")
    else:
        eligible = (f"the {d.count} barrios with the highest `{loaded.indicator}`" if d.count
                    else f"the top {d.eligible_share:.0%} of barrios by `{loaded.indicator}`"
                    if d.eligible_share < 1 else "every barrio")
        lines.append(f"Eligible: {eligible} on the start day, except those the programme "
                     f"already covered. Treated: {d.share:.0%} of them at random"
                     + (f", within {d.strata} blocks of consecutive rank" if d.strata else "")
                     + (f"; controls: untreated eligible barrios more than {d.far} steps from "
                        "any treated one" if d.kind == "catchment" else "")
                     + (f"; catchments: untreated barrios within {d.catchment} step(s)"
                        if d.catchment else "") + ".")
    if d.dose is not None:
        lines.append(f"Dose-response: `{d.dose.key}` = {', '.join(f'{v:g}' for v in d.dose.values)} "
                     "(the same assignments at every dose).")
    return lines


def context(result: EvaluationResult) -> dict:
    loaded = result.loaded
    arms = result.arms.drop(columns="dose").mean().to_dict() if len(result.arms) else {}
    return {"title": f"Virtual evaluation: {INTERVENTIONS[loaded.spec.programme].label_en} "
                     f"({loaded.design.kind})",
            "name": loaded.name, "description": loaded.spec.description,
            "scenario": scenario_summary(loaded.window, seed=loaded.spec.seed,
                                         replications=loaded.spec.replications),
            "design": design_text(result),
            "arms": ", ".join(f"{k}: {v:.0f}" for k, v in arms.items()),
            "comparisons": [COMPARISON_TEXT[c] for c in dict.fromkeys(result.effects["comparison"])],
            "effects": markdown_table(effects_table(result)),
            "groups": markdown_table(group_table(result)),
            "catchment": markdown_table(catchment_table(result)) if catchment_table(result) else "",
            "balance": markdown_table(balance_table(result)),
            "matched": loaded.design.kind == "matched"}


def terminal_text(result: EvaluationResult) -> str:
    loaded = result.loaded
    lines = [context(result)["title"], "", *design_text(result), "",
             pd.DataFrame(effects_table(result)).to_string(index=False)]
    catchment = catchment_table(result)
    if catchment:
        lines += ["", "Catchment (Bowers & Johnson 2003):", pd.DataFrame(catchment).to_string(index=False)]
    lines += ["", "Effects: mean over replications [95% interval]; single trials: the range "
              f"one trial of this size would see; {loaded.spec.replications} replications."]
    return "\n".join(lines)


# --- figures -------------------------------------------------------------------------------------


def forest_figure(result: EvaluationResult, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = result.effects
    e = e[e["measure"].isin(["percent_change", "points"]) & (e["comparison"] != "naive")]
    panels = [m for m in ("percent_change", "points") if (e["measure"] == m).any()]
    doses = e["dose"].drop_duplicates().tolist()
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 0.32 * len(e) / max(len(panels), 1) + 2.2),
                             dpi=100, squeeze=False)
    for ax, measure in zip(axes[0], panels):
        df = e[e["measure"] == measure]
        labels = list(dict.fromkeys(zip(df["comparison"], df["outcome"], df["group"])))
        for j, dose in enumerate(doses):
            sub = df[(df["dose"] == dose) | (pd.isna(dose) & df["dose"].isna())]
            index = {k: i for i, k in enumerate(labels)}
            y = [index[k] + 0.15 * (j - (len(doses) - 1) / 2)
                 for k in zip(sub["comparison"], sub["outcome"], sub["group"])]
            err = [[max(m - lo, 0) for m, lo in zip(sub["mean"], sub["ci_low"].fillna(sub["mean"]))],
                   [max(hi - m, 0) for m, hi in zip(sub["mean"], sub["ci_high"].fillna(sub["mean"]))]]
            ax.errorbar(sub["mean"], y, xerr=err, fmt="o", ms=4, capsize=2,
                        label=None if pd.isna(dose) else f"dose {dose:g}")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(labels)),
                      [f"{c}: {EFFECT_OUTCOMES[o].label}" + ("" if g == "everyone" else f" ({g})")
                       for c, o, g in labels], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("% change" if measure == "percent_change" else "percentage points")
        ax.grid(axis="x", alpha=0.3)
        if len(doses) > 1:
            ax.legend(fontsize=7)
    fig.suptitle(f"{INTERVENTIONS[result.loaded.spec.programme].label_en}: effects "
                 f"({result.loaded.design.kind}), mean and 95% interval over replications",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def event_figure(result: EvaluationResult, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ev = result.events
    outcomes = list(dict.fromkeys(ev["outcome"]))
    cols = min(3, len(outcomes))
    rows = math.ceil(len(outcomes) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), dpi=100, squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        for dose, df in ev[ev["outcome"] == outcome].groupby("dose", dropna=False):
            ax.plot(df["offset"], df["mean"], lw=1.2, label=None if pd.isna(dose) else f"{dose:g}")
            ax.fill_between(df["offset"], df["ci_low"], df["ci_high"], alpha=0.25)
        ax.axvline(-0.5, color="black", lw=0.8)
        ax.axhline(0, color="grey", lw=0.6)
        kind = EFFECT_OUTCOMES[outcome].kind
        ax.set_title(EFFECT_OUTCOMES[outcome].label, fontsize=9)
        ax.set_ylabel("log ratio, treated / control" if kind == "count" else "points", fontsize=7)
        ax.set_xlabel("months from the start", fontsize=7)
        ax.tick_params(labelsize=7)
    finish_grid(fig, axes, len(outcomes), "Event study: treated minus control, relative to the "
                "months before (flat before 0 when the arms are comparable)", path)
