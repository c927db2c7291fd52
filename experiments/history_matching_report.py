"""What a history-matching calibration writes (to its ``results`` folder, else the run
folder): parameters.csv, observations.csv, validation.csv, waves.csv, design.parquet,
nroy.parquet (the candidates not ruled out), predictions.png, nroy.png,
README.md/report.html in English or Spanish (``lang``), and (with ``write_scenario``) the
calibrated scenario.

The report opens with a paragraph an official can read: what was fitted, whether the
fit converged by its own checks (the space not ruled out settling over the waves, the
emulators passing their validation), and how the held-out observations were predicted.
``read_stored`` rebuilds the tables from a results folder, so the report can be written
again (e.g. in Spanish) without running or refitting anything."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from experiments import posterior
from experiments.evaluation_report import STORED_NOTE, day, outcome_label, shown_path
from experiments.history_matching import LoadedMatching, MatchResult, from_posterior, write_scenario
from experiments.parameter_names import parameter_name, parameter_unit
from experiments.plots import finish_grid
from experiments.reporting import (decimal_axes, fmt, markdown_table, pct, provenance, render,
                                   settings_toml, translator)
from experiments.scenario_files import scenario_title
from simulation.interventions import INTERVENTIONS
from simulation.outcomes import OUTCOMES
from simulation.parameters import PARAMETERS

PASS = 0.95   # the share of held-back runs the emulators' 95% intervals must hold
SETTLED = 0.5  # the refocusing has settled when the last wave shrinks the space by less than half

strings: dict[str, dict[str, str]] = {
    "stored_note": STORED_NOTE,
    "title": {"en": "Joint calibration: {name}", "es": "Calibración conjunta: {name}"},
    # the summary
    "summary_fit": {
        "en": "We fitted {parameters} of the model's parameters ({names}) to {observations} "
              "observations ({what}) by history matching: {waves} waves of simulations "
              "({points} parameter sets, each run once for the plan, the baseline and each "
              "evaluation design), with statistical emulators ruling out the parameter "
              "values that cannot reproduce the observations.",
        "es": "Ajustamos {parameters} parámetros del modelo ({names}) a {observations} "
              "observaciones ({what}) mediante *history matching*: {waves} rondas de "
              "simulaciones ({points} combinaciones de parámetros, cada una corrida una vez "
              "para el plan, la línea base y cada diseño de evaluación), con emuladores "
              "estadísticos que descartan los valores de los parámetros que no pueden "
              "reproducir las observaciones."},
    "what_survey": {"en": "{n} survey and city figures", "es": "{n} cifras de la encuesta y de la ciudad"},
    "what_evidence": {"en": "{n} published effects of programmes",
                      "es": "{n} efectos publicados de programas"},
    "and": {"en": "and", "es": "y"},
    "more": {"en": "{n} more", "es": "{n} más"},
    "summary_converged": {"en": "By its own checks the calibration has converged.",
                          "es": "Según sus propios controles, la calibración ha convergido."},
    "summary_not_converged": {"en": "By its own checks the calibration has not fully converged.",
                              "es": "Según sus propios controles, la calibración no ha "
                                    "convergido del todo."},
    "summary_settled": {
        "en": "The share of the parameter space not ruled out went from {first} after the "
              "first wave to {last} after the last, and the last wave did not halve it: the "
              "search has settled.",
        "es": "La parte del espacio de parámetros no descartada pasó del {first} tras la "
              "primera ronda al {last} tras la última, y la última ronda no la redujo a la "
              "mitad: la búsqueda se ha estabilizado."},
    "summary_shrinking": {
        "en": "The share of the parameter space not ruled out went from {first} after the "
              "first wave to {last} after the last, and the last wave more than halved it: "
              "more waves could still narrow it.",
        "es": "La parte del espacio de parámetros no descartada pasó del {first} tras la "
              "primera ronda al {last} tras la última, y la última ronda la redujo a menos "
              "de la mitad: más rondas todavía podrían acotarla."},
    "summary_one_wave": {"en": "One wave left {last} of the parameter space not ruled out; "
                               "with one wave there is no settling to judge.",
                         "es": "Una sola ronda dejó sin descartar el {last} del espacio de "
                               "parámetros; con una sola ronda no se puede juzgar si la "
                               "búsqueda se estabilizó."},
    "summary_emulators_pass": {
        "en": "The emulators pass their validation: {pooled} of held-back runs fall inside "
              "their 95% intervals over all outputs, and no output is clearly below 95% "
              "({passed} of {count} reach it on their own; the lowest holds {low}).",
        "es": "Los emuladores pasan su validación: el {pooled} de las corridas reservadas cae "
              "dentro de sus intervalos del 95 % en todos los resultados, y ninguno queda "
              "claramente por debajo del 95 % ({passed} de {count} lo alcanzan por sí solos; "
              "el más bajo cubre el {low})."},
    "summary_emulators_fail": {
        "en": "The emulators fail their validation: {pooled} of held-back runs fall inside "
              "their 95% intervals over all outputs, and {below} of {count} outputs are "
              "clearly below 95% (the lowest holds {low}), so their intervals are {narrow} "
              "and the set not ruled out may be smaller than it should be.",
        "es": "Los emuladores no pasan su validación: el {pooled} de las corridas reservadas "
              "cae dentro de sus intervalos del 95 % en todos los resultados, y {below} de "
              "{count} quedan claramente por debajo del 95 % (el más bajo cubre el {low}), "
              "así que sus intervalos son {narrow} y el conjunto no descartado puede ser más "
              "pequeño de lo debido."},
    "narrow": {"en": "too narrow", "es": "demasiado estrechos"},
    "slightly_narrow": {"en": "slightly too narrow", "es": "algo estrechos"},
    "summary_holdouts": {"en": "Held out of the fit and predicted from it: {items}.",
                         "es": "Se dejaron fuera del ajuste y se predijeron con él: {items}."},
    "holdout_item": {"en": "{name}, observed {observed}, predicted {low} to {high} (90%{how}): "
                           "{verdict}",
                     "es": "{name}, observado {observed}, predicho de {low} a {high} (90 %{how}): "
                           "{verdict}"},
    "holdout_posterior": {"en": ", posterior; over the set not ruled out without it {low} to "
                                "{high}",
                          "es": ", a posteriori; sobre el conjunto no descartado sin ella, de "
                                "{low} a {high}"},
    "holdout_agrees": {"en": "agrees", "es": "coincide"},
    "holdout_misses": {"en": "does not agree", "es": "no coincide"},
    "holdout_wide": {"en": "The hold-outs test the fit honestly only as far as their intervals "
                           "are narrow: a wide prediction agrees easily.",
                     "es": "Las observaciones reservadas ponen a prueba el ajuste solo en la "
                           "medida en que sus intervalos son estrechos: una predicción amplia "
                           "coincide con facilidad."},
    "summary_no_holdouts": {"en": "Nothing was held out: the fit is not tested on data it did "
                                  "not see.",
                            "es": "No se reservó ninguna observación: el ajuste no se prueba "
                                  "con datos que no vio."},
    # settings
    "settings": {"en": "The settings as run", "es": "La configuración usada"},
    "set_file": {"en": "Calibration file: `{file}`; seed {seed}.",
                 "es": "Archivo de calibración: `{file}`; semilla {seed}."},
    "set_scenario": {"en": "Plan: **{title}** (`{name}`); baseline: **{baseline}** (`{baseline_name}`).",
                     "es": "Plan: **{title}** (`{name}`); línea base: **{baseline}** "
                           "(`{baseline_name}`)."},
    "set_city": {"en": "City: {population} inhabitants in {barrios} barrios ({width} × {height}); "
                       "one simulated person per {per_agent} inhabitants ({agents} agents).",
                 "es": "Ciudad: {population} habitantes en {barrios} barrios ({width} × "
                       "{height}); una persona simulada por cada {per_agent} habitantes "
                       "({agents} agentes)."},
    "set_run": {"en": "Simulated period: {first} to {last} ({years} years), after {burn} days "
                      "of burn-in; each evaluation design over its own window.",
                "es": "Período simulado: del {first} al {last} ({years} años), tras {burn} días "
                      "de calentamiento; cada diseño de evaluación en su propio período."},
    "set_scale": {"en": "The survey describes the full city: each run's output is emulated with "
                        "what the full city adds to the calibration's city (measured; its "
                        "uncertainty is part of the discrepancy): {shifts}.",
                  "es": "La encuesta describe la ciudad entera: cada resultado se emula con lo "
                        "que la ciudad entera suma a la de la calibración (medido; su "
                        "incertidumbre es parte de la discrepancia): {shifts}."},
    "set_waves": {"en": "Waves: {waves} of {points} parameter sets; {candidates} candidates per "
                        "wave; cut-off {cutoff} (implausibility); {share} of runs held back to "
                        "validate the emulators.",
                  "es": "Rondas: {waves} de {points} combinaciones de parámetros; {candidates} "
                        "candidatos por ronda; umbral de {cutoff} (implausibilidad); el {share} "
                        "de las corridas se reserva para validar los emuladores."},
    "set_sensitivity": {"en": "Sensitivity: {samples} Sobol base samples, {groups} jackknife "
                              "groups{design}.",
                        "es": "Sensibilidad: {samples} muestras base de Sobol, {groups} grupos "
                              "de jackknife{design}."},
    "set_design": {"en": "; a design of {points} points × {replications} replications in the box",
                   "es": "; un diseño de {points} puntos × {replications} réplicas en la caja"},
    "set_robustness": {"en": "Robustness: {draws} draws from the posterior, {replications} "
                             "replication(s) per draw and scenario.",
                       "es": "Robustez: {draws} combinaciones de la distribución a posteriori, "
                             "{replications} réplica(s) por combinación y escenario."},
    # waves
    "waves": {"en": "Waves", "es": "Rondas"},
    "col_wave": {"en": "wave", "es": "ronda"},
    "col_points": {"en": "parameter sets", "es": "combinaciones"},
    "col_runs": {"en": "runs", "es": "corridas"},
    "col_from": {"en": "drawn from", "es": "tomadas de"},
    "from_prior": {"en": "the priors (Latin hypercube)", "es": "los rangos iniciales (hipercubo latino)"},
    "from_not_ruled_out": {"en": "the set not ruled out", "es": "el conjunto no descartado"},
    "from_posterior": {"en": "the posterior", "es": "la distribución a posteriori"},
    "col_failed": {"en": "failed", "es": "fallidas"},
    "col_fitted": {"en": "emulators fitted to (parameter sets)",
                   "es": "emuladores ajustados con (combinaciones)"},
    "col_share": {"en": "share of the prior space not ruled out",
                  "es": "proporción del espacio inicial no descartada"},
    "waves_how": {
        "en": "*Emulators fitted to*: the parameter sets (of every wave so far) inside the "
              "region the earlier waves left (largest implausibility below {cutoff} + 1 under "
              "each earlier wave's emulators); each wave's emulators need to be right only "
              "there. *Share not ruled out*: the share of uniform candidates over the priors "
              "that no wave's emulators rule out (largest implausibility below {cutoff}): the "
              "volume left.{nroy}",
        "es": "*Emuladores ajustados con*: las combinaciones (de todas las rondas hasta esa) "
              "dentro de la región que dejaron las rondas anteriores (implausibilidad máxima "
              "menor que {cutoff} + 1 con los emuladores de cada ronda anterior); los "
              "emuladores de cada ronda solo necesitan acertar ahí. *Proporción no "
              "descartada*: la proporción de candidatos uniformes sobre los rangos iniciales "
              "que ningún emulador descarta (implausibilidad máxima menor que {cutoff}): el "
              "volumen que queda.{nroy}"},
    "nroy_count": {"en": " {count} candidates are not ruled out after the last.",
                   "es": " {count} candidatos quedan sin descartar tras la última."},
    # parameters
    "parameters": {"en": "The calibrated parameters", "es": "Los parámetros calibrados"},
    "parameters_how": {
        "en": "The calibrated value is the most plausible candidate not ruled out (the "
              "smallest sum of squared implausibilities); the 5–95% range is over the "
              "not-ruled-out candidates; *prior from* says whether the prior came from "
              "evaluation studies (`barrios params`, *Ranges from evaluation studies*) or the "
              "plausible range.",
        "es": "El valor calibrado es el candidato no descartado más plausible (la menor suma "
              "de implausibilidades al cuadrado); el rango del 5 al 95 % se calcula sobre los "
              "candidatos no descartados; *rango inicial de* indica si el rango inicial vino "
              "de estudios de evaluación (`barrios params`, *Ranges from evaluation studies*) "
              "o del rango plausible."},
    "col_parameter": {"en": "parameter", "es": "parámetro"},
    "col_code": {"en": "name in files", "es": "nombre en los archivos"},
    "col_unit": {"en": "unit", "es": "unidad"},
    "col_prior": {"en": "prior range", "es": "rango inicial"},
    "col_prior_from": {"en": "prior from", "es": "rango inicial de"},
    "col_calibrated": {"en": "calibrated", "es": "calibrado"},
    "col_before": {"en": "value before", "es": "valor anterior"},
    "col_nroy": {"en": "not ruled out, 5–95%", "es": "no descartado, 5–95 %"},
    "col_posterior_range": {"en": "posterior, 5–95%", "es": "a posteriori, 5–95 %"},
    "posterior_how": {
        "en": "The posterior weighs the candidates not ruled out by how well they meet the "
              "observations not held out (a Gaussian likelihood with the implausibility's "
              "variances; importance sampling, effective sample size {ess} of {draws} draws): "
              "the not-ruled-out range says what is still possible, the posterior what is "
              "likely.",
        "es": "La distribución a posteriori pondera los candidatos no descartados según lo "
              "bien que cumplen las observaciones no reservadas (verosimilitud gaussiana con "
              "las varianzas de la implausibilidad; muestreo por importancia, tamaño efectivo "
              "{ess} de {draws} extracciones): el rango no descartado dice lo que aún es "
              "posible; la distribución a posteriori, lo que es probable."},
    "from_evidence": {"en": "evaluation studies", "es": "estudios de evaluación"},
    "from_plausible": {"en": "plausible range", "es": "rango plausible"},
    "figure_nroy": {"en": "not ruled out", "es": "no descartado"},
    # observations
    "targets": {"en": "Targets and hold-outs", "es": "Objetivos y observaciones reservadas"},
    "targets_how": {
        "en": "Shares in percent, severe violence per 100,000 a year, evidence in the entry's "
              "measure (% change or percentage points). *Not ruled out, 90%* is the emulators' "
              "prediction of the model's mean over the candidates no observation rules out "
              "(the parameters' uncertainty and the emulator's, not a single run's noise); "
              "*posterior, 90%* the same over the posterior, which weighs those candidates by "
              "the observations not held out. A held-out observation is the test: it was left "
              "out of the waves and of the posterior, so its posterior interval is predicted "
              "without it, and the last column gives the prediction over the candidates the "
              "other observations leave. *Agrees*: a survey figure lies inside the model's "
              "interval (for a held-out one, its posterior interval); a published effect's "
              "interval or null band (shown as observed) meets the model's. The calibrated "
              "values use every observation.",
        "es": "Proporciones en porcentaje, violencia grave por 100.000 habitantes al año, "
              "evidencia en la medida de la entrada (% de cambio o puntos porcentuales). *No "
              "descartado, 90 %* es la predicción de los emuladores del promedio del modelo "
              "sobre los candidatos que ninguna observación descarta (la incertidumbre de los "
              "parámetros y la del emulador, no el ruido de una sola corrida); *a posteriori, "
              "90 %*, lo mismo sobre la distribución a posteriori, que pondera esos candidatos "
              "según las observaciones no reservadas. Una observación reservada es la prueba: "
              "se dejó fuera de las rondas y de la distribución a posteriori, así que su "
              "intervalo a posteriori se predice sin ella, y la última columna da la "
              "predicción sobre los candidatos que dejan las demás observaciones. *Coincide*: "
              "una cifra de la encuesta cae dentro del intervalo del modelo (para una "
              "reservada, su intervalo a posteriori); el intervalo "
              "o la banda nula de un efecto publicado (mostrado como observado) se cruza con "
              "el del modelo. Los valores calibrados usan todas las observaciones."},
    "col_observation": {"en": "observation", "es": "observación"},
    "col_observed": {"en": "observed", "es": "observado"},
    "col_at_best": {"en": "at the calibrated point", "es": "en el punto calibrado"},
    "col_nroy_90": {"en": "not ruled out, 90%", "es": "no descartado, 90 %"},
    "col_posterior_90": {"en": "posterior, 90%", "es": "a posteriori, 90 %"},
    "col_holdout": {"en": "held out: not ruled out without it, 90%",
                    "es": "reservada: no descartado sin ella, 90 %"},
    "col_agrees": {"en": "agrees", "es": "coincide"},
    "yes": {"en": "yes", "es": "sí"},
    "no": {"en": "no", "es": "no"},
    "held_out": {"en": "held out", "es": "reservada"},
    "to": {"en": "to", "es": "a"},
    "evidence_label": {"en": "{programme}: {outcome}", "es": "{programme}: {outcome}"},
    "figure_predictions": {"en": "predictions", "es": "predicciones"},
    # validation
    "validation": {"en": "Are the emulators right?", "es": "¿Aciertan los emuladores?"},
    "validation_how": {
        "en": "Cross-validation of each output's last emulator: the runs it was fitted to "
              "(those in the last region) split at random into {folds} folds, each held back "
              "once and predicted by the emulator refitted to the others, so every run is a "
              "held-back run once. The share inside the 95% predictive interval for a single "
              "run (the target is 95%) comes with its 95% interval (Clopper-Pearson): "
              "{passed} of the emulators reach 95%, {consistent} have 95% inside their interval; "
              "over all outputs {mean} of held-back runs are inside. RMSE and run "
              "noise are in the output's unit (shares 0–1, severe violence per 100,000, "
              "evidence in its measure).",
        "es": "Validación cruzada del último emulador de cada resultado: las corridas con que "
              "se ajustó (las de la última región) se reparten al azar en {folds} grupos; cada "
              "grupo se reserva una vez y se predice con el emulador reajustado a los demás, "
              "así que cada corrida queda reservada una vez. La proporción dentro del "
              "intervalo predictivo del 95 % para una sola corrida (la meta es el 95 %) va "
              "con su intervalo del 95 % (Clopper-Pearson): {passed} de los emuladores llegan "
              "al 95 % y en {consistent} el 95 % cae dentro de su intervalo; en todos "
              "los resultados, el {mean} de las corridas reservadas cae dentro. El RMSE y el "
              "ruido de una corrida están en la unidad del resultado (proporciones de 0 a 1, "
              "violencia grave por 100.000, evidencia en su medida)."},
    "validation_refits": {
        "en": " Each output's emulator is a mixture of {refits} refits, each fitted without "
              "one {refits}th of its runs: it predicts their average, and its variance adds "
              "their spread (a delete-a-group jackknife) to their average variance, so its "
              "intervals carry how much the fit itself moves with the runs it is given "
              "(`[matching] refits`; `experiments/emulator.py`). The mixture checked in "
              "each fold is refitted from the other folds' runs alone.",
        "es": " El emulador de cada resultado es una mezcla de {refits} reajustes, cada uno "
              "sin una parte de {refits} de sus corridas: predice su promedio, y su varianza "
              "suma su dispersión (un jackknife por grupos) a su varianza media, de modo que "
              "sus intervalos recogen cuánto se mueve el propio ajuste con las corridas que "
              "recibe (`[matching] refits`; `experiments/emulator.py`). La mezcla que se "
              "valida en cada grupo se reajusta solo con las corridas de los demás."},
    "col_output": {"en": "output", "es": "resultado"},
    "col_held_back": {"en": "runs held back", "es": "corridas reservadas"},
    "col_inside": {"en": "inside the 95% interval", "es": "dentro del intervalo del 95 %"},
    "col_inside_ci": {"en": "its 95% interval", "es": "su intervalo del 95 %"},
    "col_rmse": {"en": "RMSE", "es": "RMSE"},
    "col_noise": {"en": "run noise (SD)", "es": "ruido de una corrida (DE)"},
    "out_plan_minus_baseline_safe_public_change": {
        "en": "Δ feel safe in public spaces, plan minus baseline",
        "es": "Δ se sienten seguros en espacios públicos, plan menos línea base"},
    "out_plan_minus_baseline_safe_neighbourhood_change": {
        "en": "Δ feel safe in their neighbourhood, plan minus baseline",
        "es": "Δ se sienten seguros en su barrio, plan menos línea base"},
    # sensitivity
    "sensitivity": {"en": "Sensitivity: which assumptions the rises rest on",
                    "es": "Sensibilidad: de qué supuestos dependen los aumentos"},
    "sensitivity_how": {
        "en": "Sobol indices over {where} (`box_low`, `box_high` in sensitivity.csv), "
              "computed on the emulators fitted to {fitted} (Oakley & "
              "O'Hagan 2004; `experiments/emulator_sensitivity.py`) "
              "with {samples} base samples. An index is the share of the output's variance a "
              "parameter explains (0 to 1). Each interval adds the Monte Carlo error and the "
              "emulator's own uncertainty (a delete-a-group jackknife: the indices recomputed "
              "on emulators refitted without each tenth of what they were fitted to). "
              "{resolved} of {count} "
              "total-order indices are resolved to ±0.05 (widest half-width {widest}). *ST, "
              "half the samples* is the convergence check.",
        "es": "Índices de Sobol sobre {where} (`box_low`, `box_high` en sensitivity.csv), "
              "calculados con los emuladores ajustados a {fitted} "
              "(Oakley y O'Hagan 2004; "
              "`experiments/emulator_sensitivity.py`) con {samples} muestras base. Un índice "
              "es la parte de la varianza del resultado que explica un parámetro (de 0 a 1). "
              "Cada intervalo suma el error de Monte Carlo y la incertidumbre propia del "
              "emulador (un jackknife por grupos: los índices recalculados con emuladores "
              "reajustados sin cada décima parte de aquello a lo que se ajustaron). "
              "{resolved} de {count} "
              "índices totales están resueltos a ±0,05 (mayor semiancho: {widest}). *ST, con "
              "la mitad de las muestras* es el control de convergencia."},
    "box_posterior": {"en": "the box of the posterior's central 90% (each fitted parameter "
                            "from its 5th to its 95th posterior percentile: where the "
                            "evidence puts it)",
                      "es": "la caja del 90 % central de la posterior (cada parámetro "
                            "ajustado, de su percentil 5 a su percentil 95 a posteriori: "
                            "donde lo pone la evidencia)"},
    "box_not_ruled_out": {"en": "the box the candidates not ruled out span (each fitted "
                                "parameter from its smallest to its largest not-ruled-out "
                                "value)",
                          "es": "la caja que abarcan las combinaciones no descartadas (cada "
                                "parámetro ajustado, de su menor a su mayor valor no "
                                "descartado)"},
    "runs_region": {"en": "the {runs} runs of the last region ({inside} of them inside the box)",
                    "es": "las {runs} corridas de la última región ({inside} de ellas dentro "
                          "de la caja)"},
    "runs_inside": {"en": "the {runs} runs inside it", "es": "las {runs} corridas dentro de ella"},
    "runs_design": {"en": "a design of their own: {points} parameter sets drawn in the box (a "
                          "Latin hypercube), each run {replications} times, the plan and the "
                          "baseline on the same streams ({total} runs), each set's mean",
                    "es": "un diseño propio: {points} combinaciones de parámetros en la caja "
                          "(un hipercubo latino), cada una corrida {replications} veces, el plan "
                          "y la línea base con las mismas secuencias ({total} corridas), la "
                          "media de cada combinación"},
    "col_st": {"en": "total (ST) [95%]", "es": "total (ST) [95 %]"},
    "col_s1": {"en": "first order (S1) [95%]", "es": "primer orden (S1) [95 %]"},
    "col_st_half": {"en": "ST, half the samples", "es": "ST, con la mitad de las muestras"},
    "col_resolved": {"en": "resolved (±0.05)", "es": "resuelto (±0,05)"},
    "figure_sensitivity": {"en": "sensitivity", "es": "sensibilidad"},
    # robustness
    "robustness": {"en": "Policy robustness", "es": "Robustez de las políticas"},
    "robustness_how": {
        "en": "{draws} parameter sets drawn from the posterior (by its importance weights); "
              "at each, every scenario "
              "against the reference (*{reference}*) on common random numbers. *Best per "
              "US$*: the largest gain in perceived safety (mean of the two rises, percentage "
              "points) per extra US$ million.",
        "es": "{draws} combinaciones de parámetros tomadas de la distribución a posteriori "
              "(según sus pesos de importancia); en cada una, "
              "cada escenario frente a la referencia (*{reference}*) con los mismos números "
              "aleatorios. *Mejor por US$*: la mayor ganancia en percepción de seguridad "
              "(promedio de los dos aumentos, puntos porcentuales) por cada millón de US$ "
              "adicional."},
    "col_scenario": {"en": "scenario", "es": "escenario"},
    "col_p_best": {"en": "P(best per US$)", "es": "P(mejor por US$)"},
    "col_p_gain": {"en": "P(largest gain)", "es": "P(mayor ganancia)"},
    "col_gain": {"en": "gain (pp, median)", "es": "ganancia (p. p., mediana)"},
    "col_per_usd": {"en": "pp per US$ M, median [5%, 95%]",
                    "es": "p. p. por millón de US$, mediana [5 %; 95 %]"},
    "robustness_flips": {"en": "Which parameters move the margins (Spearman's ρ over the "
                               "draws): between {value_pair} in points per US$ M, and between "
                               "{gain_pair} in points.",
                         "es": "Qué parámetros mueven los márgenes (ρ de Spearman sobre las "
                               "combinaciones): entre {value_pair} en puntos por millón de "
                               "US$, y entre {gain_pair} en puntos."},
    "col_rho_value": {"en": "ρ with the value margin", "es": "ρ con el margen por US$"},
    "col_rho_gain": {"en": "ρ with the gain margin", "es": "ρ con el margen de ganancia"},
    # figures
    "fig_nroy": {"en": "Not ruled out by any observation (histogram over the prior range); "
                       "green: calibrated; dashed: the value before",
                 "es": "No descartado por ninguna observación (histograma sobre el rango "
                       "inicial); verde: calibrado; línea discontinua: el valor anterior"},
    "fig_nroy_range": {"en": "calibrated; 5–95% not ruled out", "es": "calibrado; 5–95 % no descartado"},
    "fig_not_ruled_out": {"en": "not ruled out (90%)", "es": "no descartado (90 %)"},
    "fig_calibrated": {"en": "calibrated", "es": "calibrado"},
    "fig_without": {"en": "predicted without it (90%)", "es": "predicho sin ella (90 %)"},
    "fig_observed": {"en": "observed (95%)", "es": "observado (95 %)"},
    "fig_st": {"en": "total (ST)", "es": "total (ST)"},
    "fig_s1": {"en": "first order (S1)", "es": "primer orden (S1)"},
    "terminal_head": {"en": "History matching: {waves} wave(s), {points} design points; "
                            "{nroy} candidates not ruled out in the last wave.",
                      "es": "History matching: {waves} ronda(s), {points} combinaciones; "
                            "{nroy} candidatos sin descartar en la última ronda."},
    "terminal_validation": {"en": "Emulator validation (held-back runs inside 95% intervals)",
                            "es": "Validación de los emuladores (corridas reservadas dentro "
                                  "del intervalo del 95 %)"},
}


# --- the tables a report reads ------------------------------------------------------------------


@dataclass
class MatchTables:
    """What the report shows, from a fresh result or from a results folder."""

    params: pd.DataFrame
    waves: pd.DataFrame
    predictions: pd.DataFrame
    validation: pd.DataFrame
    nroy: pd.DataFrame | None = None          # None: not stored with these results
    sensitivity: pd.DataFrame | None = None
    robustness: dict | None = None            # ranking, flips, scores (per draw and scenario)
    reanalysed: bool = False                  # made by --reanalyse from a stored design


def tables_of(result: MatchResult) -> MatchTables:
    robust = None if result.robustness is None else {
        k: result.robustness[k] for k in ("ranking", "flips", "scores")}
    return MatchTables(parameter_table(result), waves_table(result), result.predictions,
                       result.validation, result.nroy, result.sensitivity, robust,
                       result.reanalysed)


def read_stored(folder: Path) -> MatchTables:
    """The tables ``write_outputs`` wrote in ``folder`` (nothing is run or refitted)."""
    def optional(name):
        path = folder / name
        if not path.is_file():
            return None
        return pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)

    robust = None
    if (folder / "robustness.csv").is_file():
        robust = {"ranking": optional("robustness.csv"), "flips": optional("robustness_flips.csv"),
                  "scores": optional("robustness_draws.csv")}
    return MatchTables(pd.read_csv(folder / "parameters.csv"), pd.read_csv(folder / "waves.csv"),
                       pd.read_csv(folder / "observations.csv"),
                       pd.read_csv(folder / "validation.csv"), optional("nroy.parquet"),
                       optional("sensitivity.csv"), robust)


def results_folder(result: MatchResult) -> Path:
    return folder_of(result.loaded) or result.folder


def folder_of(loaded: LoadedMatching) -> Path | None:
    spec = loaded.spec
    return (loaded.path.parent / spec.results).resolve() if spec.results else None


def parameter_table(result: MatchResult) -> pd.DataFrame:
    space, nroy = result.loaded.space, result.nroy
    before = result.defaults_before or {}    # a reanalysis keeps the first fit's column
    rows = []
    for i, name in enumerate(space.names):
        values = nroy[name] if len(nroy) else pd.Series(dtype=float)
        rows.append({"parameter": name, "prior_low": space.low[i], "prior_high": space.high[i],
                     "prior_from": "evaluation studies" if PARAMETERS[name].evidence else "plausible range",
                     "calibrated": result.best[name],
                     "default_before": before.get(name, PARAMETERS[name].default),
                     "nroy_5": float(values.quantile(0.05)) if len(values) else math.nan,
                     "nroy_95": float(values.quantile(0.95)) if len(values) else math.nan})
    table = pd.DataFrame(rows)
    if result.posterior is not None and len(result.posterior):
        table = table.merge(posterior.parameter_summary(space, result.posterior), on="parameter")
    return table


def waves_table(result: MatchResult) -> pd.DataFrame:
    spec = result.loaded.spec.matching
    return pd.DataFrame([{"wave": w.number, "points": len(w.points),
                          "points_from": points_from(w.number, spec),
                          "runs": w.report.done + w.report.skipped, "failed": w.report.failed,
                          "emulators_fitted_to": w.region_runs,
                          "non_implausible_share": w.non_implausible_share}
                         for w in result.waves])


def points_from(number: int, spec) -> str:
    """Where wave ``number``'s points were drawn (``history_matching.next_points``)."""
    if number == 1:
        return "prior"
    return "posterior" if from_posterior(spec, number) else "not_ruled_out"


