"""Normalized transcripts: what every agent's reader produces.

One model for all agents, so that usage accounting, condensation and the stages never look at a
vendor's raw format. Readers live in ``pipeline/sources``; this module holds data only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Agent = str  # the name of the agent's adapter (daily_report.sources.agents.AGENTS)
TurnRole = Literal["human", "assistant", "thinking", "tool", "summary", "event"]


class ToolCall(BaseModel):
    """One tool call with its result (never split from it)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, description="Tool-use id (toolu_… or Codex call_id).")
    name: str = Field(description="Tool name: Bash, Edit, Read, Task, shell, exec_command, apply_patch …")
    arguments: dict[str, object] | str = Field(
        default_factory=dict,
        description="Arguments as given; Codex JSON-string arguments parsed when possible.",
    )
    result: str | None = Field(
        default=None,
        description="Result text as the model saw it; images and base64 replaced by placeholders.",
    )
    is_error: bool = Field(default=False, description="The tool reported an error (is_error, non-zero exit).")
    exit_code: int | None = Field(default=None, description="Exit code when the tool reports one.")
    result_timestamp: datetime | None = Field(default=None, description="When the result arrived (UTC).")
    subagent_id: str | None = Field(default=None, description="Agent id of the subagent this call started.")
    subagent_turns: list[Turn] = Field(
        default_factory=list, description="The subagent's own turns, folded under the call that started it."
    )


class Turn(BaseModel):
    """One step of a session, in order.

    role: ``human`` a real human prompt (wrappers, reminders and caveats removed); ``assistant`` assistant
    text; ``thinking`` reasoning text or summary; ``tool`` one tool call with its result; ``summary`` a
    compaction summary; ``event`` an interrupt, API error, rollback, aborted turn (``text`` says which).
    """

    model_config = ConfigDict(extra="forbid")

    index: int = Field(description="Position in the session, 0-based; stable provenance for report items.")
    role: TurnRole
    timestamp: datetime | None = Field(default=None, description="UTC time of the line.")
    text: str = Field(default="", description="Prompt, reply, thinking, summary or event text.")
    tool: ToolCall | None = Field(default=None, description="Set when role == 'tool'.")
    images: int = Field(default=0, description="Images attached (kept only as placeholders in text).")
    is_sidechain: bool = Field(default=False, description="From an inline sidechain (old Claude layouts).")


class UsageEvent(BaseModel):
    """One billed API response, before global dedup.

    Claude: ``input_tokens`` is the uncached input; the cache fields are disjoint from it. ``dedup_key`` is
    ``message.id:requestId`` (or ``message.id``), applied globally across files and devices.
    Codex: ``input_tokens`` INCLUDES ``cached_input_tokens``; ``output_tokens`` INCLUDES
    ``reasoning_tokens``; values are per-file deltas of ``total_token_usage``; ``dedup_key`` is a
    fingerprint (timestamp, model, token tuple) that drops fork replays.
    """

    model_config = ConfigDict(extra="forbid")

    agent: Agent
    model: str
    timestamp: datetime
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    dedup_key: str | None = None
    is_sidechain: bool = False
    model_approximate: bool = Field(default=False, description="Model guessed (Codex before turn_context).")
    session_id: str = ""
    device: str = ""
    source_path: str = ""

    @property
    def cache_write_tokens(self) -> int:
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def line_total(self) -> int:
        """Total used to pick the final streaming snapshot among lines with one key."""
        return self.input_tokens + self.output_tokens + self.cache_write_tokens + self.cache_read_tokens


class SkippedLines(BaseModel):
    """What a reader passed over in one file, counted, never swallowed."""

    path: str
    malformed: int = Field(default=0, description="Lines that are not JSON objects.")
    unknown_types: dict[str, int] = Field(default_factory=dict, description="Record types we do not know.")
    truncated_tail: bool = Field(default=False, description="Last line cut short (file still being written).")
    invalid_usage: int = Field(
        default=0,
        description="Lines whose usage has a value of the wrong type (a string, a negative, a float, null, a "
        "model that is not a string): their usage is not counted.",
    )
    unreadable: str | None = Field(
        default=None,
        description="Why the file (or its end) could not be read: permission denied, corrupt zstd, "
        "truncated zstd, not UTF-8 / binary, too large once decompressed.",
    )
    first_error: str | None = Field(default=None, description="The first problem, with its line number.")


class UnreadFile(BaseModel):
    """A transcript file or folder that could not be read (whole or in part), with the reason."""

    path: str
    reason: str = Field(
        description="permission denied, corrupt zstd, truncated zstd, not UTF-8 / binary, ..."
    )


class Session(BaseModel):
    """One agent session on one device, normalized."""

    model_config = ConfigDict(extra="forbid")

    id: str
    agent: Agent
    device: str
    user: str | None = Field(default=None, description="User or home the root belongs to, when known.")
    project: str = Field(description="Project name: last component of the main cwd.")
    cwd: str | None = Field(default=None, description="Main working directory (first or most common).")
    cwds: list[str] = Field(default_factory=list, description="Every cwd seen, in order of first appearance.")
    branch: str | None = None
    start: datetime | None = Field(default=None, description="First line time (UTC).")
    end: datetime | None = Field(default=None, description="Last line time (UTC).")
    models: list[str] = Field(default_factory=list, description="Models used, without <synthetic>.")
    title: str | None = Field(default=None, description="Title from summary / ai-title / custom-title lines.")
    version: str | None = Field(
        default=None, description="Agent version (Claude Code version, Codex cli_version)."
    )
    turns: list[Turn] = Field(default_factory=list)
    usage: list[UsageEvent] = Field(default_factory=list, description="Usage before global dedup.")
    files: list[str] = Field(default_factory=list, description="Transcript files this session was read from.")
    parent_session_id: str | None = Field(default=None, description="Codex fork/subagent parent thread.")
    compactions: int = 0
    interruptions: int = 0
    api_errors: int = 0
    skipped: list[SkippedLines] = Field(default_factory=list)

    @property
    def human_prompts(self) -> list[Turn]:
        return [t for t in self.turns if t.role == "human"]

    def active_times(self) -> list[datetime]:
        """Every timestamp of activity (turns and usage), for assigning the session to days."""
        out = [t.timestamp for t in self.turns if t.timestamp is not None]
        out += [u.timestamp for u in self.usage]
        return out


ToolCall.model_rebuild()
