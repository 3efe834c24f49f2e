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

from daily_report.core import log
from daily_report.llm.types import TextBlock
from daily_report.schemas.session import SESSION_SUMMARY_WORDS, SessionReduceOutput
from daily_report.stages.base import (
    LANG_NAMES,
    OutputSize,
    PlannedCall,
    Prompt,
    SessionInfo,
    SessionParts,
    SessionStage,
    escape_attr,
    neutralize_tags,
)
from daily_report.stages.merge import as_model
from pydantic import BaseModel

# ---------------------------------------------------------------- the chunk answers as compact lines


def parts_block(info: SessionInfo, parts: SessionParts, stages: Sequence[str]) -> str:
    """The session's chunk answers, part by part, each stage's as its own ``notes`` lines. Model-written
    text: our tags in it are neutralized."""
    a = escape_attr
    first, last = parts.chunks[0], parts.chunks[-1]
    lines = [
        f'<session id="{a(info.session_id)}" agent="{a(info.agent)}" device="{a(info.device)}" '
        f'project="{a(first.project)}" parts="{len(parts.chunks)}" turns="t{first.turn_start}-t{last.turn_end}">'
    ]
    for chunk in parts.chunks:
        lines.append(f'<notes part="{chunk.index + 1}" turns="t{chunk.turn_start}-t{chunk.turn_end}">')
        for name in stages:
            found = [out for c, out in parts.outputs.get(name, ()) if c.index == chunk.index]
            if not found:
                lines.append(f"{name}: no answer for this part")
                continue
            lines += [neutralize_tags(line) for line in parts.stages[name].notes(found[0])]
        lines.append("</notes>")
    lines.append("</session>")
    return "\n".join(lines)


# ---------------------------------------------------------------- the answer as session-level results


def _has_items(value: Any) -> bool:
    """Whether a result or an answer holds at least one item (a list, or a model with list fields)."""
    if isinstance(value, list):
        return bool(value)
    data = value.model_dump() if isinstance(value, BaseModel) else {}
    lists = [v for v in data.values() if isinstance(v, list)]
    return any(lists) if lists else True


class SessionReduceStage(SessionStage):
    name: ClassVar[str] = "session"
    # Fitted output size (bench/README.md): it rewrites the chunk notes it reads, 0.87x their size
    # (2 answers, mean error 23 tokens).
    output_size: ClassVar[OutputSize] = OutputSize(base=781, per_1k=565)
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
            blocks=(
                TextBlock(text=parts_block(session, parts, self.depends_on)),
                TextBlock(text=instructions),
            ),
            output_model=self.output_model,
            session_id=session.session_id,
            device=session.device,
        )

    def apply(self, session: SessionInfo, parts: SessionParts, output: BaseModel) -> dict[str, Any]:
        """Session-level results by chunk stage, each built by its stage's ``from_reduce``. A stage the answer
        left empty although its chunks had items is left out (the caller keeps its heuristic merge): a
        reduce merges, it does not drop everything."""
        answer = as_model(SessionReduceOutput, output)
        results: dict[str, Any] = {}
        for name in self.depends_on:
            result = parts.stages[name].from_reduce(answer, parts.chunks)
            had = any(_has_items(out) for _, out in parts.outputs.get(name, ()))
            if not _has_items(result) and had:
                log.warn(
                    f"session {session.session_id}: the reduce answer has no {name} although its chunks "
                    "had some; keeping the merged chunk answers for it"
                )
                continue
            results[name] = result
        return results
