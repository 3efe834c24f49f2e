"""The adaptive limit on requests in flight: slow start, one cut per round on 429/529, retry-after pauses,
first come first served, and a real run against a stub that refuses past a cap."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from daily_report.llm.pacing import AdaptiveLimit
from daily_report.llm.retry import RetryPolicy, with_retries


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_slow_start_triples_per_round_up_to_the_ceiling() -> None:
    limit = AdaptiveLimit(start=8, ceiling=32)
    assert limit.allowed == 8
    for _ in range(8):
        limit.succeeded()
    assert limit.allowed == 24
    for _ in range(24):
        limit.succeeded()
    assert limit.allowed == 32


def test_a_round_of_refusals_halves_once_then_growth_is_additive() -> None:
    limit = AdaptiveLimit(start=16, ceiling=32)
    with limit.slot() as a, limit.slot() as b:
        limit.throttled(a, None)
        limit.throttled(b, None)  # sent in the same round: no second cut
    assert limit.allowed == 8 and limit.cuts == 1
    with limit.slot() as c:
        limit.throttled(c, None)  # sent after the cut: cuts again
    assert limit.allowed == 4
    for _ in range(4):
        limit.succeeded()
    assert limit.allowed == 4  # +1/limit per answer: about one per round trip (4 + 1/4 + 1/4.25 + ...)
    limit.succeeded()
    assert limit.allowed == 5


def test_a_fixed_limit_never_moves_up() -> None:
    limit = AdaptiveLimit(start=16, ceiling=16)
    for _ in range(100):
        limit.succeeded()
    assert limit.allowed == 16


def test_no_more_attempts_in_flight_than_allowed() -> None:
    limit = AdaptiveLimit(start=3, ceiling=3)
    busy = 0
    seen: list[int] = []
    lock = threading.Lock()

    def attempt() -> None:
        nonlocal busy
        with limit.slot():
            with lock:
                busy += 1
                seen.append(busy)
            time.sleep(0.01)
            with lock:
                busy -= 1

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert max(seen) == 3 and limit.peak == 3 and limit.in_flight == 0


def test_retry_after_holds_new_attempts_back() -> None:
    clock = Clock()
    limit = AdaptiveLimit(start=4, ceiling=4, clock=clock)
    with limit.slot() as ticket:
        limit.throttled(ticket, 5.0)
    got = threading.Event()

    def attempt() -> None:
        with limit.slot():
            got.set()

    worker = threading.Thread(target=attempt)
    worker.start()
    assert not got.wait(0.3)
    clock.now = 5.5
    assert got.wait(3)
    worker.join()


def test_slots_go_first_come_first_served() -> None:
    limit = AdaptiveLimit(start=1, ceiling=1)
    order: list[int] = []
    held = limit.slot()
    held.__enter__()
    threads = []
    for i in range(5):
        t = threading.Thread(target=lambda i=i: _take(limit, order, i))
        t.start()
        threads.append(t)
        _wait_until(lambda n=i + 1: len(limit._queue) == n)
    held.__exit__(None, None, None)
    for t in threads:
        t.join(5)
    assert order == [0, 1, 2, 3, 4]


def _take(limit: AdaptiveLimit, order: list[int], i: int) -> None:
    with limit.slot():
        order.append(i)


def _wait_until(cond: Any) -> None:
    deadline = time.monotonic() + 5
    while not cond():
        assert time.monotonic() < deadline
        time.sleep(0.005)


class Refused(Exception):
    """The shape of an SDK's 429: a status code and a response with headers."""

    status_code = 429

    def __init__(self) -> None:
        super().__init__("429 too many requests")
        self.response = SimpleNamespace(headers={"retry-after": "0"})


def test_with_retries_cuts_the_limit_on_a_429_and_raises_it_on_success() -> None:
    limit = AdaptiveLimit(start=8, ceiling=32)
    calls = iter([Refused(), "ok"])

    def fn() -> str:
        got = next(calls)
        if isinstance(got, Exception):
            raise got
        return got

    policy = RetryPolicy(sleep=lambda _s: None, gate=limit)
    assert with_retries(fn, policy=policy) == "ok"
    assert limit.cuts == 1 and limit.allowed == 4  # halved, then +1/4 from the success
    assert limit.in_flight == 0


def test_a_run_against_a_capped_stub_adapts_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from daily_report.core import log
    from daily_report.engine.plan import RunOptions
    from daily_report.engine.run import run_day

    from tests.stub_llm_server import StubLLMServer
    from tests.test_run_day import make_day

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    with StubLLMServer() as stub:
        stub.max_in_flight, stub.retry_after, stub.latency_s = 3, "0.05", 0.05
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        # one request per stage and chunk ("native": no bundled requests), so there is work to pace
        more = 'concurrency = 2\nmax_concurrency = 12\nstructured = "native"'
        text = config.read_text().replace("concurrency = 4", more)
        config.write_text(text)
        log.set_progress_sink(lambda event, fields: None)
        try:
            result = run_day(RunOptions(date="2026-03-17", config_path=config))
        finally:
            log.set_progress_sink(None)
    assert not result.failures and result.generation is not None
    assert stub.peak_in_flight == 3  # it went past 2, up to the cap the stub allows
    assert stub.refused >= 1  # it learned the cap from the 429s...
    assert result.generation.calls == len(stub.message_requests()) - stub.refused  # ...and lost nothing
