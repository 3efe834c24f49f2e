"""The index's hot path: one file's usage as plain rows, through the file's agent's adapter (whose usage
reader ``Agent.preload`` loads before the index's workers fork; the session readers are not needed there)."""

from __future__ import annotations

import daily_report.sources.agents as agents
from daily_report.sources.types import SourceFile, UsageRows


def read_usage_rows(f: SourceFile) -> UsageRows:
    """The same usage as ``read_file_usage`` as plain rows (the index's hot path: no pydantic per event)."""
    return agents.agent_named(f.agent).read_usage_rows(f)
