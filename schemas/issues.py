"""Stage `issues`: problems met and how they were solved."""

from __future__ import annotations

from typing import ClassVar

from daily_report.schemas import budgets
from daily_report.schemas.budgets import Budgets, at_most
from daily_report.schemas.common import CRITICAL_HELP, Severity, StrictModel, TurnSpan
from pydantic import Field


class IssueItem(TurnSpan):
    problem: str = Field(
        description=f"The problem as observed: error text, symptom, figures; {at_most(budgets.ISSUE_PROBLEM)}."
    )
    cause: str = Field(
        description="The root cause as finally established ('unknown' if it was not); if a first diagnosis was "
        "wrong, the right one and who found it; "
        f"{at_most(budgets.ISSUE_CAUSE)}."
    )
    solution: str = Field(
        description="What fixed it; if unresolved start with 'Not yet resolved.' and give the next steps; "
        f"{at_most(budgets.ISSUE_SOLUTION)}."
    )
    resolved: bool = Field(description="True when the problem was actually fixed in the session.")
    key_insight: str = Field(
        description=f"The lesson worth remembering, general enough to reuse; {at_most(budgets.ISSUE_INSIGHT)}."
    )
    severity: Severity = Field(description=CRITICAL_HELP)


class IssuesOutput(StrictModel):
    WORD_BUDGETS: ClassVar[Budgets] = (
        ("issues[].problem", budgets.ISSUE_PROBLEM),
        ("issues[].cause", budgets.ISSUE_CAUSE),
        ("issues[].solution", budgets.ISSUE_SOLUTION),
        ("issues[].key_insight", budgets.ISSUE_INSIGHT),
    )

    issues: list[IssueItem] = Field(
        description="Every real problem met in this part of the session, most important first."
    )
