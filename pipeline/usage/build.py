"""The Token Usage section for a day (or a range of days) from the configured roots.

A warm run with nothing changed is answered from a memo in the index: the reports are stored under a hash
of everything that decides them (every file's path, size, mtime and device in config order, the days, the
zone, the price overrides, the code of the readers and of this package, and the genai-prices version).
Any change is a miss, and a miss recomputes from the per-file index. Pricing is imported only on a miss.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import orjson
from daily_report.core.paths import SCHEMAS_DIR
from daily_report.schemas.config import Config
from daily_report.sources.types import SourceFile
from daily_report.usage.dedup import dedup_events
from daily_report.usage.events import Ev
from daily_report.usage.index import FileEvents, UsageIndex, code_hash
from daily_report.usage.load import gc_paused, load_file_usages

if TYPE_CHECKING:
    from daily_report.schemas.usage import UsageReport

REPORT_FORMAT = "usage-report-1"

# Copies of one response (resume, compaction, sync) carry the same timestamps; a file whose lines all lie
# further than this from the requested days cannot hold that day's usage and is not decoded or deduped.
WINDOW = timedelta(days=2)


@dataclass
class Collected:
    """Deduped usage events of the files in range, and the files they came from."""

    events: list[Ev] = field(default_factory=list)
    files: list[FileEvents] = field(default_factory=list)


def discover_files(config: Config) -> list[SourceFile]:
    """Discovery (it logs its own warnings); raises NoSourcesError when no root can be read."""
    from daily_report.sources.discovery import discover

    return list(discover(config).files)


def collect(
    config: Config,
    *,
    since: date,
    until: date,
    zone: ZoneInfo,
    files: Sequence[SourceFile],
    index_path: Path | None = None,
) -> Collected:
    lo = datetime.combine(since, datetime.min.time(), zone) - WINDOW
    hi = datetime.combine(until, datetime.max.time(), zone) + WINDOW
    kept = load_file_usages(files, window=(lo, hi), meanwhile=_preload, index_path=index_path)
    events = dedup_events(e for fu in kept for e in fu.events)
    return Collected(events=events, files=kept)


def _preload() -> None:
    """Pricing, its bundled price tables and the report schema take a noticeable time to import: done
    while the workers read."""
    import daily_report.usage.aggregate  # noqa: F401
    import genai_prices.data  # noqa: F401  (loaded on the first price lookup otherwise)


def _skipped(report: UsageReport, files: list[FileEvents], day: date, zone: ZoneInfo) -> None:
    """Skipped lines (every kind, ``jsonl.skipped_by_kind``) of the files that have activity on the day
    (or whose times are unknown)."""
    from daily_report.sources.jsonl import add_kinds, skipped_by_kind

    for fu in files:
        kinds = skipped_by_kind(fu.skipped)
        if not kinds and not fu.skipped.unreadable:
            continue
        if (
            fu.start
            and fu.end
            and not (fu.start.astimezone(zone).date() <= day <= fu.end.astimezone(zone).date())
        ):
            continue
        if fu.skipped.unreadable:
            report.unread_files[fu.skipped.path] = fu.skipped.unreadable
        if not kinds:
            continue
        add_kinds(report.skipped_by_kind, kinds)
        report.skipped_lines += sum(kinds.values())
        report.skipped_files[fu.skipped.path] = sum(kinds.values())


def _zone_name(zone: ZoneInfo) -> str:
    return zone.key if getattr(zone, "key", None) else str(zone)


def build_usage_range(
    config: Config,
    *,
    since: date,
    until: date,
    zone: ZoneInfo,
    files: Sequence[SourceFile] | None = None,
    index_path: Path | None = None,
) -> list[UsageReport]:
    """One report per local day from ``since`` to ``until`` inclusive (days without usage included)."""
    got = build_usage_days(config, since=since, until=until, zone=zone, files=files, index_path=index_path)
    return got.reports


def build_usage_report(
    config: Config,
    *,
    date: date,
    zone: ZoneInfo,
    files: Sequence[SourceFile] | None = None,
    index_path: Path | None = None,
) -> UsageReport:
    """The Token Usage section of one local day. ``index_path``: the file index and report memo (default:
    ``index.sqlite3`` in the user cache dir; a run with its own cache location passes one beside it)."""
    got = build_usage_days(config, since=date, until=date, zone=zone, files=files, index_path=index_path)
    return got.reports[0]


@dataclass
class Built:
    """Reports of the days asked for; ``cacheable`` is False when a file could not be read."""

    reports: list[UsageReport]
    cacheable: bool


@functools.cache
def _report_code() -> str:
    usage = Path(__file__).resolve().parent
    paths = [*usage.glob("*.py"), usage.parent / "core" / "pricing.py", SCHEMAS_DIR / "usage.py"]
    paths += (usage.parent / "sources").glob("*/adapter.py")  # each agent's columns and rows
    return code_hash(paths)


def _memo_key(
    files: Sequence[SourceFile],
    *,
    since: date,
    until: date,
    zone: ZoneInfo,
    config: Config,
    index_version: str,
) -> str:
    h = hashlib.sha256()
    from daily_report.usage.quick import prices_stamp

    head = [REPORT_FORMAT, index_version, _report_code(), prices_stamp()]
    head += [since.isoformat(), until.isoformat()]
    head += [_zone_name(zone), *config.devices]
    h.update(orjson.dumps([head, {k: v.model_dump() for k, v in sorted(config.prices.items())}]))
    for f in files:
        h.update(f"{f.path}\0{f.size}\0{f.mtime_ns}\0{f.device}\0{f.agent}\n".encode())
    return h.hexdigest()


def build_usage_days(
    config: Config,
    *,
    since: date,
    until: date,
    zone: ZoneInfo,
    files: Sequence[SourceFile] | None = None,
    index_path: Path | None = None,
) -> Built:
    """``build_usage_range`` that also says whether the result may be remembered."""
    files = discover_files(config) if files is None else files
    with UsageIndex(index_path) as idx:
        key = _memo_key(files, since=since, until=until, zone=zone, config=config, index_version=idx.version)
        memo = idx.get_memo(key)
    if memo is not None:
        from daily_report.schemas.usage import UsageReport

        return Built([UsageReport.model_validate(r) for r in orjson.loads(memo)], cacheable=True)
    with gc_paused():
        got = collect(config, since=since, until=until, zone=zone, files=files, index_path=index_path)
        reports = _reports(got, config=config, since=since, until=until, zone=zone)
    # a file that could not be opened (a permission) may be fixed without a change the memo key sees
    cacheable = not any((f.skipped.first_error or "").startswith("unreadable") for f in got.files)
    if cacheable:
        with UsageIndex(index_path) as idx:
            idx.put_memo(key, orjson.dumps([r.model_dump(mode="json") for r in reports]))
    return Built(reports, cacheable=cacheable)


def _reports(
    got: Collected, *, config: Config, since: date, until: date, zone: ZoneInfo
) -> list[UsageReport]:
    from daily_report.usage.aggregate import bucket_by_day, build_day

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
