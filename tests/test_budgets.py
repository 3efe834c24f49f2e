"""Word budgets: stated in the schema field's description and in the stage's prompt, as the references write."""

from __future__ import annotations

import typing

import pytest
from daily_report.schemas.budgets import at_most, budgets_of, word_count
from daily_report.stages.base import load_prompt
from daily_report.stages.registry import STAGES
from pydantic import BaseModel

BUDGETED = [
    (name, path, words) for name, cls in STAGES.items() for path, words in budgets_of(cls.output_model)
]


def field_description(model: type[BaseModel], path: str) -> str:
    """The description of the (last) field a budget path names: "tasks[].title+details" -> details."""
    head, _, rest = path.partition("[].")
    if rest:
        (item,) = typing.get_args(model.model_fields[head].annotation)
        return field_description(item, rest)
    return model.model_fields[path.split("+")[-1]].description or ""


def test_every_stage_with_prose_has_budgets() -> None:
    assert {name for name, _, _ in BUDGETED} == set(STAGES)


@pytest.mark.parametrize(("stage", "path", "words"), BUDGETED)
def test_the_budget_is_in_the_schema_description_and_the_prompt(stage: str, path: str, words: int) -> None:
    assert at_most(words) in field_description(STAGES[stage].output_model, path)
    assert at_most(words) in load_prompt(stage).text


def test_the_issue_budget_and_the_references() -> None:
    budgets = dict(budgets_of(STAGES["issues"].output_model))
    assert budgets == {
        "issues[].problem": 35,
        "issues[].cause": 35,
        "issues[].solution": 40,
        "issues[].key_insight": 30,
    }
    assert dict(budgets_of(STAGES["tasks"].output_model)) == {"tasks[].title+details": 60}


def test_prompt_wording_for_human_ai_severity_and_status() -> None:
    human_ai = load_prompt("human_ai").text
    # the references contrast the two sides also where the human gave only the goal and the AI chose alone;
    # topics with a human contribution come first, routine steps are not topics
    assert "First the topics where the human contributed beyond the goal" in human_ai
    assert "Gave only the goal" in human_ai and "Routine steps" in human_ai
    for stage in ("issues", "human_ai"):
        text = load_prompt(stage).text
        assert "blocked or endangered the day's main goal" in text and "exposed a secret" in text
    for stage in ("tasks", "facts", "projects"):
        assert "review" in load_prompt(stage).text  # a delivered plan or draft awaiting review is done


def test_word_count_reads_cjk_as_about_two_characters_a_word() -> None:
    assert word_count("fix the loader") == 3
    assert word_count("帮我看看") == 2 and word_count("") == 0
