"""Stage `issues`: problems met and how they were solved."""

from __future__ import annotations

from pydantic import Field

from schemas.common import Severity, StrictModel, TurnSpan


class IssueItem(TurnSpan):
    problem: str = Field(description="The problem as observed: error text, symptom, figures.")
    cause: str = Field(
        description="The root cause as finally established ('unknown' if it was not); if a first diagnosis was "
        "wrong, the right one and who found it."
    )
    solution: str = Field(
        description="What fixed it; if unresolved start with 'Not yet resolved.' and give the next steps."
    )
    resolved: bool = Field(description="True when the problem was actually fixed in the session.")
    key_insight: str = Field(description="The lesson worth remembering, general enough to reuse.")
    severity: Severity = Field(description="critical: blocked or endangered the work; general: otherwise.")


class IssuesOutput(StrictModel):
    issues: list[IssueItem] = Field(description="Every real problem met in this part of the session.")
