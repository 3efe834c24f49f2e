"""The Gemini CLI adapter (``GEMINI``): what the rest of daily-report needs to know about this agent.

Light on purpose (discovery imports it on the warm ``usage`` path): the readers, pricing and the dedup
rules are imported inside the methods that use them, each only when that step runs.

The usage columns are Gemini's own (``USAGE_COLUMNS``): Input includes Cached (and the tool-use prompt),
Output excludes Thoughts, Total = Input + Output + Thoughts. Events are already in the pricing
partition (``usage.to_event``), so pricing reads them as they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from daily_report.sources.columns import Column
from daily_report.sources.gemini import AGENT, CONFIG_FIELD, DISPLAY_NAME, USAGE_COLUMNS
from daily_report.sources.gemini import files as tree  # where its files are (light)
from daily_report.sources.one_file import OneFileSessions
from daily_report.sources.walk import readable_dir

if TYPE_CHECKING:
    from daily_report.core.pricing import Tokens
    from daily_report.schemas.transcript import Session
    from daily_report.sources.types import FileUsage, SourceFile
    from daily_report.sources.walk import Found, Unread
    from daily_report.usage.events import EventLike

APPROXIMATE_NOTE = "Some Gemini CLI usage has no recorded model: its model is a neighbour's (approximate)."
_LABELS = {c.key: c.label for c in USAGE_COLUMNS}


class GeminiCli(OneFileSessions):
    name = AGENT
    display = DISPLAY_NAME
    short = "Gemini"
    config_key = CONFIG_FIELD
    home_dir = ".gemini"
    root_holds = "tmp/"
    provider = "google"
    color = "#3f6fd1"
    # Gemini's own meaning: input includes cached (and tool); output excludes thoughts
    token_fields: tuple[str, ...] = ("input_tokens", "cached_tokens", "output_tokens", "thoughts_tokens")
    columns: tuple[Column, ...] = (
        Column("input_tokens", _LABELS["input"], "Input Tokens", device=True),
        Column("cached_tokens", _LABELS["cached"], "Cached Tokens"),
        Column("output_tokens", _LABELS["output"], "Output Tokens", device=True),
        Column("thoughts_tokens", _LABELS["thoughts"], "Thought Tokens"),
    )

    def default_roots(self, home: Path, env: Mapping[str, str]) -> tuple[list[Path], list[Path]]:
        return [], [home / self.home_dir]

    def base_dir(self, root: Path) -> Path | None:
        """The ``tmp/`` holding the project folders (the root, or inside it)."""
        tmp = tree.tmp_dir(root) if readable_dir(root) else None
        return tmp if tmp is not None and readable_dir(tmp) else None

    def find_files(self, base: Path, unread: Unread) -> Iterator[Found]:
        return tree.find_files(base, unread)

    def read_session(self, files: Sequence[SourceFile], claimed: dict[str, str]) -> Session:
        from daily_report.sources.gemini.session import read_gemini_session

        return read_gemini_session(files[0])

    def read_usage(self, f: SourceFile) -> FileUsage:
        from daily_report.sources.gemini.usage import read_gemini_usage

        return read_gemini_usage(f)

    def preload(self) -> None:
        import daily_report.sources.gemini.usage  # noqa: F401  (once in the parent, not in each forked worker)

    def priced_tokens(self, events: Sequence[EventLike]) -> list[Tokens]:
        """Already the pricing partition: uncached input (+ tool), cache reads, output with thoughts."""
        from daily_report.core.pricing import Tokens

        return [Tokens(e.input_tokens, e.output_tokens, 0, 0, e.cache_read_tokens) for e in events]

    def total_tokens(self, e: EventLike) -> int:
        """input (with cached and tool) + output + thoughts: Gemini's ``total``."""
        return e.input_tokens + e.cache_read_tokens + e.output_tokens

    def count(self, events: Sequence[EventLike]) -> dict[str, int]:
        uncached = cached = out = thoughts = 0
        for e in events:
            uncached += e.input_tokens
            cached += e.cache_read_tokens
            out += e.output_tokens
            thoughts += e.reasoning_tokens
        return {
            "input_tokens": uncached + cached,
            "cached_tokens": cached,
            "output_tokens": out - thoughts,
            "thoughts_tokens": thoughts,
        }

    def total_of(self, counts: Mapping[str, int]) -> int:
        return counts["input_tokens"] + counts["output_tokens"] + counts["thoughts_tokens"]

    def rates(self, counts: Mapping[str, int]) -> dict[str, float | None]:
        return {}

    def notes(self, events: Sequence[EventLike]) -> list[str]:
        return [APPROXIMATE_NOTE] if any(e.model_approximate for e in events) else []


GEMINI = GeminiCli()
