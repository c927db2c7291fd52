"""What ``barrios evaluate`` shows and writes: a terminal table, effects.csv/.parquet (over
replications), estimates.parquet (per replication), event_study.csv, balance.csv,
arms.csv, effects.png (a forest plot), event_study.png and report.md/report.html, in
English or Spanish (``lang``).

The report opens with a paragraph an official can read (what was tested, the effect with
its interval, how it stands against the published studies of ``evidence/table.toml``
that reproduce this design), states the settings the runs used (after every override)
and ends with them as TOML. ``read_stored`` rebuilds a result from a report folder's
tables, so a report can be written again without running the model."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from experiments.effects import EFFECT_OUTCOMES
from experiments.evaluation import EvaluationResult, LoadedEvaluation
from experiments.plots import finish_grid
from experiments.reporting import (decimal_axes, fmt, interval, markdown_table, pct,
                                   provenance, render, settings_toml, translator)
from experiments.scenario_files import scenario_title
from simulation.interventions import INTERVENTIONS
from simulation.outcomes import GROUP_LABELS

ROOT = Path(__file__).resolve().parents[1]

STORED_NOTE = {
    "en": "Written again from the tables a run left in this folder (`--report-only`), without "
          "running the model: the numbers are that run's; the commit above wrote the words.",
    "es": "Reescrito a partir de las tablas que dejó una corrida en esta carpeta "
          "(`--report-only`), sin volver a correr el modelo: las cifras son de esa corrida; la "
          "versión indicada arriba redactó el texto."}
"""The last line of a report written from stored tables (shared by the study reports here)."""

strings: dict[str, dict[str, str]] = {
    "stored_note": STORED_NOTE,
    "title": {"en": "Virtual evaluation: {programme} ({design})",
              "es": "Evaluación virtual: {programme} ({design})"},
    "kind_randomized": {"en": "randomized trial", "es": "ensayo aleatorizado"},
    "kind_hot_spots": {"en": "hot-spot experiment", "es": "experimento en puntos críticos"},
    "kind_catchment": {"en": "catchment design", "es": "diseño con zonas de influencia"},
    "kind_matched": {"en": "matched comparison", "es": "comparación con barrios emparejados"},
    # the summary
    "summary_design": {
        "en": "**{programme}** was tested in the model as a {design} on the scenario "
              "*{scenario}*: from {start}, {who}; the {after} months after were compared with "
              "the {before} months before, in {replications} repeated trials.",
        "es": "Se probó **{programme}** en el modelo mediante un {design} sobre el escenario "
              "*{scenario}*: desde el {start}, {who}; se compararon los {after} meses "
              "posteriores con los {before} meses previos, en {replications} ensayos repetidos."},
    "who_assigned": {"en": "{share} of {eligible} received the programme at random",
                     "es": "el programa llegó al azar al {share} de {eligible}"},
    "who_matched": {"en": "each barrio the programme reached, as the scenario deploys it, "
                          "was compared with similar barrios it never reached",
                    "es": "cada barrio al que llegó el programa, tal como lo despliega el "
                          "escenario, se comparó con barrios parecidos a los que nunca llegó"},
    "eligible_all": {"en": "the barrios", "es": "los barrios"},
    "eligible_count": {"en": "the {count} barrios with the highest {indicator}",
                       "es": "los {count} barrios con mayor {indicator}"},
    "eligible_share": {"en": "the {share} of barrios with the highest {indicator}",
                       "es": "el {share} de barrios con mayor {indicator}"},
    "summary_effects": {"en": "Against the control barrios: {effects}.",
                        "es": "Frente a los barrios de control: {effects}."},
    "summary_dose": {"en": "At {setting} = {dose}: {effects}.",
                     "es": "Con {setting} = {dose}: {effects}."},
    "fell": {"en": "{outcome} fell by {value} ({interval_name} {interval})",
             "es": "{outcome}: una reducción de {value} ({interval_name} {interval})"},
    "rose": {"en": "{outcome} rose by {value} ({interval_name} {interval})",
             "es": "{outcome}: un aumento de {value} ({interval_name} {interval})"},
    "unclear": {"en": "{outcome}: no clear change ({value}, {interval_name} {interval})",
                "es": "{outcome}: sin cambio claro ({value}, {interval_name} {interval})"},
    "summary_published": {"en": "Against the published studies this design reproduces: {items}.",
                          "es": "Frente a los estudios publicados que este diseño reproduce: "
                                "{items}."},
    "published_item": {"en": "{outcome}, published {published}, the model {simulated}: {verdict}",
                       "es": "{outcome}, publicado {published}, el modelo {simulated}: {verdict}"},
    "summary_other_design": {
        "en": "The evidence table (`{table}`) holds {programme} against {count} published "
              "finding(s) with other designs: `barrios evidence` compares them.",
        "es": "La tabla de evidencia (`{table}`) contrasta {programme} con {count} "
              "hallazgo(s) publicado(s) con otros diseños: `barrios evidence` los compara."},
    "summary_no_study": {"en": "No controlled evaluation of {programme} is in the evidence "
                               "table (`{table}`).",
                         "es": "La tabla de evidencia (`{table}`) no tiene ninguna evaluación "
                               "controlada de {programme}."},
    "summary_caveat": {"en": "These are the model's answers under its assumptions, not a "
                             "forecast for Quito.",
                       "es": "Son las respuestas del modelo bajo sus supuestos, no un "
                             "pronóstico para Quito."},
    # settings as run
    "settings": {"en": "What was evaluated: the settings as run",
                 "es": "Qué se evaluó: la configuración usada"},
    "set_programme": {"en": "Programme: **{label}** (`{code}`); design: **{design}**.",
                      "es": "Programa: **{label}** (`{code}`); diseño: **{design}**."},
    "set_windows": {"en": "Start of the trial: {start}, with {before} months before it and {after} "
                          "after. Counts are summed over each window; shares are averaged "
                          "over each window's last {follow} months, as a survey at the end "
                          "of each period would see them.",
                    "es": "Inicio del ensayo: {start}, con {before} meses antes y {after} meses "
                          "después. Los conteos se suman en cada período; las proporciones se "
                          "promedian en los últimos {follow} meses de cada período, como las "
                          "vería una encuesta al final de cada uno."},
    "set_assigned": {"en": "Eligible: {eligible} on the start day, except those the programme "
                           "already covered. Treated: {share} of them at random{blocks}{far}"
                           "{catchment}.",
                     "es": "Elegibles: {eligible} el día de inicio, salvo los que el programa "
                           "ya cubría. Tratados: el {share} de ellos, al azar{blocks}{far}"
                           "{catchment}."},
    "set_blocks": {"en": ", within {blocks} blocks of consecutive rank",
                   "es": ", dentro de {blocks} bloques de rango consecutivo"},
    "set_far": {"en": "; controls: untreated eligible barrios more than {far} steps from any "
                      "treated one",
                "es": "; controles: barrios elegibles sin tratar a más de {far} pasos de "
                      "cualquier barrio tratado"},
    "set_catchment": {"en": "; catchments: untreated barrios within {steps} step(s)",
                      "es": "; zonas de influencia: barrios sin tratar a {steps} paso(s) o menos"},
    "set_matched": {"en": "The programme runs as the scenario deploys it. Each barrio it "
                          "reaches after at least {before} months without it is matched to "
                          "{neighbours} never-treated barrio(s) on {indicator} (its targeting "
                          "indicator) and population{on_outcome} (caliper {caliper} standard "
                          "deviations); windows run from its adoption month.",
                    "es": "El programa se despliega como lo define el escenario. Cada barrio "
                          "al que llega tras al menos {before} meses sin él se empareja con "
                          "{neighbours} barrio(s) nunca tratado(s) según {indicator} (su "
                          "indicador de focalización) y población{on_outcome} (calibre de "
                          "{caliper} desviaciones estándar); los períodos se cuentan desde el "
                          "mes en que lo adopta."},
    "set_on_outcome": {"en": ", and its incidents before adoption",
                       "es": ", y sus incidentes antes de la adopción"},
    "set_dose": {"en": "Dose-response: {setting} = {values} (the same assignments at every dose).",
                 "es": "Dosis-respuesta: {setting} = {values} (las mismas asignaciones en cada "
                       "dosis)."},
    "set_scenario": {"en": "Scenario: **{title}** (`{name}`; files {files}).",
                     "es": "Escenario: **{title}** (`{name}`; archivos {files})."},
    "set_city": {"en": "City: {population} inhabitants in {barrios} barrios ({width} × "
                       "{height}); one simulated person per {per_agent} inhabitants ({agents} "
                       "agents).",
                 "es": "Ciudad: {population} habitantes en {barrios} barrios ({width} × "
                       "{height}); una persona simulada por cada {per_agent} habitantes "
                       "({agents} agentes)."},
    "set_run": {"en": "Simulated period: {first} to {last} ({years} years), after {burn} days "
                      "of burn-in.",
                "es": "Período simulado: del {first} al {last} ({years} años), tras {burn} días "
                      "de calentamiento."},
    "set_replications": {"en": "Replications: {replications}, seed {seed} (replication k runs "
                               "on child k of `SeedSequence(seed)`, its assignment on that "
                               "child's child 0).",
                         "es": "Réplicas: {replications}, semilla {seed} (la réplica k usa el "
                               "hijo k de `SeedSequence(semilla)` y su asignación, el hijo 0 "
                               "de ese hijo)."},
    "set_arms": {"en": "Barrios per area (mean over replications): {arms}.",
                 "es": "Barrios por grupo (promedio de las réplicas): {arms}."},
    "arm_treatment": {"en": "treated", "es": "tratados"},
    "arm_control": {"en": "control", "es": "control"},
    "arm_catchment": {"en": "catchment", "es": "zona de influencia"},
    "arm_control_catchment": {"en": "controls' catchment", "es": "zona de influencia de los controles"},
    "arm_covered": {"en": "already covered", "es": "ya cubiertos"},
    "arm_other": {"en": "other", "es": "otros"},
    "arm_treated_adopters": {"en": "adopting barrios", "es": "barrios que lo adoptan"},
    "arm_dropped_outside_caliper": {"en": "dropped (no control within the caliper)",
                                    "es": "descartados (sin control dentro del calibre)"},
    "arm_control_units": {"en": "matched controls", "es": "controles emparejados"},
    # indicators (the balance table and the design)
    "ind_disadvantage": {"en": "disadvantage", "es": "desventaja social"},
    "ind_disorder": {"en": "disorder", "es": "desorden físico"},
    "ind_darkness": {"en": "darkness", "es": "oscuridad (falta de alumbrado)"},
    "ind_incidents": {"en": "incidents", "es": "incidentes"},
    "ind_fear": {"en": "fear", "es": "temor"},
    "ind_population": {"en": "population", "es": "población"},
    "ind_incidents_pre": {"en": "incidents a month before the start",
                          "es": "incidentes al mes antes del inicio"},
    # effects
    "effects": {"en": "Effects", "es": "Efectos"},
    "comparisons": {"en": "Comparisons", "es": "Comparaciones"},
    "cmp_direct": {"en": "direct: treated against control barrios",
                   "es": "directa: barrios tratados frente a barrios de control"},
    "cmp_catchment": {"en": "catchment: untreated barrios next to treated ones against the "
                            "controls' neighbours (far controls in a catchment design)",
                      "es": "zona de influencia: barrios sin tratar vecinos de los tratados "
                            "frente a los vecinos de los controles (controles lejanos en un "
                            "diseño con zonas de influencia)"},
    "cmp_net": {"en": "net: treated barrios and their catchment against controls and theirs",
                "es": "neta: barrios tratados y su zona de influencia frente a los controles "
                      "y la suya"},
    "cmp_naive": {"en": "naive: treated against untreated barrio-months after the start "
                        "(biased)",
                  "es": "ingenua: barrios-mes tratados frente a no tratados después del "
                        "inicio (sesgada)"},
    "short_direct": {"en": "direct", "es": "directa"},
    "short_catchment": {"en": "catchment", "es": "zona de influencia"},
    "short_net": {"en": "net", "es": "neta"},
    "short_naive": {"en": "naive", "es": "ingenua"},
    "effects_how": {
        "en": "Counts (incidents, arrests, residents victimized) are the difference in "
              "differences of rates, log[(T_after/T_before) / (C_after/C_before)], shown as a "
              "% change; shares (feeling safe, legitimacy) are the difference in differences "
              "in percentage points (pp). Cohen's d is the difference in the barrios' mean "
              "change over its pooled standard deviation (in standard deviations). Each value "
              "is the mean over replications with its 95% interval: how precisely the model's "
              "effect is known. *Single trials* is the range (2.5th to 97.5th percentile) "
              "that one trial of this size would report, and *trials significant* the share "
              "of them whose own 95% interval (clustered by barrio) excludes zero: the power "
              "of such a trial.",
        "es": "Los conteos (incidentes, detenciones, residentes victimizados) son la "
              "diferencia en diferencias de las tasas, log[(T_después/T_antes) / "
              "(C_después/C_antes)], expresada como cambio porcentual; las proporciones "
              "(sentirse seguro, legitimidad) son la diferencia en diferencias en puntos "
              "porcentuales (p. p.). La d de Cohen es la diferencia en el cambio medio de los "
              "barrios dividida para su desviación estándar combinada (en desviaciones "
              "estándar). Cada valor es el promedio de las réplicas con su intervalo del "
              "95 %: la precisión con que se conoce el efecto del modelo. *Ensayos "
              "individuales* es el rango (percentiles 2,5 a 97,5) que reportaría un solo "
              "ensayo de este tamaño, y *ensayos significativos*, la proporción de ellos "
              "cuyo propio intervalo del 95 % (agrupado por barrio) excluye el cero: la "
              "potencia de un ensayo así."},
    "col_dose": {"en": "dose", "es": "dosis"},
    "col_comparison": {"en": "comparison", "es": "comparación"},
    "col_outcome": {"en": "outcome", "es": "resultado"},
    "col_effect": {"en": "effect (% or pp) [95% interval]",
                   "es": "efecto (% o p. p.) [intervalo del 95 %]"},
    "col_trials": {"en": "single trials (95%)", "es": "ensayos individuales (95 %)"},
    "col_d": {"en": "Cohen's d (SD) [95% interval]",
              "es": "d de Cohen (DE) [intervalo del 95 %]"},
    "col_significant": {"en": "trials significant", "es": "ensayos significativos"},
    "to": {"en": "to", "es": "a"},
    "figure_effects": {"en": "effects", "es": "efectos"},
    "by_group": {"en": "By group", "es": "Por grupo"},
    "by_group_note": {"en": "Direct comparison, in the headline measure (% change or pp) "
                            "with its 95% interval.",
                      "es": "Comparación directa, en la medida principal (% de cambio o "
                            "p. p.) con su intervalo del 95 %."},
    "everyone": {"en": "everyone", "es": "toda la población"},
    # displacement
    "displacement": {"en": "Displacement and diffusion", "es": "Desplazamiento y difusión"},
    "displacement_how": {
        "en": "The weighted displacement quotient (Bowers & Johnson 2003) is "
              "WDQ = (B_a/C_a − B_b/C_b) / (R_a/C_a − R_b/C_b) for the treated area R, its "
              "catchment B and the control C, before (b) and after (a). It is read only when "
              "the success measure (the denominator) is negative: WDQ > 0 means a diffusion "
              "of benefits, WDQ < 0 displacement, WDQ < −1 displacement larger than the direct "
              "effect. *Pooled* sums the counts over replications (the stabler estimate); per "
              "trial, the mean over the trials where it is defined. The measures have no "
              "unit (ratios of rates).",
        "es": "El cociente ponderado de desplazamiento (WDQ; Bowers y Johnson 2003) es "
              "WDQ = (B_d/C_d − B_a/C_a) / (R_d/C_d − R_a/C_a) para el área tratada R, su zona "
              "de influencia B y el control C, antes (a) y después (d). Solo se interpreta "
              "cuando la medida de éxito (el denominador) es negativa: WDQ > 0 indica difusión "
              "de beneficios; WDQ < 0, desplazamiento; WDQ < −1, un desplazamiento mayor que "
              "el efecto directo. *Agregado* suma los conteos de todas las réplicas (la "
              "estimación más estable); *por ensayo*, el promedio de los ensayos en que está "
              "definido. Las medidas no tienen unidad (son razones de tasas)."},
    "col_success": {"en": "success measure", "es": "medida de éxito"},
    "col_buffer": {"en": "buffer measure", "es": "medida de la zona de influencia"},
    "col_wdq_pooled": {"en": "WDQ (pooled)", "es": "WDQ (agregado)"},
    "col_wdq_trial": {"en": "WDQ per trial: mean [95% interval] (trials)",
                      "es": "WDQ por ensayo: promedio [intervalo del 95 %] (ensayos)"},
    "col_reading": {"en": "reading", "es": "lectura"},
    "wdq_no_effect": {"en": "no direct effect to displace (success measure ≥ 0)",
                      "es": "no hay efecto directo que desplazar (medida de éxito ≥ 0)"},
    "wdq_noise": {"en": "neither displacement nor diffusion detected (the catchment's change "
                        "is within noise)",
                  "es": "no se detecta desplazamiento ni difusión (el cambio en la zona de "
                        "influencia está dentro del ruido)"},
    "wdq_diffusion_large": {"en": "diffusion of benefits larger than the direct effect",
                            "es": "difusión de beneficios mayor que el efecto directo"},
    "wdq_diffusion": {"en": "diffusion of benefits", "es": "difusión de beneficios"},
    "wdq_displacement_small": {"en": "displacement, smaller than the direct effect",
                               "es": "desplazamiento, menor que el efecto directo"},
    "wdq_none": {"en": "no catchment change", "es": "sin cambio en la zona de influencia"},
    "wdq_displacement_large": {"en": "displacement larger than the direct effect",
                               "es": "desplazamiento mayor que el efecto directo"},
    # balance
    "balance": {"en": "Are the arms comparable?", "es": "¿Son comparables los grupos?"},
    "balance_how": {"en": "Standardized mean differences of each barrio's indicators on the "
                          "start day and its monthly incidents before the start (treated minus "
                          "control, over the root mean of their variances, in standard "
                          "deviations; |SMD| < 0.1 is the usual standard of balance).",
                    "es": "Diferencias de medias estandarizadas de los indicadores de cada "
                          "barrio el día de inicio y de sus incidentes mensuales antes del "
                          "inicio (tratados menos controles, divididas para la raíz de la media "
                          "de sus varianzas, en desviaciones estándar; |DME| < 0,1 es el "
                          "criterio usual de equilibrio)."},
    "balance_matched": {"en": "Before matching, the programme's barrios against every "
                              "never-treated one; after, against their matched controls. A "
                              "treated barrio without a control within the caliper is dropped: "
                              "the effect is then for the treated barrios that have comparable "
                              "untreated ones.",
                        "es": "Antes del emparejamiento, los barrios del programa frente a "
                              "todos los nunca tratados; después, frente a sus controles "
                              "emparejados. Un barrio tratado sin control dentro del calibre "
                              "se descarta: el efecto corresponde entonces a los barrios "
                              "tratados que tienen barrios sin tratar comparables."},
    "col_covariate": {"en": "indicator", "es": "indicador"},
    "stage_at assignment": {"en": "at assignment", "es": "al asignar"},
    "stage_before matching": {"en": "before matching", "es": "antes de emparejar"},
    "stage_after matching": {"en": "after matching", "es": "después de emparejar"},
    "figure_events": {"en": "event study", "es": "estudio de eventos"},
    "events_how": {"en": "The event study shows the treated-minus-control contrast by month "
                         "from the start, relative to its mean before the start: flat before 0 "
                         "when the arms were comparable.",
                   "es": "El estudio de eventos muestra el contraste tratados menos controles "
                         "por mes desde el inicio, respecto de su promedio antes del inicio: "
                         "plano antes del 0 cuando los grupos eran comparables."},
    # reading
    "reading": {"en": "How to read this", "es": "Cómo leer este informe"},
    "reading_1": {"en": "This is the model's answer under its assumptions, measured as "
                        "evaluators measure it: the programme's barrios are compared with "
                        "barrios chosen the same way (randomization or matching), never with "
                        "the barrios the programme passed over.",
                  "es": "Es la respuesta del modelo bajo sus supuestos, medida como la miden "
                        "los evaluadores: los barrios del programa se comparan con barrios "
                        "elegidos de la misma manera (al azar o por emparejamiento), nunca con "
                        "los barrios que el programa dejó de lado."},
    "reading_2": {"en": "Effects in the model are set by its parameters (docs/parameters.md); "
                        "`barrios evidence` holds them against published evaluations "
                        "(results/evidence/).",
                  "es": "Los efectos del modelo dependen de sus parámetros "
                        "(docs/parameters.md); `barrios evidence` los contrasta con "
                        "evaluaciones publicadas (results/evidence/)."},
    "reading_3": {"en": "Intervals cover the model's own randomness (who meets whom, who is "
                        "victimized), not the uncertainty in its parameters (`barrios "
                        "sensitivity`).",
                  "es": "Los intervalos cubren el azar propio del modelo (quién se encuentra "
                        "con quién, quién es victimizado), no la incertidumbre de sus "
                        "parámetros (`barrios sensitivity`)."},
    # figures
    "fig_pct": {"en": "% change", "es": "% de cambio"},
    "fig_pp": {"en": "percentage points", "es": "puntos porcentuales"},
    "fig_dose": {"en": "dose {dose}", "es": "dosis {dose}"},
    "fig_forest": {"en": "{programme}: effects ({design}), mean and 95% interval over "
                         "replications",
                   "es": "{programme}: efectos ({design}), promedio e intervalo del 95 % de "
                         "las réplicas"},
    "fig_log_ratio": {"en": "log ratio, treated / control", "es": "log de la razón, tratados / control"},
    "fig_months": {"en": "months from the start", "es": "meses desde el inicio"},
    "fig_events": {"en": "Event study: treated minus control, relative to the months before "
                         "(flat before 0 when the arms are comparable)",
                   "es": "Estudio de eventos: tratados menos controles, respecto de los meses "
                         "previos (plano antes del 0 si los grupos son comparables)"},
    "terminal_note": {"en": "Effects: mean over replications [95% interval]; single trials: "
                            "the range one trial of this size would see; {replications} "
                            "replications.",
                      "es": "Efectos: promedio de las réplicas [intervalo del 95 %]; ensayos "
                            "individuales: el rango que vería un solo ensayo de este tamaño; "
                            "{replications} réplicas."},
    "terminal_catchment": {"en": "Catchment (Bowers & Johnson 2003):",
                           "es": "Zona de influencia (Bowers y Johnson 2003):"},
}
UNITS = {"percent_change": {"en": "%", "es": "\u00a0%"},
         "points": {"en": "\u00a0pp", "es": "\u00a0p.\u00a0p."},
         "cohens_d": {"en": "\u00a0SD", "es": "\u00a0DE"}}
MAIN = ("percent_change", "points")


def write_outputs(result: EvaluationResult, folder: Path | None = None, lang: str = "en",
                  published: str = "") -> list[Path]:
    folder = Path(folder or result.folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"effects.csv": lambda p: result.effects.to_csv(p, index=False),
             "effects.parquet": lambda p: result.effects.to_parquet(p, index=False),
             "estimates.parquet": lambda p: result.estimates.to_parquet(p, index=False),
             "event_study.csv": lambda p: result.events.to_csv(p, index=False),
             "balance.csv": lambda p: result.balance.to_csv(p, index=False),
             "arms.csv": lambda p: result.arms.to_csv(p, index=False),
             "effects.png": lambda p: forest_figure(result, p, lang),
             "event_study.png": lambda p: event_figure(result, p, lang)}
    for name, write in files.items():
        write(folder / name)
    md, page = render("evaluation", lang, strings, **context(result, lang, published),
                      stored=result.report is None)  # read_stored: no run behind this call
    (folder / "report.md").write_text(md, encoding="utf-8")
    (folder / "report.html").write_text(page, encoding="utf-8")
    return [folder / n for n in (*files, "report.md", "report.html")]


def read_stored(loaded: LoadedEvaluation, folder: Path) -> EvaluationResult:
    """The result whose tables ``write_outputs`` wrote in ``folder`` (no run): for writing
    its report again, e.g. in another language. ``loaded`` is taken with the replications
    the tables hold, so the settings stated are those the runs used."""
    from dataclasses import replace

    estimates = pd.read_parquet(folder / "estimates.parquet")
    replications = int(estimates["run_id"].nunique()
                       / max(estimates["dose"].nunique(dropna=False), 1))
    loaded = replace(loaded, spec=loaded.spec.model_copy(update={"replications": replications}))
    return EvaluationResult(loaded, None, folder, pd.read_parquet(folder / "effects.parquet"),
                            estimates, pd.read_csv(folder / "event_study.csv"),
                            pd.read_csv(folder / "balance.csv"), pd.read_csv(folder / "arms.csv"))


# --- words and numbers ---------------------------------------------------------------------


def day(date, lang: str = "en") -> str:
    """A date as people write it: 'July 1, 2023' / '1 de julio de 2023'."""
    from babel.dates import format_date

    return format_date(date, format="long", locale="es_EC" if lang == "es" else "en_US")


def with_unit(x, measure: str, lang: str, digits: int = 1, sign: bool = True) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return fmt(x, digits, sign, lang) + UNITS[measure][lang]


def outcome_label(outcome: str, group: str = "everyone", lang: str = "en") -> str:
    label = EFFECT_OUTCOMES[outcome].label(lang)
    return label if group == "everyone" else f"{label} ({group_label(group, lang)})"


def group_label(group: str, lang: str = "en") -> str:
    if group == "everyone":
        return translator(strings, lang)("everyone")
    return GROUP_LABELS[group][1 if lang == "es" else 0]


def indicator_label(name: str, lang: str = "en") -> str:
    key = f"ind_{name}"
    return translator(strings, lang)(key) if key in strings else name


def design_label(kind: str, lang: str = "en") -> str:
    return translator(strings, lang)(f"kind_{kind}")


def effect_text(row, lang: str = "en") -> str:
    digits = 3 if row["measure"] == "cohens_d" else 1
    main = with_unit(row["mean"], row["measure"], lang, digits)
    return f"{main} {interval(row['ci_low'], row['ci_high'], digits, lang)}".strip()


def _has_doses(result: EvaluationResult) -> bool:
    return result.loaded.design.dose is not None


# --- tables -------------------------------------------------------------------------------------


def main_rows(result: EvaluationResult, group: str = "everyone") -> pd.DataFrame:
    """The headline measure (% change for counts, points for shares) and Cohen's d, one
    row per dose, comparison and outcome."""
    e = result.effects
    return e[(e["group"] == group) & e["measure"].isin([*MAIN, "cohens_d"])]


def effects_table(result: EvaluationResult, lang: str = "en") -> list[dict]:
    t = translator(strings, lang)
    rows = []
    for (dose, comparison, outcome), df in main_rows(result).groupby(
            ["dose", "comparison", "outcome"], sort=False, dropna=False):
        main = df[df["measure"] != "cohens_d"].iloc[0]
        d = df[df["measure"] == "cohens_d"]
        row = {t("col_dose"): fmt(dose, 3, lang=lang)} if _has_doses(result) else {}
        row.update({
            t("col_comparison"): t(f"short_{comparison}"),
            t("col_outcome"): outcome_label(outcome, lang=lang),
            t("col_effect"): effect_text(main, lang),
            t("col_trials"): f"{with_unit(main['trial_low'], main['measure'], lang)} {t('to')} "
                             f"{with_unit(main['trial_high'], main['measure'], lang)}",
            t("col_d"): "—" if d.empty else effect_text(d.iloc[0], lang),
            t("col_significant"): pct(main["significant_share"], 0, lang)})
        rows.append(row)
    return rows


def group_table(result: EvaluationResult, lang: str = "en") -> list[dict]:
    t = translator(strings, lang)
    e = result.effects
    e = e[(e["comparison"] == "direct") & e["measure"].isin(MAIN)]
    rows = []
    for (dose, outcome), df in e.groupby(["dose", "outcome"], sort=False, dropna=False):
        if not EFFECT_OUTCOMES[outcome].by_group:
            continue
        row = {t("col_dose"): fmt(dose, 3, lang=lang)} if _has_doses(result) else {}
        row[t("col_outcome")] = outcome_label(outcome, lang=lang)
        for _, r in df.iterrows():
            row[group_label(r["group"], lang)] = effect_text(r, lang)
        rows.append(row)
    return rows


def catchment_table(result: EvaluationResult, lang: str = "en") -> list[dict]:
    t = translator(strings, lang)
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
        row = {t("col_dose"): fmt(dose, 3, lang=lang)} if _has_doses(result) else {}
        row.update({
            t("col_outcome"): outcome_label(outcome, lang=lang),
            t("col_success"): fmt(v["pooled_success_measure"], 3, True, lang),
            t("col_buffer"): fmt(v["pooled_buffer_measure"], 3, True, lang),
            t("col_wdq_pooled"): fmt(v["pooled_wdq"], 2, True, lang),
            t("col_wdq_trial"): "—" if rep is None else
            f"{fmt(rep['mean'], 2, True, lang)} {interval(rep['ci_low'], rep['ci_high'], 2, lang)} "
            f"({int(rep['replications'])})",
            t("col_reading"): t(read_wdq(v["pooled_wdq"], v["pooled_success_measure"],
                                         change.loc[(dose, outcome)]
                                         if (dose, outcome) in change.index else None))})
        rows.append(row)
    return rows


def read_wdq(wdq: float, success: float, catchment=None) -> str:
    """Bowers & Johnson's reading of a WDQ (a key of ``strings``), once the catchment's own
    change (its % change against the controls' catchment, ``catchment``) is told apart
    from noise."""
    if not math.isfinite(success) or success >= 0:
        return "wdq_no_effect"
    if catchment is not None and catchment["ci_low"] <= 0 <= catchment["ci_high"]:
        return "wdq_noise"
    if wdq > 1:
        return "wdq_diffusion_large"
    if wdq > 0:
        return "wdq_diffusion"
    if wdq > -1:
        return "wdq_displacement_small" if wdq < 0 else "wdq_none"
    return "wdq_displacement_large"


def balance_table(result: EvaluationResult, lang: str = "en") -> list[dict]:
    t = translator(strings, lang)
    b = result.balance
    if b.empty:
        return []
    wide = b.pivot_table(index="covariate", columns="stage", values="smd", aggfunc="mean")
    return [{t("col_covariate"): indicator_label(c, lang),
             **{t(f"stage_{stage}"): fmt(wide.loc[c, stage], 3, True, lang)
                for stage in wide.columns}}
            for c in wide.index]


def arms_text(result: EvaluationResult, lang: str = "en") -> str:
    t = translator(strings, lang)
    arms = result.arms.drop(columns="dose").mean().to_dict() if len(result.arms) else {}
    return ", ".join(f"{t(f'arm_{k}') if f'arm_{k}' in strings else k}: {fmt(v, 0, lang=lang)}"
                     for k, v in arms.items())


# --- the settings as run ----------------------------------------------------------------------


def eligible_text(result: EvaluationResult, lang: str) -> str:
    t, d, loaded = translator(strings, lang), result.loaded.design, result.loaded
    indicator = indicator_label(loaded.indicator, lang)
    if d.count:
        return t("eligible_count", count=fmt(d.count, 0, lang=lang), indicator=indicator)
    if d.eligible_share < 1:
        return t("eligible_share", share=pct(d.eligible_share, 0, lang), indicator=indicator)
    return t("eligible_all")


def design_lines(result: EvaluationResult, lang: str = "en") -> list[str]:
    """The design as run: programme, windows, who was treated, doses."""
    t, loaded, d = translator(strings, lang), result.loaded, result.loaded.design
    entry = INTERVENTIONS[loaded.spec.programme]
    lines = [t("set_programme", label=entry.label(lang), code=loaded.spec.programme,
               design=design_label(d.kind, lang)),
             t("set_windows", start=day(loaded.start, lang), before=d.pre_months, after=d.post_months,
               follow=d.follow_up_months)]
    if d.kind == "matched":
        on_outcome = d.matching.on_outcome
        if on_outcome is None:
            on_outcome = loaded.indicator == "incidents"
        lines.append(t("set_matched", before=d.pre_months, neighbours=d.matching.neighbours,
                       indicator=indicator_label(loaded.indicator, lang),
                       on_outcome=t("set_on_outcome") if on_outcome else "",
                       caliper=fmt(d.matching.caliper, 2, lang=lang)))
    else:
        lines.append(t("set_assigned", eligible=eligible_text(result, lang),
                       share=pct(d.share, 0, lang),
                       blocks=t("set_blocks", blocks=d.strata) if d.strata else "",
                       far=t("set_far", far=d.far) if d.kind == "catchment" else "",
                       catchment=t("set_catchment", steps=d.catchment) if d.catchment else ""))
    if d.dose is not None:
        lines.append(t("set_dose", setting=f"`{d.dose.key}`",
                       values=("; " if lang == "es" else ", ").join(  # '0,1, 0,9' misreads
                           fmt(v, 3, lang=lang) for v in d.dose.values)))
    return lines


def run_lines(result: EvaluationResult, lang: str = "en") -> list[str]:
    """The scenario, the city's scale, the simulated period and the replications as run."""
    t, loaded = translator(strings, lang), result.loaded
    window = loaded.window
    s = window.scenario
    city, run = s.city, s.run
    files = " → ".join(f"`{shown_path(p)}`" for p in window.chain)
    return [t("set_scenario", title=scenario_title(s, lang), name=s.name, files=files),
            t("set_city", population=fmt(city.population, 0, lang=lang),
              barrios=fmt(city.width * city.height, 0, lang=lang), width=city.width,
              height=city.height, per_agent=fmt(city.inhabitants_per_agent, 0, lang=lang),
              agents=fmt(round(city.population / city.inhabitants_per_agent), 0, lang=lang)),
            t("set_run", first=day(run.start, lang), last=day(run.end, lang), years=fmt(run.years, 2, lang=lang),
              burn=run.burn_in_days),
            t("set_replications", replications=loaded.spec.replications, seed=loaded.spec.seed),
            t("set_arms", arms=arms_text(result, lang))]


def settings_document(loaded: LoadedEvaluation) -> dict:
    """The evaluation file and the scenario as the runs used them."""
    scenario = loaded.window.scenario.model_dump(mode="json")
    # the evaluation's seed and replications are the ones the runs used, not the scenario's
    scenario["run"].update(seed=loaded.spec.seed, replications=loaded.spec.replications)
    return {"evaluation": loaded.spec.model_dump(mode="json"), "scenario": scenario}


def shown_path(path: Path) -> str:
    """A path relative to the repository when inside it (a report names no home folders)."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return os.path.relpath(path).replace(os.sep, "/") if path.is_relative_to(Path.cwd()) \
            else path.name


# --- the summary --------------------------------------------------------------------------------


def change_text(row, lang: str) -> str:
    """'incidents fell by 16.1% (95% interval [15.2, 17.1])' or 'no clear change'."""
    t = translator(strings, lang)
    outcome = outcome_label(row["outcome"], row["group"], lang)
    low, high = row["ci_low"], row["ci_high"]
    if not (math.isfinite(low) and math.isfinite(high)) or low <= 0 <= high:
        return t("unclear", outcome=outcome, value=with_unit(row["mean"], row["measure"], lang),
                 interval_name=t("interval_95"), interval=interval(low, high, 1, lang))
    key = "fell" if row["mean"] < 0 else "rose"
    low, high = sorted((abs(low), abs(high)))
    return t(key, outcome=outcome, value=with_unit(abs(row["mean"]), row["measure"], lang,
                                                   sign=False),
             interval_name=t("interval_95"), interval=interval(low, high, 1, lang))


def summary(result: EvaluationResult, lang: str = "en", published: str = "") -> str:
    """The first paragraph; ``published``: how the effect stands against published studies
    (``evidence_report.published_sentence``), said after the effects."""
    t, loaded, d = translator(strings, lang), result.loaded, result.loaded.design
    who = (t("who_matched") if d.kind == "matched" else
           t("who_assigned", share=pct(d.share, 0, lang), eligible=eligible_text(result, lang)))
    parts = [t("summary_design", programme=INTERVENTIONS[loaded.spec.programme].label(lang),
               design=design_label(d.kind, lang), scenario=scenario_title(loaded.window.scenario, lang),
               who=who, start=day(loaded.start, lang), after=d.post_months, before=d.pre_months,
               replications=loaded.spec.replications)]
    e = result.effects
    direct = e[(e["comparison"] == "direct") & (e["group"] == "everyone") & e["measure"].isin(MAIN)]
    for dose, df in direct.groupby("dose", sort=False, dropna=False):
        effects = "; ".join(change_text(r, lang) for _, r in df.iterrows())
        parts.append(t("summary_effects", effects=effects) if pd.isna(dose) else
                     t("summary_dose", setting=f"`{d.dose.key}`", dose=fmt(dose, 3, lang=lang),
                       effects=effects))
    parts.append(published)
    parts.append(t("summary_caveat"))
    return " ".join(p for p in parts if p)


# --- the report ------------------------------------------------------------------------------


def context(result: EvaluationResult, lang: str = "en", published: str = "") -> dict:
    t, loaded = translator(strings, lang), result.loaded
    catchment = catchment_table(result, lang)
    command = f"barrios evaluate {shown_path(loaded.path)}" + (" --lang es" if lang == "es" else "")
    return {"title": t("title", programme=INTERVENTIONS[loaded.spec.programme].label(lang),
                       design=design_label(loaded.design.kind, lang)),
            "summary": summary(result, lang, published),
            "description": loaded.spec.description if lang == "en" else "",
            "design": design_lines(result, lang), "run": run_lines(result, lang),
            "comparisons": [t(f"cmp_{c}") for c in dict.fromkeys(result.effects["comparison"])],
            "effects": markdown_table(effects_table(result, lang)),
            "groups": markdown_table(group_table(result, lang)),
            "catchment": markdown_table(catchment) if catchment else "",
            "balance": markdown_table(balance_table(result, lang)),
            "matched": loaded.design.kind == "matched",
            "settings": settings_toml(settings_document(loaded)),
            "command": command, **provenance()}


def terminal_text(result: EvaluationResult, lang: str = "en") -> str:
    t, loaded = translator(strings, lang), result.loaded
    lines = [context_title(result, lang), "", *design_lines(result, lang), "",
             pd.DataFrame(effects_table(result, lang)).to_string(index=False)]
    catchment = catchment_table(result, lang)
    if catchment:
        lines += ["", t("terminal_catchment"), pd.DataFrame(catchment).to_string(index=False)]
    lines += ["", t("terminal_note", replications=loaded.spec.replications)]
    return "\n".join(lines)


def context_title(result: EvaluationResult, lang: str = "en") -> str:
    loaded = result.loaded
    return translator(strings, lang)("title", programme=INTERVENTIONS[loaded.spec.programme]
                                     .label(lang), design=design_label(loaded.design.kind, lang))


# --- figures -------------------------------------------------------------------------------------


def forest_figure(result: EvaluationResult, path: Path, lang: str = "en"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = translator(strings, lang)
    e = result.effects
    e = e[e["measure"].isin(MAIN) & (e["comparison"] != "naive")]
    panels = [m for m in MAIN if (e["measure"] == m).any()]
    doses = e["dose"].drop_duplicates().tolist()
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 0.32 * len(e) / max(len(panels), 1) + 2.2),
                             dpi=100, squeeze=False)
    for ax, measure in zip(axes[0], panels):
        df = e[e["measure"] == measure]
        labels = list(dict.fromkeys(zip(df["comparison"], df["outcome"], df["group"])))
        index = {k: i for i, k in enumerate(labels)}
        for j, dose in enumerate(doses):
            sub = df[(df["dose"] == dose) | (pd.isna(dose) & df["dose"].isna())]
            y = [index[k] + 0.15 * (j - (len(doses) - 1) / 2)
                 for k in zip(sub["comparison"], sub["outcome"], sub["group"])]
            err = [[max(m - lo, 0) for m, lo in zip(sub["mean"], sub["ci_low"].fillna(sub["mean"]))],
                   [max(hi - m, 0) for m, hi in zip(sub["mean"], sub["ci_high"].fillna(sub["mean"]))]]
            ax.errorbar(sub["mean"], y, xerr=err, fmt="o", ms=4, capsize=2,
                        label=None if pd.isna(dose) else t("fig_dose", dose=fmt(dose, 3, lang=lang)))
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(labels)), [f"{t(f'short_{c}')}: {outcome_label(o, g, lang)}"
                                           for c, o, g in labels], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel(t("fig_pct") if measure == "percent_change" else t("fig_pp"))
        ax.grid(axis="x", alpha=0.3)
        decimal_axes(ax, lang)
        if len(doses) > 1:
            ax.legend(fontsize=7)
    loaded = result.loaded
    fig.suptitle(t("fig_forest", programme=INTERVENTIONS[loaded.spec.programme].label(lang),
                   design=design_label(loaded.design.kind, lang)), fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def event_figure(result: EvaluationResult, path: Path, lang: str = "en"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = translator(strings, lang)
    ev = result.events
    outcomes = list(dict.fromkeys(ev["outcome"]))
    cols = min(3, len(outcomes))
    rows = math.ceil(len(outcomes) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), dpi=100, squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        for dose, df in ev[ev["outcome"] == outcome].groupby("dose", dropna=False):
            ax.plot(df["offset"], df["mean"], lw=1.2,
                    label=None if pd.isna(dose) else fmt(dose, 3, lang=lang))
            ax.fill_between(df["offset"], df["ci_low"], df["ci_high"], alpha=0.25)
        ax.axvline(-0.5, color="black", lw=0.8)
        ax.axhline(0, color="grey", lw=0.6)
        kind = EFFECT_OUTCOMES[outcome].kind
        ax.set_title(outcome_label(outcome, lang=lang), fontsize=9)
        ax.set_ylabel(t("fig_log_ratio") if kind == "count" else t("fig_pp"), fontsize=7)
        ax.set_xlabel(t("fig_months"), fontsize=7)
        ax.tick_params(labelsize=7)
        decimal_axes(ax, lang)
    finish_grid(fig, axes, len(outcomes), t("fig_events"), path)

