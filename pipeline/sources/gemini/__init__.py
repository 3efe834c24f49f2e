"""Gemini CLI: discovery, session reader and usage reader (FORMAT.md in fixtures/samples/gemini/README.md).

Files: ``<root>/tmp/<project folder>/chats/session-*.json`` (legacy, one object) or ``.jsonl`` (2026-04+,
an upsert log with ``$set``/``$rewindTo``); ``files.find_chat_files`` lists them, ``chat.read_chat``
reads both forms, ``session.read_gemini_session`` and ``usage.read_gemini_usage`` build the common types.

What the token fields mean for cost (per ``gemini`` message = one API request):

- ``input``: the whole prompt (promptTokenCount). It INCLUDES ``cached``; never add the two.
- ``cached``: the part of the prompt served from the implicit cache, billed at the cached-input rate.
  Uncached input is ``input - cached``, billed at the input rate.
- ``output``: the visible reply (candidatesTokenCount), billed at the output rate.
- ``thoughts``: thinking tokens (thoughtsTokenCount): NOT inside ``output``, billed at the output rate too.
- ``tool``: the tool-use prompt (toolUsePromptTokenCount, server-side tools' context): not inside
  ``input``, billed as input. 0 in every sample, so its place in ``total`` is unverified.
- ``total`` = input + output + thoughts + tool (128 of 128 sample messages). Summed over messages it is
  billed volume, not context size (each request re-sends the conversation).

On a ``UsageEvent`` (see ``usage``): ``input_tokens = input - cached + tool``, ``cache_read_tokens =
cached``, ``output_tokens = output + thoughts``, ``reasoning_tokens = thoughts``: the partition
``daily_report.core.pricing`` prices, with provider ``google``. This module imports nothing heavy.
"""

from __future__ import annotations

from typing import Final, NamedTuple

AGENT: Final = "gemini_cli"
DISPLAY_NAME = "Gemini CLI"
CONFIG_FIELD = "gemini"
"""The ``[devices.X]`` key that lists Gemini homes (``~/.gemini``)."""
DEFAULT_ROOT = "~/.gemini"


class UsageColumn(NamedTuple):
    key: str
    label: str
    meaning: str
    on_event: str


USAGE_COLUMNS: tuple[UsageColumn, ...] = (
    UsageColumn(
        "input",
        "Input",
        "whole prompt, cached part included",
        "input_tokens + cache_read_tokens (tool-use prompt included)",
    ),
    UsageColumn("cached", "Cached", "prompt tokens served from cache", "cache_read_tokens"),
    UsageColumn("output", "Output", "visible reply, thoughts excluded", "output_tokens - reasoning_tokens"),
    UsageColumn("thoughts", "Thoughts", "thinking tokens, billed as output", "reasoning_tokens"),
    UsageColumn(
        "tool",
        "Tool",
        "tool-use prompt, billed as input (0 in every known file)",
        "folded into input_tokens; kept apart only in usage.GeminiTokens",
    ),
    UsageColumn(
        "total",
        "Total",
        "input + output + thoughts + tool",
        "input_tokens + cache_read_tokens + output_tokens",
    ),
)
"""The columns Gemini CLI reports, in its order, with where each lives on a ``UsageEvent``."""

__all__ = ["AGENT", "CONFIG_FIELD", "DEFAULT_ROOT", "DISPLAY_NAME", "USAGE_COLUMNS", "UsageColumn"]
