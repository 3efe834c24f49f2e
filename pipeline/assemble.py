"""From a finished run to the report files: session summaries, the usage report, the ledger's generation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pipeline import log
from schemas.facts import SessionFacts
from schemas.report import DailyReport, Failure, Generation, SessionSummary
from schemas.transcript import Session, UsageEvent

if TYPE_CHECKING:
    from pipeline.runstate import RunState


def local_dates(session: Session, zone: ZoneInfo) -> list[str]:
    """Every local date with activity in the session, sorted."""
    return sorted({t.astimezone(zone).date().isoformat() for t in session.active_times()})


def day_events(events: Iterable[UsageEvent], *, day: str, zone: ZoneInfo) -> dict[str, list[UsageEvent]]:
    """Deduped usage events of the local day, by session id."""
    from pipeline.usage.dedup import dedup_events

    target = Date.fromisoformat(day)
    out: dict[str, list[UsageEvent]] = {}
    for e in dedup_events(events):
        if e.timestamp.astimezone(zone).date() == target:
            out.setdefault(e.session_id, []).append(e)
    return out


def session_summary(
    session: Session,
    *,
    zone: ZoneInfo,
    events: Sequence[UsageEvent],
    facts: SessionFacts | None,
    chunks: int,
    failed: bool,
    overrides: Any = None,
    redact: Callable[[str], str] = str,
) -> SessionSummary:
    """One session's line in the report. Text taken straight from the transcript goes through ``redact``."""
    from pipeline.usage.aggregate import cost_of

    tokens, cost = cost_of(events, overrides=overrides)
    dates = local_dates(session, zone)
    tools = [t.tool for t in session.turns if t.role == "tool" and t.tool is not None]
    return SessionSummary(
        session_id=session.id,
        device=session.device,
        agent=session.agent,
        project=session.project,
        title=redact((facts.title if facts else None) or session.title or _first_prompt(session)),
        status=facts.status if facts else None,
        summary=facts.summary if facts else "",
        start=session.start,
        end=session.end,
        spans_days=dates if len(dates) > 1 else [],
        models=list(session.models),
        human_prompts=len(session.human_prompts),
        tool_calls=len(tools),
        tool_errors=sum(1 for t in tools if t.is_error),
        tokens=tokens,
        cost_usd=None if cost is None else float(cost),
        chunks=chunks,
        failed=failed,
    )


def _first_prompt(session: Session) -> str:
    prompts = session.human_prompts
    text = prompts[0].text.strip().splitlines()[0] if prompts and prompts[0].text.strip() else ""
    return (text[:80] + "…") if len(text) > 80 else (text or session.id)


def session_summaries(run: RunState, failures: Sequence[Failure]) -> list[SessionSummary]:
    failed = {f.session_id for f in failures if f.session_id}
    all_events = [e for s in run.day.all_sessions for e in s.usage]
    by_session = day_events(all_events, day=run.opts.date, zone=run.day.zone)
    facts = run.results.get("facts", {})
    return [
        session_summary(
            sp.session,
            zone=run.day.zone,
            events=by_session.get(sp.session.id, []),
            facts=facts.get(sp.session.id),
            chunks=len(sp.chunks),
            failed=sp.session.id in failed,
            overrides=run.config.prices or None,
            redact=run.day.redactor.redact if run.day.redactor is not None else str,
        )
        for sp in run.day.sessions
    ]


def write_day_report(
    run: RunState, *, generation: Generation, failures: list[Failure]
) -> tuple[DailyReport, dict[str, Path]]:
    """Build the DailyReport and write report.{md,html,json} (and the index) under the out dir."""
    from pipeline.report import build_report, write_report
    from pipeline.usage import build_usage_report

    usage = build_usage_report(run.config, date=Date.fromisoformat(run.opts.date), zone=run.day.zone)
    report = build_report(
        date=run.opts.date,
        timezone=run.day.timezone,
        lang=run.day.lang,
        sessions=session_summaries(run, failures),
        results=run.results,
        day_results=run.day_results,
        usage=usage,
        generation=generation,
        redaction=run.day.redaction,
        failures=failures,
        skipped_lines=run.day.skipped_lines,
        skipped_sessions=run.day.skipped_sessions,
    )
    out_dir = run.opts.out_dir or run.config.out_dir
    paths = write_report(report, out_dir)
    log.progress("report_written", paths={k: str(v) for k, v in paths.items()})
    return report, paths
