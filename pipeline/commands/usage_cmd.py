"""`daily-report usage` and `daily-report sessions`: the Token Usage section and the day's sessions.

Thin: options are parsed here, the library (pipeline.usage) returns values, rich renders them on stdout.
Warnings go to stderr through logging; a DailyReportError becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer

from pipeline.commands.usage_fast import json_text, parse_day, run_usage
from pipeline.errors import DailyReportError
from pipeline.report.fmt import count as n
from pipeline.report.fmt import money

if TYPE_CHECKING:  # rich and the report schema are imported when needed (a warm --json run needs neither)
    from rich.console import Console
    from rich.table import Table

    from schemas.usage import UsageReport

P = ParamSpec("P")
R = TypeVar("R")

CONFIG_OPT = typer.Option(None, "--config", help="daily-report.toml to use.")
TZ_OPT = typer.Option(None, "--tz", help="IANA time zone; a day is a local date in it.")
JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of tables.")


def cli_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """A DailyReportError becomes one line on stderr and its exit code (2); --debug keeps the traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DailyReportError as e:
            if _debug():
                raise
            from rich.console import Console
            from rich.markup import escape

            Console(stderr=True, file=sys.stderr).print(
                f"[red]error:[/red] {escape(str(e))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(e.exit_code) from None

    return wrapper


def _debug() -> bool:
    try:
        from pipeline.cli import _state

        return bool(_state.get("debug"))
    except ImportError:  # pragma: no cover
        return False


def _out() -> Console:
    """stdout; when it is not a terminal (a pipe, a test) wide enough that model names are never cut."""
    from rich.console import Console

    # markup off: device and model names and notes are printed as they are ([lab] is not a tag)
    return Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160, markup=False)


def _print_json(data: Any) -> None:
    sys.stdout.write(json_text(data))


def _context(config_path: Path | None, tz: str | None) -> tuple[Any, Any]:
    from pipeline.config import load_config, resolve_zone

    config = load_config(config_path, tz=tz)
    return config, resolve_zone(config)


def _table(title: str, *cols: str, text_cols: int = 1) -> Table:
    """Text in the first ``text_cols`` columns (left), figures after them (right)."""
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_lines=False)
    for i, c in enumerate(cols):
        t.add_column(c, justify="left" if i < text_cols else "right")
    return t


def usage_tables(r: UsageReport) -> list[Table]:
    """The report's Token Usage tables (``pipeline.report.usage_tables.usage_views``: the same rows,
    order and cells) as rich tables; an agent without usage gets no table."""
    from pipeline.report.usage_tables import usage_views

    out = []
    for view in usage_views(r):
        for table in view.tables:
            title = f"{view.agent}: {table.title}" if table.title == "Overview" else table.title
            t = _table(title, *table.headers)
            for row in table.rows:
                t.add_row(*row)
            out.append(t)
    return out


def render_day(r: UsageReport) -> None:
    from rich.text import Text

    out = _out()
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
    t = _table(
        "Token Usage by day",
        "Date",
        "Claude Tokens",
        "Claude Cost",
        "Codex Tokens",
        "Codex Cost",
        "Total Cost",
    )
    for r in reports:
        cc, cx = r.agents.claude_code.totals, r.agents.codex.totals
        t.add_row(
            r.date,
            n(cc.total_tokens),
            money(cc.cost_usd if cc.responses else 0.0),
            n(cx.total_tokens),
            money(cx.cost_usd if cx.responses else 0.0),
            money(r.total_cost_usd),
        )
    _out().print(t)


@cli_errors
def usage(
    date_: str | None = typer.Option(None, "--date", help="Local day, YYYY-MM-DD (default: today)."),
    since: str | None = typer.Option(None, "--since", help="First day of a range (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Last day of a range (YYYY-MM-DD)."),
    config_path: Path | None = CONFIG_OPT,
    tz: str | None = TZ_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """The day's Claude Code and Codex token usage and cost (no LLM)."""
    run_usage(
        date_=date_,
        since=since,
        until=until,
        config_path=config_path,
        tz=tz,
        render=None if as_json else _render,
    )


def _render(reports: list[UsageReport], ranged: bool) -> None:
    if ranged:
        render_range(reports)
    else:
        render_day(reports[0])


@cli_errors
def sessions(
    date_: str | None = typer.Option(None, "--date", help="Local day, YYYY-MM-DD (default: today)."),
    config_path: Path | None = CONFIG_OPT,
    tz: str | None = TZ_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """The day's sessions: agent, device, project, times, prompts, tool calls, models, tokens, cost."""
    from pipeline.usage.sessions import session_rows

    config, zone = _context(config_path, tz)
    day = parse_day(date_, "--date") if date_ else datetime.now(zone).date()
    rows = session_rows(config, day=day, zone=zone)
    if as_json:
        _print_json(
            {
                "date": day.isoformat(),
                "timezone": str(zone),
                "sessions": [r.model_dump(mode="json") for r in rows],
            }
        )
        return
    t = _table(
        f"Sessions {day} ({zone})",
        "Agent",
        "Device",
        "Project",
        "Session",
        "Start",
        "End",
        "Prompts",
        "Tool calls",
        "Errors",
        "Models",
        "Tokens",
        "Cost",
        text_cols=6,
    )
    t.columns[7].no_wrap = True  # "44 (+3 in subagents)" on one line
    for r in rows:
        t.add_row(
            r.agent,
            r.device,
            r.project,
            r.id[:8],
            r.start_local or "-",
            r.span_end_label(),
            str(r.human_prompts),
            r.tools_label(),
            str(r.tool_errors),
            "\n".join(r.models),
            n(r.tokens),
            money(r.cost_usd),
        )
    _out().print(t)


def register(app: typer.Typer) -> None:
    app.command("usage")(usage)
    app.command("sessions")(sessions)
