"""The ``usage`` command below its option parsing, shared by the typer command (``usage_cmd``) and the
console entry's light path, which runs ``usage --json`` without importing typer, click or rich (about
75 ms of a cold run).

Order of work: config, days, discovery, the report memo, the per-file index (files read by worker
processes while this one imports pricing), then stdout, and the quick answer is remembered for the next
identical run (``pipeline.usage.quick``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import ConfigError, DailyReportError

if TYPE_CHECKING:
    from schemas.usage import UsageReport

Render = Callable[[list["UsageReport"], bool], None]  # (reports, is a range) → tables on stdout


def parse_day(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{what} {value!r} is not a date: use YYYY-MM-DD") from None


def skipped_warning(reports: Sequence[UsageReport]) -> str | None:
    """``2 transcript lines skipped in 2 files: 1 malformed, 1 truncated last line; e.g. <path>``."""
    from pipeline.sources.jsonl import add_kinds, skipped_text

    files: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for r in reports:
        files.update(r.skipped_files)
        add_kinds(kinds, r.skipped_by_kind)
    text = skipped_text(kinds, files=len(files))
    return None if text is None else f"{text}; e.g. {next(iter(files))}"


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
    from pipeline import log
    from pipeline.config import load_config, resolve_zone
    from pipeline.usage.build import build_usage_days, discover_files

    config = load_config(config_path, tz=tz)
    zone = resolve_zone(config)
    if since or until:
        if date_:
            raise ConfigError("give either --date or --since/--until, not both")
        first = parse_day(since or until or "", "--since")
        last = parse_day(until or since or "", "--until")
        if last < first:
            raise ConfigError(f"--until {last} is before --since {first}")
    else:
        first = last = parse_day(date_, "--date") if date_ else datetime.now(zone).date()
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
    text = json_text(dumped[0] if len(dumped) == 1 and not ranged else dumped)
    sys.stdout.write(text)
    if built.cacheable and getattr(zone, "key", None):
        from pipeline.sources.discovery import config_roots
        from pipeline.usage import quick

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


def run_light(argv: Sequence[str]) -> bool:
    """``usage --json`` run here without typer (True), or False for the typer app to handle."""
    from pipeline.usage.quick import parse_args

    req = parse_args(argv)
    if req is None or not req.as_json:
        return False
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        run_usage(
            date_=req.date,
            since=req.since,
            until=req.until,
            config_path=None if req.config is None else Path(req.config),
            tz=req.tz,
            render=None,
        )
    except DailyReportError as e:  # as usage_cmd.cli_errors does
        from rich.console import Console
        from rich.markup import escape

        message = f"[red]error:[/red] {escape(str(e))}"
        Console(stderr=True, file=sys.stderr).print(message, highlight=False, soft_wrap=True)
        raise SystemExit(e.exit_code) from None
    except KeyboardInterrupt:  # as click does
        sys.stderr.write("Aborted!\n")
        raise SystemExit(1) from None
    return True
