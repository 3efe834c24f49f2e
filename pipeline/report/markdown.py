"""report.md, in the reference reports' order. Transcript-derived text is escaped where Markdown would act."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from daily_report.report import footer
from daily_report.report.build import group_by_project, project_lines
from daily_report.report.code_spans import code_markdown, escape_backticks, split_code
from daily_report.report.fmt import (
    NO_STATUS_TEXT,
    STATUS_TEXT,
    agent_label,
    money,
    plural,
    provenance,
    session_time,
    zone,
)
from daily_report.report.sections import SECTIONS, ReportSection
from daily_report.report.usage_tables import Table, usage_views
from daily_report.schemas.report import (
    DailyReport,
    Provenance,
    ReportIssue,
    ReportTask,
    ReportTopic,
    SessionSummary,
)

T = TypeVar("T")

_TAG = re.compile(r"<(?=[A-Za-z/!?])")
# no backtick fence: every backtick inline() leaves is escaped or delimits a span closed on the same line,
# and a backtick fence's info string may not hold a backtick (CommonMark)
_BLOCK_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|\d{1,9}[.)](?=\s|$)|~{3,}|=+\s*$)")
_WS = re.compile(r"\s+")
# link and image syntax: `![alt](url)` would make a viewer fetch the url, `[x](javascript:…)` is a link
_LINK = re.compile(r"!\[|\]\(|\]\[|^\[(?=[^\]]*\]:)")
_LINK_ESCAPE = {"![": "!\\[", "](": "\\](", "][": "\\][", "[": "\\["}


def inline(text: str) -> str:
    """One line: whitespace collapsed; outside code spans, HTML-looking tags and autolinks (``<https://…>``)
    neutralized, image and link syntax (``![``, ``](``, ``][``, a leading ``[ref]:``) and stray backticks
    escaped; code spans kept verbatim (a viewer shows their content as text); a leading block marker escaped."""
    one = _WS.sub(" ", text).strip()
    if "`" in one:
        one = "".join(code_markdown(p) if is_code else _plain(p) for p, is_code in split_code(one))
    else:
        one = _plain(one)
    return _BLOCK_START.sub(_escape_marker, one)


def _plain(text: str) -> str:
    text = escape_backticks(_TAG.sub("&lt;", text))
    if "[" in text or "](" in text:
        text = _LINK.sub(lambda m: _LINK_ESCAPE[m.group(0)], text)
    return text


def _escape_marker(m: re.Match[str]) -> str:
    marker = m.group(2)
    if marker[0].isdigit():  # "1." -> "1\."
        return m.group(1) + marker[:-1] + "\\" + marker[-1]
    return m.group(1) + "\\" + marker


def cell(text: str) -> str:
    """A table cell: inline text with `|` escaped."""
    return inline(text).replace("|", "\\|")


def block(text: str) -> str:
    """A paragraph block: paragraphs kept, each line escaped as inline text."""
    paras = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "\n\n".join("\n".join(inline(line) for line in p.splitlines() if line.strip()) for p in paras)


def table(t: Table) -> list[str]:
    lines = ["| " + " | ".join(t.headers) + " |", "|" + "---|" * len(t.headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in t.rows]
    return lines


def _ref(p: Provenance) -> str:
    return f" <sub>{cell(provenance(p))}</sub>"


def _grouped(
    items: Sequence[T], key: Callable[[T], str], labels: dict[str, str]
) -> Iterable[tuple[str, list[T]]]:
    for value, label in labels.items():
        group = [i for i in items if key(i) == value]
        if group:
            yield label, group


def _note(r: DailyReport, stage: str | None) -> list[str]:
    note = footer.section_missing(r, stage) if stage else None
    return [f"> {note}", ""] if note else []


def _shown(items: Sequence[T]) -> list[T]:
    """The items the day editor selected; the others live in report.json and the HTML."""
    return [i for i in items if getattr(i, "selected", True)]


def _more(items: Sequence[object], noun: str) -> list[str]:
    """One line for what the cap left out, or nothing."""
    n = sum(1 for i in items if not getattr(i, "selected", True))
    return [f"_{n} more {noun}{'' if n == 1 else 's'} in report.json / report.html._", ""] if n else []


def _three(what: str, how: str, why: str) -> list[str]:
    rows = [("What was done", what), ("How it was done", how), ("Why it matters", why)]
    return [f"- **{label}:** {inline(text)}" for label, text in rows if text.strip()]


def _overview(r: DailyReport, s: ReportSection) -> list[str]:
    out = [f"## {s.title}", "", *_note(r, s.stage)]
    o = r.overview
    out += [*_three(o.what_was_done, o.how_it_was_done, o.why_it_matters), ""]
    for d in r.devices:
        out += [
            f"### {inline(d.device)}",
            "",
            *_three(d.what_was_done, d.how_it_was_done, d.why_it_matters),
            "",
        ]
    if r.summary.strip():
        out += [block(r.summary), ""]
    return out


def _task(t: ReportTask, n: int) -> list[str]:
    return [f"- {STATUS_TEXT[t.status]} **{inline(t.title)}** — {inline(t.details)}{_ref(t.provenance)}"]


def _issue(i: ReportIssue, n: int) -> list[str]:
    out = [f"**{n}. {inline(i.problem)}**{_ref(i.provenance)}", ""]
    if i.cause.strip():
        out.append(f"- **Cause:** {inline(i.cause)}")
    return [*out, f"- **Solution:** {inline(i.solution)}", f"- **Key Insight:** {inline(i.key_insight)}", ""]


def _topic(t: ReportTopic, n: int) -> list[str]:
    out = [f"#### {inline(t.topic)}", ""]
    out += table(Table("", ("Role", "Approach"), [("Human", t.human), ("AI", t.ai)]))
    return [*out, "", f"**Analysis:** {inline(t.analysis)}{_ref(t.provenance)}", ""]


_LOOKS: dict[str, Callable[[Any, int], list[str]]] = {"task": _task, "issue": _issue, "topic": _topic}


def _items(r: DailyReport, s: ReportSection) -> list[str]:
    """A section of items (``report.sections``): the selected ones by group, numbered in the order they show,
    then one line for the rest."""
    items = getattr(r, s.field or "")
    out = [f"## {s.title}", "", *_note(r, s.stage)]
    n = 0
    for label, group in _grouped(_shown(items), lambda x: getattr(x, s.group_by), s.labels or {}):
        out += [f"### {label}", ""]
        for x in group:
            n += 1
            if s.look == "bullet":
                out.append(f"- {inline(getattr(x, s.text))}{_ref(x.provenance)}")
            else:
                out += _LOOKS[s.look](x, n)
        out.append("")
    if not items and s.empty and not footer.section_missing(r, s.stage or ""):
        out += [s.empty, ""]
    return out + _more(items, s.noun)


def session_line(s: SessionSummary, tz_name: str, day: str) -> str:
    mark = STATUS_TEXT.get(s.status or "", NO_STATUS_TEXT)
    meta = [session_time(s, zone(tz_name), day), agent_label(s.agent), s.device]
    if s.models:
        meta.append(", ".join(s.models))
    failed = " (incomplete)" if s.failed else ""
    return f"{mark} **{inline(s.title or 'Untitled session')}**{failed} · {inline(' · '.join(meta))}"


def _sessions(r: DailyReport, s: ReportSection) -> list[str]:
    out = [f"## {s.title}", "", *_note(r, s.stage)]
    if not r.sessions:
        return [*out, "No sessions on this day.", ""]
    headlines = project_lines(r)
    for project, sessions in group_by_project(r.sessions):
        out += [f"### {inline(project)}", ""]
        if (p := headlines.get(project)) is not None:
            out += [f"_{inline(p.headline)}_ — {inline(p.summary)}", ""]
        for one in sessions:
            out += [session_line(one, r.timezone, r.date) + f" <sub>{cell(one.session_id)}</sub>", ""]
            if one.summary.strip():
                out += [block(one.summary), ""]
    return out


def _usage(r: DailyReport, s: ReportSection) -> list[str]:
    out = [f"## {s.title}", ""]
    views = usage_views(r.token_usage)
    if not views:
        out += ["No agent usage recorded for this day.", ""]
    for view in views:
        out += [f"### {view.agent}", ""]
        for t in view.tables:
            out += [f"#### {t.title}", "", *table(t), ""]
    u = r.token_usage
    if u.unpriced_models:
        out += [f"Unpriced models (cost unknown): {inline(', '.join(u.unpriced_models))}", ""]
    out += [f"- {inline(n)}" for n in u.notes]
    return [*out, ""] if u.notes else out


def _footer(r: DailyReport, s: ReportSection) -> list[str]:
    out = ["---", "", f"## {s.title}", "", footer.generation_line(r.generation), ""]
    if r.generation.by_stage:
        out += [*table(footer.stage_table(r.generation)), ""]
    if missing := footer.missing_line(r):
        out += [missing, ""]
    redactions = sum(r.redaction.values())
    out += [f"Redactions: {redactions:,}" + (" by rule:" if redactions else "."), ""]
    if r.redaction:
        out += [*table(footer.redaction_table(r)), ""]
    out += [footer.skipped_line(r), ""]
    if unread := footer.unread_line(r, code=lambda p: f"`{p}`"):
        out += [unread, ""]
    if r.failures:
        out += [f"Failures: {len(r.failures)}", "", *table(footer.failure_table(r)), ""]
    stamp = f"{r.generated_at:%Y-%m-%d %H:%M} UTC" if r.generated_at else "unknown time"
    out += [f"<sub>Generated {stamp} · schema v{r.schema_version} · language {r.lang}</sub>", ""]
    return out


def render_markdown(report: DailyReport) -> str:
    r = report
    n_dev = len({s.device for s in r.sessions})
    spent = f" · agents spent {money(r.token_usage.total_cost_usd)}" if usage_views(r.token_usage) else ""
    head = [
        f"# Daily Report — {r.date}",
        "",
        f"<sub>{plural(len(r.sessions), 'session')} on {plural(n_dev, 'device')} · times in {inline(r.timezone)}"
        f"{spent} · {footer.report_costs(r.generation)}</sub>",
        "",
    ]
    if missing := footer.missing_line(r):  # flagged first: a reader must not take a partial day as whole
        head += [f"> **{missing}**", ""]
    parts = [head, *(_RENDER[s.kind](r, s) for s in SECTIONS)]
    lines = [line for part in parts for line in part]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


_RENDER: dict[str, Callable[[DailyReport, ReportSection], list[str]]] = {
    "overview": _overview,
    "items": _items,
    "sessions": _sessions,
    "usage": _usage,
    "about": _footer,
}
