"""What ``barrios sweep`` writes after the runs: design-point means (``points.csv``, with
how many replications succeeded and failed at each point), the cost/gain Pareto front
(``pareto.csv``, ``tradeoff.png``) and, with a ``[target]``, the PRIM box of lever ranges
that reach it (``prim.csv``); the report (``report.md`` / ``report.html`` from one
template, ``templates/sweep.md.j2``, in English or Spanish); and the text it prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from experiments import budget
from experiments.parameter_names import parameter_name, parameter_unit
from experiments.reporting import (interval, markdown_table, number, pct, provenance,
                                   scale_text, settings_toml, translator, usd_m, write_report)
from experiments.scenario_files import scenario_title
from experiments.store import ResultStore
from experiments.study import successful
from experiments.sweep import BUDGET_SPENT, LoadedExperiment, SweepResult
from simulation.interventions import INTERVENTIONS
from simulation.outcomes import OUTCOMES, POINTS, SERIES, SHARE, Display

STRINGS = {
    "title": {"en": "Sweep of {n} mixes on “{scenario}”",
              "es": "Barrido de {n} combinaciones sobre “{scenario}”"},
    "and": {"en": "and", "es": "y"},
    # the summary
    "sum_design": {"en": "We simulated {n} mixes ({design}), {reps} replication(s) each "
                         "({runs} runs), of “{scenario}” on {scale}.",
                   "es": "Simulamos {n} combinaciones ({design}), {reps} réplica(s) de cada "
                         "una ({runs} simulaciones), del escenario “{scenario}” en {scale}."},
    "sum_failed": {"en": "{k} mixes had runs that failed; their means use the runs that "
                         "succeeded (see “Failed runs”).",
                   "es": "{k} combinaciones tuvieron simulaciones fallidas; sus medias usan "
                         "las que terminaron bien (ver “Simulaciones fallidas”)."},
    "sum_reached": {"en": "{k} of {n} mixes reach the target ({gain} of at least {target}).",
                    "es": "{k} de {n} combinaciones alcanzan la meta ({gain} de al menos "
                          "{target})."},
    "sum_cheapest": {"en": "The cheapest mix on the Pareto front that reaches it costs {cost} "
                           "and gains {value}{mix}.",
                     "es": "La combinación más barata de la frontera de Pareto que la alcanza "
                           "cuesta {cost} y logra {value}{mix}."},
    "sum_none": {"en": "None reaches it: the best gains {value} at {cost}{mix}.",
                 "es": "Ninguna la alcanza: la mejor logra {value} con {cost}{mix}."},
    "sum_front": {"en": "{k} mixes are on the Pareto front of cost against {gain} (none does "
                        "better on both); the best gains {value} at {cost}{mix}.",
                  "es": "{k} combinaciones están en la frontera de Pareto de costo frente a "
                        "{gain} (ninguna otra es mejor en ambos); la mejor logra {value} con "
                        "{cost}{mix}."},
    "sum_spread": {"en": "{gain}: from {low} to {high} across the mixes (median {median}).",
                   "es": "{gain}: de {low} a {high} entre las combinaciones (mediana {median})."},
    "sum_box": {"en": "The mixes that reach the target are mostly those that {box}.",
                "es": "Las combinaciones que alcanzan la meta son sobre todo las que {box}."},
    "mix_budget": {"en": ", splitting the budget {shares}",
                   "es": "; reparte el presupuesto así: {shares}"},
    "mix_levers": {"en": ", with {levers}", "es": ", con {levers}"},
    "share_to": {"en": "{share} to {name}", "es": "{share} a {name}"},
    "at": {"en": "{name} at {value}", "es": "{name} en {value}"},
    "between": {"en": "set {name} between {low} and {high}",
                "es": "fijan {name} entre {low} y {high}"},
    "between_share": {"en": "give {name} between {low} and {high} of the budget",
                      "es": "dan a {name} entre {low} y {high} del presupuesto"},
    # designs
    "full_factorial": {"en": "a full factorial design", "es": "un diseño factorial completo"},
    "latin_hypercube": {"en": "a Latin hypercube of {n} points, seed {seed}",
                        "es": "un hipercubo latino de {n} puntos, semilla {seed}"},
    "sobol": {"en": "a Sobol sequence of {n} points, seed {seed}",
              "es": "una secuencia de Sobol de {n} puntos, semilla {seed}"},
    # variables
    "share": {"en": "share of the budget: {name}", "es": "parte del presupuesto: {name}"},
    "share_unit": {"en": "% of the budget", "es": "% del presupuesto"},
    "intensity": {"en": "{name}: intensity", "es": "{name}: intensidad"},
    "intensity_unit": {"en": "% of full coverage", "es": "% de la cobertura total"},
    "lever": {"en": "lever", "es": "palanca"},
    "uncertainty": {"en": "uncertainty", "es": "incertidumbre"},
    "levels": {"en": "levels {values}", "es": "niveles {values}"},
    "range": {"en": "{range}, {distribution}", "es": "{range}, {distribution}"},
    "uniform": {"en": "uniform", "es": "uniforme"},
    "loguniform": {"en": "log-uniform", "es": "log-uniforme"},
    "triangular": {"en": "triangular, mode {mode}", "es": "triangular, moda {mode}"},
    "normal": {"en": "truncated normal", "es": "normal truncada"},
    "budget_spent": {"en": "budget spent", "es": "presupuesto gastado"},
    "change": {"en": "change in the share who {what}",
               "es": "cambio en el porcentaje de quienes {what}"},
    # tables
    "col_variable": {"en": "variable", "es": "variable"},
    "col_kind": {"en": "kind", "es": "tipo"},
    "col_code": {"en": "code name", "es": "nombre en el código"},
    "col_values": {"en": "values explored", "es": "valores explorados"},
    "col_unit": {"en": "unit", "es": "unidad"},
    "col_mix": {"en": "mix", "es": "combinación"},
    "col_cost": {"en": "{cost} (US$ M)", "es": "{cost} (US$ M)"},
    "col_reaches": {"en": "reaches the target", "es": "alcanza la meta"},
    "col_replications": {"en": "replications", "es": "réplicas"},
    "col_outcome": {"en": "outcome", "es": "resultado"},
    "col_lowest": {"en": "lowest", "es": "mínimo"},
    "col_median": {"en": "median", "es": "mediana"},
    "col_highest": {"en": "highest", "es": "máximo"},
    "col_failed": {"en": "failed runs", "es": "simulaciones fallidas"},
    "col_low": {"en": "from", "es": "desde"},
    "col_high": {"en": "to", "es": "hasta"},
    "yes": {"en": "yes", "es": "sí"},
    "no": {"en": "no", "es": "no"},
    # the figure
    "fig_points": {"en": "mixes", "es": "combinaciones"},
    "fig_front": {"en": "Pareto front", "es": "frontera de Pareto"},
    "fig_target": {"en": "target {value}", "es": "meta {value}"},
    "fig_cost": {"en": "{cost} (US$ million)", "es": "{cost} (millones de US$)"},
}


@dataclass
class SweepTables:
    """The analysis of a sweep: what the report, the files and the printed text say."""

    points: pd.DataFrame                  # every design point (``point_means``)
    analysed: pd.DataFrame                # the points with at least one successful run
    cost: str
    gain: str
    front: pd.DataFrame | None = None     # the Pareto front, by cost
    reached: pd.Series | None = None      # per analysed point: reaches the target
    box: pd.DataFrame | None = None       # PRIM: lever, min, max
    stats: dict = field(default_factory=dict)


def analyse(result: SweepResult, lang: str = "en") -> str:
    """Write the tables, the figure and the report for the sweep's design; return the text
    to print."""
    from experiments.sweep_analysis import tradeoff_figure

    folder, loaded = result.folder, result.loaded
    exp = loaded.spec
    tables = analysis_tables(result)
    tables.points.to_csv(folder / "points.csv", index=False)
    failed = int(tables.points["failed"].gt(0).sum())
    lines = [f"Design points: {len(tables.points)} (means over replications in points.csv)"
             + (f"; {failed} with failed runs (column failed)" if failed else "")]
    if tables.front is not None:
        tables.front.to_csv(folder / "pareto.csv", index=False)
        tradeoff_figure(tables.analysed, tables.front, tables.cost, tables.gain,
                        exp.target.at_least if exp.target else None, folder / "tradeoff.png",
                        labels=figure_labels(loaded, tables, lang), lang=lang,
                        scale=outcome_display(tables.gain)[2].scale)
        lines.append(f"Pareto front of cost vs {tables.gain}: {len(tables.front)} mixes "
                     "(pareto.csv, tradeoff.png)")
    if exp.target is not None:
        lines += _prim_lines(tables, loaded)
        if tables.box is not None:
            tables.box.to_csv(folder / "prim.csv", index=False)
    write_report(folder, "sweep", lang, STRINGS, **context(loaded, tables, lang))
    lines.append("Report: report.md, report.html")
    return "\n".join(lines)


def analysis_tables(result: SweepResult) -> SweepTables:
    """Design-point means, the Pareto front of cost against the gain, and with a target
    which points reach it and the PRIM box of the levers that describes them."""
    from experiments.sweep_analysis import point_means

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
    return tables_from_points(loaded, points)


def tables_from_points(loaded: LoadedExperiment, points: pd.DataFrame) -> SweepTables:
    """The front and, with a target, which points reach it and the PRIM box, from the
    design-point means (``point_means``, budget coordinates already turned into shares)."""
    from experiments.sweep_analysis import pareto_front, prim_box

    exp = loaded.spec
    analysed = points[points["replications"] > 0]
    # With a budget, the trade-off is what the budgeted programmes cost, not the status quo.
    cost = BUDGET_SPENT if exp.budget else "cost_usd_total"
    gain = exp.target.outcome if exp.target else "safe_public_change"
    tables = SweepTables(points, analysed, cost, gain)
    if cost in analysed and gain in analysed:
        tables.front = pareto_front(analysed, cost, gain)
    if exp.target is not None:
        tables.reached = analysed[exp.target.outcome] >= exp.target.at_least
        if 0 < tables.reached.sum() < len(analysed):
            levers = [n for n in loaded.variables if loaded.kinds[n] == "lever"]
            tables.box, tables.stats = prim_box(analysed, levers, tables.reached.to_numpy())
    return tables


def _prim_lines(tables: SweepTables, loaded: LoadedExperiment) -> list[str]:
    target, points = loaded.spec.target, tables.analysed
    reached = tables.reached
    lines = [f"{int(reached.sum())} of {len(points)} mixes reach {target.outcome} >= "
             f"{target.at_least:g} (the best reaches {points[target.outcome].max():.3g})."]
    if tables.box is not None:
        box, stats = tables.box, tables.stats
        lines.append(f"PRIM: mixes in this box reach it (coverage {stats['coverage']:.0%} of "
                     f"the successes, density {stats['density']:.0%}), prim.csv:")
        lines += [f"  {r.lever}: {r.min:.3g} to {r.max:.3g}" for r in box.itertuples()] or [
            "  (no lever range restricts them)"]
    return lines


# --- names, units and values --------------------------------------------------------------

def variable_name(loaded: LoadedExperiment, name: str, lang: str) -> str:
    """A lever's or uncertainty's human name: a budget share, a programme's intensity, a
    parameter, or the experiment's own name for it."""
    t = translator(STRINGS, lang)
    target = loaded.variables[name].target
    parts = target.split(".")
    if parts[0] == "budget":
        return t("share", name=INTERVENTIONS[parts[1]].label(lang))
    if parts[0] == "interventions" and parts[1] in INTERVENTIONS:
        label = INTERVENTIONS[parts[1]].label(lang)
        return t("intensity", name=label) if parts[2] == "intensity" else f"{label}: {parts[2]}"
    if parts[0] == "parameters":
        return parameter_name(parts[1], lang)
    return name


