"""Spanish and English text of the workshop page: labels, messages and the plain-language
explanations of each mechanism and intervention. Scenario names are not here: each
scenario file carries its own ``title`` / ``title_es`` (``workshop.core.scenario_label``).

``t(key, lang, **values)`` returns the text in ``lang`` (Spanish by default), filled in
with ``str.format``; an unknown language falls back to Spanish and an unknown key to the
key itself, so a missing string never breaks the page.
"""

from __future__ import annotations

LANGS = ("es", "en")
DEFAULT_LANG = "es"

STRINGS: dict[str, dict[str, str]] = {
    # --- frame --------------------------------------------------------------------------
    "title": {"es": "Barrios · taller de seguridad ciudadana",
              "en": "Barrios · citizen security workshop"},
    "language": {"es": "Idioma", "en": "Language"},
    "tab_simulation": {"es": "Simulación", "en": "Simulation"},
    "tab_budget": {"es": "Juego del presupuesto", "en": "Budget game"},
    "tab_explain": {"es": "Cómo funciona", "en": "How it works"},
    # --- controls -----------------------------------------------------------------------
    "controls": {"es": "Controles", "en": "Controls"},
    "scenario": {"es": "Escenario", "en": "Scenario"},
    "seed": {"es": "Semilla (número entero)", "en": "Seed (whole number)"},
    "play": {"es": "Reproducir", "en": "Play"},
    "pause": {"es": "Pausa", "en": "Pause"},
    "step": {"es": "Avanzar", "en": "Step"},
    "reset": {"es": "Reiniciar", "en": "Reset"},
    "to_end": {"es": "Hasta el final", "en": "To the end"},
    "speed": {"es": "Velocidad: días por actualización", "en": "Speed: days per update"},
    "speed_value": {"es": "{days} días por actualización", "en": "{days} days per update"},
    "pending": {"es": "Cambios pendientes: se aplican al avanzar, reproducir o reiniciar "
                      "(la simulación vuelve al inicio).",
                "en": "Pending changes: they apply when you step, play or reset "
                      "(the run starts again)."},
    "status": {"es": "{date} · día {day} de {total}", "en": "{date} · day {day} of {total}"},
    "rate": {"es": "{rate:.0f} días simulados por segundo", "en": "{rate:.0f} simulated days per second"},
    "finished": {"es": "Fin de la simulación.", "en": "End of the run."},
    "to_end_progress": {"es": "Simulando hasta el final: día {day} de {total}…",
                        "en": "Running to the end: day {day} of {total}…"},
    "to_end_waiting": {"es": "Esperando turno: el servidor está simulando otras pestañas…",
                       "en": "Waiting its turn: the server is running other tabs…"},
    "residents": {"es": "{n:,} residentes simulados (1 por cada {scale:g} habitantes)",
                  "en": "{n:,} simulated residents (1 per {scale:g} inhabitants)"},
    "interventions": {"es": "Intervenciones (intensidad)", "en": "Interventions (intensity)"},
    "interventions_help": {
        "es": "Porcentaje de barrios cubiertos al final de la implementación; para patrullas y "
              "operativos, porcentaje del máximo ({units:g} patrulleros, {ops:,.0f} operativos al año).",
        "en": "Share of barrios covered once rolled out; for patrols and operations, share of "
              "the maximum ({units:g} patrol units, {ops:,.0f} operations a year)."},
    "intensity_value": {"es": "{pct:.0f}% · {what}", "en": "{pct:.0f}% · {what}"},
    "n_barrios": {"es": "{n:,.0f} barrios", "en": "{n:,.0f} barrios"},
    "n_units": {"es": "{n:,.0f} patrulleros", "en": "{n:,.0f} patrol units"},
    "n_ops": {"es": "{n:,.0f} operativos/año", "en": "{n:,.0f} operations/year"},
    # --- map ----------------------------------------------------------------------------
    "map": {"es": "Mapa de los barrios (norte arriba)", "en": "Map of the barrios (north up)"},
    "layer": {"es": "Capa", "en": "Layer"},
    "layer_safety": {"es": "Seguridad percibida", "en": "Perceived safety"},
    "layer_incidents": {"es": "Incidentes", "en": "Incidents"},
    "layer_lighting": {"es": "Alumbrado", "en": "Lighting"},
    "layer_committees": {"es": "Comités", "en": "Committees"},
    "layer_police": {"es": "Presencia policial", "en": "Police presence"},
    "unit_safety": {"es": "% de residentes que se sienten seguros en su barrio",
                    "en": "% of residents feeling safe in their barrio"},
    "unit_incidents": {"es": "incidentes por 1.000 residentes, últimos 30 días",
                       "en": "incidents per 1,000 residents, last 30 days"},
    "unit_lighting": {"es": "cobertura de alumbrado (0–1)", "en": "street-lighting coverage (0–1)"},
    "unit_committees": {"es": "eficacia colectiva de los comités (0–1)",
                        "en": "committee-built collective efficacy (0–1)"},
    "unit_police": {"es": "presencia policial hoy (unidades)", "en": "police presence today (units)"},
    "legend_committee": {"es": "comité de seguridad ({n})", "en": "safety committee ({n})"},
    "legend_post": {"es": "UPC ({n})", "en": "UPC post ({n})"},
    "legend_patrol": {"es": "patrullero hoy ({n})", "en": "patrol unit today ({n})"},
    "map_help": {
        "es": "Cada cuadro es un barrio (unas 2.300 personas). El sur y la periferia son más "
              "pobres. Los símbolos muestran dónde hay comités, UPC y patrulleros.",
        "en": "Each square is a barrio (about 2,300 people). The south and the periphery are "
              "poorer. Symbols show where committees, UPC posts and patrol units are."},
    # --- charts -------------------------------------------------------------------------
    "charts": {"es": "Series de tiempo", "en": "Time series"},
    "chart_perception": {"es": "Se sienten seguros (%)", "en": "Feel safe (%)"},
    "series_public": {"es": "en espacios públicos", "en": "in public spaces"},
    "series_neighbourhood": {"es": "en su barrio", "en": "in their neighbourhood"},
    "observed": {"es": "observado (encuesta Tándem)", "en": "observed (Tándem survey)"},
    "power_cuts": {"es": "cortes de luz", "en": "power cuts"},
    "chart_victimization": {"es": "Víctimas en los últimos 12 meses (%)",
                            "en": "Victimized in the last 12 months (%)"},
    "window_filling": {"es": "ventana de 12 meses\nincompleta", "en": "12-month window\nstill filling"},
    "chart_severe": {"es": "Violencia grave por 100.000 al año", "en": "Severe violence per 100,000 a year"},
    "observed_homicide": {"es": "observado: {v:g}", "en": "observed: {v:g}"},
    "chart_cost": {"es": "Costo acumulado (millones de US$)", "en": "Cumulative cost (US$ million)"},
    "chart_groups": {"es": "Seguros en espacios públicos, por grupo (%)",
                     "en": "Safe in public spaces, by group (%)"},
    "at_start": {"es": "al inicio", "en": "at the start"},
    "now": {"es": "ahora", "en": "now"},
    "group_women": {"es": "mujeres", "en": "women"},
    "group_men": {"es": "hombres", "en": "men"},
    "group_youth": {"es": "jóvenes", "en": "youth"},
    "group_migrants": {"es": "migrantes", "en": "migrants"},
    "chart_trust": {"es": "Confianza en la policía (%)", "en": "Trust in the police (%)"},
    "chart_members": {"es": "Miembros de comités (% de residentes)",
                      "en": "Committee members (% of residents)"},
    "readout": {"es": "Seguros en espacios públicos: {public:.1f}% · en su barrio: {neighbourhood:.1f}% · "
                      "víctimas (12 meses): {victim:.1f}% · costo: US$ {cost:,.1f} millones",
                "en": "Safe in public spaces: {public:.1f}% · in their neighbourhood: {neighbourhood:.1f}% · "
                      "victimized (12 months): {victim:.1f}% · cost: US$ {cost:,.1f} million"},
    # --- budget -------------------------------------------------------------------------
    "budget_intro": {
        "es": "Tienen un presupuesto adicional para {years:g} años. Repártanlo entre los programas. "
              "El dinero se suma a lo que Quito ya tenía antes del plan (escenario base: 180 UPC, "
              "40 patrulleros, 800 operativos al año, 120 comités). Luego apliquen la mezcla y "
              "llévenla hasta el final.",
        "en": "You have an extra budget for {years:g} years. Split it across the programmes. "
              "The money goes on top of what Quito had before the plan (baseline: 180 UPC posts, "
              "40 patrol units, 800 operations a year, 120 committees). Then apply the mix and run "
              "it to the end."},
    "budget_total": {"es": "Presupuesto total (millones de US$)", "en": "Total budget (US$ million)"},
    "budget_line": {"es": "{pct:.0f}% = US$ {musd:,.1f} M → intensidad {level:.0f}%",
                    "en": "{pct:.0f}% = US$ {musd:,.1f} M → intensity {level:.0f}%"},
    "budget_left": {"es": "Sin asignar: {pct:.0f}% (US$ {musd:,.1f} M)",
                    "en": "Unallocated: {pct:.0f}% (US$ {musd:,.1f} M)"},
    "budget_over": {"es": "Asignaron {pct:.0f}%: bajen alguna parte hasta sumar 100% o menos.",
                    "en": "You allocated {pct:.0f}%: lower some shares to 100% or less in total."},
    "budget_apply": {"es": "Aplicar la mezcla (escenario base + presupuesto)",
                     "en": "Apply the mix (baseline + budget)"},
    "budget_applied": {"es": "Mezcla aplicada. Abajo, la tabla la corre con {n} semillas; en la pestaña "
                             "Simulación pueden verla avanzar («Reproducir» o «Hasta el final»).",
                       "en": "Mix applied. Below, the table runs it on {n} seeds; on the Simulation tab you "
                             "can watch it unfold (“Play” or “To the end”)."},
    "budget_rule": {
        "es": "Regla: intensidad = intensidad del escenario base + asignación ÷ (costo unitario × "
              "unidades a intensidad 1 × años), con máximo 100%. Los programas arrancan de a poco, "
              "así que gastan algo menos que lo asignado.",
        "en": "Rule: intensity = baseline intensity + allocation ÷ (unit cost × units at intensity 1 "
              "× years), at most 100%. Programmes ramp up, so they spend somewhat less than allocated."},
    "results": {"es": "Resultados", "en": "Results"},
    "results_computing": {
        "es": "Corriendo cada mezcla con {n} semillas: {done} de {total} simulaciones listas…",
        "en": "Running each mix on {n} seeds: {done} of {total} runs done…"},
    "results_other_city": {"es": "La comparación usa la ciudad del escenario base; este escenario es otro lugar.",
                           "en": "The comparison uses the baseline's city; this scenario is another place."},
    "results_intro": {
        "es": "Diferencias con el escenario base al final de los 3 años: promedio de {n} simulaciones "
              "(semillas distintas, las mismas para cada mezcla) y, entre corchetes, el intervalo del 95 %.",
        "en": "Differences from the baseline at the end of the 3 years: mean of {n} runs (different "
              "seeds, the same for every mix) and, in brackets, the 95% interval."},
    "results_note": {
        "es": "Si el intervalo de los puntos ganados incluye el 0, no se puede descartar que la mezcla "
              "no gane nada: el costo por punto queda abierto, «[x; ∞)» (al menos x millones por punto), "
              "o «sin ganancia clara». * = intensidades cambiadas a mano o con el presupuesto.",
        "en": "When the interval of points gained includes 0, the mix may gain nothing: its cost per "
              "point is open-ended, “[x, ∞)” (at least x million per point), or “no clear gain”. * = "
              "intensities changed by hand or by the budget."},
    "col_mix": {"es": "Mezcla", "en": "Mix"},
    "col_gain_public": {"es": "Puntos ganados: espacios públicos", "en": "Points gained: public spaces"},
    "col_gain_neighbourhood": {"es": "Puntos ganados: barrio", "en": "Points gained: neighbourhood"},
    "col_extra_cost": {"es": "Gasto adicional (US$ M)", "en": "Extra spending (US$ M)"},
    "col_cost_per_point": {"es": "US$ M por punto (espacios públicos)", "en": "US$ M per point (public spaces)"},
    "col_victim": {"es": "Cambio en víctimas (puntos)", "en": "Change in victimized (points)"},
    "your_run": {"es": "Su mezcla: {name}{changed}", "en": "Your mix: {name}{changed}"},
    # --- explanations -------------------------------------------------------------------
    "mechanisms": {"es": "Los mecanismos del modelo", "en": "The model's mechanisms"},
    "programmes": {"es": "Las intervenciones", "en": "The interventions"},
    "explain_intro": {
        "es": "Barrios es un modelo basado en agentes: unas 28.000 personas simuladas (cada una "
              "representa a 100 habitantes de Quito) viven en 1.200 barrios, salen a trabajar, "
              "estudiar o pasear, a veces son víctimas, conversan y se forman una idea de cuán "
              "seguro es su entorno. Un paso es un día. Los efectos vienen de la literatura; la percepción "
              "está calibrada con la encuesta Tándem: sirve para razonar, no para "
              "predecir.",
        "en": "Barrios is an agent-based model: about 28,000 simulated people (each standing for "
              "100 inhabitants of Quito) live in 1,200 barrios, go to work, school or out, are "
              "sometimes victimized, talk to each other and form an idea of how safe their "
              "surroundings are. One step is one day. Effects come from the literature; perception "
              "is calibrated to the Tándem survey: it helps reasoning, not prediction."},
    # --- errors -------------------------------------------------------------------------
    "error_scenario": {"es": "Escenario desconocido: {found}", "en": "Unknown scenario: {found}"},
    "error_scenario_file": {"es": "El archivo del escenario tiene un error: {found}",
                            "en": "The scenario file has an error: {found}"},
    "error_intervention": {"es": "Intervención desconocida: {found}", "en": "Unknown intervention: {found}"},
    "error_intensity": {"es": "La intensidad debe estar entre 0 y 1; llegó {found}",
                        "en": "Intensity must be between 0 and 1; got {found}"},
    "error_seed": {"es": "La semilla debe ser un número entero entre 0 y 4294967295; llegó «{found}»",
                   "en": "The seed must be a whole number between 0 and 4294967295; got “{found}”"},
    "error_scale": {"es": "La escala debe estar entre 1 y 100000 habitantes por agente; llegó {found}",
                    "en": "The scale must be between 1 and 100000 inhabitants per agent; got {found}"},
    "error_layer": {"es": "Capa desconocida: {found}", "en": "Unknown layer: {found}"},
    "error_speed": {"es": "Velocidad no válida: {found}", "en": "Invalid speed: {found}"},
    "error_lang": {"es": "Idioma no disponible: {found}", "en": "Language not available: {found}"},
    "error_budget": {"es": "El presupuesto debe ser un número mayor que 0 y hasta 10.000 millones; llegó «{found}»",
                     "en": "The budget must be a number above 0 and up to 10,000 million; got “{found}”"},
    "error_share": {"es": "Cada parte debe estar entre 0% y 100%; llegó {found}",
                    "en": "Each share must be between 0% and 100%; got {found}"},
    "error_share_total": {"es": "Las partes suman {found}%: deben sumar 100% o menos",
                          "en": "The shares add up to {found}%: they must add up to 100% or less"},
    "error_internal": {"es": "Algo salió mal y se ignoró: {found}", "en": "Something went wrong and was ignored: {found}"},
}

