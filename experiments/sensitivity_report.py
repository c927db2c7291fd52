"""Tables, figures and the report of ``barrios sensitivity``.

Writes to the report folder: ``morris_indices.csv`` (and ``.parquet``),
``morris_convergence.csv``, ``morris_by_year.csv``, ``noise.csv``, ``morris_mu_sigma.png``,
``morris_by_year.png``; with a Sobol stage ``sobol_indices.csv`` (and ``.parquet``),
``sobol_convergence.csv``, ``sobol_by_year.csv``, ``sobol_indices.png``; and
``report.md`` / ``report.html`` (one template, ``templates/sensitivity.md.j2``, in English
or Spanish) saying in words which parameters matter and which the survey data cannot pin
down. ``read_stored`` reads those tables back, so the report can be written again
without running anything (``barrios sensitivity --report-only``).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.evaluation_report import STORED_NOTE  # noqa: E402
from experiments.parameter_names import parameter_name, parameter_unit  # noqa: E402
from experiments.reporting import (decimal_axes, interval, markdown_table, number, pct,  # noqa: E402
                                   provenance, scale_text, settings_toml, translator,
                                   write_report)
from experiments.scenario_files import scenario_title  # noqa: E402
from experiments.sensitivity import convergence_checks  # noqa: E402
from experiments.sensitivity_study import (OUTCOME_TEXT, OUTCOME_TEXT_ES, StageResult,  # noqa: E402
                                           relative_importance)

CHANGE = ["public_change_pp", "neighbourhood_change_pp"]
FIT = "fit_rmse_pp"

STRINGS = {
    "stored_note": STORED_NOTE,
    "title": {"en": "Sensitivity analysis: {title}", "es": "Análisis de sensibilidad: {title}"},
    "and": {"en": "and", "es": "y"},
    "none": {"en": "none", "es": "ninguno"},
    "more": {"en": "{shown} and {n} more", "es": "{shown} y {n} más"},
    # the summary
    "sum_design": {"en": "We varied {d} parameters of the model over their plausible ranges "
                         "and ran {runs} simulations of “{title}” on {scale}.",
                   "es": "Variamos {d} parámetros del modelo dentro de sus rangos plausibles y "
                         "corrimos {runs} simulaciones del escenario “{title}” en {scale}."},
    "sum_resolved": {"en": "{outcome} responds clearly, beyond the differences between "
                           "repeated simulations, to: {names}.",
                     "es": "{outcome} responde con claridad, más allá de las diferencias "
                           "entre simulaciones repetidas, a: {names}."},
    "sum_unresolved": {"en": "No parameter's effect on {outcome} stands out from the "
                             "differences between repeated simulations; the largest ({names}) "
                             "are within that noise.",
                       "es": "Ningún parámetro tiene un efecto sobre {outcome} que se "
                             "distinga de las diferencias entre simulaciones repetidas; los "
                             "mayores ({names}) quedan dentro de ese ruido."},
    "sum_fit": {"en": "How close the model comes to the four survey figures depends most on "
                      "{names}.",
                "es": "Qué tan cerca llega el modelo a las cuatro cifras de la encuesta "
                      "depende sobre todo de {names}."},
    "sum_unsettled": {"en": "The screening has not settled for {outcomes}: about {suggest} "
                            "trajectories would be needed (this study ran {size}).",
                      "es": "El tamizaje aún no se estabiliza para {outcomes}: harían falta "
                            "unas {suggest} trayectorias (este estudio corrió {size})."},
    "sum_sobol": {"en": "Among the {n} parameters the Sobol stage studied, {outcome} "
                        "varies most with {name} (total index {st} ± {conf}).",
                  "es": "Entre los {n} parámetros que estudió la etapa de Sobol, {outcome} "
                        "varía sobre todo con {name} (índice total {st} ± {conf})."},
    "rise_public": {"en": "the rise in perceived safety in public spaces",
                    "es": "el aumento de la seguridad percibida en espacios públicos"},
    "rise_neighbourhood": {"en": "the rise in perceived safety in the neighbourhood",
                           "es": "el aumento de la seguridad percibida en el barrio"},
    # tables
    "col_parameter": {"en": "parameter", "es": "parámetro"},
    "col_code": {"en": "code name", "es": "nombre en el código"},
    "col_range": {"en": "range explored", "es": "rango explorado"},
    "col_unit": {"en": "unit", "es": "unidad"},
    "col_outcome": {"en": "outcome", "es": "resultado"},
    "col_mu": {"en": "{outcome}: μ* ± (pp)", "es": "{outcome}: μ* ± (pp)"},
    "col_above": {"en": "above the noise", "es": "sobre el ruido"},
    "col_noise_sd": {"en": "noise sd (pp)", "es": "de del ruido (pp)"},
    "col_total_sd": {"en": "total sd (pp)", "es": "de total (pp)"},
    "col_share_single": {"en": "noise share (single run)",
                         "es": "parte de ruido (una simulación)"},
    "col_share_means": {"en": "noise share (point means)",
                        "es": "parte de ruido (medias por punto)"},
    "col_year": {"en": "{measure}, end of {year}", "es": "{measure}, fin de {year}"},
    "public": {"en": "public spaces", "es": "espacios públicos"},
    "neighbourhood": {"en": "neighbourhood", "es": "barrio"},
    "yes": {"en": "yes", "es": "sí"},
    "no": {"en": "no", "es": "no"},
    # the Morris and Sobol bullets
    "morris_item": {"en": "{n} influential parameter(s) (noise floor {floor} pp); ",
                    "es": "{n} parámetro(s) influyente(s) (piso de ruido {floor} pp); "},
    "morris_largest": {"en": "largest μ*: {items}.", "es": "mayores μ*: {items}."},
    "morris_none": {"en": "none above the noise; largest: {items}.",
                    "es": "ninguno sobre el ruido; los mayores: {items}."},
    "sobol_item": {"en": "sum of S1 {s1} (unexplained {rest}: interactions and noise{noise}); "
                         "{items}.",
                   "es": "suma de S1 {s1} (sin explicar {rest}: interacciones y ruido{noise}); "
                         "{items}."},
    "noise_means": {"en": "; replication noise {share} in the point means",
                    "es": "; ruido de réplica {share} en las medias por punto"},
    "noise_single": {"en": "; replication noise {share} of a single run, by Morris",
                     "es": "; ruido de réplica {share} en una simulación, según Morris"},
    "settled_morris": {"en": "The top five by μ* agree and intervals are narrow.",
                       "es": "Los cinco mayores por μ* coinciden y los intervalos son estrechos."},
    "settled_sobol": {"en": "Indices at N/2 and N agree within their intervals.",
                      "es": "Los índices con N/2 y con N coinciden dentro de sus intervalos."},
    "check_wide": {"en": "widest interval ±{widest} pp exceeds {target} pp (a quarter of the "
                         "largest μ*)",
                   "es": "el intervalo más ancho, ±{widest} pp, supera {target} pp (la cuarta "
                         "parte del mayor μ*)"},
    "check_wide_sobol": {"en": "widest interval ±{widest} exceeds {target}",
                         "es": "el intervalo más ancho, ±{widest}, supera {target}"},
    "check_top": {"en": "the top five at r/2 and r differ ({names})",
                  "es": "los cinco mayores con r/2 y con r difieren ({names})"},
    "check_moved": {"en": "indices at N/2 and N disagree for {names}",
                    "es": "los índices con N/2 y con N difieren para {names}"},
    "check_suggest": {"en": "suggested {what} ≈ {n}", "es": "se sugieren ≈ {n} {what}"},
    "trajectories": {"en": "trajectories", "es": "trayectorias"},
    # figures
    "fig_mu": {"en": "μ* (mean |elementary effect|, pp)",
               "es": "μ* (media del |efecto elemental|, pp)"},
    "fig_sigma": {"en": "σ (interaction / non-linearity)", "es": "σ (interacción / no linealidad)"},
    "fig_floor": {"en": "replication-noise floor", "es": "piso del ruido de réplica"},
    "fig_morris": {"en": "Morris screening: {d} parameters, {r} trajectories, {reps} "
                         "replication(s) per point (bars: 95% intervals)",
                   "es": "Tamizaje de Morris: {d} parámetros, {r} trayectorias, {reps} "
                         "réplica(s) por punto (barras: intervalos del 95 %)"},
    "fig_sobol": {"en": "Sobol indices: N = {n} base samples, {reps} replication(s) per "
                        "point (bars: 95% bootstrap intervals)",
                  "es": "Índices de Sobol: N = {n} muestras base, {reps} réplica(s) por "
                        "punto (barras: intervalos bootstrap del 95 %)"},
    "fig_s1": {"en": "first order S1", "es": "primer orden S1"},
    "fig_st": {"en": "total ST", "es": "total ST"},
    "fig_year": {"en": "change in perceived safety ({measure}) since the start, by year end",
                 "es": "cambio en la seguridad percibida ({measure}) desde el inicio, al "
                       "cierre de cada año"},
}


def write_outputs(loaded, morris, sobol, folder: Path, lang: str = "en") -> list[Path]:
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
    files.append(mu_sigma_figure(morris, folder / "morris_mu_sigma.png", lang=lang))
    if not morris.by_year.empty:
        files.append(by_year_figure(morris.by_year, "mu_star", folder / "morris_by_year.png", lang))
    if sobol is not None:
        csv(sobol.indices, "sobol_indices.csv", parquet=True)
        csv(sobol.convergence, "sobol_convergence.csv")
        csv(sobol.by_year, "sobol_by_year.csv")
        files.append(sobol_figure(sobol, folder / "sobol_indices.png", lang))
        if not sobol.by_year.empty:
            files.append(by_year_figure(sobol.by_year, "ST", folder / "sobol_by_year.png", lang))
    return files + write_sensitivity_report(loaded, morris, sobol, folder, lang)


def write_sensitivity_report(loaded, morris, sobol, folder: Path, lang: str = "en",
                             name: str = "report") -> list[Path]:
    """report.md and report.html from ``templates/sensitivity.md.j2``."""
    return write_report(folder, "sensitivity", lang, STRINGS, name=name,
                        **context(loaded, morris, sobol, lang))


# --- words -----------------------------------------------------------------------------------

def outcome_text(outcome: str, lang: str = "en") -> str:
    text = OUTCOME_TEXT_ES if lang == "es" else OUTCOME_TEXT
    return text.get(outcome, outcome)


def names_text(names, lang: str, limit: int = 40, code: bool = False) -> str:
    """'a, b and c' of parameters' human names (with their code names when ``code``)."""
    t = translator(STRINGS, lang)
    names = list(names)
    if not names:
        return t("none")
    words = [parameter_name(n, lang) + (f" (`{n}`)" if code else "") for n in names[:limit]]
    if len(names) > limit:
        return t("more", shown=", ".join(words), n=len(names) - limit)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {t('and')} {words[-1]}"


