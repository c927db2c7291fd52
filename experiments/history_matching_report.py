"""What a history-matching calibration writes (to its ``results`` folder, else the run
folder): parameters.csv, observations.csv, validation.csv, waves.csv, design.parquet,
predictions.png, nroy.png, README.md/report.html, and (with ``write_scenario``) the
calibrated scenario."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.history_matching import MatchResult, write_scenario
from experiments.plots import finish_grid
from experiments.reporting import fmt, markdown_table, render
from simulation.outcomes import OUTCOMES
from simulation.parameters import PARAMETERS


def results_folder(result: MatchResult) -> Path:
    spec = result.loaded.spec
    return (result.loaded.path.parent / spec.results).resolve() if spec.results else result.folder


def parameter_table(result: MatchResult) -> pd.DataFrame:
    space, nroy = result.loaded.space, result.nroy
    rows = []
    for i, name in enumerate(space.names):
        values = nroy[name] if len(nroy) else pd.Series(dtype=float)
        rows.append({"parameter": name, "prior_low": space.low[i], "prior_high": space.high[i],
                     "prior_from": "evaluation studies" if PARAMETERS[name].evidence else "plausible range",
                     "calibrated": result.best[name], "default_before": PARAMETERS[name].default,
                     "nroy_5": float(values.quantile(0.05)) if len(values) else math.nan,
                     "nroy_95": float(values.quantile(0.95)) if len(values) else math.nan})
    return pd.DataFrame(rows)


def observation_rows(result: MatchResult) -> list[dict]:
    """Each observation: observed, at the calibrated point, over the not-ruled-out set
    of the whole fit, and, for a held-out one, over the set its own fit left (the test).
    A published effect agrees when the model's interval meets the published one (a
    study's interval or null band, not its centre, is what it established)."""
    rows = []
    for _, r in result.predictions.iterrows():
        scale = 100 if _is_share(r["observation"]) else 1
        held = bool(r["held_out"])
        low, high = ((r["holdout_low_90"], r["holdout_high_90"]) if held
                     else (r["predicted_low_90"], r["predicted_high_90"]))
        entry = result.loaded.entries.get(r["observation"])
        if entry is not None:
            published = (entry.low, entry.high) if entry.low is not None else (entry.effect,) * 2
            observed = f"{fmt(published[0], 1)} to {fmt(published[1], 1)}"
            agrees = low <= published[1] and published[0] <= high
        else:
            observed = fmt(scale * r["observed"], 2)
            agrees = low <= r["observed"] <= high
        rows.append({"observation": r["observation"] + (" (held out)" if held else ""),
                     "observed": observed,
                     "at the calibrated point": fmt(scale * r["predicted_at_best"], 2),
                     "not ruled out, 90%": f"{fmt(scale * r['predicted_low_90'], 2)} to "
                                           f"{fmt(scale * r['predicted_high_90'], 2)}",
                     "held out: predicted without it, 90%":
                         f"{fmt(scale * low, 2)} to {fmt(scale * high, 2)} "
                         f"(±{fmt(scale * (high - low) / 2, 2)})" if held else "",
                     "agrees": "yes" if agrees else "no"})
    return rows


def _is_share(name: str) -> bool:
    """A share 0-1 of the outcome registry (shown in percent); evidence is in its own unit."""
    return name in OUTCOMES and OUTCOMES[name].unit.startswith("share")


def write_outputs(result: MatchResult) -> list[Path]:
    folder = results_folder(result)
    folder.mkdir(parents=True, exist_ok=True)
    params = parameter_table(result)
    files = {"parameters.csv": lambda p: params.to_csv(p, index=False),
             "observations.csv": lambda p: result.predictions.to_csv(p, index=False),
             "validation.csv": lambda p: result.validation.to_csv(p, index=False),
             "waves.csv": lambda p: waves_table(result).to_csv(p, index=False),
             "design.parquet": lambda p: result.data.to_parquet(p, index=False),
             "predictions.png": lambda p: prediction_figure(result, p),
             "nroy.png": lambda p: nroy_figure(result, params, p)}
    if result.sensitivity is not None:
        files["sensitivity.csv"] = lambda p: result.sensitivity.to_csv(p, index=False)
        files["sensitivity.png"] = lambda p: sensitivity_figure(result.sensitivity, p)
    if result.robustness is not None:
        files["robustness.csv"] = lambda p: result.robustness["ranking"].to_csv(p, index=False)
        files["robustness_flips.csv"] = lambda p: result.robustness["flips"].to_csv(p, index=False)
        files["robustness_draws.csv"] = lambda p: result.robustness["scores"].to_csv(p, index=False)
    for name, write in files.items():
        write(folder / name)
    md, page = render("history_matching", **context(result, params))
    (folder / "README.md").write_text(md, encoding="utf-8")
    (folder / "report.html").write_text(page, encoding="utf-8")
    written = [folder / n for n in (*files, "README.md", "report.html")]
    if result.loaded.spec.write_scenario:
        path = (result.loaded.path.parent / result.loaded.spec.write_scenario).resolve()
        write_scenario(result, path)
        written.append(path)
    return written


