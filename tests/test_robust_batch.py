"""A batch create is never retried when it may have succeeded (a timeout, a 5xx): a second paid batch
would follow. The next run warns about the unconfirmed submission and skips its requests unless
--batch-resubmit."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest
from daily_report.core.errors import LLMError
from daily_report.engine import batch as batching
from daily_report.llm.batch import open_batches, submit_batch, unconfirmed_submissions
from daily_report.llm.cache import Cache
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.retry import RetryPolicy

from tests.stub_llm_kit import make_request
from tests.stub_llm_server import Fault, StubLLMServer
from tests.test_run_day import (
    DAY,
    invoke,
    keys,  # noqa: F401  (fixture)
    make_day,
    report_json,
    run_args,
)
from tests.test_run_day import _fast_retries as _fast_retries

CREATE = "/v1/messages/batches"


@pytest.fixture
def stub() -> Iterator[StubLLMServer]:
    with StubLLMServer(polls_until_done=1) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batching, "POLL_INTERVAL_S", 0.0)


def _creates(stub: StubLLMServer) -> int:
    return sum(1 for r in stub.requests if r.method == "POST" and r.path == CREATE)


def _lose_the_answer(monkeypatch: pytest.MonkeyPatch, times: int = 1) -> None:
    """The create reaches the server (the batch exists) but its answer is lost: a client timeout."""
    real = AnthropicProvider.submit_batch_lines
    left = [times]

    def submit(self: AnthropicProvider, lines: Any) -> str:
        batch_id: str = real(self, lines)
        if left[0] > 0:
            left[0] -= 1
            raise anthropic.APITimeoutError(request=httpx2.Request("POST", "http://127.0.0.1" + CREATE))
        return batch_id

    monkeypatch.setattr(AnthropicProvider, "submit_batch_lines", submit)


def _policy() -> RetryPolicy:
    return RetryPolicy(initial_wait_s=0.001, max_wait_s=0.002, sleep=lambda _s: None)


def test_a_create_that_times_out_is_not_retried_and_is_not_resubmitted_silently(
    stub: StubLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    provider = AnthropicProvider(api_key="k", base_url=stub.url)
    requests = [make_request("anthropic", session=f"s{i}") for i in range(2)]
    _lose_the_answer(monkeypatch)
    with pytest.raises(LLMError, match="not retried"):
        submit_batch(provider, requests, cache=cache, policy=_policy())
    assert _creates(stub) == 1
    (pending,) = unconfirmed_submissions(cache, "anthropic")
    assert pending.keys == {r.key() for r in requests}
    assert open_batches(cache, "anthropic") == []  # a placeholder is never polled

    with caplog.at_level(logging.WARNING):
        assert submit_batch(provider, requests, cache=cache, policy=_policy()) is None
    assert _creates(stub) == 1
    assert "got no answer" in caplog.text and "--batch-resubmit" in caplog.text and "UTC" in caplog.text

    batch_id = submit_batch(provider, requests, cache=cache, policy=_policy(), resubmit=True)
    assert batch_id is not None and _creates(stub) == 2
    assert unconfirmed_submissions(cache, "anthropic") == [] and open_batches(cache, "anthropic") == [
        batch_id
    ]
    cache.close()


@pytest.mark.parametrize("status", [500, 502, 529])
def test_a_5xx_on_create_is_not_retried(stub: StubLLMServer, tmp_path: Path, status: int) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    provider = AnthropicProvider(api_key="k", base_url=stub.url)
    stub.batch_faults.append(Fault.server_error(status))
    with pytest.raises(LLMError):
        submit_batch(provider, [make_request("anthropic")], cache=cache, policy=_policy())
    assert _creates(stub) == 1 and len(unconfirmed_submissions(cache, "anthropic")) == 1
    cache.close()


def test_a_refused_create_leaves_nothing_behind(stub: StubLLMServer, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "c.sqlite3")
    provider = AnthropicProvider(api_key="k", base_url=stub.url)
    stub.batch_faults.append(Fault.client_error(400))
    with pytest.raises(LLMError, match="refused"):
        submit_batch(provider, [make_request("anthropic")], cache=cache, policy=_policy())
    assert unconfirmed_submissions(cache, "anthropic") == []
    assert submit_batch(provider, [make_request("anthropic")], cache=cache, policy=_policy()) is not None
    cache.close()


@pytest.mark.usefixtures("keys")
def test_run_batch_after_a_lost_create_warns_holds_and_resubmits_only_when_asked(
    stub: StubLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
    _lose_the_answer(monkeypatch)
    first = invoke(*run_args(config, "--batch"))
    assert first.exit_code == 2 and "not retried" in first.output
    assert _creates(stub) == 1

    with caplog.at_level(logging.WARNING):
        second = invoke(*run_args(config, "--batch"))
    assert second.exit_code == 0, second.output
    assert "got no answer" in caplog.text
    assert _creates(stub) == 1 and stub.message_requests() == []  # held: neither resubmitted nor sent live
    assert "pending" in second.output and not (tmp_path / "reports" / DAY).exists()

    third = invoke(*run_args(config, "--batch", "--batch-resubmit"))
    assert third.exit_code == 0, third.output
    assert _creates(stub) == 2
    assert report_json(tmp_path)["generation"]["pending"] == 0