def stage_points(stage: StageResult, second_order: bool = False) -> int:
    """Design points of a stage: r·(D+1) for Morris, N·(D+2) (N·(2D+2) with second-order
    indices) for Sobol."""
    d = len(stage.names)
    if stage.stage == "morris":
        return stage.size * (d + 1)
    return stage.size * (2 * d + 2 if second_order else d + 2)


# --- the report ------------------------------------------------------------------------------

def context(loaded, morris: StageResult, sobol: StageResult | None, lang: str) -> dict:
    spec = loaded.spec
    n = partial(number, lang=lang)
    t = translator(STRINGS, lang)
    title = scenario_title(loaded.base.scenario, lang)
    idx = morris.indices
    morris_runs = stage_points(morris) * morris.replications
    sobol_points = stage_points(sobol, spec.sobol.second_order) if sobol is not None else 0
    return {
        "title": t("title", title=title),
        "description": spec.description if lang == "en" else "",
        "summary": summary(loaded, morris, sobol, lang),
        "scenario_title": title, "scenario_name": loaded.base.scenario.name,
        "morris_scale": scale_text(morris.scenario, lang),
        "d": len(morris.names), "trajectories": morris.size, "levels": spec.morris.levels,
        "delta": n(spec.morris.levels / (2 * (spec.morris.levels - 1)), 2),
        "morris_replications": morris.replications, "morris_points": n(stage_points(morris), 0),
        "morris_runs": n(morris_runs, 0), "seed": spec.seed, "conf": pct(spec.conf_level, 0, lang),
        "outcomes": [outcome_text(o, lang) for o in spec.outcomes],
        "morris_items": [morris_item(idx, o, lang) for o in spec.outcomes],
        "rise_table": rise_table(idx, spec.outcomes, lang),
        "groups": survey_groups(idx, morris.names, spec.outcomes, lang),
        "noise": noise_table(morris.noise, spec.outcomes, lang),
        "morris_checks": checks_text(morris, lang),
        "by_year": by_year_table(morris.by_year, "mu_star", lang) if not morris.by_year.empty else "",
        "sobol": None if sobol is None else {
            "d": len(sobol.names), "names": names_text(sobol.names, lang),
            "scale": scale_text(sobol.scenario, lang), "size": sobol.size,
            "points": n(sobol_points, 0), "replications": sobol.replications,
            "runs": n(sobol_points * sobol.replications, 0),
            "bullets": [sobol_item(sobol, morris, o, lang) for o in spec.outcomes],
            "checks": checks_text(sobol, lang),
            "by_year": not sobol.by_year.empty},
        "parameters": parameter_table(loaded, lang),
        "settings": settings_toml(settings(loaded)),
        "command": command(loaded, sobol, lang, stored=morris.runs is None),
        "stored": morris.runs is None,  # read_stored: no run behind this report
        **provenance(),
    }


