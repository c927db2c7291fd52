"""What pages of one workshop server share to save its one interpreter: built models
(copied, never shared), the first pictures of a model, and turns at stepping models.
(The room of 20 pages is ``test_workshop_classroom.py``.)"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from workshop import core
from workshop.core import LiveRun, Settings
from workshop.turns import Turns

SMALL = 500.0  # inhabitants per agent: ~5,600 residents, fast


def small() -> Settings:
    return Settings(scenario="quito_2023_2025", seed=7, scale=SMALL)


def _run(model, days: int):
    for _ in range(days):
        model.step()
    return model


def test_a_copied_model_runs_day_by_day_as_one_built_anew():
    shared = core.Shared(2)
    built = _run(core.build_model(small()), 60)
    first = _run(core.fresh_model(small(), shared), 60)
    second = core.fresh_model(small(), shared)  # copied after another copy has run
    assert second.day == 0 and second.population is not first.population
    _run(second, 60)
    expected = built.datacollector.get_model_vars_dataframe()
    for model in (first, second):
        pd.testing.assert_frame_equal(model.datacollector.get_model_vars_dataframe(), expected,
                                      check_exact=True)
        np.testing.assert_array_equal(model.population.safe_neighbourhood,
                                      built.population.safe_neighbourhood)
        assert model.rng.bit_generator.state == built.rng.bit_generator.state  # went on alike
        assert model.random.getstate() == built.random.getstate()
    assert len(expected) > 50 and expected["incidents"].sum() > 0


def test_pages_asking_together_wait_for_one_build():
    shared, builds = core.Shared(2), []

    def build():
        builds.append(1)
        time.sleep(0.05)
        return object()

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: shared.get("quito", build), range(8)))
    assert len(builds) == 1 and len({id(g) for g in got}) == 1
    shared.get("a", object)
    shared.get("b", object)  # beyond its size: the least recently asked for goes
    shared.get("quito", build)
    assert len(builds) == 2


def test_a_failed_build_is_tried_again():
    shared, calls = core.Shared(2), []

    def build():
        calls.append(1)
        if len(calls) == 1:
            raise core.InputError("error_scenario_file", found="x")
        return "model"

    try:
        shared.get("k", build)
    except core.InputError:
        pass
    assert shared.get("k", build) == "model" and len(calls) == 2


def _queue(turns: Turns, requests, order: list) -> list[threading.Thread]:
    """Threads asking ``turns`` for ``requests`` (days left), one after another."""
    threads = []
    for days in requests:
        threads.append(threading.Thread(target=_take, args=(turns, days, order)))
        threads[-1].start()
        while turns.waiting < len(threads):
            time.sleep(0.001)
    return threads


def _take(turns: Turns, days: float, order: list):
    with turns.turn(days):
        order.append(days)
        time.sleep(0.01)


def _join(threads):
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_models_step_one_at_a_time_shortest_request_first():
    turns, order = Turns(aging=0), []
    with turns.turn(1):
        threads = _queue(turns, (1000, 7, 300, 30), order)
        time.sleep(0.02)
        assert order == []  # nobody steps while a turn is held
    _join(threads)
    assert order == [7, 30, 300, 1000]


def test_a_long_request_that_waited_goes_before_new_short_ones():
    now = [0.0]
    turns, order = Turns(aging=100, clock=lambda: now[0]), []
    with turns.turn(1):
        threads = _queue(turns, (1000,), order)
        now[0] = 10.0  # 10 s later: counts as 1000 - 100 x 10 = 0 days left
        threads += _queue(turns, (7,), order)
    _join(threads)
    assert order == [1000, 7]


def test_between_chunks_the_turn_goes_to_a_shorter_request_only():
    turns, order = Turns(aging=0), []
    with turns.turn(1000) as mine:
        threads = _queue(turns, (2000,), order)
        mine.give_way(900)  # the waiting request is longer: the turn stays
        assert order == []
        threads += _queue(turns, (7,), order)
        mine.give_way(800)  # a shorter one waits: it goes, then the turn comes back
        assert order == [7]
    _join(threads)
    assert order == [7, 2000]


def test_a_page_steps_in_turns_and_says_how_far_it_got():
    run, reached = LiveRun(small()), []
    assert run.pristine
    assert run.advance(2 * core.STEP_CHUNK_DAYS + 10, reached.append) == 2 * core.STEP_CHUNK_DAYS + 10
    assert reached == [core.STEP_CHUNK_DAYS, 2 * core.STEP_CHUNK_DAYS, 2 * core.STEP_CHUNK_DAYS + 10]
    assert run.model.day == reached[-1] and not run.pristine
    again = LiveRun(small())  # another page: its own model, at day 0
    assert again.model is not run.model and again.model.day == 0
