"""Stage `takeaways`: core and practical takeaways."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from daily_report.schemas.chunk import Chunk
from daily_report.schemas.report import ReportTakeaway
from daily_report.schemas.session import SessionReduceOutput
from daily_report.schemas.takeaways import TakeawaysOutput
from daily_report.stages.base import ChunkStage, OutputSize, SessionInfo
from daily_report.stages.merge import as_model, dedupe, reduced_items, report_items, span
from pydantic import BaseModel


class TakeawaysStage(ChunkStage):
    name: ClassVar[str] = "takeaways"
    # Fitted output size (bench/README.md): mean error 48 tokens (19%).
    output_size: ClassVar[OutputSize] = OutputSize(base=114, per_1k=9.0)
    output_model: ClassVar[type[BaseModel]] = TakeawaysOutput
    report_sections: ClassVar[tuple[tuple[str, str | None], ...]] = (("takeaways", None),)

    def merge(self, session: SessionInfo, outputs: Sequence[tuple[Chunk, BaseModel]]) -> list[ReportTakeaway]:
        items = report_items(
            outputs, attr="takeaways", item_model=ReportTakeaway, output_model=TakeawaysOutput
        )
        return dedupe(items, key=lambda t: t.text, fields=("text",))

    def notes(self, output: BaseModel) -> list[str]:
        items = as_model(TakeawaysOutput, output).takeaways
        return ["takeaways:", *(f"- [{span(t)} · {t.kind}] {t.text}" for t in items)]

    def from_reduce(self, answer: BaseModel, chunks: Sequence[Chunk]) -> list[ReportTakeaway]:
        return reduced_items(chunks, as_model(SessionReduceOutput, answer).takeaways, ReportTakeaway)
