"""Every behavioural and intervention-effect parameter of Barrios, in one place.

Each parameter has a name that says what it is, a unit, a default, a plausible range
(used for sensitivity analysis and as calibration priors), hard bounds (what is valid at
all) and the source of its default: a study, a seed figure (``../shared/seeds``), or
"calibrated" (fitted against the Tándem survey figures).

``Params`` is both the registry and the values of one run: each parameter is a typed field
whose metadata holds its unit, ranges and source, so ``params.memory_decay`` is checked
by a type checker and ``PARAMETERS`` (what ``barrios params`` lists) cannot drift from
what the model reads. Scenario files override defaults in their ``[parameters]`` table;
the names here are the names used everywhere (scenario, experiment and study files, the
Python API, ``barrios params``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType


@dataclass(frozen=True)
class Parameter:
    """A parameter's registry entry (what ``barrios params`` prints)."""

    name: str
    default: float
    unit: str
    plausible: tuple[float, float]
    bounds: tuple[float, float]
    source: str
    description: str
    group: str
    evidence: tuple[float, float, str] | None = None
    """A range set by evaluation studies other than Quito's survey, held against the
    virtual evaluation that reproduces them (low, high, how): the calibration's prior."""


PROB = (0.0, 1.0)


def _declare(group: str):
    """A field maker for one group: ``name: float = _group(default, unit, plausible,
    bounds, source=..., meaning=...)``."""

    def declare(default, unit: str, plausible, bounds, *, source: str, meaning: str,
                evidence: tuple[float, float, str] | None = None):
        return field(default=float(default), metadata={
            "unit": unit, "plausible": tuple(plausible), "bounds": tuple(bounds),
            "evidence": evidence,
            "source": source, "description": meaning, "group": group})

    return declare


_population, _routine, _victimization, _offending, _perception, _committees, _police, \
    _programmes, _structure = map(_declare, (
        "population", "routine", "victimization", "offending", "perception", "committees",
        "police", "programmes", "structure"))