def variable_unit(loaded: LoadedExperiment, name: str, lang: str) -> str:
    t = translator(STRINGS, lang)
    parts = loaded.variables[name].target.split(".")
    if parts[0] == "budget":
        return t("share_unit")
    if _is_percent(loaded, name):
        return t("intensity_unit")
    if parts[0] == "parameters":
        return parameter_unit(parts[1], lang)
    return ""


def _is_percent(loaded: LoadedExperiment, name: str) -> bool:
    target = loaded.variables[name].target
    return target.startswith("budget.") or (target.startswith("interventions.")
                                            and target.endswith(".intensity"))


def variable_value(loaded: LoadedExperiment, name: str, value, lang: str) -> str:
    """A variable's value in its unit: shares and intensities as percentages."""
    if isinstance(value, (str, bool)):
        return str(value)
    if _is_percent(loaded, name):
        return pct(value, 0, lang)
    return number(value, _decimals(value), lang)


def _decimals(x: float) -> int:
    """Three significant figures, at most four decimals."""
    import math

    x = abs(float(x))
    if x == 0 or not math.isfinite(x):
        return 0
    return max(0, min(4, 2 - math.floor(math.log10(x))))


def _exact_decimals(x: float) -> int:
    """The fewest decimals (up to 5) that write ``x`` exactly: a range's bounds as the
    file gives them ('[0.005, 0.08]')."""
    return next((d for d in range(6) if abs(round(x, d) - x) < 1e-9 * max(1.0, abs(x))), 5)


