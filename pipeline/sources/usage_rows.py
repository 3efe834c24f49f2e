"""The index's hot path: one file's usage as plain rows, importing only the Claude Code usage scanner
(the index's worker processes are forked with it loaded; the session readers are not needed there)."""

from __future__ import annotations

from pipeline.sources.claude.usage import FIELD_ORDER, scan_claude_usage
from pipeline.sources.types import SourceFile, UsageRows


def read_usage_rows(f: SourceFile) -> UsageRows:
    """The same usage as ``read_file_usage`` as plain rows (the index's hot path: no pydantic per event)."""
    if f.agent == "claude_code":
        scan = scan_claude_usage(f)
        return UsageRows(
            path=str(f.path),
            agent="claude_code",
            session_id=scan.session_id,
            start=scan.start,
            end=scan.end,
            skipped=scan.skipped,
            rows=scan.rows,
        )
    from pipeline.sources.codex.session import read_codex_usage  # the full Codex reader: only when there is one

    fu = read_codex_usage(f)
    rows = [tuple(getattr(e, k) for k in FIELD_ORDER) for e in fu.events]
    return UsageRows(
        path=fu.path,
        agent="codex",
        session_id=fu.session_id,
        start=fu.start,
        end=fu.end,
        skipped=fu.skipped,
        rows=rows,
    )
