"""Pieces shared by the stage schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["done", "in_progress", "blocked"]
SessionStatus = Literal["done", "in_progress", "blocked", "investigation"]
Severity = Literal["critical", "general"]


class StrictModel(BaseModel):
    """Base of every LLM output model: no extra keys, every field required (OpenAI strict mode)."""

    model_config = ConfigDict(extra="forbid")


class TurnSpan(StrictModel):
    """Where in the transcript an item comes from: the [tN] markers of the condensed text."""

    turn_start: int = Field(description="First turn index ([tN] marker) the item is based on.")
    turn_end: int = Field(description="Last turn index ([tN] marker) the item is based on.")
