"""`daily-report usage` and `daily-report sessions`: the Token Usage section and the day's sessions.

Thin: options are parsed here, the library (daily_report.usage) returns values, rich renders them on stdout.
Warnings go to stderr through logging; a DailyReportError becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import daily_report.sources.agents as agents
import typer
from daily_report.cli.usage_fast import day_range, json_text, run_usage
from daily_report.cli.usage_render import new_table, render, stdout_console
from daily_report.core.errors import DailyReportError
from daily_report.report.fmt import count as n
from daily_report.report.fmt import money

P = ParamSpec("P")
R = TypeVar("R")

CONFIG_OPT = typer.Option(None, "--config", help="daily-report.toml to use.")
TZ_OPT = typer.Option(None, "--tz", "-z", "--timezone", help="IANA time zone; a day is a local date in it.")
DATE_HELP = "Local day: YYYY-MM-DD, today or yesterday (default: today)."
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


@contextmanager
def _warnings_kept() -> Iterator[list[str]]:
    """The warnings said inside the block (they still go out as usual), for the sessions memo."""
    kept: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record.getMessage())

    handler = Keep(level=logging.WARNING)
    logger = logging.getLogger("daily_report")
    logger.addHandler(handler)
    try:
        yield kept
    finally:
        logger.removeHandler(handler)


def _remember_sessions(
    day: str, config_path: Path | None, tz: str | None, config: Any, text: str, warned: list[str]
) -> None:
    from daily_report.cli import sessions_fast
    from daily_report.sources.discovery import config_roots

    sessions_fast.remember(
        date=day,
        config=None if config_path is None else str(config_path),
        tz=tz,
        roots=config_roots(config),
        stdout=text,
        warnings=warned,
    )


def _context(config_path: Path | None, tz: str | None) -> tuple[Any, Any]:
    from daily_report.core.config import load_config, resolve_zone

    config = load_config(config_path, tz=tz)
    return config, resolve_zone(config)


@cli_errors
def usage(
    date_: str | None = typer.Option(None, "--date", help=DATE_HELP),
    since: str | None = typer.Option(None, "--since", help="First day of a range; alone: to today."),
    until: str | None = typer.Option(None, "--until", help="Last day of a range (YYYY-MM-DD)."),
    config_path: Path | None = CONFIG_OPT,
    tz: str | None = TZ_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """The day's token usage and cost of every agent (no LLM)."""
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
    date_: str | None = typer.Option(None, "--date", help=DATE_HELP),
    since: str | None = typer.Option(None, "--since", help="First day of a range; alone: to today."),
    until: str | None = typer.Option(None, "--until", help="Last day of a range (YYYY-MM-DD)."),
    config_path: Path | None = CONFIG_OPT,
    tz: str | None = TZ_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """The sessions of a day (or of each day of a range), then their totals: agent, device, project, times,
    prompts, tool calls, models, tokens, cost."""
    from datetime import timedelta

    from daily_report.usage.sessions import day_sessions
    from daily_report.usage.totals import sum_rows

    config, zone = _context(config_path, tz)
    first, last = day_range(date_, since, until, zone)
    ranged = bool(since or until)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    rows: list[tuple[Any, Any]] = []
    unread: dict[str, Any] = {}  # a file unread on several days is named once
    with _warnings_kept() as warned:
        for day in days:
            day_rows, day_unread = day_sessions(config, day=day, zone=zone)
            rows += [(day, r) for r in day_rows]
            unread.update((u.path, u) for u in day_unread)
    totals = sum_rows({"tokens": r.tokens, "cost_usd": r.cost_usd} for _, r in rows)
    totals = {
        "sessions": len(rows),
        "tokens": totals.get("tokens", 0),
        "cost_usd": totals.get("cost_usd", 0.0),
    }
    if as_json:
        listed = [
            {**({"date": d.isoformat()} if ranged else {}), **r.model_dump(mode="json")} for d, r in rows
        ]
        head = (
            {"since": first.isoformat(), "until": last.isoformat()} if ranged else {"date": first.isoformat()}
        )
        text = json_text(
            {
                **head,
                "timezone": str(zone),
                "sessions": listed,
                "totals": totals,
                "unread_files": [u.model_dump(mode="json") for u in unread.values()],
            }
        )
        sys.stdout.write(text)
        if not ranged and date_ == first.isoformat():  # the same command line answers from the memo
            _remember_sessions(date_, config_path, tz, config, text, warned)
        return
    cols = [
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
    ]
    title = f"Sessions {first} to {last}" if ranged else f"Sessions {first}"
    t = new_table(
        f"{title} ({zone})", *(["Date"] if ranged else []), *cols, "Tokens", "Cost", text_cols=6 + ranged
    )
    t.columns[7 + ranged].no_wrap = True  # "44 (+3 in subagents)" on one line
    for i, (day, r) in enumerate(rows):
        t.add_row(
            *([day.isoformat()] if ranged else []),
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
            end_section=i == len(rows) - 1,
        )
    label = f"Total ({len(rows)} session{'s' if len(rows) != 1 else ''})"
    pad = [""] * (len(cols) - 1 + ranged)
    t.add_row(label, *pad, n(totals["tokens"]), money(totals["cost_usd"]))
    stdout_console().print(t)


def register(app: typer.Typer) -> None:
    app.command("usage", help=f"The day's {agents.display_list()} token usage and cost (no LLM).")(usage)
    app.command("sessions")(sessions)
