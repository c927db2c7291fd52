"""Power cuts: scheduled outages that switch street lighting off for part of the night.

A scenario lists periods of cuts (``[[power_cuts]]``: ``start``, ``end``,
``night_dark_share``). In a period, ``night_dark_share`` of the night's hours have no
power, on average over barrios: rotating cuts darken each sector in turn, so the mean
barrio loses that share of its night lighting. The lighting that is on tonight,
``lit_at_night`` = installed coverage x (1 - share), is what offenders and victims meet at
night (``victimization``, ``mobility``) and what residents see (``perception``); the
installed coverage (``lighting``) is what lighting programmes build and target.

Why a model of the 2024 cuts: Quito's first perception survey (autumn 2024) was taken
during Ecuador's electricity crisis (docs/status.md, scenarios/baseline_2023.toml).
"""

from __future__ import annotations

from datetime import date

import numpy as np


def dark_share(cuts, today: date) -> float:
    """The share of tonight's hours without power (0 outside every period; periods do
    not overlap, ``simulation.config.Scenario``)."""
    for cut in cuts:
        if cut.start <= today <= cut.end:
            return cut.night_dark_share
    return 0.0


def light_tonight(city, share: float):
    """Set ``lit_at_night``: the installed lighting less the share cut tonight."""
    np.multiply(city.layer("lighting"), 1.0 - share, out=city.layer("lit_at_night"))