def outcome_display(name: str) -> tuple[str, str, Display]:
    """(English label, Spanish label, display) of a kept outcome, a dated series or the
    budget spent."""
    if name == BUDGET_SPENT:
        return (STRINGS["budget_spent"]["en"], STRINGS["budget_spent"]["es"],
                OUTCOMES["cost_usd_total"].display)
    if "@" in name:
        series, day = name.split("@", 1)
        s = SERIES[series]
        return f"{s.label_en} ({day})", f"{s.label_es} ({day})", s.display
    o = OUTCOMES[name]
    if o.at == "change":  # 'Δ feel safe in public spaces' reads badly in a sentence
        s = SERIES[o.series]
        return (STRINGS["change"]["en"].format(what=s.label_en),
                STRINGS["change"]["es"].format(what=s.label_es), o.display)
    return o.label_en, o.label_es, o.display


def outcome_label(name: str, lang: str) -> str:
    en, es, _ = outcome_display(name)
    return es if lang == "es" else en


def outcome_value(name: str, value, lang: str, sign: bool = False) -> str:
    """An outcome in its display unit: '+1.8 pp', '41.2 %', 'US$ 12.3 M'."""
    _, _, display = outcome_display(name)
    if display.suffix == "US$ M":
        return usd_m(value, 1, lang)
    text = number(value * display.scale, display.digits, lang, sign=sign)
    if display == SHARE:
        return text + ("\u00a0%" if lang == "es" else "%")
    suffix = SUFFIX_ES.get(display.suffix, display.suffix) if lang == "es" else display.suffix
    return f"{text}\u00a0{suffix}".rstrip()


