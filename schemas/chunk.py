"""Text for the LLM: a condensed, redacted slice of one session within a token budget."""

from __future__ import annotations

from daily_report.schemas.transcript import Agent
from pydantic import BaseModel, ConfigDict, Field


class Chunk(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    session_id: str
    device: str
    agent: Agent
    project: str
    index: int = Field(description="0-based chunk number within the session.")
    count: int = Field(description="How many chunks the session has.")
    turn_start: int = Field(description="First turn index in this chunk.")
    turn_end: int = Field(description="Last turn index in this chunk.")
    text: str = Field(description="Condensed, redacted turn text with [tN] markers.")
    digest: str = Field(default="", description="Short digest of the earlier chunks of the session.")
    tokens: int = Field(description="o200k token count of text (+digest).")
