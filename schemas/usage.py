"""The Token Usage section: what the agents spent on a day (no LLM). Shape fixed by issue 2's `usage --json`."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ClaudeTokens(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_tokens: int = Field(default=0, description="5-minute plus 1-hour cache writes.")
    cache_creation_1h_tokens: int = Field(default=0, description="The 1-hour part of cache_creation_tokens.")
    cache_read_tokens: int = 0
    total_tokens: int = Field(default=0, description="input + output + cache creation + cache read.")
    cost_usd: float | None = Field(default=0.0, description="None when any part could not be priced.")
    responses: int = 0
    cost_share: float | None = Field(
        default=None, description="Share of the agent's priced cost (model rows)."
    )


class ClaudeTotals(ClaudeTokens):
    cache_hit_rate: float | None = Field(default=None, description="cache read / (cache read + cache write).")


class CodexTokens(BaseModel):
    input_tokens: int = Field(default=0, description="Includes cached_input_tokens.")
    cached_input_tokens: int = 0
    output_tokens: int = Field(default=0, description="Includes reasoning_tokens.")
    reasoning_tokens: int = 0
    total_tokens: int = Field(default=0, description="input + output.")
    cost_usd: float | None = 0.0
    responses: int = 0
    cost_share: float | None = Field(
        default=None, description="Share of the agent's priced cost (model rows)."
    )


class ClaudeAgentUsage(BaseModel):
    models: dict[str, ClaudeTokens] = Field(default_factory=dict)
    devices: dict[str, ClaudeTokens] = Field(default_factory=dict)
    totals: ClaudeTotals = Field(default_factory=ClaudeTotals)


class CodexAgentUsage(BaseModel):
    models: dict[str, CodexTokens] = Field(default_factory=dict)
    devices: dict[str, CodexTokens] = Field(default_factory=dict)
    totals: CodexTokens = Field(default_factory=CodexTokens)


class AgentsUsage(BaseModel):
    claude_code: ClaudeAgentUsage = Field(default_factory=ClaudeAgentUsage)
    codex: CodexAgentUsage = Field(default_factory=CodexAgentUsage)


class UsageReport(BaseModel):
    date: str
    timezone: str
    agents: AgentsUsage = Field(default_factory=AgentsUsage)
    total_cost_usd: float | None = 0.0
    unpriced_models: list[str] = Field(default_factory=list)
    priced_as: dict[str, str] = Field(
        default_factory=dict,
        description="Dated models genai-prices lacks, priced at their family's price: model -> family.",
    )
    skipped_lines: int = Field(
        default=0, description="Malformed lines + truncated last lines + unknown record types, in all."
    )
    skipped_by_kind: dict[str, int] = Field(
        default_factory=dict, description="kind (malformed, truncated, unknown_type) -> lines skipped"
    )
    skipped_files: dict[str, int] = Field(default_factory=dict, description="path -> lines skipped there")
    unread_files: dict[str, str] = Field(
        default_factory=dict, description="path -> why the file could not be read (its usage is missing)"
    )
    notes: list[str] = Field(
        default_factory=list, description="Caveats, e.g. subagent output is a lower bound."
    )
