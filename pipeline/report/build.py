"""Stage results + usage + ledger -> one DailyReport, ordered as the reference reports are."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from daily_report.report.sections import item_fields
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.overview import OverviewOutput
from daily_report.schemas.report import (
    DailyReport,
    DayItems,
    Failure,
    Generation,
    Overview,
    ProjectEntry,
    SessionSummary,
)
from daily_report.schemas.usage import UsageReport
from daily_report.stages.registry import STAGES, chunk_stages, day_stages
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def build_report(
    *,
    date: str,
    timezone: str,
    lang: str,
    sessions: list[SessionSummary],
    results: Mapping[str, Mapping[str, Any]],
    items: DayItems,
    day_results: Mapping[str, Any],
    usage: UsageReport,
    generation: Generation,
    redaction: dict[str, int],
    failures: list[Failure],
    skipped_lines: int,
    skipped_sessions: dict[str, int],
) -> DailyReport:
    """Assemble the report. Any stage may be missing: what exists is rendered and the gap is recorded.

    ``items`` are the day editor's sections (``daily_report.engine.editor.edit_day``): merged, ordered and flagged."""
    all_failures = _unique_failures([*failures, *generation.failures])
    ordered = order_sessions(_apply_facts(sessions, results.get("facts", {}), all_failures))
    ids = [s.session_id for s in ordered]
    overview = _as_optional(OverviewOutput, day_results.get("overview"))
    return DailyReport(
        date=date,
        timezone=timezone,
        lang=lang,
        generated_at=datetime.now(UTC),
        overview=_overview(overview),
        devices=list(overview.devices) if overview else [],
        summary=overview.summary if overview else "",
        **item_fields(items),
        caps=items.caps,
        projects=_projects(day_results.get("projects"), ordered),
        sessions=ordered,
        token_usage=usage,
        generation=generation,
        redaction=dict(sorted(redaction.items())),
        failures=all_failures,
        skipped_lines=skipped_lines,
        skipped_sessions=dict(skipped_sessions),
        missing_stages=_missing(results, day_results, all_failures),
        incomplete_stages=_incomplete(results, ids, all_failures),
    )


# ---------------------------------------------------------------- sessions and projects


def _minutes(s: SessionSummary) -> float:
    if s.start is None or s.end is None:
        return 0.0
    return max((s.end - s.start).total_seconds() / 60.0, 0.0)


def _start_key(s: SessionSummary) -> float:
    return s.start.timestamp() if s.start is not None else float("inf")


def project_order(sessions: Iterable[SessionSummary]) -> list[str]:
    """Projects by activity: active minutes, then session count, then first start."""
    stats: dict[str, list[float]] = {}
    for s in sessions:
        minutes, n, first = stats.get(s.project, [0.0, 0.0, float("inf")])
        stats[s.project] = [minutes + _minutes(s), n + 1, min(first, _start_key(s))]
    return sorted(stats, key=lambda p: (-stats[p][0], -stats[p][1], stats[p][2], p))


def order_sessions(sessions: Iterable[SessionSummary]) -> list[SessionSummary]:
    """Grouped by project (most active first), by start time within a project."""
    items = list(sessions)
    rank = {p: i for i, p in enumerate(project_order(items))}
    return sorted(items, key=lambda s: (rank[s.project], _start_key(s), s.session_id))


def group_by_project(sessions: Iterable[SessionSummary]) -> list[tuple[str, list[SessionSummary]]]:
    ordered = order_sessions(sessions)
    groups: dict[str, list[SessionSummary]] = {}
    for s in ordered:
        groups.setdefault(s.project, []).append(s)
    return list(groups.items())


def project_lines(r: DailyReport) -> dict[str, ProjectEntry]:
    """The project entries the Sessions section shows above their sessions: not one that only restates its
    single session's title and summary (a one-session project's entry is built from them)."""
    by_project = dict(group_by_project(r.sessions))
    out = {}
    for p in r.projects:
        mine = by_project.get(p.project, [])
        if len(mine) == 1 and (p.headline, p.summary) == (mine[0].title, mine[0].summary):
            continue
        out[p.project] = p
    return out


def _apply_facts(
    sessions: list[SessionSummary], facts: Mapping[str, Any], failures: list[Failure]
) -> list[SessionSummary]:
    failed = {f.session_id for f in failures if f.session_id}
    out = []
    for s in sessions:
        update: dict[str, Any] = {}
        f = _as_optional(SessionFacts, facts.get(s.session_id))
        if f is not None:
            update = {"title": f.title or s.title, "status": f.status, "summary": f.summary or s.summary}
        if s.session_id in failed:
            update["failed"] = True
        out.append(s.model_copy(update=update) if update else s)
    return out


def _projects(value: Any, sessions: list[SessionSummary]) -> list[ProjectEntry]:
    if not value:
        return []
    entries = [_as(ProjectEntry, v) for v in value]
    rank = {p: i for i, p in enumerate(project_order(sessions))}
    filled = [_fill_project(e, [s for s in sessions if s.project == e.project]) for e in entries]
    return sorted(filled, key=lambda e: (rank.get(e.project, len(rank)), e.project))


def _fill_project(entry: ProjectEntry, sessions: list[SessionSummary]) -> ProjectEntry:
    update: dict[str, Any] = {}
    if not entry.sessions:
        update["sessions"] = [s.session_id for s in sessions]
    if not entry.devices:
        update["devices"] = sorted({s.device for s in sessions})
    if not entry.agents:
        update["agents"] = sorted({s.agent for s in sessions})
    if not entry.minutes:
        update["minutes"] = round(sum(_minutes(s) for s in sessions), 1)
    return entry.model_copy(update=update) if update else entry


# ---------------------------------------------------------------- what is missing


def _missing(
    results: Mapping[str, Any], day_results: Mapping[str, Any], failures: list[Failure]
) -> list[str]:
    """Stages with no result at all: absent, or present but empty while failures were recorded for it."""
    failed = {f.stage for f in failures}
    absent = [s for s in chunk_stages() if s not in results or (not results[s] and s in failed)]
    absent += [s for s in day_stages() if day_results.get(s) is None or (not day_results[s] and s in failed)]
    return sorted(absent, key=list(STAGES).index)


def _incomplete(
    results: Mapping[str, Mapping[str, Any]], ids: list[str], failures: list[Failure]
) -> dict[str, list[str]]:
    """Sessions without a result from a stage that did run, where a failure was recorded for them.

    A session absent without a failure simply had nothing to report (an engine may leave out empty results).
    """
    failed = {(f.stage, f.session_id) for f in failures if f.session_id}
    out: dict[str, list[str]] = {}
    for stage in chunk_stages():
        lacking = [sid for sid in ids if sid not in results.get(stage, {}) and (stage, sid) in failed]
        if results.get(stage) and lacking:
            out[stage] = lacking
    return out


def _unique_failures(failures: Iterable[Failure]) -> list[Failure]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in failures:
        key = (f.stage, f.label, f.error)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


# ---------------------------------------------------------------- coercion


def _overview(o: OverviewOutput | None) -> Overview:
    if o is None:
        return Overview()
    return Overview(
        what_was_done=o.what_was_done, how_it_was_done=o.how_it_was_done, why_it_matters=o.why_it_matters
    )


def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)


def _as(model: type[M], value: Any) -> M:
    if isinstance(value, model):
        return value
    if isinstance(value, BaseModel):
        return model.model_validate(value.model_dump())
    if isinstance(value, Mapping):
        return model.model_validate(value)
    return model.model_validate(value, from_attributes=True)


def _as_optional(model: type[M], value: Any) -> M | None:
    return None if value is None else _as(model, value)
