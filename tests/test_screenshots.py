"""The documentation's screenshots, taken in real Chromium (Debian's, headless) by a test:
the workshop page in Spanish after playing the Quito plan a while (docs/workshop.png), and
the top of the Spanish comparison report, ``barrios compare ... --lang es``
(docs/report_es.png).

Each run checks that the page shows what the picture is meant to show (Spanish title and
labels, no error, images loaded) and that the screenshot is a real image of the expected
size, not a blank one. The pictures go to a temporary folder, so the tests never change
the checkout; to retake the committed ones in ``docs/``:

    BARRIOS_UPDATE_SCREENSHOTS=1 pytest tests/test_screenshots.py

The report's run is tiny in the test (half a year, 3 replications, 2,800 agents: about
10 s); when the pictures are retaken it is the one the picture should show, 3 years with
5 replications at 5,600 agents (about 30 s on 2 cores), so its figures mean something.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.compare_words import STRINGS as REPORT_WORDS
from workshop.i18n import t
from workshop.screenshot import CHROMIUM, VIEWPORT, app_server, play, save

pytest.importorskip("playwright.sync_api")  # the browser fixture (conftest.py) needs it
Image = pytest.importorskip("PIL.Image")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
UPDATE = os.environ.get("BARRIOS_UPDATE_SCREENSHOTS") == "1"
REPORT_SCENARIOS = ["baseline_2023", "quito_2023_2025", "committees_only", "mano_dura"]
REPORT_RUN = (["--replications", "5", "--scale", "500"] if UPDATE else
              ["--replications", "3", "--scale", "1000", "--years", "0.5"])
REPORT_VIEWPORT = {"width": 1200, "height": 900}


def destination(name: str, tmp_path: Path) -> Path:
    return DOCS / name if UPDATE else tmp_path / name


def assert_real_image(path: Path, size: tuple[int, int]):
    """A PNG of ``size`` pixels with a picture in it: many colours, none covering nearly
    everything (a blank or half-rendered page is one or two flat colours)."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == size
        colours = image.convert("RGB").getcolors(maxcolors=size[0] * size[1])
    pixels = size[0] * size[1]
    assert len(colours) >= 32, f"{path.name}: only {len(colours)} colours"
    assert max(count for count, _ in colours) < 0.9 * pixels, f"{path.name}: mostly one colour"


def images_loaded(page, selector: str) -> int:
    """How many of the images under ``selector`` have finished loading with real pixels."""
    return page.eval_on_selector_all(
        selector + " img", "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length")


def test_workshop_screenshot_in_spanish(browser, tmp_path):
    out = destination("workshop.png", tmp_path)
    page = browser.new_page(viewport=VIEWPORT)
    with app_server() as url:
        play(page, url, days=250, lang="es")
        # what the picture must show: the Spanish page, a run under way, map and charts drawn
        assert page.locator(".barrios-title").inner_text() == t("title", "es")
        assert page.get_by_text(t("controls", "es"), exact=True).count() == 1
        day = int(re.search(r"día (\d+) de 1095", page.locator(".barrios-status").inner_text())[1])
        assert day >= 250
        assert "Seguros en espacios públicos" in page.locator(".barrios-readout").inner_text()
        assert images_loaded(page, ".barrios-map") == 1
        assert images_loaded(page, ".barrios-charts") == 1
        assert page.locator(".barrios-error").count() == 0
        save(page, out)
    page.close()
    assert_real_image(out, (VIEWPORT["width"], VIEWPORT["height"]))


def test_spanish_report_screenshot(browser, tmp_path):
    out = destination("report_es.png", tmp_path)
    folder = tmp_path / "compare"
    barrios = Path(sys.executable).with_name("barrios")
    command = [str(barrios)] if barrios.exists() else [sys.executable, "-m", "barrios"]
    subprocess.run([*command, "compare", *(str(ROOT / "scenarios" / f"{name}.toml")
                                           for name in REPORT_SCENARIOS),
                    *REPORT_RUN, "--workers", "2" if UPDATE else "1", "--lang", "es",
                    "--out", str(folder), "--quiet"], check=True, capture_output=True, text=True)

    page = browser.new_page(viewport=REPORT_VIEWPORT)
    page.goto((folder / "report.html").as_uri())
    # the Spanish report: its title and headings in Spanish, none of the English ones,
    # decimal commas, and its figures loaded from the folder
    title = REPORT_WORDS["title"]
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == title["es"] != title["en"]
    assert page.get_by_text(REPORT_WORDS["h_compared"]["es"], exact=True).count() == 1
    assert page.get_by_text(REPORT_WORDS["h_compared"]["en"], exact=True).count() == 0
    assert re.search(r"\d,\d", page.locator("table").first.inner_text())
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    assert images_loaded(page, "body") == page.locator("img").count() >= 1
    save(page, out)
    page.close()
    assert_real_image(out, (REPORT_VIEWPORT["width"], REPORT_VIEWPORT["height"]))
