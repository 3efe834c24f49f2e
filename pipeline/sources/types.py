"""What discovery and the readers hand out: plain data that round-trips through orjson."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from daily_report.schemas.transcript import Agent, Session, SkippedLines, UnreadFile, UsageEvent
from daily_report.sources.files import DiscoveryResult, FileKind, SourceFile
from pydantic import BaseModel, Field

__all__ = ["DiscoveryResult", "FileKind", "FileUsage", "ReadResult", "SourceFile", "UsageRows", "rows_of"]

FIELD_ORDER = tuple(UsageEvent.model_fields)  # a usage row holds a UsageEvent's values in this order


class FileUsage(BaseModel):
    """The fast-path result for one file: usage events and little else (no turns)."""

    path: str
    agent: Agent
    device: str
    session_id: str = Field(description="Session the usage belongs to (the parent's for subagent files).")
    parent_session_id: str | None = None
    is_subagent: bool = False
    events: list[UsageEvent] = Field(default_factory=list)
    start: datetime | None = Field(default=None, description="Earliest line time seen (UTC).")
    end: datetime | None = Field(default=None, description="Latest line time seen (UTC).")
    skipped: SkippedLines


@dataclass
class UsageRows:
    """The usage fast path's light result for one file: rows of ``UsageEvent`` field values in field
    order (``FIELD_ORDER``), no pydantic object per event."""

    path: str
    agent: Agent
    session_id: str
    start: datetime | None
    end: datetime | None
    skipped: SkippedLines
    rows: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class ReadResult:
    sessions: list[Session] = field(default_factory=list)
    skipped: list[SkippedLines] = field(default_factory=list)
    unread: list[UnreadFile] = field(default_factory=list)  # files and folders not read, whole or in part


def rows_of(fu: FileUsage) -> UsageRows:
    """A reader's FileUsage as plain rows: for an agent without a row-level scanner of its own."""
    rows = [tuple(getattr(e, k) for k in FIELD_ORDER) for e in fu.events]
    return UsageRows(
        path=fu.path,
        agent=fu.agent,
        session_id=fu.session_id,
        start=fu.start,
        end=fu.end,
        skipped=fu.skipped,
        rows=rows,
    )
