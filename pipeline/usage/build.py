"""The Token Usage section for a day (or a range of days) from the configured roots."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.sources.types import FileUsage, SourceFile
from pipeline.usage.aggregate import bucket_by_day, build_day
from pipeline.usage.dedup import dedup_events
from pipeline.usage.load import load_file_usages
from schemas.config import Config
from schemas.transcript import UsageEvent
from schemas.usage import UsageReport

# Copies of one response (resume, compaction, sync) carry the same timestamps; a file whose lines all lie
# further than this from the requested days cannot hold that day's usage and is not decoded or deduped.
WINDOW = timedelta(days=2)


@dataclass
class Collected:
    """Deduped usage events of the files in range, and the files they came from."""

    events: list[UsageEvent] = field(default_factory=list)
    files: list[FileUsage] = field(default_factory=list)


def discover_files(config: Config) -> list[SourceFile]:
    """Discovery (it logs its own warnings); raises NoSourcesError when no root can be read."""
    from pipeline.sources import discover

    return list(discover(config).files)


def _in_window(fu: FileUsage, lo: datetime, hi: datetime) -> bool:
    if fu.start is None or fu.end is None:
        return True  # cannot tell: keep it
    return fu.end >= lo and fu.start <= hi


def collect(
    config: Config, *, since: date, until: date, zone: ZoneInfo, files: Sequence[SourceFile] | None = None
) -> Collected:
    files = discover_files(config) if files is None else files
    usages = load_file_usages(files)
    lo = datetime.combine(since, datetime.min.time(), zone) - WINDOW
    hi = datetime.combine(until, datetime.max.time(), zone) + WINDOW
    kept = [fu for fu in usages if _in_window(fu, lo, hi)]
    events = dedup_events(e for fu in kept for e in fu.events)
    return Collected(events=events, files=kept)


def _skipped(report: UsageReport, files: list[FileUsage], day: date, zone: ZoneInfo) -> None:
    """Skipped lines of the files that have activity on the day (or whose times are unknown)."""
    for fu in files:
        s = fu.skipped
        if not s.malformed:
            continue
        if (
            fu.start
            and fu.end
            and not (fu.start.astimezone(zone).date() <= day <= fu.end.astimezone(zone).date())
        ):
            continue
        report.skipped_lines += s.malformed
        report.skipped_files[s.path] = s.malformed


def _zone_name(zone: ZoneInfo) -> str:
    return zone.key if getattr(zone, "key", None) else str(zone)


def build_usage_range(config: Config, *, since: date, until: date, zone: ZoneInfo) -> list[UsageReport]:
    """One report per local day from ``since`` to ``until`` inclusive (days without usage included)."""
    return _build(config, since=since, until=until, zone=zone, files=None)


def build_usage_report(
    config: Config, *, date: date, zone: ZoneInfo, files: Sequence[SourceFile] | None = None
) -> UsageReport:
    """The Token Usage section of one local day."""
    return _build(config, since=date, until=date, zone=zone, files=files)[0]


def _build(
    config: Config, *, since: date, until: date, zone: ZoneInfo, files: Sequence[SourceFile] | None
) -> list[UsageReport]:
    got = collect(config, since=since, until=until, zone=zone, files=files)
    days = bucket_by_day(got.events, zone)
    reports = []
    day = since
    while day <= until:
        report = build_day(
            days.get(day, []),
            day=day,
            timezone=_zone_name(zone),
            overrides=config.prices,
            device_order=list(config.devices),
        )
        _skipped(report, got.files, day, zone)
        reports.append(report)
        day += timedelta(days=1)
    return reports
