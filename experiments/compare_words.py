"""The words of the comparison report (``compare_report`` and ``templates/compare.md.j2``),
in English and in Spanish as a Quito official would read it. Keys not here come from
``experiments.reporting.COMMON``."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    # --- headings ---------------------------------------------------------------------------
    "title": {"en": "Barrios: comparing scenarios",
              "es": "Barrios: comparación de escenarios"},
    "h_compared": {"en": "What was compared", "es": "Qué se comparó"},
    "h_results": {"en": "Results", "es": "Resultados"},
    "h_paired": {"en": "Difference against {reference}",
                 "es": "Diferencia frente a {reference}"},
    "h_groups": {"en": "Who feels safe at the end", "es": "Quién se siente seguro al final"},
    "h_sure": {"en": "How sure are we", "es": "Qué tan seguros son estos resultados"},
    "h_assumptions": {"en": "Assumptions", "es": "Supuestos"},
    # --- table columns and short words ------------------------------------------------------
    "scenario": {"en": "scenario", "es": "escenario"},
    "where": {"en": "where", "es": "dónde"},
    "short_public": {"en": "public spaces", "es": "espacios públicos"},
    "short_neighbourhood": {"en": "neighbourhood", "es": "barrio"},
    "cost_per_pp": {"en": "US$ M per pp, {measure}", "es": "US$ M por pp, {measure}"},
    "extra_cost_per_pp": {"en": "extra US$ M per extra pp, {measure}",
                          "es": "US$ M adicionales por pp adicional, {measure}"},
    "extra_cost": {"en": "extra cost", "es": "costo adicional"},
    "no_gain": {"en": "no gain", "es": "sin ganancia"},
    "one_year": {"en": "1 year", "es": "1 año"},
    "years": {"en": "{years} years", "es": "{years} años"},
    "no_programmes": {"en": "no programme", "es": "ningún programa"},
    "reference_runs": {"en": "**{title}** (the reference) runs {programmes}.",
                       "es": "**{title}** (la referencia) aplica {programmes}."},
    "changes": {"en": "**{title}** changes {programmes}; everything else is as in the "
                      "reference.",
                "es": "**{title}** cambia {programmes}; todo lo demás, como en la referencia."},
    "other_parameters": {"en": "**{title}** runs the reference's programmes with other model "
                               "parameters.",
                         "es": "**{title}** tiene los programas de la referencia con otros "
                               "parámetros del modelo."},
    "same_settings": {"en": "**{title}** has the reference's programmes and parameters.",
                      "es": "**{title}** tiene los mismos programas y parámetros que la "
                            "referencia."},
    "setting_start": {"en": "start", "es": "inicio"},
    "setting_years": {"en": "length", "es": "duración"},
    "setting_population": {"en": "inhabitants", "es": "habitantes"},
    "setting_barrios": {"en": "barrios", "es": "barrios"},
    "setting_scale": {"en": "inhabitants per agent", "es": "habitantes por agente"},
    "setting_agents": {"en": "agents", "es": "agentes"},
    # --- what ran ---------------------------------------------------------------------------
    "settings_same": {
        "en": "Every scenario was simulated for {years} from {start}, on a city of "
              "{population} inhabitants in {barrios} barrios, with one simulated resident "
              "(agent) for every {scale} inhabitants ({agents} agents).",
        "es": "Cada escenario se simuló durante {years} desde el {start}, en una ciudad de "
              "{population} habitantes en {barrios} barrios, con un residente simulado "
              "(agente) por cada {scale} habitantes ({agents} agentes)."},
    "settings_differ": {"en": "The scenarios ran with these settings:",
                        "es": "Los escenarios se simularon con esta configuración:"},
    "replications": {
        "en": "Each scenario ran {replications} times; run k of every scenario used the same "
              "random numbers (seed {seed}), so the differences between scenarios are not "
              "blurred by chance differences between runs.",
        "es": "Cada escenario se simuló {replications} veces; la simulación k de todos los "
              "escenarios usó los mismos números aleatorios (semilla {seed}), de modo que las "
              "diferencias entre escenarios no se confunden con diferencias por azar entre "
              "simulaciones."},
    "compared_intro": {"en": "The first scenario is the reference; the others are measured "
                             "against it.",
                       "es": "El primer escenario es la referencia; los demás se miden frente "
                             "a él."},
    # --- the first paragraph ----------------------------------------------------------------
    "only_one": {"en": "Only one scenario was run, so there is nothing to compare it with.",
                 "es": "Solo se simuló un escenario, así que no hay con qué compararlo."},
    "best_both": {
        "en": "Compared with *{reference}*, **{best}** raises perceived safety most: the "
              "share of residents who feel safe in public spaces rises {public}, and in their "
              "own neighbourhood {neighbourhood}, {cost} over {years}.",
        "es": "Frente a *{reference}*, **{best}** es el escenario que más eleva la percepción "
              "de seguridad: la proporción de personas que se sienten seguras en espacios "
              "públicos sube {public}, y en su propio barrio {neighbourhood}, {cost} en {years}."},
    "best_one": {
        "en": "Compared with *{reference}*, the scenario that most raises the share of "
              "residents who feel safe {measure} is **{best}**: {gain}, {cost} over {years}.",
        "es": "Frente a *{reference}*, el escenario que más eleva la proporción de personas "
              "que se sienten seguras {measure} es **{best}**: {gain}, {cost} en {years}."},
    "best_other": {
        "en": "{measure_cap}, it is **{best}**: {gain}, {cost} over {years}.",
        "es": "{measure_cap}, es **{best}**: {gain}, {cost} en {years}."},
    "no_rise": {"en": "No scenario raises the share of residents who feel safe {measure} "
                      "above *{reference}*.",
                "es": "Ningún escenario eleva la proporción de personas que se sienten seguras "
                      "{measure} por encima de *{reference}*."},
    "gain": {"en": "{value} percentage points more", "es": "{value} puntos porcentuales más"},
    "gain_interval": {"en": "{value} percentage points more (95% interval {low} to {high})",
                      "es": "{value} puntos porcentuales más (intervalo del 95 %: {low} a "
                            "{high})"},
    "cost_more": {"en": "at an extra cost of US$ {amount} million",
                  "es": "con un costo adicional de US$ {amount} millones"},
    "cost_less": {"en": "while costing US$ {amount} million less",
                  "es": "con un costo US$ {amount} millones menor"},
    "cost_same": {"en": "at no extra cost", "es": "sin costo adicional"},
    "it_clear": {"en": "This rise is larger than the chance variation between simulation "
                       "runs (its 95% interval does not include zero).",
                 "es": "Este aumento es mayor que la variación por azar entre simulaciones "
                       "(su intervalo del 95 % no incluye el cero)."},
    "it_unclear": {"en": "This rise is not larger than the chance variation between "
                         "simulation runs (its 95% interval includes zero): it may be chance.",
                   "es": "Este aumento no supera la variación por azar entre simulaciones (su "
                         "intervalo del 95 % incluye el cero): puede deberse al azar."},
    "both_clear": {"en": "Both rises are larger than the chance variation between simulation "
                         "runs (their 95% intervals do not include zero).",
                   "es": "Ambos aumentos son mayores que la variación por azar entre "
                         "simulaciones (sus intervalos del 95 % no incluyen el cero)."},
    "neither_clear": {"en": "Neither rise is larger than the chance variation between "
                            "simulation runs (their 95% intervals include zero): they may be "
                            "chance.",
                      "es": "Ninguno de los dos aumentos supera la variación por azar entre "
                            "simulaciones (sus intervalos del 95 % incluyen el cero): pueden "
                            "deberse al azar."},
    "one_clear": {"en": "The rise {clear} is larger than the chance variation between "
                        "simulation runs (its 95% interval does not include zero); the rise "
                        "{unclear} is not, and may be chance.",
                  "es": "El aumento {clear} es mayor que la variación por azar entre "
                        "simulaciones (su intervalo del 95 % no incluye el cero); el aumento "
                        "{unclear} no lo es y puede deberse al azar."},
    "model_caveat": {"en": "These are the model's answers under its assumptions (below), not "
                           "a forecast.",
                     "es": "Son respuestas del modelo bajo sus supuestos (ver abajo), no un "
                           "pronóstico."},
    # --- results ----------------------------------------------------------------------------
    "results_note": {
        "en": "Values are means over the {replications} runs with their 95% intervals in "
              "brackets. Changes in perceived safety are from the start to the end of the run, "
              "in percentage points (pp); victimization is the share of residents victimized "
              "in the last 12 months, at the end (%); severe violence is per 100,000 "
              "inhabitants a year; cost is the total over the run in millions of US dollars "
              "(US$ M); US$ M per pp is the cost of each point of perceived safety gained.",
        "es": "Los valores son promedios de las {replications} simulaciones, con su intervalo "
              "del 95 % entre corchetes. Los cambios en la percepción de seguridad van del "
              "inicio al final de la simulación, en puntos porcentuales (pp); la victimización "
              "es el porcentaje de residentes victimizados en los últimos 12 meses, al final "
              "(%); la violencia grave es por cada 100.000 habitantes al año; el costo es el "
              "total del período en millones de dólares (US$ M); US$ M por pp es el costo de "
              "cada punto de percepción de seguridad ganado."},
    "paired_note": {
        "en": "Each scenario minus the reference, run by run (paired on the same random "
              "numbers), mean and 95% interval; a share's difference is in percentage points. "
              "For US$ M per pp: the extra cost of each extra point of perceived safety; "
              "*no clear gain* where the gain's interval includes zero and *no gain* where "
              "safety falls (a price per point then means nothing); '[x, ∞)' where the gain "
              "may be so small that the cost per point has no upper bound.",
        "es": "Cada escenario menos la referencia, simulación por simulación (emparejadas con "
              "los mismos números aleatorios), promedio e intervalo del 95 %; la diferencia "
              "de un porcentaje está en puntos porcentuales. En US$ M por pp: el costo "
              "adicional de cada punto adicional de percepción de seguridad; *sin ganancia "
              "clara* cuando el intervalo de la ganancia incluye el cero y *sin ganancia* "
              "cuando la seguridad baja (entonces un precio por punto no tiene sentido); "
              "'[x; ∞)' cuando la ganancia puede ser tan pequeña que el costo por punto no "
              "tiene límite superior."},
    "cost_gain_note": {
        "en": "Extra cost (across) against extra percentage points of residents who feel "
              "safe (up), for each scenario against the reference, with 95% intervals both "
              "ways. Up and to the left is better: more safety for less money.",
        "es": "Costo adicional (horizontal) frente a puntos porcentuales adicionales de "
              "personas que se sienten seguras (vertical), de cada escenario frente a la "
              "referencia, con intervalos del 95 % en ambos ejes. Arriba y a la izquierda es "
              "mejor: más seguridad por menos dinero."},
    "groups_note": {"en": "Share of each group that feels safe at the end of the run (%), "
                          "mean over the runs.",
                    "es": "Porcentaje de cada grupo que se siente seguro al final de la "
                          "simulación (%), promedio de las simulaciones."},
    # --- how sure, assumptions --------------------------------------------------------------
    "sure_noise": {
        "en": "The intervals show how much the results vary from run to run of the same "
              "scenario (chance in who meets whom, who is victimized, who talks with whom). "
              "A difference whose interval excludes zero is larger than this noise.",
        "es": "Los intervalos muestran cuánto varían los resultados de una simulación a otra "
              "del mismo escenario (el azar de quién se encuentra con quién, quién es "
              "victimizado, quién conversa con quién). Una diferencia cuyo intervalo no "
              "incluye el cero es mayor que esa variación."},
    "sure_params": {
        "en": "They do not include uncertainty about the model's parameters: see `barrios "
              "sensitivity` and the policy-robustness table of the calibration "
              "(results/calibration/README.md).",
        "es": "No incluyen la incertidumbre sobre los parámetros del modelo: ver `barrios "
              "sensitivity` y la tabla de robustez de las políticas en la calibración "
              "(results/calibration/README.md)."},
    "assume_calibrated": {
        "en": "Intervention effects on crime start from meta-analyses; the perception and "
              "offending parameters are calibrated jointly (history matching) to the 2023 and "
              "2025 survey figures (41% → 50% feel safe in public spaces, 51% → 62% in their "
              "neighbourhood), 8 homicides per 100,000, a victimization level and published "
              "effects of the programmes, each measured by its evaluation design in the "
              "model; see docs/calibration.md and docs/parameters.md.",
        "es": "Los efectos de las intervenciones sobre el delito parten de metaanálisis; los "
              "parámetros de percepción y de delincuencia se calibraron en conjunto (history "
              "matching) con las cifras de las encuestas de 2023 y 2025 (41 % → 50 % se siente "
              "seguro en espacios públicos, 51 % → 62 % en su barrio), 8 homicidios por "
              "100.000 habitantes, un nivel de victimización y los efectos publicados de los "
              "programas, cada uno medido en el modelo con el diseño de su evaluación; ver "
              "docs/calibration.md y docs/parameters.md."},
    "assume_costs": {"en": "Costs use each scenario's unit costs (assumptions documented in "
                           "the scenario files), booked daily from the start date.",
                     "es": "Los costos usan los costos unitarios de cada escenario (supuestos "
                           "documentados en los archivos de escenario), contabilizados a "
                           "diario desde la fecha de inicio."},
    "assume_city": {"en": "The simulated city is like Quito, not Quito's real barrios.",
                    "es": "La ciudad simulada se parece a Quito; no son los barrios reales "
                          "de Quito."},
    # --- terminal and figures ---------------------------------------------------------------
    "terminal_head": {"en": "Compared {scenarios} scenarios, {replications} runs each on "
                            "common random numbers. Mean [95% interval].",
                      "es": "Se compararon {scenarios} escenarios, {replications} simulaciones "
                            "cada uno con números aleatorios comunes. Promedio [intervalo del "
                            "95 %]."},
    "terminal_paired": {"en": "Difference against {reference}, run by run:",
                        "es": "Diferencia frente a {reference}, simulación por simulación:"},
    "figure_levels": {"en": "Scenarios: mean and 95% interval over runs",
                      "es": "Escenarios: promedio e intervalo del 95 % entre simulaciones"},
    "figure_cost_gain": {"en": "Extra cost and extra perceived safety against {reference} "
                               "(mean and 95% interval)",
                         "es": "Costo adicional y seguridad percibida adicional frente a "
                               "{reference} (promedio e intervalo del 95 %)"},
    "panel_public": {"en": "Feel safe in public spaces", "es": "Se sienten seguros en "
                                                               "espacios públicos"},
    "panel_neighbourhood": {"en": "Feel safe in their neighbourhood",
                            "es": "Se sienten seguros en su barrio"},
    "alt_levels": {"en": "each scenario's outcomes", "es": "resultados de cada escenario"},
    "alt_cost_gain": {"en": "extra cost against extra perceived safety",
                      "es": "costo adicional frente a seguridad percibida adicional"},
    "axis_cost": {"en": "extra cost (US$ M)", "es": "costo adicional (US$ M)"},
    "axis_gain": {"en": "extra percentage points", "es": "puntos porcentuales adicionales"},
}
