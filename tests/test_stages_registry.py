"""The registry: dependency order, dependents, unknown names, the system prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from daily_report.core.errors import ConfigError
from daily_report.stages.base import ChunkStage, DayStage, SessionStage
from daily_report.stages.registry import (
    STAGES,
    chunk_stages,
    day_stages,
    dependents,
    get_stage,
    session_stages,
    system_prompt,
)


def test_order_and_scopes() -> None:
    assert list(STAGES) == [
        "facts",
        "tasks",
        "issues",
        "human_ai",
        "takeaways",
        "session",
        "projects",
        "overview",
    ]
    assert chunk_stages() == ["facts", "tasks", "issues", "human_ai", "takeaways"]
    assert session_stages() == ["session"]
    assert day_stages() == ["projects", "overview"]
    kinds = {"chunk": ChunkStage, "session": SessionStage, "day": DayStage}
    for name, cls in STAGES.items():
        assert cls.name == name
        assert issubclass(cls, kinds[cls.scope])


def test_every_dependency_comes_earlier() -> None:
    names = list(STAGES)
    for i, cls in enumerate(STAGES.values()):
        assert all(names.index(dep) < i for dep in cls.depends_on)


def test_dependents_are_transitive_and_ordered() -> None:
    assert dependents("tasks") == ["session", "projects", "overview"]
    assert dependents("facts") == ["session", "projects", "overview"]
    assert dependents("human_ai") == ["session", "projects", "overview"]
    assert dependents("session") == ["projects", "overview"]
    assert dependents("projects") == ["overview"]
    assert dependents("overview") == []


def test_unknown_stage_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match=r"unknown stage 'task'.*facts, tasks, issues"):
        get_stage("task")
    with pytest.raises(ConfigError):
        dependents("nope")


def test_system_prompt_from_another_dir(tmp_path: Path) -> None:
    (tmp_path / "system").mkdir()
    (tmp_path / "system" / "v1.md").write_text("{# header #}Write in {{ lang_name }}.", encoding="utf-8")
    (tmp_path / "system" / "v2.md").write_text(
        "{# v2 #}Prose: {{ lang_name }} ({{ lang }}).", encoding="utf-8"
    )
    prompt = system_prompt(tmp_path, lang="zh")
    assert prompt.version == "v2" and prompt.text == "Prose: Simplified Chinese (简体中文) (zh)."
    assert prompt.render() == prompt.text  # rendering again changes nothing
    assert system_prompt().version == "v1"
