"""The small surface every stage has. Adding a stage: one module here, one prompt file
(``prompts/<stage>/vN.md``), one schema (``schemas/<stage>.py``), one registry line.

Three scopes (``scope``; the registry lists them in dependency order):
- ``ChunkStage``: one answer per chunk; the transcript is the first, cached block of the user turn (the
  system role holds instructions only) and the stage's instructions come after it, so every chunk stage
  over one chunk shares the same prefix. Instructions that render no chunk variable (prompts v3) can also
  go, with the other stages', into the system text of one bundled request per chunk (``engine/bundle.py``);
  the chunk note after the transcript says which part it is. ``merge``
  turns the chunk outputs of one session into session-level items with provenance.
- ``SessionStage``: at most one request per session, over the chunk answers of a session of several
  chunks (the reduce); it returns the session-level results that replace the heuristic merges.
- ``DayStage``: requests over the whole day (per project, or one for the day), planned from the merged
  session-level results of the stages it ``depends_on``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from daily_report.core.paths import PROMPTS_DIR
from daily_report.llm.types import TextBlock
from daily_report.schemas.chunk import Chunk
from jinja2 import Environment, StrictUndefined, Template
from pydantic import BaseModel

_VERSION_RE = re.compile(r"^v(\d+)\.md$")
_jinja = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=256)
def _template(text: str) -> Template:
    """A prompt's compiled template: compiling takes ~9 ms, and a run renders each prompt once per chunk."""
    return _jinja.from_string(text)


@lru_cache(maxsize=256)
def _variables(text: str) -> frozenset[str]:
    from jinja2 import meta

    return frozenset(meta.find_undeclared_variables(_jinja.parse(text)))


LANG_NAMES = {"en": "English", "zh": "Simplified Chinese (简体中文)"}


@dataclass(frozen=True)
class Prompt:
    """One versioned prompt file. The version and text go into the request key."""

    stage: str
    version: str
    text: str
    path: Path

    def render(self, **variables: Any) -> str:
        return _template(self.text).render(**variables)

    @property
    def uses_chunk(self) -> bool:
        """True for a prompt that renders the chunk (older versions): its text differs from chunk to chunk,
        so it cannot sit in a prefix shared by every chunk (no bundled requests)."""
        return "chunk" in _variables(self.text)


def prompt_versions(stage: str, prompts_dir: Path | None = None) -> list[str]:
    d = (prompts_dir or PROMPTS_DIR) / stage
    found = [(int(m.group(1)), p.stem) for p in d.glob("v*.md") if (m := _VERSION_RE.match(p.name))]
    return [v for _, v in sorted(found)]


def load_prompt(stage: str, version: str | None = None, prompts_dir: Path | None = None) -> Prompt:
    """The given version of a stage's prompt, or the highest vN.md when version is None."""
    from daily_report.core.errors import ConfigError

    base = prompts_dir or PROMPTS_DIR
    versions = prompt_versions(stage, base)
    if not versions:
        raise ConfigError(f"no prompt for stage {stage!r}: expected {base / stage}/v1.md")
    chosen = version or versions[-1]
    path = base / stage / f"{chosen}.md"
    if not path.is_file():
        raise ConfigError(f"prompt {stage} {chosen} not found at {path}; have {', '.join(versions)}")
    return Prompt(stage=stage, version=chosen, text=path.read_text(encoding="utf-8"), path=path)


@dataclass(frozen=True)
class OutputSize:
    """The expected output tokens (o200k) of one answer: ``base`` plus ``per_1k`` for each 1,000 tokens of what
    the request reads (its blocks before the instructions: a chunk's transcript, a session's chunk notes, a
    day's session notes). The request's ``max_tokens`` caps it. Each stage's figures are a least-squares fit
    on real answers (bench/README.md, "Output estimate"): a flat figure per stage over-estimated the output
    of a small chunk two to three times.
    """

    base: float
    per_1k: float = 0.0

    def tokens(self, read_tokens: int) -> int:
        return max(round(self.base + self.per_1k * read_tokens / 1000), 1)


