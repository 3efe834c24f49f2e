"""Executing planned requests: cache first, then the provider, bounded concurrency, a budget, no losses.

Every answer goes into the cache the moment it arrives (in the worker thread), every attempt into the
ledger. A failed request becomes a failed outcome and never stops the others. Requests over one chunk
are sent in two waves: the first one writes the shared transcript prefix to the provider's prompt cache,
the others follow once it has returned so they read it. Ctrl-C cancels what has not started and
re-raises: what was received is already stored, so the next run carries on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from daily_report.core import log
from daily_report.core.errors import MissingKeyError
from daily_report.engine.bundle import BundledPlanned, Bundler, Unit
from daily_report.engine.plan import Planned
from daily_report.engine.sender import LLMSender, Sender
from daily_report.llm.pacing import AdaptiveLimit
from daily_report.llm.types import LLMResponse

if TYPE_CHECKING:
    from daily_report.llm.breaker import CircuitBreaker

__all__ = ["Abandoned", "Budget", "Executor", "LLMSender", "Outcome", "Sender", "progress_counter"]
Status = Literal["ok", "cached", "failed", "pending", "busy"]  # busy: another run is fetching it
CLAIM_POLL_S = 0.5
BUDGET_REACHED = "budget reached"


class Abandoned(KeyboardInterrupt):
    """A second Ctrl-C while requests in flight were being waited for: leave now (answers stored so far
    stay stored; the rest of what was in flight is lost)."""


@dataclass
class Outcome:
    planned: Planned
    status: Status
    response: LLMResponse | None = None
    error: str | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.response is not None


@dataclass
class Budget:
    """Stops new requests when the spend so far plus what is in flight would pass the limit.

    A request's share is its estimate scaled by how far actual costs have run above estimates so far in
    this run (never below 1x), so a run whose answers cost more than expected stops in time.
    """

    limit: Decimal
    spent: Decimal = Decimal(0)
    _reserved: Decimal = Decimal(0)
    _estimated_done: Decimal = Decimal(0)
    _actual_done: Decimal = Decimal(0)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def scale(self) -> Decimal:
        if self._estimated_done <= 0:
            return Decimal(1)
        return max(Decimal(1), self._actual_done / self._estimated_done)

    def reserve(self, estimate: Decimal) -> Decimal | None:
        """The amount held for a request, or None when it would pass the limit."""
        with self._lock:
            amount = estimate * self.scale
            if self.spent + self._reserved + amount > self.limit:
                return None
            self._reserved += amount
            return amount

    def settle(self, *, estimate: Decimal, reserved: Decimal, actual: Decimal | None) -> None:
        with self._lock:
            self._reserved -= reserved
            cost = actual if actual is not None else reserved
            self.spent += cost
            self._estimated_done += estimate
            self._actual_done += cost


@dataclass
class Executor:
    """Sends what the cache cannot answer. ``concurrency`` requests start at once; with a sender that takes
    a limit (``bind_limit``), it adapts between that and ``max_concurrency`` (``daily_report.llm.pacing``)."""

    sender: Sender
    concurrency: int = 8
    max_concurrency: int = 32
    refresh: frozenset[str] = frozenset()
    offline: bool = False
    budget: Budget | None = None
    on_outcome: Callable[[Outcome], None] | None = None
    breaker: CircuitBreaker | None = None  # open: nothing more is sent, the rest stays pending
    bundler: Bundler | None = None  # groups a chunk's unanswered stages into one request
    _stop: threading.Event = field(default_factory=threading.Event)
    limit: AdaptiveLimit | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        bind = getattr(self.sender, "bind_stop", None)  # test fakes may not derive from Sender
        if bind is not None:
            bind(self._stop)
        bind_limit = getattr(self.sender, "bind_limit", None)
        if bind_limit is not None:
            self.limit = AdaptiveLimit(start=self.concurrency, ceiling=self.max_concurrency)
            bind_limit(self.limit)
        if self.breaker is not None:
            self.breaker.on_open = self._stop.set  # waits between retries end, no attempt starts

    @property
    def halted(self) -> str | None:
        """Why sending stopped for good in this run (the endpoint is down), or None."""
        return self.breaker.message() if self.breaker is not None and self.breaker.is_open else None

    def run(self, planned: Sequence[Planned], *, hold: frozenset[str] = frozenset()) -> dict[str, Outcome]:
        """Outcome per request key (duplicates share one). Keys in ``hold`` (e.g. in a batch that is still
        running) are never sent: without a cached answer they stay pending."""
        outcomes: dict[str, Outcome] = {}
        to_send: list[Planned] = []
        for p in _unique(planned):
            hit = None if p.request.stage in self.refresh and p.key not in hold else self.sender.cached(p)
            if hit is not None:
                self.sender.record_hit(p, hit)
                outcomes[p.key] = self._done(Outcome(p, "cached", response=hit))
            elif self.offline or p.key in hold:
                outcomes[p.key] = self._done(Outcome(p, "pending"))
            else:
                to_send.append(p)
        if to_send:
            units: list[Unit] = list(to_send) if self.bundler is None else self.bundler.units(to_send)
            outcomes.update(self._send_all(units))
        return outcomes

    def _done(self, outcome: Outcome) -> Outcome:
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        return outcome

    def _send_all(self, units: list[Unit]) -> dict[str, Outcome]:
        waves = _waves(units)
        out: dict[str, Outcome] = {}
        workers = self.limit.ceiling if self.limit is not None else self.concurrency
        pool = ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="llm")
        running: dict[Future[Sent], list[Unit]] = {}
        try:
            for first, rest in waves:
                running[pool.submit(self._unit, first)] = rest
            while running:
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in finished:
                    rest = running.pop(fut)
                    sent = fut.result()
                    if sent.busy is not None:  # behind the work queued so far, then look again
                        running[pool.submit(self._later, sent.busy)] = rest
                        continue
                    for outcome in sent.outcomes:
                        out[outcome.planned.key] = self._done(outcome)
                    for p in [*sent.alone, *rest]:
                        running[pool.submit(self._unit, p)] = []
        except KeyboardInterrupt:
            self._stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            self._drain(list(running))
            raise
        except BaseException:
            self._stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return out

    def _drain(self, futures: list[Future[Sent]]) -> None:
        """After Ctrl-C: wait for the requests already in flight (their answers are paid for; the stop
        event keeps them from retrying or re-asking). A second Ctrl-C raises Abandoned at once."""
        busy = [f for f in futures if f.running()]
        if not busy:
            return
        try:
            log.progress("waiting", requests=len(busy))
            wait(busy)
        except KeyboardInterrupt:
            raise Abandoned from None

    def _later(self, u: Unit) -> Sent:
        self._stop.wait(CLAIM_POLL_S)
        return self._unit(u)

    def _unit(self, u: Unit) -> Sent:
        if isinstance(u, BundledPlanned):
            return self._bundle(u)
        outcome = self._one(u)
        return Sent(busy=u) if outcome.status == "busy" else Sent(outcomes=[outcome])

    def _bundle(self, u: BundledPlanned) -> Sent:
        """Send a bundled request; its stages with no valid answer are sent alone afterwards (``alone``)."""
        if self.halted:
            return Sent(outcomes=[Outcome(p, "pending", error=self.halted) for p in u.members])
        if self._stop.is_set():
            return Sent(outcomes=[Outcome(p, "failed", error="interrupted") for p in u.members])
        claim = getattr(self.sender, "claim_request", None)
        if claim is not None and not claim(u):
            return Sent(busy=u)
        try:
            if claim is not None and any(self.sender.cached(p) is not None for p in u.members):
                return Sent(alone=list(u.members))  # another run answered some meanwhile: ask the rest alone
            return self._send_bundle(u)
        finally:
            if claim is not None:
                self.sender.release_request(u)

    def _send_bundle(self, u: BundledPlanned) -> Sent:
        estimate = held = Decimal(0)
        if self.budget is not None:
            estimate = self.sender.cost_estimate(u)
            reserved = self.budget.reserve(estimate)
            if reserved is None:
                return Sent(alone=list(u.members))  # smaller requests may still fit, each is checked
            held = reserved
        try:
            split = self.sender.send_bundle(u)
        except MissingKeyError:
            self._stop.set()
            raise
        except Exception as exc:
            if self.budget is not None:
                self.budget.settle(estimate=Decimal(0), reserved=held, actual=_failed_cost(u, exc))
            if self.halted:
                return Sent(outcomes=[Outcome(p, "pending", error=self.halted) for p in u.members])
            # after the transport retries: every stage of it failed, as one request would (a later run
            # sends them again); asking each alone would only multiply the load on a failing endpoint
            error, attempts = f"{type(exc).__name__}: {exc}"[:600], _attempts(exc)
            return Sent(outcomes=[Outcome(p, "failed", error=error, attempts=attempts) for p in u.members])
        outcomes, alone = [], []
        for p in u.members:
            response = split.answers.get(p.key)
            if response is None:
                alone.append(p)
                continue
            self.sender.store(p, response)
            outcomes.append(Outcome(p, "ok", response=response, attempts=1))
        if self.budget is not None:
            actual = sum((o.response.cost_usd or Decimal(0) for o in outcomes if o.response), Decimal(0))
            self.budget.settle(estimate=estimate, reserved=held, actual=actual)
        return Sent(outcomes=outcomes, alone=alone)

    def _one(self, p: Planned) -> Outcome:
        if self.halted:
            return Outcome(p, "pending", error=self.halted)
        if self._stop.is_set():
            return Outcome(p, "failed", error="interrupted")
        claim = getattr(self.sender, "claim_request", None)  # test fakes may not derive from Sender
        if claim is None:
            return self._claimed(p)
        if not claim(p):
            return Outcome(p, "busy")
        try:
            hit = None if p.request.stage in self.refresh else self.sender.cached(p)
            if hit is not None:  # answered by another run meanwhile
                self.sender.record_hit(p, hit)
                return Outcome(p, "cached", response=hit)
            return self._claimed(p)
        finally:
            self.sender.release_request(p)

    def _claimed(self, p: Planned) -> Outcome:
        estimate = held = Decimal(0)
        if self.budget is not None:
            estimate = self.sender.cost_estimate(p)
            reserved = self.budget.reserve(estimate)
            if reserved is None:
                self.sender.record_skip(p, BUDGET_REACHED)
                return Outcome(p, "failed", error=BUDGET_REACHED)
            held = reserved
        try:
            response = self.sender.send(p)
        except MissingKeyError:
            self._stop.set()  # no request can succeed: stop the run with the one clear message
            raise
        except Exception as exc:
            if self.budget is not None:
                self.budget.settle(estimate=Decimal(0), reserved=held, actual=_failed_cost(p, exc))
            if self.halted:  # cut short by the breaker: a later run sends it
                return Outcome(p, "pending", error=self.halted, attempts=_attempts(exc))
            return Outcome(p, "failed", error=f"{type(exc).__name__}: {exc}"[:600], attempts=_attempts(exc))
        self.sender.store(p, response)
        if self.budget is not None:
            self.budget.settle(estimate=estimate, reserved=held, actual=response.cost_usd)
        return Outcome(p, "ok", response=response, attempts=response.attempts)


@dataclass
class Sent:
    """What one unit's worker did: outcomes, the stages to send alone now, or the unit to retry later."""

    outcomes: list[Outcome] = field(default_factory=list)
    alone: list[Planned] = field(default_factory=list)
    busy: Unit | None = None


