"""report.md: reference-report order, tables, escaping, empty and partial days."""

from __future__ import annotations

import re

from daily_report.report.markdown import render_markdown
from daily_report.schemas.usage import UsageReport

from tests.conftest import REFERENCE_REPORTS
from tests.report_data import S1, S2, S3, S4, claude_usage, day_results, make_report, results, usage

REFERENCE_000 = REFERENCE_REPORTS / "000_token_usage.txt"  # report 000's Token Usage, verbatim

# Report 000's Token Usage tables, verbatim.
REFERENCE_OVERVIEW = """\
| Metric | Value |
|---|---|
| Total Tokens | 6,040,920 |
| Input Tokens | 39,917 |
| Output Tokens | 1,165 |
| Cache Created | 514,080 |
| Cache Read | 5,485,758 |
| Cache Hit Rate | 91.4% |
| Total Cost (USD) | $1.9863 |"""
REFERENCE_MODELS = """\
| Model | Input | Output | Cache Created | Cache Read | Cost | Share |
|---|---|---|---|---|---|---|
| claude-haiku-4-5-20251001 | 39,891 | 873 | 447,836 | 4,455,296 | $1.0496 | 52.8% |
| claude-opus-4-6 | 26 | 292 | 66,244 | 1,030,462 | $0.9367 | 47.2% |"""


def _headings(md: str, level: int) -> list[str]:
    return re.findall(rf"^{'#' * level} (.+)$", md, flags=re.M)


def test_sections_in_reference_order() -> None:
    md = render_markdown(make_report())
    assert md.startswith("# Daily Report — 2026-02-22\n")
    assert _headings(md, 2) == [
        "Today's Overview",
        "Today's Tasks",
        "Issues & Solutions",
        "Human Thinking vs AI Thinking",
        "AI Limitations",
        "Today's Takeaways",
        "Session Summaries",
        "Token Usage",
        "About This Report",
    ]
    overview = md.split("## Today's Tasks")[0]
    assert overview.index("### DCC") < overview.index("### tianhe") < overview.index("DCC cleaned up MIHD")
    for label in ("What was done", "How it was done", "Why it matters"):
        assert overview.count(f"**{label}:**") == 3  # the day and two devices


def test_tasks_by_category_and_status() -> None:
    md = render_markdown(make_report())
    tasks = md.split("## Today's Tasks")[1].split("## Issues")[0]
    arch, impl = tasks.split("### Implementation & Fixes")
    assert "### Architecture & Strategy" in arch
    lines = [ln for ln in arch.splitlines() if ln.startswith("- ")]
    assert lines[0].startswith("- [in progress] **M14 baseline evaluation** — 649 scenarios")
    assert lines[1].startswith("- [done] **Vision refinement framework** — ")
    impl_lines = [ln for ln in impl.splitlines() if ln.startswith("- ")]
    # within a category the editor's importance order; each line: status, bold title, details, provenance
    pi0 = next(ln for ln in impl_lines if "**Pi0 VLA server launch**" in ln)
    assert pi0.startswith("- [blocked] ") and "tianhe · 019c8a3e · t3–t8" in pi0  # device · short id · turns


def test_cross_session_duplicate_task_is_merged_with_provenance() -> None:
    r = make_report()
    cleanup = [t for t in r.tasks if "cleanup" in t.title.lower()]
    assert len(cleanup) == 1  # "MIHD cleanup" (S1) and "MIHD  cleanup!" (S3) are one task
    assert cleanup[0].provenance.session_id == S1
    assert cleanup[0].provenance.also_in == [S3]
    assert "(+1 session)" in render_markdown(r)
    assert len(r.tasks) == 4  # different titles are never merged


def test_issues_numbered_critical_first() -> None:
    md = render_markdown(make_report())
    issues = md.split("## Issues & Solutions")[1].split("## Human Thinking")[0]
    crit, general = issues.split("### General Issues")
    assert "### Critical Issues" in crit and "**1. lerobot 0.1.0 incompatible" in crit
    assert "**2. Slurm srun hangs" in general
    for part in (crit, general):
        assert "- **Solution:**" in part and "- **Key Insight:**" in part and "- **Cause:**" in part


