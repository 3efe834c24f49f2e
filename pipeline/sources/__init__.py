"""Transcript sources: discovery of files per device, and readers into normalized sessions.

Public API (others call these):
- ``discover(config) -> DiscoveryResult``
- ``read_file_usage(f: SourceFile) -> FileUsage``: fast usage-only path, no turns
- ``read_usage_rows(f: SourceFile) -> UsageRows``: the same usage as plain rows (the index's hot path)
- ``read_sessions(files) -> ReadResult``
- ``load_sessions(config, *, date=None, zone=None) -> ReadResult``
"""

from __future__ import annotations

from pipeline.sources.discovery import discover, guess_user
from pipeline.sources.reader import active_on, load_sessions, read_file_usage, read_sessions, read_usage_rows
from pipeline.sources.types import DiscoveryResult, FileUsage, ReadResult, SourceFile, UsageRows

READER_VERSION = "2"
"""Bumped whenever what the readers return for the same bytes changes (invalidates usage indexes)."""

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
