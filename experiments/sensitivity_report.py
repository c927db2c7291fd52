"""Tables, figures and the short report of ``barrios sensitivity``.

Writes to the report folder: ``morris_indices.csv`` (and ``.parquet``),
``morris_convergence.csv``, ``morris_by_year.csv``, ``noise.csv``, ``morris_mu_sigma.png``,
``morris_by_year.png``; with a Sobol stage ``sobol_indices.csv`` (and ``.parquet``),
``sobol_convergence.csv``, ``sobol_by_year.csv``, ``sobol_indices.png``; and
``report.md`` / ``report.html`` saying in words which parameters matter and which the
survey data cannot pin down.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.sensitivity_study import OUTCOME_TEXT, relative_importance  # noqa: E402

CHANGE = ["public_change_pp", "neighbourhood_change_pp"]
FIT = "fit_rmse_pp"


def write_outputs(loaded, morris, sobol, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []

    def csv(df: pd.DataFrame, name: str, parquet: bool = False):
        if df is None or df.empty:
            return
        df.to_csv(folder / name, index=False, float_format="%.6g")
        files.append(folder / name)
        if parquet:
            df.to_parquet(folder / name.replace(".csv", ".parquet"), index=False)
            files.append(folder / name.replace(".csv", ".parquet"))

    csv(morris.indices, "morris_indices.csv", parquet=True)
    csv(morris.convergence, "morris_convergence.csv")
    csv(morris.by_year, "morris_by_year.csv")
    noise = morris.noise.assign(stage="morris")
    if sobol is not None:
        noise = pd.concat([noise, sobol.noise.assign(stage="sobol")], ignore_index=True)
    csv(noise, "noise.csv")
    files.append(mu_sigma_figure(morris, folder / "morris_mu_sigma.png"))
    if not morris.by_year.empty:
        files.append(by_year_figure(morris.by_year, "mu_star", morris, folder / "morris_by_year.png"))
    if sobol is not None:
        csv(sobol.indices, "sobol_indices.csv", parquet=True)
        csv(sobol.convergence, "sobol_convergence.csv")
        csv(sobol.by_year, "sobol_by_year.csv")
        files.append(sobol_figure(sobol, folder / "sobol_indices.png"))
        if not sobol.by_year.empty:
            files.append(by_year_figure(sobol.by_year, "ST", sobol, folder / "sobol_by_year.png"))
    text = markdown(loaded, morris, sobol)
    (folder / "report.md").write_text(text)
    (folder / "report.html").write_text(to_html(text, loaded.name))
    files += [folder / "report.md", folder / "report.html"]
    return files


# --- figures ---------------------------------------------------------------------------------

def mu_sigma_figure(stage, path: Path, label: int = 6) -> Path:
    outcomes = list(dict.fromkeys(stage.indices["outcome"]))
    cols = 2 if len(outcomes) > 1 else 1
    rows = -(-len(outcomes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.3 * rows), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        g = stage.indices[stage.indices["outcome"] == outcome]
        yerr = [(g["sigma"] - g["sigma_low"]).clip(lower=0), (g["sigma_high"] - g["sigma"]).clip(lower=0)]
        ax.errorbar(g["mu_star"], g["sigma"], xerr=g["mu_star_conf"], yerr=yerr, fmt="o", ms=3.5,
                    lw=0.6, alpha=0.75, color="#1f5f8b", ecolor="#9bb7cc")
        if "noise_floor" in g and g["noise_floor"].notna().any():
            ax.axvline(g["noise_floor"].iloc[0], color="#c0392b", lw=0.8, ls="--",
                       label="replication-noise floor")
            ax.legend(loc="lower right", fontsize=7, frameon=False)
        lim = max(float(g["mu_star"].max()), float(g["sigma"].max()), 1e-9) * 1.1
        ax.plot([0, lim], [0, lim], color="grey", lw=0.5, ls=":")
        for r in g.nlargest(label, "mu_star").itertuples():
            ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=6.5, xytext=(3, 2),
                        textcoords="offset points")
        ax.set_title(OUTCOME_TEXT.get(outcome, outcome), fontsize=8.5)
        ax.set_xlabel("μ* (mean |elementary effect|)", fontsize=8)
        ax.set_ylabel("σ (interaction / non-linearity)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.axis("off")
    fig.suptitle(f"Morris screening: {len(stage.names)} parameters, {stage.size} trajectories, "
                 f"{stage.replications} replication(s) per point (bars: 95% intervals)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sobol_figure(stage, path: Path) -> Path:
    outcomes = list(dict.fromkeys(stage.indices["outcome"]))
    cols = 2 if len(outcomes) > 1 else 1
    rows = -(-len(outcomes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 3.6 * rows), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        g = stage.indices[stage.indices["outcome"] == outcome]
        x = range(len(g))
        ax.bar([i - 0.2 for i in x], g["S1"], 0.4, yerr=g["S1_conf"], label="first order S1",
               color="#1f5f8b", capsize=2)
        ax.bar([i + 0.2 for i in x], g["ST"], 0.4, yerr=g["ST_conf"], label="total ST",
               color="#e08e2b", capsize=2)
        ax.set_xticks(list(x), g["parameter"], rotation=35, ha="right", fontsize=6.5)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(OUTCOME_TEXT.get(outcome, outcome), fontsize=8.5)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=7, frameon=False)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.axis("off")
    fig.suptitle(f"Sobol indices: N = {stage.size} base samples, {stage.replications} "
                 "replication(s) per point (bars: 95% bootstrap intervals)", fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def by_year_figure(by_year: pd.DataFrame, index: str, stage, path: Path, top: int = 8) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), squeeze=False)
    for ax, measure in zip(axes.flat, ("public", "neighbourhood")):
        g = by_year[by_year["outcome"].str.startswith(f"{measure}_change_pp@")].copy()
        if g.empty:
            ax.axis("off")
            continue
        g["year"] = g["outcome"].str.split("@").str[1].astype(int)
        last = g[g["year"] == g["year"].max()]
        keep = list(last.nlargest(top, index)["parameter"])
        for name in keep:
            s = g[g["parameter"] == name].sort_values("year")
            ax.plot(s["year"], s[index], marker="o", label=name)
        ax.set_xticks(sorted(g["year"].unique()))
        ax.set_title(f"change in perceived safety ({measure}) since the start, by year end", fontsize=9)
        ax.set_ylabel(index, fontsize=8)
        ax.legend(fontsize=6.5, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- the report ------------------------------------------------------------------------------

def _fmt(x, d=2):
    return "–" if pd.isna(x) else f"{x:.{d}f}"


def _scale_text(scenario) -> str:
    c = scenario.city
    return (f"{c.width} × {c.height} barrios, {c.population:,} inhabitants, "
            f"{c.inhabitants_per_agent:g} per agent, {scenario.run.years:g} years "
            f"(+{scenario.run.burn_in_days} burn-in days)")


def markdown(loaded, morris, sobol) -> str:
    spec = loaded.spec
    idx = morris.indices
    n_runs = int(morris.runs.runs["point"].nunique()) * morris.replications
    lines = [f"# Sensitivity analysis: {loaded.name}", "",
             spec.description or "", "",
             f"Scenario `{loaded.base.scenario.name}` at reduced scale: {_scale_text(morris.scenario)}. "
             f"Common random numbers: replication *k* of every design point uses the same seed "
             f"stream (seed {spec.seed}); outcomes are averaged over replications before the "
             f"indices are computed. Intervals are {spec.conf_level:.0%} bootstrap intervals.", "",
             "## Morris screening", "",
             f"{len(morris.names)} parameters over their plausible ranges (`barrios params`), "
             f"{morris.size} trajectories on a {spec.morris.levels}-level grid, "
             f"{morris.replications} replication(s) per point: {n_runs} runs. μ* is the mean "
             "absolute elementary effect (percentage points of the outcome per step of Δ = "
             f"{spec.morris.levels / (2 * (spec.morris.levels - 1)):.2f} of a parameter's range, "
             "per unit step); σ its spread (interactions, non-linearity). A parameter is "
             "*influential* when μ* minus its interval half-width exceeds the replication-noise "
             "floor.", ""]
    for outcome in spec.outcomes:
        g = idx[idx["outcome"] == outcome].sort_values("mu_star", ascending=False)
        infl = g[g["influential"]]
        top = infl.head(6) if len(infl) else g.head(3)
        floor = g["noise_floor"].iloc[0] if "noise_floor" in g else float("nan")
        items = ", ".join(f"`{r.parameter}` ({_fmt(r.mu_star)} ± {_fmt(r.mu_star_conf)})"
                          for r in top.itertuples())
        lines.append(f"- **{OUTCOME_TEXT.get(outcome, outcome)}**: {len(infl)} influential "
                     f"parameter(s) (noise floor {_fmt(floor)}); "
                     + (f"largest μ*: {items}." if len(infl) else f"none above the noise; largest: {items}."))
    lines += ["", "![Morris μ*–σ](morris_mu_sigma.png)", ""]

    # what the data can and cannot pin down
    inf = idx[idx["influential"]]
    drives = set(inf[inf["outcome"].isin(CHANGE)]["parameter"])
    fit = set(inf[inf["outcome"].isin([o for o in spec.outcomes if o.startswith("gap_") or o == FIT])]["parameter"])
    unpinned = sorted(drives - fit, key=lambda n: -idx[(idx["parameter"] == n) & idx["outcome"].isin(CHANGE)]["mu_star"].max())
    pinned = sorted(drives & fit)
    inert = sorted(set(morris.names) - set(inf["parameter"]))
    lines += ["## What the survey figures can and cannot pin down", "",
              f"- **Drive the simulated rise and move the fit to the four survey figures** (the "
              f"survey can constrain them): {_names(pinned)}.",
              f"- **Drive the simulated rise but leave the fit unchanged** (the four survey "
              f"figures cannot pin them down; results depend on assumptions about them): "
              f"{_names(unpinned)}.",
              f"- **Move the fit but not the rise**: {_names(sorted(fit - drives))}.",
              f"- **No detectable effect on any analysed outcome** at this design size "
              f"({len(inert)} of {len(morris.names)}; candidates to fix at their defaults): "
              f"{_names(inert, 25)}.", ""]

    # noise
    lines += ["## Replication noise", ""]
    if morris.noise.empty:
        lines.append("One replication per point: the noise share cannot be estimated.")
    else:
        lines.append("Share of the variance that is replication noise (within-point variance over "
                     "total): for a single run, and for the point means the indices use.")
        lines.append("")
        t = morris.noise[morris.noise["outcome"].isin(spec.outcomes)].copy()
        lines.append(t.rename(columns={"noise_sd": "noise sd", "total_sd": "total sd",
                                       "noise_share_single_run": "noise share (single run)",
                                       "noise_share_point_means": "noise share (point means)"})
                     .to_markdown(index=False, floatfmt=".3f"))
    lines += ["", "## Convergence (r/2 against r trajectories)", ""]
    lines += [f"- {w}" for w in morris.warnings] or ["- The top five by μ* agree and intervals are narrow."]
    lines += ["", "Side by side in `morris_convergence.csv`.", ""]

    if not morris.by_year.empty:
        lines += ["## Over time", "",
                  "μ* of the change in perceived safety since the start, at the end of each "
                  "simulated year (`morris_by_year.csv`):", ""]
        lines += _by_year_table(morris.by_year, "mu_star")
        lines += ["", "![by year](morris_by_year.png)", ""]

    if sobol is not None:
        s = sobol.indices
        lines += ["## Sobol indices", "",
                  f"The {len(sobol.names)} most influential parameters ({_names(sobol.names)}), "
                  f"the others at their defaults, at {_scale_text(sobol.scenario)}; N = "
                  f"{sobol.size} base samples, {len(sobol.runs.means)} points, "
                  f"{sobol.replications} replication(s) each. S1: share of the variance "
                  "explained by a parameter alone; ST: including its interactions.", ""]
        for outcome in spec.outcomes:
            g = s[s["outcome"] == outcome].sort_values("ST", ascending=False)
            items = ", ".join(f"`{r.parameter}` ST {_fmt(r.ST)} ± {_fmt(r.ST_conf)}, S1 {_fmt(r.S1)} ± "
                              f"{_fmt(r.S1_conf)}" for r in g.head(3).itertuples())
            lines.append(f"- **{OUTCOME_TEXT.get(outcome, outcome)}**: sum of S1 "
                         f"{_fmt(g['S1'].sum())}{_unexplained(g, outcome, morris, sobol)}; {items}.")
        lines += ["", "![Sobol](sobol_indices.png)", "", "### Convergence (N/2 against N)", ""]
        lines += [f"- {w}" for w in sobol.warnings] or ["- Indices at N/2 and N agree within their intervals."]
        lines.append("")
    lines += ["## Files", "",
              "`morris_indices.csv` (outcome, parameter, μ, μ*, its interval, σ and its interval, "
              "rank, noise floor, influential), `morris_convergence.csv`, `morris_by_year.csv`, "
              "`noise.csv`" + (", `sobol_indices.csv`, `sobol_convergence.csv`, `sobol_by_year.csv`"
                               if sobol is not None else "") + ".", ""]
    return "\n".join(lines)


def _names(names, limit: int = 40) -> str:
    if not names:
        return "none"
    shown = ", ".join(f"`{n}`" for n in list(names)[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _by_year_table(by_year: pd.DataFrame, index: str, top: int = 8) -> list[str]:
    g = by_year.copy()
    g["measure"] = g["outcome"].str.split("_change").str[0]
    g["year"] = g["outcome"].str.split("@").str[1]
    wide = g.pivot_table(index="parameter", columns=["measure", "year"], values=index)
    order = relative_importance(by_year[by_year["outcome"].str.contains("@")]).index[:top]
    wide = wide.loc[[p for p in order if p in wide.index]]
    wide.columns = [f"{m} {y}" for m, y in wide.columns]
    return [wide.reset_index().to_markdown(index=False, floatfmt=".2f")]


def to_html(text: str, title: str) -> str:
    """A small Markdown-to-HTML conversion of the report (headings, lists, tables, images)."""
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45}"
           "table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ccc;padding:2px 6px}"
           "img{max-width:100%}</style></head><body>"]
    in_list = False
    table: list[str] = []

    def inline(s: str) -> str:
        s = html.escape(s)
        s = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", s)
        s = re.sub(r"\*(.+?)\*", r"<i>\1</i>", s)
        return re.sub(r"`(.+?)`", r"<code>\1</code>", s)

    def flush_table():
        if not table:
            return
        rows = [r.strip().strip("|").split("|") for r in table if not re.match(r"^\|[\s:|-]+\|$", r.strip())]
        out.append("<table>" + "".join(
            "<tr>" + "".join(f"<{'th' if i == 0 else 'td'}>{inline(c.strip())}</{'th' if i == 0 else 'td'}>"
                             for c in row) + "</tr>" for i, row in enumerate(rows)) + "</table>")
        table.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush_table()
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if m := re.match(r"^(#+) (.*)", line):
            n = len(m[1])
            out.append(f"<h{n}>{inline(m[2])}</h{n}>")
        elif m := re.match(r"^!\[(.*)\]\((.*)\)$", line):
            out.append(f"<p><img src='{html.escape(m[2])}' alt='{html.escape(m[1])}'></p>")
        elif line.strip():
            out.append(f"<p>{inline(line)}</p>")
    flush_table()
    if in_list:
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)


def _unexplained(g: pd.DataFrame, outcome: str, morris, sobol) -> str:
    """What the first-order indices leave: interactions and, in a stochastic model,
    replication noise (from the Sobol stage's replications, or else Morris's estimate of a
    single run's noise share, which is what one replication per point carries)."""
    rest = 1 - g["S1"].sum()
    return f" (unexplained {_fmt(rest)}: interactions and noise{_noise_share(outcome, morris, sobol)})"


def _noise_share(outcome: str, morris, sobol) -> str:
    for noise, column, where in ((sobol.noise, "noise_share_point_means", "in the point means"),
                                 (morris.noise, "noise_share_single_run", "of a single run, by Morris")):
        if not noise.empty and outcome in set(noise["outcome"]):
            share = noise.loc[noise["outcome"] == outcome, column].iloc[0]
            return f"; replication noise {_fmt(share)} {where}"
    return ""


def terminal_text(loaded, morris, sobol) -> str:
    idx = morris.indices
    lines = [f"Morris: {len(morris.names)} parameters, {morris.size} trajectories, "
             f"{morris.replications} replication(s)"]
    for outcome in loaded.spec.outcomes:
        g = idx[idx["outcome"] == outcome].nlargest(3, "mu_star")
        lines.append(f"  {outcome}: " + ", ".join(f"{r.parameter} {r.mu_star:.2f}±{r.mu_star_conf:.2f}"
                                                  for r in g.itertuples()))
    for w in morris.warnings:
        lines.append(f"  warning: {w}")
    if sobol is not None:
        lines.append(f"Sobol: {', '.join(sobol.names)}; N = {sobol.size}")
        for outcome in loaded.spec.outcomes:
            g = sobol.indices[sobol.indices["outcome"] == outcome].nlargest(3, "ST")
            lines.append(f"  {outcome}: " + ", ".join(f"{r.parameter} ST {r.ST:.2f}±{r.ST_conf:.2f}"
                                                      for r in g.itertuples()))
        for w in sobol.warnings:
            lines.append(f"  warning: {w}")
    return "\n".join(lines)

