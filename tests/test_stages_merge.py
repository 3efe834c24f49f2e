"""Chunk → session merges: near-duplicates removed, provenance kept, latest status wins, turns clamped."""

from __future__ import annotations

from typing import Any

from daily_report.schemas.common import TurnSpan
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.human_ai import HumanAIOutput
from daily_report.schemas.issues import IssuesOutput
from daily_report.schemas.report import HumanAISession, ReportTakeaway
from daily_report.schemas.takeaways import TakeawaysOutput
from daily_report.schemas.tasks import TasksOutput
from daily_report.stages.facts import FactsStage, pick_title
from daily_report.stages.human_ai import HumanAIStage
from daily_report.stages.issues import IssuesStage
from daily_report.stages.merge import clamp_span, dedupe, join_prose, provenance, similarity
from daily_report.stages.takeaways import TakeawaysStage
from daily_report.stages.tasks import TasksStage

from tests.stages_fakes import make_chunk, make_info

C0 = make_chunk(index=0, count=2, turns=(0, 39))
C1 = make_chunk(index=1, count=2, turns=(40, 79))


def _task(
    title: str, status: str, details: str, span: tuple[int, int], cat: str = "implementation_fixes"
) -> Any:
    return {
        "title": title,
        "category": cat,
        "status": status,
        "details": details,
        "turn_start": span[0],
        "turn_end": span[1],
    }


def test_similarity_ignores_case_punctuation_and_catches_paraphrase() -> None:
    assert similarity("Downgrade datasets to 3.6.0!", "downgrade  datasets to 3.6.0") == 1.0
    assert similarity("Pin datasets<4.0 for lerobot 0.1.0", "Pin datasets < 4.0 for lerobot 0.1.0.") == 1.0
    assert similarity("Train BC-RNN on coffee", "Evaluate Pi0.5 on the stack task") < 0.6
    assert similarity("修复数据加载器的内存泄漏", "修复数据加载器的内存泄漏。") == 1.0


def test_turn_span_is_clamped_to_the_chunk_and_ordered() -> None:
    assert clamp_span(C1, TurnSpan(turn_start=45, turn_end=200)) == (45, 79)
    assert clamp_span(C1, TurnSpan(turn_start=3, turn_end=50)) == (40, 50)
    assert clamp_span(C1, TurnSpan(turn_start=60, turn_end=50)) == (50, 60)
    prov = provenance(C1, TurnSpan(turn_start=45, turn_end=200))
    assert (prov.device, prov.session_id, prov.agent, prov.project) == ("dcc", "s1", "claude_code", "MIHD")
    assert (prov.turn_start, prov.turn_end, prov.chunks) == (45, 79, [1])


def test_facts_merge_title_status_summary() -> None:
    first = SessionFacts(
        title="Coding session",
        project="MIHD",
        status="in_progress",
        summary="The user asked to fix the loader. The AI read loader.py.",
    )
    second = SessionFacts(
        title="Fix lerobot/datasets 4.x incompatibility (datasets 4.4.1 → 3.6.0)",
        project="",
        status="done",
        summary="The AI read loader.py. Downgrading datasets to 3.6.0 fixed it.",
    )
    merged = FactsStage().merge(make_info(), [(C0, first), (C1, second)])
    assert merged is not None
    assert merged.title == second.title  # the later title is clearly more specific
    assert merged.status == "done" and merged.project == "MIHD"
    assert merged.summary == (
        "The user asked to fix the loader. The AI read loader.py. Downgrading datasets to 3.6.0 fixed it."
    )
    assert FactsStage().merge(make_info(), []) is None


def test_pick_title_keeps_the_first_unless_later_is_clearly_better() -> None:
    assert pick_title(["MIHD vision refinement (ARI 0.313)", "Vision refinement experiments"]) == (
        "MIHD vision refinement (ARI 0.313)"
    )
    assert pick_title(["Continue work", "M14 sanity check: 10 scenarios, 60 episodes"]).startswith("M14")


def test_tasks_continued_across_chunks_merge_with_latest_status() -> None:
    out0 = TasksOutput.model_validate(
        {
            "tasks": [
                _task(
                    "Convert MimicGen datasets to LeRobot",
                    "in_progress",
                    "Wrote convert_mimicgen_to_lerobot.py.",
                    (2, 8),
                ),
                _task("Write evaluate_mimicgen.py", "done", "9-task evaluation with OSC_POSE.", (10, 20)),
            ]
        }
    )
    out1 = TasksOutput.model_validate(
        {
            "tasks": [
                _task(
                    "Convert MimicGen datasets to LeRobot.",
                    "done",
                    "All 9 tasks converted (18.4 GB).",
                    (45, 200),
                ),
            ]
        }
    )
    tasks = TasksStage().merge(make_info(), [(C0, out0), (C1, out1)])
    assert [t.title for t in tasks] == ["Convert MimicGen datasets to LeRobot", "Write evaluate_mimicgen.py"]
    merged = tasks[0]
    assert merged.status == "done"
    assert "convert_mimicgen_to_lerobot.py" in merged.details and "18.4 GB" in merged.details
    assert merged.provenance.chunks == [0, 1]
    assert (merged.turn_start, merged.turn_end) == (2, 79)
    assert (merged.provenance.turn_start, merged.provenance.turn_end) == (2, 79)
    assert tasks[1].provenance.chunks == [0] and tasks[1].status == "done"