SUFFIX_ES = {"per 100,000": "por 100.000"}
"""The outcome registry's display units that read differently in Spanish."""


def outcome_unit(name: str) -> str:
    _, _, display = outcome_display(name)
    return display.suffix


# --- the report ----------------------------------------------------------------------------

def context(loaded: LoadedExperiment, tables: SweepTables, lang: str) -> dict:
    """What the template shows; every number as the sweep ran (the experiment file after
    its base scenario's changes)."""
    exp = loaded.spec
    t = translator(STRINGS, lang)
    scenario = scenario_title(loaded.base.scenario, lang)
    cost_label = outcome_label(tables.cost, lang)
    return {
        "title": t("title", n=len(tables.points), scenario=scenario),
        "description": exp.description if lang == "en" else "",
        "summary": summary(loaded, tables, lang),
        "scenario": scenario, "scenario_name": loaded.base.scenario.name,
        "scale": scale_text(loaded.base.scenario, lang),
        "design": design_text(loaded, lang), "points": len(tables.points),
        "replications": exp.replications,
        "runs": number(len(tables.points) * exp.replications, 0, lang),
        "seed": exp.seed, "variables": variables_table(loaded, lang),
        "outcomes": [outcome_label(o, lang) for o in exp.outcomes.scalars],
        "budget": None if exp.budget is None else {
            "total": usd_m(exp.budget.total_usd, 1, lang),
            "programmes": _join([INTERVENTIONS[n].label(lang) for n in exp.budget.interventions],
                                lang)},
        "target": None if exp.target is None else {
            "outcome": outcome_label(exp.target.outcome, lang),
            "at_least": outcome_value(exp.target.outcome, exp.target.at_least, lang, True),
            "reached": int(tables.reached.sum()), "analysed": len(tables.analysed)},
        "cost_label": cost_label, "gain_label": outcome_label(tables.gain, lang),
        "gain_unit": outcome_unit(tables.gain),
        "front": front_table(loaded, tables, lang) if tables.front is not None else "",
        "front_size": 0 if tables.front is None else len(tables.front),
        "prim": prim_context(loaded, tables, lang),
        "failed": failed_table(loaded, tables, lang),
        "outcome_spread": outcomes_table(loaded, tables, lang),
        "settings": settings_toml(settings(loaded)),
        "command": command(loaded, lang),
        **provenance(),
    }


