"""A dead endpoint ends the run in seconds: the circuit breaker stops sending after a few failures in a
row, leaves the rest pending, exits 1 naming the endpoint, and a later run carries on."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from daily_report.cli.app import app
from daily_report.llm.breaker import CircuitBreaker, CircuitOpenError, GuardedProvider, is_endpoint_failure
from typer.testing import CliRunner

from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import DAY, make_day, run_args

runner = CliRunner()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the block ends: connections are refused


class StatusError(Exception):
    """What the SDKs' status errors carry that the breaker reads: the HTTP status."""

    def __init__(self, code: int) -> None:
        super().__init__(f"HTTP {code}")
        self.status_code = code


def _status_error(code: int) -> StatusError:
    return StatusError(code)


def test_failures_in_a_row_open_it_and_an_answer_between_resets_the_count() -> None:
    opened: list[int] = []
    breaker = CircuitBreaker(endpoint="http://x", threshold=3, on_open=lambda: opened.append(1))
    refused = ConnectionRefusedError("refused")

    def fail() -> None:
        raise refused

    for _ in range(2):
        with pytest.raises(ConnectionRefusedError):
            breaker.call(fail)
    assert breaker.call(lambda: "ok") == "ok" and breaker.failures == 0
    for _ in range(3):
        with pytest.raises(ConnectionRefusedError):
            breaker.call(fail)
    assert breaker.is_open and opened == [1]
    with pytest.raises(CircuitOpenError, match="http://x failed 3 times"):
        breaker.call(lambda: "never sent")


def test_only_signs_of_a_dead_server_count() -> None:
    assert is_endpoint_failure(_status_error(500)) and is_endpoint_failure(_status_error(503))
    assert not is_endpoint_failure(_status_error(429))  # alive, only busy
    assert not is_endpoint_failure(_status_error(529))
    assert not is_endpoint_failure(_status_error(400))
    breaker = CircuitBreaker(endpoint="x", threshold=2)

    def rate_limited() -> None:
        raise _status_error(429)

    for _ in range(5):
        with pytest.raises(StatusError):
            breaker.call(rate_limited)
    assert not breaker.is_open


def test_a_guarded_provider_is_the_provider_otherwise() -> None:
    class P:
        name = "fake"
        base_url = "http://fake"

        def complete(self, *_a: Any) -> str:
            return "answer"

    guarded = GuardedProvider(P(), CircuitBreaker(endpoint="http://fake"))
    assert guarded.complete(None, []) == "answer" and guarded.name == "fake"


def test_a_closed_port_ends_the_run_quickly_and_a_later_run_carries_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    dead = f"http://127.0.0.1:{_closed_port()}"
    config = make_day(tmp_path, provider="anthropic", base_url=dead)
    started = time.monotonic()
    result = runner.invoke(app, run_args(config))
    took = time.monotonic() - started
    print(f"closed port: {took:.1f} s")
    assert result.exit_code == 1, result.output
    assert took <= 90, took
    text = " ".join(result.output.split())
    assert dead in text and "Run the same command again" in text and "pending" in text
    assert not (tmp_path / "reports" / DAY / "report.json").exists()  # day stages were skipped

    with StubLLMServer() as stub:
        live = config.read_text(encoding="utf-8").replace(dead, stub.url)
        config.write_text(live, encoding="utf-8")
        again = runner.invoke(app, run_args(config))
        assert again.exit_code == 0, again.output
        assert stub.message_requests()
    report = json.loads((tmp_path / "reports" / DAY / "report.json").read_text(encoding="utf-8"))
    assert report["sessions"] and not report["failures"]


def test_a_storm_of_5xx_answers_opens_it_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.stub_llm_server import Fault

    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    with StubLLMServer() as stub:
        stub.add_fault(*[Fault.server_error(503) for _ in range(200)])
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        started = time.monotonic()
        result = runner.invoke(app, run_args(config))
        took = time.monotonic() - started
        sent = len(stub.message_requests())
    assert result.exit_code == 1, result.output
    print(f"5xx storm: {took:.1f} s, {sent} requests")
    assert took <= 90 and sent < 12, (took, sent)  # stopped after a few, not 6 attempts per request
    assert stub.url in " ".join(result.output.split())
