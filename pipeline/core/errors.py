"""One exception root. Messages name the limit, the value found and the fix."""

from __future__ import annotations


class DailyReportError(Exception):
    """Base of every error this tool raises on purpose. The CLI prints it as one line, exit code 2."""

    exit_code = 2


class ConfigError(DailyReportError):
    """The configuration is missing, unreadable or invalid."""


class NoMatchError(ConfigError):
    """A --session / --device filter chose none of the day's sessions."""


class NoSourcesError(DailyReportError):
    """No transcript root at all could be read."""


class LLMError(DailyReportError):
    """An LLM call failed after its retries and re-asks."""


class MissingKeyError(LLMError):
    """A provider needs an API key that is not set."""


class ReplayMissError(LLMError):
    """The replay provider has no answer for a request."""


class BudgetExceededError(DailyReportError):
    """A run would spend more than max_cost_usd."""
