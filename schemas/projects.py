"""Stage `projects`: one summary per project from its sessions."""

from __future__ import annotations

from typing import ClassVar

from daily_report.schemas.budgets import PROJECT_SUMMARY, Budgets, at_most
from daily_report.schemas.common import SessionStatus, StrictModel
from pydantic import Field


class ProjectSummary(StrictModel):
    WORD_BUDGETS: ClassVar[Budgets] = (("summary", PROJECT_SUMMARY),)

    project: str = Field(description="Project name as given in the input.")
    headline: str = Field(description="One line: the state of the project at the end of the day.")
    status: SessionStatus = Field(description="The project's overall status at the end of the day.")
    summary: str = Field(
        description="A short paragraph: what advanced, across which sessions, with figures and blockers; "
        f"{at_most(PROJECT_SUMMARY)}."
    )