def write_outputs(result: MatchResult, lang: str = "en") -> list[Path]:
    folder = results_folder(result)
    folder.mkdir(parents=True, exist_ok=True)
    tables = tables_of(result)
    files = {"parameters.csv": lambda p: tables.params.to_csv(p, index=False),
             "observations.csv": lambda p: result.predictions.to_csv(p, index=False),
             "validation.csv": lambda p: result.validation.to_csv(p, index=False),
             "waves.csv": lambda p: tables.waves.to_csv(p, index=False),
             "design.parquet": lambda p: result.data.to_parquet(p, index=False),
             "nroy.parquet": lambda p: result.nroy.to_parquet(p, index=False)}
    if result.sensitivity is not None:
        files["sensitivity.csv"] = lambda p: result.sensitivity.to_csv(p, index=False)
    if result.robustness is not None:
        files["robustness.csv"] = lambda p: result.robustness["ranking"].to_csv(p, index=False)
        files["robustness_flips.csv"] = lambda p: result.robustness["flips"].to_csv(p, index=False)
        files["robustness_draws.csv"] = lambda p: result.robustness["scores"].to_csv(p, index=False)
    for name, write in files.items():
        write(folder / name)
    written = [folder / n for n in files] + write_report(result.loaded, tables, folder, lang)
    if result.loaded.spec.write_scenario:
        path = (result.loaded.path.parent / result.loaded.spec.write_scenario).resolve()
        write_scenario(result, path)
        written.append(path)
    return written


