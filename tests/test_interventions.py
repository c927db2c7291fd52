"""``ramp_fraction``: the share of an intervention's intensity in place on a day.

New programmes are at 0 before their start; expanded ones (``ramp_from`` > 0) at
``ramp_from``. From the start the share rises linearly to 1 over ``ramp_months``, the
start month counting as month 1, and it is 0 from the end on.
"""

from __future__ import annotations

from datetime import date

import pytest

from simulation.interventions import InterventionSettings as Intervention
from simulation.interventions import OperationSettings as PoliceOperations
from simulation.interventions import PatrolSettings as PatrolUnits
from simulation.timeline import ramp_fraction

START = date(2023, 1, 1)


def lever(**kw) -> Intervention:
    return Intervention(**{"start": START, "ramp_months": 4.0, **kw})


def test_no_configuration_is_zero():
    assert ramp_fraction(None, START) == 0.0


@pytest.mark.parametrize("today", [date(2020, 1, 1), date(2022, 7, 5), date(2022, 12, 31)])
def test_before_start_a_new_programme_is_zero(today):
    assert ramp_fraction(lever(), today) == 0.0


@pytest.mark.parametrize("today", [date(2020, 1, 1), date(2022, 7, 5), date(2022, 12, 31)])
def test_before_start_an_expanded_programme_is_at_ramp_from(today):
    assert ramp_fraction(lever(ramp_from=0.6), today) == 0.6


def test_ramp_from_defaults_to_zero_and_accepts_an_integer():
    assert lever().ramp_from == 0.0
    item = lever(ramp_from=1)
    assert item.ramp_from == 1.0 and isinstance(item.ramp_from, float)


@pytest.mark.parametrize("ramp_from, expected", [
    (0.0, [0.25, 0.5, 0.75, 1.0]),
    (0.6, [0.7, 0.8, 0.9, 1.0]),
], ids=["new", "expanded"])
def test_rises_linearly_month_by_month(ramp_from, expected):
    item = lever(ramp_from=ramp_from)
    months = [date(2023, m, 1) for m in (1, 2, 3, 4)]
    assert [ramp_fraction(item, d) for d in months] == pytest.approx(expected)


def test_the_whole_start_month_is_month_one():
    item = lever(ramp_from=0.2)
    assert ramp_fraction(item, date(2023, 1, 31)) == ramp_fraction(item, START) == pytest.approx(0.4)


def test_month_counting_crosses_years():
    item = Intervention(start=date(2023, 11, 1), ramp_months=4.0, ramp_from=0.5)
    assert ramp_fraction(item, date(2024, 1, 15)) == pytest.approx(0.5 + 0.5 * 3 / 4)


@pytest.mark.parametrize("ramp_from", [0.0, 0.2380952380952381, 0.6])
def test_reaches_one_after_ramp_months_and_stays(ramp_from):
    item = lever(ramp_from=ramp_from, ramp_months=24.0)
    assert ramp_fraction(item, date(2024, 11, 1)) < 1.0    # month 23
    for today in (date(2024, 12, 1), date(2025, 1, 1), date(2030, 6, 1)):
        assert ramp_fraction(item, today) == 1.0


def test_fractional_ramp_months():
    item = lever(ramp_months=2.5)
    assert [ramp_fraction(item, date(2023, m, 1)) for m in (1, 2, 3)] == pytest.approx([0.4, 0.8, 1.0])


@pytest.mark.parametrize("ramp_from", [0.0, 0.5])
def test_zero_ramp_months_jumps_to_one_at_start(ramp_from):
    item = lever(ramp_from=ramp_from, ramp_months=0.0)
    assert ramp_fraction(item, date(2022, 12, 31)) == ramp_from
    assert ramp_fraction(item, START) == 1.0


@pytest.mark.parametrize("ramp_from", [0.0, 0.5])
def test_zero_after_end(ramp_from):
    item = lever(ramp_from=ramp_from, end=date(2023, 3, 1))
    assert ramp_fraction(item, date(2023, 2, 28)) == pytest.approx(ramp_from + (1 - ramp_from) * 2 / 4)
    assert ramp_fraction(item, date(2023, 3, 1)) == 0.0
    assert ramp_fraction(item, date(2025, 1, 1)) == 0.0


def test_policing_levers_ramp_the_same_way():
    patrols = PatrolUnits(start=START, ramp_months=6.0, ramp_from=0.25, units=160, intensity=1.0)
    ops = PoliceOperations(start=START, ramp_months=8.0, ramp_from=0.2, per_year=4000)
    assert patrols.units * ramp_fraction(patrols, date(2022, 12, 1)) == 40
    assert ops.per_year * ramp_fraction(ops, date(2022, 12, 1)) == 800
    assert ramp_fraction(patrols, date(2023, 6, 1)) == ramp_fraction(ops, date(2023, 8, 1)) == 1.0


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_ramp_from_outside_zero_one_is_rejected(bad):
    with pytest.raises(ValueError):
        lever(ramp_from=bad)
