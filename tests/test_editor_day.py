"""The fixture day end to end: the demo reads like a reference report, and a model that answers every list with
six items still gives a report within the caps (everything else kept in report.json, collapsed in the HTML)."""

from __future__ import annotations

import json
import re
import shutil
import statistics
from pathlib import Path
from typing import Any

import pytest
from daily_report.core.config import load_config
from daily_report.engine.plan import RunOptions
from daily_report.engine.run import run_day
from daily_report.schemas.config import ReportConfig

REPO = Path(__file__).resolve().parent.parent
DAY_TOML = REPO / "fixtures" / "day" / "daily-report.toml"
REPLAY = REPO / "fixtures" / "replay"
DATE = "2026-03-17"
CHUNK_LISTS = {
    "tasks": ("tasks",),
    "issues": ("issues",),
    "human_ai": ("topics", "limitations"),
    "takeaways": ("takeaways",),
}
SECTIONS = {
    "tasks": "tasks",
    "issues": "issues",
    "human_vs_ai": "human_vs_ai",
    "ai_limitations": "ai_limitations",
    "takeaways": "takeaways",
}


def run_fixture_day(out: Path, replay_dir: Path = REPLAY) -> Path:
    config = load_config(DAY_TOML)
    config = config.model_copy(update={"llm": config.llm.model_copy(update={"replay_dir": replay_dir})})
    result = run_day(
        RunOptions(date=DATE, config=config, out_dir=out, provider="replay", cache_path=out / "cache.sqlite3")
    )
    assert not result.failures
    return out / DATE


def visible_words(text: str) -> int:
    return len(re.sub(r"<sub>.*?</sub>", " ", text).split())


def section(md: str, title: str) -> str:
    return md.split(f"## {title}")[1].split("\n## ")[0]


# ---------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_fixture_day(tmp_path_factory.mktemp("demo"))


def test_the_demo_report_is_as_long_as_a_reference_report(demo: Path) -> None:
    md = (demo / "report.md").read_text(encoding="utf-8")
    body = md.split("## Token Usage")[0]
    assert len(body.split()) <= 4000 and visible_words(body) <= 4000
    tasks = [ln for ln in section(md, "Today's Tasks").splitlines() if ln.startswith("- ")]
    words = [visible_words(ln) - 2 for ln in tasks]  # the list marker and the status icon are not words
    assert 7 <= len(tasks) <= 12 and statistics.median(words) <= 60
    assert visible_words(section(md, "Today's Overview")) <= 530  # the references: 160-530


def test_the_demo_is_within_the_caps_and_report_json_keeps_every_item(demo: Path) -> None:
    report = json.loads((demo / "report.json").read_text(encoding="utf-8"))
    caps = ReportConfig().caps(len(report["sessions"]))
    assert report["caps"] == caps
    for name, key in SECTIONS.items():
        shown = [i for i in report[key] if i["selected"]]
        assert len(shown) <= caps[name], name
    assert len(report["tasks"]) > caps["tasks"]  # the fixture day has more tasks than the report shows


# ---------------------------------------------------------------- a model that says too much


def six_of_everything(src: Path, dst: Path) -> None:
    """A copy of the reference answers in which every list of a chunk stage has exactly 6 distinct items."""
    shutil.copytree(src, dst)
    templates: dict[tuple[str, str], dict[str, Any]] = {}
    for stage, fields in CHUNK_LISTS.items():
        for path in sorted((dst / stage).rglob("*.json")):
            for name in fields:
                for item in json.loads(path.read_text(encoding="utf-8"))[name]:
                    templates.setdefault((stage, name), item)
    serial = 0
    # The chunk stages' answers, then the session reduce's (a multi-chunk session shows the reduced lists)
    jobs = [
        (path, fields)
        for stage, fields in CHUNK_LISTS.items()
        for path in sorted((dst / stage).rglob("*.json"))
    ]
    field_stage = {f: stage for stage, fields in CHUNK_LISTS.items() for f in fields}
    reduce_fields = tuple(field_stage)
    jobs += [(path, reduce_fields) for path in sorted((dst / "session").rglob("*.json"))]
    for path, fields in jobs:
        if True:
            answer = json.loads(path.read_text(encoding="utf-8"))
            for name in fields:
                base = answer[name] or [templates[(field_stage[name], name)]]
                items = []
                for k in range(6):
                    serial += 1
                    item = dict(base[k % len(base)])
                    for key, value in item.items():
                        if isinstance(value, str) and key not in {
                            "category",
                            "status",
                            "severity",
                            "level",
                            "kind",
                        }:
                            item[key] = f"Variant {serial}: {value}"  # a distinct figure: never a duplicate
                    items.append(item)
                answer[name] = items
            path.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")


def test_a_model_answering_six_items_everywhere_still_gives_a_report_within_the_caps(tmp_path: Path) -> None:
    replay = tmp_path / "replay"
    six_of_everything(REPLAY, replay)
    day = run_fixture_day(tmp_path / "out", replay)
    report = json.loads((day / "report.json").read_text(encoding="utf-8"))
    caps = report["caps"]
    chunks = 6  # answers the report reads: 5 one-chunk sessions and the 3-chunk session's reduce
    for name, key in SECTIONS.items():
        assert len(report[key]) == 6 * chunks, name  # every item kept in report.json
        assert sum(i["selected"] for i in report[key]) == caps[name], name
    md = (day / "report.md").read_text(encoding="utf-8")
    assert (
        len([ln for ln in section(md, "Today's Tasks").splitlines() if ln.startswith("- ")]) == caps["tasks"]
    )
    assert len(re.findall(r"^\*\*\d+\. ", section(md, "Issues & Solutions"), flags=re.M)) == caps["issues"]
    assert section(md, "Human Thinking vs AI Thinking").count("\n#### ") == caps["human_vs_ai"]
    assert (
        len([ln for ln in section(md, "AI Limitations").splitlines() if ln.startswith("- ")])
        == caps["ai_limitations"]
    )
    assert (
        len([ln for ln in section(md, "Today's Takeaways").splitlines() if ln.startswith("- ")])
        == caps["takeaways"]
    )
    assert f"_{6 * chunks - caps['tasks']} more tasks in report.json / report.html._" in md
    html = (day / "report.html").read_text(encoding="utf-8")
    assert f'<details class="more"><summary>{6 * chunks - caps["tasks"]} more tasks</summary>' in html
