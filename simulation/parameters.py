"""Every behavioural and intervention-effect parameter of Barrios, in one place.

Each parameter has a name that says what it is, a unit, a default, a plausible range
(used for sensitivity analysis and as calibration priors), hard bounds (what is valid at
all) and the source of its default: a study, a seed figure (``../shared/seeds``), or
"calibrated" (to be fitted against the Tándem survey figures).

Scenario files override defaults in their ``[parameters]`` table; the names here are
the names used everywhere (scenario files, experiment files, ``barrios params``).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Parameter:
    name: str
    default: float
    unit: str
    plausible: tuple[float, float]
    bounds: tuple[float, float]
    source: str
    description: str
    group: str


_P: list[Parameter] = []


def _add(name, default, unit, plausible, bounds, source, description, group):
    _P.append(Parameter(name, float(default), unit, tuple(plausible), tuple(bounds),
                        source, description, group))


PROB = (0.0, 1.0)
POS = (0.0, 1e9)

# --- population --------------------------------------------------------------------
G = "population"
_add("youth_share", 0.22, "share of residents", (0.18, 0.26), PROB,
     "INEC census 2022: people aged 12-24 are about 22% of Quito's population",
     "Share of residents aged 12-24 (youth, who carry an offending propensity).", G)
_add("women_share", 0.51, "share of residents", (0.49, 0.53), PROB,
     "INEC census 2022", "Share of residents who are women.", G)
_add("migrant_share", 0.05, "share of residents", (0.02, 0.10), PROB,
     "seeds 001-002 (human mobility in Quito); about 5% Venezuelan and Colombian migrants",
     "Share of residents in human mobility (migrants, refugees, asylum seekers).", G)
_add("neighbour_ties", 4, "ties per resident", (2, 8), (0, 20),
     "assumed (typical core-discussion network size, 4-6)",
     "Social ties each resident has within the home barrio.", G)
_add("acquaintance_ties", 4, "ties per resident", (2, 8), (0, 20),
     "assumed", "Social ties each resident has anywhere in the city (nearer likelier).", G)
_add("vulnerability_heterogeneity", 0.5, "log-sd", (0.2, 0.8), (0.0, 2.0),
     "assumed", "Log-normal spread of individual target suitability.", G)

# --- daily routine -----------------------------------------------------------------
G = "routine"
_add("day_activity_probability", 0.8, "probability per weekday", (0.6, 0.95), PROB,
     "assumed: labour participation plus school attendance (INEC ENEMDU)",
     "Chance a resident spends a weekday in their activity barrio (work, school, market).", G)
_add("weekend_activity_factor", 0.5, "ratio", (0.3, 0.8), PROB, "assumed",
     "Weekend chance of going to the activity barrio, relative to a weekday.", G)
_add("activity_distance_scale", 4.0, "barrio cells", (2.0, 8.0), (0.5, 50.0),
     "assumed (gravity model of trips: nearer destinations likelier)",
     "Distance scale of the exponential decay of activity-barrio choice.", G)
_add("night_outing_probability", 0.3, "probability per night", (0.15, 0.5), PROB,
     "assumed (time-use surveys: a third of adults out after dark on a given night)",
     "Chance a resident who feels fully safe goes out to public space at night.", G)
_add("fear_stay_home_strength", 0.7, "share", (0.3, 1.0), PROB,
     "calibrated; mechanism after Jacobs 1961 (eyes on the street)",
     "How much fear cuts night outings: 1 means a fully fearful resident never goes out.", G)

# --- victimization (routine activity theory) -----------------------------------------
G = "victimization"
_add("offences_per_offender_phase", 0.24, "attempts per active offender per phase",
     (0.1, 1.5), (0.0, 10.0), "calibrated (to about 15% victimized per year)",
     "Attempts an active offender makes in one day or night phase.", G)
_add("guardianship_effect", 2.0, "per unit street share", (0.5, 4.0), (0.0, 20.0),
     "calibrated; mechanism: Cohen & Felson 1979, Groff 2007",
     "How strongly the share of a barrio's residents present in public deters offences.", G)
_add("target_saturation", 3.0, "agents present at the default scale (x100 persons)",
     (1.0, 10.0), (0.01, 1e3), "assumed",
     "People present at which half of an offender's attempts find a suitable target.", G)
_add("police_deterrence_effect", 0.18, "per unit police presence", (0.05, 0.5), (0.0, 5.0),
     "Braga, Turchan, Papachristos & Hureau 2019 (hot-spots policing meta-analysis: "
     "crime down about 16% in treated places)",
     "Log-reduction of offence success per unit of police presence.", G)
_add("collective_efficacy_effect", 0.25, "per unit collective efficacy", (0.05, 0.6),
     (0.0, 5.0), "Bennett, Holloway & Farrington 2008 (neighbourhood watch meta-analysis: "
     "crime down 16-26%); Sampson, Raudenbush & Earls 1997",
     "Log-reduction of offence success per unit of committee-built collective efficacy.", G)
_add("lighting_night_risk_reduction", 0.21, "share", (0.05, 0.4), PROB,
     "Welsh & Farrington 2008 (street lighting meta-analysis: crime down 21%)",
     "Reduction of night-time offence success in a fully lit barrio.", G)
_add("disorder_risk_effect", 0.4, "per unit disorder", (0.1, 0.8), (0.0, 5.0),
     "Branas et al. 2018 (vacant-lot remediation: gun violence down 29% in poor areas)",
     "Log-increase of offence success per unit of physical disorder.", G)
_add("attractiveness_per_incident", 0.3, "per incident per resident-scale", (0.1, 1.0),
     (0.0, 10.0), "Short et al. 2008 (repeat and near-repeat victimization)",
     "Rise in a barrio's attractiveness to offenders for each incident there.", G)
_add("attractiveness_decay", 0.07, "per day", (0.02, 0.2), PROB,
     "Short et al. 2008; near-repeat risk fades over about two weeks (Johnson 2008)",
     "Daily decay of incident-driven attractiveness.", G)
_add("attractiveness_spread", 0.2, "share per day", (0.05, 0.5), PROB,
     "Short et al. 2008", "Share of attractiveness that spreads to the 8 neighbouring barrios.", G)
_add("attractiveness_risk_effect", 0.5, "per unit attractiveness", (0.1, 1.5), (0.0, 10.0),
     "Short et al. 2008", "Log-increase of offence success per unit of attractiveness.", G)
_add("women_public_vulnerability", 1.5, "relative risk", (1.0, 3.0), (0.0, 20.0),
     "assumed; UN Women Safe Cities Quito baseline (harassment of women in public space)",
     "Relative risk of women in public space (the risk Cero Acoso targets).", G)
_add("migrant_vulnerability", 1.3, "relative risk", (1.0, 2.0), (0.0, 20.0),
     "assumed (seeds 001-002: migrants' limited support networks)",
     "Relative risk of residents in human mobility.", G)
_add("severe_share", 0.0004047, "share of incidents", (1e-4, 3e-3), PROB,
     "calibrated to Quito's ~8 homicides per 100,000 (seed 000); ABC-SMC posterior median (results/calibration/parameters.md)",
     "Share of incidents that are severe violence (the homicide analogue) in a "
     "barrio of average disadvantage without recruitment pressure.", G)
_add("severe_disadvantage_effect", 1.5, "per unit disadvantage", (0.5, 3.0), (0.0, 10.0),
     "assumed", "Log-increase of the severe share with barrio disadvantage.", G)
_add("severe_recruitment_effect", 1.5, "per unit recruitment pressure", (0.5, 3.0),
     (0.0, 10.0), "assumed so that strong recruitment gives rates above 50 per 100,000 "
     "like Ecuador's (seed 000)",
     "Log-increase of the severe share with armed-group recruitment pressure.", G)

# --- offending --------------------------------------------------------------------
G = "offending"
_add("offending_propensity_mean", 0.02, "probability per day", (0.005, 0.06), PROB,
     "calibrated", "Mean daily chance a youth of average disadvantage is out offending.", G)
_add("offending_propensity_heterogeneity", 1.2, "log-sd", (0.6, 1.8), (0.0, 3.0),
     "assumed (offending is concentrated in few people: Wolfgang et al. 1972)",
     "Log-normal spread of youth offending propensity.", G)
_add("disadvantage_offending_effect", 1.5, "per unit disadvantage", (0.5, 3.0), (0.0, 10.0),
     "assumed (concentrated disadvantage: Sampson et al. 1997)",
     "Log-increase of offending propensity with home-barrio disadvantage.", G)
_add("recruitment_pressure", 0.0, "0-1 index", (0.0, 0.3), PROB,
     "seed 004 (armed-group recruitment of youth on the northern border); ~0 in Quito",
     "Pressure from armed groups and gangs to recruit youth.", G)
_add("recruitment_offending_effect", 1.0, "per unit recruitment pressure", (0.5, 2.0),
     (0.0, 10.0), "assumed", "Log-increase of offending propensity with recruitment pressure.", G)
_add("propensity_adjustment_rate", 0.05, "per day", (0.01, 0.2), PROB, "assumed",
     "Daily rate at which a youth's propensity moves toward its current target.", G)
_add("sports_offending_reduction", 0.25, "share", (0.0, 0.5), PROB,
     "assumed; evidence mixed (Spruit et al. 2016 meta-analysis finds no overall effect, "
     "larger where programmes add mentoring, as Copa Wambras does)",
     "Reduction of offending propensity while enrolled in a sports programme.", G)
_add("sports_uptake", 0.6, "share of places filled", (0.3, 0.9), PROB, "assumed",
     "Share of sports places that are taken up by local youth.", G)
_add("youth_prevention_offending_reduction", 0.4, "share", (0.1, 0.5), PROB,
     "Heller et al. 2017 (Becoming a Man CBT: violent-crime arrests down 45-50%)",
     "Reduction of offending propensity of youth in prevention (drugs, mental health, "
     "dispute resolution).", G)
_add("youth_prevention_uptake", 0.3, "share of youth", (0.1, 0.6), PROB,
     "seed 004 (3,500 of ~40,000 youth trained) scaled to a treated barrio",
     "Share of a treated barrio's youth reached by prevention programmes.", G)
_add("arrest_probability_per_offence", 0.05, "probability", (0.01, 0.2), PROB,
     "assumed (low clearance rates in Latin America, UNODC)",
     "Chance an offence leads to an arrest without police present.", G)
_add("police_arrest_effect", 0.5, "per unit police presence", (0.1, 1.5), (0.0, 10.0),
     "assumed", "Increase of the arrest chance per unit of police presence.", G)
_add("detention_days", 120, "days", (30, 365), (1, 3650),
     "assumed (pre-trial detention and short sentences, Ecuador)",
     "Mean days an arrested offender is off the street.", G)

# --- perception (Prieto Curiel & Bishop 2017) ---------------------------------------
G = "perception"
_add("safe_public_baseline", 0.5268, "perceived safety 0-1", (0.4, 0.7), PROB,
     'calibrated to 41% feeling safe in public spaces in the baseline (seed 000); ABC-SMC posterior median (results/calibration/parameters.md)',
     "Mean personal baseline of perceived safety in public spaces.", G)
_add("safe_neighbourhood_baseline", 0.549, "perceived safety 0-1", (0.45, 0.7), PROB,
     'calibrated to 51% feeling safe in neighbourhoods in the baseline (seed 000); ABC-SMC posterior median (results/calibration/parameters.md)',
     "Mean personal baseline of perceived safety in the own neighbourhood.", G)
_add("baseline_heterogeneity", 0.15, "sd", (0.08, 0.25), (0.0, 1.0), "assumed",
     "Spread of personal baselines.", G)
_add("women_safety_shift", -0.06, "perceived safety", (-0.15, 0.0), (-1.0, 1.0),
     "assumed; women report lower perceived safety in Latin American surveys (LAPOP)",
     "Shift of women's baseline perceived safety.", G)
_add("migrant_safety_shift", -0.04, "perceived safety", (-0.12, 0.0), (-1.0, 1.0),
     "assumed (seeds 001-002)", "Shift of migrants' baseline perceived safety.", G)
_add("youth_safety_shift", 0.04, "perceived safety", (0.0, 0.1), (-1.0, 1.0), "assumed",
     "Shift of youths' baseline perceived safety.", G)
_add("memory_decay", 0.05728, "per day", (0.005, 0.08), PROB,
     'Prieto Curiel & Bishop 2017 (memory loss; form, not rate); ABC-SMC posterior median (results/calibration/parameters.md)',
     "Daily rate at which perceived safety returns toward the current target (half-life ln 2 / rate days).", G)
_add("own_victimization_drop", 0.35, "perceived safety", (0.1, 0.6), PROB,
     "assumed after Prieto Curiel & Bishop 2017", "Drop of perceived safety of a victim.", G)
_add("victimization_scar", 0.03, "perceived safety", (0.0, 0.1), PROB,
     "assumed (fear can outlast crime: Prieto Curiel & Bishop 2017)",
     "Lasting drop of a victim's perceived-safety target (a scar that heals slowly).", G)
_add("scar_recovery", 0.005, "per day", (0.001, 0.02), PROB,
     "assumed (fear after victimization fades over months to a year)",
     "Daily rate at which victimization scars heal.", G)
_add("tie_victimization_drop", 0.08, "perceived safety", (0.02, 0.2), PROB,
     "assumed (vicarious victimization: Skogan & Maxfield 1981)",
     "Drop of perceived safety when a tie is victimized.", G)
_add("fear_contagion", 0.06714, "share of the gap per conversation", (0.01, 0.15), PROB,
     'Prieto Curiel & Bishop 2017 (fear spreads more easily than reassurance; form, not rate); ABC-SMC posterior median (results/calibration/parameters.md)',
     "Pull toward a more fearful tie's perception after a conversation.", G)
_add("reassurance", 0.02, "share of the gap per conversation", (0.0, 0.08), PROB,
     'Prieto Curiel & Bishop 2017; assumed; not fitted: the survey figures cannot separate it from the fitted effects (README, Calibration)',
     "Pull toward a more reassured tie's perception after a conversation.", G)
_add("conversations_per_week", 2.0, "per week", (0.5, 7.0), (0.0, 7.0), "assumed",
     "How often a resident talks about safety with a tie.", G)
_add("neighbourhood_incident_drop", 0.4, "perceived safety per incident per resident",
     (0.1, 1.0), (0.0, 10.0), "assumed", "Drop of neighbourhood perception per local "
     "incident, divided among the barrio's residents.", G)
_add("disorder_perception_effect", 0.10, "perceived safety per unit", (0.03, 0.3), PROB,
     'Skogan 1990 (disorder and decline); assumed; not fitted: the survey figures cannot separate it from the fitted effects (README, Calibration)', "Fall of the safety target with visible disorder.", G)
_add("lighting_perception_effect", 0.104, "perceived safety per unit", (0.02, 0.25), PROB,
     'Painter 1996; Welsh & Farrington 2008 (lighting raises feelings of safety; no size in these units); ABC-SMC posterior median (results/calibration/parameters.md)',
     "Rise of the public-space safety target with lighting coverage.", G)
_add("police_visibility_perception_effect", 0.04, "perceived safety per unit", (0.0, 0.12),
     PROB, 'Gill et al. 2014 (community policing improves perceived disorder and safety); assumed; not fitted: the survey figures cannot separate it from the fitted effects (README, Calibration)',
     "Rise of the safety target per unit of visible police presence.", G)
_add("committee_perception_effect", 0.154, "perceived safety per unit", (0.02, 0.25), PROB,
     'mechanism: participation and collective efficacy (Sampson et al. 1997); size: ABC-SMC posterior median (results/calibration/parameters.md)',
     "Rise of the neighbourhood safety target with collective efficacy; members "
     "get the same again.", G)
_add("migrant_inclusion_safety_gain", 0.05, "perceived safety", (0.0, 0.12), PROB,
     "assumed (seed 001: inclusion and support networks)",
     "Rise of migrants' baseline when reached by inclusion services.", G)
_add("safe_threshold", 0.5, "perceived safety 0-1", (0.5, 0.5), PROB,
     "definition: a resident 'feels safe' above this value",
     "Threshold separating 'feels safe' from 'feels unsafe' in the survey.", G)

# --- committees ---------------------------------------------------------------------
G = "committees"
_add("committee_join_rate", 0.002, "per week", (0.0005, 0.01), PROB,
     "assumed (about 10% of residents members at steady state)",
     "Weekly chance a resident of a committee barrio joins, at full trust.", G)
_add("committee_leave_rate", 0.01, "per week", (0.003, 0.03), PROB, "assumed",
     "Weekly chance a member leaves.", G)
_add("committee_efficacy_gain", 0.05, "per week", (0.01, 0.15), PROB,
     "assumed (Sampson et al. 1997)", "Weekly rise of collective efficacy toward the "
     "members' share of residents (scaled).", G)
_add("collective_efficacy_decay", 0.005, "per day", (0.001, 0.02), PROB, "assumed",
     "Daily decay of collective efficacy without committee activity.", G)
_add("mingas_per_year", 2.0, "per committee per year", (0.5, 6.0), (0.0, 52.0),
     "seed 003 (50 mingas in one zonal administration in 2021)",
     "Community clean-ups (mingas) a committee runs each year.", G)
_add("minga_disorder_reduction", 0.05, "disorder units", (0.01, 0.15), PROB, "assumed",
     "Fall of a barrio's disorder after a minga.", G)
_add("alarm_guardianship_gain", 0.15, "collective efficacy units", (0.05, 0.3), PROB,
     "seed 003 (18 community alarm systems in one zonal administration)",
     "Rise of collective efficacy when a committee installs a community alarm.", G)
_add("exploratory_walks_per_year", 0.5, "per committee per year", (0.1, 2.0), (0.0, 52.0),
     "seed 003 (6 exploratory-walk diagnostics in the most insecure barrios)",
     "Exploratory walks a committee runs each year; each puts its barrio first in line "
     "for lighting and public-space recovery.", G)
_add("disorder_drift", 0.0005, "per day", (0.0, 0.002), PROB, "assumed",
     "Daily drift of disorder back toward the barrio's untreated level.", G)

# --- police and legitimacy (after Epstein 2002) --------------------------------------
G = "police"
_add("upc_presence", 1.0, "police presence units", (0.5, 2.0), (0.0, 20.0), "assumed",
     "Police presence a UPC post adds to its barrio (a third to each neighbour).", G)
_add("patrol_presence", 1.0, "police presence units", (0.5, 2.0), (0.0, 20.0), "assumed",
     "Police presence a patrol unit adds to the barrio it patrols that day.", G)
_add("operation_presence", 4.0, "police presence units", (2.0, 8.0), (0.0, 50.0),
     "assumed", "Police presence of a coordinated operation on its day.", G)
_add("operation_arrest_share", 0.3, "share", (0.1, 0.6), PROB, "assumed",
     "Share of active offenders present who are arrested in an operation.", G)
_add("hotspot_focus", 20, "barrios", (5, 100), (1, 1e5), "assumed",
     "Number of top reported-incident barrios among which hot-spot patrols choose.", G)
_add("legitimacy_baseline", 0.5, "0-1", (0.3, 0.7), PROB,
     "LAPOP AmericasBarometer: trust in police in Ecuador about 40-50%",
     "Baseline police legitimacy (trust) in a barrio.", G)
_add("heavy_handed_legitimacy_erosion", 0.08, "legitimacy per operation", (0.02, 0.2),
     PROB, "after Epstein 2002 (legitimacy) and Tyler 2004 (procedural justice)",
     "Fall of a barrio's legitimacy per fully heavy-handed operation.", G)
_add("community_policing_legitimacy_gain", 0.0005, "per day", (0.0, 0.002), PROB,
     "Gill et al. 2014 (community policing raises legitimacy)",
     "Daily rise of legitimacy in a barrio with a UPC post.", G)
_add("legitimacy_recovery", 0.005, "per day", (0.001, 0.02), PROB, "assumed",
     "Daily return of legitimacy toward baseline.", G)
_add("reporting_probability", 0.35, "at legitimacy 1", (0.15, 0.6), PROB,
     "INEC victimization surveys: most offences go unreported",
     "Chance an incident is reported to police, times legitimacy.", G)

# --- other programmes ---------------------------------------------------------------
G = "programmes"
_add("lighting_installation_rate", 0.05, "per day", (0.01, 0.2), PROB, "assumed",
     "Daily rate at which a treated barrio's lighting coverage approaches full.", G)
_add("public_space_disorder_reduction", 0.5, "share", (0.2, 0.8), PROB,
     "Branas et al. 2018; Cassidy et al. 2014 (public-space upgrading)",
     "Share of disorder removed by public-space recovery.", G)
_add("cero_acoso_vulnerability_reduction", 0.3, "share", (0.1, 0.5), PROB,
     "seed 000 reports an average reduction in victimization risk from Cero Acoso; "
     "the figure is missing from the text: calibrated",
     "Reduction of women's extra risk in public space where Cero Acoso runs.", G)
_add("migrant_inclusion_vulnerability_reduction", 0.3, "share", (0.1, 0.5), PROB,
     "assumed (seed 004: income support for 947 women, youth and refugees)",
     "Reduction of migrants' extra risk where inclusion services reach them.", G)
_add("sports_places_per_barrio", 150, "youth places (real persons)", (50, 400), (0, 1e5),
     "assumed (Copa Wambras: a league per parish)",
     "Sports places a treated barrio offers (real persons; divided by the scale).", G)

PARAMETERS: MappingProxyType = MappingProxyType({p.name: p for p in _P})
DEFAULTS: MappingProxyType = MappingProxyType({p.name: p.default for p in _P})


class Params:
    """Attribute access to parameter values (defaults with overrides).

    Plain attributes, so the hot loop reads them at the cost of a dict look-up.
    """

    def __init__(self, overrides: dict[str, float] | None = None):
        values = dict(DEFAULTS)
        for key, value in (overrides or {}).items():
            check_parameter(key, value)
            values[key] = float(value)
        self.__dict__.update(values)

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def check_parameter(name: str, value) -> None:
    """Raise ValueError saying what was expected and what was found."""
    if name not in PARAMETERS:
        raise ValueError(f"expected a parameter name listed by `barrios params`, found {name!r}")
    low, high = PARAMETERS[name].bounds
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number in [{low:g}, {high:g}], found {value!r}")
    if not low <= value <= high:
        raise ValueError(f"expected a number in [{low:g}, {high:g}], found {value!r}")
