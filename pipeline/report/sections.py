"""The report's sections, in the order they show: the one rendering map.

Markdown, HTML and the day editor read this list instead of naming stages. Each section says where it links
(``anchor``), its heading, the ``DailyReport`` field it shows, the stage whose absence it notes, how its items
are grouped (attribute + label map) and, for the sections the day editor fills, how near-duplicate items are
told apart. A stage that shows in the report adds one entry here (and an item renderer when its items look
new); markdown.py, html.py, the template and the editor follow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from daily_report.report.fmt import (
    CATEGORY_LABEL,
    LEVEL_LABEL,
    SEVERITY_ISSUE_LABEL,
    SEVERITY_LIMIT_LABEL,
    TAKEAWAY_LABEL,
)
from daily_report.schemas.report import ReportIssue, ReportLimitation, ReportTakeaway, ReportTask, ReportTopic
from daily_report.stages.merge import DUP_THRESHOLD
from pydantic import BaseModel


@dataclass(frozen=True)
class MergeRule:
    """How the day editor merges one section's items: the item model, the text that identifies an item, the
    text fields that measure how much it says, and the similarity needed to call two items the same."""

    model: type[BaseModel]
    key: Callable[[Any], str]
    fields: tuple[str, ...]
    threshold: float = DUP_THRESHOLD
    fair: bool = False  # each session's best item is selected first (``editor.select``)


@dataclass(frozen=True)
class ReportSection:
    """One section of report.md / report.html.

    ``kind`` picks the renderer: ``items`` sections are generic (grouped lists of the field's items, the item
    look chosen by ``look``); the others (overview, sessions, usage, about) have their own renderer."""

    anchor: str
    title: str
    toc: str
    kind: str = "items"
    stage: str | None = None  # the stage whose absence the section notes
    field: str | None = None  # the DailyReport field it shows
    group_by: str = ""  # item attribute the label map keys on
    labels: dict[str, str] | None = None
    noun: str = "item"  # "3 more tasks"
    empty: str | None = None  # shown when nothing was recorded and the stage did run
    look: str = "bullet"  # task | issue | topic | bullet: how one item renders
    text: str = "text"  # the item attribute a bullet shows
    merge: MergeRule | None = None


SECTIONS: tuple[ReportSection, ...] = (
    ReportSection("overview", "Today's Overview", "Overview", kind="overview", stage="overview"),
    ReportSection(
        "tasks",
        "Today's Tasks",
        "Tasks",
        stage="tasks",
        field="tasks",
        group_by="category",
        labels=CATEGORY_LABEL,
        noun="task",
        empty="No tasks recorded.",
        look="task",
        merge=MergeRule(ReportTask, lambda t: t.title, ("title", "details"), threshold=0.88, fair=True),
    ),
    ReportSection(
        "issues",
        "Issues & Solutions",
        "Issues",
        stage="issues",
        field="issues",
        group_by="severity",
        labels=SEVERITY_ISSUE_LABEL,
        noun="issue",
        empty="No issues recorded.",
        look="issue",
        merge=MergeRule(ReportIssue, lambda i: i.problem, ("problem", "cause", "solution", "key_insight")),
    ),
    ReportSection(
        "human-ai",
        "Human Thinking vs AI Thinking",
        "Human vs AI",
        stage="human_ai",
        field="human_vs_ai",
        group_by="level",
        labels=LEVEL_LABEL,
        noun="topic",
        look="topic",
        merge=MergeRule(ReportTopic, lambda t: t.topic, ("topic", "human", "ai", "analysis")),
    ),
    ReportSection(
        "limitations",
        "AI Limitations",
        "AI Limitations",
        stage="human_ai",
        field="ai_limitations",
        group_by="severity",
        labels=SEVERITY_LIMIT_LABEL,
        noun="limitation",
        text="limitation",
        merge=MergeRule(ReportLimitation, lambda x: x.limitation, ("limitation",)),
    ),
    ReportSection(
        "takeaways",
        "Today's Takeaways",
        "Takeaways",
        stage="takeaways",
        field="takeaways",
        group_by="kind",
        labels=TAKEAWAY_LABEL,
        noun="takeaway",
        merge=MergeRule(ReportTakeaway, lambda x: x.text, ("text",)),
    ),
    ReportSection("sessions", "Session Summaries", "Sessions", kind="sessions", stage="facts"),
    ReportSection("usage", "Token Usage", "Token Usage", kind="usage"),
    ReportSection("about", "About This Report", "About", kind="about"),
)

ITEM_SECTIONS: tuple[ReportSection, ...] = tuple(s for s in SECTIONS if s.kind == "items")


def merge_rules() -> dict[str, MergeRule]:
    """DailyReport field -> how the day editor merges its items."""
    return {s.field: s.merge for s in ITEM_SECTIONS if s.field and s.merge}


def item_fields(items: Any) -> dict[str, Any]:
    """The sections' item lists taken from ``items`` (the editor's DayItems), by DailyReport field."""
    return {s.field: getattr(items, s.field) for s in ITEM_SECTIONS if s.field}
