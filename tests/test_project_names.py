"""Project resolution: worktree paths, the [projects] alias table and the facts stage's project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from daily_report.core.config import load_config
from daily_report.core.errors import ConfigError
from daily_report.engine.project_names import resolve_project, worktree_repo

from tests.test_session_reduce import CASES, case_run


@pytest.mark.parametrize(
    ("cwd", "repo"),
    [
        ("/home/u/src/spotter/.worktrees/fum", "spotter"),
        ("/home/u/src/spotter/.worktrees/fum/pkg", "spotter"),
        ("/home/u/src/spotter/.claude/worktrees/fum", "spotter"),
        ("/home/u/src/spotter.worktrees/fum", "spotter"),
        ("C:\\Users\\u\\spotter\\worktrees\\fum", "spotter"),
        ("/home/u/src/spotter", None),
        ("/home/u/worktrees", None),
        (None, None),
    ],
)
def test_worktree_paths(cwd: str | None, repo: str | None) -> None:
    assert worktree_repo(cwd) == repo


def test_resolution_order() -> None:
    aliases = {"spotter-fum": "spotter", "naya": "Naya Studio"}
    assert resolve_project("spotter-fum", aliases=aliases) == "spotter"  # the table first
    assert resolve_project("Spotter_Fum", aliases=aliases) == "spotter"  # spelled otherwise
    wt = ["/home/u/spotter/.worktrees/fum"]
    assert resolve_project("fum", cwds=wt) == "spotter"  # a worktree path
    assert resolve_project("naya-x", cwds=["/w/naya/.worktrees/naya-x"], aliases=aliases) == "Naya Studio"
    assert resolve_project("repo", facts_project="spotter") == "spotter"  # a generic folder
    assert resolve_project("repo", facts_project="a long sentence about the work done") == "repo"
    # a <project>-<suffix> worktree: the suffix is the branch, or the project is another folder that day
    assert resolve_project("spotter-fum", facts_project="spotter", branch="fum") == "spotter"
    assert resolve_project("spotter-fum", facts_project="spotter", known=["spotter"]) == "spotter"
    # without that evidence a folder that merely starts with the facts project stays as it is
    assert resolve_project("vla-finetune", facts_project="vla") == "vla-finetune"
    assert resolve_project("vla-finetune", facts_project="something else") == "vla-finetune"


def test_the_alias_table_is_read_from_the_config(tmp_path: Path) -> None:
    toml = tmp_path / "daily-report.toml"
    toml.write_text('[projects]\n"spotter-fum" = "spotter"\n', encoding="utf-8")
    assert load_config(toml).projects == {"spotter-fum": "spotter"}
    toml.write_text('[projects]\n"spotter-fum" = 3\n', encoding="utf-8")
    with pytest.raises(ConfigError):
        load_config(toml)


def test_sessions_and_the_projects_stage_group_by_the_resolved_name(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    shutil.copytree(CASES / "resolved-later" / "reference", reference)
    answer = json.loads((reference / "projects" / "beadboard.json").read_text(encoding="utf-8"))
    (reference / "projects" / "beadboard.json").unlink()
    (reference / "projects" / "beads.json").write_text(json.dumps(answer | {"project": "beads"}))
    from daily_report.eval.cases import load_cases
    from daily_report.schemas.config import LLMConfig

    case = load_cases(CASES, names=["resolved-later"])[0]
    config = case.config(llm=LLMConfig(provider="replay", replay_dir=reference))
    config.projects = {"beadboard": "beads"}
    result = case_run(tmp_path, "resolved-later", config=config)
    assert result.failures == []
    report = result.report
    assert report is not None
    assert [s.project for s in report.sessions] == ["beads"]
    assert [p.project for p in report.projects] == ["beads"]
    assert "## Session" in result.paths["md"].read_text(encoding="utf-8")
