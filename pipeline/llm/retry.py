"""The one transport retry policy (tenacity): 429, 529, 5xx, 408, timeouts and connection errors.

Exponential backoff with jitter, ``retry-after-ms`` / ``retry-after`` honoured, ``x-should-retry: false``
stops, bounded in attempts and total time. Other 4xx are never retried. The SDKs' own retries are off
(``max_retries=0``), so this is the only retry layer.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from daily_report.core.errors import LLMError
from daily_report.llm.pacing import THROTTLE_STATUS, AdaptiveLimit
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_exponential_jitter

T = TypeVar("T")
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504, 529})


class BadResponseError(LLMError):
    """The server answered 2xx with a body that is not JSON (a broken proxy, a cut connection): retried."""


class StoppedError(LLMError):
    """The run was interrupted (Ctrl-C): no new attempt starts, not even a retry or a re-ask."""


TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (OSError, BadResponseError)
"""What any send may raise that is the provider's fault, not ours; each provider adds its SDK's errors
(``transport_errors_of``)."""


def transport_errors_of(provider: object) -> tuple[type[BaseException], ...]:
    """``TRANSPORT_ERRORS`` plus the provider's own SDK errors (its ``transport_errors()``, when it has one)."""
    own = getattr(provider, "transport_errors", None)
    return TRANSPORT_ERRORS + (tuple(own()) if callable(own) else ())


@dataclass
class RetryPolicy:
    """Bounds and waits of transport retries. ``sleep`` None is the real clock; any other clock (a recording
    one) is called as it is."""

    max_attempts: int = 6
    max_total_s: float = 300.0
    initial_wait_s: float = 1.0
    max_wait_s: float = 60.0
    max_hint_s: float = 120.0
    sleep: Callable[[float], None] | None = None
    stop: threading.Event | None = None  # set (Ctrl-C): waits end early and no further attempt starts
    gate: AdaptiveLimit | None = None  # the run's limit on attempts in flight (daily_report.llm.pacing)

    def pause(self, seconds: float) -> None:
        """The wait between attempts; with a stop event and the real clock it ends when the event is set."""
        if self.sleep is not None:
            self.sleep(seconds)
        elif self.stop is not None:
            self.stop.wait(seconds)
        else:
            time.sleep(seconds)

    def check(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise StoppedError("interrupted: no new attempt after Ctrl-C")


def _headers(exc: BaseException) -> Any:
    resp = getattr(exc, "response", None)
    return getattr(resp, "headers", None) or {}


def status_of(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def is_retryable(exc: BaseException, provider: object | None = None) -> bool:
    """True for transient transport failures only. The provider (its ``is_transient(exc)``) has the first
    word on its own SDK's errors; then the generic rule: 408, 429, 5xx, a body that is not JSON, and
    connection errors (``OSError``) are retried."""
    if _headers(exc).get("x-should-retry") == "false":
        return False
    own = getattr(provider, "is_transient", None)
    verdict = own(exc) if callable(own) else None
    if verdict is not None:
        return bool(verdict)
    if isinstance(exc, BadResponseError):
        return True
    code = status_of(exc)
    if code is None:
        return isinstance(exc, OSError)
    return code in RETRY_STATUS or code >= 500


def retry_after_s(exc: BaseException) -> float | None:
    """The server's wait hint in seconds, from ``retry-after-ms`` or ``retry-after`` (seconds or a date)."""
    headers = _headers(exc)
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        multiplier=policy.initial_wait_s, max=policy.max_wait_s, jitter=policy.initial_wait_s
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = retry_after_s(exc) if exc is not None else None
        return min(hint, policy.max_hint_s) if hint is not None else float(backoff(state))

    return wait


def is_refused_with_hint(exc: BaseException, provider: object | None = None) -> bool:
    """A 429 carrying a retry-after hint: the server refused the call, so sending it again is safe even
    for calls that must never run twice (creating a paid batch)."""
    return status_of(exc) == 429 and retry_after_s(exc) is not None and is_retryable(exc, provider)


class stop_when_event_set(stop_base):  # tenacity's naming
    """Stop retrying once the run's stop event is set (Ctrl-C)."""

    def __init__(self, event: threading.Event | None) -> None:
        self.event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.event is not None and self.event.is_set()


def with_retries(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    on_failure: Callable[[int, BaseException], None] | None = None,
    retry_if: Callable[[BaseException], bool] = is_retryable,
) -> T:
    """Call ``fn`` under the policy. ``on_failure(attempt, exc)`` sees every failed transport attempt;
    ``retry_if`` picks the failures worth another attempt (default: every transient one)."""
    attempt = 0

    def one_attempt() -> T:
        nonlocal attempt
        policy.check()
        if policy.gate is None:
            attempt += 1
            try:
                return fn()
            except Exception as exc:
                if on_failure is not None:
                    on_failure(attempt, exc)
                raise
        with policy.gate.slot(policy.stop) as ticket:
            policy.check()
            attempt += 1
            try:
                result = fn()
            except Exception as exc:
                if status_of(exc) in THROTTLE_STATUS:
                    policy.gate.throttled(ticket, retry_after_s(exc))
                if on_failure is not None:
                    on_failure(attempt, exc)
                raise
            policy.gate.succeeded()
            return result

    retrying = Retrying(
        retry=retry_if_exception(lambda e: not isinstance(e, StoppedError) and retry_if(e)),
        wait=_wait(policy),
        stop=stop_after_attempt(policy.max_attempts)
        | stop_after_delay(policy.max_total_s)
        | stop_when_event_set(policy.stop),
        sleep=policy.pause,
        reraise=True,
    )
    return retrying(one_attempt)
