"""The workshop page end to end: the real server (``barrios app`` in a subprocess) driven
by Playwright in Debian's headless Chromium (``/usr/bin/chromium``; never a downloaded
browser). ``.ci/run`` installs chromium when it is missing; elsewhere the test is skipped
without it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workshop.screenshot import CHROMIUM, app_server

pytest.importorskip("playwright.sync_api")  # the browser fixture (conftest.py) needs it
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")



@pytest.fixture(scope="module")
def server():
    with app_server() as url:
        yield url



def _day(page) -> int:
    text = page.locator(".barrios-status").inner_text()
    return int(re.search(r"(?:día|day) (\d+)", text).group(1))


def test_page_slider_step_and_language(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    outside = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1",
                                                            "blob:", "data:")) else outside.append(r.url))
    page.goto(server)

    # the page loads, in Spanish, at day 0 of the Quito plan
    status = page.locator(".barrios-status")
    status.wait_for(timeout=60_000)
    assert "día 0 de 1095" in status.inner_text()
    page.get_by_text("Controles", exact=True).wait_for()
    chart = page.locator(".barrios-charts img")
    chart_before = chart.get_attribute("src")
    readout_before = page.locator(".barrios-readout").inner_text()
    assert "Seguros en espacios públicos" in readout_before

    # a slider: street lighting up by 20 points (keyboard, as a person would with the arrows)
    lighting = page.locator(".barrios-slider-street_lighting [role=slider]")
    lighting.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    page.locator(".barrios-level-street_lighting", has_text="50%").wait_for()
    page.locator(".barrios-pending").wait_for()

    # stepping applies it and changes what the chart shows
    page.locator(".barrios-step").click()
    page.get_by_text("día 7 de 1095").wait_for(timeout=30_000)
    page.wait_for_function("([s]) => document.querySelector('.barrios-charts img').src !== s",
                           arg=[chart_before], timeout=30_000)
    page.wait_for_function("([s]) => document.querySelector('.barrios-readout').innerText !== s",
                           arg=[readout_before], timeout=30_000)
    page.locator(".barrios-pending").wait_for(state="detached", timeout=30_000)

    # the layer picker redraws the map
    map_before = page.locator(".barrios-map img").get_attribute("src")
    page.locator(".barrios-layer-lighting").click()
    page.wait_for_function("([s]) => document.querySelector('.barrios-map img').src !== s",
                           arg=[map_before], timeout=30_000)

    # switching language changes the labels
    page.locator(".barrios-lang-en").click()
    page.get_by_text("Controls", exact=True).wait_for(timeout=30_000)
    page.locator(".barrios-status", has_text="day 7 of 1095").wait_for(timeout=30_000)
    page.locator(".barrios-step", has_text="Step").wait_for(timeout=30_000)
    page.locator(".barrios-readout", has_text="Safe in public spaces").wait_for(timeout=30_000)
    assert page.get_by_text("Controles", exact=True).count() == 0

    assert outside == []  # everything is served from this machine
    page.close()


def test_play_advances_the_days_and_pause_stops_them(server, browser):
    """Play runs the model on its own; pause stops it. (How fast it plays is measured in
    ``benchmarks/bench_workshop.py``, not asserted here.)"""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server)
    page.locator(".barrios-status").wait_for(timeout=60_000)
    start_day = _day(page)
    page.locator(".barrios-play").click()
    page.wait_for_function(f"() => /(?:día|day) (\\d+)/.exec(document.querySelector("
                           f"'.barrios-status').innerText)[1] > {start_day + 14}", timeout=60_000)
    page.locator(".barrios-play").click()  # pause
    page.wait_for_timeout(1500)            # an update already under way may still land
    paused_day = _day(page)
    page.wait_for_timeout(2000)
    assert _day(page) == paused_day > start_day
    page.close()