def write_report(loaded: LoadedMatching, tables: MatchTables, folder: Path,
                 lang: str = "en", stored: bool = False) -> list[Path]:
    """The figures the tables allow and README.md/report.html in ``lang`` (``stored``:
    the tables come from ``read_stored``, not from a run of this call)."""
    figures = {"predictions.png": lambda p: prediction_figure(tables.predictions, loaded, p, lang)}
    nroy_shown = tables.nroy is not None or (folder / "nroy.png").is_file()  # drawn by the run
    if tables.nroy is not None:
        figures["nroy.png"] = lambda p: nroy_figure(tables, p, lang)
    if tables.sensitivity is not None:
        figures["sensitivity.png"] = lambda p: sensitivity_figure(tables.sensitivity, p, lang)
    for name, draw in figures.items():
        draw(folder / name)
    md, page = render("history_matching", lang, strings,
                      **context(loaded, tables, lang, nroy_shown, stored), stored=stored)
    (folder / "README.md").write_text(md, encoding="utf-8")
    (folder / "report.html").write_text(page, encoding="utf-8")
    return [folder / n for n in (*figures, "README.md", "report.html")]


# --- words ----------------------------------------------------------------------------------------


def observation_label(loaded: LoadedMatching, name: str, lang: str = "en") -> str:
    """An observation's human name: the outcome registry's label, or the evidence entry's
    programme and outcome."""
    t = translator(strings, lang)
    entry = loaded.entries.get(name)
    if entry is not None:
        return t("evidence_label", programme=INTERVENTIONS[entry.programme].label(lang),
                 outcome=outcome_label(entry.outcome, entry.group, lang))
    return output_label(name, lang)


