"""Stage `facts`: what one session was about."""

from __future__ import annotations

from typing import ClassVar

from daily_report.schemas.budgets import SESSION_SUMMARY, Budgets, at_most
from daily_report.schemas.common import SessionStatus, StrictModel
from pydantic import Field


class SessionFacts(StrictModel):
    WORD_BUDGETS: ClassVar[Budgets] = (("summary", SESSION_SUMMARY),)

    title: str = Field(
        description="A specific title of what the session did (names the thing, not 'Coding session')."
    )
    project: str = Field(description="The project worked on, as the transcript names it.")
    status: SessionStatus = Field(
        description="done: the goal was reached, or a plan, analysis or draft was delivered for the human's "
        "review; in_progress: work continues; blocked: stopped by something "
        "outside the AI's control; investigation: exploring or diagnosing without a deliverable."
    )
    summary: str = Field(
        description="One short paragraph: what was asked, what was done, the outcome, with the figures, file "
        f"names and causes that matter; {at_most(SESSION_SUMMARY)}."
    )
