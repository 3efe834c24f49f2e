"""Stage `tasks`: units of work per chunk; a task continued across chunks merges into one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel

from pipeline.stages.base import ChunkStage, SessionInfo
from pipeline.stages.merge import (
    combine_provenance,
    dedupe,
    join_prose,
    newer,
    numbers,
    report_items,
    richness,
    with_provenance,
    word_overlap,
)
from schemas.chunk import Chunk
from schemas.report import ReportTask
from schemas.tasks import TasksOutput

TITLE_THRESHOLD = 0.88
CONTINUED_OVERLAP = 0.75
_TEXT = ("title", "details")


def continued(earlier: ReportTask, later: ReportTask) -> bool:
    """A later chunk's task that goes on with an earlier one under a reworded title: most of its
    content words shared, and no figure telling them apart."""
    if not newer(later, earlier):
        return False
    na, nb = numbers(earlier.title), numbers(later.title)
    if na and nb and not (na <= nb or nb <= na):
        return False
    return word_overlap(earlier.title, later.title) >= CONTINUED_OVERLAP


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
    output_model: ClassVar[type[BaseModel]] = TasksOutput

    def merge(self, session: SessionInfo, outputs: Sequence[tuple[Chunk, BaseModel]]) -> list[ReportTask]:
        items = report_items(outputs, attr="tasks", item_model=ReportTask, output_model=TasksOutput)
        return dedupe(
            items,
            key=lambda t: t.title,
            fields=_TEXT,
            threshold=TITLE_THRESHOLD,
            combine=combine_tasks,
            same=continued,
        )
