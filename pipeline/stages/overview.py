"""Stage `overview` (day): one request for the day over per-device notes of projects and sessions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from daily_report.core import log
from daily_report.llm.types import TextBlock
from daily_report.schemas.overview import DeviceOverview, OverviewOutput
from daily_report.schemas.report import ProjectEntry
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
from daily_report.stages.projects import session_facts, session_notes, sessions_by_project
from pydantic import BaseModel

MAX_TASKS_PER_SESSION = 5


def devices_of(day: DayInputs) -> list[str]:
    """Devices that had sessions, sorted by name."""
    return sorted({s.device for s in day.sessions})


def _projects(day: DayInputs) -> dict[str, ProjectEntry]:
    entries = [as_model(ProjectEntry, p) for p in day.day_results.get("projects") or []]
    return {e.project: e for e in entries}


def device_notes(device: str, day: DayInputs) -> str:
    """Projects of one device with their day state, then its sessions' compact notes."""
    projects = _projects(day)
    lines = [f'<device name="{escape_attr(device)}">']
    for project, infos in sessions_by_project(day).items():
        here = [i for i in infos if i.device == device]
        if not here:
            continue
        entry = projects.get(project)
        state = f' status="{escape_attr(entry.status)}"' if entry else ""
        lines.append(f'<project name="{escape_attr(project)}"{state}>')
        if entry is not None and not _restates_its_session(entry, infos, day):  # model-written: neutralized
            lines += [neutralize_tags(f"headline: {entry.headline}\nproject summary: {entry.summary}")]
        lines += [session_notes(i, day, max_tasks=MAX_TASKS_PER_SESSION) for i in here]
        lines.append("</project>")
    lines.append("</device>")
    return "\n".join(lines)


def _restates_its_session(entry: ProjectEntry, infos: Sequence[SessionInfo], day: DayInputs) -> bool:
    """A one-session project's entry built from its facts: the session's notes below already say it."""
    facts = session_facts(day, infos[0].session_id) if len(infos) == 1 else None
    return facts is not None and (entry.headline, entry.summary) == (facts.title, facts.summary)


def _fallback(device: str, infos: Sequence[SessionInfo], day: DayInputs) -> DeviceOverview:
    """A device the model left out: its session titles, so the report still has an entry."""
    titles = []
    for info in infos:
        facts = session_facts(day, info.session_id)
        titles.append(facts.title if facts else info.title or info.session_id)
    return DeviceOverview(
        device=device, what_was_done="; ".join(titles), how_it_was_done="", why_it_matters=""
    )


class OverviewStage(DayStage):
    name: ClassVar[str] = "overview"
    # Fitted output size (bench/README.md): word-budgeted bullets, the mean of 2 answers (error 10 tokens).
    output_size: ClassVar[OutputSize] = OutputSize(base=355, per_1k=93.6)
    output_model: ClassVar[type[BaseModel]] = OverviewOutput
    depends_on: ClassVar[tuple[str, ...]] = ("projects", "facts", "tasks", "issues", "session")

    def plan(self, day: DayInputs, prompt: Prompt, system: str) -> list[PlannedCall]:
        devices = devices_of(day)
        if not devices:
            return []
        notes = "\n".join(device_notes(d, day) for d in devices)
        block = f'<day date="{escape_attr(day.date)}">\n{notes}\n</day>'
        instructions = prompt.render(
            lang=day.lang,
            lang_name=LANG_NAMES.get(day.lang, day.lang),
            date=day.date,
            devices=", ".join(devices),
        )
        return [
            PlannedCall(
                stage=self.name,
                label=f"{self.name}/day",
                system=system,
                blocks=(TextBlock(text=block, cache=True), TextBlock(text=instructions)),
                output_model=self.output_model,
            )
        ]

    def merge(
        self, day: DayInputs, outputs: Sequence[tuple[PlannedCall, BaseModel]]
    ) -> OverviewOutput | None:
        """The day's overview with exactly one DeviceOverview per device that had sessions, in order."""
        if not outputs:
            return None
        overview = as_model(OverviewOutput, outputs[-1][1])
        given = {d.device.strip().casefold(): d for d in overview.devices}
        devices = []
        for device in devices_of(day):
            found = given.get(device.casefold())
            if found is None:
                log.warn(
                    f"overview: the model gave no entry for device {device!r}; listing its session titles"
                )
                found = _fallback(device, [s for s in day.sessions if s.device == device], day)
            devices.append(found.model_copy(update={"device": device}))
        return overview.model_copy(update={"devices": devices})
