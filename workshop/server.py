"""Starting the workshop server: Solara's Starlette app under uvicorn, serving
``workshop.app`` on one address (localhost by default).

Everything the page needs is served locally: Solara's front-end files come from the
``solara-assets`` package (the assets proxy never reaches out to a CDN), and Solara's
telemetry and version check are off. The language and scale are passed to the page through the environment.
"""

from __future__ import annotations

import os
import sys
import warnings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def configure(lang: str, scale: float | None) -> None:
    """Environment for Solara (read when it is imported) and for the page."""
    os.environ["SOLARA_APP"] = "workshop.app"
    os.environ.setdefault("SOLARA_MODE", "production")
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    # Front-end files are served from the solara-assets package through Solara's assets
    # proxy; a file it lacks is not fetched from the internet: the proxy's CDN points at a
    # closed local port, so the request fails at once.
    os.environ["SOLARA_ASSETS_PROXY"] = "True"
    os.environ["SOLARA_ASSETS_CDN"] = "http://127.0.0.1:9/"
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    os.environ["MPLBACKEND"] = "Agg"
    # A closed tab's simulation (~170 MB at the default scale) is freed 15 minutes after it
    # disconnects, not after Solara's default day.
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", "15m")
    os.environ["BARRIOS_LANG"] = lang
    if scale is None:
        os.environ.pop("BARRIOS_SCALE", None)
    else:
        os.environ["BARRIOS_SCALE"] = repr(float(scale))


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, lang: str = "es",
          scale: float | None = None, warm: bool | None = None, announce=print) -> None:
    """Serve the page until interrupted. ``warm`` starts the comparison runs of the budget
    game (default seed) in the background worker right away (default: yes, unless the
    environment says ``BARRIOS_APP_WARM=0``, as the browser test does to measure speed)."""
    if warm is None:
        warm = os.environ.get("BARRIOS_APP_WARM", "1") != "0"
    configure(lang, scale)
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    # Solara warns on every page load that plain http gets lax cookies; that is expected here.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import uvicorn

    from workshop.budget import COMPARISONS
    from workshop.core import DEFAULT_SEED

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port,
                            log_level="warning", ws_ping_interval=20, ws_ping_timeout=60)
    server = uvicorn.Server(config)
    shown = f"[{host}]" if ":" in host else host
    announce(f"Barrios workshop app: http://{shown}:{port}  (Ctrl-C to stop)")
    sys.stdout.flush()
    if warm:
        COMPARISONS.warm(DEFAULT_SEED, scale)
    try:
        server.run()
    finally:
        COMPARISONS.shutdown()
