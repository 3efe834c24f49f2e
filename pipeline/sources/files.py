"""What discovery hands out: plain data, importable without pydantic or even ``dataclasses`` (whose import
alone is a tenth of a warm ``usage`` run)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

Agent = (
    str  # an adapter's name (``sources.agents.AGENTS``); the same as daily_report.schemas.transcript.Agent
)
FileKind = Literal["main", "subagent"]


class SourceFile(NamedTuple):
    """One transcript file found under a configured root (immutable; compares and hashes by value)."""

    path: Path
    agent: Agent
    device: str
    root: Path
    user: str | None = None
    kind: FileKind = "main"
    parent_session_id: str | None = None
    size: int = 0
    mtime_ns: int = 0
    real_name: str | None = None  # a symlinked file: the name of the file it points to (the session id)

    @property
    def cache_key(self) -> tuple[str, int, int]:
        """(path, size, mtime_ns): unchanged files need not be read again."""
        return (str(self.path), self.size, self.mtime_ns)


class DiscoveryResult:
    """Files found in config order, the warnings given, and how many roots could be read."""

    def __init__(
        self,
        files: list[SourceFile] | None = None,
        warnings: list[str] | None = None,
        roots_read: int = 0,
        unread: list[tuple[str, str]] | None = None,
    ) -> None:
        self.files: list[SourceFile] = [] if files is None else files
        self.warnings: list[str] = [] if warnings is None else warnings
        self.roots_read = roots_read
        self.unread: list[tuple[str, str]] = [] if unread is None else unread  # (folder, reason)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DiscoveryResult):
            return NotImplemented
        return (self.files, self.warnings, self.roots_read) == (other.files, other.warnings, other.roots_read)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it replaces

    def __repr__(self) -> str:
        return (
            f"DiscoveryResult(files={self.files!r}, warnings={self.warnings!r}, roots_read={self.roots_read})"
        )
