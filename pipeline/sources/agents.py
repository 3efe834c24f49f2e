"""The agents daily-report reads: the ``Agent`` protocol each adapter package implements, and ``AGENTS``,
the one ordered registry (order = discovery order within a device, usage sections, table columns).

Everything else loops over ``AGENTS`` (always read as ``agents.AGENTS`` or through ``agent_named``, never
copied at import, so a test can register a fake agent here) and uses what each agent declares: its roots,
its discovery, its readers, its dedup rule, its usage columns. No agent name is spelled outside its
adapter package (and the config schema, which maps the TOML keys to agent names).

Adding an agent: a package ``pipeline/sources/<agent>/`` with an ``adapter.py``, one line in ``AGENTS``,
and its TOML key in ``daily_report.schemas.config.ROOT_KEYS``.

This module and the adapters import nothing heavy: discovery uses them on the warm ``usage`` path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from daily_report.core.errors import ConfigError
from daily_report.sources.claude.adapter import CLAUDE
from daily_report.sources.codex.adapter import CODEX
from daily_report.sources.columns import Column
from daily_report.sources.gemini.adapter import GEMINI

if TYPE_CHECKING:
    from daily_report.core.pricing import Tokens
    from daily_report.schemas.transcript import Session
    from daily_report.sources.types import FileUsage, SourceFile, UsageRows
    from daily_report.sources.walk import Found, Unread
    from daily_report.usage.events import EventLike
    from daily_report.usage.session_facts import StatsRead


class Agent(Protocol):
    """What an adapter declares. Token counts are named as they appear in the usage JSON (whole numbers;
    rates are fractions). The device tables show the columns marked ``device`` (input and output)."""

    name: str  # the value in transcripts, sessions, usage events and the usage JSON (e.g. claude_code)
    display: str  # "Claude Code"
    short: str  # column prefix in the range table: "Claude"
    config_key: str  # the TOML key of its roots in [devices.X], and its dir in an eval case
    home_dir: str  # the dir name in a user's home, e.g. ".claude" (tells whose root it is)
    root_holds: str  # what a root must hold, for the warning when it does not: "projects/"
    provider: str  # genai-prices provider of its models
    color: str  # its colour in the report's charts
    token_fields: tuple[str, ...]  # its token counts, in the usage JSON's order
    columns: tuple[Column, ...]  # its tables' columns (overview and model breakdown), in order

    def default_roots(self, home: Path, env: Mapping[str, str]) -> tuple[list[Path], list[Path]]:
        """(roots the environment names: always used; roots in ``home``: used when they exist)."""

    def base_dir(self, root: Path) -> Path | None: ...
    def find_files(self, base: Path, unread: Unread) -> Iterator[Found]: ...
    def session_key(self, f: SourceFile) -> str: ...
    def read_order(self, f: SourceFile) -> str: ...
    def read_session(self, files: Sequence[SourceFile], claimed: dict[str, str]) -> Session: ...
    def read_stats(
        self, files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes | None = None
    ) -> StatsRead:
        """``read_session`` reduced to the session's figures (the session-stats index): every figure, usage
        event, skipped line and claim must be what ``stats_of(read_session(...))`` gives. ``resume`` is a
        ``StatsRead.resume`` this adapter gave for the same session (its files may have grown since)."""

    def read_usage(self, f: SourceFile) -> FileUsage: ...
    def read_usage_rows(self, f: SourceFile) -> UsageRows: ...
    def preload(self) -> None: ...
    def dedup(self, events: list[Any]) -> list[Any]: ...
    def priced_tokens(self, events: Sequence[EventLike]) -> list[Tokens]: ...
    def total_tokens(self, e: EventLike) -> int: ...
    def count(self, events: Sequence[EventLike]) -> dict[str, int]: ...
    def total_of(self, counts: Mapping[str, int]) -> int: ...
    def rates(self, counts: Mapping[str, int]) -> dict[str, float | None]: ...
    def notes(self, events: Sequence[EventLike]) -> list[str]: ...


AGENTS: tuple[Agent, ...] = (CLAUDE, CODEX, GEMINI)


def agent_named(name: str) -> Agent:
    """The registered agent of that name; a name no adapter declares is an error, never a fallback."""
    for agent in AGENTS:
        if agent.name == name:
            return agent
    known = ", ".join(a.name for a in AGENTS)
    raise ConfigError(f"unknown agent {name!r} (known: {known})")


def rank(name: str) -> int:
    """The agent's place in the registry (its sections and files come in this order)."""
    for i, agent in enumerate(AGENTS):
        if agent.name == name:
            return i
    return len(AGENTS)


def display_list() -> str:
    """The agents' display names for help texts, e.g. "Claude Code and Codex"."""
    names = [a.display for a in AGENTS]
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]


def home_dirs() -> tuple[str, ...]:
    return tuple(a.home_dir for a in AGENTS)
