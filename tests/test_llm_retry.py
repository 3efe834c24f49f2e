"""The transport retry policy on its own: server hints, what is retried, bounds."""

from __future__ import annotations

import email.utils
import time
from functools import cache
from types import SimpleNamespace

import anthropic
import httpx2
import openai
import pytest
from daily_report.llm.retry import BadResponseError, RetryPolicy, is_retryable, retry_after_s, with_retries


@cache
def _client(vendor: str) -> anthropic.Anthropic | openai.OpenAI:
    if vendor == "anthropic":
        return anthropic.Anthropic(api_key="k", base_url="http://127.0.0.1")
    return openai.OpenAI(api_key="k", base_url="http://127.0.0.1/v1")


def api_error(status: int, headers: dict[str, str] | None = None, *, vendor: str = "anthropic") -> Exception:
    """The exception the SDK itself raises for this status (its own status -> class mapping)."""
    request = httpx2.Request("POST", "http://127.0.0.1/v1/messages")
    response = httpx2.Response(status, headers=headers or {}, request=request, json={"error": {}})
    return _client(vendor)._make_status_error_from_response(response)


def test_retry_after_forms() -> None:
    assert retry_after_s(api_error(429, {"retry-after": "3"})) == 3.0
    assert retry_after_s(api_error(429, {"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (retry_after_s(api_error(429, {"retry-after": when})) or 0) <= 31
    assert retry_after_s(api_error(429, {"retry-after": "soon"})) is None
    assert retry_after_s(api_error(500)) is None


@pytest.mark.parametrize("vendor", ["anthropic", "openai"])
def test_what_is_retried(vendor: str) -> None:
    for status in (408, 429, 500, 502, 503, 504, 529):
        assert is_retryable(api_error(status, vendor=vendor)), status
    for status in (400, 401, 403, 404, 409, 413, 422):
        assert not is_retryable(api_error(status, vendor=vendor)), status
    assert not is_retryable(api_error(503, {"x-should-retry": "false"}, vendor=vendor))
    assert is_retryable(BadResponseError("not json"))
    assert not is_retryable(ValueError("a bug of ours"))


def test_bounded_by_attempts_and_hint_capped() -> None:
    waits: list[float] = []
    calls = SimpleNamespace(n=0)
    failures: list[int] = []

    def always_busy() -> None:
        calls.n += 1
        raise api_error(529, {"retry-after": "900"})

    policy = RetryPolicy(max_attempts=4, max_hint_s=60.0, sleep=waits.append)
    with pytest.raises(anthropic.InternalServerError):
        with_retries(always_busy, policy=policy, on_failure=lambda n, exc: failures.append(n))
    assert calls.n == 4 and failures == [1, 2, 3, 4] and waits == [60.0, 60.0, 60.0]


def test_backoff_grows_with_jitter_when_there_is_no_hint() -> None:
    waits: list[float] = []
    outcomes = iter([api_error(500)] * 4)

    def flaky() -> str:
        exc = next(outcomes, None)
        if exc is not None:
            raise exc
        return "ok"

    policy = RetryPolicy(max_attempts=6, initial_wait_s=1.0, max_wait_s=60.0, sleep=waits.append)
    assert with_retries(flaky, policy=policy) == "ok"
    assert len(waits) == 4
    for n, wait in enumerate(waits):
        assert 2**n <= wait <= 2**n + 1.0  # exponential base plus up to one initial wait of jitter