def test_tasks_duplicate_within_one_chunk_keeps_the_richer() -> None:
    out = TasksOutput.model_validate(
        {
            "tasks": [
                _task("Fix the port conflict on 5555", "blocked", "Port in use.", (3, 4)),
                _task(
                    "Fix the port conflict on 5555.",
                    "blocked",
                    "Port 5555 in use; next: lsof -i:5555, fallback port.",
                    (5, 9),
                ),
            ]
        }
    )
    tasks = TasksStage().merge(make_info(), [(C0, out)])
    assert len(tasks) == 1
    assert "lsof" in tasks[0].details
    assert (tasks[0].turn_start, tasks[0].turn_end) == (3, 9)


def _issue(problem: str, **kw: Any) -> dict[str, Any]:
    base = {
        "problem": problem,
        "cause": "unknown",
        "solution": "Not yet resolved. Check VRAM.",
        "resolved": False,
        "key_insight": "Measure VRAM first.",
        "severity": "general",
        "turn_start": 1,
        "turn_end": 2,
    }
    return base | kw


def test_issue_seen_again_takes_the_later_state() -> None:
    problem = "Pi0.5 OOM: 150MB allocation failed on the A800"
    out0 = IssuesOutput.model_validate({"issues": [_issue(problem)]})
    out1 = IssuesOutput.model_validate(
        {
            "issues": [
                _issue(
                    problem + ".",
                    cause="batch_size=64 exceeds 80 GB",
                    solution="batch_size 64 → 16",
                    resolved=True,
                    severity="critical",
                    turn_start=50,
                    turn_end=60,
                )
            ]
        }
    )
    issues = IssuesStage().merge(make_info(), [(C0, out0), (C1, out1)])
    assert len(issues) == 1
    got = issues[0]
    assert (
        got.resolved and got.solution == "batch_size 64 → 16" and got.cause == "batch_size=64 exceeds 80 GB"
    )
    assert got.severity == "critical"
    assert got.provenance.chunks == [0, 1] and (got.turn_start, got.turn_end) == (1, 60)


def test_later_unknown_cause_does_not_erase_an_earlier_known_one() -> None:
    out0 = IssuesOutput.model_validate(
        {"issues": [_issue("Port 5555 already in use", cause="stale VLA server")]}
    )
    out1 = IssuesOutput.model_validate(
        {"issues": [_issue("Port 5555 already in use", turn_start=41, turn_end=42)]}
    )
    [got] = IssuesStage().merge(make_info(), [(C0, out0), (C1, out1)])
    assert got.cause == "stale VLA server"


def test_human_ai_merge_gives_a_session_result() -> None:
    topic = {
        "topic": "Root cause of the 0% success rate",
        "level": "strategic",
        "human": "Asked whether all 9 tasks were mixed",
        "ai": "Blamed OOM and action clipping",
        "analysis": "The human was right: train/eval task mismatch.",
        "turn_start": 5,
        "turn_end": 9,
    }
    limit = {
        "limitation": "Held a wrong root cause (OOM) until corrected",
        "severity": "critical",
        "turn_start": 5,
        "turn_end": 9,
    }
    out0 = HumanAIOutput.model_validate({"topics": [topic], "limitations": [limit]})
    out1 = HumanAIOutput.model_validate(
        {"topics": [topic | {"turn_start": 41, "turn_end": 41}], "limitations": []}
    )
    merged = HumanAIStage().merge(make_info(), [(C0, out0), (C1, out1)])
    assert isinstance(merged, HumanAISession)
    assert len(merged.topics) == 1 and merged.topics[0].provenance.chunks == [0, 1]
    assert (
        merged.limitations[0].severity == "critical" and merged.limitations[0].provenance.session_id == "s1"
    )


def test_takeaways_near_duplicates_removed() -> None:
    t = "Pin datasets<4.0 for lerobot 0.1.0: datasets 4.0 returns Column objects"
    out0 = TakeawaysOutput.model_validate(
        {"takeaways": [{"text": t, "kind": "core", "turn_start": 1, "turn_end": 3}]}
    )
    out1 = TakeawaysOutput.model_validate(
        {
            "takeaways": [
                {"text": t.lower() + ".", "kind": "core", "turn_start": 44, "turn_end": 44},
                {
                    "text": "Use hf-mirror.com with wget on the cluster",
                    "kind": "practical",
                    "turn_start": 50,
                    "turn_end": 52,
                },
            ]
        }
    )
    got = TakeawaysStage().merge(make_info(), [(C0, out0), (C1, out1)])
    assert [x.kind for x in got] == ["core", "practical"]
    assert got[0].provenance.chunks == [0, 1]
    assert got[1].provenance.chunks == [1] and got[1].turn_start == 50