def summary(loaded: LoadedExperiment, tables: SweepTables, lang: str) -> list[str]:
    """The first paragraph: what was simulated, what reaches the target (if any), the
    cheapest mix on the front that reaches it (or the best one), and the PRIM box."""
    exp = loaded.spec
    t = translator(STRINGS, lang)
    n = len(tables.points)
    lines = [t("sum_design", n=n, design=design_text(loaded, lang), reps=exp.replications,
               runs=number(len(tables.points) * exp.replications, 0, lang),
               scenario=scenario_title(loaded.base.scenario, lang),
               scale=scale_text(loaded.base.scenario, lang))]
    failed = int(tables.points["failed"].gt(0).sum())
    if failed:
        lines.append(t("sum_failed", k=failed))
    front = tables.front
    if exp.target is not None:
        lines.append(t("sum_reached", k=int(tables.reached.sum()), n=len(tables.analysed),
                       gain=outcome_label(exp.target.outcome, lang),
                       target=outcome_value(exp.target.outcome, exp.target.at_least, lang, True)))
        if front is not None:
            reaching = front[front[exp.target.outcome] >= exp.target.at_least]
            if len(reaching):
                lines.append(t("sum_cheapest", **_mix_words(loaded, tables, reaching.iloc[0], lang)))
            else:
                best = front.loc[front[tables.gain].idxmax()]
                lines.append(t("sum_none", **_mix_words(loaded, tables, best, lang)))
        if tables.box is not None and len(tables.box):
            lines.append(t("sum_box", box=box_words(loaded, tables.box, lang)))
    elif front is not None:
        best = front.loc[front[tables.gain].idxmax()]
        lines.append(t("sum_front", k=len(front), gain=outcome_label(tables.gain, lang),
                       **_mix_words(loaded, tables, best, lang)))
    elif tables.gain in tables.analysed:  # no cost kept (an uncertainty sweep): the spread
        gain = tables.analysed[tables.gain]
        label = outcome_label(tables.gain, lang)
        lines.append(t("sum_spread", gain=label[0].upper() + label[1:],
                       **{word: outcome_value(tables.gain, getattr(gain, how)(), lang, sign=True)
                          for word, how in (("low", "min"), ("high", "max"),
                                            ("median", "median"))}))
    return lines


