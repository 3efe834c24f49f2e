"""Stage `human_ai`: who thought what, and where the AI fell short."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.common import Severity, StrictModel, TurnSpan

Level = Literal["strategic", "implementation"]


class ThinkingTopic(TurnSpan):
    topic: str = Field(description="The decision or theme, named specifically.")
    level: Level = Field(
        description="strategic: goals, design, research direction; implementation: how to build it."
    )
    human: str = Field(
        description="What the human proposed, decided, corrected, questioned or stopped, with the gist or a short "
        "quote of their words; say so if they only gave the goal."
    )
    ai: str = Field(description="What the AI proposed or did on the same topic, including what it missed.")
    analysis: str = Field(description="What the contrast shows about human and AI strengths here.")


class AILimitation(TurnSpan):
    limitation: str = Field(description="What the AI did wrong or could not do, with the concrete instance.")
    severity: Severity = Field(
        description="critical: caused wrong results, waste or risk; general: otherwise."
    )


class HumanAIOutput(StrictModel):
    topics: list[ThinkingTopic] = Field(description="Topics where human and AI thinking can be compared.")
    limitations: list[AILimitation] = Field(description="AI limitations shown in this part of the session.")
