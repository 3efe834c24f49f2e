"""Hand-made stage results for the report tests (not a test module itself)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from daily_report.engine.editor import edit_day
from daily_report.report.build import build_report, order_sessions
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.overview import DeviceOverview, OverviewOutput
from daily_report.schemas.report import (
    DailyReport,
    Failure,
    Generation,
    ProjectEntry,
    Provenance,
    ReportIssue,
    ReportLimitation,
    ReportTakeaway,
    ReportTask,
    ReportTopic,
    SessionSummary,
    StageGeneration,
)
from daily_report.schemas.usage import AgentUsage, TokenRow, UsageReport

EVIL = [
    "<script>alert(1)</script>",
    '<img src=x onerror="window.__pwned=1">',
    "javascript:window.__pwned=1",
]

S1, S2, S3, S4 = (
    "0533cb2c-6524-4a66-9d1e-aaaaaaaaaaaa",
    "b06d0c8a-bc68-4dc1-8f00-bbbbbbbbbbbb",
    "672b6265-2efc-4f10-9a00-cccccccccccc",
    "019c8a3e-1b2c-7d3e-9f40-5a6b7c8d9e0f",
)


def t(h: int, m: int, day: int = 22) -> datetime:
    return datetime(2026, 2, day, h, m, tzinfo=UTC)


def prov(sid: str, device: str, a: int, b: int, project: str = "MIHD") -> Provenance:
    agent = "codex" if sid == S4 else "claude_code"
    return Provenance(device=device, session_id=sid, agent=agent, project=project, turn_start=a, turn_end=b)


def _claude_row(inp: int, out: int, created: int, read: int, cost: float) -> TokenRow:
    tokens = {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_tokens": created,
        "cache_read_tokens": read,
    }
    return TokenRow(tokens=tokens, total_tokens=inp + out + created + read, cost_usd=cost)


def claude_usage(*, devices: bool = True) -> AgentUsage:
    """Reference report 000's figures; totals are sums of the models, as pipeline/usage computes them."""
    models = {
        "claude-haiku-4-5-20251001": _claude_row(39_891, 873, 447_836, 4_455_296, 1.0496),
        "claude-opus-4-6": _claude_row(26, 292, 66_244, 1_030_462, 0.9367),
    }
    for m in models.values():
        m.cost_share = (m.cost_usd or 0.0) / sum(x.cost_usd or 0.0 for x in models.values())
    fields = ("input_tokens", "output_tokens", "cache_creation_tokens", "cache_read_tokens")
    sums = {f: sum(m.count(f) for m in models.values()) for f in fields}
    totals = TokenRow(
        tokens=sums,
        total_tokens=sum(m.total_tokens for m in models.values()),
        cost_usd=round(sum(m.cost_usd or 0.0 for m in models.values()), 4),
        rates={
            "cache_hit_rate": sums["cache_read_tokens"]
            / (sums["cache_read_tokens"] + sums["cache_creation_tokens"])
        },
    )
    by_device = {"DCC": models["claude-opus-4-6"], "tianhe": models["claude-haiku-4-5-20251001"]}
    return AgentUsage(models=models, devices=by_device if devices else {}, totals=totals)


def codex_usage(cost: float | None = 0.4213) -> AgentUsage:
    m = TokenRow(
        input_tokens=812_000,
        cached_input_tokens=700_000,
        output_tokens=9_100,
        reasoning_tokens=4_000,
        total_tokens=821_100,
        cost_usd=cost,
        responses=12,
        cost_share=None if cost is None else 1.0,
    )
    return AgentUsage(models={"gpt-5.3-codex": m}, devices={"tianhe": m}, totals=m)


def usage(codex_cost: float | None = 0.4213) -> UsageReport:
    return UsageReport(
        date="2026-02-22",
        timezone="UTC",
        agents={"claude_code": claude_usage(), "codex": codex_usage(codex_cost)},
        total_cost_usd=None if codex_cost is None else 1.9863 + codex_cost,
        unpriced_models=[] if codex_cost is not None else ["gpt-5.3-codex"],
        notes=["Subagent output tokens are a lower bound."],
    )


