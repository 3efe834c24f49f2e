"""Stage `projects` (day): one request per project over its sessions' facts, tasks and issues.

A project with one session on the day gets no request (unless ``report.ask_single_session_projects``): its entry
is that session's title, status and summary, which a request would only restate.

Also home of the compact session notes the day stages read (no transcript text: only merged results).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import daily_report.sources.agents as agents
from daily_report.llm.types import TextBlock
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.projects import ProjectSummary
from daily_report.schemas.report import ProjectEntry, ReportIssue, ReportTask
from daily_report.schemas.transcript import Agent
from daily_report.stages.base import (
    LANG_NAMES,
    DayInputs,
    DayStage,
    OutputSize,
    PlannedCall,
    Prompt,
    SessionInfo,
    escape_attr,
    neutralize_tags,
)
from daily_report.stages.merge import as_model
from pydantic import BaseModel

MAX_TASKS = 8
MAX_ISSUES = 5


# ---------------------------------------------------------------- session notes (shared by day stages)


def _parse(ts: str | None, zone: ZoneInfo | None) -> datetime | None:
    if not ts:
        return None
    try:
        dt = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return dt.astimezone(zone) if zone is not None and dt.tzinfo is not None else dt


def zone_of(day: DayInputs) -> ZoneInfo | None:
    try:
        return ZoneInfo(day.timezone) if day.timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_span(info: SessionInfo, day: DayInputs) -> str:
    """'09:12–11:40' in the day's zone; a time on another date carries its month-day."""
    zone = zone_of(day)
    parts = []
    for ts in (info.start, info.end):
        dt = _parse(ts, zone)
        if dt is None:
            parts.append("?")
        else:
            parts.append(
                dt.strftime("%H:%M") if dt.date().isoformat() == day.date else dt.strftime("%m-%d %H:%M")
            )
    return "–".join(parts)


def session_minutes(info: SessionInfo) -> float:
    start, end = _parse(info.start, None), _parse(info.end, None)
    if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None):
        return 0.0
    return max(0.0, (end - start).total_seconds() / 60)


def _result(day: DayInputs, stage: str, session_id: str) -> Any:
    return day.results.get(stage, {}).get(session_id)


def session_tasks(day: DayInputs, session_id: str) -> list[ReportTask]:
    return [as_model(ReportTask, t) for t in _result(day, "tasks", session_id) or []]


def session_issues(day: DayInputs, session_id: str) -> list[ReportIssue]:
    return [as_model(ReportIssue, i) for i in _result(day, "issues", session_id) or []]


def session_facts(day: DayInputs, session_id: str) -> SessionFacts | None:
    value = _result(day, "facts", session_id)
    return None if value is None else as_model(SessionFacts, value)


def task_line(task: ReportTask) -> str:
    return f"- [{task.status} · {task.category}] {task.title} — {task.details}"


def issue_line(issue: ReportIssue) -> str:
    state = "resolved" if issue.resolved else "unresolved"
    return (
        f"- [{issue.severity} · {state}] {issue.problem} | cause: {issue.cause} | "
        f"solution: {issue.solution} | insight: {issue.key_insight}"
    )


def important_issues(issues: Sequence[ReportIssue], limit: int = MAX_ISSUES) -> list[ReportIssue]:
    """Critical issues first, then general ones, at most ``limit``."""
    return sorted(issues, key=lambda i: i.severity != "critical")[:limit]


def session_notes(info: SessionInfo, day: DayInputs, *, max_tasks: int = MAX_TASKS) -> str:
    """Compact text of one session: header, facts, tasks with status, issues.

    The body is model-written (titles, summaries) or transcript-derived: our tags inside it are neutralized
    and the header's attribute values escaped, so no note can close its block or pose as another session.
    """
    facts = session_facts(day, info.session_id)
    a = escape_attr
    header = (
        f'<session id="{a(info.session_id)}" device="{a(info.device)}" agent="{a(info.agent)}" '
        f'time="{a(local_span(info, day))}" prompts="{info.human_prompts}" tool_calls="{info.tool_calls}" '
        f'tool_errors="{info.tool_errors}" models="{a(",".join(info.models))}">'
    )
    lines: list[str] = []
    if facts is None:
        lines.append(f"facts: unavailable (title from the agent: {info.title or 'none'})")
    else:
        lines += [f"facts: [{facts.status}] {facts.title}", f"summary: {facts.summary}"]
    if tasks := session_tasks(day, info.session_id)[:max_tasks]:
        lines += ["tasks:", *(task_line(t) for t in tasks)]
    if issues := important_issues(session_issues(day, info.session_id)):
        lines += ["issues:", *(issue_line(i) for i in issues)]
    return "\n".join([header, *(neutralize_tags(line) for line in lines), "</session>"])


