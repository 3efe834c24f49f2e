"""Stage `takeaways`: core and practical takeaways."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from pydantic import BaseModel

from pipeline.stages.base import ChunkStage, SessionInfo
from pipeline.stages.merge import dedupe, report_items
from schemas.chunk import Chunk
from schemas.report import ReportTakeaway
from schemas.takeaways import TakeawaysOutput


class TakeawaysStage(ChunkStage):
    name: ClassVar[str] = "takeaways"
    output_model: ClassVar[type[BaseModel]] = TakeawaysOutput
    report_sections: ClassVar[tuple[tuple[str, str | None], ...]] = (("takeaways", None),)

    def merge(self, session: SessionInfo, outputs: Sequence[tuple[Chunk, BaseModel]]) -> list[ReportTakeaway]:
        items = report_items(
            outputs, attr="takeaways", item_model=ReportTakeaway, output_model=TakeawaysOutput
        )
        return dedupe(items, key=lambda t: t.text, fields=("text",))