@dataclass(frozen=True)
class PlannedCall:
    """One request a stage needs, before the provider and model are applied by the engine."""

    stage: str
    label: str
    system: str
    blocks: tuple[TextBlock, ...]
    output_model: type[BaseModel]
    session_id: str | None = None
    chunk_index: int | None = None
    device: str | None = None
    tools: tuple[tuple[str, type[BaseModel]], ...] = ()  # (tool name, output model): shared by chunk stages
    tool_name: str | None = None  # the tool this call forces (one of ``tools``)
    # A chunk stage whose prompt does not render the chunk: its instructions (the same for every chunk) and
    # what is said of this chunk after the transcript; a bundled request puts the first in its system text.
    instructions: str | None = None
    chunk_note: str = ""


@dataclass
class SessionInfo:
    """What day stages know about one session (no transcript text)."""

    session_id: str
    device: str
    agent: str
    project: str
    start: str | None
    end: str | None
    human_prompts: int
    tool_calls: int
    tool_errors: int
    models: list[str] = field(default_factory=list)
    title: str | None = None


@dataclass
class DayInputs:
    """Everything a day stage may read: session info and merged session-level results by stage."""

    date: str
    lang: str
    sessions: Sequence[SessionInfo]
    results: Mapping[str, Mapping[str, Any]]  # stage -> session_id -> merged session-level result
    day_results: Mapping[str, Any] = field(default_factory=dict)  # day stage -> its merged result
    timezone: str | None = None  # IANA zone for local times in day-stage text; None: times shown as given
    ask_single_session_projects: bool = False  # config report.ask_single_session_projects


class ChunkStage:
    name: ClassVar[str]
    output_model: ClassVar[type[BaseModel]]
    # The expected size of an answer, for the cost estimate: each stage declares its fitted figures.
    output_size: ClassVar[OutputSize] = OutputSize(base=300)
    scope: ClassVar[str] = "chunk"
    depends_on: ClassVar[tuple[str, ...]] = ()
    # The report sections the merged session result feeds: (DailyReport field, attribute of the merged
    # result holding the items, or None when the result is the list itself). Read by the day editor.
    report_sections: ClassVar[tuple[tuple[str, str | None], ...]] = ()

    def plan(self, chunk: Chunk, prompt: Prompt, system: str, lang: str) -> PlannedCall:
        """Transcript first (cached block), then this stage's instructions (and, when they do not name the
        chunk themselves, the chunk note)."""
        text = prompt.render(lang=lang, lang_name=LANG_NAMES.get(lang, lang), chunk=chunk)
        own = not prompt.uses_chunk
        note = chunk_note(chunk) if own else ""
        return PlannedCall(
            stage=self.name,
            label=f"{self.name}/{chunk.session_id}/chunk-{chunk.index}",
            system=system,
            blocks=(
                TextBlock(text=transcript_block(chunk), cache=True),
                TextBlock(text=f"{text.rstrip()}\n\n{note}" if own else text),
            ),
            instructions=text.strip() if own else None,
            chunk_note=note,
            output_model=self.output_model,
            session_id=chunk.session_id,
            chunk_index=chunk.index,
            device=chunk.device,
            tool_name=self.name,  # the engine adds the shared tool list (registry.shared_tools)
        )

    def merge(self, session: SessionInfo, outputs: Sequence[tuple[Chunk, BaseModel]]) -> Any:
        """Chunk outputs of one session (in chunk order) -> the session-level result."""
        raise NotImplementedError

    def notes(self, output: BaseModel) -> list[str]:
        """This stage's answer over one chunk as compact lines, each item with its turn range: what the
        session reduce reads."""
        raise NotImplementedError

    def from_reduce(self, answer: BaseModel, chunks: Sequence[Chunk]) -> Any:
        """This stage's session-level result (the type ``merge`` returns) from the session reduce's answer."""
        raise NotImplementedError


