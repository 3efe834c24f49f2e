"""Stage `tasks`: the units of work of a session."""

from __future__ import annotations

from typing import ClassVar, Literal

from daily_report.schemas import budgets
from daily_report.schemas.budgets import Budgets
from daily_report.schemas.common import STATUS_HELP, Status, StrictModel, TurnSpan
from pydantic import Field

TaskCategory = Literal["architecture_strategy", "implementation_fixes"]


class TaskItem(TurnSpan):
    title: str = Field(description="Short specific name of the task (the bold title; 3-10 words).")
    category: TaskCategory = Field(
        description="architecture_strategy: design, planning, experiments, research direction; "
        "implementation_fixes: code changes, bug fixes, tooling, configuration."
    )
    status: Status = Field(description=STATUS_HELP)
    details: str = Field(
        description="One or two sentences: what was done and how, with the figures, names and results that "
        "matter; for a blocked task, what blocks it and the next step. Title and details together "
        f"{budgets.at_most(budgets.TASK)}."
    )


class TasksOutput(StrictModel):
    WORD_BUDGETS: ClassVar[Budgets] = (("tasks[].title+details", budgets.TASK),)

    tasks: list[TaskItem] = Field(
        description="Every distinct task in this part of the session, most important first."
    )
