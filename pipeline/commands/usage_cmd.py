"""`daily-report usage` and `daily-report sessions`: the Token Usage section and the day's sessions.

Thin: options are parsed here, the library (pipeline.usage) returns values, rich renders them on stdout.
Warnings go to stderr through logging; a DailyReportError becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer

from pipeline.commands.usage_fast import json_text, parse_day, run_usage
from pipeline.commands.usage_render import new_table, render, stdout_console
from pipeline.errors import DailyReportError
from pipeline.report.fmt import count as n
from pipeline.report.fmt import money

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
    """``--debug`` was given: the app's callback then set the root logger to DEBUG."""
    return logging.getLogger().isEnabledFor(logging.DEBUG)


def _print_json(data: Any) -> None:
    sys.stdout.write(json_text(data))


def _context(config_path: Path | None, tz: str | None) -> tuple[Any, Any]:
    from pipeline.config import load_config, resolve_zone

    config = load_config(config_path, tz=tz)
    return config, resolve_zone(config)


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
        render=None if as_json else render,
    )


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
    t = new_table(
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
    stdout_console().print(t)


def register(app: typer.Typer) -> None:
    app.command("usage")(usage)
    app.command("sessions")(sessions)
