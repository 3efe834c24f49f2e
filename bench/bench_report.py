"""Report build and render time on a large synthetic day (many sessions, items on every stage).

Prints the time to build the DailyReport and to render each format, and the output sizes.
Usage: python bench/bench_report.py [sessions]   (default 200 sessions, 5 items per stage each)
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from daily_report.report.build import build_report
from daily_report.report.html import render_html
from daily_report.report.json_out import render_json
from daily_report.report.markdown import render_markdown
from daily_report.schemas.report import (
    Generation,
    HumanAISession,
    Provenance,
    ReportIssue,
    ReportLimitation,
    ReportTakeaway,
    ReportTask,
    ReportTopic,
    SessionSummary,
)
from daily_report.schemas.usage import UsageReport

TEXT = "Ran the 649-scenario evaluation on an49 with srun --overlap; ARI 0.313 vs 0.387 for concat. " * 3


def _prov(sid: str, device: str, i: int) -> Provenance:
    return Provenance(
        device=device, session_id=sid, agent="claude_code", project="p", turn_start=i, turn_end=i + 3
    )


def synthetic(n_sessions: int, per: int) -> dict[str, Any]:
    t0 = datetime(2026, 3, 3, tzinfo=UTC)
    sessions, results = [], {k: {} for k in ("tasks", "issues", "human_ai", "takeaways")}
    for s in range(n_sessions):
        sid, dev = f"{s:08x}-0000-4000-8000-000000000000", f"dev{s % 4}"
        start = t0 + timedelta(minutes=7 * s)
        sessions.append(
            SessionSummary(
                session_id=sid,
                device=dev,
                agent="claude_code",
                project=f"project-{s % 12}",
                title=f"Session {s}",
                status="done",
                summary=TEXT,
                start=start,
                end=start + timedelta(minutes=40),
            )
        )
        p = [_prov(sid, dev, i) for i in range(per)]
        results["tasks"][sid] = [
            ReportTask(
                title=f"task {s}-{i}",
                category="implementation_fixes",
                status="done",
                details=TEXT,
                turn_start=i,
                turn_end=i + 3,
                provenance=p[i],
            )
            for i in range(per)
        ]
        results["issues"][sid] = [
            ReportIssue(
                problem=f"issue {s}-{i}",
                cause=TEXT,
                solution=TEXT,
                resolved=True,
                key_insight=TEXT,
                severity="general",
                turn_start=i,
                turn_end=i + 3,
                provenance=p[i],
            )
            for i in range(per)
        ]
        results["human_ai"][sid] = HumanAISession(
            topics=[
                ReportTopic(
                    topic=f"topic {s}-{i}",
                    level="strategic",
                    human=TEXT,
                    ai=TEXT,
                    analysis=TEXT,
                    turn_start=i,
                    turn_end=i + 3,
                    provenance=p[i],
                )
                for i in range(per)
            ],
            limitations=[
                ReportLimitation(
                    limitation=f"limit {s}-{i}",
                    severity="general",
                    turn_start=i,
                    turn_end=i + 3,
                    provenance=p[i],
                )
                for i in range(per)
            ],
        )
        results["takeaways"][sid] = [
            ReportTakeaway(
                text=f"takeaway {s}-{i} {TEXT}", kind="core", turn_start=i, turn_end=i + 3, provenance=p[i]
            )
            for i in range(per)
        ]
    return {"sessions": sessions, "results": results}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    data = synthetic(n, 5)
    t = time.perf_counter()
    report = build_report(
        date="2026-03-03",
        timezone="UTC",
        lang="en",
        sessions=data["sessions"],
        results=data["results"],
        day_results={},
        usage=UsageReport(date="2026-03-03", timezone="UTC"),
        generation=Generation(),
        redaction={},
        failures=[],
        skipped_lines=0,
        skipped_sessions={},
    )
    print(f"build  {n} sessions, {len(report.tasks)} tasks: {time.perf_counter() - t:.3f} s")
    for name, fn in (("markdown", render_markdown), ("html", render_html), ("json", render_json)):
        t = time.perf_counter()
        out = fn(report)
        size = len(out.encode() if isinstance(out, str) else out)
        print(f"{name:8} {time.perf_counter() - t:.3f} s, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
