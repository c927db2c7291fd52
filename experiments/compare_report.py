"""What ``barrios compare`` shows and writes: a terminal table, comparison.csv/.parquet,
groups.csv, comparison.png, cost_gain.png and a report (report.md and report.html, one
template, ``templates/compare.md.j2``) to hand to a city official, in English or Spanish.

The report opens with what an official asks first (which scenario raises perceived
safety most, by how much, at what extra cost, and whether that is more than the noise
of the simulation), states the settings the runs actually used (after ``--years``,
``--scale``, ``--seed``), names scenarios by their titles, and keeps the raw
configuration for an appendix.
"""

from __future__ import annotations

import math
import shlex
from pathlib import Path

import pandas as pd

from experiments.compare import COST_PER_POINT, OUTCOMES, Comparison
from experiments.compare_words import STRINGS
from experiments.reporting import (
    check_lang,
    decimal_axes,
    interval,
    markdown_table,
    number,
    provenance,
    settings_toml,
    translator,
    write_report,
)
from experiments.scenario_files import LoadedScenario, scenario_title
from simulation.interventions import INTERVENTIONS
from simulation.outcomes import GROUP_LABELS, GROUPS, MEASURES
from simulation.outcomes import OUTCOMES as REGISTRY

MEASURE_OF = {"safe_public": "public", "safe_neighbourhood": "neighbourhood"}
COST_PER_POINT_MEASURE = {label: MEASURE_OF[change.removesuffix("_change")]
                          for label, change in COST_PER_POINT.items()}
UNIT = {"safe_public_change": ("pp", "pp"), "safe_neighbourhood_change": ("pp", "pp"),
        "victimization_12m_end": ("%", "pp"), "severe_violence_per_100k_end": ("", ""),
        "cost_usd_total": ("US$ M", "US$ M")}
"""Each outcome's unit in the table of levels and in the table of differences (the
severe-violence label already says 'per 100,000 a year'); a share's difference is in points."""


# --- numbers in words ------------------------------------------------------------------------


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def estimate(mean, low, high, digits: int = 1, lang: str = "en", sign: bool = False) -> str:
    """'8.2 [8.0, 8.5]': a mean and its interval ('—' when missing; the mean alone when the
    interval is missing or a single value, as a cost that no replication changes)."""
    if _missing(mean) or math.isinf(mean):
        return "—"
    text = number(mean, digits, lang, sign)
    if _missing(low) or _missing(high) or math.isinf(low) or low == high:
        return text
    return f"{text} {interval(low, high, digits, lang)}"


def cost_per_point(mean, low, high, gain_low, gain_high, lang: str = "en") -> str:
    """US$ M per percentage point gained, 'mean [low, high]' ('[low, ∞)' when the
    bootstrap's upper bound is unbounded), or in words when the gain is not clearly
    positive (its interval reaches 0, or lies below it), where a price per point means
    nothing."""
    t = translator(STRINGS, lang)
    if not _missing(gain_high) and gain_high < 0:
        return t("no_gain")
    if not (_missing(gain_low) or _missing(gain_high)) and gain_low <= 0 <= gain_high:
        return t("no_clear_gain")
    if _missing(mean) or math.isinf(mean):
        return "—"
    digits = 2 if abs(mean) < 10e6 else 1
    return estimate(mean / 1e6, low / 1e6, high / 1e6, digits, lang)


def plain(x: float, lang: str) -> str:
    """A setting as people write it: '3', '0.1', '2,800,000' (Spanish '0,1', '2.800.000')."""
    digits = 0 if float(x).is_integer() else 2
    text = number(x, digits, lang)
    if digits:
        text = text.rstrip("0").rstrip(".,")
    return text


def years_text(years: float, lang: str) -> str:
    t = translator(STRINGS, lang)
    return t("one_year") if years == 1 else t("years", years=plain(years, lang))


def date_text(day, lang: str) -> str:
    from babel.dates import format_date

    return format_date(day, format="long", locale="es_EC" if lang == "es" else "en_US")


