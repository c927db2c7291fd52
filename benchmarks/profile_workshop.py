"""Where the workshop server's processor time goes while pages load and run to the end.

    python benchmarks/profile_workshop.py              # 3 pages at the default scale
    python benchmarks/profile_workshop.py --pages 5 --top 60

Starts ``barrios app`` in a subprocess of this script with a sampling profiler inside it,
opens ``--pages`` pages in Debian's headless Chromium (as the classroom test does), waits
for the first drawing, presses "to the end" in all of them and waits for the end. Then the
server writes, for every function, the processor time of the threads that were in it
(inclusive) and of those that were running it (self), and this script prints the largest.

The profiler reads each thread's own processor clock every few milliseconds and charges
what it used since the last look to the stack it is in now, so threads that wait cost
nothing (a deterministic profiler would see only one thread, and Solara works in many).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class ThreadSampler:
    """Charges each thread's processor time to the functions on its stack."""

    def __init__(self, every: float = 0.005):
        self.every = every
        self.inclusive, self.own, self.stacks = Counter(), Counter(), Counter()
        self.total = 0.0
        self._clocks, self._last = {}, {}
        self._stop = threading.Event()

    def _cpu(self, ident: int) -> float | None:
        try:
            if ident not in self._clocks:
                self._clocks[ident] = time.pthread_getcpuclockid(ident)
            return time.clock_gettime(self._clocks[ident])
        except OSError:  # the thread ended
            self._clocks.pop(ident, None)
            return None

    def _look(self):
        me = threading.get_ident()
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            now = self._cpu(ident)
            if now is None:
                continue
            used = now - self._last.get(ident, now)
            self._last[ident] = now
            if used <= 0:
                continue
            self.total += used
            seen, stack = set(), []
            top = True
            while frame is not None:
                code = frame.f_code
                key = f"{Path(code.co_filename).name}:{code.co_name}:{code.co_firstlineno}"
                if top:
                    self.own[key] += used
                    top = False
                if key not in seen:
                    self.inclusive[key] += used
                    seen.add(key)
                stack.append(key)
                frame = frame.f_back
            self.stacks[";".join(reversed(stack))] += used

    def run(self):
        while not self._stop.wait(self.every):
            self._look()

    def start(self):
        threading.Thread(target=self.run, daemon=True, name="sampler").start()

    def stop(self) -> dict:
        self._stop.set()
        return {"total_s": self.total, "inclusive": dict(self.inclusive), "own": dict(self.own),
                "stacks": dict(self.stacks)}  # collapsed stacks, outermost first


def serve_profiled(port: int, out: Path, args: list[str]):
    """The server side: ``barrios app`` in this process, profiled until SIGTERM."""
    from workshop.server import serve

    sampler = ThreadSampler()
    sampler.start()
    scale = float(args[args.index("--scale") + 1]) if "--scale" in args else None
    try:
        serve(port=port, scale=scale, warm=False, announce=lambda line: None)
    except KeyboardInterrupt:
        pass
    finally:
        out.write_text(json.dumps(sampler.stop()))


# As in the classroom test: without animations the browsers leave the processor to the server.
NO_ANIMATIONS = """document.addEventListener('DOMContentLoaded', () => {
  const style = document.createElement('style');
  style.textContent = '*, *::before, *::after { animation: none !important; transition: none !important; }';
  document.head.appendChild(style);
});"""


async def page_run(browser, url: str, everyone: asyncio.Barrier) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    await context.add_init_script(NO_ANIMATIONS)
    page = await context.new_page()
    started = time.monotonic()
    await page.goto(url, timeout=600_000)
    await page.locator(".barrios-status").wait_for(timeout=600_000)
    loaded = time.monotonic() - started
    start_readout = await page.locator(".barrios-readout").inner_text()
    await everyone.wait()
    pressed = time.monotonic()
    await page.locator(".barrios-to-end").click(timeout=600_000)
    await page.locator(".barrios-finished").wait_for(timeout=600_000)
    await page.wait_for_function("s => document.querySelector('.barrios-readout').innerText !== s",
                                 arg=start_readout, timeout=600_000)
    shown = {"load_s": round(loaded, 1), "run_s": round(time.monotonic() - pressed, 1),
             "readout": await page.locator(".barrios-readout").inner_text()}
    await context.close()
    return shown


async def drive(url: str, pages: int) -> list[dict]:
    from playwright.async_api import async_playwright

    from workshop.screenshot import CHROMIUM, CHROMIUM_ARGS

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        everyone = asyncio.Barrier(pages)
        shown = await asyncio.gather(*(page_run(browser, url, everyone) for _ in range(pages)))
        await browser.close()
    return list(shown)


def report(profile: dict, pages: int, top: int):
    total = profile["total_s"]
    print(f"server processor time: {total:.1f} s, {total / pages:.1f} s a page")
    for title, table in (("inclusive", profile["inclusive"]), ("self", profile["own"])):
        print(f"\n--- {title} (s a page, share) ---")
        for key, seconds in Counter(table).most_common(top):
            print(f"{seconds / pages:7.2f}  {100 * seconds / total:5.1f}%  {key}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--scale", default=None, help="inhabitants per agent (default: the app's)")
    parser.add_argument("--out", type=Path, default=Path("/tmp/workshop_profile.json"))
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the server side
    args = parser.parse_args()
    app_args = ["--scale", args.scale] if args.scale else []
    if args.serve:
        serve_profiled(args.serve, args.out, app_args)
        return 0

    import subprocess
    import urllib.request

    from workshop.screenshot import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--out", str(args.out),
                               *(["--scale", args.scale] if args.scale else [])],
                              env={**os.environ, "BARRIOS_APP_WARM": "0"})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(url + "/readyz", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        started = time.monotonic()
        shown = asyncio.run(drive(url, args.pages))
        print(json.dumps({"total_s": round(time.monotonic() - started, 1), "pages": shown}, indent=1))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    report(json.loads(args.out.read_text()), args.pages, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
