"""The one transport retry policy (tenacity): 429, 529, 5xx, 408, timeouts and connection errors.

Exponential backoff with jitter, ``retry-after-ms`` / ``retry-after`` honoured, ``x-should-retry: false``
stops, bounded in attempts and total time. Other 4xx are never retried. The SDKs' own retries are off
(``max_retries=0``), so this is the only retry layer.
"""

from __future__ import annotations

import email.utils
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_exponential_jitter

from pipeline.errors import LLMError
from pipeline.llm.pacing import THROTTLE_STATUS, AdaptiveLimit

T = TypeVar("T")
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504, 529})


class BadResponseError(LLMError):
    """The server answered 2xx with a body that is not JSON (a broken proxy, a cut connection): retried."""


class StoppedError(LLMError):
    """The run was interrupted (Ctrl-C): no new attempt starts, not even a retry or a re-ask."""


SDKS = ("anthropic", "openai")


def _loaded_sdks() -> list[Any]:
    """The provider SDKs this process has imported: an error can only come from one of them, and a dry run
    (which imports neither) must not pay ~1.3 s to import them just to name their exception classes."""
    return [sys.modules[name] for name in SDKS if name in sys.modules]


def _sdk_classes(*names: str) -> tuple[type[BaseException], ...]:
    return tuple(getattr(sdk, n) for sdk in _loaded_sdks() for n in names if hasattr(sdk, n))


def transport_errors() -> tuple[type[BaseException], ...]:
    """What a send may raise that is the provider's fault, not ours."""
    return (*_sdk_classes("APIError"), OSError, BadResponseError)


def __getattr__(name: str) -> Any:
    if name == "TRANSPORT_ERRORS":  # the old constant, now computed from the SDKs loaded so far
        return transport_errors()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class RetryPolicy:
    """Bounds and waits of transport retries. Tests pass a recording ``sleep`` and tiny waits."""

    max_attempts: int = 6
    max_total_s: float = 300.0
    initial_wait_s: float = 1.0
    max_wait_s: float = 60.0
    max_hint_s: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    stop: threading.Event | None = None  # set (Ctrl-C): waits end early and no further attempt starts
    gate: AdaptiveLimit | None = None  # the run's limit on attempts in flight (pipeline.llm.pacing)

    def pause(self, seconds: float) -> None:
        """The wait between attempts; with a stop event and the real clock it ends when the event is set."""
        if self.stop is not None and self.sleep is time.sleep:
            self.stop.wait(seconds)
        else:
            self.sleep(seconds)

    def check(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise StoppedError("interrupted: no new attempt after Ctrl-C")


def _headers(exc: BaseException) -> Any:
    resp = getattr(exc, "response", None)
    return getattr(resp, "headers", None) or {}


def status_of(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def is_retryable(exc: BaseException) -> bool:
    """True for transient transport failures only."""
    if _headers(exc).get("x-should-retry") == "false":
        return False
    if isinstance(exc, _sdk_classes("EnforcedSpendLimitReachedError", "ContractSpendLimitReachedError")):
        return False
    if isinstance(exc, BadResponseError):
        return True
    if isinstance(exc, _sdk_classes("APITimeoutError", "APIConnectionError")):
        return True
    code = status_of(exc)
    return code is not None and (code in RETRY_STATUS or code >= 500)


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


def is_refused_with_hint(exc: BaseException) -> bool:
    """A 429 carrying a retry-after hint: the server refused the call, so sending it again is safe even
    for calls that must never run twice (creating a paid batch)."""
    return status_of(exc) == 429 and retry_after_s(exc) is not None and is_retryable(exc)


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