@dataclass(frozen=True)
class Params:
    """Parameter values of one run: every default, with a scenario's overrides
    (``Params(**scenario.parameters)``); each value is checked against its bounds."""

    # --- population ----------------------------------------------------------------------------
    youth_share: float = _population(
        0.22, "share of residents", (0.18, 0.26), PROB,
        source="INEC census 2022: people aged 12-24 are about 22% of Quito's population",
        meaning="Share of residents aged 12-24 (youth, who carry an offending propensity).")
    women_share: float = _population(
        0.51, "share of residents", (0.49, 0.53), PROB,
        source="INEC census 2022",
        meaning="Share of residents who are women.")
    migrant_share: float = _population(
        0.05, "share of residents", (0.02, 0.10), PROB,
        source="seeds 001-002 (human mobility in Quito); about 5% Venezuelan and Colombian "
               "migrants",
        meaning="Share of residents in human mobility (migrants, refugees, asylum seekers).")
    neighbour_ties: float = _population(
        4, "ties per resident", (2, 8), (0, 20),
        source="assumed (typical core-discussion network size, 4-6)",
        meaning="Social ties each resident has within the home barrio.")
    acquaintance_ties: float = _population(
        4, "ties per resident", (2, 8), (0, 20),
        source="assumed",
        meaning="Social ties each resident has anywhere in the city (nearer likelier).")
    vulnerability_heterogeneity: float = _population(
        0.5, "log-sd", (0.2, 0.8), (0.0, 2.0),
        source="assumed",
        meaning="Log-normal spread of individual target suitability.")
    older_share: float = _population(
        0.12, "share of residents aged 12+", (0.10, 0.14), PROB,
        source="INEC census 2022: about 12% of residents aged 12+ are 65+",
        meaning="Share of non-youth residents who are 65 or older (age group 'older').")

    # --- daily routine -------------------------------------------------------------------------
    day_activity_probability: float = _routine(
        0.8, "probability per weekday", (0.6, 0.95), PROB,
        source="assumed: labour participation plus school attendance (INEC ENEMDU)",
        meaning="Chance a resident spends a weekday in their activity barrio (work, school, "
                "market).")
    weekend_activity_factor: float = _routine(
        0.5, "ratio", (0.3, 0.8), PROB,
        source="assumed",
        meaning="Weekend chance of going to the activity barrio, relative to a weekday.")
    activity_distance_scale: float = _routine(
        4.0, "barrio cells", (2.0, 8.0), (0.5, 50.0),
        source="assumed (gravity model of trips: nearer destinations likelier)",
        meaning="Distance scale of the exponential decay of activity-barrio choice.")
    night_outing_probability: float = _routine(
        0.3, "probability per night", (0.15, 0.5), PROB,
        source="assumed (time-use surveys: a third of adults out after dark on a given night)",
        meaning="Chance a resident who feels fully safe goes out to public space at night.")
    fear_stay_home_strength: float = _routine(
        0.7, "share", (0.3, 1.0), PROB,
        source="calibrated; mechanism after Jacobs 1961 (eyes on the street)",
        meaning="How much fear cuts night outings: 1 means a fully fearful resident never goes "
                "out.")

    # --- victimization (routine activity theory) -----------------------------------------------
    offences_per_offender_phase: float = _victimization(
        0.7386, "attempts per active offender per phase", (0.1, 1.5), (0.0, 10.0),
        source="calibrated (to about 15% victimized per year); history matching to the survey, "
               "severe violence, victimization and published effects: the set not ruled out "
               "closest to the survey, centred on it at full scale (scripts/survey_frontier.py; "
               "results/calibration/README.md)",
        meaning="Attempts an active offender makes in one day or night phase.")
    guardianship_effect: float = _victimization(
        2.0, "per unit street share", (0.5, 4.0), (0.0, 20.0),
        source="calibrated; mechanism: Cohen & Felson 1979, Groff 2007",
        meaning="How strongly the share of a barrio's residents present in public deters "
                "offences.")
    target_saturation: float = _victimization(
        3.0, "agents present at the default scale (x100 persons)", (1.0, 10.0), (0.01, 1e3),
        source="assumed",
        meaning="People present at which half of an offender's attempts find a suitable target.")
    police_deterrence_effect: float = _victimization(
        0.05378, "per unit police presence", (0.05, 0.5), (0.0, 5.0),
        source="Braga, Turchan, Papachristos & Hureau 2019 (hot-spots policing meta-analysis: "
               "crime down about 16% in treated places); history matching to the survey, severe "
               "violence, victimization and published effects: the set not ruled out closest to "
               "the survey, centred on it at full scale (scripts/survey_frontier.py; "
               "results/calibration/README.md)",
        meaning="Log-reduction of offence success per unit of police presence.")
    collective_efficacy_effect: float = _victimization(
        1.099, "per unit collective efficacy", (0.1, 1.5), (0.0, 5.0),
        source="Bennett, Holloway & Farrington 2008 (neighbourhood watch meta-analysis: crime down "
               "16-26%): a mature committee (efficacy at its equilibrium, about 0.27 at the "
               "default join and leave rates) lowers offence success by about 19%; new committees "
               "get there as membership builds, over about two years; history matching to the "
               "survey, severe violence, victimization and published effects: the set not ruled "
               "out closest to the survey, centred on it at full scale "
               "(scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Log-reduction of offence success per unit of committee-built collective "
                "efficacy.")
    lighting_night_risk_reduction: float = _victimization(
        0.3326, "share", (0.05, 0.4), PROB,
        source="Welsh & Farrington 2008 (street lighting meta-analysis: crime down 21%); history "
               "matching to the survey, severe violence, victimization and published effects: the "
               "set not ruled out closest to the survey, centred on it at full scale "
               "(scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Reduction of night-time offence success in a fully lit barrio.")
    disorder_risk_effect: float = _victimization(
        0.4, "per unit disorder", (0.1, 0.8), (0.0, 5.0),
        source="Branas et al. 2018 (vacant-lot remediation: gun violence down 29% in poor areas)",
        meaning="Log-increase of offence success per unit of physical disorder.")
    attractiveness_per_incident: float = _victimization(
        0.3, "per incident per resident-scale", (0.1, 1.0), (0.0, 10.0),
        source="Short et al. 2008 (repeat and near-repeat victimization)",
        meaning="Rise in a barrio's attractiveness to offenders for each incident there.")
    attractiveness_decay: float = _victimization(
        0.07, "per day", (0.02, 0.2), PROB,
        source="Short et al. 2008; near-repeat risk fades over about two weeks (Johnson 2008)",
        meaning="Daily decay of incident-driven attractiveness.")
    attractiveness_spread: float = _victimization(
        0.2, "share per day", (0.05, 0.5), PROB,
        source="Short et al. 2008",
        meaning="Share of attractiveness that spreads to the 8 neighbouring barrios.")
    attractiveness_risk_effect: float = _victimization(
        0.5, "per unit attractiveness", (0.1, 1.5), (0.0, 10.0),
        source="Short et al. 2008",
        meaning="Log-increase of offence success per unit of attractiveness.")
    women_night_vulnerability: float = _victimization(
        1.5, "relative risk", (1.0, 3.0), (0.0, 20.0),
        source="assumed size; UN Women 2015 (Safe Cities Quito scoping study: 68% of women "
               "suffered sexual violence in public space in a year)",
        meaning="Relative risk of women out in public space at night: harassment, the risk "
                "Cero Acoso targets (by day women carry no extra risk).")
    men_vulnerability: float = _victimization(
        1.4, "relative risk", (1.0, 2.0), (0.0, 20.0),
        source="assumed size, so that men are victimized at least as often as women: LAPOP "
               "AmericasBarometer (men more affected by crime; Montalvo in Infobae, 3 Dec "
               "2014); UNODC Global Study on Homicide 2019 (81% of homicide victims male)",
        meaning="Relative risk of men in public space, day and night (robbery, fights).")
    youth_vulnerability: float = _victimization(
        1.3, "relative risk", (1.0, 2.0), (0.0, 20.0),
        source="assumed (routine activities: youth are out more and among peers; Cohen & "
               "Felson 1979)",
        meaning="Relative risk of youth (14-24) in public space, on top of sex.")
    migrant_vulnerability: float = _victimization(
        1.3, "relative risk", (1.0, 2.0), (0.0, 20.0),
        source="assumed (seeds 001-002: migrants' limited support networks)",
        meaning="Relative risk of residents in human mobility.")
    severe_share: float = _victimization(
        6.648e-05, "share of incidents", (5e-5, 3e-3), PROB,
        source="calibrated to Quito's ~8 homicides per 100,000 (seed 000): the ABC-SMC posterior "
               "median (results/calibration/parameters.md, 0.000405, when every victim counted "
               "alike) divided by 2.5, the mean of men_severe_factor over victims, when victims' "
               "sex entered; to be recalibrated; history matching to the survey, severe violence, "
               "victimization and published effects: the set not ruled out closest to the survey, "
               "centred on it at full scale (scripts/survey_frontier.py; "
               "results/calibration/README.md)",
        meaning="Share of incidents that are severe violence (the homicide analogue) against a "
                "woman in a barrio of average disadvantage without recruitment (a man's: "
                "men_severe_factor times it).")
    severe_disadvantage_effect: float = _victimization(
        1.5, "per unit disadvantage", (0.5, 3.0), (0.0, 10.0),
        source="assumed",
        meaning="Log-increase of the severe share with barrio disadvantage.")
    severe_recruitment_effect: float = _victimization(
        1.5, "per unit recruitment", (0.5, 3.0), (0.0, 10.0),
        source="assumed so that strong recruitment gives rates above 50 per 100,000 like "
               "Ecuador's (seed 000)",
        meaning="Log-increase of the severe share with the barrio's armed-group recruitment "
                "(weapons and disputes between groups).")
    men_severe_factor: float = _victimization(
        4.0, "relative risk", (2.0, 8.0), (1.0, 50.0),
        source="UNODC Global Study on Homicide 2019 (81% of homicide victims male): with men "
               "about half of the victims of incidents, a man's incident is about four times "
               "as likely as a woman's to be severe",
        meaning="How much likelier an incident is to be severe violence when the victim is a "
                "man (fights, weapons).")

    # --- offending -----------------------------------------------------------------------------
    offending_propensity_mean: float = _offending(
        0.02, "probability per day", (0.005, 0.06), PROB,
        source="calibrated",
        meaning="Mean daily chance a youth of average disadvantage is out offending.")
    offending_propensity_heterogeneity: float = _offending(
        1.2, "log-sd", (0.6, 1.8), (0.0, 3.0),
        source="assumed (offending is concentrated in few people: Wolfgang et al. 1972)",
        meaning="Log-normal spread of youth offending propensity.")
    disadvantage_offending_effect: float = _offending(
        1.5, "per unit disadvantage", (0.5, 3.0), (0.0, 10.0),
        source="assumed (concentrated disadvantage: Sampson et al. 1997)",
        meaning="Log-increase of offending propensity with home-barrio disadvantage.")
    recruitment_pressure: float = _offending(
        0.0, "0-1 index", (0.0, 0.3), PROB,
        source="seed 004 (armed-group recruitment of youth on the northern border); ~0 in Quito",
        meaning="Pressure from armed groups and gangs to recruit youth.")
    recruitment_offending_effect: float = _offending(
        1.0, "per unit recruitment", (0.5, 2.0), (0.0, 10.0),
        source="assumed",
        meaning="Log-increase of offending propensity with the home barrio's recruitment.")
    disadvantage_recruitment_effect: float = _offending(
        1.0, "per unit disadvantage", (0.0, 3.0), (0.0, 10.0),
        source="assumed (armed groups recruit where youth have the fewest options; seed 004)",
        meaning="Log-increase of a barrio's recruitment with its disadvantage.")
    prevention_recruitment_reduction: float = _offending(
        0.5, "share, at full reach", (0.0, 1.0), PROB,
        source="assumed; the theory of change of seed 004's peaceful dispute resolution for "
               "youth (no measured size)",
        meaning="Fall of a barrio's recruitment when all its youth are in youth prevention "
                "(in proportion to the share reached).")
    inclusion_recruitment_reduction: float = _offending(
        0.2, "share", (0.0, 0.5), PROB,
        source="assumed; seed 004's income support for refugees (no measured size)",
        meaning="Fall of a barrio's recruitment where migrant inclusion runs.")
    committee_recruitment_reduction: float = _offending(
        0.1, "share", (0.0, 0.3), PROB,
        source="assumed; seed 004's community protection networks (no measured size)",
        meaning="Fall of a barrio's recruitment where a committee runs.")
    recruitment_adjustment_rate: float = _offending(
        0.1, "per month", (0.02, 0.5), PROB,
        source="assumed (recruitment changes over months and years)",
        meaning="Monthly share of the gap between a barrio's recruitment and its target that "
                "closes.")
    offender_distance_decay: float = _offending(
        2.5, "log-weight per Moore step", (1.0, 5.0), (0.0, 50.0),
        source="assumed size; journey-to-crime distance decay (Bernasco 2010; Rossmo 2000): "
               "at equal appeal an offender stays at his routine place about 60% of the time",
        meaning="How strongly offenders prefer their routine place to a neighbouring barrio.")
    offender_choice_sensitivity: float = _offending(
        1.0, "per unit of log offence success", (0.0, 3.0), (0.0, 20.0),
        source="rational choice (Cornish & Clarke 1986): at 1 an offender weighs barrios in "
               "proportion to the success he expects there; 0 ignores appeal",
        meaning="How strongly offenders pick the barrio that looks most promising.")
    offender_police_awareness: float = _offending(
        0.5, "share", (0.0, 1.0), PROB,
        source="assumed; offenders' uncertainty about where police are is the usual "
               "explanation of diffusion of benefits (Clarke & Weisburd 1994)",
        meaning="Share of the police presence offenders perceive in a barrio that is its own; "
                "the rest is the mean of its neighbours'.")
    crime_attractor_effect: float = _offending(
        1.0, "log-weight per unit of attractors", (0.0, 3.0), (0.0, 20.0),
        source="assumed; crime generators and attractors (Brantingham & Brantingham 1995)",
        meaning="How strongly markets, hubs and nightlife draw offenders.")
    legitimacy_offending_effect: float = _offending(
        1.0, "log-change per unit of legitimacy below baseline", (0.0, 3.0), (0.0, 10.0),
        source="assumed size; direction from Tyler 2006 (compliance follows legitimacy) and "
               "Mazerolle et al. 2013 (procedural justice: a minor effect on reoffending); "
               "0 switches the channel off",
        meaning="How much youth offending rises as police legitimacy in their barrio falls "
                "below its baseline (and falls as it rises above).")
    propensity_adjustment_rate: float = _offending(
        0.05, "per day", (0.01, 0.2), PROB,
        source="assumed",
        meaning="Daily rate at which a youth's propensity moves toward its current target.")
    sports_offending_reduction: float = _offending(
        0.25, "share", (0.0, 0.5), PROB,
        source="assumed; evidence mixed (Spruit et al. 2016 meta-analysis finds no overall "
               "effect, larger where programmes add mentoring, as Copa Wambras does)",
        meaning="Reduction of offending propensity while enrolled in a sports programme.")
    sports_uptake: float = _offending(
        0.6, "share of places filled", (0.3, 0.9), PROB,
        source="assumed",
        meaning="Share of sports places that are taken up by local youth.")
    youth_prevention_offending_reduction: float = _offending(
        0.4, "share", (0.1, 0.5), PROB,
        source="Heller et al. 2017 (Becoming a Man CBT: violent-crime arrests down 45-50%)",
        meaning="Reduction of offending propensity of youth in prevention (drugs, mental health, "
                "dispute resolution).")
    youth_prevention_uptake: float = _offending(
        0.3, "share of youth", (0.1, 0.6), PROB,
        source="seed 004 (3,500 of ~40,000 youth trained) scaled to a treated barrio",
        meaning="Share of a treated barrio's youth reached by prevention programmes.")
    arrest_probability_per_offence: float = _offending(
        0.05, "probability", (0.01, 0.2), PROB,
        source="assumed (low clearance rates in Latin America, UNODC)",
        meaning="Chance an offence leads to an arrest without police present.")
    police_arrest_effect: float = _offending(
        0.5, "per unit police presence", (0.1, 1.5), (0.0, 10.0),
        source="assumed",
        meaning="Increase of the arrest chance per unit of police presence.")
    detention_days: float = _offending(
        120, "days", (30, 365), (1, 3650),
        source="assumed (pre-trial detention and short sentences, Ecuador)",
        meaning="Mean days an arrested offender is off the street.")

    # --- perception (Prieto Curiel & Bishop 2017) ----------------------------------------------
    safe_public_baseline: float = _perception(
        0.6287, "perceived safety 0-1", (0.4, 0.7), PROB,
        source="calibrated to 41% feeling safe in public spaces in the baseline (seed 000); "
               "history matching to the survey, severe violence, victimization and published "
               "effects: the set not ruled out closest to the survey, centred on it at full scale "
               "(scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Mean personal baseline of perceived safety in public spaces.")
    safe_neighbourhood_baseline: float = _perception(
        0.6504, "perceived safety 0-1", (0.45, 0.7), PROB,
        source="calibrated to 51% feeling safe in neighbourhoods in the baseline (seed 000); "
               "history matching to the survey, severe violence, victimization and published "
               "effects: the set not ruled out closest to the survey, centred on it at full scale "
               "(scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Mean personal baseline of perceived safety in the own neighbourhood.")
    baseline_heterogeneity: float = _perception(
        0.15, "sd", (0.08, 0.25), (0.0, 1.0),
        source="assumed",
        meaning="Spread of personal baselines.")
    women_safety_shift: float = _perception(
        -0.06, "perceived safety", (-0.15, 0.0), (-1.0, 1.0),
        source="assumed; women report lower perceived safety in Latin American surveys (LAPOP)",
        meaning="Shift of women's baseline perceived safety.")
    migrant_safety_shift: float = _perception(
        -0.04, "perceived safety", (-0.12, 0.0), (-1.0, 1.0),
        source="assumed (seeds 001-002)",
        meaning="Shift of migrants' baseline perceived safety.")
    youth_safety_shift: float = _perception(
        0.04, "perceived safety", (0.0, 0.1), (-1.0, 1.0),
        source="assumed",
        meaning="Shift of youths' baseline perceived safety.")
    memory_decay: float = _perception(
        0.01254, "per day", (0.005, 0.08), PROB,
        source="Prieto Curiel & Bishop 2017 (memory loss; form, not rate); history matching to the "
               "survey, severe violence, victimization and published effects: the set not ruled "
               "out closest to the survey, centred on it at full scale "
               "(scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Daily rate at which perceived safety returns toward the current target "
                "(half-life ln 2 / rate days).")
    own_victimization_drop: float = _perception(
        0.35, "perceived safety", (0.1, 0.6), PROB,
        source="assumed after Prieto Curiel & Bishop 2017",
        meaning="Drop of perceived safety of a victim.")
    victimization_scar: float = _perception(
        0.03, "perceived safety", (0.0, 0.1), PROB,
        source="assumed (fear can outlast crime: Prieto Curiel & Bishop 2017)",
        meaning="Lasting drop of a victim's perceived-safety target (a scar that heals slowly).")
    scar_recovery: float = _perception(
        0.005, "per day", (0.001, 0.02), PROB,
        source="assumed (fear after victimization fades over months to a year)",
        meaning="Daily rate at which victimization scars heal.")
    tie_victimization_drop: float = _perception(
        0.08, "perceived safety", (0.02, 0.2), PROB,
        source="assumed (vicarious victimization: Skogan & Maxfield 1981)",
        meaning="Drop of perceived safety when a tie is victimized.")
    fear_contagion: float = _perception(
        0.04614, "share of the gap per conversation", (0.01, 0.15), PROB,
        source="Prieto Curiel & Bishop 2017 (fear spreads more easily than reassurance; form, not "
               "rate); history matching to the survey, severe violence, victimization and "
               "published effects: the set not ruled out closest to the survey, centred on it at "
               "full scale (scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Pull toward a more fearful tie's perception after a conversation.")
    reassurance: float = _perception(
        0.02, "share of the gap per conversation", (0.0, 0.08), PROB,
        source="Prieto Curiel & Bishop 2017; assumed; not fitted: the survey figures cannot "
               "separate it from the fitted effects (README, Calibration)",
        meaning="Pull toward a more reassured tie's perception after a conversation.")
    conversations_per_week: float = _perception(
        2.0, "per week", (0.5, 7.0), (0.0, 7.0),
        source="assumed",
        meaning="How often a resident talks about safety with a tie.")
    neighbourhood_incident_drop: float = _perception(
        0.4, "perceived safety per incident per resident", (0.1, 1.0), (0.0, 10.0),
        source="assumed",
        meaning="Drop of neighbourhood perception per local incident, divided among the barrio's "
                "residents.")
    disorder_perception_effect: float = _perception(
        0.2855, "perceived safety per unit", (0.03, 0.3), PROB,
        source="Skogan 1990 (disorder and decline); assumed; not fitted: the survey figures cannot "
               "separate it from the fitted effects (README, Calibration); history matching to the "
               "survey, severe violence, victimization and published effects: the set not ruled "
               "out closest to the survey, centred on it at full scale "
               "(scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Fall of the safety target with visible disorder.")
    lighting_perception_effect: float = _perception(
        0.005319, "perceived safety per unit", (0.0, 0.25), PROB,
        source="ABC-SMC posterior median fitted to the Quito survey itself "
               "(results/calibration/parameters.md); Painter 1996 and Kaplan & Chalfin 2021 find "
               "people feel safer under brighter light, with no size in these units; history "
               "matching to the survey, severe violence, victimization and published effects: the "
               "set not ruled out closest to the survey, centred on it at full scale "
               "(scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Rise of the public-space safety target with lighting coverage.",
        evidence=(0.0, 0.012, "Lorenc et al. 2013 (little evidence that lighting reduces fear, "
                  "read as within 2 points) held against the randomized lighting trial "
                  "(evidence/evaluations/street_lighting.toml, dose-response on this "
                  "parameter): above about 0.012 the trial's effect on feeling safe in the "
                  "neighbourhood exceeds 2 points"))
    police_visibility_perception_effect: float = _perception(
        0.001317, "perceived safety per unit", (0.0, 0.12), PROB,
        source="assumed; not fitted: the survey figures cannot separate it from the fitted effects "
               "(README, Calibration); history matching to the survey, severe violence, "
               "victimization and published effects: the set not ruled out closest to the survey, "
               "centred on it at full scale (scripts/survey_frontier.py; "
               "results/calibration/README.md)",
        meaning="Rise of the safety target per unit of visible police presence.",
        evidence=(0.0, 0.01, "Gill et al. 2014 (community policing: a small, non-significant "
                  "improvement in fear, read as -2 to +3 points) held against the randomized "
                  "UPC trial (evidence/evaluations/upc_posts.toml, dose-response on this "
                  "parameter): above about 0.01 the trial's effect on feeling safe in the "
                  "neighbourhood exceeds 3 points"))
    committee_perception_effect: float = _perception(
        0.2412, "perceived safety per unit", (0.02, 0.25), PROB,
        source="mechanism: participation and collective efficacy (Sampson et al. 1997); size:; "
               "history matching to the survey, severe violence, victimization and published "
               "effects: the set not ruled out closest to the survey, centred on it at full scale "
               "(scripts/survey_frontier.py; results/calibration/README.md)",
        meaning="Rise of the neighbourhood safety target with collective efficacy (members "
                "feel committee_member_perception_share of it on top).")
    migrant_inclusion_safety_gain: float = _perception(
        0.05, "perceived safety", (0.0, 0.12), PROB,
        source="assumed (seed 001: inclusion and support networks)",
        meaning="Rise of migrants' baseline when reached by inclusion services.")
    safe_threshold: float = _perception(
        0.5, "perceived safety 0-1", (0.5, 0.5), PROB,
        source="definition: a resident 'feels safe' above this value",
        meaning="Threshold separating 'feels safe' from 'feels unsafe' in the survey.")

    # --- committees ----------------------------------------------------------------------------
    committee_join_rate: float = _committees(
        0.002, "per week", (0.0005, 0.01), PROB,
        source="assumed (about 10% of residents members at steady state)",
        meaning="Weekly chance a resident of a committee barrio joins, at full trust.")
    committee_leave_rate: float = _committees(
        0.01, "per week", (0.003, 0.03), PROB,
        source="assumed",
        meaning="Weekly chance a member leaves.")
    committee_efficacy_gain: float = _committees(
        0.05, "per week", (0.01, 0.15), PROB,
        source="assumed (Sampson et al. 1997)",
        meaning="Weekly rise of collective efficacy toward the members' share of residents "
                "(scaled).")
    collective_efficacy_decay: float = _committees(
        0.005, "per day", (0.001, 0.02), PROB,
        source="assumed",
        meaning="Daily decay of collective efficacy without committee activity.")
    mingas_per_year: float = _committees(
        2.0, "per committee per year", (0.5, 6.0), (0.0, 52.0),
        source="seed 003 (50 mingas in one zonal administration in 2021)",
        meaning="Community clean-ups (mingas) a committee runs each year.")
    minga_disorder_reduction: float = _committees(
        0.05, "disorder units", (0.01, 0.15), PROB,
        source="assumed",
        meaning="Fall of a barrio's disorder after a minga.")
    alarm_guardianship_gain: float = _committees(
        0.15, "collective efficacy units", (0.05, 0.3), PROB,
        source="seed 003 (18 community alarm systems in one zonal administration)",
        meaning="Rise of collective efficacy when a committee installs a community alarm.")
    exploratory_walks_per_year: float = _committees(
        0.5, "per committee per year", (0.1, 2.0), (0.0, 52.0),
        source="seed 003 (6 exploratory-walk diagnostics in the most insecure barrios)",
        meaning="Exploratory walks a committee runs each year; each puts its barrio first in line "
                "for lighting and public-space recovery.")
    disorder_drift: float = _committees(
        0.0005, "per day", (0.0, 0.002), PROB,
        source="assumed",
        meaning="Daily drift of disorder back toward the barrio's untreated level.")

    # --- police and legitimacy (after Epstein 2002) --------------------------------------------
    upc_presence: float = _police(
        1.0, "police presence units", (0.5, 2.0), (0.0, 20.0),
        source="assumed",
        meaning="Police presence a UPC post adds to its barrio (a third to each neighbour).")
    patrol_presence: float = _police(
        1.0, "police presence units", (0.5, 2.0), (0.0, 20.0),
        source="assumed",
        meaning="Police presence a patrol unit adds to the barrio it patrols that day.")
    operation_presence: float = _police(
        4.0, "police presence units", (2.0, 8.0), (0.0, 50.0),
        source="assumed",
        meaning="Police presence of a coordinated operation on its day.")
    operation_arrest_share: float = _police(
        0.3, "share", (0.1, 0.6), PROB,
        source="assumed",
        meaning="Share of active offenders present who are arrested in an operation.")
    hotspot_focus: float = _police(
        20, "barrios", (5, 100), (1, 1e5),
        source="assumed",
        meaning="Number of top reported-incident barrios among which hot-spot patrols choose.")
    legitimacy_baseline: float = _police(
        0.5, "0-1", (0.3, 0.7), PROB,
        source="LAPOP AmericasBarometer: trust in police in Ecuador about 40-50%",
        meaning="Baseline police legitimacy (trust) in a barrio.")
    heavy_handed_legitimacy_erosion: float = _police(
        0.08, "legitimacy per operation", (0.02, 0.2), PROB,
        source="after Epstein 2002 (legitimacy) and Tyler 2004 (procedural justice)",
        meaning="Fall of a barrio's legitimacy per fully heavy-handed operation.")
    community_policing_legitimacy_gain: float = _police(
        0.0005, "per day", (0.0, 0.002), PROB,
        source="Gill et al. 2014 (community policing raises legitimacy)",
        meaning="Daily rise of legitimacy in a barrio with a UPC post.")
    legitimacy_recovery: float = _police(
        0.005, "per day", (0.001, 0.02), PROB,
        source="assumed",
        meaning="Daily return of legitimacy toward baseline.")
    reporting_probability: float = _police(
        0.35, "at legitimacy 1", (0.15, 0.6), PROB,
        source="INEC victimization surveys: most offences go unreported",
        meaning="Chance an incident is reported to police, times legitimacy.")

    # --- other programmes ----------------------------------------------------------------------
    lighting_installation_rate: float = _programmes(
        0.05, "per day", (0.01, 0.2), PROB,
        source="assumed",
        meaning="Daily rate at which a treated barrio's lighting coverage approaches full.")
    public_space_disorder_reduction: float = _programmes(
        0.5, "share", (0.2, 0.8), PROB,
        source="Branas et al. 2018; Cassidy et al. 2014 (public-space upgrading)",
        meaning="Share of disorder removed by public-space recovery.")
    cero_acoso_vulnerability_reduction: float = _programmes(
        0.3, "share", (0.1, 0.5), PROB,
        source="seed 000 reports an average reduction in victimization risk from Cero Acoso; the "
               "figure is missing from the text: calibrated",
        meaning="Reduction of women's extra risk in public space where Cero Acoso runs.")
    migrant_inclusion_vulnerability_reduction: float = _programmes(
        0.3, "share", (0.1, 0.5), PROB,
        source="assumed (seed 004: income support for 947 women, youth and refugees)",
        meaning="Reduction of migrants' extra risk where inclusion services reach them.")
    sports_places_per_barrio: float = _programmes(
        150, "youth places (real persons)", (50, 400), (0, 1e5),
        source="assumed (Copa Wambras: a league per parish)",
        meaning="Sports places a treated barrio offers (real persons; divided by the scale).")

    # --- structure: the form of the mechanisms (weights, caps, memories) ----------------------
    # Numbers that shape how a mechanism works rather than how strong it is. Each was a
    # constant in the code; they are registered so that a study can vary them, but the
    # default sensitivity designs leave this group out (set `groups` to include it).
    incident_memory_days: float = _structure(
        30, "days", (10, 90), (1, 3650),
        source="assumed (a month: the horizon of 'recent' incidents in police and resident "
               "accounts)",
        meaning="Time scale of the decaying counts of recent incidents and of reported "
                "incidents (each day keeps 1 - 1/days of the count).")
    patrol_request_threshold: float = _structure(
        2.0, "reported incidents (recent, decaying count)", (1.0, 5.0), (0.0, 1e4),
        source="assumed",
        meaning="Recent reported incidents above which a committee asks for patrols.")
    full_efficacy_member_share: float = _structure(
        0.2, "share of residents", (0.1, 0.4), (0.01, 1.0),
        source="assumed",
        meaning="Committee members' share of a barrio's residents that supports full "
                "collective efficacy.")
    alarm_after_weeks: float = _structure(
        8, "weeks", (4, 16), (0, 520),
        source="assumed (seed 003: alarms follow committees' first months of work)",
        meaning="Weeks of activity before a committee installs a community alarm.")
    recovery_works_rate: float = _structure(
        0.02, "per day", (0.005, 0.05), PROB,
        source="assumed (public-space works take a few months)",
        meaning="Daily rate at which a recovered barrio's disorder approaches its recovered "
                "level.")
    police_visibility_cap: float = _structure(
        3.0, "police presence units", (1.0, 6.0), (0.0, 100.0),
        source="assumed (more police than this is not seen as safer)",
        meaning="Police presence beyond which visible police reassure no more.")
    street_share_cap: float = _structure(
        3.0, "people present per resident", (1.5, 6.0), (0.1, 100.0),
        source="assumed",
        meaning="Cap on the street share (people present over residents) in guardianship: "
                "crowds beyond this deter no more.")
    public_perception_local_weight: float = _structure(
        1.0, "share", (0.5, 1.0), PROB,
        source="assumed: people judge the public spaces they use (Lorenc et al. 2013: "
               "environmental changes act on those who use the place); below 1 the rest is "
               "the city-wide average environment",
        meaning="Share of the public-space safety target set by the places a resident uses "
                "(home, activity barrio and night spot alike); the rest is the city-wide "
                "average (what is seen in the news).")
    committee_member_perception_share: float = _structure(
        0.5, "share of committee_perception_effect", (0.0, 1.0), (0.0, 5.0),
        source="assumed (participation itself reassures)",
        meaning="Extra neighbourhood safety a committee member feels, as a share of the "
                "committee perception effect.")
    tie_neighbourhood_drop_share: float = _structure(
        0.5, "share of tie_victimization_drop", (0.25, 1.0), PROB,
        source="assumed (a tie's victimization is news from elsewhere)",
        meaning="Drop of neighbourhood perception when a tie is victimized, as a share of "
                "the public-space drop.")
    away_neighbourhood_drop_share: float = _structure(
        0.5, "share of own_victimization_drop", (0.25, 1.0), PROB,
        source="assumed",
        meaning="Drop of a victim's neighbourhood perception when victimized away from the "
                "home barrio, as a share of the drop at home.")
    night_spot_distance_ratio: float = _structure(
        0.25, "ratio", (0.1, 0.5), (0.01, 1.0),
        source="assumed (people go out at night nearer home than they travel by day)",
        meaning="Distance scale of the night spot, as a share of activity_distance_scale.")
    upc_neighbour_presence_share: float = _structure(
        1 / 3, "share of upc_presence", (0.1, 0.5), PROB,
        source="assumed",
        meaning="Police presence a UPC post adds to each neighbouring barrio, as a share of "
                "its own barrio's (summed over neighbouring posts, at most one post's own).")

    def __post_init__(self):
        for f in fields(self):
            check_parameter(f.name, getattr(self, f.name))

    def replace(self, **changes) -> Params:
        """A copy with some values changed (checked like the originals)."""
        return replace(self, **changes)


PARAMETERS: MappingProxyType = MappingProxyType(
    {f.name: Parameter(f.name, f.default, **f.metadata) for f in fields(Params)})
"""The registry: every parameter by name, in declaration order."""


def check_parameter(name: str, value) -> None:
    """Raise ValueError saying what was expected and what was found."""
    if name not in PARAMETERS:
        raise ValueError(f"expected a parameter name listed by `barrios params`, found {name!r}")
    low, high = PARAMETERS[name].bounds
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number in [{low:g}, {high:g}], found {value!r}")
    if not low <= value <= high:  # NaN fails here too
        raise ValueError(f"expected a number in [{low:g}, {high:g}], found {value!r}")
