"""Transcript sources: discovery of files per device, and readers into normalized sessions.

Public API (others call these):
- ``discover(config) -> DiscoveryResult``
- ``read_file_usage(f: SourceFile) -> FileUsage``: fast usage-only path, no turns
- ``read_usage_rows(f: SourceFile) -> UsageRows``: the same usage as plain rows (the index's hot path)
- ``read_sessions(files) -> ReadResult``
- ``load_sessions(config, *, date=None, zone=None) -> ReadResult``

Imports are lazy: discovery (``daily_report.sources.discovery``) loads without pydantic or the readers, so
that a warm ``usage`` run stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daily_report.sources.discovery import discover, guess_user
    from daily_report.sources.files import DiscoveryResult, SourceFile
    from daily_report.sources.reader import active_on, load_sessions, read_file_usage, read_sessions
    from daily_report.sources.types import FileUsage, ReadResult, UsageRows
    from daily_report.sources.usage_rows import read_usage_rows

READER_VERSION = "2"
"""Bumped whenever what the readers return for the same bytes changes (invalidates usage indexes)."""

_EXPORTS = {
    "DiscoveryResult": "daily_report.sources.files",
    "SourceFile": "daily_report.sources.files",
    "FileUsage": "daily_report.sources.types",
    "ReadResult": "daily_report.sources.types",
    "UsageRows": "daily_report.sources.types",
    "discover": "daily_report.sources.discovery",
    "guess_user": "daily_report.sources.discovery",
    "active_on": "daily_report.sources.reader",
    "load_sessions": "daily_report.sources.reader",
    "read_file_usage": "daily_report.sources.reader",
    "read_sessions": "daily_report.sources.reader",
    "read_usage_rows": "daily_report.sources.usage_rows",
}

__all__ = [
    "READER_VERSION",
    "DiscoveryResult",
    "FileUsage",
    "ReadResult",
    "SourceFile",
    "UsageRows",
    "active_on",
    "discover",
    "guess_user",
    "load_sessions",
    "read_file_usage",
    "read_sessions",
    "read_usage_rows",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # once: later lookups (and monkeypatching) see a plain attribute
        return value
    raise AttributeError(f"module 'daily_report.sources' has no attribute {name!r}")
