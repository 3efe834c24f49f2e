"""Stage `session` (reduce): a session of several chunks as it ended, from its chunk answers.

The items reuse the chunk stages' item models, so a reduced session and a one-chunk session carry the same
fields (and the same field descriptions the model reads).
"""

from __future__ import annotations

from typing import ClassVar

from daily_report.schemas.budgets import SESSION_SUMMARY, Budgets, at_most
from daily_report.schemas.common import SessionStatus, StrictModel
from daily_report.schemas.human_ai import AILimitation, ThinkingTopic
from daily_report.schemas.issues import IssueItem
from daily_report.schemas.takeaways import Takeaway
from daily_report.schemas.tasks import TaskItem
from pydantic import Field

SESSION_SUMMARY_WORDS = SESSION_SUMMARY


class SessionReduceOutput(StrictModel):
    WORD_BUDGETS: ClassVar[Budgets] = (("summary", SESSION_SUMMARY),)

    title: str = Field(
        description="One specific title for the whole session: the main goal and where it ended, not part 1's."
    )
    project: str = Field(
        description="The project worked on, as the parts name it (the repository, not a worktree or a generic "
        "folder name such as 'repo')."
    )
    status: SessionStatus = Field(description="The session's state at its end (the last part decides).")
    summary: str = Field(
        description="The whole session: the goal, what was done, how it ended, with the figures and names that "
        f"matter; {at_most(SESSION_SUMMARY)}. Not the part summaries joined."
    )
    tasks: list[TaskItem] = Field(
        description="Each task once, with its final status and details as of the session's end."
    )
    issues: list[IssueItem] = Field(
        description="Each issue once, in its final state: fixed in a later part means resolved, with the cause "
        "and solution as finally established."
    )
    topics: list[ThinkingTopic] = Field(description="Human-vs-AI topics, duplicates merged.")
    limitations: list[AILimitation] = Field(description="AI limitations, duplicates merged.")
    takeaways: list[Takeaway] = Field(description="Takeaways, duplicates merged.")