# --- tables ------------------------------------------------------------------------------------


def titles(result: Comparison, lang: str) -> dict[str, str]:
    """Each scenario's name -> its human title in ``lang``."""
    return {item.scenario.name: scenario_title(item.scenario, lang) for item in result.scenarios}


def _header(outcome: str, lang: str, paired: bool) -> str:
    t = translator(STRINGS, lang)
    if outcome in COST_PER_POINT_MEASURE:
        key = "extra_cost_per_pp" if paired else "cost_per_pp"
        return t(key, measure=t(f"short_{COST_PER_POINT_MEASURE[outcome]}"))
    label = REGISTRY[outcome].label(lang)
    if outcome == "cost_usd_total" and paired:
        label = t("extra_cost")
    unit = UNIT[outcome][paired]
    return f"{label} ({unit})" if unit else label


def _cell(rows: pd.DataFrame, name: str, outcome: str, lang: str, paired: bool) -> str:
    row = rows.loc[(name, outcome)]
    mean, low, high = (row[c] for c in (("diff_mean", "diff_low", "diff_high") if paired
                                        else ("mean", "ci_low", "ci_high")))
    if outcome in COST_PER_POINT:
        gain = rows.loc[(name, COST_PER_POINT[outcome])]
        bounds = ("diff_low", "diff_high") if paired else ("ci_low", "ci_high")
        return cost_per_point(mean, low, high, *(gain[b] for b in bounds), lang)
    scale = REGISTRY[outcome].display.scale
    return estimate(mean * scale, low * scale, high * scale, 1, lang,
                    sign=paired or outcome.endswith("_change"))


def table_rows(result: Comparison, lang: str, paired: bool) -> list[dict]:
    """One row per scenario (its title), a 'mean [95% interval]' column per outcome with
    its unit; ``paired``: the differences against the first scenario (without it)."""
    t = translator(STRINGS, lang)
    rows = result.table.set_index(["scenario", "outcome"])
    names = titles(result, lang)
    shown = list(names)[1:] if paired else list(names)
    outcomes = [*OUTCOMES, *COST_PER_POINT]
    return [{t("scenario"): names[n], **{_header(o, lang, paired): _cell(rows, n, o, lang, paired)
                                        for o in outcomes}} for n in shown]


def group_rows(result: Comparison, lang: str) -> list[dict]:
    """Who feels safe at the end, by scenario and measure, in percent."""
    t = translator(STRINGS, lang)
    g = result.groups.set_index(["scenario", "measure", "group"])
    names = titles(result, lang)
    i = 1 if lang == "es" else 0
    return [{t("scenario"): names[n], t("where"): t(f"short_{m}"),
             **{f"{GROUP_LABELS[k][i]} (%)": number(100 * g.loc[(n, m, k), "mean"], 1, lang)
                for k in GROUPS}}
            for n in names for m in MEASURE_OF.values()]


# --- what ran ---------------------------------------------------------------------------------


def run_settings(item: LoadedScenario, lang: str) -> dict[str, str]:
    """A scenario's run and city as they ran (after every override), in words."""
    s = item.scenario
    barrios = len(item.city_table) if item.city_table is not None else s.city.width * s.city.height
    return {"years": years_text(s.run.years, lang), "start": date_text(s.run.start, lang),
            "population": plain(s.city.population, lang), "barrios": plain(barrios, lang),
            "scale": plain(s.city.inhabitants_per_agent, lang),
            "agents": plain(round(s.city.population / s.city.inhabitants_per_agent), lang)}


