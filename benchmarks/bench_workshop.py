"""How fast the workshop page plays: simulated days per second in a real browser.

    python benchmarks/bench_workshop.py            # default scale, 10 s of playing
    python benchmarks/bench_workshop.py --scale 200 --seconds 20

Starts ``barrios app`` in a subprocess, opens it in Debian's headless Chromium with
Playwright (as the browser test does), presses play, and reads the day counter before and
after. The issue asks for at least 10 simulated days per second at the default scale.
Results are printed and written to benchmarks/results/bench_workshop.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workshop.screenshot import app_server, launch  # noqa: E402


def day(page) -> int:
    text = page.locator(".barrios-status").inner_text()
    return int(re.search(r"(?:día|day) (\d+)", text).group(1))


def measure(seconds: float, args: tuple[str, ...]) -> dict:
    from playwright.sync_api import sync_playwright

    with app_server(args=args) as url, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url)
        page.locator(".barrios-status").wait_for(timeout=60_000)
        start_day = day(page)
        page.locator(".barrios-play").click()
        started = time.monotonic()
        page.wait_for_timeout(seconds * 1000)
        page.locator(".barrios-play").click()
        elapsed = time.monotonic() - started
        page.wait_for_timeout(1000)
        days = day(page) - start_day
        browser.close()
    return {"days": days, "seconds": round(elapsed, 2), "days_per_second": round(days / elapsed, 1),
            "load_per_core": round(os.getloadavg()[0] / (os.cpu_count() or 1), 2), "args": list(args)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--scale", type=float, default=None, help="inhabitants per agent (default: the app's)")
    args = parser.parse_args()
    app_args = ("--scale", str(args.scale)) if args.scale else ()
    result = measure(args.seconds, app_args)
    print(json.dumps(result, indent=2))
    folder = ROOT / "benchmarks" / "results"
    folder.mkdir(exist_ok=True)
    (folder / "bench_workshop.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
