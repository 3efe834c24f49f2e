"""The day editor (pipeline/editor.py): cross-session merges, importance order, caps and selected flags."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from daily_report.core.config import load_config
from daily_report.core.errors import ConfigError
from daily_report.engine.editor import edit_day, select
from daily_report.report.html import render_html
from daily_report.report.markdown import render_markdown
from daily_report.schemas.config import ReportConfig
from daily_report.schemas.report import Provenance, ReportIssue, ReportTask, SessionSummary

from tests.report_data import make_report

T0 = datetime(2026, 3, 17, 1, 0, tzinfo=UTC)


def session(sid: str, *, device: str = "hpc", project: str = "vla", minutes: int = 60) -> SessionSummary:
    return SessionSummary(
        session_id=sid,
        device=device,
        agent="claude_code",
        project=project,
        title=sid,
        start=T0,
        end=T0 + timedelta(minutes=minutes),
    )


def task(
    sid: str, title: str, details: str, *, device: str = "hpc", turns: tuple[int, int] = (0, 5), **kw: object
) -> ReportTask:
    prov = Provenance(
        device=device,
        session_id=sid,
        agent="claude_code",
        project="vla",
        turn_start=turns[0],
        turn_end=turns[1],
    )
    fields = {"category": "implementation_fixes", "status": "done", **kw}
    return ReportTask(
        title=title, details=details, turn_start=turns[0], turn_end=turns[1], provenance=prov, **fields
    )


def issue(
    sid: str, problem: str, *, resolved: bool, device: str = "hpc", severity: str = "general"
) -> ReportIssue:
    prov = Provenance(
        device=device, session_id=sid, agent="claude_code", project="vla", turn_start=1, turn_end=4
    )
    return ReportIssue(
        problem=problem,
        cause="datasets 4.x returns a Column",
        solution="Pinned datasets==3.6.0." if resolved else "Not yet resolved.",
        resolved=resolved,
        key_insight="pin it",
        severity=severity,  # type: ignore[arg-type]
        turn_start=1,
        turn_end=4,
        provenance=prov,
    )


# ---------------------------------------------------------------- caps


def test_default_caps_and_how_they_scale_with_the_sessions() -> None:
    cfg = ReportConfig()
    small = {"tasks": 12, "issues": 10, "human_vs_ai": 6, "ai_limitations": 8, "takeaways": 10}
    assert cfg.caps(8) == small
    # a short day shows fewer items, down to min_scale (0.6x), as the references of 2-3 sessions do
    short = {"tasks": 7, "issues": 6, "human_vs_ai": 4, "ai_limitations": 5, "takeaways": 6}
    assert cfg.caps(1) == cfg.caps(2) == short
    assert cfg.caps(6) == {"tasks": 9, "issues": 8, "human_vs_ai": 5, "ai_limitations": 6, "takeaways": 8}
    assert cfg.caps(12) == {
        "tasks": 18,
        "issues": 15,
        "human_vs_ai": 9,
        "ai_limitations": 12,
        "takeaways": 15,
    }
    assert cfg.caps(40) == {k: 2 * v for k, v in small.items()}  # up to max_scale (2x)
    assert ReportConfig(tasks=3, max_scale=1.0).caps(30)["tasks"] == 3


def test_select_marks_the_first_cap_items_and_keeps_the_rest() -> None:
    items = [task("s1", f"Task number {i}", f"step {i} of the work", turns=(i, i + 1)) for i in range(9)]
    out = select(items, cap=4, weight={})
    assert len(out) == 9 and [t.selected for t in out] == [True] * 4 + [False] * 5
    assert {t.title for t in out} == {t.title for t in items}  # nothing is lost


def test_each_session_shows_its_main_task_before_the_busiest_session_fills_the_cap() -> None:
    busy = [
        task("big", f"Experiment {i} on the cluster", f"run {i}: loss 0.{i}1, commit {i}a", turns=(0, 40))
        for i in range(6)
    ]
    small = [task("small", "Fix the plot legend", "moved the legend", turns=(0, 3))]
    out = select([*busy, *small], cap=3, weight={"vla": 1.0}, fair=True)
    shown = [t for t in out if t.selected]
    assert len(shown) == 3 and any(t.provenance.session_id == "small" for t in shown)


def test_routine_noise_sinks_below_outcome_changing_work() -> None:
    items = [
        task("s1", "Fix lint errors in train.py", "ruff: 14 warnings fixed", turns=(0, 9)),
        task(
            "s1",
            "Diagnose the NaN loss at step 3012",
            "root cause: zero std in shard 17; fixed",
            turns=(0, 9),
        ),
    ]
    out = select(items, cap=1, weight={})
    assert out[0].title.startswith("Diagnose") and out[0].selected and not out[1].selected


def test_a_critical_issue_is_never_noise_even_when_a_formatter_was_the_gate() -> None:
    """Found by answering a real day by hand: a pre-commit hook that refused the commit (code not formatted,
    then dialyzer errors) was critical, yet its noise words sank it below general issues with more figures."""
    items = [
        issue(
            "s1",
            "Session crashed twice; failed again; fix failed on 3 attempts of 1.7.0 and 2.0.1",
            resolved=True,
        ),
        issue(
            "s1", "Lint: code not formatted, the hook refused the commit", resolved=True, severity="critical"
        ),
    ]
    out = select(items, cap=1, weight={})
    assert out[0].severity == "critical" and out[0].selected and not out[1].selected


# ---------------------------------------------------------------- merge across sessions


def test_the_same_task_on_two_devices_is_one_item_with_both_provenances() -> None:
    a = task("s1", "Pin datasets to 3.6.0 for lerobot 0.1.0", "pinned in requirements.txt", device="hpc")
    b = task(
        "s2",
        "Pin datasets to 3.6.0 for lerobot 0.1.0",
        "pinned datasets<4.0 in requirements.txt and the env",
        device="laptop",
    )
    results = {"tasks": {"s1": [a], "s2": [b]}}
    items = edit_day(results, sessions=[session("s1"), session("s2", device="laptop")])
    assert len(items.tasks) == 1
    merged = items.tasks[0]
    assert merged.details.startswith("pinned datasets<4.0")  # the richer wording is kept
    prov = merged.provenance
    assert {prov.session_id, *prov.also_in} == {"s1", "s2"}
    assert prov.also_on == ["hpc"] and prov.device == "laptop"


def test_an_issue_resolved_in_another_session_is_kept_resolved_and_critical_wins() -> None:
    open_ = issue(
        "s1",
        "lerobot compute_stats fails: must be tuple of Tensors, not Column",
        resolved=False,
        severity="critical",
    )
    fixed = issue("s2", "lerobot compute_stats fails: must be tuple of Tensors, not Column", resolved=True)
    items = edit_day({"issues": {"s1": [open_], "s2": [fixed]}}, sessions=[session("s1"), session("s2")])
    assert len(items.issues) == 1
    only = items.issues[0]
    assert only.resolved and only.severity == "critical" and only.provenance.also_in == ["s1"]


def test_items_of_one_session_are_never_merged_again() -> None:
    a = task("s1", "Evaluate checkpoint 2500", "mse 0.0688", turns=(0, 2))
    b = task("s1", "Evaluate checkpoint 2500", "mse 0.0688", turns=(5, 6))
    items = edit_day({"tasks": {"s1": [a, b]}}, sessions=[session("s1")])
    assert len(items.tasks) == 2


# ---------------------------------------------------------------- renderers


def test_report_json_html_and_markdown_show_what_the_caps_leave_out() -> None:
    r = make_report(report_config=ReportConfig(tasks=1, takeaways=1))
    assert r.caps["tasks"] == 1 and len(r.tasks) > 1
    assert [t.selected for t in r.tasks] == [True] + [False] * (len(r.tasks) - 1)
    hidden = r.tasks[1]
    md = render_markdown(r)
    tasks_md = md.split("## Today's Tasks")[1].split("## Issues")[0]
    assert hidden.title not in tasks_md
    n = len(r.tasks) - 1
    assert f"_{n} more task{'s' if n > 1 else ''} in report.json / report.html._" in tasks_md
    html = render_html(r)
    more = html.split('<details class="more"><summary>')[1].split("</details>")[0]
    assert more.startswith(f"{n} more task") and hidden.title.split()[0] in more
    assert not re.search(
        r"more \w+ in report\.json", render_markdown(make_report())
    )  # a small day: all shown


def test_the_caps_come_from_the_report_table_of_the_config(tmp_path: Path) -> None:
    path = tmp_path / "daily-report.toml"
    path.write_text(
        'timezone = "UTC"\n[report]\ntasks = 3\ntakeaways = 4\nmax_scale = 1.5\n', encoding="utf-8"
    )
    cfg = load_config(path).report
    assert (cfg.tasks, cfg.takeaways, cfg.issues) == (3, 4, 10)
    assert cfg.caps(16)["tasks"] == 5  # 3 x min(16 / 8, 1.5) = 4.5, rounded half up
    path.write_text("[report]\ntask = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="task"):
        load_config(path)