def sessions(evil: str = "") -> list[SessionSummary]:
    return [
        SessionSummary(
            session_id=S1,
            device="DCC",
            agent="claude_code",
            project="MIHD",
            title="cleanup",
            start=t(9, 5),
            end=t(11, 40),
            models=["claude-opus-4-6"],
            summary="pre-facts",
        ),
        SessionSummary(
            session_id=S2,
            device="tianhe",
            agent="claude_code",
            project="Error Recovery Benchmark",
            title="bench",
            start=t(13, 0),
            end=t(14, 10),
            models=["claude-haiku-4-5-20251001"],
        ),
        SessionSummary(
            session_id=S3,
            device="DCC",
            agent="claude_code",
            project="MIHD",
            title="refine",
            start=t(15, 0),
            end=t(15, 30),
            models=["claude-opus-4-6"],
        ),
        SessionSummary(
            session_id=S4,
            device="tianhe",
            agent="codex",
            project="Pi0.5 Phoenix",
            title=f"midnight {evil}",
            start=t(23, 40),
            end=t(0, 50, day=23),
            spans_days=["2026-02-22", "2026-02-23"],
            models=["gpt-5.3-codex"],
        ),
    ]


def results(evil: str = "") -> dict[str, dict[str, Any]]:
    facts = {
        S1: SessionFacts(
            title=f"Project cleanup {evil}",
            project="MIHD",
            status="done",
            summary=f"Deleted ~3146 lines of scripts. {evil}",
        ),
        S2: SessionFacts(
            title="M14 evaluation launch",
            project="ERB",
            status="in_progress",
            summary="Sanity check on 10 scenarios passed; 649-scenario run launched.",
        ),
        S3: SessionFacts(
            title="Vision refinement",
            project="MIHD",
            status="investigation",
            summary="scan_cluster refine + concat ARI=0.313 < 0.387.",
        ),
        S4: SessionFacts(
            title=f"Phoenix data pipeline {evil}",
            project="Pi0.5",
            status="blocked",
            summary=f"Downloaded 18.4GB via hf-mirror.com | datasets 3.6.0 {evil}",
        ),
    }
    tasks = {
        S1: [
            ReportTask(
                title=f"MIHD cleanup {evil}",
                category="implementation_fixes",
                status="done",
                details=f"Deleted 3 scripts (~3146 lines) {evil}",
                turn_start=2,
                turn_end=9,
                provenance=prov(S1, "DCC", 2, 9),
            )
        ],
        S2: [
            ReportTask(
                title="M14 baseline evaluation",
                category="architecture_strategy",
                status="in_progress",
                details="649 scenarios × 2 strategies × 3 seeds",
                turn_start=1,
                turn_end=30,
                provenance=prov(S2, "tianhe", 1, 30, "Error Recovery Benchmark"),
            )
        ],
        S3: [
            ReportTask(
                title="Vision refinement framework",
                category="architecture_strategy",
                status="done",
                details="--vision_refine with scan_cluster",
                turn_start=0,
                turn_end=4,
                provenance=prov(S3, "DCC", 0, 4),
            ),
            ReportTask(
                title="MIHD  cleanup!",
                category="implementation_fixes",
                status="done",
                details="duplicate of the first",
                turn_start=5,
                turn_end=6,
                provenance=prov(S3, "DCC", 5, 6),
            ),
        ],
        S4: [
            ReportTask(
                title="Pi0 VLA server launch",
                category="implementation_fixes",
                status="blocked",
                details="Port 5555 already in use",
                turn_start=3,
                turn_end=8,
                provenance=prov(S4, "tianhe", 3, 8, "Pi0.5 Phoenix"),
            )
        ],
    }
    issues = {
        S2: [
            ReportIssue(
                problem="Slurm srun hangs without --overlap",
                cause="job step contention",
                solution="use srun --overlap --jobid",
                resolved=True,
                key_insight="--overlap matters",
                severity="general",
                turn_start=4,
                turn_end=7,
                provenance=prov(S2, "tianhe", 4, 7, "Error Recovery Benchmark"),
            )
        ],
        S4: [
            ReportIssue(
                problem=f"lerobot 0.1.0 incompatible with datasets>=4.0 {evil}",
                cause="Column return type",
                solution=f"Downgrade datasets to 3.6.0 {evil}",
                resolved=True,
                key_insight="pin datasets<4.0 | check matrices",
                severity="critical",
                turn_start=10,
                turn_end=14,
                provenance=prov(S4, "tianhe", 10, 14, "Pi0.5 Phoenix"),
            )
        ],
    }
    human_ai = {
        S3: {
            "topics": [
                ReportTopic(
                    topic="Checkpoint validity",
                    level="implementation",
                    human="asked which checkpoint",
                    ai="did not flag it",
                    analysis="humans audit assumptions",
                    turn_start=1,
                    turn_end=3,
                    provenance=prov(S3, "DCC", 1, 3),
                ),
                ReportTopic(
                    topic=f"Two-stage fusion {evil}",
                    level="strategic",
                    human=f"proposed refine | fuse {evil}",
                    ai="implemented ~60 lines",
                    analysis="human drives direction",
                    turn_start=0,
                    turn_end=2,
                    provenance=prov(S3, "DCC", 0, 2),
                ),
            ],
            "limitations": [
                ReportLimitation(
                    limitation="polled with sleep",
                    severity="general",
                    turn_start=4,
                    turn_end=4,
                    provenance=prov(S3, "DCC", 4, 4),
                ),
                ReportLimitation(
                    limitation=f"missed the checkpoint assumption {evil}",
                    severity="critical",
                    turn_start=2,
                    turn_end=3,
                    provenance=prov(S3, "DCC", 2, 3),
                ),
            ],
        },
    }
    takeaways = {
        S1: [
            ReportTakeaway(
                text="hf-mirror.com is the default on mainland HPC",
                kind="practical",
                turn_start=1,
                turn_end=2,
                provenance=prov(S1, "DCC", 1, 2),
            )
        ],
        S3: [
            ReportTakeaway(
                text=f"Two-stage fusion is not always better {evil}",
                kind="core",
                turn_start=3,
                turn_end=4,
                provenance=prov(S3, "DCC", 3, 4),
            )
        ],
    }
    return {"facts": facts, "tasks": tasks, "issues": issues, "human_ai": human_ai, "takeaways": takeaways}