def test_cross_session_duplicates_record_also_in() -> None:
    a = TakeawaysStage().merge(
        make_info("s1"),
        [
            (
                make_chunk(session_id="s1"),
                TakeawaysOutput.model_validate(
                    {
                        "takeaways": [
                            {
                                "text": "Use srun --overlap on busy nodes",
                                "kind": "practical",
                                "turn_start": 1,
                                "turn_end": 1,
                            }
                        ]
                    }
                ),
            )
        ],
    )
    b = TakeawaysStage().merge(
        make_info("s2"),
        [
            (
                make_chunk(session_id="s2"),
                TakeawaysOutput.model_validate(
                    {
                        "takeaways": [
                            {
                                "text": "Use `srun --overlap` on busy nodes!",
                                "kind": "practical",
                                "turn_start": 4,
                                "turn_end": 6,
                            }
                        ]
                    }
                ),
            )
        ],
    )
    got = dedupe([*a, *b], key=lambda t: t.text, fields=("text",))
    assert len(got) == 1
    assert isinstance(got[0], ReportTakeaway)
    kept = got[0]
    other = "s1" if kept.provenance.session_id == "s2" else "s2"
    assert kept.provenance.also_in == [other]


def test_join_prose_drops_repeats_latin_and_cjk() -> None:
    assert join_prose(["A ran. B failed!", "B failed. C fixed it."]) == "A ran. B failed! C fixed it."
    assert (
        join_prose(["下载了数据。转换完成。", "转换完成。训练已启动。"])
        == "下载了数据。转换完成。训练已启动。"
    )


def test_items_told_apart_by_their_figures_are_kept() -> None:
    out = TasksOutput.model_validate(
        {
            "tasks": [
                _task("Free port 5555 for the VLA server", "done", "Killed the stale server.", (1, 2)),
                _task("Free port 5556 for the VLA server", "done", "Killed the stale server.", (3, 4)),
                _task("Evaluate Pi0.5 on coffee", "done", "SR 100%.", (5, 6)),
                _task("Evaluate Pi0.5 on stack", "done", "SR 100%.", (7, 8)),
            ]
        }
    )
    assert len(TasksStage().merge(make_info(), [(C0, out)])) == 4
    out0 = IssuesOutput.model_validate({"issues": [_issue("Pi0.5 runs out of GPU memory")]})
    out1 = IssuesOutput.model_validate(
        {"issues": [_issue("Pi0.5 runs out of GPU memory (150 MB allocation)")]}
    )
    assert len(IssuesStage().merge(make_info(), [(C0, out0), (C1, out1)])) == 1


def test_task_continued_under_a_reworded_title_is_joined() -> None:
    out0 = TasksOutput.model_validate(
        {
            "tasks": [
                _task(
                    "Convert MimicGen datasets to LeRobot", "in_progress", "7 of 9 tasks converted.", (2, 8)
                )
            ]
        }
    )
    out1 = TasksOutput.model_validate(
        {
            "tasks": [
                _task("LeRobot conversion of the MimicGen datasets", "done", "9 of 9 converted.", (41, 50)),
                _task(
                    "Write the MimicGen training config",
                    "done",
                    "pi05_base_mimicgen_phoenix added.",
                    (51, 60),
                ),
            ]
        }
    )
    tasks = TasksStage().merge(make_info(), [(C0, out0), (C1, out1)])
    assert [t.status for t in tasks] == ["done", "done"]
    assert tasks[0].title == "Convert MimicGen datasets to LeRobot" and "9 of 9" in tasks[0].details
    assert tasks[1].provenance.chunks == [1]
    # within one chunk, a reworded title is a different task
    same_chunk = TasksOutput.model_validate(
        {"tasks": [*out0.model_dump()["tasks"], *out1.model_dump()["tasks"][:1]]}
    )
    assert len(TasksStage().merge(make_info(), [(C0, same_chunk)])) == 2


def test_issue_continued_in_other_words_is_joined_but_not_within_a_chunk() -> None:
    out0 = IssuesOutput.model_validate(
        {"issues": [_issue("sbatch rejected: group not permitted on partition xy-a800")]}
    )
    out1 = IssuesOutput.model_validate(
        {
            "issues": [
                _issue(
                    "Partition xy-a800 not permitted for the group (sbatch)", resolved=True, solution="srun"
                )
            ]
        }
    )
    [got] = IssuesStage().merge(make_info(), [(C0, out0), (C1, out1)])
    assert got.resolved and got.solution == "srun" and got.provenance.chunks == [0, 1]
    both = IssuesOutput.model_validate(
        {"issues": [*out0.model_dump()["issues"], *out1.model_dump()["issues"]]}
    )
    assert len(IssuesStage().merge(make_info(), [(C0, both)])) == 2