MECHANISMS = {
    "routine": {
        "es": ("Rutinas diarias y guardianes",
               "De día la gente va a trabajar, estudiar o al mercado; de noche algunos salen a un "
               "espacio público cercano. Una calle con gente es una calle vigilada. El miedo hace "
               "que la gente se quede en casa y deja las calles más vacías."),
        "en": ("Daily routines and guardians",
               "By day people go to work, school or the market; at night some go out to a public "
               "space nearby. A street with people is a watched street. Fear keeps people at home "
               "and leaves the streets emptier."),
    },
    "victimization": {
        "es": ("Dónde ocurren los delitos",
               "Un delito ocurre cuando alguien dispuesto a delinquir encuentra a una víctima sin "
               "nadie que la proteja. El riesgo baja con gente en la calle, policía cerca, vecinos "
               "organizados y, de noche, buena luz; sube con el desorden (basura, espacios "
               "abandonados). Las mujeres en el espacio público y los migrantes son más vulnerables."),
        "en": ("Where crime happens",
               "A crime happens when someone willing to offend meets a target with nobody to "
               "protect them. Risk falls with people on the street, police nearby, organised "
               "neighbours and, at night, good lighting; it rises with disorder (litter, abandoned "
               "spaces). Women in public space and migrants are more vulnerable."),
    },
    "hot_spots": {
        "es": ("Puntos calientes",
               "Después de un delito, el mismo lugar y sus vecinos tienen más riesgo por un tiempo: "
               "así se forman puntos calientes, que se apagan poco a poco si no se repiten."),
        "en": ("Hot spots",
               "After a crime, the same place and its neighbours are at higher risk for a while: "
               "that is how hot spots form, and they fade if nothing happens again."),
    },
    "offending": {
        "es": ("Quién delinque",
               "Unos pocos jóvenes cometen la mayoría de los delitos. La pobreza y el reclutamiento "
               "por grupos armados aumentan esa propensión; el deporte y los programas de prevención "
               "la reducen mientras participan. Un arresto saca a alguien de la calle por un tiempo."),
        "en": ("Who offends",
               "A few young people commit most offences. Poverty and recruitment by armed groups "
               "raise that propensity; sports and prevention programmes lower it while they take "
               "part. An arrest takes someone off the street for a while."),
    },
    "perception": {
        "es": ("Cómo se forma el miedo",
               "Cada persona tiene una sensación de seguridad que se mueve despacio hacia lo que ve: "
               "luz, policía visible, su comité, desorden. Ser víctima la hunde de golpe y deja una "
               "cicatriz que tarda en sanar; lo que les pasa a amigos y vecinos también pesa. En las "
               "conversaciones el miedo se contagia más fácil que la tranquilidad: por eso el miedo "
               "puede durar aunque el delito baje."),
        "en": ("How fear forms",
               "Each person has a sense of safety that moves slowly toward what they see: lighting, "
               "visible police, their committee, disorder. Being victimized drops it at once and "
               "leaves a scar that heals slowly; what happens to friends and neighbours weighs too. "
               "In conversations fear spreads more easily than reassurance: that is why fear can "
               "last after crime falls."),
    },
    "committees": {
        "es": ("Comités y eficacia colectiva",
               "Los vecinos se suman a un comité si confían. El comité construye eficacia "
               "colectiva (la disposición a cuidarse entre vecinos), instala alarmas comunitarias, "
               "organiza mingas que reducen el desorden, hace recorridos exploratorios que adelantan "
               "el alumbrado y la recuperación de espacios en su barrio, y pide patrullajes."),
        "en": ("Committees and collective efficacy",
               "Neighbours join a committee if they trust. The committee builds collective efficacy "
               "(neighbours' willingness to look out for each other), installs community alarms, "
               "runs mingas (clean-ups) that reduce disorder, does exploratory walks that bring "
               "lighting and public-space works to its barrio sooner, and asks for patrols."),
    },
    "police": {
        "es": ("Policía y legitimidad",
               "Las UPC dan presencia diaria y construyen confianza despacio. Los patrulleros van a "
               "los puntos calientes según los delitos denunciados. Los operativos traen mucha "
               "presencia y arrestos, pero si son de mano dura erosionan la confianza: menos gente "
               "denuncia y se suma a comités, y la policía queda ciega a dónde está el problema."),
        "en": ("Police and legitimacy",
               "UPC posts add daily presence and build trust slowly. Patrol units go to hot spots "
               "by reported incidents. Operations bring heavy presence and arrests, but heavy-handed "
               "ones erode trust: fewer people report or join committees, and the police go blind "
               "to where the problem is."),
    },
    "timeline": {
        "es": ("Programas en el tiempo",
               "Cada programa empieza en una fecha, crece mes a mes hasta su intensidad y llega "
               "primero a los barrios que más lo necesitan (más oscuros, más pobres, con más miedo "
               "o más delitos). Su costo se acumula día a día."),
        "en": ("Programmes over time",
               "Each programme starts on a date, grows month by month to its intensity and reaches "
               "the barrios that need it most first (darkest, poorest, most afraid or most "
               "incidents). Its cost adds up day by day."),
    },
}