def _failed_cost(p: Unit, exc: BaseException) -> Decimal:
    """What a failed call spent (invalid answers are billed); an unknown price counts as nothing."""
    from daily_report.llm.costing import call_cost

    usage = getattr(exc, "usage", None)
    if usage is None:
        return Decimal(0)
    cost = call_cost(provider=p.request.provider, model=p.request.model, usage=usage)
    return cost if cost is not None else Decimal(0)


def _attempts(exc: BaseException) -> int:
    n = getattr(exc, "attempts", 0)
    return n if isinstance(n, int) else 0


def _unique(planned: Iterable[Planned]) -> list[Planned]:
    seen: dict[str, Planned] = {}
    for p in planned:
        seen.setdefault(p.key, p)
    return list(seen.values())


def _waves(units: list[Unit]) -> list[tuple[Unit, list[Unit]]]:
    """Group requests by chunk: (the first of a chunk, the ones that wait for it). Day requests go alone.
    Bundled requests that share a cached system prefix across chunks wait for the first of them, which
    writes that prefix to the provider's prompt cache (sent at once, each would write it)."""
    groups: dict[tuple[str, int], list[Unit]] = {}
    singles: list[tuple[Unit, list[Unit]]] = []
    for u in units:
        r = u.request
        if r.session_id is None or r.chunk_index is None:
            singles.append((u, []))
        else:
            groups.setdefault((r.session_id, r.chunk_index), []).append(u)
    waves = [(g[0], g[1:]) for g in groups.values()]
    shared = [i for i, (first, _) in enumerate(waves) if first.request.system_cache]
    if len(shared) > 1:
        lead, later = shared[0], set(shared[1:])
        followers = [u for i in shared[1:] for u in (waves[i][0], *waves[i][1])]
        waves = [(f, [*rest, *followers]) if i == lead else (f, rest) for i, (f, rest) in enumerate(waves)]
        waves = [w for i, w in enumerate(waves) if i not in later]
    return waves + singles


def progress_counter(total: int) -> Callable[[Outcome], None]:
    """An on_outcome hook that reports calls done/total, cache hits and spend through daily_report.core.log."""
    state: dict[str, Any] = {"done": 0, "hits": 0, "failed": 0, "cost": Decimal(0)}
    lock = threading.Lock()

    def hook(outcome: Outcome) -> None:
        with lock:
            state["done"] += 1
            state["hits"] += outcome.status == "cached"
            state["failed"] += outcome.status == "failed"
            if outcome.status == "ok" and outcome.response and outcome.response.cost_usd is not None:
                state["cost"] += outcome.response.cost_usd
            log.progress(
                "request_done",
                stage=outcome.planned.request.stage,
                label=outcome.planned.request.label,
                status=outcome.status,
                done=state["done"],
                total=total,
                cache_hits=state["hits"],
                failed=state["failed"],
                spent_usd=float(state["cost"]),
                error=outcome.error,
            )

    return hook
