"""What discovery hands out: plain dataclasses, importable without pydantic (the warm ``usage`` path)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Agent = Literal["claude_code", "codex"]  # the same values as schemas.transcript.Agent
FileKind = Literal["main", "subagent"]


@dataclass(frozen=True)
class SourceFile:
    """One transcript file found under a configured root."""

    path: Path
    agent: Agent
    device: str
    root: Path
    user: str | None = None
    kind: FileKind = "main"
    parent_session_id: str | None = None
    size: int = 0
    mtime_ns: int = 0

    @property
    def cache_key(self) -> tuple[str, int, int]:
        """(path, size, mtime_ns): unchanged files need not be read again."""
        return (str(self.path), self.size, self.mtime_ns)


@dataclass
class DiscoveryResult:
    files: list[SourceFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    roots_read: int = 0