INTERVENTION_TEXT = {
    "street_lighting": {
        "es": "Más luz en las calles de los barrios más oscuros: de noche hay menos riesgo y la gente se siente más segura al salir.",
        "en": "More light in the darkest barrios' streets: less risk at night, and people feel safer going out."},
    "public_space_recovery": {
        "es": "Parques, caminos seguros y plazas rehabilitados: menos desorden, menos oportunidades para el delito y menos miedo. Es lo más caro.",
        "en": "Rehabilitated parks, safe pathways and plazas: less disorder, fewer opportunities for crime and less fear. It is the most expensive."},
    "sports_programmes": {
        "es": "Copa Wambras: deporte para jóvenes. Mientras juegan, su propensión a delinquir baja. Los cupos son limitados.",
        "en": "Copa Wambras: sports for young people. While they play, their propensity to offend falls. Places are limited."},
    "safety_committees": {
        "es": "Barrios por la Vida: comités vecinales con alarmas, mingas, recorridos y coordinación con la policía. Son baratos, pero dependen de la confianza.",
        "en": "Barrios por la Vida: neighbourhood committees with alarms, mingas, walks and coordination with the police. Cheap, but they depend on trust."},
    "upc_posts": {
        "es": "Unidades de Policía Comunitaria: presencia fija en el barrio (y algo en los vecinos) que además construye confianza.",
        "en": "Community police posts: fixed presence in the barrio (and some next door) that also builds trust."},
    "patrol_units": {
        "es": "Patrulleros que cada día van a un barrio: al azar, a los puntos calientes o a pedido de los comités.",
        "en": "Patrol units that go to one barrio each day: at random, to hot spots or at committees' request."},
    "police_operations": {
        "es": "Operativos interinstitucionales: mucha presencia y arrestos por un día. Si son de mano dura, dañan la confianza.",
        "en": "Inter-institutional operations: heavy presence and arrests for a day. If heavy-handed, they damage trust."},
    "cero_acoso": {
        "es": "Cero Acoso: reduce el acoso a las mujeres en el espacio público, que es la principal razón de su menor sensación de seguridad.",
        "en": "Cero Acoso: reduces harassment of women in public space, the main reason they feel less safe."},
    "youth_prevention": {
        "es": "Prevención juvenil (Una Vida Libre de Drogas, salud mental, resolución de conflictos): baja la propensión a delinquir de los jóvenes alcanzados.",
        "en": "Youth prevention (Una Vida Libre de Drogas, mental health, dispute resolution): lowers the propensity to offend of the young people reached."},
    "migrant_inclusion": {
        "es": "Inclusión de migrantes y refugiados: acceso a servicios y redes de apoyo; los hace menos vulnerables a ser víctimas.",
        "en": "Inclusion of migrants and refugees: access to services and support networks; makes them less vulnerable to victimization."},
}


