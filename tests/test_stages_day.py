"""Day stages: per-project and per-device notes hold the right sessions' results; merges fill the entries."""

from __future__ import annotations

from typing import Any

from daily_report.schemas.common import Severity, Status
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.overview import OverviewOutput
from daily_report.schemas.projects import ProjectSummary
from daily_report.schemas.report import Provenance, ReportIssue, ReportTask
from daily_report.stages.base import load_prompt
from daily_report.stages.overview import OverviewStage
from daily_report.stages.projects import ProjectsStage
from daily_report.stages.registry import system_prompt

from tests.stages_fakes import make_day, make_info


def _prov(sid: str, device: str, project: str) -> Provenance:
    return Provenance(
        device=device, session_id=sid, agent="claude_code", project=project, turn_start=1, turn_end=2
    )


def _task(sid: str, device: str, project: str, title: str, status: Status = "done") -> ReportTask:
    return ReportTask(
        title=title,
        category="implementation_fixes",
        status=status,
        details=f"details of {title}",
        turn_start=1,
        turn_end=2,
        provenance=_prov(sid, device, project),
    )


def _issue(sid: str, device: str, project: str, problem: str, severity: Severity = "critical") -> ReportIssue:
    return ReportIssue(
        problem=problem,
        cause="cause of " + problem,
        solution="Not yet resolved. Ask for a node.",
        resolved=False,
        key_insight="check VRAM",
        severity=severity,
        turn_start=1,
        turn_end=2,
        provenance=_prov(sid, device, project),
    )


def _day(**kw: Any) -> Any:
    sessions = [
        make_info(
            "a1",
            device="dcc",
            project="MIHD",
            start="2026-02-22T09:00:00+00:00",
            end="2026-02-22T10:00:00+00:00",
        ),
        make_info(
            "b1",
            device="tianhe",
            project="phoenix",
            agent="codex",
            start="2026-02-22T11:00:00+00:00",
            end="2026-02-22T11:30:00+00:00",
        ),
        make_info(
            "a2",
            device="tianhe",
            project="MIHD",
            start="2026-02-22T23:30:00+00:00",
            end="2026-02-23T00:15:00+00:00",
        ),
    ]
    facts = {
        "a1": SessionFacts(
            title="Vision refinement (ARI 0.313 vs 0.387)",
            project="MIHD",
            status="done",
            summary="Added --vision_refine.",
        ),
        "b1": SessionFacts(
            title="Phoenix data pipeline (18.4 GB)", project="phoenix", status="blocked", summary="Pi0.5 OOM."
        ),
        "a2": SessionFacts(
            title="MIHD batch experiments",
            project="MIHD",
            status="in_progress",
            summary="7 fusion strategies launched.",
        ),
    }
    tasks = {
        "a1": [_task("a1", "dcc", "MIHD", "Add --vision_refine")],
        "b1": [_task("b1", "tianhe", "phoenix", "Download 9 MimicGen datasets", "blocked")],
    }
    issues = {"b1": [_issue("b1", "tianhe", "phoenix", "Pi0.5 OOM on A800")]}
    return make_day(
        sessions, {"facts": facts, "tasks": tasks, "issues": issues}, timezone="Asia/Shanghai", **kw
    )


def test_projects_plan_one_call_per_project_with_its_own_sessions() -> None:
    day = _day(ask_single_session_projects=True)
    calls = ProjectsStage().plan(day, load_prompt("projects"), system_prompt().text)
    assert [c.label for c in calls] == ["projects/MIHD", "projects/phoenix"]
    mihd, phoenix = (c.blocks[0].text for c in calls)
    assert all(c.blocks[0].cache and not c.blocks[1].cache for c in calls)
    assert "ARI 0.313 vs 0.387" in mihd and "Add --vision_refine" in mihd and "MIHD batch experiments" in mihd
    assert "Pi0.5 OOM on A800" not in mihd and "Phoenix" not in mihd
    assert (
        "Pi0.5 OOM on A800" in phoenix and "[blocked · implementation_fixes] Download 9 MimicGen" in phoenix
    )
    assert "[critical · unresolved]" in phoenix
    assert 'time="17:00–18:00"' in mihd  # 09:00 UTC in Asia/Shanghai
    assert 'time="07:30–08:15"' not in mihd and 'time="02-23 07:30–02-23 08:15"' in mihd  # next local day
    instructions = calls[0].blocks[1].text
    assert "`MIHD`" in instructions and "2 sessions" in instructions and "dcc, tianhe" in instructions


def test_projects_merge_fills_sessions_devices_agents_minutes() -> None:
    day = _day(ask_single_session_projects=True)
    calls = ProjectsStage().plan(day, load_prompt("projects"), system_prompt().text)
    answer = ProjectSummary(
        project="mihd (renamed by model)", headline="h", status="in_progress", summary="s"
    )
    entries = ProjectsStage().merge(
        day, [(calls[1], answer.model_copy(update={"project": "x"})), (calls[0], answer)]
    )
    assert [e.project for e in entries] == ["MIHD", "phoenix"]
    mihd = entries[0]
    assert (
        mihd.sessions == ["a1", "a2"] and mihd.devices == ["dcc", "tianhe"] and mihd.agents == ["claude_code"]
    )
    assert mihd.minutes == 105.0 and mihd.status == "in_progress"
    assert entries[1].agents == ["codex"]


