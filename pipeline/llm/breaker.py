"""A circuit breaker for the LLM endpoint: a dead server ends the run in seconds, not minutes of retries.

Every transport attempt of every worker thread is counted: a connection failure, a timeout or a 5xx answer
is a failure, any answer from the server (2xx, 4xx, 429) a sign of life that resets the count. After
``threshold`` failures in a row the breaker opens: no attempt starts any more, the waits between retries
end, and what is left stays pending for a later run, which starts with a closed breaker.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from daily_report.core.errors import LLMError
from daily_report.llm.retry import BadResponseError, status_of

DEFAULT_THRESHOLD = 5


class CircuitOpenError(LLMError):
    """The endpoint failed too often in a row: this attempt was not sent."""


def is_endpoint_failure(exc: BaseException, provider: object | None = None) -> bool:
    """A failure that says the server is down or broken, not that it refused this one request: a 5xx
    answer (not 529, overloaded but alive), a lost connection or a timeout (``OSError``, an SDK's
    connection error, what the provider's ``is_transient`` calls transient without a status), a body
    that is not JSON."""
    code = status_of(exc)
    if code is not None:
        return code >= 500 and code != 529
    if isinstance(exc, (OSError, BadResponseError)):
        return True
    own = getattr(provider, "is_transient", None)
    if callable(own) and own(exc):
        return True
    return _sdk_connection_error(exc)


def _sdk_connection_error(exc: BaseException) -> bool:
    """An SDK's connection or timeout error, for the SDKs already loaded (never loads one)."""
    for name in ("anthropic", "openai"):
        sdk = sys.modules.get(name)
        if sdk is not None and isinstance(exc, getattr(sdk, "APIConnectionError", ())):
            return True  # their timeout errors derive from their connection errors
    return False


def endpoint_of(provider: Any) -> str:
    """Where requests go: the base URL, else the provider's public API."""
    url = getattr(provider, "base_url", None)
    return str(url) if url else f"the {getattr(provider, 'name', 'LLM')} API"


class CircuitBreaker:
    """Counts consecutive endpoint failures across threads; ``on_open`` is called once when it opens."""

    def __init__(
        self,
        *,
        endpoint: str,
        threshold: int = DEFAULT_THRESHOLD,
        on_open: Callable[[], None] | None = None,
        provider: object | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.provider = provider  # its ``is_transient`` tells its SDK's connection errors
        self.threshold = max(threshold, 1)
        self.on_open = on_open
        self.failures = 0
        self.last_error = ""
        self._open = threading.Event()
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    def check(self) -> None:
        if self._open.is_set():
            raise CircuitOpenError(f"not sent: {self.message()}")

    def success(self) -> None:
        with self._lock:
            self.failures = 0

    def failure(self, exc: BaseException) -> None:
        with self._lock:
            self.failures += 1
            self.last_error = f"{type(exc).__name__}: {exc}"[:200]
            opening = self.failures >= self.threshold and not self._open.is_set()
            if opening:
                self._open.set()
        if opening and self.on_open is not None:
            self.on_open()

    def message(self) -> str:
        return (
            f"the LLM endpoint {self.endpoint} failed {self.threshold} times in a row with no answer in "
            f"between (last: {self.last_error}): stopped sending"
        )

    def call(self, fn: Callable[[], Any]) -> Any:
        """One attempt through the breaker."""
        self.check()
        try:
            result = fn()
        except Exception as exc:
            if is_endpoint_failure(exc, self.provider):
                self.failure(exc)
            elif status_of(exc) is not None:
                self.success()  # the server answered (a 4xx, a 429): it is alive
            raise
        self.success()
        return result


class GuardedProvider:
    """A provider whose every ``complete`` goes through a breaker; everything else is the provider's."""

    def __init__(self, provider: Any, breaker: CircuitBreaker) -> None:
        self._provider = provider
        self._breaker = breaker

    def complete(self, *args: Any, **kwargs: Any) -> Any:
        return self._breaker.call(lambda: self._provider.complete(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)
