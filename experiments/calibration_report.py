"""What ``barrios calibrate`` writes (to the calibration file's ``results`` folder): the
parameter table (``parameters.csv``, ``parameters.md``), ``summary.json`` (with the
posterior predictive check), the posterior marginal, pair and predictive figures, and,
with ``write_scenario``, the calibrated scenario with its provenance."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from experiments.calibration import (PREDICTED, SURVEY_TARGETS, CalibrationResult,
                                     LoadedCalibration, _rel, weighted_quantile)


def write_outputs(result: CalibrationResult) -> list[Path]:
    """Every output of a calibration; returns the files written."""
    loaded, results = result.loaded, result.results
    results.mkdir(parents=True, exist_ok=True)
    summary, table = dict(result.summary), result.table
    table.to_csv(results / "parameters.csv", index=False, float_format="%.6g")
    files = [results / "parameters.csv"]
    _plot_marginals(loaded, result.posterior, results / "posterior_marginals.png")
    _plot_pairs(loaded, result.posterior, results / "posterior_pairs.png")
    files += [results / "posterior_marginals.png", results / "posterior_pairs.png"]
    if result.predictive is not None:
        summary["predictive"] = predictive_summary(loaded, result.predictive)
        _plot_predictive(loaded, result.predictive, results / "posterior_predictive.png")
        files.append(results / "posterior_predictive.png")
    (results / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    (results / "parameters.md").write_text(_markdown(loaded, table, summary), encoding="utf-8")
    files += [results / "summary.json", results / "parameters.md"]
    if loaded.spec.write_scenario:
        path = (loaded.path.parent / loaded.spec.write_scenario).resolve()
        write_calibrated_scenario(loaded, table, summary, path, results)
        files.append(path)
    return files


def predictive_summary(loaded: LoadedCalibration, draws) -> dict:
    rows, _ = draws
    rng = np.random.default_rng(loaded.spec.seed + 2)
    out = {"draws": int(len(rows))}
    for name in PREDICTED:
        x = rows[name].to_numpy(float)
        out[name] = {"median": float(np.median(x)), "ci90": [float(np.quantile(x, 0.05)),
                                                              float(np.quantile(x, 0.95))]}
    n = loaded.n_observed
    for name in SURVEY_TARGETS:  # what a survey of the observed size would report
        share = rows[name].to_numpy(float)
        surveyed = rng.binomial(n, np.clip(share, 0, 1)) / n
        out[f"observed_survey_{name}"] = {"median": float(np.median(surveyed)),
                                          "ci90": [float(np.quantile(surveyed, 0.05)),
                                                   float(np.quantile(surveyed, 0.95))]}
    return out


def _plot_marginals(loaded, posterior, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(loaded.priors)
    cols = 3
    rows = math.ceil(len(names) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names):
        low, high, dist = loaded.priors[name]
        bins = (np.geomspace(low, high, 21) if dist == "loguniform" else np.linspace(low, high, 21))
        ax.hist(posterior[name], bins=bins, weights=posterior["weight"], density=True,
                color="tab:blue", alpha=0.7, label="posterior")
        prior_density = (1 / (high - low) if dist == "uniform" else None)
        if prior_density:
            ax.axhline(prior_density, color="grey", ls="--", lw=1, label="prior")
        if dist == "loguniform":
            ax.set_xscale("log")
        ax.axvline(weighted_quantile(posterior[name], posterior["weight"], 0.5), color="k", lw=1)
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"Posterior marginals ({loaded.name}); dashed: prior", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _plot_pairs(loaded, posterior, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(loaded.priors)
    k = len(names)
    fig, axes = plt.subplots(k, k, figsize=(1.5 * k + 1, 1.5 * k + 1), squeeze=False)
    w = posterior["weight"].to_numpy()
    size = 4 + 60 * w / w.max()
    for i, yi in enumerate(names):
        for j, xj in enumerate(names):
            ax = axes[i, j]
            ax.set_xticks([]), ax.set_yticks([])
            if i == j:
                ax.hist(posterior[xj], bins=15, weights=w, color="tab:blue", alpha=0.7)
            elif i > j:
                ax.scatter(posterior[xj], posterior[yi], s=size, alpha=0.4, color="tab:blue", lw=0)
            else:
                ax.axis("off")
                continue
            ax.set_xlim(*loaded.priors[xj][:2])
            if i != j:
                ax.set_ylim(*loaded.priors[yi][:2])
            if i == k - 1:
                ax.set_xlabel(xj, fontsize=6, rotation=30, ha="right")
            if j == 0:
                ax.set_ylabel(yi, fontsize=6, rotation=0, ha="right")
    fig.suptitle(f"Posterior pairs ({loaded.name}), axes span the prior ranges", fontsize=9)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


def _plot_predictive(loaded, draws, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, series = draws
    cfg = loaded.spec
    start = pd.Timestamp(loaded.scenario.run.start)
    end = series["date"].max()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    colours = {"safe_public": "tab:orange", "safe_neighbourhood": "tab:blue"}
    labels = {"safe_public": "public spaces", "safe_neighbourhood": "neighbourhoods"}
    n = loaded.n_observed
    for col, colour in colours.items():
        g = series.groupby("date")[col]
        q = g.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
        ax.fill_between(q.index, q[0.05] * 100, q[0.95] * 100, color=colour, alpha=0.18, lw=0)
        ax.fill_between(q.index, q[0.25] * 100, q[0.75] * 100, color=colour, alpha=0.35, lw=0)
        ax.plot(q.index, q[0.5] * 100, color=colour, lw=1.5, label=f"{labels[col]} (median, 50% and 90% bands)")
        for when, date in (("start", start), ("end", end)):
            key = f"{col}_{when}"
            target = cfg.targets.get(key)
            if target is None:
                obs = (loaded.base.scenario.observed.model_dump().get(key))
                if obs is not None:
                    ax.plot(date, obs * 100, marker="o", mfc="white", mec=colour, ms=8, ls="",
                            label=f"{labels[col]} {when}: observed, held out")
                continue
            p = target.observed
            se = math.sqrt(p * (1 - p) / n) * 100
            ax.errorbar(date, p * 100, yerr=1.96 * se, marker="o", color=colour, mec="k", ms=7,
                        capsize=3, ls="")
    ax.plot([], [], marker="o", color="grey", mec="k", ls="", label=f"observed (Tándem), 95% sampling interval at n = {n}")
    ax.set_ylabel("share feeling safe (%)")
    ax.set_title(f"Posterior predictive ({loaded.name}): {len(draws[0])} posterior draws, "
                 f"{loaded.scenario.city.width}x{loaded.scenario.city.height} barrios", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _markdown(loaded, table, summary) -> str:
    lines = [f"# Calibration `{summary['name']}`", "",
             f"ABC-SMC (pyabc), {summary['generations']} generations of {summary['population_size']} "
             f"particles, {summary['simulations']} simulations, final epsilon "
             f"{summary['final_epsilon']:.3g} (sum of squared z-scores over "
             f"{len(loaded.spec.targets)} targets), effective sample size of the last "
             f"generation {summary['effective_sample_size']:.1f}, "
             f"{summary['wall_time_s'] / 60:.1f} min; "
             f"file `{summary['calibration_file']}`, seed {summary['seed']}, {summary['date']}.",
             "" if summary["converged"] else
             f"\n**Not converged**: the final epsilon is above {len(loaded.spec.targets)}, what "
             "survey sampling noise alone gives; run the same command again to continue.", "",
             "| parameter | prior | prior range | default when written | posterior median | 90% credible interval | posterior/prior width | identified |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in table.itertuples():
        lines.append(f"| `{r.parameter}` | {r.prior} | {r.prior_low:.4g}–{r.prior_high:.4g} | "
                     f"{r.default:.4g} | {r.posterior_median:.4g} | "
                     f"{r.ci90_low:.4g}–{r.ci90_high:.4g} | {r.width_ratio:.2f} | {r.identified} |")
    pred = summary.get("predictive")
    if pred:
        lines += ["", f"Posterior predictive ({pred['draws']} draws; simulated survey of "
                  f"{loaded.n_simulated}; 90% intervals):", "",
                  "| outcome | observed | simulated median | 90% interval |", "| --- | --- | --- | --- |"]
        obs = loaded.base.scenario.observed.model_dump()
        for name in ("safe_public_start", "safe_public_end", "safe_neighbourhood_start",
                     "safe_neighbourhood_end"):
            s = pred[f"survey_{name}"]
            held = "" if name in loaded.spec.targets else " (held out)"
            o = obs.get(name)
            lines.append(f"| {name}{held} | {'' if o is None else f'{100 * o:.0f}%'} | "
                         f"{100 * s['median']:.1f}% | {100 * s['ci90'][0]:.1f}–{100 * s['ci90'][1]:.1f}% |")
        s = pred["severe_violence_per_100k_end"]
        lines.append(f"| severe violence per 100,000 | 8 | {s['median']:.1f} | "
                     f"{s['ci90'][0]:.1f}–{s['ci90'][1]:.1f} |")
    return "\n".join(lines) + "\n"


def write_calibrated_scenario(loaded, table, summary, path: Path, results: Path):
    """A scenario holding the posterior medians, with provenance, for others to extend."""
    lines = ["# Calibrated parameter values: the posterior median of an ABC-SMC calibration.",
             "# Written by `barrios calibrate`; do not edit by hand (run the calibration again).",
             f"# Calibration file: {summary['calibration_file']}",
             f"# Seed {summary['seed']}, population size {summary['population_size']}, "
             f"{summary['generations']} generations, {summary['simulations']} simulations,",
             f"# final epsilon {summary['final_epsilon']:.4g}, date {summary['date']}.",
             f"# Figures and the table with 90% credible intervals: {_rel(results)}/",
             f"# Effective sample size of the last generation: "
             f"{summary['effective_sample_size']:.1f} of {summary['population_size']}.",
             *([] if summary["converged"] else [
                 f"# NOT CONVERGED to the survey noise: final epsilon {summary['final_epsilon']:.4g} "
                 f"is above {len(loaded.spec.targets)} (what",
                 "# sampling noise alone gives), so the credible intervals are wider than the "
                 "data alone would give;",
                 "# run the same `barrios calibrate` command again to continue."]),
             "# simulation/parameters.py carries these values as defaults when they pass the",
             "# full-scale check (README, \"Calibration\"; tests/test_calibration_fit.py).", "",
             'name = "calibrated"',
             'description = "Posterior-median parameter values from the ABC-SMC calibration"',
             'title = "Calibrated parameter values (ABC)"',
             'title_es = "Valores calibrados de los parámetros (ABC)"',
             'kind = "parameters"   # not an intervention mix: the workshop does not offer it', "",
             "[parameters]"]
    for r in table.itertuples():
        lines.append(f"{r.parameter} = {float(f'{r.posterior_median:.4g}')!r}"
                     f"  # 90% CI {r.ci90_low:.4g}-{r.ci90_high:.4g}; prior {r.prior_low:g}-{r.prior_high:g}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
