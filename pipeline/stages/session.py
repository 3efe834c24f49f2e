"""Stage `session` (map → reduce): one request per session of several chunks, over its chunk answers.

The heuristic merges (``stages/merge.py``) join chunk answers by text similarity: a task keeps both states
("not committed … committed"), an issue fixed in a later chunk can stay "Not yet resolved", the title is
part 1's. The reduce asks the model for the session as it ended: one title, status and summary; each task
and issue once in its final state; duplicates merged; turn ranges kept. A one-chunk session sends nothing:
its chunk answers already are the session. The request carries the chunk answers only (no transcript), as
compact lines with their part and turn range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

from pipeline import log
from pipeline.llm.types import TextBlock
from pipeline.stages.base import (
    LANG_NAMES,
    PlannedCall,
    Prompt,
    SessionInfo,
    SessionParts,
    SessionStage,
    escape_attr,
    neutralize_tags,
)
from pipeline.stages.merge import as_model
from schemas.chunk import Chunk
from schemas.common import TurnSpan
from schemas.facts import SessionFacts
from schemas.human_ai import HumanAIOutput
from schemas.issues import IssuesOutput
from schemas.report import (
    HumanAISession,
    Provenance,
    ReportIssue,
    ReportLimitation,
    ReportTakeaway,
    ReportTask,
    ReportTopic,
)
from schemas.session import SESSION_SUMMARY_WORDS, SessionReduceOutput
from schemas.takeaways import TakeawaysOutput
from schemas.tasks import TasksOutput

# ---------------------------------------------------------------- the chunk answers as compact lines


def _span(item: TurnSpan) -> str:
    return f"t{item.turn_start}-t{item.turn_end}"


def _facts_lines(out: BaseModel) -> list[str]:
    f = as_model(SessionFacts, out)
    return [f"facts: [{f.status}] {f.title} · project: {f.project}", f"summary: {f.summary}"]


def _tasks_lines(out: BaseModel) -> list[str]:
    tasks = as_model(TasksOutput, out).tasks
    return ["tasks:", *(f"- [{_span(t)} · {t.status} · {t.category}] {t.title} — {t.details}" for t in tasks)]


def _issues_lines(out: BaseModel) -> list[str]:
    lines = ["issues:"]
    for i in as_model(IssuesOutput, out).issues:
        state = "resolved" if i.resolved else "unresolved"
        lines.append(
            f"- [{_span(i)} · {i.severity} · {state}] {i.problem} | cause: {i.cause} | "
            f"solution: {i.solution} | insight: {i.key_insight}"
        )
    return lines


def _human_ai_lines(out: BaseModel) -> list[str]:
    h = as_model(HumanAIOutput, out)
    lines = ["human_ai topics:"]
    lines += [
        f"- [{_span(t)} · {t.level}] {t.topic} | human: {t.human} | ai: {t.ai} | analysis: {t.analysis}"
        for t in h.topics
    ]
    lines.append("ai limitations:")
    lines += [f"- [{_span(x)} · {x.severity}] {x.limitation}" for x in h.limitations]
    return lines


def _takeaways_lines(out: BaseModel) -> list[str]:
    return [
        "takeaways:",
        *(f"- [{_span(t)} · {t.kind}] {t.text}" for t in as_model(TakeawaysOutput, out).takeaways),
    ]


_RENDER = {
    "facts": _facts_lines,
    "tasks": _tasks_lines,
    "issues": _issues_lines,
    "human_ai": _human_ai_lines,
    "takeaways": _takeaways_lines,
}


def parts_block(info: SessionInfo, parts: SessionParts) -> str:
    """The session's chunk answers, part by part. Model-written text: our tags in it are neutralized."""
    a = escape_attr
    first, last = parts.chunks[0], parts.chunks[-1]
    lines = [
        f'<session id="{a(info.session_id)}" agent="{a(info.agent)}" device="{a(info.device)}" '
        f'project="{a(first.project)}" parts="{len(parts.chunks)}" turns="t{first.turn_start}-t{last.turn_end}">'
    ]
    for chunk in parts.chunks:
        lines.append(f'<notes part="{chunk.index + 1}" turns="t{chunk.turn_start}-t{chunk.turn_end}">')
        for stage, render in _RENDER.items():
            found = [out for c, out in parts.outputs.get(stage, ()) if c.index == chunk.index]
            if not found:
                lines.append(f"{stage}: no answer for this part")
                continue
            lines += [neutralize_tags(line) for line in render(found[0])]
        lines.append("</notes>")
    lines.append("</session>")
    return "\n".join(lines)


