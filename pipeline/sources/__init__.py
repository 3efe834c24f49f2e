"""Transcript sources: discovery of files per device, and readers into normalized sessions.

Public API (others call these):
- ``discover(config) -> DiscoveryResult``
- ``read_file_usage(f: SourceFile) -> FileUsage``: fast usage-only path, no turns
- ``read_usage_rows(f: SourceFile) -> UsageRows``: the same usage as plain rows (the index's hot path)
- ``read_sessions(files) -> ReadResult``
- ``load_sessions(config, *, date=None, zone=None) -> ReadResult``

Imports are lazy: discovery (``pipeline.sources.discovery``) loads without pydantic or the readers, so
that a warm ``usage`` run stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.sources.discovery import discover, guess_user
    from pipeline.sources.files import DiscoveryResult, SourceFile
    from pipeline.sources.reader import active_on, load_sessions, read_file_usage, read_sessions
    from pipeline.sources.types import FileUsage, ReadResult, UsageRows
    from pipeline.sources.usage_rows import read_usage_rows

READER_VERSION = "2"
"""Bumped whenever what the readers return for the same bytes changes (invalidates usage indexes)."""

_EXPORTS = {
    "DiscoveryResult": "pipeline.sources.files",
    "SourceFile": "pipeline.sources.files",
    "FileUsage": "pipeline.sources.types",
    "ReadResult": "pipeline.sources.types",
    "UsageRows": "pipeline.sources.types",
    "discover": "pipeline.sources.discovery",
    "guess_user": "pipeline.sources.discovery",
    "active_on": "pipeline.sources.reader",
    "load_sessions": "pipeline.sources.reader",
    "read_file_usage": "pipeline.sources.reader",
    "read_sessions": "pipeline.sources.reader",
    "read_usage_rows": "pipeline.sources.usage_rows",
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
    raise AttributeError(f"module 'pipeline.sources' has no attribute {name!r}")
