"""Starting the workshop server: Solara's Starlette app under uvicorn, serving
``workshop.app`` on one address (localhost by default).

Everything the page needs is served locally: Solara's front-end files come from the
``solara-assets`` package (the assets proxy never reaches out to a CDN), and Solara's
telemetry and version check are off. The language and scale are passed to the page through the environment.
``workshop.guard`` sits in front of Solara's app: websockets from other sites are refused,
live sessions are capped, a front-end file missing from the local copy is a 404 at once.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import sys
import warnings

from workshop.guard import DEFAULT_MAX_SESSIONS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# A tab that disconnects without closing (a laptop asleep, the wifi gone) keeps its kernel
# this long, so it can reconnect to its run; a closed tab frees its kernel at once.
KERNEL_HOLD = "5m"
SHUTDOWN_SECONDS = 5  # Ctrl-C waits at most this long for open pages to let go


def configure(lang: str, scale: float | None) -> None:
    """Environment for Solara (read when it is imported) and for the page."""
    os.environ["SOLARA_APP"] = "workshop.app"
    os.environ.setdefault("SOLARA_MODE", "production")
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # Front-end files are served from the solara-assets package through Solara's assets
    # proxy; a file it lacks is a 404 (workshop.guard), never fetched. Should the guard miss
    # one, the proxy's CDN is a closed local port anyway.
    os.environ["SOLARA_ASSETS_PROXY"] = "True"
    os.environ.setdefault("SOLARA_ASSETS_CDN", "http://127.0.0.1:9/")
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    os.environ["MPLBACKEND"] = "Agg"
    # A disconnected tab's kernel (16-35 MB at the default scale, docs/workshop.md) is freed
    # after KERNEL_HOLD, not after Solara's default day.
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_HOLD)
    os.environ["BARRIOS_LANG"] = lang
    if scale is None:
        os.environ.pop("BARRIOS_SCALE", None)
    else:
        os.environ["BARRIOS_SCALE"] = repr(float(scale))


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, lang: str = "es",
          scale: float | None = None, warm: bool | None = None, announce=print,
          max_sessions: int = DEFAULT_MAX_SESSIONS, allow_origins: tuple[str, ...] = ()) -> None:
    """Serve the page until interrupted (Ctrl-C, or SIGTERM: both raise KeyboardInterrupt
    once the server has shut down). ``warm`` starts the comparison runs of the budget
    game (default seed) in the background worker right away (default: yes, unless the
    environment says ``BARRIOS_APP_WARM=0``, as the browser test does to measure speed).
    ``max_sessions`` and ``allow_origins``: see ``workshop.guard``."""
    if warm is None:
        warm = os.environ.get("BARRIOS_APP_WARM", "1") != "0"
    configure(lang, scale)
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    # Solara warns on every page load that plain http gets lax cookies; that is expected here.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    # uvicorn and Solara read the environment set above when they are imported
    import uvicorn
    from solara.server.starlette import app as solara_app

    from workshop.budget import COMPARISONS
    from workshop.core import DEFAULT_SEED
    from workshop.guard import Guard

    app = Guard(solara_app, max_sessions=max_sessions, allowed_origins=tuple(allow_origins))
    # A tab waits its turn while the others run (one Python process): with 20 tabs pressing
    # "to the end" together on 2 cores, the last waits well over a minute, and its pong is
    # read only when its turn comes; a 60 s timeout dropped such tabs mid-run (and one that
    # dropped before its first drawing stayed blank). tests/test_workshop_classroom.py.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                            ws_ping_interval=20, ws_ping_timeout=600,
                            timeout_graceful_shutdown=SHUTDOWN_SECONDS)
    server = uvicorn.Server(config)
    signal.signal(signal.SIGTERM, _stop)
    for line in announcement(host, port):
        announce(line)
    sys.stdout.flush()
    if warm:
        COMPARISONS.warm(DEFAULT_SEED, scale)
    try:
        server.run()
    finally:
        COMPARISONS.shutdown()


def _stop(signum, frame):
    """SIGTERM (a service manager, ``kill``) stops the server as Ctrl-C does. Uvicorn shuts
    down first, then raises the signal again, which lands here."""
    raise KeyboardInterrupt


def announcement(host: str, port: int) -> list[str]:
    """What the server says when it starts: the addresses to open (for a wildcard host,
    this machine's own addresses, never 0.0.0.0, which no browser can open) and, for any
    host other than loopback, a warning that others on the network can reach the page."""
    urls = [f"http://{_bracketed(a)}:{port}" for a in _reachable(host)]
    lines = [f"Barrios workshop app: {urls[0]}  (Ctrl-C to stop)"]
    lines += [f"  also: {url}" for url in urls[1:]]
    if not _loopback(host):
        lines.append("warning: the page is open to anyone who can reach this machine on the "
                     "network (--host " + host + "); use it on the workshop's network only and "
                     "stop it afterwards")
    return lines


def _reachable(host: str) -> list[str]:
    if host not in ("0.0.0.0", "::", ""):
        return [host]
    found = []
    try:  # the address of the interface a packet would leave by (nothing is sent)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            found.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None,
                                                            socket.AF_INET)]
    except OSError:
        pass
    outside = [a for a in dict.fromkeys(found) if not _loopback(a)]
    return [*outside, "127.0.0.1"]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bracketed(address: str) -> str:
    return f"[{address}]" if ":" in address else address
