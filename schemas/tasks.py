"""Stage `tasks`: the units of work of a session."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from schemas.common import Status, StrictModel, TurnSpan

TaskCategory = Literal["architecture_strategy", "implementation_fixes"]


class TaskItem(TurnSpan):
    title: str = Field(description="Short specific name of the task.")
    category: TaskCategory = Field(
        description="architecture_strategy: design, planning, experiments, research direction; "
        "implementation_fixes: code changes, bug fixes, tooling, configuration."
    )
    status: Status = Field(description="done, in_progress, or blocked (say by what in details).")
    details: str = Field(
        description="What was done and how, with the figures, names, versions, paths and results that matter; "
        "for a blocked task, what blocks it and the next step."
    )


class TasksOutput(StrictModel):
    tasks: list[TaskItem] = Field(description="Every distinct task in this part of the session.")