def settings_text(result: Comparison, lang: str) -> tuple[str, str]:
    """(a sentence, a table): the sentence when every scenario ran with the same run and
    city settings, else a table of them (one row per scenario)."""
    t = translator(STRINGS, lang)
    each = {scenario_title(i.scenario, lang): run_settings(i, lang) for i in result.scenarios}
    runs = t("replications", replications=plain(result.replications, lang),
             seed=result.seed)
    distinct = {tuple(v.values()) for v in each.values()}
    if len(distinct) == 1:
        return t("settings_same", **next(iter(each.values()))) + " " + runs, ""
    headers = {k: t(f"setting_{k}") for k in ("start", "years", "population", "barrios",
                                                "scale", "agents")}
    rows = [{t("scenario"): title, **{headers[k]: v[k] for k in headers}}
            for title, v in each.items()]
    return t("settings_differ") + " " + runs, markdown_table(rows)


def programmes(item: LoadedScenario, reference: LoadedScenario, lang: str) -> str:
    """A scenario in a line: the reference's programmes; for another scenario, the
    programmes whose settings differ from the reference's (what the comparison is about)."""
    t = translator(STRINGS, lang)
    title = scenario_title(item.scenario, lang)
    if item is reference:
        active = list(item.scenario.interventions.active())
        return t("reference_runs", title=title,
                 programmes=_join([_programme(k, lang) for k in active], lang)
                 if active else t("no_programmes"))
    mine, theirs = (i.scenario.interventions.model_dump() for i in (item, reference))
    changed = [k for k in INTERVENTIONS if mine.get(k) != theirs.get(k)]
    if changed:
        return t("changes", title=title, programmes=_join([_programme(k, lang) for k in changed], lang))
    if item.scenario.parameters != reference.scenario.parameters:
        return t("other_parameters", title=title)
    return t("same_settings", title=title)


def _programme(key: str, lang: str) -> str:
    return INTERVENTIONS[key].label_es if lang == "es" else INTERVENTIONS[key].label_en


