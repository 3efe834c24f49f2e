"""Stage `human_ai`: human vs AI thinking per topic, and AI limitations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from daily_report.schemas.chunk import Chunk
from daily_report.schemas.human_ai import HumanAIOutput
from daily_report.schemas.report import HumanAISession, ReportLimitation, ReportTopic
from daily_report.schemas.session import SessionReduceOutput
from daily_report.stages.base import ChunkStage, OutputSize, SessionInfo
from daily_report.stages.merge import as_model, dedupe, reduced_items, report_items, span
from pydantic import BaseModel


class HumanAIStage(ChunkStage):
    name: ClassVar[str] = "human_ai"
    # Fitted output size (bench/README.md): mean error 111 tokens (37%).
    output_size: ClassVar[OutputSize] = OutputSize(base=123, per_1k=37.5)
    output_model: ClassVar[type[BaseModel]] = HumanAIOutput
    report_sections: ClassVar[tuple[tuple[str, str | None], ...]] = (
        ("human_vs_ai", "topics"),
        ("ai_limitations", "limitations"),
    )

    def merge(self, session: SessionInfo, outputs: Sequence[tuple[Chunk, BaseModel]]) -> HumanAISession:
        topics = report_items(outputs, attr="topics", item_model=ReportTopic, output_model=HumanAIOutput)
        limits = report_items(
            outputs, attr="limitations", item_model=ReportLimitation, output_model=HumanAIOutput
        )
        return HumanAISession(
            topics=dedupe(
                topics, key=lambda t: f"{t.topic} {t.human}", fields=("topic", "human", "ai", "analysis")
            ),
            limitations=dedupe(limits, key=lambda x: x.limitation, fields=("limitation",)),
        )

    def notes(self, output: BaseModel) -> list[str]:
        h = as_model(HumanAIOutput, output)
        lines = ["human_ai topics:"]
        lines += [
            f"- [{span(t)} · {t.level}] {t.topic} | human: {t.human} | ai: {t.ai} | analysis: {t.analysis}"
            for t in h.topics
        ]
        lines.append("ai limitations:")
        lines += [f"- [{span(x)} · {x.severity}] {x.limitation}" for x in h.limitations]
        return lines

    def from_reduce(self, answer: BaseModel, chunks: Sequence[Chunk]) -> HumanAISession:
        a = as_model(SessionReduceOutput, answer)
        return HumanAISession(
            topics=reduced_items(chunks, a.topics, ReportTopic),
            limitations=reduced_items(chunks, a.limitations, ReportLimitation),
        )