def _mix_words(loaded: LoadedExperiment, tables: SweepTables, row, lang: str) -> dict:
    return {"cost": outcome_value(tables.cost, row[tables.cost], lang),
            "value": outcome_value(tables.gain, row[tables.gain], lang, sign=True),
            "mix": mix_text(loaded, row, lang)}


def mix_text(loaded: LoadedExperiment, row, lang: str, top: int = 3) -> str:
    """A mix in words: its largest budget shares, or its lever settings."""
    t = translator(STRINGS, lang)
    exp = loaded.spec
    if exp.budget is not None:
        shares = sorted(((row[f"share_{n}"], n) for n in exp.budget.interventions), reverse=True)
        items = [t("share_to", share=pct(s, 0, lang), name=INTERVENTIONS[n].label(lang))
                 for s, n in shares[:top]]
        return t("mix_budget", shares=_join(items, lang))
    levers = [n for n in loaded.variables if loaded.kinds[n] == "lever"]
    if not levers:
        return ""
    items = [t("at", name=variable_name(loaded, n, lang),
               value=variable_value(loaded, n, row[n], lang)) for n in levers]
    return t("mix_levers", levers=_join(items, lang))


def box_words(loaded: LoadedExperiment, box: pd.DataFrame, lang: str) -> str:
    """The PRIM box as what the mixes in it do: 'give Street lighting between 25% and 61%
    of the budget and ...'."""
    t = translator(STRINGS, lang)
    words = []
    for r in box.itertuples():
        target = loaded.variables[r.lever].target
        low, high = (variable_value(loaded, r.lever, v, lang) for v in (r.min, r.max))
        if target.startswith("budget."):
            words.append(t("between_share", name=INTERVENTIONS[target.split(".")[1]].label(lang),
                           low=low, high=high))
        else:
            words.append(t("between", name=variable_name(loaded, r.lever, lang), low=low, high=high))
    return _join(words, lang)


def _join(items: list[str], lang: str) -> str:
    t = translator(STRINGS, lang)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {t('and')} {items[-1]}"


def design_text(loaded: LoadedExperiment, lang: str) -> str:
    t = translator(STRINGS, lang)
    d = loaded.spec.design
    return t(d.kind, n=d.samples, seed=d.seed)


def variables_table(loaded: LoadedExperiment, lang: str) -> str:
    """Every lever and uncertainty: its human name, kind, code name, the values explored
    and its unit."""
    t = translator(STRINGS, lang)
    rows = []
    for name, var in loaded.variables.items():
        if var.levels is not None:
            values = t("levels", values=", ".join(variable_value(loaded, name, v, lang)
                                                  for v in var.levels))
        elif var.target.startswith("budget."):
            values = "[0, 100]"  # shares normalised to sum to 100%
        else:
            digits = max(_exact_decimals(var.low), _exact_decimals(var.high))
            low, high = (variable_value(loaded, name, v, lang) for v in (var.low, var.high)) \
                if _is_percent(loaded, name) else (None, None)
            text = f"[{low}{'; ' if lang == 'es' else ', '}{high}]" if low is not None \
                else interval(var.low, var.high, digits, lang)
            distribution = t(var.distribution, mode=number(var.mode, digits, lang))
            values = t("range", range=text, distribution=distribution)
        rows.append({t("col_variable"): variable_name(loaded, name, lang),
                     t("col_kind"): t(loaded.kinds[name]), t("col_code"): f"`{name}`",
                     t("col_values"): values, t("col_unit"): variable_unit(loaded, name, lang)})
    return markdown_table(rows)


