"""Usage values of the wrong type, per agent format: a string, a negative, a float, null or a bool where
a token count belongs, a model that is not a string. Such a usage is counted as invalid
(``SkippedLines.invalid_usage``) and left out, never read as 0 or as a model named ``['x']``."""

from __future__ import annotations

from typing import Any

_CLAUDE_COUNTS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_CLAUDE_SPLIT = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
_CODEX_COUNTS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")


def bad_count(value: Any) -> bool:
    """Present but not a count (a bool is an int to Python, not to a transcript)."""
    return not (type(value) is int and value >= 0)


def claude_usage_invalid(usage: dict[str, Any], model: Any) -> bool:
    """A Claude Code ``message.usage`` (with its ``message.model``) that cannot be counted."""
    if model is not None and not isinstance(model, str):
        return True
    if any(k in usage and bad_count(usage[k]) for k in _CLAUDE_COUNTS):
        return True
    split = usage.get("cache_creation")
    if split is None:
        return False
    return not isinstance(split, dict) or any(k in split and bad_count(split[k]) for k in _CLAUDE_SPLIT)


def codex_tokens_invalid(obj: Any) -> bool:
    """A Codex ``total_token_usage`` / ``last_token_usage`` that cannot be counted (absent is fine)."""
    if obj is None:
        return False
    if not isinstance(obj, dict):
        return True
    return any(k in obj and bad_count(obj[k]) for k in _CODEX_COUNTS)
