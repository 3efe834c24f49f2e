"""The one list of stages, in dependency order, and the shared system prompt."""

from __future__ import annotations

from pathlib import Path

from daily_report.core.errors import ConfigError
from daily_report.stages.base import LANG_NAMES, ChunkStage, DayStage, Prompt, SessionStage, load_prompt
from daily_report.stages.facts import FactsStage
from daily_report.stages.human_ai import HumanAIStage
from daily_report.stages.issues import IssuesStage
from daily_report.stages.overview import OverviewStage
from daily_report.stages.projects import ProjectsStage
from daily_report.stages.session import SessionReduceStage
from daily_report.stages.takeaways import TakeawaysStage
from daily_report.stages.tasks import TasksStage
from pydantic import BaseModel

StageClass = type[ChunkStage] | type[SessionStage] | type[DayStage]

STAGES: dict[str, StageClass] = {
    "facts": FactsStage,
    "tasks": TasksStage,
    "issues": IssuesStage,
    "human_ai": HumanAIStage,
    "takeaways": TakeawaysStage,
    "session": SessionReduceStage,
    "projects": ProjectsStage,
    "overview": OverviewStage,
}

SYSTEM_PROMPT = "system"


def get_stage(name: str) -> StageClass:
    """The stage class called ``name``; an unknown name is a ConfigError listing the valid ones."""
    try:
        return STAGES[name]
    except KeyError:
        raise ConfigError(f"unknown stage {name!r}: choose one of {', '.join(STAGES)}") from None


BUNDLE_STAGE = "chunk"
"""What the ledger and the estimate call a request that carries several chunk stages at once (its answers
are stored as the stages' own)."""


def stage_sort_key(stage: str) -> tuple[int, str]:
    """Registry (dependency) order, bundled chunk requests right after the chunk stages; a name not in the
    registry (an old ledger's) after them, by name."""
    order = chunk_stages() + [BUNDLE_STAGE] + [n for n in STAGES if n not in chunk_stages()]
    return (order.index(stage) if stage in order else len(order), stage)


def chunk_stages() -> list[str]:
    return [n for n, cls in STAGES.items() if issubclass(cls, ChunkStage)]


def session_stages() -> list[str]:
    return [n for n, cls in STAGES.items() if issubclass(cls, SessionStage)]


def day_stages() -> list[str]:
    return [n for n, cls in STAGES.items() if issubclass(cls, DayStage)]


def dependents(name: str) -> list[str]:
    """Every stage that reads ``name``'s results, directly or not, in registry order."""
    get_stage(name)
    found = {name}
    for stage, cls in STAGES.items():  # dependency order: one pass suffices
        if found.intersection(cls.depends_on):
            found.add(stage)
    return [s for s in STAGES if s in found and s != name]


def system_prompt(prompts_dir: Path | None = None, lang: str = "en") -> Prompt:
    """The shared system prompt, rendered for ``lang``: ``.text`` is ready to send, ``.version`` keys it."""
    raw = load_prompt(SYSTEM_PROMPT, prompts_dir=prompts_dir)
    text = raw.render(lang=lang, lang_name=LANG_NAMES.get(lang, lang))
    return Prompt(stage=raw.stage, version=raw.version, text=text, path=raw.path)


def shared_tools() -> tuple[tuple[str, type[BaseModel]], ...]:
    """Every chunk stage's (name, output model), in registry order: the tool list all chunk-stage requests
    over a chunk share, so providers cache it with the transcript."""
    return tuple((name, cls.output_model) for name, cls in STAGES.items() if issubclass(cls, ChunkStage))