def sessions_by_project(day: DayInputs) -> dict[str, list[SessionInfo]]:
    """Sessions grouped by project, projects and sessions in order of first start."""
    ordered = sorted(day.sessions, key=lambda s: (s.start or "", s.session_id))
    groups: dict[str, list[SessionInfo]] = {}
    for info in ordered:
        groups.setdefault(info.project, []).append(info)
    return groups


def _agents(infos: Sequence[SessionInfo]) -> list[Agent]:
    """The registered agents among the sessions (a stray name from the model is dropped)."""
    valid = {a.name for a in agents.AGENTS}
    return sorted({i.agent for i in infos if i.agent in valid})


def asks_request(infos: Sequence[SessionInfo], *, ask_single_session: bool) -> bool:
    """Whether a project of these sessions is summarized by a request (before facts are known)."""
    return ask_single_session or len(infos) > 1


def asked_projects(infos: Sequence[SessionInfo], *, ask_single_session: bool) -> set[str]:
    """The projects that get a request (the estimate's count, before any facts exist)."""
    by_project: dict[str, list[SessionInfo]] = {}
    for info in infos:
        by_project.setdefault(info.project, []).append(info)
    return {p for p, mine in by_project.items() if asks_request(mine, ask_single_session=ask_single_session)}


def from_session(project: str, infos: Sequence[SessionInfo], day: DayInputs) -> ProjectEntry | None:
    """The entry of a project of one session, from that session's merged facts; None when the project needs a
    request (several sessions, the switch on, or no facts to build from)."""
    if asks_request(infos, ask_single_session=day.ask_single_session_projects):
        return None
    facts = session_facts(day, infos[0].session_id)
    if facts is None:
        return None
    summary = ProjectSummary(
        project=project, headline=facts.title, status=facts.status, summary=facts.summary
    )
    return _entry(project, summary, infos)


def _entry(project: str, summary: ProjectSummary, infos: Sequence[SessionInfo]) -> ProjectEntry:
    return ProjectEntry(
        **(summary.model_dump() | {"project": project}),
        sessions=[i.session_id for i in infos],
        devices=sorted({i.device for i in infos}),
        agents=_agents(infos),
        minutes=round(sum(session_minutes(i) for i in infos), 1),
    )


# ---------------------------------------------------------------- the stage


class ProjectsStage(DayStage):
    name: ClassVar[str] = "projects"
    # Fitted output size (bench/README.md): one budgeted summary, the mean of 2 answers (error 8 tokens).
    output_size: ClassVar[OutputSize] = OutputSize(base=223)
    output_model: ClassVar[type[BaseModel]] = ProjectSummary
    depends_on: ClassVar[tuple[str, ...]] = ("facts", "tasks", "issues", "session")

    def plan(self, day: DayInputs, prompt: Prompt, system: str) -> list[PlannedCall]:
        calls = []
        for project, infos in sessions_by_project(day).items():
            if from_session(project, infos, day) is not None:
                continue
            devices = sorted({i.device for i in infos})
            notes = "\n".join(session_notes(i, day) for i in infos)
            block = (
                f'<project name="{escape_attr(project)}" date="{escape_attr(day.date)}">\n{notes}\n</project>'
            )
            instructions = prompt.render(
                lang=day.lang,
                lang_name=LANG_NAMES.get(day.lang, day.lang),
                project=project,
                date=day.date,
                sessions=len(infos),
                devices=", ".join(devices),
            )
            calls.append(
                PlannedCall(
                    stage=self.name,
                    label=f"{self.name}/{project}",
                    system=system,
                    blocks=(TextBlock(text=block, cache=True), TextBlock(text=instructions)),
                    output_model=self.output_model,
                )
            )
        return calls

    def merge(self, day: DayInputs, outputs: Sequence[tuple[PlannedCall, BaseModel]]) -> list[ProjectEntry]:
        """One ProjectEntry per answered project and per project built from its session, with its sessions,
        devices, agents and minutes."""
        groups = sessions_by_project(day)
        entries = []
        for call, output in outputs:
            project = call.label.split("/", 1)[1]
            entries.append(_entry(project, as_model(ProjectSummary, output), groups.get(project, [])))
        answered = {e.project for e in entries}
        for project, infos in groups.items():
            if project not in answered and (entry := from_session(project, infos, day)) is not None:
                entries.append(entry)
        order = list(groups)
        return sorted(entries, key=lambda e: order.index(e.project) if e.project in order else len(order))
