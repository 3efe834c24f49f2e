"""Stage `takeaways`: what is worth remembering."""

from __future__ import annotations

from typing import ClassVar, Literal

from daily_report.schemas import budgets
from daily_report.schemas.budgets import Budgets
from daily_report.schemas.common import StrictModel, TurnSpan
from pydantic import Field

TakeawayKind = Literal["core", "practical"]


class Takeaway(TurnSpan):
    text: str = Field(
        description="The takeaway, specific: figures, names, versions, conditions; "
        f"{budgets.at_most(budgets.TAKEAWAY)}."
    )
    kind: TakeawayKind = Field(description="core: an insight about the work; practical: a how-to or habit.")


class TakeawaysOutput(StrictModel):
    WORD_BUDGETS: ClassVar[Budgets] = (("takeaways[].text", budgets.TAKEAWAY),)

    takeaways: list[Takeaway] = Field(description="Takeaways from this part of the session.")
