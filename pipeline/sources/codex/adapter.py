"""The Codex adapter (``CODEX``): what the rest of daily-report needs to know about this agent.

Light on purpose (discovery imports it on the warm ``usage`` path): the readers, pricing and the dedup
rules are imported inside the methods that use them, each only when that step runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import daily_report.sources.codex as tree  # the package itself: where its files are (light)
from daily_report.sources.columns import Column
from daily_report.sources.one_file import OneFileSessions

if TYPE_CHECKING:
    from daily_report.core.pricing import Tokens
    from daily_report.schemas.transcript import Session
    from daily_report.sources.types import FileUsage, SourceFile
    from daily_report.sources.walk import Found, Unread
    from daily_report.usage.events import EventLike
    from daily_report.usage.session_facts import StatsRead

APPROXIMATE_NOTE = "Some Codex usage predates any turn_context: its model is a guess (approximate)."


class Codex(OneFileSessions):
    name = "codex"
    display = "Codex"
    short = "Codex"
    config_key = "codex"
    home_dir = ".codex"
    root_holds = "sessions/"
    provider = "openai"
    color = "#10866a"
    # input includes cached input; output includes reasoning
    token_fields: tuple[str, ...] = (
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "reasoning_tokens",
    )
    columns: tuple[Column, ...] = (
        Column("input_tokens", "Input", "Input Tokens", device=True),
        Column("output_tokens", "Output", "Output Tokens", device=True),
        Column("reasoning_tokens", "Reasoning", "Reasoning Tokens"),
        Column("cached_input_tokens", "Cache Read", "Cache Read"),
    )

    def default_roots(self, home: Path, env: Mapping[str, str]) -> tuple[list[Path], list[Path]]:
        return [], [home / ".codex"]

    def base_dir(self, root: Path) -> Path | None:
        return tree.base_dir(root)

    def find_files(self, base: Path, unread: Unread) -> Iterator[Found]:
        return tree.find_files(base, unread)

    def read_session(self, files: Sequence[SourceFile], claimed: dict[str, str]) -> Session:
        from daily_report.sources.codex.session import read_codex_session

        return read_codex_session(files[0])

    def read_stats(
        self, files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes | None = None
    ) -> StatsRead:
        """The figures without the turns; a grown rollout is read on from where ``resume`` stopped."""
        from daily_report.sources.codex.stats import read_codex_stats

        return read_codex_stats(files[0], resume)

    def read_usage(self, f: SourceFile) -> FileUsage:
        from daily_report.sources.codex.session import read_codex_usage

        return read_codex_usage(f)

    def preload(self) -> None:
        import daily_report.sources.codex.session  # noqa: F401  (once in the parent, not in each forked worker)

    def priced_tokens(self, events: Sequence[EventLike]) -> list[Tokens]:
        """To the pricing partition: cached input moves out of input into cache reads."""
        from daily_report.core.pricing import Tokens

        out = []
        for e in events:
            cached = min(e.cached_input_tokens, e.input_tokens)
            out.append(Tokens(e.input_tokens - cached, e.output_tokens, 0, 0, cached))
        return out

    def total_tokens(self, e: EventLike) -> int:
        """input (with cached) + output (with reasoning)."""
        return e.input_tokens + e.output_tokens

    def count(self, events: Sequence[EventLike]) -> dict[str, int]:
        inp = cached = out = reasoning = 0
        for e in events:
            inp += e.input_tokens
            cached += e.cached_input_tokens
            out += e.output_tokens
            reasoning += e.reasoning_tokens
        return {
            "input_tokens": inp,
            "cached_input_tokens": cached,
            "output_tokens": out,
            "reasoning_tokens": reasoning,
        }

    def total_of(self, counts: Mapping[str, int]) -> int:
        return counts["input_tokens"] + counts["output_tokens"]

    def rates(self, counts: Mapping[str, int]) -> dict[str, float | None]:
        return {}

    def notes(self, events: Sequence[EventLike]) -> list[str]:
        return [APPROXIMATE_NOTE] if any(e.model_approximate for e in events) else []


CODEX = Codex()