# ---------------------------------------------------------------- the answer as session-level results


def reduced_provenance(chunks: Sequence[Chunk], span: TurnSpan) -> Provenance:
    """An item of the reduced session: its turn range clamped to the session's, the chunks it overlaps."""
    lo, hi = chunks[0].turn_start, max(chunks[0].turn_start, chunks[-1].turn_end)
    start, end = sorted((min(max(span.turn_start, lo), hi), min(max(span.turn_end, lo), hi)))
    overlapping = [c.index for c in chunks if c.turn_start <= end and start <= c.turn_end]
    first = chunks[0]
    return Provenance(
        device=first.device,
        session_id=first.session_id,
        agent=first.agent,
        project=first.project,
        turn_start=start,
        turn_end=end,
        chunks=overlapping or [first.index],
    )


def _items(chunks: Sequence[Chunk], items: Sequence[TurnSpan], model: type[Any]) -> list[Any]:
    out = []
    for item in items:
        prov = reduced_provenance(chunks, item)
        fields = item.model_dump() | {"turn_start": prov.turn_start, "turn_end": prov.turn_end}
        out.append(model.model_validate(fields | {"provenance": prov}))
    return out


def _had_items(parts: SessionParts, stage: str) -> bool:
    """Whether any chunk answered ``stage`` with at least one item."""
    for _, out in parts.outputs.get(stage, ()):
        data = out.model_dump()
        if any(isinstance(v, list) and v for v in data.values()):
            return True
    return False


class SessionReduceStage(SessionStage):
    name: ClassVar[str] = "session"
    output_model: ClassVar[type[BaseModel]] = SessionReduceOutput
    depends_on: ClassVar[tuple[str, ...]] = ("facts", "tasks", "issues", "human_ai", "takeaways")

    def plan(
        self, session: SessionInfo, parts: SessionParts, prompt: Prompt, system: str, lang: str
    ) -> PlannedCall | None:
        if len(parts.chunks) < 2:
            return None
        instructions = prompt.render(
            lang=lang,
            lang_name=LANG_NAMES.get(lang, lang),
            parts=len(parts.chunks),
            summary_words=SESSION_SUMMARY_WORDS,
        )
        return PlannedCall(
            stage=self.name,
            label=f"{self.name}/{session.session_id}",
            system=system,
            # no cache breakpoint: no other request shares this prefix, and a cache write costs 1.25x
            blocks=(TextBlock(text=parts_block(session, parts)), TextBlock(text=instructions)),
            output_model=self.output_model,
            session_id=session.session_id,
            device=session.device,
        )

    def apply(self, session: SessionInfo, parts: SessionParts, output: BaseModel) -> dict[str, Any]:
        """Session-level results by chunk stage. A list stage the answer left empty although its chunks had
        items is left out (the caller keeps its heuristic merge): a reduce merges, it does not drop all."""
        out = as_model(SessionReduceOutput, output)
        chunks = parts.chunks
        results: dict[str, Any] = {
            "facts": SessionFacts(
                title=out.title, project=out.project, status=out.status, summary=out.summary
            ),
            "tasks": _items(chunks, out.tasks, ReportTask),
            "issues": _items(chunks, out.issues, ReportIssue),
            "human_ai": HumanAISession(
                topics=_items(chunks, out.topics, ReportTopic),
                limitations=_items(chunks, out.limitations, ReportLimitation),
            ),
            "takeaways": _items(chunks, out.takeaways, ReportTakeaway),
        }
        empty = {
            "tasks": not out.tasks,
            "issues": not out.issues,
            "human_ai": not (out.topics or out.limitations),
            "takeaways": not out.takeaways,
        }
        for stage, is_empty in empty.items():
            if is_empty and _had_items(parts, stage):
                log.warn(
                    f"session {session.session_id}: the reduce answer has no {stage} although its chunks "
                    "had some; keeping the merged chunk answers for it"
                )
                del results[stage]
        return results