def waves_table(result: MatchResult) -> pd.DataFrame:
    return pd.DataFrame([{"wave": w.number, "points": len(w.points), "runs": w.report.done
                          + w.report.skipped, "failed": w.report.failed,
                          "emulators_fitted_to": w.region_runs,
                          "non_implausible_share": w.non_implausible_share}
                         for w in result.waves])


def context(result: MatchResult, params: pd.DataFrame) -> dict:
    loaded = result.loaded
    shown = params.assign(**{c: params[c].map(lambda v: f"{v:.4g}") for c in
                             ("prior_low", "prior_high", "calibrated", "default_before",
                              "nroy_5", "nroy_95")})
    validation = result.validation.assign(inside_95=result.validation["inside_95"].map(
        lambda v: f"{100 * v:.0f}%"), rmse=result.validation["rmse"].map(lambda v: f"{v:.3g}"),
        run_noise_sd=result.validation["run_noise_sd"].map(lambda v: f"{v:.3g}"))
    passed = (result.validation["inside_95"] >= 0.95).mean()
    extra = {"sensitivity": None, "robustness": None}
    if result.sensitivity is not None:
        extra["sensitivity"] = sensitivity_context(result.sensitivity)
    if result.robustness is not None:
        extra["robustness"] = robustness_context(result.robustness)
    return {"title": f"Joint calibration: {loaded.name}", "file": loaded.path.name,
            "waves": markdown_table(waves_table(result).to_dict("records")),
            "parameters": markdown_table(shown.to_dict("records")),
            "observations": markdown_table(observation_rows(result)),
            "validation": markdown_table(validation.to_dict("records")),
            "validation_pass": f"{100 * passed:.0f}%",
            "nroy_size": len(result.nroy), "cutoff": loaded.spec.matching.cutoff,
            "points": int(sum(len(w.points) for w in result.waves)), **extra}


def prediction_figure(result: MatchResult, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p = result.predictions
    fig, axes = plt.subplots(1, len(p), figsize=(1.9 * len(p), 3.2), dpi=100, squeeze=False)
    for ax, (_, r) in zip(axes[0], p.iterrows()):
        ax.errorbar([0], [r["predicted_mean"]], yerr=[[r["predicted_mean"] - r["predicted_low_90"]],
                    [r["predicted_high_90"] - r["predicted_mean"]]], fmt="o", color="tab:blue",
                    capsize=3, label="not ruled out (90%)")
        ax.plot([0.25], [r["predicted_at_best"]], "s", color="tab:green", label="calibrated")
        if r["held_out"]:
            ax.errorbar([0.5], [r["holdout_mean"]], yerr=[[r["holdout_mean"] - r["holdout_low_90"]],
                        [r["holdout_high_90"] - r["holdout_mean"]]], fmt="^", color="tab:red",
                        capsize=3, label="predicted without it (90%)")
        ax.errorbar([-0.25], [r["observed"]], yerr=[[1.96 * r["observed_sd"]], [1.96 * r["observed_sd"]]],
                    fmt="D", color="black", capsize=3, label="observed (95%)")
        ax.set_xticks([])
        ax.set_title(r["observation"] + ("\n(held out)" if r["held_out"] else ""), fontsize=7)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=6, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def nroy_figure(result: MatchResult, params: pd.DataFrame, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(params["parameter"])
    cols = 4
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.3 * rows), dpi=100, squeeze=False)
    for ax, (_, r) in zip(axes.flat, params.iterrows()):
        name = r["parameter"]
        if len(result.nroy):
            ax.hist(result.nroy[name], bins=25, range=(r["prior_low"], r["prior_high"]),
                    color="tab:blue", alpha=0.7)
        ax.axvline(r["calibrated"], color="tab:green", lw=1.5)
        ax.axvline(r["default_before"], color="grey", lw=1, ls="--")
        ax.set_title(name, fontsize=7)
        ax.tick_params(labelsize=6)
    finish_grid(fig, axes, len(names), "Not ruled out by any observation (histogram over the "
                "prior range); green: calibrated; dashed: the value before", path, fontsize=8)


