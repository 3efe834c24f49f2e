"""reports/index.html: every day found under the output directory, newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from pipeline.log import warn
from pipeline.report.atomic import atomic_write

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class DayRow:
    date: str
    sessions: int | None
    agent_cost: float | None
    report_cost: float | None
    has_html: bool
    problem: str | None = None  # why the day's report.json could not be read
    variants: tuple[str, ...] = ()  # filtered runs' reports beside the full one: "session-7c1e", "zh" …
    incomplete: str | None = None  # what the day's report lacks: missing stages, failed requests


def incomplete_note(data: dict[str, Any]) -> str | None:
    """One line on what a report.json lacks (stages with no result, partial stages, failed requests)."""
    parts = []
    if missing := data.get("missing_stages"):
        parts.append("no " + ", ".join(map(str, missing)))
    if partial := data.get("incomplete_stages"):
        parts.append("partial " + ", ".join(map(str, partial)))
    if failures := data.get("failures"):
        parts.append(f"{len(failures)} failed request{'s' if len(failures) != 1 else ''}")
    return "; ".join(parts) or None


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
        return DayRow(
            date=date,
            sessions=len(data.get("sessions") or []),
            agent_cost=usage.get("total_cost_usd"),
            report_cost=(data.get("generation") or {}).get("cost_usd"),
            has_html=has_html,
            variants=variants_of(day_dir),
            incomplete=incomplete_note(data),
        )
    except (OSError, orjson.JSONDecodeError, AttributeError) as e:
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
    from pipeline.report.html import render_template

    return render_template("index.html.j2", rows=rows)


def write_index(out_dir: Path) -> Path:
    path = out_dir / "index.html"
    atomic_write(path, render_index(scan_days(out_dir)).encode("utf-8"))
    return path
