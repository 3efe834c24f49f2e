"""The executor: cache first, failures isolated, refresh, offline pending, budget, prefix waves, Ctrl-C."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from daily_report.engine.execute import BUDGET_REACHED, Budget, Executor, Sender
from daily_report.engine.plan import Planned
from daily_report.llm.types import LLMRequest, LLMResponse, TextBlock, Usage
from daily_report.stages.base import PlannedCall
from pydantic import BaseModel


class Out(BaseModel):
    x: str


def _planned(stage: str, session: str = "s1", chunk: int | None = 0) -> Planned:
    blocks = (TextBlock(text=f"transcript {session} {chunk}", cache=True), TextBlock(text=stage))
    call = PlannedCall(
        stage=stage,
        label=f"{stage}/{session}/chunk-{chunk}",
        system="sys",
        blocks=blocks,
        output_model=Out,
        session_id=session if chunk is not None else None,
        chunk_index=chunk,
    )
    req = LLMRequest(
        stage=stage,
        prompt_version="v1",
        provider="anthropic",
        model="claude-haiku-4-5",
        system="sys",
        blocks=list(blocks),
        schema_name="Out",
        output_schema=Out.model_json_schema(),
        session_id=call.session_id,
        chunk_index=chunk,
        label=call.label,
    )
    return Planned(call=call, request=req)


def _resp(text: str, cost: str = "0.01") -> LLMResponse:
    return LLMResponse(
        output={"x": text}, raw_text=text, usage=Usage(input_tokens=10), model="m", cost_usd=Decimal(cost)
    )


class FakeSender(Sender):
    def __init__(self, *, fail: set[str] = frozenset(), delay: float = 0.0, cost: str = "0.01") -> None:
        self.cache: dict[str, LLMResponse] = {}
        self.sent: list[str] = []
        self.hits: list[str] = []
        self.skips: list[str] = []
        self.fail, self.delay, self.cost = fail, delay, cost
        self.active = 0
        self.max_active = 0
        self.finished_at: dict[str, float] = {}
        self.started_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def cached(self, planned: Planned) -> LLMResponse | None:
        return self.cache.get(planned.key)

    def send(self, planned: Planned) -> LLMResponse:
        label = planned.request.label
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.sent.append(label)
            self.started_at[label] = time.perf_counter()
        try:
            time.sleep(self.delay)
            if label in self.fail:
                raise RuntimeError(f"boom {label}")
            return _resp(label, self.cost)
        finally:
            with self._lock:
                self.active -= 1
                self.finished_at[label] = time.perf_counter()

    def store(self, planned: Planned, response: LLMResponse) -> None:
        self.cache[planned.key] = response

    def record_hit(self, planned: Planned, response: LLMResponse) -> None:
        self.hits.append(planned.request.label)

    def record_skip(self, planned: Planned, error: str) -> None:
        self.skips.append(planned.request.label)

    def cost_estimate(self, planned: Planned) -> Decimal:
        return Decimal(self.cost)


STAGES = ("facts", "tasks", "issues")


def _day(sessions: int = 3) -> list[Planned]:
    return [_planned(st, f"s{i}") for st in STAGES for i in range(sessions)]


def test_a_failed_request_does_not_stop_the_others_and_answers_are_cached() -> None:
    sender = FakeSender(fail={"tasks/s1/chunk-0"})
    outcomes = Executor(sender=sender, concurrency=4).run(_day())
    statuses = {o.planned.request.label: o.status for o in outcomes.values()}
    assert statuses.pop("tasks/s1/chunk-0") == "failed"
    assert set(statuses.values()) == {"ok"} and len(statuses) == 8
    assert len(sender.cache) == 8
    failed = next(o for o in outcomes.values() if o.status == "failed")
    assert "boom" in (failed.error or "")


def test_second_run_sends_nothing_and_refresh_resends_only_that_stage() -> None:
    sender = FakeSender()
    Executor(sender=sender).run(_day())
    assert len(sender.sent) == 9
    sender.sent.clear()
    outcomes = Executor(sender=sender).run(_day())
    assert sender.sent == [] and {o.status for o in outcomes.values()} == {"cached"}
    Executor(sender=sender, refresh=frozenset({"tasks"})).run(_day())
    assert sorted(sender.sent) == sorted(f"tasks/s{i}/chunk-0" for i in range(3))


def test_offline_runs_leave_unanswered_requests_pending() -> None:
    sender = FakeSender()
    plan = _day(1)
    sender.cache[plan[0].key] = _resp("cached")
    outcomes = Executor(sender=sender, offline=True).run(plan)
    assert sender.sent == []
    assert sorted(o.status for o in outcomes.values()) == ["cached", "pending", "pending"]


def test_concurrency_is_bounded() -> None:
    sender = FakeSender(delay=0.02)
    Executor(sender=sender, concurrency=2).run([_planned("facts", f"s{i}") for i in range(8)])
    assert sender.max_active == 2 and len(sender.sent) == 8


def test_later_stages_over_a_chunk_wait_for_the_first() -> None:
    sender = FakeSender(delay=0.01)
    Executor(sender=sender, concurrency=8).run(_day(2))
    for i in range(2):
        first_done = sender.finished_at[f"facts/s{i}/chunk-0"]
        for st in ("tasks", "issues"):
            assert sender.started_at[f"{st}/s{i}/chunk-0"] >= first_done


def test_budget_stops_new_requests_and_they_become_failures() -> None:
    sender = FakeSender(cost="0.01")
    budget = Budget(limit=Decimal("0.035"))
    outcomes = Executor(sender=sender, concurrency=1, budget=budget).run(
        [_planned("facts", f"s{i}") for i in range(6)]
    )
    sent = [o for o in outcomes.values() if o.status == "ok"]
    stopped = [o for o in outcomes.values() if o.status == "failed"]
    assert len(sent) == 3 and len(stopped) == 3
    assert {o.error for o in stopped} == {BUDGET_REACHED}
    assert budget.spent == Decimal("0.03") and len(sender.skips) == 3


def test_ctrl_c_keeps_what_arrived_and_the_next_run_carries_on() -> None:
    sender = FakeSender(delay=0.01)
    seen: list[str] = []

    def interrupt_after_two(outcome: object) -> None:
        seen.append("x")
        if len(seen) == 2:
            raise KeyboardInterrupt

    plan = [_planned("facts", f"s{i}") for i in range(10)]
    with pytest.raises(KeyboardInterrupt):
        Executor(sender=sender, concurrency=1, on_outcome=interrupt_after_two).run(plan)
    for _ in range(500):  # let the one in-flight request finish and store its answer
        if sender.active == 0:
            break
        time.sleep(0.01)
    kept = len(sender.cache)
    assert 2 <= kept < 10
    sender.sent.clear()
    outcomes = Executor(sender=sender, concurrency=4).run(plan)
    assert len(sender.sent) == 10 - kept
    assert sum(o.status == "cached" for o in outcomes.values()) == kept
