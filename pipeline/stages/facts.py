"""Stage `facts`: per chunk, what the session was about; merged into one `SessionFacts` per session."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from daily_report.schemas.chunk import Chunk
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.session import SessionReduceOutput
from daily_report.stages.base import ChunkStage, OutputSize, SessionInfo
from daily_report.stages.merge import as_model, join_prose
from pydantic import BaseModel

_GENERIC = re.compile(
    r"\b(session|coding|work(ed)?|misc\w*|general|various|continu\w*|untitled|greeting|hello|chat|task)\b|"
    r"会话|工作|继续|杂项",
    re.IGNORECASE,
)
_SPECIFIC = re.compile(r"\S*[\d_./:=→-]\S*|[A-Z][a-z]*[A-Z]\w*|[\u4e00-\u9fff]{2,}")
_BETTER_BY = 3


def title_specificity(title: str) -> int:
    """How specific a title is: names, figures and identifiers count; generic words cost."""
    words = len(title.split())
    specific = len(_SPECIFIC.findall(title))
    return min(words, 10) + 2 * specific - 4 * len(_GENERIC.findall(title))


def pick_title(titles: Sequence[str]) -> str:
    """The first chunk's title, unless a later one is clearly more specific."""
    best = titles[0]
    for title in titles[1:]:
        if title_specificity(title) >= title_specificity(best) + _BETTER_BY:
            best = title
    return best


class FactsStage(ChunkStage):
    name: ClassVar[str] = "facts"
    # Fitted output size (bench/README.md): mean error 17 tokens (10%).
    output_size: ClassVar[OutputSize] = OutputSize(base=144, per_1k=2.78)
    output_model: ClassVar[type[BaseModel]] = SessionFacts

    def merge(self, session: SessionInfo, outputs: Sequence[tuple[Chunk, BaseModel]]) -> SessionFacts | None:
        """Title from the first chunk unless a later one is better, status from the last chunk,
        project from the first chunk that names one, summaries joined without repeats."""
        facts = [SessionFacts.model_validate(out, from_attributes=True) for _, out in outputs]
        if not facts:
            return None
        project = next((f.project for f in facts if f.project.strip()), session.project)
        return SessionFacts(
            title=pick_title([f.title for f in facts]),
            project=project,
            status=facts[-1].status,
            summary=join_prose([f.summary for f in facts]),
        )

    def notes(self, output: BaseModel) -> list[str]:
        f = as_model(SessionFacts, output)
        return [f"facts: [{f.status}] {f.title} · project: {f.project}", f"summary: {f.summary}"]

    def from_reduce(self, answer: BaseModel, chunks: Sequence[Chunk]) -> SessionFacts:
        a = as_model(SessionReduceOutput, answer)
        return SessionFacts(title=a.title, project=a.project, status=a.status, summary=a.summary)
