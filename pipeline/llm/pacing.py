"""How many requests are in flight: an adaptive limit (additive increase, multiplicative decrease).

A run starts at ``llm.concurrency`` requests at once. Until the provider first says "too many" (429, or
Anthropic's 529 "overloaded") every answer raises the limit by two, so it triples each round trip (a slow
start: a day's chunk stages are only two or three rounds deep); after that each answer raises it by
1/limit, about one per round trip. A 429/529 halves it, once
per round (refusals of requests sent before the last cut do not cut again), and new attempts wait out the
server's retry-after. The limit never leaves [1, ceiling]. Every transport attempt (retries included) takes
a slot, so the limit bounds what the provider sees, not just what the executor has started. Slots go
first come, first served: the first request over a chunk (which its four followers wait for) is not
overtaken by followers of other chunks.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

THROTTLE_STATUS = frozenset({429, 529})
SLOW_START_STEP = 2.0


@dataclass
class Ticket:
    """One attempt's slot: the cut epoch it started in (a refusal counts only against its own round)."""

    epoch: int


@dataclass
class AdaptiveLimit:
    """The number of attempts allowed in flight; thread-safe. ``start == ceiling`` gives a fixed limit."""

    start: int = 8
    ceiling: int = 32
    clock: Callable[[], float] = time.monotonic
    limit: float = field(init=False)
    in_flight: int = field(default=0, init=False)
    peak: int = field(default=0, init=False)  # the most attempts in flight at once
    cuts: int = field(default=0, init=False)  # how many times the limit was halved
    _resume_at: float = field(default=0.0, init=False)
    _slow_start: bool = field(default=True, init=False)
    _queue: deque[object] = field(default_factory=deque, init=False)
    _cond: threading.Condition = field(default_factory=threading.Condition, init=False)

    def __post_init__(self) -> None:
        self.start = max(1, self.start)
        self.ceiling = max(self.start, self.ceiling)
        self.limit = float(self.start)

    @property
    def allowed(self) -> int:
        return max(1, int(self.limit))

    @contextmanager
    def slot(self, stop: threading.Event | None = None) -> Iterator[Ticket]:
        """Wait for a free slot (and the end of any retry-after pause), hold it for one attempt."""
        me = object()
        with self._cond:
            self._queue.append(me)
            while True:
                if stop is not None and stop.is_set():
                    break  # the caller checks the stop event and raises; do not keep it waiting
                pause = self._resume_at - self.clock()
                if pause <= 0 and self.in_flight < self.allowed and self._queue[0] is me:
                    break
                self._cond.wait(timeout=min(pause, 0.5) if pause > 0 else 0.5)
            self._queue.remove(me)
            self._cond.notify_all()  # the next in line may go too
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            ticket = Ticket(epoch=self.cuts)
        try:
            yield ticket
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def succeeded(self) -> None:
        """An answer came: raise the limit (by two in slow start, else by 1/limit)."""
        with self._cond:
            step = SLOW_START_STEP if self._slow_start else 1.0 / self.limit
            self.limit = min(float(self.ceiling), self.limit + step)
            self._cond.notify_all()

    def throttled(self, ticket: Ticket, retry_after_s: float | None) -> None:
        """A 429/529: halve the limit once per round, and pause new attempts for the server's hint."""
        with self._cond:
            self._slow_start = False
            if ticket.epoch == self.cuts:
                self.limit = max(1.0, self.limit / 2)
                self.cuts += 1
            if retry_after_s:
                self._resume_at = max(self._resume_at, self.clock() + retry_after_s)
            self._cond.notify_all()