def output_label(name: str, lang: str = "en") -> str:
    if name in OUTCOMES:
        return OUTCOMES[name].label(lang)
    key = f"out_{name}"
    return translator(strings, lang)(key) if key in strings else name


def _is_share(name: str) -> bool:
    """A share 0-1 of the outcome registry (shown in percent); evidence is in its own unit."""
    return name in OUTCOMES and OUTCOMES[name].unit.startswith("share")


def _unit(loaded: LoadedMatching, name: str, lang: str) -> str:
    """The unit an observation is shown in."""
    from experiments.evaluation_report import UNITS

    entry = loaded.entries.get(name)
    if entry is not None:
        return UNITS[entry.measure][lang]
    if _is_share(name):
        return "\u00a0%" if lang == "es" else "%"
    return "\u00a0por 100.000" if lang == "es" else "\u00a0per 100,000"


def value(x, digits: int, lang: str) -> str:
    """A value to ``digits`` significant digits without trailing zeros, in ``lang``'s
    format (0.4, 0.001686, 1,288)."""
    from decimal import Decimal

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):        # a gain at no extra cost (experiments.robustness.per_musd)
        return "∞" if x > 0 else "−∞"
    rounded = float(f"{x:.{digits}g}")
    decimals = max(0, -Decimal(repr(rounded)).normalize().as_tuple().exponent)
    return fmt(rounded, decimals, lang=lang)


