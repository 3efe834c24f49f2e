"""What the executor sends through: the ``Sender`` interface (cache, ledger, provider call) and
``LLMSender``, the real one over the SQLite cache, the ledger and ``call_structured`` / ``call_bundled``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from daily_report.engine.bundle import BundledPlanned, Unit
from daily_report.engine.plan import Planned
from daily_report.llm.pacing import AdaptiveLimit
from daily_report.llm.types import LLMResponse

if TYPE_CHECKING:
    from daily_report.llm.bundled import Split


class Sender:
    """What the executor needs from the LLM layer: a cache, a ledger, a provider call."""

    def cached(self, planned: Planned) -> LLMResponse | None:
        raise NotImplementedError

    def send(self, planned: Planned) -> LLMResponse:
        raise NotImplementedError

    def send_bundle(self, unit: BundledPlanned) -> Split:
        """Send a bundled request: the valid answers by member key and what was wrong with the others."""
        raise NotImplementedError

    def store(self, planned: Planned, response: LLMResponse) -> None:
        raise NotImplementedError

    def record_hit(self, planned: Planned, response: LLMResponse) -> None:
        raise NotImplementedError

    def record_skip(self, planned: Planned, error: str) -> None:
        raise NotImplementedError

    def cost_estimate(self, planned: Unit) -> Decimal:
        raise NotImplementedError

    def bind_stop(self, stop: threading.Event) -> None:
        """The executor's stop event (set on Ctrl-C): a sender's retries and re-asks check it."""

    def claim_request(self, planned: Unit) -> bool:
        """Take the request for this run; False while another run is fetching it."""
        return True

    def release_request(self, planned: Unit) -> None:
        """Give the claim back (answered or failed)."""


@dataclass
class LLMSender(Sender):
    """The real thing: the SQLite cache, the ledger and ``call_structured`` over a provider."""

    cache: Any
    ledger: Any
    provider: Any
    run_id: str
    date: str
    reasks: int = 2
    store_answers: bool = True
    price_overrides: Any = None
    policy: Any = None
    fresh: set[str] = field(default_factory=set)  # answered this run by a batch or an import: ledgered there
    redactor: Any = None  # an AnswerRedactor: every answer, sent or cached, passes it (None: built-in rules)
    stop: threading.Event | None = None  # the executor's: set on Ctrl-C, checked before every attempt
    limit: AdaptiveLimit | None = None  # the executor's: bounds the attempts in flight
    claims: Any = None  # ``llm.claims.Claims`` over the cache: another run's request is not sent twice

    def bind_stop(self, stop: threading.Event) -> None:
        self.stop = stop

    def claim_request(self, planned: Unit) -> bool:
        return self.claims is None or bool(self.claims.claim(planned.key))

    def release_request(self, planned: Unit) -> None:
        if self.claims is not None:
            self.claims.release(planned.key)

    def bind_limit(self, limit: AdaptiveLimit) -> None:
        """The executor's adaptive limit: every transport attempt takes one of its slots. (A sender
        without this method gets a fixed pool of ``concurrency`` workers.)"""
        self.limit = limit

    def _policy(self) -> Any:
        import dataclasses

        from daily_report.llm.retry import RetryPolicy

        policy = self.policy or RetryPolicy()
        return dataclasses.replace(policy, stop=self.stop or policy.stop, gate=self.limit or policy.gate)

    def _redactor(self) -> Any:
        from daily_report.llm.answer_redaction import default_answer_redactor

        return self.redactor if self.redactor is not None else default_answer_redactor()

    def cached(self, planned: Planned) -> LLMResponse | None:
        resp: LLMResponse | None = self.cache.get(planned.key)
        return None if resp is None else self._redactor().response(resp)  # stored before answers were

    def send(self, planned: Planned) -> LLMResponse:
        from daily_report.llm.structured import call_structured

        def on_attempt(attempt: Any) -> None:
            self.ledger.record_attempt(attempt, run_id=self.run_id, date=self.date)

        return call_structured(
            self.provider,
            planned.request,
            planned.output_model,
            reasks=self.reasks,
            on_attempt=on_attempt,
            policy=self._policy(),
            price_overrides=self.price_overrides,
            redactor=self._redactor(),
        )

    def send_bundle(self, unit: BundledPlanned) -> Split:
        from daily_report.llm.bundled import call_bundled

        def on_attempt(attempt: Any) -> None:
            self.ledger.record_attempt(attempt, run_id=self.run_id, date=self.date)

        return call_bundled(
            self.provider,
            unit.bundle(),
            on_attempt=on_attempt,
            policy=self._policy(),
            price_overrides=self.price_overrides,
            redactor=self._redactor(),
        )

    def store(self, planned: Planned, response: LLMResponse) -> None:
        if self.store_answers:
            self.cache.put(planned.key, planned.request, response)

    def record_hit(self, planned: Planned, response: LLMResponse) -> None:
        if planned.key in self.fresh:
            return
        self.ledger.record(
            run_id=self.run_id,
            request=planned.request,
            response=response,
            attempt=0,
            cache_hit=True,
            latency_s=0.0,
            date=self.date,
        )

    def record_skip(self, planned: Planned, error: str) -> None:
        self.ledger.record(
            run_id=self.run_id,
            request=planned.request,
            error=error,
            attempt=0,
            cache_hit=False,
            latency_s=0.0,
            date=self.date,
        )

    def cost_estimate(self, planned: Unit) -> Decimal:
        from daily_report.engine.estimate import request_cost

        cost = request_cost(planned.request, overrides=self.price_overrides)
        return cost if cost is not None else Decimal(0)
