"""The ``usage`` command's tables on stdout (rich), without typer: the light runner prints them too.

The rows come from ``daily_report.report.usage_tables`` (the report's one computation of the Token Usage
tables); ``rich`` and the report schema are imported when a table is printed.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import daily_report.sources.agents as agents
from daily_report.report.fmt import count as n
from daily_report.report.fmt import money

if TYPE_CHECKING:
    from daily_report.schemas.usage import UsageReport
    from rich.console import Console
    from rich.table import Table


def stdout_console() -> Console:
    """stdout; when it is not a terminal (a pipe, a test) wide enough that model names are never cut."""
    from rich.console import Console

    # markup off: device and model names and notes are printed as they are ([lab] is not a tag)
    return Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160, markup=False)


def new_table(title: str, *cols: str, text_cols: int = 1) -> Table:
    """Text in the first ``text_cols`` columns (left), figures after them (right)."""
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_lines=False)
    for i, c in enumerate(cols):
        t.add_column(c, justify="left" if i < text_cols else "right")
    return t


def usage_tables(r: UsageReport) -> list[Table]:
    """The report's Token Usage tables (``daily_report.report.usage_tables.usage_views``: the same rows,
    order and cells) as rich tables; an agent without usage gets no table."""
    from daily_report.report.usage_tables import usage_views

    out = []
    for view in usage_views(r):
        for table in view.tables:
            title = f"{view.agent}: {table.title}" if table.title == "Overview" else table.title
            t = new_table(title, *table.headers)
            for row in table.rows:
                t.add_row(*row)
            out.append(t)
    return out


def render_day(r: UsageReport) -> None:
    from rich.text import Text

    out = stdout_console()
    out.print(Text("Token Usage", style="bold"), f"{r.date} ({r.timezone})")
    tables = usage_tables(r)
    if not tables:
        out.print("No agent usage recorded for this day.")
    for t in tables:
        out.print(t)
    out.print(f"Total cost (USD): {money(r.total_cost_usd)}")
    for note in r.notes:
        out.print(Text(f"note: {note}", style="dim"), highlight=False)


def render_range(reports: list[UsageReport]) -> None:
    """A row per day with activity (as ccusage), then the range's totals."""
    from daily_report.usage.totals import is_active, range_totals

    days = [d for d in (r.model_dump(mode="json") for r in reports) if is_active(d)]
    first, last = (reports[0].date, reports[-1].date) if reports else ("", "")
    cols = [c for a in agents.AGENTS for c in (f"{a.short} Tokens", f"{a.short} Cost")]
    t = new_table(
        f"Token Usage by day, {first} to {last}" + (f" ({reports[0].timezone})" if reports else ""),
        "Date",
        *cols,
        "Total Cost",
    )

    def cells(label: str, by_agent: dict[str, Any], total: float | None) -> list[str]:
        """Each agent's tokens and cost (registry order; an idle agent's cost is 0), then the total."""
        out = [label]
        for a in agents.AGENTS:
            row = by_agent.get(a.name) or {}
            out += [
                n(row.get("total_tokens", 0)),
                money(row.get("cost_usd", 0.0) if row.get("responses") else 0.0),
            ]
        return [*out, money(total)]

    for i, d in enumerate(days):
        by_agent = {name: a.get("totals") or {} for name, a in d["agents"].items()}
        t.add_row(*cells(d["date"], by_agent, d.get("total_cost_usd")), end_section=i == len(days) - 1)
    totals = range_totals(days)
    t.add_row(*cells(f"Total ({totals['days']} days)", totals["agents"], totals["total_cost_usd"]))
    out = stdout_console()
    if not days:
        out.print(f"No agent usage recorded from {first} to {last}.")
        return
    out.print(t)


def render(reports: list[UsageReport], ranged: bool) -> None:
    """The usage command's tables: one day's Token Usage section, or a row per day for a range."""
    if ranged:
        render_range(reports)
    else:
        render_day(reports[0])