def share_text(share: float, lang: str) -> str:
    """A small share as a percentage to two significant digits (0.27%, 0.045%)."""
    return value(100 * share, 2, lang) + ("\u00a0%" if lang == "es" else "%")


def agreement(loaded: LoadedMatching, r) -> tuple[bool, float, float]:
    """Whether an observation agrees, and the interval it is judged by (a held-out one:
    the prediction without it)."""
    held = bool(r["held_out"])
    if held and has_posterior(r):
        low, high = r["posterior_low_90"], r["posterior_high_90"]
    else:
        low, high = ((r["holdout_low_90"], r["holdout_high_90"]) if held
                     else (r["predicted_low_90"], r["predicted_high_90"]))
    entry = loaded.entries.get(r["observation"])
    if entry is not None:
        published = (entry.low, entry.high) if entry.low is not None else (entry.effect,) * 2
        return bool(low <= published[1] and published[0] <= high), low, high
    return bool(low <= r["observed"] <= high), low, high


def has_posterior(r) -> bool:
    """Whether a row of observations.csv carries the posterior's prediction (results
    written before the Bayesian step do not)."""
    value = r.get("posterior_low_90", math.nan)
    return value is not None and not pd.isna(value)


def observed_text(loaded: LoadedMatching, r, lang: str) -> str:
    t = translator(strings, lang)
    entry = loaded.entries.get(r["observation"])
    unit = _unit(loaded, r["observation"], lang)
    if entry is not None:
        published = (entry.low, entry.high) if entry.low is not None else (entry.effect,) * 2
        return f"{fmt(published[0], 1, lang=lang)} {t('to')} {fmt(published[1], 1, lang=lang)}{unit}"
    scale = 100 if _is_share(r["observation"]) else 1
    return f"{fmt(scale * r['observed'], 1, lang=lang)}{unit}"


