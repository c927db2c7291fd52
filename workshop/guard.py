"""What stands between the network and the workshop page: an ASGI middleware around
Solara's app (``workshop.server`` puts it there).

- **Websockets from other sites are refused.** A page elsewhere on the web could otherwise
  open kernels here from a participant's browser (cross-site websocket hijacking: browsers
  do not apply the same-origin rule to websockets, they only send an ``Origin`` header). A
  websocket whose ``Origin`` is not this page's own (scheme, host and port of its ``Host``
  header) nor one of ``allowed_origins`` is closed before it is accepted (HTTP 403).
  Clients that send no ``Origin`` are not browsers, so no other site can steer them.
- **Live sessions are capped.** Each tab holds a kernel with its own simulation in this one
  process (see docs/workshop.md, "Server and capacity"). Beyond ``max_sessions`` a new page
  gets a short bilingual "the workshop is full" page (HTTP 503) instead of the app, and a
  websocket for a new kernel is refused.
- **Front-end files come from this machine only.** Solara's assets proxy fetches a file it
  lacks from a CDN, retrying for about 7 seconds while it holds a thread; here a file that
  is not in the local copy (``solara-assets``) is a 404 at once.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, PlainTextResponse

DEFAULT_MAX_SESSIONS = 40
CDN_PATH = "/_solara/cdn/"
KERNEL_SOCKET = re.compile(r"^/jupyter/api/kernels/([^/]+)/")
NOT_PAGES = ("/_solara/", "/static/", "/jupyter/", "/readyz", "/resourcez")
SESSION_COOKIE = "solara-session-id"
JOINING_SECONDS = 30.0  # a page served is counted until its kernel connects, or this long
SLOT_WAIT_SECONDS = 3.0  # a reload's new kernel may arrive before the old one is closed
RETRY_SECONDS = 60
DEFAULT_PORTS = {"http": 80, "https": 443}

FULL_PAGE = """<!doctype html>
<html lang="es"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{retry}">
<title>Taller Barrios: lleno · Barrios workshop: full</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:4em auto;padding:0 1em;line-height:1.5}}
p.en{{color:#555}}</style></head>
<body>
<h1>El taller está lleno</h1>
<p>Ya hay {count} páginas abiertas, el máximo que admite este servidor. Vuelva a intentarlo
en unos minutos: esta página se recarga sola cada minuto. Si no hay espacio, pida a quien
facilita el taller que cierre las pestañas que no se usan o que comparta una pantalla por
grupo.</p>
<h1 lang="en">The workshop is full</h1>
<p class="en" lang="en">{count} pages are already open, the most this server admits. Try
again in a few minutes: this page reloads itself every minute. If there is still no room,
ask the facilitator to close tabs no one is using, or to share one screen per group.</p>
</body></html>
"""


def live_kernels() -> dict:
    """Solara's kernels in this process, by id (open tabs and disconnected ones not yet
    culled)."""
    from solara.server import kernel_context

    return kernel_context.contexts


def cdn_cache() -> Path:
    from solara.server import settings

    return settings.assets.proxy_cache_dir


class Sessions:
    """Counts sessions against the cap: live kernels, plus pages just served and kernels
    just admitted that Solara has not created yet (so a burst of page loads cannot slip
    past the cap before any of them connects)."""

    def __init__(self, limit: int, kernels: Callable[[], dict] = live_kernels,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self._kernels, self._clock = limit, kernels, clock
        self._pages: list[float] = []        # when each counted page was served
        self._joining: dict[str, float] = {}  # admitted kernel id -> when; until Solara has it

    def count(self) -> int:
        kernels = self._kernels()
        since = self._clock() - JOINING_SECONDS
        self._pages = [t for t in self._pages if t > since]
        self._joining = {k: t for k, t in self._joining.items() if t > since and k not in kernels}
        return len(kernels) + len(self._pages) + len(self._joining)

    def admit_page(self, session_id: str | None) -> bool:
        """A new page load: yes while there is room, and always for a browser that already
        has a kernel here (a reload: its old kernel closes as the page unloads)."""
        if session_id and any(getattr(k, "session_id", None) == session_id
                              for k in list(self._kernels().values())):
            return True
        if self.count() >= self.limit:
            return False
        self._pages.append(self._clock())
        return True

    def admit_kernel(self, kernel_id: str) -> bool:
        """A websocket: yes for a kernel that exists (a reconnect) or while there is room."""
        if kernel_id in self._kernels():
            return True
        taken = self.count()
        own_page = 1 if self._pages else 0  # its page was counted when it was served
        if taken - own_page >= self.limit:
            return False
        if own_page:
            self._pages.pop(0)
        self._joining[kernel_id] = self._clock()
        return True

    def connection_ended(self, kernel_id: str):
        """Its websocket is gone: the kernel, if Solara made one, is counted as live until
        it is closed or culled."""
        self._joining.pop(kernel_id, None)


class Guard:
    """The ASGI middleware (see the module's docstring)."""

    def __init__(self, app, max_sessions: int = DEFAULT_MAX_SESSIONS,
                 allowed_origins: tuple[str, ...] = (), sessions: Sessions | None = None):
        self.app = app
        self.sessions = sessions or Sessions(max_sessions)
        self.allowed = {origin_key(o) for o in allowed_origins} - {None}
        self._said: dict[str, float] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            await self._socket(scope, receive, send)
            return
        if scope["type"] == "http":
            response = self._answer(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _socket(self, scope, receive, send):
        if not self._from_here(scope):
            await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
            return
        match = KERNEL_SOCKET.match(scope["path"])
        kernel = match.group(1) if match else None
        if kernel is not None and not await self._room_for(kernel):
            await send({"type": "websocket.close", "code": 1013})  # "try again later"; HTTP 403
            return
        try:
            await self.app(scope, receive, send)  # returns when the connection ends
        finally:
            if kernel is not None:
                self.sessions.connection_ended(kernel)

    def _from_here(self, scope) -> bool:
        origin = HTTPConnection(scope).headers.get("origin")
        if origin is None or self.same_origin(scope, origin):
            return True
        self._say(f"origin {origin}", f"refused a websocket from {origin!r}: not this "
                  "page's own address (add it with --allow-origin if it is yours)")
        return False

    async def _room_for(self, kernel: str) -> bool:
        deadline = time.monotonic() + SLOT_WAIT_SECONDS
        while not self.sessions.admit_kernel(kernel):
            if time.monotonic() > deadline:
                self._say("full socket", "the workshop is full: refused a new kernel "
                          f"({self.sessions.limit} sessions; see --max-sessions)")
                return False
            await asyncio.sleep(0.1)
        return True

    def same_origin(self, scope, origin: str) -> bool:
        """Is ``origin`` this server's own address as the browser reached it, or allowed?"""
        key = origin_key(origin)
        if key is None:
            return False
        host = HTTPConnection(scope).headers.get("host", "")
        scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        return key in self.allowed or key == origin_key(f"{scheme}://{host}")

    def _answer(self, scope):
        """A response of the guard's own for an HTTP request, or None to pass it on."""
        path = scope["path"]
        if path.startswith(CDN_PATH) and not cached(path[len(CDN_PATH):]):
            return PlainTextResponse("not in the local copy of the front-end files", 404)
        if scope["method"] != "GET" or path.startswith(NOT_PAGES):
            return None
        connection = HTTPConnection(scope)
        if "text/html" not in connection.headers.get("accept", ""):
            return None
        if self.sessions.admit_page(connection.cookies.get(SESSION_COOKIE)):
            return None
        self._say("full page", "the workshop is full: a new page was asked to try later "
                  f"({self.sessions.limit} sessions; see --max-sessions)")
        return full_page(self.sessions.limit)

    def _say(self, topic: str, text: str):
        """Tell the facilitator's terminal, at most once a minute per topic."""
        now = time.monotonic()
        if now - self._said.get(topic, -RETRY_SECONDS) >= RETRY_SECONDS:
            self._said[topic] = now
            print(f"warning: {text}", file=sys.stderr, flush=True)


def full_page(count: int) -> HTMLResponse:
    body = FULL_PAGE.format(count=html.escape(str(count)), retry=RETRY_SECONDS)
    return HTMLResponse(body, status_code=503, headers={"Retry-After": str(RETRY_SECONDS),
                                                        "Cache-Control": "no-store"})


def cached(path: str, cache: Path | None = None) -> bool:
    """Is this assets-proxy path in the local copy? (A bare package name stands for its
    ``__main.js``, as in Solara's ``cdn_helper.get_path``.)"""
    root = os.path.normpath(cache or cdn_cache())  # like Solara: no symlink is followed
    target = os.path.normpath(os.path.join(root, path if "/" in path else f"{path}/__main.js"))
    return target.startswith(root + os.sep) and os.path.isfile(target)


def origin_key(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin such as ``http://10.0.0.5:8765``; None if it is not
    one (e.g. ``null``, the origin of a sandboxed page or a file)."""
    try:
        parts = urlsplit(origin.strip().lower())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port
