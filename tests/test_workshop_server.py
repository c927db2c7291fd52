"""The workshop server's guards (``workshop/guard.py``, wired in ``workshop/server.py``):
websockets from other sites refused, live sessions capped with a bilingual message,
front-end files missing from the local copy a 404 at once, and Ctrl-C answered with the
app's own message. One real server (``barrios app`` in a subprocess, no browser) and plain
HTTP / websocket clients; the rules themselves are also checked without a server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

pytest.importorskip("solara")
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from barrios.cli import build_parser
from workshop.guard import Guard, Sessions, cached, origin_key
from workshop.screenshot import free_port

FULL_ES, FULL_EN = "El taller está lleno", "The workshop is full"
CDN_COPY = Path(sys.prefix) / "share" / "solara" / "cdn"


# --- the rules, without a server ------------------------------------------------------------


def _scope(host: str, origin: str | None, scheme: str = "ws") -> dict:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "path": "/jupyter/api/kernels/k/channels",
            "headers": headers}


def test_an_origin_is_the_pages_own_only_with_the_same_scheme_host_and_port():
    guard = Guard(app=None, allowed_origins=("https://taller.example.org",))
    own = _scope("10.0.0.5:8765", None)
    assert guard.same_origin(own, "http://10.0.0.5:8765")
    assert guard.same_origin(own, "HTTP://10.0.0.5:8765/")
    assert not guard.same_origin(own, "http://10.0.0.5:9000")       # another port
    assert not guard.same_origin(own, "https://10.0.0.5:8765")      # another scheme
    assert not guard.same_origin(own, "http://evil.example")
    assert not guard.same_origin(own, "null")                        # a sandboxed page, a file
    assert guard.same_origin(own, "https://taller.example.org")      # --allow-origin
    assert guard.same_origin(_scope("example.org", None, "wss"), "https://example.org:443")
    assert origin_key("http://[::1]:8765") == ("http", "::1", 8765)
    assert origin_key("http://host:99999") is None


def test_sessions_count_live_kernels_and_pages_not_yet_connected():
    kernels, now = {}, [0.0]
    sessions = Sessions(2, kernels=lambda: kernels, clock=lambda: now[0])
    assert sessions.admit_page(None) and sessions.admit_page(None)
    assert not sessions.admit_page(None)             # two pages served, none connected yet
    assert sessions.admit_kernel("a")                # the first page's kernel takes its place
    kernels["a"] = type("Kernel", (), {"session_id": "browser-a"})()
    assert sessions.count() == 2
    assert not sessions.admit_page(None)
    assert sessions.admit_page("browser-a")          # a reload of a page already here
    assert sessions.admit_kernel("a")                # a reconnect
    now[0] = 31.0                                    # the second page never connected
    assert sessions.count() == 1
    assert sessions.admit_kernel("b")
    assert not sessions.admit_kernel("c")            # b is counted before Solara makes it
    sessions.connection_ended("b")                   # its socket closed before that
    assert sessions.count() == 1
    assert sessions.admit_kernel("c")
    kernels["c"] = object()
    sessions.connection_ended("c")                   # a kernel counts while it lives
    assert sessions.count() == 2 and not sessions.admit_kernel("d")


def test_only_files_in_the_local_copy_count_as_cached(tmp_path):
    (tmp_path / "pkg@1.0.0").mkdir()
    (tmp_path / "pkg@1.0.0" / "index.js").write_text("x")
    (tmp_path / "pkg@1.0.0" / "__main.js").write_text("x")
    (tmp_path.parent / "secret.js").write_text("x")
    assert cached("pkg@1.0.0/index.js", tmp_path)
    assert cached("pkg@1.0.0", tmp_path)             # a bare package is its __main.js
    assert not cached("pkg@1.0.0/missing.js", tmp_path)
    assert not cached("other@2.0.0/index.js", tmp_path)
    assert not cached("../secret.js", tmp_path)


@pytest.mark.parametrize("args", [["--max-sessions", "0"], ["--allow-origin", "evil.example"],
                                  ["--allow-origin", "ftp://x.org"]])
def test_bad_server_options_are_refused(args, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["app", *args])
    assert exit_.value.code == 2
    assert "expected" in capsys.readouterr().err


# --- one real server, capped at two sessions, stopped with Ctrl-C at the end --------------


@pytest.fixture(scope="module")
def cdn_trap():
    """A listening socket posing as the CDN: the server must never connect to it."""
    with socket.socket() as trap:
        trap.bind(("127.0.0.1", 0))
        trap.listen()
        trap.setblocking(False)
        yield trap


@contextmanager
def _barrios_app(*args: str, env: dict[str, str]):
    """``barrios app`` as a subprocess whose output and process the tests can reach
    (``workshop.screenshot.app_server`` hides both, and Ctrl-C needs them)."""
    url = f"http://127.0.0.1:{(port := free_port())}"
    command = [sys.executable, "-m", "barrios", "app", "--port", str(port), *args]
    with tempfile.TemporaryFile("w+") as log:  # not a pipe: a full pipe would stall the server
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, text=True,
                                   env={**os.environ, "BARRIOS_APP_WARM": "0", **env})
        try:
            deadline = time.monotonic() + 120
            while not _ready(url):
                assert process.poll() is None, _read(log)
                assert time.monotonic() < deadline, "barrios app did not start"
                time.sleep(0.3)
            yield url, process, log
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2):
            return True
    except OSError:
        return False


def _read(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


@pytest.fixture(scope="module")
def running(cdn_trap):
    """(url, process, log) of a server capped at two sessions whose assets proxy, were it
    ever to reach out, would call ``cdn_trap``. Each test closes the kernels it opens."""
    cdn = f"http://127.0.0.1:{cdn_trap.getsockname()[1]}/"
    with _barrios_app("--max-sessions", "2", env={"SOLARA_ASSETS_CDN": cdn}) as started:
        yield started


@pytest.fixture
def server(running) -> str:
    return running[0]


def _socket_url(url: str, kernel: str) -> str:
    return (f"{url.replace('http', 'ws', 1)}/jupyter/api/kernels/{kernel}/channels"
            f"?session_id=page-{kernel}")


def _kernel(url: str, kernel: str, origin: str | None = None):
    """A websocket to a new kernel, as the page opens it (its origin, a session cookie)."""
    return connect(_socket_url(url, kernel), origin=origin or url, open_timeout=30,
                   additional_headers={"Cookie": f"solara-session-id=browser-{kernel}"})


def _close(url: str, kernel: str):
    """What the page sends when its tab closes: the kernel goes at once."""
    request = urllib.request.Request(f"{url}/_solara/api/close/{kernel}?session_id=page-{kernel}",
                                     method="POST")
    urllib.request.urlopen(request, timeout=30).close()


def _kernels(url: str, expected: int) -> int:
    """The server's kernel count once it reaches ``expected`` (Solara creates and closes
    kernels on its own threads), or whatever it is after 30 seconds."""
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(url + "/resourcez", timeout=30) as response:
            count = json.load(response)["kernels"]["total"]
        if count == expected or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def _get(url: str, accept: str = "text/html") -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_websocket_from_another_site_is_refused_and_the_pages_own_accepted(server):
    with _kernel(server, "own-origin"):  # connect raises InvalidStatus if refused
        assert _kernels(server, 1) == 1
    _close(server, "own-origin")
    assert _kernels(server, 0) == 0
    for origin in ("http://evil.example", server.replace("127.0.0.1", "localhost")):
        with pytest.raises(InvalidStatus) as refused:
            _kernel(server, "cross-origin", origin=origin)
        assert refused.value.response.status_code == 403


def test_a_missing_front_end_file_is_a_404_at_once_and_never_fetched(server, cdn_trap):
    present = next(p for p in sorted(CDN_COPY.rglob("*.js")) if p.is_file())
    status, _ = _get(f"{server}/_solara/cdn/{present.relative_to(CDN_COPY).as_posix()}", "*/*")
    assert status == 200
    started = time.monotonic()
    status, _ = _get(f"{server}/_solara/cdn/no-such-package@1.0.0/missing.js", "*/*")
    assert status == 404
    assert time.monotonic() - started < 2.0  # Solara's proxy retried the CDN for ~7 s
    with pytest.raises(BlockingIOError):
        cdn_trap.accept()  # nobody called the stand-in CDN


def test_beyond_max_sessions_a_new_page_is_told_the_workshop_is_full(server):
    with _kernel(server, "one"), _kernel(server, "two"):
        assert _kernels(server, 2) == 2
        status, page = _get(server + "/")
        assert status == 503
        assert FULL_ES in page and FULL_EN in page and "2" in page
        with pytest.raises(InvalidStatus) as refused:  # a page that got past the check
            _kernel(server, "three")
        assert refused.value.response.status_code == 403
        _close(server, "one")  # a closed tab frees its place
        assert _kernels(server, 1) == 1
        status, page = _get(server + "/")
        assert status == 200 and FULL_ES not in page
    _close(server, "two")
    assert _kernels(server, 0) == 0


def test_ctrl_c_stops_the_app_with_its_own_message(running):
    """Last in this file: it stops the server (with a page still connected)."""
    url, process, log = running
    with _kernel(url, "open-at-stop"):
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    output = _read(log)
    assert "Barrios workshop stopped." in output
    assert "resume" not in output and "Traceback" not in output