def observation_rows(loaded: LoadedMatching, predictions: pd.DataFrame,
                     lang: str = "en") -> list[dict]:
    """Each observation: observed, at the calibrated point, over the not-ruled-out set
    of the whole fit, and, for a held-out one, over the set its own fit left (the test).
    A published effect agrees when the model's interval meets the published one (a
    study's interval or null band, not its centre, is what it established)."""
    t = translator(strings, lang)
    rows = []
    for _, r in predictions.iterrows():
        name = r["observation"]
        scale = 100 if _is_share(name) else 1
        unit = _unit(loaded, name, lang)
        held = bool(r["held_out"])
        agrees, low, high = agreement(loaded, r)
        span = lambda a, b: (f"{fmt(scale * a, 1, lang=lang)} {t('to')} "  # noqa: E731
                             f"{fmt(scale * b, 1, lang=lang)}{unit}")
        pm = lambda a, b: f" (±{fmt(scale * (b - a) / 2, 1, lang=lang)})"  # noqa: E731
        rows.append({t("col_observation"): observation_label(loaded, name, lang)
                     + (f" ({t('held_out')})" if held else ""),
                     t("col_observed"): observed_text(loaded, r, lang),
                     t("col_at_best"): f"{fmt(scale * r['predicted_at_best'], 1, lang=lang)}{unit}",
                     t("col_nroy_90"): span(r["predicted_low_90"], r["predicted_high_90"]),
                     **({t("col_posterior_90"): span(r["posterior_low_90"], r["posterior_high_90"])
                         + (pm(r["posterior_low_90"], r["posterior_high_90"]) if held else "")}
                        if has_posterior(r) else {}),
                     t("col_holdout"): span(r["holdout_low_90"], r["holdout_high_90"])
                     + pm(r["holdout_low_90"], r["holdout_high_90"]) if held else "",
                     t("col_agrees"): t("yes") if agrees else t("no")})
    return rows


def parameter_rows(tables: MatchTables, lang: str = "en") -> list[dict]:
    t = translator(strings, lang)
    return [{t("col_parameter"): parameter_name(r.parameter, lang),
             t("col_code"): f"`{r.parameter}`",
             t("col_unit"): parameter_unit(r.parameter, lang),
             t("col_prior"): f"{value(r.prior_low, 4, lang)} {t('to')} {value(r.prior_high, 4, lang)}",
             t("col_prior_from"): t("from_evidence") if r.prior_from == "evaluation studies"
             else t("from_plausible"),
             t("col_calibrated"): value(r.calibrated, 4, lang),
             t("col_before"): value(r.default_before, 4, lang),
             t("col_nroy"): f"{value(r.nroy_5, 4, lang)} {t('to')} {value(r.nroy_95, 4, lang)}",
             **({t("col_posterior_range"): f"{value(r.posterior_5, 4, lang)} {t('to')} "
                                           f"{value(r.posterior_95, 4, lang)}"}
                if "posterior_5" in tables.params else {})}
            for r in tables.params.itertuples()]


def wave_rows(tables: MatchTables, lang: str = "en") -> list[dict]:
    t = translator(strings, lang)
    return [{t("col_wave"): int(r.wave), t("col_points"): fmt(r.points, 0, lang=lang),
             **({t("col_from"): t(f"from_{r.points_from}")} if "points_from" in tables.waves
                else {}),
             t("col_runs"): fmt(r.runs, 0, lang=lang), t("col_failed"): fmt(r.failed, 0, lang=lang),
             t("col_fitted"): fmt(r.emulators_fitted_to, 0, lang=lang),
             t("col_share"): share_text(r.non_implausible_share, lang)}
            for r in tables.waves.itertuples()]


def validation_rows(loaded: LoadedMatching, tables: MatchTables, lang: str = "en") -> list[dict]:
    t = translator(strings, lang)
    return [{t("col_output"): observation_label(loaded, r.output, lang),
             t("col_held_back"): fmt(r.held_back, 0, lang=lang),
             t("col_inside"): pct(r.inside_95, 0, lang),
             **({t("col_inside_ci"): f"{pct(r.inside_95_low, 0, lang)} {t('to')} "
                                     f"{pct(r.inside_95_high, 0, lang)}"}
                if "inside_95_low" in tables.validation else {}),
             t("col_rmse"): value(r.rmse, 3, lang),
             t("col_noise"): value(r.run_noise_sd, 3, lang)}
            for r in tables.validation.itertuples()]


# --- the summary ----------------------------------------------------------------------------------


def summary(loaded: LoadedMatching, tables: MatchTables, lang: str = "en") -> str:
    t = translator(strings, lang)
    names = [parameter_name(n, lang) for n in loaded.space.names]
    shown = ", ".join(names[:4]) + (f" {t('and')} {t('more', n=len(names) - 4)}" if len(names) > 4 else "")
    runs = [o for o in loaded.observations if o.kind == "run"]
    evidence = [o for o in loaded.observations if o.kind == "evidence"]
    what = [t("what_survey", n=len(runs))] if runs else []
    what += [t("what_evidence", n=len(evidence))] if evidence else []
    waves = tables.waves
    parts = [t("summary_fit", parameters=len(names), names=shown,
               observations=len(loaded.observations), what=f" {t('and')} ".join(what),
               waves=len(waves), points=fmt(waves["points"].sum(), 0, lang=lang)),
             t("summary_converged") if converged(tables) else t("summary_not_converged"),
             settling_text(tables, lang), emulator_text(tables, lang), holdout_text(loaded, tables, lang)]
    return " ".join(parts)


def settled(tables: MatchTables) -> bool | None:
    """The history-matching stopping check: the last wave shrank the space not ruled out
    by less than half (None with a single wave)."""
    shares = tables.waves["non_implausible_share"].tolist()
    if len(shares) < 2:
        return None
    return shares[-1] >= SETTLED * shares[-2]


def converged(tables: MatchTables) -> bool:
    return bool(settled(tables)) and emulators_pass(tables.validation)


def emulators_pass(v: pd.DataFrame) -> bool:
    """The emulators' intervals are right as a set: over all outputs at least 95% of the
    held-back runs inside them, and no output clearly below (its Clopper-Pearson interval
    wholly under 95%). Asking each output to reach 95% on its own would fail a perfect
    emulator about half the time per output."""
    return pooled_inside(v) >= PASS and bool((_upper(v) >= PASS).all())


def pooled_inside(v: pd.DataFrame) -> float:
    return float((v["inside_95"] * v["held_back"]).sum() / v["held_back"].sum())


def _upper(v: pd.DataFrame) -> pd.Series:
    """Each output's upper Clopper-Pearson bound (the share itself in tables written
    before the cross-validation had one)."""
    return v["inside_95_high"] if "inside_95_high" in v else v["inside_95"]


def settling_text(tables: MatchTables, lang: str) -> str:
    t = translator(strings, lang)
    shares = tables.waves["non_implausible_share"].tolist()
    first, last = share_text(shares[0], lang), share_text(shares[-1], lang)
    state = settled(tables)
    if state is None:
        return t("summary_one_wave", last=last)
    return t("summary_settled" if state else "summary_shrinking", first=first, last=last)


def emulator_text(tables: MatchTables, lang: str) -> str:
    t, v = translator(strings, lang), tables.validation
    common = {"pooled": pct(pooled_inside(v), 1, lang), "count": len(v),
              "low": pct(v["inside_95"].min(), 1, lang)}
    if emulators_pass(v):
        return t("summary_emulators_pass", passed=int((v["inside_95"] >= PASS).sum()), **common)
    return t("summary_emulators_fail", below=int((_upper(v) < PASS).sum()), **common,
             narrow=t("slightly_narrow" if v["inside_95"].min() >= 0.8 else "narrow"))


