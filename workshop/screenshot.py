"""Take a screenshot of the workshop page in headless Chromium (Debian's, no download):

    python -m workshop.screenshot docs/workshop.png [--url http://127.0.0.1:8765] [--days 200]

Without ``--url`` it starts ``barrios app`` on a free port, plays the Quito scenario for a
while so the charts show something, saves a PNG and stops the server. Also used by the
browser test to launch Chromium the same way.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1440, "height": 900}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(port: int | None = None, args: tuple[str, ...] = (), timeout: float = 120.0,
               warm: bool = False):
    """Run ``barrios app`` on a free local port; yield its URL; stop it afterwards.
    ``warm``: let it start the budget game's comparison runs (off: nothing but the page
    uses the processor, so speed can be measured)."""
    port = port or free_port()
    barrios = Path(sys.executable).with_name("barrios")
    command = [str(barrios)] if barrios.exists() else [sys.executable, "-m", "barrios"]
    log = tempfile.TemporaryFile("w+")  # not a pipe: a full pipe would stall the server
    env = {**os.environ, "BARRIOS_APP_WARM": "1" if warm else "0"}
    process = subprocess.Popen([*command, "app", "--port", str(port), *args],
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                               text=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"barrios app exited: {log.read()[-2000:]}")
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"barrios app did not answer on {url}") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def play(page, url: str, days: int = 250, lang: str = "es"):
    """Open the workshop at ``url`` in ``page``, play the Quito plan to at least ``days``
    and pause, so the map and charts show a run under way."""
    page.goto(url)
    page.locator(".barrios-status").wait_for(timeout=60_000)
    if lang == "en":
        page.locator(".barrios-lang-en").click()
        page.get_by_text("Controls", exact=True).wait_for()
    page.locator(".barrios-speed-30").click()
    page.locator(".barrios-play").click()
    word = "día" if lang == "es" else "day"
    page.wait_for_function(
        "([w, d]) => { const e = document.querySelector('.barrios-status');"
        " const m = e && e.innerText.match(new RegExp(w + ' (\\\\d+)'));"
        " return m && Number(m[1]) >= d; }", arg=[word, days], timeout=120_000)
    page.locator(".barrios-play").click()
    page.wait_for_timeout(2500)  # the last update and the charts' redraw land


def take(url: str, out: Path, days: int = 250, lang: str = "es"):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport=VIEWPORT)
        play(page, url, days, lang)
        save(page, out)
        browser.close()


def save(page, out: Path, full_page: bool = False):
    """Screenshot ``page`` to ``out`` as a compact PNG."""
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=full_page)
    _shrink(out)


def _shrink(path: Path):
    """Store the screenshot as a 256-colour PNG (a third of the size, same look)."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--url")
    parser.add_argument("--days", type=int, default=250)
    parser.add_argument("--lang", choices=["es", "en"], default="es")
    args = parser.parse_args(argv)
    if args.url:
        take(args.url, args.out, args.days, args.lang)
    else:
        with app_server() as url:
            take(url, args.out, args.days, args.lang)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
