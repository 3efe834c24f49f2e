"""Stage `human_ai`: who thought what, and where the AI fell short."""

from __future__ import annotations

from typing import ClassVar, Literal

from daily_report.schemas import budgets
from daily_report.schemas.budgets import Budgets, at_most
from daily_report.schemas.common import Severity, StrictModel, TurnSpan
from pydantic import Field

Level = Literal["strategic", "implementation"]


class ThinkingTopic(TurnSpan):
    topic: str = Field(description="The decision or theme, named specifically.")
    level: Level = Field(
        description="strategic: goals, design, research direction; implementation: how to build it."
    )
    human: str = Field(
        description="What the human proposed, decided, corrected, questioned or stopped, with the gist or a short "
        f"quote of their words; {at_most(budgets.ROLE_CELL)}."
    )
    ai: str = Field(
        description="What the AI proposed or did on the same topic, including what it missed; "
        f"{at_most(budgets.ROLE_CELL)}."
    )
    analysis: str = Field(
        description=f"What the contrast shows about human and AI strengths here; {at_most(budgets.ANALYSIS)}."
    )


class AILimitation(TurnSpan):
    limitation: str = Field(
        description="What the AI did wrong or could not do, with the concrete instance; "
        f"{at_most(budgets.LIMITATION)}."
    )
    severity: Severity = Field(
        description="critical: it blocked or endangered the day's main goal (a wrong root cause held until the "
        "human corrected it, a costly action the human had to stop), lost data, or exposed a secret; "
        "general: otherwise."
    )


class HumanAIOutput(StrictModel):
    WORD_BUDGETS: ClassVar[Budgets] = (
        ("topics[].human", budgets.ROLE_CELL),
        ("topics[].ai", budgets.ROLE_CELL),
        ("topics[].analysis", budgets.ANALYSIS),
        ("limitations[].limitation", budgets.LIMITATION),
    )

    topics: list[ThinkingTopic] = Field(
        description="Decisions where the human's and the AI's contributions differ, most important first; "
        "empty when the human only stated the goal. The AI's solo decisions belong to tasks or limitations."
    )
    limitations: list[AILimitation] = Field(description="AI limitations shown in this part of the session.")