def holdout_text(loaded: LoadedMatching, tables: MatchTables, lang: str) -> str:
    t = translator(strings, lang)
    held = tables.predictions[tables.predictions["held_out"].astype(bool)]
    if held.empty:
        return t("summary_no_holdouts")
    items = []
    for _, r in held.iterrows():
        agrees, low, high = agreement(loaded, r)
        scale = 100 if _is_share(r["observation"]) else 1
        unit = _unit(loaded, r["observation"], lang)
        how = t("holdout_posterior", low=fmt(scale * r["holdout_low_90"], 1, lang=lang),
                high=f"{fmt(scale * r['holdout_high_90'], 1, lang=lang)}{unit}") \
            if has_posterior(r) else ""
        items.append(t("holdout_item", name=observation_label(loaded, r["observation"], lang),
                       observed=observed_text(loaded, r, lang), how=how,
                       low=fmt(scale * low, 1, lang=lang), high=f"{fmt(scale * high, 1, lang=lang)}{unit}",
                       verdict=f"**{t('holdout_agrees') if agrees else t('holdout_misses')}**"))
    return t("summary_holdouts", items="; ".join(items)) + " " + t("holdout_wide")


# --- the settings as run ----------------------------------------------------------------------------


def settings_lines(loaded: LoadedMatching, lang: str = "en") -> list[str]:
    t, spec = translator(strings, lang), loaded.spec
    s, baseline = loaded.base.scenario, loaded.baseline.scenario
    city, run, m = s.city, s.run, spec.matching
    lines = [t("set_file", file=shown_path(loaded.path), seed=spec.seed),
             t("set_scenario", title=scenario_title(s, lang), name=s.name,
               baseline=scenario_title(baseline, lang), baseline_name=baseline.name),
             t("set_city", population=fmt(city.population, 0, lang=lang),
               barrios=fmt(city.width * city.height, 0, lang=lang), width=city.width,
               height=city.height, per_agent=fmt(city.inhabitants_per_agent, 0, lang=lang),
               agents=fmt(round(city.population / city.inhabitants_per_agent), 0, lang=lang)),
             t("set_run", first=day(run.start, lang), last=day(run.end, lang),
               years=fmt(run.years, 2, lang=lang), burn=run.burn_in_days),
             t("set_waves", waves=m.waves, points=m.points, candidates=fmt(m.candidates, 0, lang=lang),
               cutoff=fmt(m.cutoff, 1, lang=lang), share=pct(m.validation_share, 0, lang))]
    shifted = [o for o in loaded.observations if o.scale_shift]
    if shifted:
        lines.append(t("set_scale", shifts=", ".join(
            f"{observation_label(loaded, o.name, lang)} {o.scale_shift:+.4g}" for o in shifted)))
    if spec.sensitivity is not None:
        config = spec.sensitivity
        design = (t("set_design", points=fmt(config.points, 0, lang=lang),
                    replications=config.replications) if config.points else "")
        lines.append(t("set_sensitivity", samples=fmt(config.samples, 0, lang=lang),
                       groups=config.groups, design=design))
    if spec.robustness is not None:
        lines.append(t("set_robustness", draws=spec.robustness.draws,
                       replications=spec.robustness.replications))
    return lines


def settings_document(loaded: LoadedMatching) -> dict:
    """The calibration file and the scenarios as the runs used them."""
    return {"calibration": loaded.spec.model_dump(mode="json"),
            "scenario": loaded.base.scenario.model_dump(mode="json"),
            "baseline": loaded.baseline.scenario.model_dump(mode="json")}


# --- the report -------------------------------------------------------------------------------------


def context(loaded: LoadedMatching, tables: MatchTables, lang: str = "en",
            nroy_figure: bool = True, stored: bool = False) -> dict:
    """The report's words; the command named is the one that wrote them (``stored``: the
    tables were read back, ``--report-only``)."""
    t = translator(strings, lang)
    flag = " --report-only" if stored else " --reanalyse" if tables.reanalysed else ""
    nroy = "" if tables.nroy is None else t("nroy_count", count=fmt(len(tables.nroy), 0, lang=lang))
    return {"title": t("title", name=loaded.name),
            "summary": summary(loaded, tables, lang), "settings_lines": settings_lines(loaded, lang),
            "waves": markdown_table(wave_rows(tables, lang)),
            "waves_how": t("waves_how", cutoff=fmt(loaded.spec.matching.cutoff, 1, lang=lang), nroy=nroy),
            "parameters": markdown_table(parameter_rows(tables, lang)),
            "nroy_figure": nroy_figure,
            "observations": markdown_table(observation_rows(loaded, tables.predictions, lang)),
            "validation": markdown_table(validation_rows(loaded, tables, lang)),
            "validation_how": validation_how(loaded, tables, lang),
            "posterior_how": posterior_how(tables, lang),
            "sensitivity": None if tables.sensitivity is None else
            sensitivity_context(loaded, tables.sensitivity, lang),
            "robustness": None if tables.robustness is None else
            robustness_context(loaded, tables.robustness, lang),
            "settings": settings_toml(settings_document(loaded)),
            "command": f"barrios calibrate {shown_path(loaded.path)}{flag}"
                       + (" --lang es" if lang == "es" else ""), **provenance()}


def validation_how(loaded: LoadedMatching, tables: MatchTables, lang: str) -> str:
    """How the emulators were checked, and how many pass (tables of results written before
    the cross-validation have no interval or fold columns)."""
    t, v = translator(strings, lang), tables.validation
    reach, mean = _upper(v), pooled_inside(v)
    folds = int(v["folds"].iloc[0]) if "folds" in v else \
        round(1 / loaded.spec.matching.validation_share)
    refits = loaded.spec.matching.refits
    return t("validation_how", folds=folds, passed=f"{int((v['inside_95'] >= PASS).sum())} / {len(v)}",
             consistent=f"{int((reach >= PASS).sum())} / {len(v)}", mean=pct(mean, 1, lang)) \
        + (t("validation_refits", refits=refits) if refits > 1 else "")


def posterior_how(tables: MatchTables, lang: str) -> str:
    p = tables.predictions
    if "posterior_effective_size" not in p or p["posterior_effective_size"].isna().all():
        return ""
    t = translator(strings, lang)
    return t("posterior_how", ess=fmt(p["posterior_effective_size"].iloc[0], 0, lang=lang),
             draws=fmt(p["posterior_draws"].iloc[0], 0, lang=lang))


def sensitivity_context(loaded: LoadedMatching, table: pd.DataFrame, lang: str = "en") -> dict:
    t = translator(strings, lang)
    n = lambda x: fmt(x, 3, lang=lang)  # noqa: E731
    span = lambda a, b: f"[{n(a)}{'; ' if lang == 'es' else ', '}{n(b)}]"  # noqa: E731
    per_output = {}
    for output, part in table.groupby("output", sort=False):
        rows = [{t("col_parameter"): parameter_name(r.parameter, lang),
                 t("col_st"): f"{n(r.ST)} {span(r.ST_low, r.ST_high)}",
                 t("col_s1"): f"{n(r.S1)} {span(r.S1_low, r.S1_high)}",
                 t("col_st_half"): n(r.ST_half),
                 t("col_resolved"): t("yes") if _true(r.resolved) else t("no")}
                for r in part.itertuples()]
        per_output[observation_label(loaded, output, lang)] = markdown_table(rows)
    posterior_box = "box" in table and table["box"].iloc[0] == "posterior"
    return {"tables": per_output,
            "how": t("sensitivity_how", samples=fmt(table["base_samples"].iloc[0], 0, lang=lang),
                     fitted=_fitted_to(table, t, lang),
                     where=t("box_posterior" if posterior_box else "box_not_ruled_out"),
                     resolved=int(table["resolved"].map(_true).sum()), count=len(table),
                     widest=n(table["ST_half_width"].max()))}