def summary(loaded, morris: StageResult, sobol: StageResult | None, lang: str) -> list[str]:
    """The report's first paragraph: what was varied, which parameters the rise in
    perceived safety responds to beyond replication noise, what the fit depends on, whether
    the screening settled, and what Sobol found."""
    t = translator(STRINGS, lang)
    spec, idx = loaded.spec, morris.indices
    runs = stage_points(morris) * morris.replications
    if sobol is not None:
        runs += stage_points(sobol, spec.sobol.second_order) * sobol.replications
    lines = [t("sum_design", d=len(morris.names), runs=number(runs, 0, lang),
               title=scenario_title(loaded.base.scenario, lang),
               scale=scale_text(morris.scenario, lang))]
    rises = [o for o in CHANGE if o in spec.outcomes]
    for outcome in rises:
        g = idx[idx["outcome"] == outcome].sort_values("mu_star", ascending=False)
        words = t("rise_public" if outcome.startswith("public") else "rise_neighbourhood")
        influential = list(g.loc[g["influential"].astype(bool), "parameter"])
        lines.append(t("sum_resolved", outcome=words[0].upper() + words[1:],
                       names=names_text(influential[:5], lang))
                     if influential else
                     t("sum_unresolved", outcome=words, names=names_text(g["parameter"][:3], lang)))
    fits = [o for o in spec.outcomes if o.startswith("gap_") or o == FIT]
    if fits:
        fit = idx[idx["outcome"].isin(fits) & idx["influential"].astype(bool)]
        top = relative_importance(fit).index[:4] if len(fit) else []
        if len(top):
            lines.append(t("sum_fit", names=names_text(top, lang)))
    unsettled = [c for c in convergence_checks(morris.convergence, "morris", morris.size)
                 if c.outcome in rises]
    if unsettled:
        lines.append(t("sum_unsettled", outcomes=f" {t('and')} ".join(
            t("rise_public" if c.outcome.startswith("public") else "rise_neighbourhood")
            for c in unsettled), suggest=number(max(c.suggest for c in unsettled), 0, lang),
            size=morris.size))
    if sobol is not None:
        for outcome in rises:
            g = sobol.indices[sobol.indices["outcome"] == outcome]
            if len(g) and g["ST"].notna().any():
                top = g.loc[g["ST"].idxmax()]
                lines.append(t("sum_sobol", n=len(sobol.names), name=parameter_name(
                    top["parameter"], lang), st=number(top["ST"], 2, lang),
                    conf=number(top["ST_conf"], 2, lang), outcome=t(
                    "rise_public" if outcome.startswith("public") else "rise_neighbourhood")))
    return lines


