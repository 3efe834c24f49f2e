"""Stage `tasks`: units of work per chunk; a task continued across chunks merges into one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from daily_report.schemas.chunk import Chunk
from daily_report.schemas.report import ReportTask
from daily_report.schemas.session import SessionReduceOutput
from daily_report.schemas.tasks import TasksOutput
from daily_report.stages.base import ChunkStage, OutputSize, SessionInfo
from daily_report.stages.merge import (
    as_model,
    combine_provenance,
    continued_by,
    dedupe,
    join_prose,
    newer,
    reduced_items,
    report_items,
    richness,
    span,
    with_provenance,
)
from pydantic import BaseModel

TITLE_THRESHOLD = 0.88
_TEXT = ("title", "details")


def combine_tasks(earlier: ReportTask, later: ReportTask) -> ReportTask:
    """Same task seen twice. Across chunks: status from the later chunk, details combined.
    Within one chunk: the richer one is kept."""
    prov = combine_provenance(earlier.provenance, later.provenance)
    if not newer(later, earlier):
        keep = later if richness(later, _TEXT) > richness(earlier, _TEXT) else earlier
        return with_provenance(keep, prov)
    merged = earlier.model_copy(
        update={"status": later.status, "details": join_prose([earlier.details, later.details])}
    )
    return with_provenance(merged, prov)


class TasksStage(ChunkStage):
    name: ClassVar[str] = "tasks"
    # Fitted output size (bench/README.md): mean error 75 tokens (20%).
    output_size: ClassVar[OutputSize] = OutputSize(base=185, per_1k=12.8)
    output_model: ClassVar[type[BaseModel]] = TasksOutput
    report_sections: ClassVar[tuple[tuple[str, str | None], ...]] = (("tasks", None),)

    def merge(self, session: SessionInfo, outputs: Sequence[tuple[Chunk, BaseModel]]) -> list[ReportTask]:
        items = report_items(outputs, attr="tasks", item_model=ReportTask, output_model=TasksOutput)
        return dedupe(
            items,
            key=lambda t: t.title,
            fields=_TEXT,
            threshold=TITLE_THRESHOLD,
            combine=combine_tasks,
            same=continued_by(lambda t: t.title),
        )

    def notes(self, output: BaseModel) -> list[str]:
        tasks = as_model(TasksOutput, output).tasks
        return [
            "tasks:",
            *(f"- [{span(t)} · {t.status} · {t.category}] {t.title} — {t.details}" for t in tasks),
        ]

    def from_reduce(self, answer: BaseModel, chunks: Sequence[Chunk]) -> list[ReportTask]:
        return reduced_items(chunks, as_model(SessionReduceOutput, answer).tasks, ReportTask)
