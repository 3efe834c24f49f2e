"""Pieces shared by the stage schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["done", "in_progress", "blocked"]
SessionStatus = Literal["done", "in_progress", "blocked", "investigation"]
Severity = Literal["critical", "general"]

STATUS_HELP = (
    "done: the goal was reached and checked, including an analysis, plan, design or draft that was delivered "
    "and now waits for the human's review or decision (say 'awaiting review' in the text); in_progress: work "
    "still running, launched in the background, or partly done; blocked: stopped by something outside the AI's "
    "control (say by what)."
)
CRITICAL_HELP = (
    "critical: it blocked or endangered the day's main goal, lost data, or exposed a secret; general: "
    "everything else, including problems that cost time but were fixed without touching that goal."
)


class StrictModel(BaseModel):
    """Base of every LLM output model: no extra keys, every field required (OpenAI strict mode)."""

    model_config = ConfigDict(extra="forbid")


class TurnSpan(StrictModel):
    """Where in the transcript an item comes from: the [tN] markers of the condensed text."""

    turn_start: int = Field(description="First turn index ([tN] marker) the item is based on.")
    turn_end: int = Field(description="Last turn index ([tN] marker) the item is based on.")