def morris_item(idx: pd.DataFrame, outcome: str, lang: str) -> dict:
    t = translator(STRINGS, lang)
    n = partial(number, lang=lang)
    g = idx[idx["outcome"] == outcome].sort_values("mu_star", ascending=False)
    infl = g[g["influential"].astype(bool)]
    top = infl.head(6) if len(infl) else g.head(3)
    floor = g["noise_floor"].iloc[0] if "noise_floor" in g else float("nan")
    items = ", ".join(f"{parameter_name(r.parameter, lang)} ({n(r.mu_star, 2)} ± "
                      f"{n(r.mu_star_conf, 2)})" for r in top.itertuples())
    text = t("morris_item", n=len(infl), floor=n(floor, 2)) + (
        t("morris_largest", items=items) if len(infl) else t("morris_none", items=items))
    return {"label": outcome_text(outcome, lang), "text": text}


def rise_table(idx: pd.DataFrame, outcomes: list[str], lang: str, top: int = 10) -> str:
    """The parameters that move the two rises most: μ* ± its interval half-width for each,
    and whether it stands out from the replication noise."""
    t = translator(STRINGS, lang)
    n = partial(number, lang=lang)
    rises = [o for o in CHANGE if o in outcomes]
    if not rises:
        return ""
    sub = idx[idx["outcome"].isin(rises)]
    rows = []
    for name in relative_importance(sub).index[:top]:
        row = {t("col_parameter"): parameter_name(name, lang)}
        above = False
        for o in rises:
            r = sub[(sub["parameter"] == name) & (sub["outcome"] == o)].iloc[0]
            row[t("col_mu", outcome=t("public" if o.startswith("public") else "neighbourhood"))] = \
                f"{n(r['mu_star'], 2)} ± {n(r['mu_star_conf'], 2)}"
            above = above or bool(r["influential"])
        row[t("col_above")] = t("yes" if above else "no")
        rows.append(row)
    return markdown_table(rows)