def test_human_ai_levels_tables_and_pipe_escaping() -> None:
    md = render_markdown(make_report())
    sec = md.split("## Human Thinking vs AI Thinking")[1].split("## AI Limitations")[0]
    assert sec.index("### Strategic Level") < sec.index("### Implementation Level")
    assert (
        "#### Two-stage fusion\n\n| Role | Approach |\n|---|---|\n| Human | proposed refine \\| fuse |" in sec
    )
    assert "**Analysis:** human drives direction" in sec
    lim = md.split("## AI Limitations")[1].split("## Today's Takeaways")[0]
    assert lim.index("### Critical Limitations") < lim.index("### General Limitations")
    take = md.split("## Today's Takeaways")[1].split("## Session Summaries")[0]
    assert take.index("### Key Insights") < take.index("### Practical Takeaways")


def test_sessions_grouped_by_project_in_activity_order() -> None:
    md = render_markdown(make_report())
    sec = md.split("## Session Summaries")[1].split("## Token Usage")[0]
    # MIHD: 155 + 30 min; Pi0.5 Phoenix: 70 min; Error Recovery Benchmark: 70 min but started earlier
    assert _headings(sec, 3) == ["MIHD", "Error Recovery Benchmark", "Pi0.5 Phoenix"]
    mihd = sec.split("### Error Recovery Benchmark")[0]
    assert mihd.index("Project cleanup") < mihd.index("Vision refinement")
    assert "[done] **Project cleanup** · 09:05–11:40 · Claude Code · DCC · claude-opus-4-6" in mihd
    assert "Deleted ~3146 lines of scripts." in mihd  # the facts summary replaced the pre-facts one
    assert "[blocked] **Phoenix data pipeline** · 23:40 (02-22) – 00:50 (02-23) · Codex · tianhe" in sec
    assert "[in progress] **M14 evaluation launch** (incomplete)" in sec  # a stage failed for S2


def test_local_times_follow_the_report_timezone() -> None:
    md = render_markdown(make_report(timezone="Asia/Shanghai"))
    assert "· 17:05–19:40 · Claude Code · DCC" in md  # 09:05 UTC = 17:05 in Shanghai
    # the Codex session is wholly on the next local day: its dates are shown
    assert "[blocked] **Phoenix data pipeline** · 07:40 (02-23) – 08:50 (02-23) · Codex" in md


def test_usage_tables_match_reference_000_exactly() -> None:
    u = UsageReport(date="2026-02-22", timezone="UTC", agents={"claude_code": claude_usage(devices=False)})
    md = render_markdown(make_report(usage=u))
    assert REFERENCE_OVERVIEW in md
    assert REFERENCE_MODELS in md
    assert "### Codex" not in md  # no Codex usage that day: no empty tables
    ref = REFERENCE_000.read_text(encoding="utf-8")  # the expected text is the reference report's own
    assert REFERENCE_OVERVIEW in ref and REFERENCE_MODELS in ref


def test_usage_by_device_and_codex_tables() -> None:
    md = render_markdown(make_report())
    usage_sec = md.split("## Token Usage")[1].split("## About This Report")[0]
    claude, codex = usage_sec.split("### Codex")
    assert "| Device | Total Tokens | Input | Output | Cost |" in claude
    assert "| DCC | 1,097,024 | 26 | 292 | $0.9367 |" in claude
    assert "| Model | Input | Output | Reasoning | Cache Read | Cost | Share |" in codex
    assert "| gpt-5.3-codex | 812,000 | 9,100 | 4,000 | 700,000 | $0.4213 | 100.0% |" in codex
    assert "| Reasoning Tokens | 4,000 |" in codex


def test_unknown_cost_is_unknown_never_zero() -> None:
    md = render_markdown(make_report(usage=usage(codex_cost=None)))
    codex = md.split("### Codex")[1].split("## About This Report")[0]
    assert "| gpt-5.3-codex | 812,000 | 9,100 | 4,000 | 700,000 | unknown | unknown |" in codex
    assert "| Total Cost (USD) | unknown |" in codex
    assert "$0.0000" not in codex
    assert "Unpriced models (cost unknown): gpt-5.3-codex" in md
    assert "| overview | v1 | 1 | 0 | 5,000 | 800 | 0 | 0 | unknown | 0 |" in md  # report cost by stage