def check_lang(value) -> str:
    """A supported language code, or InputError."""
    if not isinstance(value, str) or value not in LANGS:
        from workshop.core import InputError

        raise InputError("error_lang", found=str(value)[:20])
    return value


def _pick(table: dict[str, str], lang: str) -> str:
    return table.get(lang) or table.get(DEFAULT_LANG) or next(iter(table.values()))


class _Spanish:
    """A number that formats the Spanish way: 28.002 and 42,1."""

    def __init__(self, value):
        self.value = value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec).translate(_SWAP)


_SWAP = str.maketrans({",": ".", ".": ","})


def t(key: str, lang: str = DEFAULT_LANG, **values) -> str:
    """The text ``key`` in ``lang``, filled in with ``values`` (numbers with the language's
    separators)."""
    table = STRINGS.get(key)
    if table is None:
        return key
    text = _pick(table, lang)
    if not values:
        return text
    if lang == "es":
        values = {k: _Spanish(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
                  for k, v in values.items()}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text


def intervention_name(name: str, lang: str) -> str:
    """An intervention's display name, from the registry (``simulation.interventions``)."""
    from simulation.interventions import INTERVENTIONS

    return INTERVENTIONS[name].label(lang if lang in LANGS else DEFAULT_LANG) if name in INTERVENTIONS else name


def error_text(error, lang: str) -> str:
    """The message of an ``InputError`` (or any exception) in ``lang``."""
    key = getattr(error, "key", None)
    if key is None:
        return t("error_internal", lang, found=str(error)[:200])
    return t(key, lang, **getattr(error, "values", {}))
