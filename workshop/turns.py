"""Whose model steps next: one page's model at a time, shortest request first.

All pages share the server's one Python process, and a model step holds the interpreter
for nearly all its time. Twenty pages stepping their models at once only take turns at
the interpreter every few milliseconds, each bringing its own 30 MB of model back into the
processor's caches: measured, a run then costs 1.2-1.9 times the processor time it costs
alone. Stepping a few days at a time, one page after another, costs what running alone does.

Who goes next: the request with the fewest days left (a page playing 7 days a frame
before one running 1,000 days to the end), so pages that play stay smooth and, of a room
that presses "to the end" together, pages finish one after another instead of all at the
very end. A request counts as ``AGING_DAYS_PER_S`` days shorter for every second since it
was made, so a long run is never held back for ever by others playing.

Between two chunks of days the page holding the turn calls ``Turn.give_way``: it keeps the
turn unless a waiting request has a better claim, and only the request handed the turn is
woken (waking every waiting page at every chunk cost as much as a tenth of the stepping).
"""

from __future__ import annotations

import itertools
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

AGING_DAYS_PER_S = 100.0


@dataclass
class Turn:
    """One request: how many days it still has to step, since when it asks, and what
    wakes it when the turn is handed to it."""

    turns: Turns
    days_left: float
    since: float
    ticket: int
    woken: threading.Event = field(default_factory=threading.Event)

    def claim(self, now: float) -> tuple[float, int]:
        """Smaller goes first: days left, less what waiting has earned; then first come."""
        return self.days_left - self.turns.aging * (now - self.since), self.ticket

    def give_way(self, days_left: float):
        """Between two chunks: hand the turn to a waiting request with a better claim and
        wait for it to come back; else keep it."""
        self.days_left = days_left
        self.turns._give_way(self)


class Turns:
    """A lock that hands itself to the waiting request with the best claim (``Turn.claim``)."""

    def __init__(self, aging: float = AGING_DAYS_PER_S, clock=time.monotonic):
        self.aging, self.clock = aging, clock
        self._lock = threading.Lock()
        self._busy = False
        self._waiting: dict[int, Turn] = {}
        self._tickets = itertools.count()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @contextmanager
    def turn(self, days_left: float):
        """Hold the turn (waiting for it first) for a request of ``days_left`` days."""
        me = Turn(self, float(days_left), self.clock(), next(self._tickets))
        with self._lock:
            wait = self._busy
            if wait:
                self._waiting[me.ticket] = me
            self._busy = True
        if wait:
            me.woken.wait()
        try:
            yield me
        finally:
            with self._lock:
                self._hand_over()

    def _best(self) -> Turn:
        now = self.clock()
        return min(self._waiting.values(), key=lambda turn: turn.claim(now))

    def _hand_over(self):
        """Wake the best waiting request (the turn stays taken), or free the turn."""
        if not self._waiting:
            self._busy = False
            return
        best = self._waiting.pop(self._best().ticket)
        best.woken.set()

    def _give_way(self, me: Turn):
        with self._lock:
            if not self._waiting or me.claim(self.clock()) <= self._best().claim(self.clock()):
                return
            me.woken.clear()
            self._hand_over()
            self._waiting[me.ticket] = me
        me.woken.wait()


STEPPING = Turns()
"""The server's one queue for stepping models (``workshop.core.LiveRun.advance``)."""