@dataclass(frozen=True)
class SessionParts:
    """A session's chunks, every chunk stage's answers over them (chunk order) and those stages, by name."""

    chunks: Sequence[Chunk]
    outputs: Mapping[str, Sequence[tuple[Chunk, BaseModel]]]
    stages: Mapping[str, ChunkStage]


class SessionStage:
    name: ClassVar[str]
    output_model: ClassVar[type[BaseModel]]
    output_size: ClassVar[OutputSize] = OutputSize(base=300)
    scope: ClassVar[str] = "session"
    depends_on: ClassVar[tuple[str, ...]] = ()

    def plan(
        self, session: SessionInfo, parts: SessionParts, prompt: Prompt, system: str, lang: str
    ) -> PlannedCall | None:
        """The session's request, or None when it needs none (a session of one chunk)."""
        raise NotImplementedError

    def apply(self, session: SessionInfo, parts: SessionParts, output: BaseModel) -> dict[str, Any]:
        """The answer as session-level results by chunk stage (what the merges would otherwise give)."""
        raise NotImplementedError


class DayStage:
    name: ClassVar[str]
    output_model: ClassVar[type[BaseModel]]
    output_size: ClassVar[OutputSize] = OutputSize(base=300)
    scope: ClassVar[str] = "day"
    depends_on: ClassVar[tuple[str, ...]] = ()

    def plan(self, day: DayInputs, prompt: Prompt, system: str) -> list[PlannedCall]:
        raise NotImplementedError

    def merge(self, day: DayInputs, outputs: Sequence[tuple[PlannedCall, BaseModel]]) -> Any:
        raise NotImplementedError


# Our own structural tags: transcript-derived and model-written text must never open or close one.
_STRUCTURAL_TAG = re.compile(
    r"<(?=/?\s*(?:transcript|session|earlier_parts|project|day|device|notes)\b)", re.I
)


def neutralize_tags(text: str) -> str:
    """``text`` with the ``<`` of our structural tags (``</transcript>``, ``<session …>``…) replaced by ``‹``,
    so text inside a block cannot close it or open a new one. Deterministic: same input, same bytes."""
    return _STRUCTURAL_TAG.sub("‹", text) if "<" in text else text


def escape_attr(value: object) -> str:
    """A value for a double-quoted attribute of our tags: ``& " < >`` escaped, line breaks as spaces."""
    text = str(value)
    if not any(c in text for c in '&"<>\n\r'):
        return text
    text = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.splitlines())


def chunk_note(chunk: Chunk) -> str:
    """What the instructions say of this chunk, after the transcript (the only chunk-dependent words)."""
    part = f"This is part {chunk.index + 1} of {chunk.count} of the session, turns t{chunk.turn_start}–t{chunk.turn_end}"
    if chunk.index > 0:
        return f"{part}: a later part (see `<earlier_parts>`)."
    return f"{part}."


def transcript_block(chunk: Chunk) -> str:
    """The shared prefix: identical for every chunk stage over one chunk.

    The transcript and digest are text from the session: our own tags inside them are neutralized and the
    attribute values escaped, so a turn cannot close ``<transcript>`` and pose as structure (injection).
    """
    a = escape_attr
    head = (
        f'<session id="{a(chunk.session_id)}" agent="{a(chunk.agent)}" device="{a(chunk.device)}" '
        f'project="{a(chunk.project)}" part="{chunk.index + 1} of {chunk.count}" '
        f'turns="{chunk.turn_start}-{chunk.turn_end}">\n'
    )
    digest = f"<earlier_parts>\n{neutralize_tags(chunk.digest)}\n</earlier_parts>\n" if chunk.digest else ""
    return f"{head}{digest}<transcript>\n{neutralize_tags(chunk.text)}\n</transcript>\n</session>"