def survey_groups(idx: pd.DataFrame, names: list[str], outcomes: list[str], lang: str) -> dict:
    """Parameters by whether they drive the simulated rise and whether they move the fit
    to the survey figures (what the survey can pin down)."""
    inf = idx[idx["influential"].astype(bool)]
    drives = set(inf[inf["outcome"].isin(CHANGE)]["parameter"])
    fit = set(inf[inf["outcome"].isin([o for o in outcomes if o.startswith("gap_") or o == FIT])]
              ["parameter"])
    rise_mu = idx[idx["outcome"].isin(CHANGE)].groupby("parameter")["mu_star"].max()
    unpinned = sorted(drives - fit, key=lambda p: -rise_mu.get(p, 0.0))
    inert = sorted(set(names) - set(inf["parameter"]))
    return {"pinned": names_text(sorted(drives & fit), lang),
            "unpinned": names_text(unpinned, lang),
            "fit_only": names_text(sorted(fit - drives), lang),
            "inert": names_text(inert, lang, 25), "n_inert": len(inert), "d": len(names)}


def noise_table(noise: pd.DataFrame, outcomes: list[str], lang: str) -> str:
    if noise.empty:
        return ""
    t = translator(STRINGS, lang)
    n = partial(number, lang=lang)
    rows = [{t("col_outcome"): outcome_text(r.outcome, lang).replace("|", "\\|"),
             t("col_noise_sd"): n(r.noise_sd, 2), t("col_total_sd"): n(r.total_sd, 2),
             t("col_share_single"): pct(r.noise_share_single_run, 1, lang),
             t("col_share_means"): pct(r.noise_share_point_means, 1, lang)}
            for r in noise.itertuples() if r.outcome in outcomes]
    return markdown_table(rows)


def checks_text(stage: StageResult, lang: str) -> list[str]:
    """Each outcome whose indices have not settled, in words."""
    t = translator(STRINGS, lang)
    n = partial(number, lang=lang)
    lines = []
    for c in convergence_checks(stage.convergence, stage.stage, stage.size):
        parts = []
        if c.too_wide:
            parts.append(t("check_wide" if stage.stage == "morris" else "check_wide_sobol",
                           widest=n(c.widest, 2), target=n(c.target, 2)))
        if c.disagree:
            parts.append(t("check_top" if stage.stage == "morris" else "check_moved",
                           names=names_text(c.disagree[:6], lang)))
        parts.append(t("check_suggest", what=t("trajectories") if stage.stage == "morris"
                       else "N", n=n(c.suggest, 0)))
        lines.append(f"{outcome_text(c.outcome, lang)}: {'; '.join(parts)}")
    return lines or [t("settled_morris" if stage.stage == "morris" else "settled_sobol")]


