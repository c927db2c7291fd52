"""A classroom on one workshop server: 20 browser pages at once, each running the Quito plan
to the end, against the real ``barrios app`` in Debian's headless Chromium.

It asserts what a facilitator needs (every page reaches the last day, shows the same sane
figures for the same seed, shows no error, and the server still answers) and measures
what docs/workshop.md reports as the capacity: wall time per page and for the room, and
the server's peak memory. The figures are printed and written to
``benchmarks/results/classroom.json``. Another room size:
``BARRIOS_CLASSROOM_PAGES=30 pytest -s tests/test_workshop_classroom.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from workshop.screenshot import CHROMIUM, CHROMIUM_ARGS, app_server

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} not installed")

ROOT = Path(__file__).resolve().parents[1]
PAGES = int(os.environ.get("BARRIOS_CLASSROOM_PAGES", "20"))
SCALE = os.environ.get("BARRIOS_CLASSROOM_SCALE", "")  # inhabitants per agent; "": the app's
APP_ARGS = ("--scale", SCALE) if SCALE else ()
TIMEOUT_MS = 300_000  # generous: the machine is shared; the time is measured, not asserted
STATUS = re.compile(r"día (\d+) de (\d+)")
READOUT = re.compile(r"(\d+[.,]\d)%")
# In a room each participant's own computer draws the page; here 20 pages share the
# server's two cores, and the busy bar animating while a page waits for the server costs
# each page ~0.3 of a core. Without animations the processor is left to the server.
NO_ANIMATIONS = """document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
  document.head.appendChild(style);
});"""


# --- the server's memory, from /proc ----------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(c) for c in task.read_text().split()]
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            stack += _children(current)
        except OSError:  # it ended meanwhile
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total += int(match.group(1)) if match else 0
    return total / 1024


def tree_cpu_s(pid: int) -> float:
    """Processor time (user + system) used so far by a process and its descendants."""
    total, stack, tick = 0, [pid], os.sysconf("SC_CLK_TCK")
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            stack += _children(current)
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def server_pid(url: str) -> int:
    """The ``barrios app`` process serving ``url`` (a child of this test)."""
    port = url.rsplit(":", 1)[1]
    for pid in _children(os.getpid()):
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"app" in args and port.encode() in args:
            return pid
    raise LookupError(f"no barrios app process for {url}")


class PeakMemory:
    """Samples a process tree's resident memory in a thread; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every, self.peak = pid, every, tree_rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, tree_rss_mb(self.pid))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# --- one participant ------------------------------------------------------------------------


