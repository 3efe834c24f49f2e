"""The daily report: one model, three renderers (Markdown, HTML, JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from daily_report.schemas.common import SessionStatus
from daily_report.schemas.human_ai import AILimitation, ThinkingTopic
from daily_report.schemas.issues import IssueItem
from daily_report.schemas.overview import DeviceOverview
from daily_report.schemas.projects import ProjectSummary
from daily_report.schemas.takeaways import Takeaway
from daily_report.schemas.tasks import TaskItem
from daily_report.schemas.transcript import Agent, UnreadFile
from daily_report.schemas.usage import UsageReport
from pydantic import BaseModel, Field

SCHEMA_VERSION = 1


class Provenance(BaseModel):
    """Where an item comes from: every item knows its device, session and turn range."""

    device: str
    session_id: str
    agent: Agent
    project: str
    turn_start: int
    turn_end: int
    chunks: list[int] = Field(default_factory=list)
    also_in: list[str] = Field(default_factory=list, description="Other sessions that gave the same item.")
    also_on: list[str] = Field(
        default_factory=list, description="Devices of those other sessions, when not this item's device."
    )


class Edited(BaseModel):
    """What the day editor decided about an item: shown in the report, or kept only in report.json and
    offered collapsed in the HTML."""

    selected: bool = Field(default=True, description="Shown in the report; false: past the section's cap.")


class ReportTask(TaskItem, Edited):
    provenance: Provenance


class ReportIssue(IssueItem, Edited):
    provenance: Provenance


class ReportTopic(ThinkingTopic, Edited):
    provenance: Provenance


class ReportLimitation(AILimitation, Edited):
    provenance: Provenance


class ReportTakeaway(Takeaway, Edited):
    provenance: Provenance


class DayItems(BaseModel):
    """The editor's output: every item of each section, merged across sessions and ordered by importance,
    the ones within the section's cap marked ``selected``."""

    tasks: list[ReportTask] = Field(default_factory=list)
    issues: list[ReportIssue] = Field(default_factory=list)
    human_vs_ai: list[ReportTopic] = Field(default_factory=list)
    ai_limitations: list[ReportLimitation] = Field(default_factory=list)
    takeaways: list[ReportTakeaway] = Field(default_factory=list)
    caps: dict[str, int] = Field(default_factory=dict, description="section -> the cap applied")


class HumanAISession(BaseModel):
    """The merged `human_ai` result of one session: thinking topics and AI limitations, with provenance."""

    topics: list[ReportTopic] = Field(default_factory=list)
    limitations: list[ReportLimitation] = Field(default_factory=list)


class SessionSummary(BaseModel):
    session_id: str
    device: str
    agent: Agent
    project: str
    title: str
    status: SessionStatus | None = None
    summary: str = ""
    start: datetime | None = None
    end: datetime | None = None
    spans_days: list[str] = Field(default_factory=list, description="Local dates with activity, when > 1.")
    models: list[str] = Field(default_factory=list)
    human_prompts: int = 0
    tool_calls: int = Field(default=0, description="Tool calls, the subagents' included.")
    subagent_tool_calls: int = Field(default=0, description="Of tool_calls, those made by subagents.")
    tool_errors: int = 0
    tokens: int = 0
    cost_usd: float | None = None
    chunks: int = 0
    failed: bool = Field(default=False, description="A stage failed for this session; see failures.")


class ProjectEntry(ProjectSummary):
    sessions: list[str] = Field(default_factory=list)
    devices: list[str] = Field(default_factory=list)
    agents: list[Agent] = Field(default_factory=list)
    minutes: float = Field(default=0.0, description="Active time over its sessions.")


class Failure(BaseModel):
    stage: str
    label: str
    session_id: str | None = None
    chunk_index: int | None = None
    error: str
    attempts: int = 0


class CallTotals(BaseModel):
    """LLM calls summed from the ledger: the counters a stage and the whole report share."""

    calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float | None = 0.0


class StageGeneration(CallTotals):
    prompt_version: str = ""
    failures: int = 0


class Generation(CallTotals):
    """What the report itself cost. The counters and ``cost_usd`` are what THIS run spent (from the ledger);
    ``answers_cost_usd`` is what every answer the report uses cost, whoever paid for it."""

    provider: str = ""
    model: str = ""
    run_id: str = ""
    by_stage: dict[str, StageGeneration] = Field(default_factory=dict)
    failures: list[Failure] = Field(default_factory=list)
    pending: int = Field(default=0, description="Requests exported but not yet answered.")
    answers_cost_usd: float | None = Field(
        default=None,
        description="What every answer the report uses cost, whoever paid for it (this run, an earlier run, "
        "an import); None when a price is unknown. A cached re-run spends nothing but its answers still cost this.",
    )
    free: bool = Field(default=False, description="The provider charges nothing (replay): every cost is 0.")


class Overview(BaseModel):
    what_was_done: str = ""
    how_it_was_done: str = ""
    why_it_matters: str = ""


class DailyReport(BaseModel):
    schema_version: int = SCHEMA_VERSION
    date: str
    timezone: str
    lang: str = "en"
    generated_at: datetime | None = None
    overview: Overview = Field(default_factory=Overview)
    devices: list[DeviceOverview] = Field(default_factory=list)
    summary: str = ""
    tasks: list[ReportTask] = Field(default_factory=list)
    issues: list[ReportIssue] = Field(default_factory=list)
    human_vs_ai: list[ReportTopic] = Field(default_factory=list)
    ai_limitations: list[ReportLimitation] = Field(default_factory=list)
    takeaways: list[ReportTakeaway] = Field(default_factory=list)
    caps: dict[str, int] = Field(
        default_factory=dict,
        description="section -> how many items the report shows; the rest have selected=false",
    )
    projects: list[ProjectEntry] = Field(default_factory=list)
    sessions: list[SessionSummary] = Field(default_factory=list)
    token_usage: UsageReport
    generation: Generation = Field(default_factory=Generation)
    redaction: dict[str, int] = Field(default_factory=dict, description="rule -> count of redactions")
    failures: list[Failure] = Field(default_factory=list)
    skipped_lines: int = 0
    skipped_by_kind: dict[str, int] = Field(
        default_factory=dict, description="kind (malformed, truncated, unknown_type) -> lines skipped"
    )
    skipped_sessions: dict[str, int] = Field(default_factory=dict, description="reason -> count")
    unread_files: list[UnreadFile] = Field(
        default_factory=list,
        description="Transcript files and folders that could not be read (whole or in part), with the reason.",
    )
    missing_stages: list[str] = Field(
        default_factory=list,
        description="Stages with no result at all (failed or not run); their sections say so.",
    )
    incomplete_stages: dict[str, list[str]] = Field(
        default_factory=dict, description="stage -> session ids that have no result from it."
    )
    extra: dict[str, Any] = Field(default_factory=dict)
