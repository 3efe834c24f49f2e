"""Ctrl-C stops spending: no retry or re-ask starts after it, the requests in flight are waited for (and
said so), and a second Ctrl-C leaves at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from daily_report.core import log
from daily_report.engine.execute import Abandoned, Executor, LLMSender
from daily_report.engine.plan import Planned
from daily_report.llm.cache import Cache
from daily_report.llm.ledger import Ledger
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.retry import RetryPolicy, StoppedError, with_retries
from daily_report.llm.structured import call_structured
from daily_report.llm.types import LLMResponse

from tests.stub_llm_kit import Facts, make_request
from tests.stub_llm_server import Fault, StubLLMServer
from tests.test_engine_execute import FakeSender, _planned


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer() as server:
        yield server


def test_no_retry_starts_once_the_stop_is_set() -> None:
    stop = threading.Event()
    calls: list[int] = []

    class RateLimited(Exception):
        status_code = 429

    def fn() -> str:
        calls.append(1)
        raise RateLimited("slow down")

    policy = RetryPolicy(sleep=lambda _s: stop.set(), stop=stop)  # Ctrl-C during the wait
    with pytest.raises(StoppedError):
        with_retries(fn, policy=policy)
    assert calls == [1]


def test_a_real_wait_ends_when_the_stop_is_set() -> None:
    stop = threading.Event()
    policy = RetryPolicy(stop=stop)
    threading.Timer(0.05, stop.set).start()
    policy.pause(300.0)  # returns once the stop is set, not after 300 s
    assert stop.is_set()


def test_a_429_with_retry_after_is_not_sent_again_after_ctrl_c(stub: StubLLMServer) -> None:
    stop = threading.Event()
    stub.add_fault(Fault.rate_limit(retry_after="30"))
    provider = AnthropicProvider(api_key="k", base_url=stub.url)
    waits: list[float] = []

    def ctrl_c_while_waiting(seconds: float) -> None:
        waits.append(seconds)
        stop.set()

    policy = RetryPolicy(sleep=ctrl_c_while_waiting, stop=stop)
    with pytest.raises(StoppedError):
        call_structured(provider, make_request("anthropic"), Facts, policy=policy)
    assert waits == [30.0] and len(stub.message_requests()) == 1


def test_no_reask_starts_after_ctrl_c(stub: StubLLMServer) -> None:
    stop = threading.Event()
    stub.add_fault(Fault.invalid_answer())
    provider = AnthropicProvider(api_key="k", base_url=stub.url)

    def on_attempt(_attempt: Any) -> None:
        stop.set()  # Ctrl-C while the invalid answer was being checked

    with pytest.raises(StoppedError):
        call_structured(
            provider,
            make_request("anthropic"),
            Facts,
            policy=RetryPolicy(stop=stop),
            on_attempt=on_attempt,
        )
    assert len(stub.message_requests()) == 1


def test_the_executor_stop_reaches_the_senders_retries(stub: StubLLMServer, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    stub.add_fault(Fault.rate_limit(retry_after="30"))
    executor: list[Executor] = []

    def ctrl_c_while_waiting(_seconds: float) -> None:
        executor[0]._stop.set()

    sender = LLMSender(
        cache=cache,
        ledger=Ledger.beside(cache),
        provider=AnthropicProvider(api_key="k", base_url=stub.url),
        run_id="r",
        date="2026-03-17",
        policy=RetryPolicy(sleep=ctrl_c_while_waiting),
    )
    executor.append(Executor(sender=sender, concurrency=1))
    request = make_request("anthropic")
    planned = Planned(call=_planned("facts").call, request=request)
    (outcome,) = executor[0].run([planned]).values()
    assert outcome.status == "failed" and "interrupted" in (outcome.error or "")
    assert len(stub.message_requests()) == 1
    cache.close()


class Blocking(FakeSender):
    """Sends that wait until released: requests in flight when Ctrl-C comes."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def send(self, planned: Planned) -> LLMResponse:
        if planned.request.session_id != "s0":
            self.release.wait(5)
        return super().send(planned)


def _interrupt_after_first(outcome: object) -> None:
    raise KeyboardInterrupt


def test_ctrl_c_waits_for_the_requests_in_flight_and_says_so() -> None:
    sender = Blocking()
    events: list[tuple[str, dict[str, Any]]] = []

    def sink(event: str, fields: dict[str, Any]) -> None:
        events.append((event, fields))
        if event == "waiting":
            sender.release.set()  # the network answers while we wait

    plan = [_planned("facts", f"s{i}") for i in range(6)]
    log.set_progress_sink(sink)
    try:
        with pytest.raises(KeyboardInterrupt) as info:
            Executor(sender=sender, concurrency=3, on_outcome=_interrupt_after_first).run(plan)
    finally:
        log.set_progress_sink(None)
    assert not isinstance(info.value, Abandoned)
    (waiting,) = [f["requests"] for e, f in events if e == "waiting"]
    # the two others in flight, and maybe the one a pool worker took up as the first finished
    assert waiting in (2, 3) and len(sender.sent) == 1 + waiting
    assert len(sender.cache) == len(sender.sent)  # every request in flight was waited for and stored


def test_a_second_ctrl_c_abandons_the_wait() -> None:
    sender = Blocking()

    def sink(event: str, fields: dict[str, Any]) -> None:
        if event == "waiting":
            raise KeyboardInterrupt

    log.set_progress_sink(sink)
    try:
        with pytest.raises(Abandoned):
            plan = [_planned("facts", f"s{i}") for i in range(4)]
            Executor(sender=sender, concurrency=3, on_outcome=_interrupt_after_first).run(plan)
    finally:
        log.set_progress_sink(None)
        sender.release.set()


def test_the_cli_leaves_at_once_on_a_second_ctrl_c(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from daily_report.cli import console
    from daily_report.engine import run as engine

    from tests.test_run_day import invoke

    exits: list[int] = []

    def abandon(_opts: Any) -> Any:
        raise Abandoned

    def exit_now(code: int) -> None:
        exits.append(code)
        raise SystemExit(code)

    monkeypatch.setattr(engine, "run_day", abandon)
    monkeypatch.setattr(console, "_exit_now", exit_now)
    config = tmp_path / "c.toml"
    config.write_text("", encoding="utf-8")
    result = invoke("run", "--date", "2026-03-17", "--config", str(config))
    assert exits == [130] and result.exit_code == 130 and "interrupted" in result.output
    monkeypatch.setattr(engine, "run_day", lambda _o: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert invoke("run", "--date", "2026-03-17", "--config", str(config)).exit_code == 130
    assert exits == [130]  # a first Ctrl-C exits the normal way
