"""A stage's name is spelled in pipeline/stages/ (with its prompt and schema) and at most one rendering map:
the registry and the stage classes are the stage list, ``report.sections`` is the report's one map."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from daily_report.core.errors import ConfigError
from daily_report.engine.editor import section_feeds
from daily_report.engine.estimate import OUTPUT_SIZE
from daily_report.eval.cases import CaseExpect, read_expect
from daily_report.report.build import _missing
from daily_report.report.sections import ITEM_SECTIONS, SECTIONS, item_fields, merge_rules
from daily_report.schemas.report import DailyReport, DayItems
from daily_report.stages.registry import BUNDLE_STAGE, STAGES, chunk_stages, day_stages, stage_sort_key
from pydantic import ValidationError

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "pipeline"
# the two stages whose names appear nowhere else by chance (unlike "tasks" or "session")
DISTINCTIVE = re.compile(r"(?<![A-Za-z0-9_])(human_ai|takeaways)(?![A-Za-z0-9_])")
EXEMPT = ("stages", "prompts", "schemas")  # a stage's own folders
MAX_FILES = 2


def files_spelling_stage_names(root: Path) -> list[str]:
    found = []
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.j2")]):
        rel = path.relative_to(root)
        if rel.parts[0] in EXEMPT:
            continue
        if DISTINCTIVE.search(path.read_text(encoding="utf-8")):
            found.append(rel.as_posix())
    return found


def test_distinctive_stage_names_live_in_at_most_two_files_outside_the_stages() -> None:
    found = files_spelling_stage_names(PIPELINE)
    assert len(found) <= MAX_FILES, f"stage names spelled outside pipeline/stages/: {found}"


def test_the_counter_sees_a_stage_name_and_ignores_longer_words(tmp_path: Path) -> None:
    (tmp_path / "stages").mkdir()
    (tmp_path / "stages" / "x.py").write_text('NAME = "human_ai"\n', encoding="utf-8")
    (tmp_path / "a.py").write_text('ORDER = ("facts", "takeaways")\n', encoding="utf-8")
    (tmp_path / "b.j2").write_text("{{ notice(missing('human_ai')) }}\n", encoding="utf-8")
    (tmp_path / "c.py").write_text("more_takeaways = _human_ai_x = 1\n", encoding="utf-8")
    assert files_spelling_stage_names(tmp_path) == ["a.py", "b.j2"]


def test_stage_order_and_kinds_come_from_the_registry() -> None:
    assert sorted(STAGES, key=stage_sort_key) == list(STAGES)
    # bundled chunk requests ("chunk") sort right after the chunk stages; unknown names after everything
    assert stage_sort_key("retired_stage") == (len(STAGES) + 1, "retired_stage")
    assert stage_sort_key(BUNDLE_STAGE) == (len(chunk_stages()), BUNDLE_STAGE)
    assert set(OUTPUT_SIZE) == set(STAGES)
    assert all(OUTPUT_SIZE[name] == cls.output_size for name, cls in STAGES.items())
    # a day with no results at all lacks every chunk and day stage, in registry order
    assert _missing({}, {}, []) == [s for s in STAGES if s in chunk_stages() + day_stages()]


def test_every_section_a_stage_feeds_is_in_the_rendering_map() -> None:
    fields = {s.field for s in ITEM_SECTIONS}
    assert set(section_feeds()) == fields == set(merge_rules())
    assert fields <= set(DailyReport.model_fields) and fields <= set(DayItems.model_fields)
    for s in SECTIONS:
        assert s.stage is None or s.stage in STAGES, s
        if s.kind == "items":
            assert s.labels and s.look in ("task", "issue", "topic", "bullet"), s
    anchors = [s.anchor for s in SECTIONS]
    assert len(anchors) == len(set(anchors))
    assert set(item_fields(DayItems())) == fields


def test_an_eval_case_naming_an_unknown_stage_is_refused_with_the_valid_names(tmp_path: Path) -> None:
    path = tmp_path / "expect.yaml"
    path.write_text("description: x\nstages:\n  retired_stage:\n    must_mention: [a]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown stage 'retired_stage': choose one of facts, tasks"):
        read_expect(path)
    first = next(iter(STAGES))
    assert list(CaseExpect.model_validate({"description": "x", "stages": {first: {}}}).stages) == [first]
    with pytest.raises(ValidationError):
        CaseExpect.model_validate({"description": "x", "stages": {"": {}}})