def by_year_table(by_year: pd.DataFrame, index: str, lang: str, top: int = 8) -> str:
    t = translator(STRINGS, lang)
    g = by_year.copy()
    g["measure"] = g["outcome"].str.split("_change").str[0]
    g["year"] = g["outcome"].str.split("@").str[1]
    order = relative_importance(g[g["outcome"].str.contains("@")]).index[:top]
    rows = []
    for name in order:
        row = {t("col_parameter"): parameter_name(name, lang)}
        for r in g[g["parameter"] == name].sort_values(["measure", "year"]).itertuples():
            row[t("col_year", measure=t(r.measure), year=r.year)] = number(getattr(r, index), 2, lang)
        rows.append(row)
    return markdown_table(rows)


def sobol_item(sobol: StageResult, morris: StageResult, outcome: str, lang: str) -> dict:
    t = translator(STRINGS, lang)
    n = partial(number, lang=lang)
    g = sobol.indices[sobol.indices["outcome"] == outcome].sort_values("ST", ascending=False)
    items = ", ".join(f"{parameter_name(r.parameter, lang)} ST {n(r.ST, 2)} ± {n(r.ST_conf, 2)}, "
                      f"S1 {n(r.S1, 2)} ± {n(r.S1_conf, 2)}" for r in g.head(3).itertuples())
    return {"label": outcome_text(outcome, lang),
            "text": t("sobol_item", s1=n(g["S1"].sum(), 2), rest=n(1 - g["S1"].sum(), 2),
                      noise=noise_share(outcome, morris, sobol, lang), items=items)}


def noise_share(outcome: str, morris: StageResult, sobol: StageResult, lang: str) -> str:
    """What the first-order indices leave is interactions and, in a stochastic model,
    replication noise: from the Sobol stage's replications, or else Morris's estimate of a
    single run's noise share, which is what one replication per point carries."""
    t = translator(STRINGS, lang)
    for noise, column, key in ((sobol.noise, "noise_share_point_means", "noise_means"),
                               (morris.noise, "noise_share_single_run", "noise_single")):
        if not noise.empty and outcome in set(noise["outcome"]):
            share = noise.loc[noise["outcome"] == outcome, column].iloc[0]
            return t(key, share=pct(share, 1, lang))
    return ""


def parameter_table(loaded, lang: str) -> str:
    """Every varied parameter: its human name, code name, the range explored and its unit."""
    t = translator(STRINGS, lang)
    return markdown_table([{t("col_parameter"): parameter_name(name, lang),
                            t("col_code"): f"`{name}`",
                            t("col_range"): interval(low, high, _decimals(low, high), lang),
                            t("col_unit"): parameter_unit(name, lang)}
                           for name, (low, high) in zip(loaded.names, loaded.bounds)])


def _decimals(*values: float) -> int:
    """The fewest decimals (up to 5) that write every value exactly: '[30, 365]',
    '[0.005, 0.080]'."""
    def needed(x: float) -> int:
        return next((d for d in range(6) if abs(round(x, d) - x) < 1e-9 * max(1.0, abs(x))), 5)

    return max(needed(float(v)) for v in values)


def settings(loaded) -> dict:
    """The sensitivity file as run (after --trajectories / --samples) and the scenario's
    run and city as the Morris stage ran them."""
    scenario = loaded.base.scenario
    return {"sensitivity": loaded.spec.model_dump(mode="json"),
            "scenario": {"name": scenario.name, "run": scenario.run.model_dump(mode="json"),
                         "city": scenario.city.model_dump(mode="json")}}


def command(loaded, sobol, lang: str, stored: bool = False) -> str:
    path = Path(loaded.path)
    try:
        path = path.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    return (f"barrios sensitivity {path.as_posix()}" + (" --morris-only" if sobol is None else "")
            + (" --report-only" if stored else "") + (f" --lang {lang}" if lang != "en" else ""))


# --- the report again from stored tables ------------------------------------------------------

def read_stored(loaded, folder: Path | str):
    """The analysis whose tables ``write_outputs`` left in ``folder``, without runs (for
    ``--report-only``): ``loaded`` must be the sensitivity file as it ran (the same
    ``trajectories`` / ``samples``)."""
    from experiments.files import BadInput
    from experiments.sensitivity_study import SensitivityResult

    folder = Path(folder)
    if not (folder / "morris_indices.csv").is_file():
        raise BadInput(folder, None, "expected the tables of a sensitivity analysis "
                       "(morris_indices.csv, morris_convergence.csv, noise.csv), found no "
                       "morris_indices.csv (run the analysis first, or name its --report folder)")
    morris = _stage_from_tables(folder, "morris", loaded.names, loaded.spec.morris.trajectories,
                                loaded.spec.morris.replications, loaded.morris_scenario)
    sobol = None
    if (folder / "sobol_indices.csv").is_file():
        names = list(dict.fromkeys(pd.read_csv(folder / "sobol_indices.csv")["parameter"]))
        sobol = _stage_from_tables(folder, "sobol", names, loaded.spec.sobol.samples,
                                   loaded.spec.sobol.replications, loaded.sobol_scenario)
    return SensitivityResult(loaded, folder, morris, sobol)


