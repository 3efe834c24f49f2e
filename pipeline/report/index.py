"""reports/index.html: every day found under the output directory, newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from daily_report.core.log import warn
from daily_report.report.atomic import atomic_write

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


HEADLINE_CHARS = 160


@dataclass(frozen=True)
class DayRow:
    date: str
    sessions: int | None
    agent_cost: float | None
    report_cost: float | None  # what the answers the report uses cost, whoever paid for them
    has_html: bool
    problem: str | None = None  # why the day's report.json could not be read
    variants: tuple[str, ...] = ()  # filtered runs' reports beside the full one: "session-7c1e", "zh" …
    run_cost: float | None = None  # what the run that wrote the report spent
    free: str = ""  # "free (replay)" when written with a free provider
    headline: str = ""  # the overview's "what was done", on one line
    flags: tuple[str, ...] = ()  # why the day is incomplete: failures, pending requests, missing stages
    files: tuple[str, ...] = ()  # the other formats beside report.html: "md", "json"


def headline(data: dict[str, Any]) -> str:
    """The overview's first point (else the summary) on one line, cut at a word near HEADLINE_CHARS."""
    overview = data.get("overview") or {}
    text = " ".join(str(overview.get("what_was_done") or data.get("summary") or "").split())
    if len(text) <= HEADLINE_CHARS:
        return text
    cut = text.rfind(" ", 0, HEADLINE_CHARS)
    return text[: cut if cut > HEADLINE_CHARS // 2 else HEADLINE_CHARS].rstrip(" ,;:") + "…"


def flags(data: dict[str, Any]) -> tuple[str, ...]:
    """What makes a day's report incomplete, in words."""
    gen = data.get("generation") or {}
    out = []
    if n := len(data.get("failures") or []):
        out.append(f"{n} failed request" + ("" if n == 1 else "s"))
    if n := int(gen.get("pending") or 0):
        out.append(f"{n} pending request" + ("" if n == 1 else "s"))
    if missing := data.get("missing_stages"):
        out.append("no " + ", ".join(missing))
    if partial := data.get("incomplete_stages"):
        out.append("partial " + ", ".join(partial))
    return tuple(out)


def variants_of(day_dir: Path) -> tuple[str, ...]:
    """The suffixes of a day's filtered reports (``report.<variant>.html``), sorted."""
    names = (p.name for p in day_dir.glob("report.*.html"))
    return tuple(sorted(n[len("report.") : -len(".html")] for n in names))


def _read_day(day_dir: Path) -> DayRow:
    date = day_dir.name
    has_html = (day_dir / "report.html").is_file()
    try:
        data = orjson.loads((day_dir / "report.json").read_bytes())
        usage = data.get("token_usage") or {}
        gen = data.get("generation") or {}
        return DayRow(
            date=date,
            sessions=len(data.get("sessions") or []),
            agent_cost=usage.get("total_cost_usd"),
            # reports written before answers_cost_usd existed give what their run spent
            report_cost=gen.get("answers_cost_usd", gen.get("cost_usd")),
            run_cost=gen.get("cost_usd"),
            free=f"free ({gen.get('provider') or 'replay'})" if gen.get("free") else "",
            has_html=has_html,
            variants=variants_of(day_dir),
            headline=headline(data),
            flags=flags(data),
            files=tuple(ext for ext in ("md", "json") if (day_dir / f"report.{ext}").is_file()),
        )
    except (OSError, orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as e:
        warn(f"index: {day_dir / 'report.json'} is unreadable ({e}); listed without figures")
        return DayRow(
            date, None, None, None, has_html, problem=type(e).__name__, variants=variants_of(day_dir)
        )


def scan_days(out_dir: Path) -> list[DayRow]:
    """Days (YYYY-MM-DD folders holding a report) under out_dir, newest first."""
    if not out_dir.is_dir():
        return []
    days = [
        d
        for d in out_dir.iterdir()
        if d.is_dir()
        and _DAY.match(d.name)
        and ((d / "report.json").exists() or (d / "report.html").exists())
    ]
    return [_read_day(d) for d in sorted(days, key=lambda d: d.name, reverse=True)]


def render_index(rows: list[DayRow]) -> str:
    from daily_report.report.html import render_template
    from daily_report.report.spend_chart import spend_over_days

    readable = [(r.date, r.agent_cost) for r in rows if r.problem is None]
    return render_template("index.html.j2", rows=rows, chart=spend_over_days(readable) if readable else None)


def write_index(out_dir: Path) -> Path:
    path = out_dir / "index.html"
    atomic_write(path, render_index(scan_days(out_dir)).encode("utf-8"))
    return path