async def participant(browser, url: str, started: float, everyone: asyncio.Barrier) -> dict:
    """Open the page and wait for the Quito plan at day 0; when every page has got there,
    press "Hasta el final" together and wait for the end. Returns what the page showed, how
    long each part took, and where it stopped if it never got there."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(NO_ANIMATIONS)
    page = await context.new_page()
    shown = {"stage": "opening the page", "crashed": False, "connections_lost": 0}
    page.on("crash", lambda _: shown.update(crashed=True))
    page.on("websocket", lambda ws: ws.on("close", lambda _: shown.update(
        connections_lost=shown["connections_lost"] + 1)))
    status, readout = page.locator(".barrios-status"), page.locator(".barrios-readout")
    try:
        await page.goto(url, timeout=TIMEOUT_MS)
        shown["stage"] = "waiting for the first drawing"
        await status.wait_for(timeout=TIMEOUT_MS)
        shown.update(load_s=time.monotonic() - started, first_status=await status.inner_text(),
                     start_readout=await readout.inner_text(), stage="loaded")
    except playwright.Error as error:
        shown["failure"] = str(error).splitlines()[0]
    await everyone.wait()  # the facilitator says "press Hasta el final"
    if shown["stage"] == "loaded":
        try:
            shown["stage"], pressed = "waiting for the end of the run", time.monotonic()
            await page.locator(".barrios-to-end").click(timeout=TIMEOUT_MS)
            await page.locator(".barrios-finished").wait_for(timeout=TIMEOUT_MS)
            await page.wait_for_function(  # the charts and their readout are redrawn last
                "s => document.querySelector('.barrios-readout').innerText !== s",
                arg=shown["start_readout"], timeout=TIMEOUT_MS)
            shown.update(stage="done", status=await status.inner_text(),
                         readout=await readout.inner_text(), run_s=time.monotonic() - pressed,
                         page_s=time.monotonic() - started)
        except playwright.Error as error:
            shown["failure"] = str(error).splitlines()[0]
    shown["errors"] = await page.locator(".barrios-error").count()
    shown["body"] = await page.locator("body").inner_text()
    await context.close()
    return shown


async def classroom(url: str, pages: int) -> tuple[list[dict], float]:
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        everyone = asyncio.Barrier(pages)
        started = time.monotonic()
        results = await asyncio.gather(*(participant(browser, url, started, everyone)
                                         for _ in range(pages)))
        total = time.monotonic() - started
        await browser.close()
    return list(results), total


def percents(readout: str) -> list[float]:
    return [float(v.replace(",", ".")) for v in READOUT.findall(readout)]


# --- the test -------------------------------------------------------------------------------


def test_a_room_of_20_runs_the_plan_to_the_end():
    others_load = os.getloadavg()[0]  # what else the machine was doing, before the room
    with app_server(args=APP_ARGS) as url:
        pid = server_pid(url)
        idle_mb, cpu_before = tree_rss_mb(pid), tree_cpu_s(pid)
        with PeakMemory(pid) as memory:
            results, total = asyncio.run(classroom(url, PAGES))
        server_cpu = tree_cpu_s(pid) - cpu_before
        with urllib.request.urlopen(url + "/readyz", timeout=10) as answer:
            assert answer.status == 200  # the server still answers after the room

    stuck = [f"page {i}: {r['stage']} ({r.get('failure')}; connections lost: "
             f"{r['connections_lost']})" for i, r in enumerate(results) if r["stage"] != "done"]
    assert not stuck, "\n".join(stuck)
    figures = measured(results, total, idle_mb, memory.peak, server_cpu, others_load)
    print("\nclassroom:", json.dumps(figures, indent=2))
    folder = ROOT / "benchmarks" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "classroom.json").write_text(json.dumps(figures, indent=2) + "\n")

    for shown in results:
        assert not shown["crashed"]
        assert shown["errors"] == 0, shown["body"][:500]
        assert "Traceback" not in shown["body"], shown["body"][:2000]
        assert shown["connections_lost"] == 0  # a dropped connection can leave a page dead
        day, last = map(int, STATUS.search(shown["status"]).groups())
        assert STATUS.search(shown["first_status"]).group(1) == "0"
        assert day == last >= 365, shown["status"]
        start, end = percents(shown["start_readout"]), percents(shown["readout"])
        assert len(end) == 3 and all(0 < v < 100 for v in end), shown["readout"]
        assert end[0] > start[0], (start, end)  # the plan raises safety in public spaces
    # one seed, one history: sessions share a process but never each other's model
    assert len({shown["readout"] for shown in results}) == 1, {r["readout"] for r in results}


def measured(results: list[dict], total: float, idle_mb: float, peak_mb: float,
             server_cpu: float, others_load: float) -> dict:
    def spread(key):
        values = sorted(r[key] for r in results)
        return {"min": round(values[0], 1), "median": round(values[len(values) // 2], 1),
                "max": round(values[-1], 1)}

    return {
        "pages": len(results),
        "scale": SCALE or "default",
        "connections_lost": sum(r["connections_lost"] for r in results),
        "days": int(STATUS.search(results[0]["status"]).group(2)),
        "total_s": round(total, 1),
        "load_s": spread("load_s"),          # from opening together to the first drawing
        "run_to_end_s": spread("run_s"),     # from pressing together to the end on screen
        "page_s": spread("page_s"),
        "server_idle_mb": round(idle_mb),
        "server_peak_mb": round(peak_mb),
        "mb_per_session": round((peak_mb - idle_mb) / len(results)),
        "server_cpu_s_per_page": round(server_cpu / len(results), 1),
        "cores": os.cpu_count(),
        "load_per_core_before": round(others_load / (os.cpu_count() or 1), 2),
        "final_readout": results[0]["readout"],
    }