def test_overview_plan_groups_by_device_with_project_state() -> None:
    day = _day(ask_single_session_projects=True)
    proj = ProjectsStage()
    calls = proj.plan(day, load_prompt("projects"), system_prompt().text)
    summaries = [
        ProjectSummary(project="", headline=f"headline {i}", status="in_progress", summary=f"sum {i}")
        for i in range(2)
    ]
    day = _day(
        day_results={"projects": proj.merge(day, list(zip(calls, summaries, strict=True)))},
        ask_single_session_projects=True,
    )
    [call] = OverviewStage().plan(day, load_prompt("overview"), system_prompt().text)
    assert call.label == "overview/day" and call.blocks[0].cache
    text = call.blocks[0].text
    dcc, tianhe = text.split('<device name="tianhe">')
    assert '<device name="dcc">' in dcc and "Vision refinement" in dcc and "Phoenix" not in dcc
    assert "Phoenix data pipeline" in tianhe and "MIHD batch experiments" in tianhe
    assert "Pi0.5 OOM on A800" in tianhe and "headline 1" in tianhe and "headline 0" in dcc
    assert "dcc, tianhe" in call.blocks[1].text


def test_a_one_session_project_gets_no_request_and_its_entry_from_the_facts() -> None:
    day = _day()  # MIHD: two sessions; phoenix: one
    stage = ProjectsStage()
    calls = stage.plan(day, load_prompt("projects"), system_prompt().text)
    assert [c.label for c in calls] == ["projects/MIHD"]  # a project of two sessions still gets one
    answer = ProjectSummary(project="MIHD", headline="h", status="in_progress", summary="s")
    mihd, phoenix = stage.merge(day, [(calls[0], answer)])
    assert (mihd.project, mihd.headline, mihd.status) == ("MIHD", "h", "in_progress")
    assert phoenix.project == "phoenix" and phoenix.status == "blocked"  # the session's facts
    assert phoenix.headline == "Phoenix data pipeline (18.4 GB)" and phoenix.summary == "Pi0.5 OOM."
    assert phoenix.sessions == ["b1"] and phoenix.agents == ["codex"] and phoenix.minutes == 30.0
    # a day of one session: nothing to send, the entry is still there
    one = make_day([day.sessions[1]], {"facts": dict(day.results["facts"])})
    assert stage.plan(one, load_prompt("projects"), system_prompt().text) == []
    [entry] = stage.merge(one, [])
    assert entry.project == "phoenix" and entry.status == "blocked"
    # without facts to build from, the project is asked
    bare = make_day([day.sessions[1]], {"facts": {}})
    assert [c.label for c in stage.plan(bare, load_prompt("projects"), system_prompt().text)] == [
        "projects/phoenix"
    ]
    assert stage.merge(bare, []) == []


def test_overview_merge_one_entry_per_device() -> None:
    day = _day()
    [call] = OverviewStage().plan(day, load_prompt("overview"), system_prompt().text)
    answer = OverviewOutput.model_validate(
        {
            "what_was_done": "w",
            "how_it_was_done": "h",
            "why_it_matters": "y",
            "summary": "s",
            "devices": [
                {"device": "TIANHE", "what_was_done": "t", "how_it_was_done": "t", "why_it_matters": "t"},
                {"device": "laptop", "what_was_done": "x", "how_it_was_done": "x", "why_it_matters": "x"},
            ],
        }
    )
    merged = OverviewStage().merge(day, [(call, answer)])
    assert merged is not None
    assert [d.device for d in merged.devices] == ["dcc", "tianhe"]
    assert merged.devices[1].what_was_done == "t"
    assert "Vision refinement" in merged.devices[0].what_was_done  # fallback from the session titles
    assert OverviewStage().merge(day, []) is None


def test_day_stage_zh_rendering() -> None:
    day = _day(lang="zh")
    calls = ProjectsStage().plan(day, load_prompt("projects"), system_prompt(lang="zh").text)
    [over] = OverviewStage().plan(day, load_prompt("overview"), system_prompt(lang="zh").text)
    assert all("简体中文" in c.blocks[1].text for c in [*calls, over])
    assert "headline and summary in Simplified Chinese" in calls[0].blocks[1].text


def test_missing_facts_are_marked_not_invented() -> None:
    day = _day()
    day = make_day(list(day.sessions), {"facts": {}, "tasks": {}, "issues": {}}, timezone=None)
    calls = ProjectsStage().plan(day, load_prompt("projects"), system_prompt().text)
    assert "facts: unavailable" in calls[0].blocks[0].text
    assert 'time="09:00–10:00"' in calls[0].blocks[0].text  # no zone: times as given
