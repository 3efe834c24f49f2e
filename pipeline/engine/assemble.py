"""From a finished run to the report files: session summaries, the usage report, the ledger's generation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC
from datetime import date as Date
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from daily_report.core import log
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.report import DailyReport, Failure, Generation, SessionSummary
from daily_report.schemas.transcript import Session, SkippedLines, UsageEvent
from daily_report.text.redact import safe_cut

if TYPE_CHECKING:
    from daily_report.engine.runstate import RunState


def day_events(events: Iterable[UsageEvent], *, day: str, zone: ZoneInfo) -> dict[str, list[UsageEvent]]:
    """Deduped usage events of the local day, by session id."""
    from daily_report.usage.dedup import dedup_events

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
    day: Date | None = None,
    project: str | None = None,
) -> SessionSummary:
    """One session's line in the report. Text taken straight from the transcript goes through ``redact``.

    Its figures come from ``session_stats``, the same as ``daily-report sessions`` shows."""
    from daily_report.usage.sessions import session_stats

    st = session_stats(session, events, zone=zone, overrides=overrides, day=day)
    return SessionSummary(
        session_id=session.id,
        device=session.device,
        agent=session.agent,
        project=project or session.project,  # the resolved project (worktree, alias), else the folder
        title=session_title(session, facts, redact=redact),
        status=facts.status if facts else None,
        summary=facts.summary if facts else "",
        start=st.start.astimezone(UTC) if st.start else session.start,
        end=st.end.astimezone(UTC) if st.end else session.end,
        spans_days=st.local_dates if len(st.local_dates) > 1 else [],
        models=st.models,
        human_prompts=st.human_prompts,
        tool_calls=st.tool_calls,
        subagent_tool_calls=st.subagent_tool_calls,
        tool_errors=st.tool_errors,
        tokens=st.tokens,
        cost_usd=None if st.cost is None else float(st.cost),
        chunks=chunks,
        failed=failed,
    )


TITLE_CHARS = 80


def session_title(session: Session, facts: SessionFacts | None, *, redact: Callable[[str], str] = str) -> str:
    """The facts stage's title, else the agent's, else the first line of the first prompt cut to 80 chars.

    Redacted BEFORE the cut: a cut first could split a secret so that no rule matches what is left
    (``postgres://admin:pw…`` without its ``@``).
    """
    given = (facts.title if facts else None) or session.title
    if given:
        return redact(given)
    prompts = session.human_prompts
    text = redact(prompts[0].text).strip() if prompts else ""
    line = text.splitlines()[0] if text else ""
    end = safe_cut(line, TITLE_CHARS)
    return (line[:end] + "…") if end < len(line) else (line or session.id)


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
            redact=run.day.redactor.fork().redact if run.day.redactor is not None else str,
            day=Date.fromisoformat(run.opts.date),
            project=sp.info.project,
        )
        for sp in run.day.sessions
    ]


def _redaction_counts(run: RunState) -> dict[str, int]:
    """The transcript's counts per rule, and those of secrets found in model answers (``model-answer:``)."""
    answers = run.answer_redactor.report_counts() if run.answer_redactor is not None else {}
    return {**run.day.redaction, **answers}


def write_day_report(
    run: RunState, *, generation: Generation, failures: list[Failure]
) -> tuple[DailyReport, dict[str, Path]]:
    """Edit the day's items (``daily_report.engine.editor``), build the DailyReport and write report.{md,html,json} (and the
    index) under the out dir."""
    from daily_report.engine.editor import edit_day
    from daily_report.report.build import build_report, order_sessions
    from daily_report.report.write import write_report
    from daily_report.usage.build import build_usage_report

    usage = _usage(run, build_usage_report)
    skipped_kinds = skipped_lines_by_kind(run.day.skipped)
    sessions = session_summaries(run, failures)
    report = build_report(
        date=run.opts.date,
        timezone=run.day.timezone,
        lang=run.day.lang,
        sessions=sessions,
        results=run.results,
        items=edit_day(run.results, sessions=order_sessions(sessions), config=run.config.report),
        day_results=run.day_results,
        usage=usage,
        generation=generation,
        redaction=_redaction_counts(run),
        failures=failures,
        skipped_lines=sum(skipped_kinds.values()),
        skipped_sessions=run.day.skipped_sessions,
    )
    report.skipped_by_kind = skipped_kinds
    report.unread_files = list(run.day.unread)
    _annotate(report, run)
    out_dir = run.opts.out_dir or run.config.out_dir
    paths = write_report(report, out_dir, variant=report_variant(run.opts, default_lang=run.config.lang))
    log.progress("report_written", paths={k: str(v) for k, v in paths.items()})
    return report, paths


def skipped_lines_by_kind(skipped: Iterable[SkippedLines]) -> dict[str, int]:
    """The day's skipped lines by kind, counted as ``usage`` counts them (``jsonl.skipped_by_kind``)."""
    from daily_report.sources.jsonl import add_kinds, skipped_by_kind

    kinds: dict[str, int] = {}
    for s in skipped:
        add_kinds(kinds, skipped_by_kind(s))
    return kinds


# ---------------------------------------------------------------- filtered runs


def _name_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", value).strip("_") or "_"


def report_variant(opts: Any, *, default_lang: str) -> str:
    """The file-name suffix of a filtered run ("" for the full day): ``session-7c1e``, ``device-DCC``,
    ``zh``, combined in that order with "." (ids and names sorted, several joined with "+")."""
    parts = []
    if opts.session_ids:
        parts.append("session-" + "+".join(sorted({_name_part(s) for s in opts.session_ids})))
    if opts.devices:
        parts.append("device-" + "+".join(sorted({_name_part(d) for d in opts.devices})))
    if opts.lang and opts.lang != default_lang:
        parts.append(_name_part(opts.lang))
    return ".".join(parts)


def run_filters(opts: Any, *, default_lang: str) -> dict[str, Any]:
    """What narrowed this run, for ``report.extra["filters"]`` ({} for the full day)."""
    out: dict[str, Any] = {}
    if opts.session_ids:
        out["sessions"] = sorted(set(opts.session_ids))
    if opts.devices:
        out["devices"] = sorted(set(opts.devices))
    if opts.lang and opts.lang != default_lang:
        out["lang"] = opts.lang
    return out


SESSION_FILTER_NOTE = "This report covers only the chosen sessions; the token usage covers the whole day."
SESSION_DEVICE_NOTE = (
    "This report covers only the chosen sessions; the token usage covers the whole day of the chosen devices."
)


def _usage(run: RunState, build: Callable[..., Any]) -> Any:
    """The day's Token Usage; a --device run counts only that device's files, a --session run says it
    shows the whole day."""
    day = Date.fromisoformat(run.opts.date)
    files = None
    if run.opts.devices:
        from daily_report.usage.build import discover_files

        files = [f for f in discover_files(run.config) if f.device in set(run.opts.devices)]
    # the file index follows the run's cache location (the demo keeps the user's cache dir untouched)
    index = run.opts.cache_path.parent / "index.sqlite3" if run.opts.cache_path else None
    usage = build(run.config, date=day, zone=run.day.zone, files=files, index_path=index)
    if run.opts.session_ids:
        note = SESSION_DEVICE_NOTE if run.opts.devices else SESSION_FILTER_NOTE
        usage = usage.model_copy(update={"notes": [*usage.notes, note]})
    return usage


def _annotate(report: DailyReport, run: RunState) -> None:
    """Filters and day notes (e.g. no sessions found) go into the report's metadata and its summary."""
    filters = run_filters(run.opts, default_lang=run.config.lang)
    if filters:
        report.extra["filters"] = filters
    if run.heuristic_sessions:  # the reduce of these sessions failed: their chunks were merged by heuristics
        report.extra["heuristic_merge"] = sorted(run.heuristic_sessions)
    if run.day.notes:
        report.extra["notes"] = list(run.day.notes)
        if not report.summary.strip():
            report.summary = " ".join(run.day.notes)
