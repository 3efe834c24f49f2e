"""What an agent whose every session is one file shares (Codex rollouts, Gemini CLI chats): the session key,
the read order, the stats read, usage rows from the usage read, and dedup by the first copy of each key.

An adapter inherits these and declares the rest (its readers, roots, columns, pricing). Light on purpose: the
adapters are imported on the warm ``usage`` path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daily_report.schemas.transcript import Session
    from daily_report.sources.types import FileUsage, SourceFile, UsageRows
    from daily_report.usage.session_facts import StatsRead


class OneFileSessions:
    def session_key(self, f: SourceFile) -> str:
        return str(f.path)  # one file per session

    def read_order(self, f: SourceFile) -> str:
        return ""  # the files share no lines: any order

    def read_session(self, files: Sequence[SourceFile], claimed: dict[str, str]) -> Session:
        raise NotImplementedError

    def read_stats(
        self, files: Sequence[SourceFile], claimed: dict[str, str], resume: bytes | None = None
    ) -> StatsRead:
        """The full read (its scrubbing is not where its time goes), never continued: ``resume`` is ignored."""
        from daily_report.usage.session_facts import stats_of

        return stats_of(self.read_session(files, claimed))

    def read_usage(self, f: SourceFile) -> FileUsage:
        raise NotImplementedError

    def read_usage_rows(self, f: SourceFile) -> UsageRows:
        from daily_report.sources.types import rows_of  # the readers' types load when usage is read

        return rows_of(self.read_usage(f))

    def dedup(self, events: list[Any]) -> list[Any]:
        """One count per dedup key, whichever file holds it."""
        from daily_report.usage.rules import first_copy_per_key  # the usage step's rule, loaded when it runs

        return first_copy_per_key(events)