def front_table(loaded: LoadedExperiment, tables: SweepTables, lang: str) -> str:
    """The Pareto front, cheapest first: each mix's variables, cost and gain."""
    t = translator(STRINGS, lang)
    exp = loaded.spec
    rows = []
    for _, r in tables.front.iterrows():
        row = {t("col_mix"): int(r["point"])}
        for name in loaded.variables:
            row[variable_name(loaded, name, lang)] = variable_value(loaded, name, r[name], lang)
        row[t("col_cost", cost=outcome_label(tables.cost, lang))] = number(r[tables.cost] / 1e6, 1, lang)
        row[f"{outcome_label(tables.gain, lang)} ({outcome_unit(tables.gain)})"] = \
            outcome_value(tables.gain, r[tables.gain], lang, sign=True).split("\u00a0")[0]
        if exp.target is not None:
            row[t("col_reaches")] = t("yes" if r[exp.target.outcome] >= exp.target.at_least
                                      else "no")
        rows.append(row)
    return markdown_table(rows)


def prim_context(loaded: LoadedExperiment, tables: SweepTables, lang: str) -> dict | None:
    if tables.box is None:
        return None
    t = translator(STRINGS, lang)
    return {"coverage": pct(tables.stats["coverage"], 0, lang),
            "density": pct(tables.stats["density"], 0, lang),
            "words": box_words(loaded, tables.box, lang) if len(tables.box) else "",
            "table": markdown_table([{t("col_variable"): variable_name(loaded, r.lever, lang),
                                      t("col_low"): variable_value(loaded, r.lever, r.min, lang),
                                      t("col_high"): variable_value(loaded, r.lever, r.max, lang)}
                                     for r in tables.box.itertuples()]) if len(tables.box) else ""}


def outcomes_table(loaded: LoadedExperiment, tables: SweepTables, lang: str) -> str:
    """Each kept outcome over the mixes (their means over replications): lowest, median,
    highest, in its unit."""
    t = translator(STRINGS, lang)
    rows = []
    for name in dict.fromkeys([*loaded.spec.outcomes.scalars, *([BUDGET_SPENT] if loaded.spec.budget else [])]):
        if name not in tables.analysed:
            continue
        values = tables.analysed[name].dropna()
        sign = outcome_display(name)[2] == POINTS
        rows.append({t("col_outcome"): outcome_label(name, lang),
                     t("col_lowest"): outcome_value(name, values.min(), lang, sign),
                     t("col_median"): outcome_value(name, values.median(), lang, sign),
                     t("col_highest"): outcome_value(name, values.max(), lang, sign)})
    return markdown_table(rows)


def failed_table(loaded: LoadedExperiment, tables: SweepTables, lang: str) -> str:
    t = translator(STRINGS, lang)
    failed = tables.points[tables.points["failed"] > 0]
    if failed.empty:
        return ""
    return markdown_table([{t("col_mix"): int(r["point"]),
                            **{variable_name(loaded, n, lang): variable_value(loaded, n, r[n], lang)
                               for n in loaded.variables},
                            t("col_failed"): int(r["failed"]),
                            t("col_replications"): int(r["replications"])}
                           for _, r in failed.iterrows()])


def settings(loaded: LoadedExperiment) -> dict:
    """The experiment file as run and the base scenario's run and city after its changes."""
    scenario = loaded.base.scenario
    return {"experiment": loaded.spec.model_dump(mode="json"),
            "scenario": {"name": scenario.name, "run": scenario.run.model_dump(mode="json"),
                         "city": scenario.city.model_dump(mode="json")}}


def command(loaded: LoadedExperiment, lang: str) -> str:
    path = Path(loaded.path)
    try:
        path = path.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    return f"barrios sweep {path.as_posix()}" + (f" --lang {lang}" if lang != "en" else "")


def figure_labels(loaded: LoadedExperiment, tables: SweepTables, lang: str) -> dict:
    """The trade-off figure's words in the report's language."""
    t = translator(STRINGS, lang)
    target = loaded.spec.target
    return {"points": t("fig_points"), "front": t("fig_front"),
            "cost": t("fig_cost", cost=outcome_label(tables.cost, lang)),
            "gain": f"{outcome_label(tables.gain, lang)} ({outcome_unit(tables.gain)})",
            "target": None if target is None else t(
                "fig_target", value=outcome_value(target.outcome, target.at_least, lang, True))}

