"""report.html: one self-contained page (no fetch of any kind), jinja2 with autoescape.

Transcript-derived values are only ever passed as plain strings, so jinja escapes them; the SVG charts are
built by charts.py, which escapes every text it embeds. A Content-Security-Policy allows inline styles,
data: images and exactly one script (by hash): the expand / collapse-all buttons.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import daily_report.sources.agents as agents
from daily_report.report import charts, footer
from daily_report.report.build import group_by_project, project_lines
from daily_report.report.code_spans import code_html, code_plain
from daily_report.report.fmt import (
    STATUS_LABEL,
    agent_label,
    anchor,
    money,
    plural,
    provenance,
    session_time,
    turns,
    zone,
)
from daily_report.report.icons import status_icon
from daily_report.report.sections import SECTIONS, ReportSection
from daily_report.report.usage_tables import usage_views
from daily_report.schemas.report import DailyReport
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

T = TypeVar("T")

SCRIPT = (
    "document.addEventListener('click',function(e){"
    "var b=e.target.closest('[data-expand]');if(!b)return;"
    "var open=b.getAttribute('data-expand')==='1';"
    "document.querySelectorAll('details').forEach(function(d){d.open=open;});});"
    "window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true;});});"
)


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def _with_code(value: Any) -> Any:
    """Every plain string the templates print: code spans (`x`) become ``<code>``, the rest is escaped.
    Markup (charts, the script) passes as it is."""
    if isinstance(value, str) and not isinstance(value, Markup) and "`" in value:
        return code_html(value)
    return value


def _heading(title: str) -> Markup:
    """A section title of ours, escaped as the template's literal text was: ``&`` as ``&amp;``, ``'`` kept."""
    return Markup(str(escape(title)).replace("&#39;", "'"))


_env = Environment(
    loader=PackageLoader("daily_report.report", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_with_code,
)
_env.filters["plain"] = code_plain
_env.globals.update(
    status_icon=lambda s: status_icon(s, STATUS_LABEL.get(s or "", "unknown")),
    status_label=lambda s: STATUS_LABEL.get(s or "", "unknown"),
    agent_label=agent_label,
    anchor=anchor,
    provenance=provenance,
    turns=turns,
    money=money,
    plural=plural,
    heading=_heading,
)


def _grouped(
    items: Sequence[T], key: Callable[[T], str], labels: dict[str, str]
) -> list[tuple[str, list[T]]]:
    return [(label, g) for value, label in labels.items() if (g := [i for i in items if key(i) == value])]


def _split(items: Sequence[T]) -> tuple[list[T], list[T]]:
    """(selected, the rest): the rest is offered collapsed ("9 more tasks")."""
    return [i for i in items if getattr(i, "selected", True)], [
        i for i in items if not getattr(i, "selected", True)
    ]


@dataclass(frozen=True)
class _Shown:
    """One section as the template prints it: the selected items by group and the collapsed rest, each item
    with its number in the order it shows (issues print it)."""

    section: ReportSection
    groups: list[tuple[str, list[tuple[int, Any]]]]
    more: list[tuple[int, Any]]


def _shown(r: DailyReport, s: ReportSection) -> _Shown:
    if s.field is None:
        return _Shown(s, [], [])
    shown, rest = _split(getattr(r, s.field))
    groups, n = [], 0
    for label, group in _grouped(shown, lambda x: getattr(x, s.group_by), s.labels or {}):
        groups.append((label, [(n + k, x) for k, x in enumerate(group, start=1)]))
        n += len(group)
    return _Shown(s, groups, [(n + k, x) for k, x in enumerate(rest, start=1)])


def _context(r: DailyReport) -> dict[str, Any]:
    tz = zone(r.timezone)
    return {
        "r": r,
        "csp": _csp(),
        "script": Markup(SCRIPT),
        "n_devices": len({s.device for s in r.sessions}),
        "agent_cost": r.token_usage.total_cost_usd,
        "missing": lambda stage: footer.section_missing(r, stage),
        "sections": [_shown(r, s) for s in SECTIONS],
        "projects": project_lines(r),
        "groups": group_by_project(r.sessions),
        "session_time": lambda s: session_time(s, tz, r.date),
        "usage_views": usage_views(r.token_usage),
        "report_costs": footer.report_costs(r.generation),
        "generation_line": footer.generation_line(r.generation),
        "stage_table": footer.stage_table(r.generation),
        "redaction_table": footer.redaction_table(r),
        "failure_table": footer.failure_table(r),
        "skipped_line": footer.skipped_line(r),
        "unread_line": footer.unread_line(r),
        "missing_line": footer.missing_line(r),
        "chart_models": charts.cost_by_model(r.token_usage),
        "chart_devices": charts.cost_by_device(r.token_usage),
        "chart_stages": charts.cost_by_stage(r.generation),
        "chart_timeline": charts.timeline(r.sessions, day=r.date, tz=tz),
        "agent_keys": agent_keys(),
    }


def agent_keys() -> list[tuple[str, str, str]]:
    """(name, display name, colour) of each agent: the CSS colours and the timeline's legend."""
    return [(a.name, a.display, a.color) for a in agents.AGENTS]


def render_html(report: DailyReport) -> str:
    return _env.get_template("report.html.j2").render(**_context(report))


def render_template(name: str, **context: Any) -> str:
    """Another page from this package's templates (the index), with the same escaping rules."""
    return _env.get_template(name).render(
        csp=_csp(), script=Markup(SCRIPT), agent_keys=agent_keys(), **context
    )
