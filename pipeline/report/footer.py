"""The footer: what the report cost, what was redacted, what was skipped or failed, what is missing."""

from __future__ import annotations

from collections.abc import Callable

from daily_report.report.fmt import count, free_label, money, plural, report_money
from daily_report.report.usage_tables import Table
from daily_report.schemas.report import DailyReport, Generation
from daily_report.sources.jsonl import SKIP_KINDS
from daily_report.stages.registry import stage_sort_key


def generation_line(g: Generation) -> str:
    """One sentence: calls, cache hits, tokens, cost, provider and model."""
    who = " / ".join(x for x in (g.provider, g.model) if x) or "unknown provider"
    text = (
        f"{plural(g.calls, 'LLM call')} ({plural(g.cache_hits, 'cache hit')}) with {who}: "
        f"{count(g.input_tokens)} input, {count(g.output_tokens)} output, "
        f"{count(g.cache_write_tokens)} cache write, {count(g.cache_read_tokens)} cache read tokens "
        f"this run; {report_costs(g, long=True)}"
    )
    if g.pending:
        text += f"; {count(g.pending)} requests exported and not yet answered"
    return text + "."


def report_costs(g: Generation, *, long: bool = False) -> str:
    """Both costs of a report: what its answers cost whoever paid for them, and what this run spent
    (a cached re-run or an import spends little while its answers cost the same)."""
    if free := free_label(g):
        return f"cost {free}" if long else f"report cost {free}"
    answers, spent = money(g.answers_cost_usd), money(g.cost_usd)
    if long:
        return f"the answers this report uses cost {answers} in all (earlier runs and imports included); this run spent {spent}"
    return f"report answers cost {answers} · this run spent {spent}"


def stage_table(g: Generation) -> Table:
    rows = [
        (
            stage,
            s.prompt_version or "n/a",
            count(s.calls),
            count(s.cache_hits),
            count(s.input_tokens),
            count(s.output_tokens),
            count(s.cache_write_tokens),
            count(s.cache_read_tokens),
            report_money(s.cost_usd, g),
            count(s.failures),
        )
        for stage, s in sorted(g.by_stage.items(), key=lambda kv: stage_sort_key(kv[0]))
    ]
    headers = (
        "Stage",
        "Prompt",
        "Calls",
        "Cache Hits",
        "Input",
        "Output",
        "Cache Write",
        "Cache Read",
        "Cost",
        "Failures",
    )
    return Table("This Run's Cost by Stage", headers, rows)


def redaction_table(r: DailyReport) -> Table:
    return Table("Redactions", ("Rule", "Count"), [(rule, count(n)) for rule, n in r.redaction.items()])


def failure_table(r: DailyReport) -> Table:
    rows = [
        (f.stage, f.label, f"{f.attempts}" if f.attempts else "n/a", f.error)
        for f in sorted(r.failures, key=lambda f: (stage_sort_key(f.stage), f.label))
    ]
    return Table("Failures", ("Stage", "Label", "Attempts", "Error"), rows)


def skipped_line(r: DailyReport) -> str:
    sessions = sum(r.skipped_sessions.values())
    text = f"Skipped {plural(r.skipped_lines, 'transcript line')}"
    if r.skipped_by_kind:
        kinds = [
            f"{r.skipped_by_kind[k]:,} {label}" for k, label in SKIP_KINDS.items() if r.skipped_by_kind.get(k)
        ]
        text += " (" + ", ".join(kinds) + ")"
    text += f" and {plural(sessions, 'session')}"
    if r.skipped_sessions:
        reasons = ", ".join(f"{reason}: {count(n)}" for reason, n in sorted(r.skipped_sessions.items()))
        text += f" ({reasons})"
    return text + "."


def unread_line(r: DailyReport, *, code: Callable[[str], str] = str) -> str | None:
    """``Could not read 2 transcript files: <path> (corrupt zstd: …); <path> (permission denied).``
    (``code`` quotes a path: Markdown puts it in a code span.)"""
    if not r.unread_files:
        return None
    what = plural(len(r.unread_files), "transcript file")
    return (
        f"Could not read {what}: " + "; ".join(f"{code(u.path)} ({u.reason})" for u in r.unread_files) + "."
    )


def missing_line(r: DailyReport) -> str | None:
    """Which stages gave nothing, and which gave results for only some sessions."""
    parts = []
    if r.missing_stages:
        parts.append("no result from " + ", ".join(r.missing_stages))
    for stage, ids in sorted(r.incomplete_stages.items(), key=lambda kv: stage_sort_key(kv[0])):
        parts.append(f"{stage} missing for {len(ids)} of {plural(len(r.sessions), 'session')}")
    return ("Incomplete report: " + "; ".join(parts) + ".") if parts else None


def section_missing(r: DailyReport, stage: str) -> str | None:
    """The note a section shows when its stage did not run or failed."""
    if stage in r.missing_stages:
        return f"Not available: the {stage} stage has no result for this day (failed or not run)."
    if stage in r.incomplete_stages:
        n = len(r.incomplete_stages[stage])
        return f"Partial: the {stage} stage has no result for {n} of {plural(len(r.sessions), 'session')}."
    return None