def day_results(evil: str = "") -> dict[str, Any]:
    overview = OverviewOutput(
        what_was_done=f"MIHD cleanup and Phoenix pipeline {evil}",
        how_it_was_done="srun --overlap; hf-mirror",
        why_it_matters="training can start",
        devices=[
            DeviceOverview(
                device="DCC",
                what_was_done="cleanup",
                how_it_was_done="grep",
                why_it_matters="clear structure",
            ),
            DeviceOverview(
                device="tianhe",
                what_was_done=f"M14 {evil}",
                how_it_was_done="slurm",
                why_it_matters="baseline",
            ),
        ],
        summary=f"DCC cleaned up MIHD; tianhe built the Phoenix data pipeline. {evil}",
    )
    projects = [
        ProjectEntry(project="MIHD", headline=f"Cleaned up {evil}", status="done", summary="two sessions")
    ]
    return {"overview": overview, "projects": projects}


def generation() -> Generation:
    return Generation(
        provider="anthropic",
        model="claude-haiku-4-5",
        calls=23,
        cache_hits=4,
        input_tokens=120_000,
        output_tokens=9_000,
        cache_write_tokens=40_000,
        cache_read_tokens=200_000,
        cost_usd=0.1834,
        answers_cost_usd=0.2349,
        by_stage={
            "tasks": StageGeneration(
                prompt_version="v2", calls=5, input_tokens=30_000, output_tokens=2_000, cost_usd=0.05
            ),
            "facts": StageGeneration(
                prompt_version="v1",
                calls=5,
                cache_hits=4,
                input_tokens=30_000,
                output_tokens=1_000,
                cost_usd=0.04,
            ),
            "overview": StageGeneration(
                prompt_version="v1", calls=1, input_tokens=5_000, output_tokens=800, cost_usd=None
            ),
        },
    )


def make_report(evil: str = "", **overrides: Any) -> DailyReport:
    args: dict[str, Any] = {
        "date": "2026-02-22",
        "timezone": "UTC",
        "lang": "en",
        "sessions": sessions(evil),
        "results": results(evil),
        "day_results": day_results(evil),
        "usage": usage(),
        "generation": generation(),
        "redaction": {"aws-access-key": 1, "bearer-token": 2},
        "failures": [
            Failure(
                stage="takeaways",
                label=f"takeaways/{S2}/chunk-0",
                session_id=S2,
                error=f"validation failed after 3 attempts {evil}",
                attempts=3,
            )
        ],
        "skipped_lines": 7,
        "skipped_sessions": {"no human prompt": 2},
    }
    args.update(overrides)
    if "items" not in args:
        ordered = order_sessions(args["sessions"])
        args["items"] = edit_day(args["results"], sessions=ordered, config=overrides.get("report_config"))
    args.pop("report_config", None)
    return build_report(**args)