def terminal_text(result: MatchResult) -> str:
    params = parameter_table(result)
    return "\n".join([
        f"History matching: {len(result.waves)} wave(s), "
        f"{sum(len(w.points) for w in result.waves)} design points; "
        f"{len(result.nroy)} candidates not ruled out in the last wave.",
        "", params[["parameter", "prior_low", "prior_high", "calibrated", "nroy_5", "nroy_95"]]
        .to_string(index=False), "",
        pd.DataFrame(observation_rows(result)).to_string(index=False), "",
        "Emulator validation (held-back runs inside 95% intervals): "
        + ", ".join(f"{r['output']} {100 * r['inside_95']:.0f}%"
                    for _, r in result.validation.iterrows())])


def sensitivity_context(table: pd.DataFrame) -> dict:
    shown = table.assign(**{
        "ST [95%]": [f"{r.ST:.3f} [{r.ST_low:.3f}, {r.ST_high:.3f}]" for r in table.itertuples()],
        "S1 [95%]": [f"{r.S1:.3f} [{r.S1_low:.3f}, {r.S1_high:.3f}]" for r in table.itertuples()],
        "ST, half the samples": table["ST_half"].map(lambda v: f"{v:.3f}"),
        "resolved (±0.05)": table["resolved"].map({True: "yes", False: "no"})})
    cols = ["parameter", "ST [95%]", "S1 [95%]", "ST, half the samples", "resolved (±0.05)"]
    per_output = {o: markdown_table(part[cols].to_dict("records"))
                  for o, part in shown.groupby("output", sort=False)}
    return {"tables": per_output, "resolved": int(table["resolved"].sum()),
            "count": len(table), "widest": float(table["ST_half_width"].max()),
            "samples": int(table["base_samples"].iloc[0])}


def robustness_context(robust: dict) -> dict:
    ranking = robust["ranking"]
    shown = ranking.assign(**{
        "P(best per US$)": ranking["p_best_per_usd"].map(lambda v: f"{100 * v:.0f}%"),
        "P(largest gain)": ranking["p_largest_gain"].map(lambda v: f"{100 * v:.0f}%"),
        "gain (pp, median)": ranking["gain_pp_median"].map(lambda v: f"{v:.2f}"),
        "pp per US$ M, median [5%, 95%]": [
            f"{r.pp_per_musd_median:.3g} [{r.pp_per_musd_5:.3g}, {r.pp_per_musd_95:.3g}]"
            for r in ranking.itertuples()]})
    flips = robust["flips"].head(6)
    shown_flips = flips.assign(**{
        "ρ with the value margin": [f"{r.rho_value_margin:+.2f} (p {r.p_value_margin:.2g})"
                                    for r in flips.itertuples()],
        "ρ with the gain margin": [f"{r.rho_gain_margin:+.2f} (p {r.p_gain_margin:.2g})"
                                   for r in flips.itertuples()]})
    return {"table": markdown_table(shown[["scenario", "P(best per US$)", "P(largest gain)",
                                           "gain (pp, median)",
                                           "pp per US$ M, median [5%, 95%]"]].to_dict("records")),
            "flips": markdown_table(shown_flips[["parameter", "ρ with the value margin",
                                                 "ρ with the gain margin"]].to_dict("records")),
            "value_pair": flips["value_pair"].iloc[0], "gain_pair": flips["gain_pair"].iloc[0],
            "draws": int(robust["draws"].shape[0])}


def sensitivity_figure(table: pd.DataFrame, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4 * len(outputs), 4.5), dpi=100,
                             squeeze=False, sharey=False)
    for ax, output in zip(axes[0], outputs):
        part = table[table["output"] == output].sort_values("ST")
        y = np.arange(len(part))
        ax.errorbar(part["ST"], y, xerr=[part["ST"] - part["ST_low"], part["ST_high"] - part["ST"]],
                    fmt="o", color="tab:blue", capsize=2, label="total (ST)")
        ax.plot(part["S1"], y, "x", color="tab:orange", label="first order (S1)")
        ax.set_yticks(y, part["parameter"], fontsize=7)
        ax.set_xlim(-0.05, 1.05)
        ax.set_title(output.replace("_", " "), fontsize=8)
        ax.tick_params(labelsize=7)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