def _fitted_to(table: pd.DataFrame, t, lang: str) -> str:
    """What the Sobol emulators were fitted to: the sensitivity design, the last region's
    runs, or (tables written before the posterior box) the runs inside the box."""
    first = table.iloc[0]
    runs = fmt(first["runs"], 0, lang=lang)
    if first.get("design_points", 0) > 0:
        replications = int(first["design_replications"])
        return t("runs_design", points=fmt(first["design_points"], 0, lang=lang),
                 replications=replications,
                 total=fmt(2 * replications * first["design_points"], 0, lang=lang))
    if "runs_in_box" in table:
        return t("runs_region", runs=runs, inside=fmt(first["runs_in_box"], 0, lang=lang))
    return t("runs_inside", runs=runs)


def _true(x) -> bool:
    return x is True or str(x) == "True"


def robustness_context(loaded: LoadedMatching, robust: dict, lang: str = "en") -> dict:
    t = translator(strings, lang)
    titles = {item.scenario.name: scenario_title(item.scenario, lang) for item in loaded.ranked}
    pair = lambda text: " − ".join(titles.get(p, p) for p in text.split(" − "))  # noqa: E731
    ranking = robust["ranking"]
    rows = [{t("col_scenario"): titles.get(r.scenario, r.scenario),
             t("col_p_best"): pct(r.p_best_per_usd, 0, lang),
             t("col_p_gain"): pct(r.p_largest_gain, 0, lang),
             t("col_gain"): fmt(r.gain_pp_median, 2, lang=lang),
             t("col_per_usd"): f"{value(r.pp_per_musd_median, 3, lang)} "
                               f"[{value(r.pp_per_musd_5, 3, lang)}{'; ' if lang == 'es' else ', '}"
                               f"{value(r.pp_per_musd_95, 3, lang)}]"}
            for r in ranking.itertuples()]
    flips = robust["flips"].head(6)
    flip_rows = [{t("col_parameter"): parameter_name(r.parameter, lang),
                  t("col_rho_value"): f"{fmt(r.rho_value_margin, 2, True, lang)} "
                                      f"(p {value(r.p_value_margin, 2, lang)})",
                  t("col_rho_gain"): f"{fmt(r.rho_gain_margin, 2, True, lang)} "
                                     f"(p {value(r.p_gain_margin, 2, lang)})"}
                 for r in flips.itertuples()]
    draws = robust["scores"]["draw"].nunique()
    reference = loaded.ranked[0].scenario if loaded.ranked else None
    return {"table": markdown_table(rows), "flips": markdown_table(flip_rows),
            "how": t("robustness_how", draws=draws,
                     reference=scenario_title(reference, lang) if reference else ""),
            "flips_how": t("robustness_flips", value_pair=pair(flips["value_pair"].iloc[0]),
                           gain_pair=pair(flips["gain_pair"].iloc[0]))}


def terminal_text(result: MatchResult, lang: str = "en") -> str:
    t = translator(strings, lang)
    tables = tables_of(result)
    return "\n".join([
        t("terminal_head", waves=len(result.waves), points=sum(len(w.points) for w in result.waves),
          nroy=len(result.nroy)), "",
        pd.DataFrame(parameter_rows(tables, lang)).to_string(index=False), "",
        pd.DataFrame(observation_rows(result.loaded, result.predictions, lang)).to_string(index=False),
        "", f"{t('terminal_validation')}: "
        + ", ".join(f"{observation_label(result.loaded, r['output'], lang)} "
                    f"{pct(r['inside_95'], 0, lang)}"
                    for _, r in result.validation.iterrows())])


# --- figures ----------------------------------------------------------------------------------------


def prediction_figure(p: pd.DataFrame, loaded: LoadedMatching, path: Path, lang: str = "en"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = translator(strings, lang)
    fig, axes = plt.subplots(1, len(p), figsize=(1.9 * len(p), 3.4), dpi=100, squeeze=False)
    for ax, (_, r) in zip(axes[0], p.iterrows()):
        held = bool(r["held_out"])
        ax.errorbar([0], [r["predicted_mean"]], yerr=[[r["predicted_mean"] - r["predicted_low_90"]],
                    [r["predicted_high_90"] - r["predicted_mean"]]], fmt="o", color="tab:blue",
                    capsize=3, label=t("fig_not_ruled_out"))
        ax.plot([0.25], [r["predicted_at_best"]], "s", color="tab:green", label=t("fig_calibrated"))
        if held:
            ax.errorbar([0.5], [r["holdout_mean"]], yerr=[[r["holdout_mean"] - r["holdout_low_90"]],
                        [r["holdout_high_90"] - r["holdout_mean"]]], fmt="^", color="tab:red",
                        capsize=3, label=t("fig_without"))
        ax.errorbar([-0.25], [r["observed"]], yerr=[[1.96 * r["observed_sd"]], [1.96 * r["observed_sd"]]],
                    fmt="D", color="black", capsize=3, label=t("fig_observed"))
        ax.set_xticks([])
        label = observation_label(loaded, r["observation"], lang)
        ax.set_title(_wrap(label, 22) + (f"\n({t('held_out')})" if held else ""), fontsize=6)
        ax.tick_params(labelsize=7)
        decimal_axes(ax, lang)
    axes[0][0].legend(fontsize=6, loc="best")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def nroy_figure(tables: MatchTables, path: Path, lang: str = "en"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = translator(strings, lang)
    params = tables.params
    cols = 4
    rows = math.ceil(len(params) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), dpi=100, squeeze=False)
    for ax, (_, r) in zip(axes.flat, params.iterrows()):
        name = r["parameter"]
        if len(tables.nroy):
            ax.hist(tables.nroy[name], bins=25, range=(r["prior_low"], r["prior_high"]),
                    color="tab:blue", alpha=0.7)
        ax.axvline(r["calibrated"], color="tab:green", lw=1.5)
        ax.axvline(r["default_before"], color="grey", lw=1, ls="--")
        ax.set_title(_wrap(parameter_name(name, lang), 40), fontsize=7)
        ax.tick_params(labelsize=6)
        decimal_axes(ax, lang)
    finish_grid(fig, axes, len(params), t("fig_nroy"), path, fontsize=8)


def sensitivity_figure(table: pd.DataFrame, path: Path, lang: str = "en"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = translator(strings, lang)
    outputs = list(dict.fromkeys(table["output"]))
    fig, axes = plt.subplots(1, len(outputs), figsize=(4.4 * len(outputs), 4.5), dpi=100,
                             squeeze=False, sharey=False)
    for ax, output in zip(axes[0], outputs):
        part = table[table["output"] == output].sort_values("ST")
        y = np.arange(len(part))
        ax.errorbar(part["ST"], y, xerr=[part["ST"] - part["ST_low"], part["ST_high"] - part["ST"]],
                    fmt="o", color="tab:blue", capsize=2, label=t("fig_st"))
        ax.plot(part["S1"], y, "x", color="tab:orange", label=t("fig_s1"))
        ax.set_yticks(y, [_wrap(parameter_name(p, lang), 34) for p in part["parameter"]], fontsize=6)
        ax.set_xlim(-0.05, 1.05)
        ax.set_title(_wrap(output_label(output, lang), 40), fontsize=8)
        ax.tick_params(labelsize=7)
        decimal_axes(ax, lang)
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