def _join(items: list[str], lang: str) -> str:
    """'a, b and c' / 'a, b y c'."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + (" y " if lang == "es" else " and ") + items[-1]


def command(result: Comparison, lang: str) -> str:
    """The command line that makes this comparison (files relative to here when inside)."""
    parts = ["barrios", "compare", *(_shown(i.path) for i in result.scenarios),
             "--replications", str(result.replications), "--seed", str(result.seed)]
    for key, value in result.overrides.items():
        parts += [f"--{key}", f"{value:g}"]
    if lang != "en":
        parts += ["--lang", lang]
    return shlex.join(parts)


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def as_run(result: Comparison, item: LoadedScenario) -> str:
    """A scenario's settings as TOML, with the comparison's seed and replications (the
    runs used those, not the file's)."""
    document = item.scenario.model_dump()  # dates stay TOML dates: a scenario file that runs
    document["run"].update(seed=result.seed, replications=result.replications)
    return settings_toml(document)


# --- the first paragraph ------------------------------------------------------------------


def headline(result: Comparison, lang: str) -> str:
    """Which scenario raises perceived safety most against the reference, by how many
    points (with the interval), at what extra cost, and whether that is clear of the
    simulation's noise, in plain words."""
    t = translator(STRINGS, lang)
    names = titles(result, lang)
    if len(names) < 2:
        return t("only_one")
    rows = result.table.set_index(["scenario", "outcome"])
    reference, others = next(iter(names)), list(names)[1:]

    def diff(name, measure, column="diff_mean"):
        return rows.loc[(name, f"safe_{measure}_change"), column]

    best = {m: max(others, key=lambda n: diff(n, m)) for m in MEASURE_OF.values()}
    rising = {m: n for m, n in best.items() if diff(n, m) > 0}
    common = {"reference": names[reference]}
    sentences = []
    if len(rising) == 2 and len(set(rising.values())) == 1:
        name = rising["public"]
        sentences.append(t("best_both", best=names[name], **common,
                           public=_gain(diff, name, "public", lang),
                           neighbourhood=_gain(diff, name, "neighbourhood", lang),
                           cost=_cost(rows, name, lang), years=_years(result, name, lang)))
    else:
        for i, (m, n) in enumerate(rising.items()):  # a second best: "In their neighbourhood, ..."
            where = _where(m, lang)
            sentences.append(t("best_other" if i else "best_one", best=names[n], **common,
                               measure=where, measure_cap=where[0].upper() + where[1:],
                               gain=_gain(diff, n, m, lang), cost=_cost(rows, n, lang),
                               years=_years(result, n, lang)))
    sentences += [t("no_rise", measure=_where(m, lang), **common) for m in best if m not in rising]
    sentences.append(_noise({m: diff(n, m, "diff_low") > 0 for m, n in rising.items()}, lang))
    sentences.append(t("model_caveat"))
    return " ".join(s for s in sentences if s)


def _where(measure: str, lang: str) -> str:
    return MEASURES[measure][1 if lang == "es" else 0]


def _gain(diff, name: str, measure: str, lang: str) -> str:
    t = translator(STRINGS, lang)
    mean, low, high = (100 * diff(name, measure, c) for c in ("diff_mean", "diff_low", "diff_high"))
    if _missing(low) or _missing(high):
        return t("gain", value=number(mean, 1, lang))
    return t("gain_interval", value=number(mean, 1, lang), low=number(low, 1, lang),
             high=number(high, 1, lang))


def _cost(rows: pd.DataFrame, name: str, lang: str) -> str:
    t = translator(STRINGS, lang)
    extra = rows.loc[(name, "cost_usd_total"), "diff_mean"]
    amount = number(abs(extra) / 1e6, 1, lang)
    if amount.strip("0.,") == "":
        return t("cost_same")
    return t("cost_more" if extra > 0 else "cost_less", amount=amount)


def _years(result: Comparison, name: str, lang: str) -> str:
    item = next(i for i in result.scenarios if i.scenario.name == name)
    return years_text(item.scenario.run.years, lang)


def _noise(clear: dict[str, bool], lang: str) -> str:
    """Whether each rise is larger than the variation between runs (its interval > 0)."""
    t = translator(STRINGS, lang)
    if not clear:
        return ""
    if len(clear) == 1:
        return t("it_clear" if all(clear.values()) else "it_unclear")
    if all(clear.values()):
        return t("both_clear")
    if not any(clear.values()):
        return t("neither_clear")
    sure = next(m for m, c in clear.items() if c)
    unsure = next(m for m, c in clear.items() if not c)
    return t("one_clear", clear=_where(sure, lang), unclear=_where(unsure, lang))


# --- outputs ---------------------------------------------------------------------------------


def context(result: Comparison, lang: str) -> dict:
    names = titles(result, lang)
    settings, settings_table = settings_text(result, lang)
    return {"summary": headline(result, lang), "settings": settings,
            "settings_table": settings_table, "replications": result.replications,
            "reference": next(iter(names.values())),
            "scenarios": [programmes(i, result.scenarios[0], lang) for i in result.scenarios],
            "levels": markdown_table(table_rows(result, lang, paired=False)),
            "differences": markdown_table(table_rows(result, lang, paired=True))
            if len(names) > 1 else "",
            "groups": markdown_table(group_rows(result, lang)),
            "appendix": [(scenario_title(i.scenario, lang), _shown(i.path), as_run(result, i))
                         for i in result.scenarios],
            "command": command(result, lang), **provenance()}


def terminal_text(result: Comparison, lang: str = "en") -> str:
    t = translator(STRINGS, lang)
    names = titles(result, lang)
    parts = [t("terminal_head", scenarios=len(names), replications=result.replications), "",
             pd.DataFrame(table_rows(result, lang, paired=False)).to_string(index=False)]
    if len(names) > 1:
        parts += ["", t("terminal_paired", reference=next(iter(names.values()))), "",
                  pd.DataFrame(table_rows(result, lang, paired=True)).to_string(index=False)]
    return "\n".join(parts)


def write_outputs(result: Comparison, lang: str = "en") -> list[Path]:
    check_lang(lang)
    folder = result.folder
    result.table.to_csv(folder / "comparison.csv", index=False)
    result.table.to_parquet(folder / "comparison.parquet", index=False)
    result.groups.to_csv(folder / "groups.csv", index=False)
    figure(result, folder / "comparison.png", lang)
    cost_gain_figure(result, folder / "cost_gain.png", lang)
    reports = write_report(folder, "compare", lang, STRINGS, **context(result, lang))
    return [folder / n for n in ("comparison.csv", "comparison.parquet", "groups.csv",
                                 "comparison.png", "cost_gain.png")] + reports


# --- figures ---------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _errors(means, lows, highs) -> list[list[float]]:
    """Error-bar lengths below and above each mean (0 where a bound is missing)."""
    return [[max(m - lo, 0) if math.isfinite(lo) else 0 for m, lo in zip(means, lows)],
            [max(hi - m, 0) if math.isfinite(hi) else 0 for m, hi in zip(means, highs)]]


def figure(result: Comparison, path: Path, lang: str = "en"):
    """Each scenario's level of four outcomes, mean and 95% interval."""
    plt = _pyplot()
    t = translator(STRINGS, lang)
    t_rows = result.table.set_index(["scenario", "outcome"])
    names = titles(result, lang)
    panels = ["safe_public_change", "safe_neighbourhood_change", "victimization_12m_end",
              "cost_usd_total"]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 0.5 * len(names) + 2),
                             dpi=100, sharey=True)
    for ax, outcome in zip(axes, panels):
        scale = REGISTRY[outcome].display.scale
        means, lows, highs = ([t_rows.loc[(n, outcome), c] * scale for n in names]
                              for c in ("mean", "ci_low", "ci_high"))
        ax.barh(range(len(names)), means, xerr=_errors(means, lows, highs), color="tab:blue",
                alpha=0.75, capsize=3)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(_header(outcome, lang, paired=False), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        decimal_axes(ax, lang)
    axes[0].set_yticks(range(len(names)), list(names.values()), fontsize=8)
    axes[0].invert_yaxis()
    fig.suptitle(t("figure_levels"), fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def cost_gain_figure(result: Comparison, path: Path, lang: str = "en"):
    """Extra cost (x, US$ M) against extra points of perceived safety (y) of each scenario
    over the reference, paired by replication, with 95% intervals both ways; one panel
    per perception measure."""
    plt = _pyplot()
    t = translator(STRINGS, lang)
    rows = result.table.set_index(["scenario", "outcome"])
    names = titles(result, lang)
    others = list(names)[1:]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), dpi=100)
    for ax, measure in zip(axes, MEASURE_OF.values()):
        cost = [[rows.loc[(n, "cost_usd_total"), c] / 1e6 for n in others]
                for c in ("diff_mean", "diff_low", "diff_high")]
        gain = [[100 * rows.loc[(n, f"safe_{measure}_change"), c] for n in others]
                for c in ("diff_mean", "diff_low", "diff_high")]
        ax.errorbar(cost[0], gain[0], xerr=_errors(*cost), yerr=_errors(*gain), fmt="o",
                    ms=5, capsize=3, color="tab:blue")
        ax.plot([0], [0], "kx")  # the reference (named in the title)
        low, high = ax.get_xlim()
        for x, y, n in zip(cost[0], gain[0], others):  # labels inward, to stay in the panel
            right = x > (low + high) / 2
            ax.annotate(names[n], (x, y), xytext=(-5 if right else 5, 4), fontsize=7,
                        textcoords="offset points", ha="right" if right else "left")
        ax.axhline(0, color="grey", linewidth=0.7)
        ax.axvline(0, color="grey", linewidth=0.7)
        ax.set_title(t(f"panel_{measure}"), fontsize=9)
        ax.set_xlabel(t("axis_cost"), fontsize=8)
        ax.set_ylabel(t("axis_gain"), fontsize=8)
        ax.grid(alpha=0.3)
        decimal_axes(ax, lang)
    fig.suptitle(t("figure_cost_gain", reference=names[next(iter(names))]), fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