def _stage_from_tables(folder: Path, stage: str, names, size, replications, scenario) -> StageResult:
    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / name) if (folder / name).is_file() else pd.DataFrame()

    noise = read("noise.csv")
    if not noise.empty:
        noise = noise[noise["stage"] == stage].drop(columns="stage").reset_index(drop=True)
    result = StageResult(stage, list(names), None, read(f"{stage}_indices.csv"),
                         read(f"{stage}_convergence.csv"), [], read(f"{stage}_by_year.csv"),
                         noise, size, replications, scenario)
    return replace(result, warnings=[c.warning(stage) for c in convergence_checks(
        result.convergence, stage, size)])


# --- figures ---------------------------------------------------------------------------------

def mu_sigma_figure(stage: StageResult, path: Path, label: int = 6, lang: str = "en") -> Path:
    t = translator(STRINGS, lang)
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
                       label=t("fig_floor"))
            ax.legend(loc="lower right", fontsize=7, frameon=False)
        lim = max(float(g["mu_star"].max()), float(g["sigma"].max()), 1e-9) * 1.1
        ax.plot([0, lim], [0, lim], color="grey", lw=0.5, ls=":")
        for r in g.nlargest(label, "mu_star").itertuples():
            ax.annotate(r.parameter, (r.mu_star, r.sigma), fontsize=6.5, xytext=(3, 2),
                        textcoords="offset points")
        ax.set_title(outcome_text(outcome, lang), fontsize=8.5)
        ax.set_xlabel(t("fig_mu"), fontsize=8)
        ax.set_ylabel(t("fig_sigma"), fontsize=8)
        ax.tick_params(labelsize=7)
        decimal_axes(ax, lang)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.axis("off")
    fig.suptitle(t("fig_morris", d=len(stage.names), r=stage.size, reps=stage.replications),
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def sobol_figure(stage: StageResult, path: Path, lang: str = "en") -> Path:
    t = translator(STRINGS, lang)
    outcomes = list(dict.fromkeys(stage.indices["outcome"]))
    cols = 2 if len(outcomes) > 1 else 1
    rows = -(-len(outcomes) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 3.6 * rows), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        g = stage.indices[stage.indices["outcome"] == outcome]
        x = range(len(g))
        ax.bar([i - 0.2 for i in x], g["S1"], 0.4, yerr=g["S1_conf"], label=t("fig_s1"),
               color="#1f5f8b", capsize=2)
        ax.bar([i + 0.2 for i in x], g["ST"], 0.4, yerr=g["ST_conf"], label=t("fig_st"),
               color="#e08e2b", capsize=2)
        ax.set_xticks(list(x), g["parameter"], rotation=35, ha="right", fontsize=6.5)
        ax.axhline(0, color="black", lw=0.5)
        ax.set_title(outcome_text(outcome, lang), fontsize=8.5)
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=7, frameon=False)
        _decimal_y(ax, lang)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.axis("off")
    fig.suptitle(t("fig_sobol", n=stage.size, reps=stage.replications), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def by_year_figure(by_year: pd.DataFrame, index: str, path: Path, lang: str = "en",
                   top: int = 8) -> Path:
    t = translator(STRINGS, lang)
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
        ax.set_title(t("fig_year", measure=t(measure)), fontsize=9)
        ax.set_ylabel(index, fontsize=8)
        ax.legend(fontsize=6.5, frameon=False)
        _decimal_y(ax, lang)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _decimal_y(ax, lang: str):
    """The value axis in ``lang``'s number format (the other axis holds names or years,
    which ``decimal_axes`` would write as '2.023')."""
    from matplotlib.ticker import FuncFormatter

    if lang != "en":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: number(v, 1, lang)))


# --- the terminal ----------------------------------------------------------------------------

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
