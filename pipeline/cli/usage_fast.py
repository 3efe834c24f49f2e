"""``daily-report usage`` below its typer options, and the console entry's light path for ``usage``.

``answer(argv)`` prints the warm answer from the memo (``daily_report.usage.quick``) before typer, click,
rich, pydantic or the price tables are imported; ``run_light(argv)`` runs any other ``usage`` (JSON, or
tables through ``usage_render``) without typer or click (~0.1 s of a run); the typer command
(``usage_cmd``) calls ``run_usage`` too, for ``--help`` and anything the light parser does not take.

Order of work in ``run_usage``: config, days, discovery, the report memo, the per-file index (files read by
worker processes while this one imports pricing), then stdout, and the answer is remembered for the next
identical run. The light runner turns cyclic GC off while it runs; the console entry (``cli.main``) then
ends the process without the interpreter's teardown.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from daily_report.core.errors import ConfigError, DailyReportError

if TYPE_CHECKING:
    from daily_report.schemas.usage import UsageReport

Render = Callable[[list["UsageReport"], bool], None]  # (reports, is a range) → tables on stdout

_VALUE_OPTS = ("--date", "--since", "--until", "--config", "--tz")
_ALIASES = {"-z": "--tz", "--timezone": "--tz"}  # ccusage's names for the zone
_DAY_WORDS = {"today": 0, "yesterday": 1}  # for cron: ``--date yesterday``


class Request(NamedTuple):
    """The options of one ``usage`` command line."""

    date: str | None = None
    since: str | None = None
    until: str | None = None
    config: str | None = None
    tz: str | None = None
    as_json: bool = False


def parse_args(argv: Sequence[str]) -> Request | None:
    """``usage`` with only its known options, each at most once and non-empty; else None."""
    if not argv or argv[0] != "usage":
        return None
    values: dict[str, str] = {}
    as_json = False
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--json":
            as_json = True
            continue
        name, eq, value = arg.partition("=")
        name = _ALIASES.get(name, name)
        if name not in _VALUE_OPTS or name in values:
            return None
        if not eq:
            if i >= len(argv):
                return None
            value = argv[i]
            i += 1
        if not value or value.startswith("-"):
            return None
        values[name] = value
    get = values.get
    return Request(get("--date"), get("--since"), get("--until"), get("--config"), get("--tz"), as_json)


def days_of(req: Request, zone_name: str) -> tuple[date, date] | None:
    """The days the full path would report, or None where it would fail (it says why)."""
    from zoneinfo import ZoneInfo

    try:
        return day_range(req.date, req.since, req.until, ZoneInfo(zone_name))
    except (ConfigError, ValueError):
        return None


def _warn_setup() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)


def answer(argv: Sequence[str]) -> bool:
    """Print the warm answer of ``usage --json`` and return True; False when the full path must run."""
    req = parse_args(argv)
    if req is None or not req.as_json:
        return False
    from daily_report.usage import quick

    got = quick.lookup(
        config_option=req.config,
        tz_option=req.tz,
        days_in=lambda zone: days_of(req, zone),
        ranged=bool(req.since or req.until),
    )
    if got is None:
        return False
    stdout, warnings = got
    if warnings:
        from daily_report.core.log import warn

        _warn_setup()
        for message in warnings:
            warn(message)
    sys.stdout.write(stdout)
    return True


def parse_day(value: str, what: str, zone: Any = None) -> date:
    """YYYY-MM-DD, or ``today`` / ``yesterday`` in ``zone`` (default: the system's)."""
    if value in _DAY_WORDS:
        from datetime import timedelta

        now = datetime.now(zone) if zone is not None else datetime.now().astimezone()
        return now.date() - timedelta(days=_DAY_WORDS[value])
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{what} {value!r} is not a date: use YYYY-MM-DD, today or yesterday") from None


def day_range(date_: str | None, since: str | None, until: str | None, zone: Any) -> tuple[date, date]:
    """The first and last local day asked for; ``--since D`` alone runs from D to today (as ccusage)."""
    if since or until:
        if date_:
            raise ConfigError("give either --date or --since/--until, not both")
        first = parse_day(since or until or "", "--since" if since else "--until", zone)
        last = parse_day(until, "--until", zone) if until else datetime.now(zone).date()
        if last < first:
            what = f"--until {last}" if until else f"today ({last})"
            raise ConfigError(f"{what} is before --since {first}")
        return first, last
    day = parse_day(date_, "--date", zone) if date_ else datetime.now(zone).date()
    return day, day


def skipped_warning(reports: Sequence[UsageReport]) -> str | None:
    """``2 transcript lines skipped in 2 files: 1 malformed, 1 truncated last line; e.g. <path>``."""
    from daily_report.sources.jsonl import add_kinds, skipped_text
    from daily_report.sources.unreadable import unread_text

    files: dict[str, int] = {}
    kinds: dict[str, int] = {}
    unread: dict[str, str] = {}
    for r in reports:
        files.update(r.skipped_files)
        add_kinds(kinds, r.skipped_by_kind)
        unread.update(r.unread_files)
    text = skipped_text(kinds, files=len(files))
    parts = [] if text is None else [f"{text}; e.g. {next(iter(files))}"]
    if unread:
        parts.append(unread_text(unread))
    return "\n".join(parts) or None


def json_text(data: Any) -> str:
    import orjson

    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n"


def run_usage(
    *,
    date_: str | None,
    since: str | None,
    until: str | None,
    config_path: Path | None,
    tz: str | None,
    render: Render | None,
) -> None:
    """Tables through ``render``, or (``render=None``) the JSON of ``usage --json`` on stdout."""
    from daily_report.core import log
    from daily_report.core.config import load_config, resolve_zone
    from daily_report.usage.build import build_usage_days, discover_files

    config = load_config(config_path, tz=tz)
    zone = resolve_zone(config)
    first, last = day_range(date_, since, until, zone)
    files = discover_files(config)
    built = build_usage_days(config, since=first, until=last, zone=zone, files=files)
    reports = built.reports
    warning = skipped_warning(reports)
    if warning:
        log.warn(warning)
    ranged = bool(since or until)
    if render is not None:
        render(reports, ranged)
        return
    dumped = [r.model_dump(mode="json") for r in reports]
    if ranged:
        from daily_report.usage.totals import range_json

        zone_name = getattr(zone, "key", None) or str(zone)
        text = json_text(range_json(dumped, since=str(first), until=str(last), timezone=zone_name))
    else:
        text = json_text(dumped[0])
    sys.stdout.write(text)
    if built.cacheable and getattr(zone, "key", None):
        from daily_report.sources.discovery import config_roots
        from daily_report.usage import quick

        quick.remember(
            config_option=None if config_path is None else str(config_path),
            tz_option=tz,
            roots=config_roots(config),
            zone_name=zone.key,
            days=(first, last),
            ranged=ranged,
            files=files,
            stdout=text,
            warning=warning,
        )


def _tables() -> Render:
    from daily_report.cli.usage_render import render

    return render


def run_light(argv: Sequence[str]) -> bool:
    """``usage`` (JSON or tables) run here without typer (True), or False for the typer app to handle
    (``--help``, an unknown option, any other command)."""
    req = parse_args(argv)
    if req is None:
        return False
    import gc

    # One short process: no cyclic collection while it runs (imports build thousands of objects, the run
    # ~10⁵ rows and events, none of them in cycles worth collecting; each collection walks them all).
    enabled = gc.isenabled()
    gc.disable()
    _warn_setup()
    try:
        run_usage(
            date_=req.date,
            since=req.since,
            until=req.until,
            config_path=None if req.config is None else Path(req.config),
            tz=req.tz,
            render=None if req.as_json else _tables(),
        )
    except DailyReportError as e:  # as usage_cmd.cli_errors does
        from rich.console import Console
        from rich.markup import escape

        message = f"[red]error:[/red] {escape(str(e))}"
        Console(stderr=True, file=sys.stderr).print(message, highlight=False, soft_wrap=True)
        raise SystemExit(e.exit_code) from None
    except KeyboardInterrupt:  # as the typer command does (its click): exit 130, nothing printed
        raise SystemExit(130) from None
    except BrokenPipeError:  # the reader went away (``| head``): exit 1 quietly, as typer's stdout does
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        raise SystemExit(1) from None
    finally:
        if enabled:
            gc.enable()
    return True
