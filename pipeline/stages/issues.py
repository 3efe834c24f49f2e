"""Stage `issues`: problems, causes, solutions; an issue seen again later takes its later state."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from daily_report.schemas.chunk import Chunk
from daily_report.schemas.issues import IssuesOutput
from daily_report.schemas.report import ReportIssue
from daily_report.schemas.session import SessionReduceOutput
from daily_report.stages.base import ChunkStage, OutputSize, SessionInfo
from daily_report.stages.merge import (
    as_model,
    combine_provenance,
    continued_by,
    dedupe,
    newer,
    reduced_items,
    report_items,
    richness,
    span,
    with_provenance,
)
from pydantic import BaseModel

_TEXT = ("problem", "cause", "solution", "key_insight")


def _known(cause: str) -> bool:
    return bool(cause.strip()) and not cause.strip().lower().startswith("unknown")


def combine_issues(earlier: ReportIssue, later: ReportIssue) -> ReportIssue:
    """Same issue seen twice. Across chunks the later state wins (cause when known, solution, resolved);
    critical wins over general. Within one chunk the richer one is kept."""
    prov = combine_provenance(earlier.provenance, later.provenance)
    severity = "critical" if "critical" in (earlier.severity, later.severity) else "general"
    if not newer(later, earlier):
        keep = later if richness(later, _TEXT) > richness(earlier, _TEXT) else earlier
        return with_provenance(keep.model_copy(update={"severity": severity}), prov)
    merged = earlier.model_copy(
        update={
            "problem": max((earlier.problem, later.problem), key=len),
            "cause": later.cause if _known(later.cause) or not _known(earlier.cause) else earlier.cause,
            "solution": later.solution,
            "resolved": later.resolved,
            "key_insight": later.key_insight or earlier.key_insight,
            "severity": severity,
        }
    )
    return with_provenance(merged, prov)


class IssuesStage(ChunkStage):
    name: ClassVar[str] = "issues"
    # Fitted output size (bench/README.md): mean error 141 tokens (26%).
    output_size: ClassVar[OutputSize] = OutputSize(base=166, per_1k=28.8)
    output_model: ClassVar[type[BaseModel]] = IssuesOutput
    report_sections: ClassVar[tuple[tuple[str, str | None], ...]] = (("issues", None),)

    def merge(self, session: SessionInfo, outputs: Sequence[tuple[Chunk, BaseModel]]) -> list[ReportIssue]:
        items = report_items(outputs, attr="issues", item_model=ReportIssue, output_model=IssuesOutput)
        return dedupe(
            items,
            key=lambda i: i.problem,
            fields=_TEXT,
            combine=combine_issues,
            same=continued_by(lambda i: i.problem),
        )

    def notes(self, output: BaseModel) -> list[str]:
        lines = ["issues:"]
        for i in as_model(IssuesOutput, output).issues:
            state = "resolved" if i.resolved else "unresolved"
            lines.append(
                f"- [{span(i)} · {i.severity} · {state}] {i.problem} | cause: {i.cause} | "
                f"solution: {i.solution} | insight: {i.key_insight}"
            )
        return lines

    def from_reduce(self, answer: BaseModel, chunks: Sequence[Chunk]) -> list[ReportIssue]:
        return reduced_items(chunks, as_model(SessionReduceOutput, answer).issues, ReportIssue)
