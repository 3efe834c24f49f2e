"""The Claude Code adapter (``CLAUDE``): what the rest of daily-report needs to know about this agent.

Light on purpose (discovery imports it on the warm ``usage`` path): the readers, pricing and the dedup
rules are imported inside the methods that use them, each only when that step runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import daily_report.sources.claude as tree  # the package itself: where its files are (light)
from daily_report.sources.columns import Column

if TYPE_CHECKING:
    from daily_report.core.pricing import Tokens
    from daily_report.schemas.transcript import Session
    from daily_report.sources.types import FileUsage, SourceFile, UsageRows
    from daily_report.sources.walk import Found, Unread
    from daily_report.usage.events import EventLike
    from daily_report.usage.session_facts import StatsRead

SUBAGENT_NOTE = (
    "Claude subagent output tokens are a lower bound: subagent transcripts never get their final usage "
    'written (README, section "How the figures are counted").'
)


class ClaudeCode:
    name = "claude_code"
    display = "Claude Code"
    short = "Claude"
    config_key = "claude"
    home_dir = ".claude"
    root_holds = "projects/"
    provider = "anthropic"
    color = "#c8643c"
    # input excludes cache; cache creation = 5-minute + 1-hour writes, the 1-hour part also on its own
    token_fields: tuple[str, ...] = (
        "input_tokens",
        "output_tokens",
        "cache_creation_tokens",
        "cache_creation_1h_tokens",
        "cache_read_tokens",
    )

    columns: tuple[Column, ...] = (
        Column("input_tokens", "Input", "Input Tokens", device=True),
        Column("output_tokens", "Output", "Output Tokens", device=True),
        Column("cache_creation_tokens", "Cache Created", "Cache Created"),
        Column("cache_read_tokens", "Cache Read", "Cache Read"),
        Column("cache_hit_rate", "Cache Hit Rate", "Cache Hit Rate", rate=True),
    )

    def default_roots(self, home: Path, env: Mapping[str, str]) -> tuple[list[Path], list[Path]]:
        return tree.default_roots(home, env)

    def base_dir(self, root: Path) -> Path | None:
        return tree.base_dir(root)

    def find_files(self, base: Path, unread: Unread) -> Iterator[Found]:
        return tree.find_files(base, unread)

    def session_key(self, f: SourceFile) -> str:
        return tree.session_id_for(f)

    def read_order(self, f: SourceFile) -> str:
        """Sessions of a device are read oldest-ending first, so that a resumed session's copy of an earlier
        session's lines stays with the earlier one (see ``session.read_claude_session``)."""
        from daily_report.sources.claude.usage import tail_time

        return tail_time(f.path)

    def read_session(self, files: Sequence[SourceFile], claimed: dict[str, str]) -> Session:
        from daily_report.sources.claude.session import read_claude_session

        return read_claude_session(files, claimed=claimed)

    def read_stats(
        self, files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes | None = None
    ) -> StatsRead:
        """The stats scan (``stats.scan_claude_stats``: no turns built, tool results mostly left undecoded);
        a session with a line it cannot take is read in full, its tool results unscrubbed (no figure reads
        their text beyond what scrubbing leaves alone: ``content._result_piece``). ``resume``: the state
        a read of the same session left (``StatsRead.resume``): grown files are read from where it stopped."""
        from daily_report.sources.claude.stats import stats_read

        return stats_read(files, claimed, resume)

    def read_usage(self, f: SourceFile) -> FileUsage:
        from daily_report.sources.claude.usage import read_claude_usage

        return read_claude_usage(f)

    def read_usage_rows(self, f: SourceFile) -> UsageRows:
        from daily_report.sources.claude.usage import usage_rows  # loaded by preload() before workers fork

        return usage_rows(f)

    def preload(self) -> None:
        import daily_report.sources.claude.usage  # noqa: F401  (once in the parent, not in each forked worker)

    def dedup(self, events: list[Any]) -> list[Any]:
        from daily_report.usage.rules import best_line_per_key

        return best_line_per_key(events)

    def priced_tokens(self, events: Sequence[EventLike]) -> list[Tokens]:
        """Already in the pricing partition: input excludes cache, writes are 5-minute + 1-hour."""
        from daily_report.core.pricing import Tokens

        return [
            Tokens(
                e.input_tokens,
                e.output_tokens,
                e.cache_write_5m_tokens + e.cache_write_1h_tokens,
                e.cache_write_1h_tokens,
                e.cache_read_tokens,
            )
            for e in events
        ]

    def total_tokens(self, e: EventLike) -> int:
        """input + output + cache write + cache read."""
        return e.line_total

    def count(self, events: Sequence[EventLike]) -> dict[str, int]:
        inp = out = w5 = w1 = read = 0
        for e in events:
            inp += e.input_tokens
            out += e.output_tokens
            w5 += e.cache_write_5m_tokens
            w1 += e.cache_write_1h_tokens
            read += e.cache_read_tokens
        return {
            "input_tokens": inp,
            "output_tokens": out,
            "cache_creation_tokens": w5 + w1,
            "cache_creation_1h_tokens": w1,
            "cache_read_tokens": read,
        }

    def total_of(self, counts: Mapping[str, int]) -> int:
        return (
            counts["input_tokens"]
            + counts["output_tokens"]
            + counts["cache_creation_tokens"]
            + counts["cache_read_tokens"]
        )

    def rates(self, counts: Mapping[str, int]) -> dict[str, float | None]:
        """cache read / (cache read + cache write); None without either."""
        read, written = counts["cache_read_tokens"], counts["cache_creation_tokens"]
        return {"cache_hit_rate": read / (read + written) if read + written else None}

    def notes(self, events: Sequence[EventLike]) -> list[str]:
        return [SUBAGENT_NOTE] if any(e.is_sidechain for e in events) else []


CLAUDE = ClaudeCode()