def test_footer_cost_redaction_skips_failures() -> None:
    md = render_markdown(make_report())
    foot = md.split("## About This Report")[1]
    assert "23 LLM calls (4 cache hits) with anthropic / claude-haiku-4-5" in foot
    assert "this run spent $0.1834" in foot
    assert foot.index("| facts | v1 |") < foot.index("| tasks | v2 |") < foot.index("| overview | v1 |")
    assert "| aws-access-key | 1 |" in foot and "| bearer-token | 2 |" in foot
    assert "Skipped 7 transcript lines and 2 sessions (no human prompt: 2)." in foot
    assert f"| takeaways | takeaways/{S2}/chunk-0 | 3 | validation failed after 3 attempts |" in foot
    assert "takeaways missing for 1 of 4 sessions" in foot


def test_empty_day_renders_cleanly() -> None:
    empty = UsageReport(date="2026-02-22", timezone="UTC")
    r = make_report(sessions=[], results={}, day_results={}, usage=empty, failures=[], redaction={})
    md = render_markdown(r)
    assert "No sessions on this day." in md
    assert "No agent usage recorded for this day." in md
    assert "None" not in md and "$0.0000" not in md.split("## About")[0]
    assert "Redactions: 0." in md
    assert _headings(md, 2)[0] == "Today's Overview"


def test_missing_stages_are_named() -> None:
    partial = results()
    del partial["issues"]
    days = day_results()
    del days["overview"]
    r = make_report(results=partial, day_results=days)
    assert r.missing_stages == ["issues", "overview"]
    md = render_markdown(r)
    issues = md.split("## Issues & Solutions")[1].split("## Human Thinking")[0]
    assert "Not available: the issues stage has no result for this day" in issues
    assert "Not available: the overview stage" in md.split("## Today's Tasks")[0]
    assert "Incomplete report: no result from issues, overview;" in md
    assert "## Today's Tasks" in md and "M14 baseline evaluation" in md  # the rest still renders


def test_transcript_text_cannot_break_markdown() -> None:
    res = results()
    res["facts"][S3] = res["facts"][S3].model_copy(
        update={"summary": "# not a heading\n\n- x\n<script>alert(1)</script>", "title": "a | b"}
    )
    md = render_markdown(make_report(results=res))
    assert "\n# not a heading" not in md and "\\# not a heading" in md
    assert "<script>" not in md and "&lt;script>" in md
    assert "\n\\- x" in md
    assert S4 in md  # the full session id is given beside each session


def test_a_stage_that_failed_for_every_session_is_missing_not_partial() -> None:
    from daily_report.schemas.report import Failure

    res = results()
    res["tasks"] = {}
    fails = [
        Failure(stage="tasks", label=f"tasks/{sid}/chunk-0", session_id=sid, error="boom") for sid in (S1, S2)
    ]
    r = make_report(results=res, failures=fails)
    assert "tasks" in r.missing_stages and "tasks" not in r.incomplete_stages
    assert "Not available: the tasks stage" in render_markdown(r)
    ok = make_report(results={**results(), "tasks": {}}, failures=[])
    assert "tasks" not in ok.missing_stages  # ran, found nothing: not a gap
    assert "No tasks recorded." in render_markdown(ok)


def test_a_project_entry_that_restates_its_one_session_is_not_shown_twice() -> None:
    from daily_report.report.html import render_html
    from daily_report.schemas.report import ProjectEntry

    first = make_report()
    phoenix = next(s for s in first.sessions if s.session_id == S4)
    built = ProjectEntry(  # what the projects stage builds for a one-session project
        project=phoenix.project, headline=phoenix.title, status=phoenix.status, summary=phoenix.summary
    )
    asked = ProjectEntry(
        project="Error Recovery Benchmark", headline="M14 running", status="done", summary="s"
    )
    days = day_results() | {"projects": [*day_results()["projects"], built, asked]}
    r = make_report(day_results=days)
    assert {p.project for p in r.projects} == {"MIHD", "Pi0.5 Phoenix", "Error Recovery Benchmark"}
    sec = render_markdown(r).split("## Session Summaries")[1].split("## Token Usage")[0]
    assert "_Cleaned up_ — two sessions" in sec and "_M14 running_ — s" in sec
    title, summary = phoenix.title.strip(), phoenix.summary.strip()
    assert f"_{title}_" not in sec and f"**{title}**" in sec and sec.count(summary) == 1
    html = render_html(r)
    assert "<em>M14 running</em>" in html and f"<em>{title}" not in html
