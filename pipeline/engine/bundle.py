"""The five chunk stages in one answer: the unit of caching stays the stage answer, the unit of sending
becomes the request.

Planning makes one single-stage request per stage and chunk, as before (their keys are the answers' keys).
Then ``Bundler.units`` decides what goes out: per chunk, the stages with no answer yet are sent as ONE
request that asks for each of their tools once (parallel tool calls); a chunk with one such stage, a stage
being refreshed (``--stage NAME`` and its dependents) and any request that is not a chunk stage's go alone,
as before. The executor, the estimate, ``--export-requests``/``--import-results`` and ``--batch`` all group
through ``units``, so what the estimate counts is what is sent.

Layout of a bundled request, for the prompt cache: tools, then the system text (the system prompt and every
chunk stage's instructions: the same for every chunk of the run, so providers cache it across chunks;
a breakpoint after it only when the run sends it more than once), then the user turn: the transcript and,
after it, what depends on the chunk (which part it is) and the tools to call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from daily_report.engine.plan import LLMTarget, Planned, Prompts
from daily_report.llm.bundled import Bundle
from daily_report.llm.types import LLMRequest, TextBlock
from daily_report.stages.base import LANG_NAMES
from daily_report.stages.registry import BUNDLE_STAGE

MAX_BUNDLE_TOKENS = 20_000  # the SDKs refuse non-streaming requests whose max_tokens implies > 10 minutes


@dataclass(frozen=True)
class BundledPlanned:
    """One request for several stages over one chunk, and the single-stage requests it answers."""

    request: LLMRequest
    members: tuple[Planned, ...]

    @cached_property
    def key(self) -> str:
        return self.request.key()

    def bundle(self) -> Bundle:
        return Bundle(self.request, tuple((p.request, p.output_model) for p in self.members))


Unit = Planned | BundledPlanned
"""What is sent as one request."""


def ask_text(tools: Sequence[str]) -> str:
    """The last line of a bundled request: which tools to call."""
    return "Call each of these tools once, all in this answer: " + ", ".join(f"`{t}`" for t in tools) + "."


@dataclass(frozen=True)
class Bundler:
    """Groups a run's chunk-stage requests into bundled requests (``units``)."""

    system: str  # the system prompt and every chunk stage's instructions
    stages: frozenset[str]  # chunk stages that may be bundled
    refresh: frozenset[str] = frozenset()

    def units(self, planned: Iterable[Planned], send: set[str] | None = None) -> list[Unit]:
        """``planned`` as sent: per chunk, the bundleable requests whose key is in ``send`` (all when
        None) as one bundled request where there are two or more; the rest alone. Order is kept (a bundle
        takes its first member's place)."""
        todo = [p for p in planned if send is None or p.key in send]
        groups: dict[tuple[str, int], list[Planned]] = {}
        for p in todo:
            if self._bundleable(p):
                r = p.request
                groups.setdefault((r.session_id or "", r.chunk_index or 0), []).append(p)
        bundles = [g for g in groups.values() if len(g) > 1]
        cache_system = len(bundles) > 1  # a prefix sent once should not pay the cache-write premium
        first = {id(g[0]): g for g in bundles}
        members = {id(p) for g in bundles for p in g}
        out: list[Unit] = []
        for p in todo:
            if id(p) in first:
                g = first[id(p)]
                out.append(BundledPlanned(self.request(g, cache_system=cache_system), tuple(g)))
            elif id(p) not in members:
                out.append(p)
        return out

    def _bundleable(self, p: Planned) -> bool:
        r = p.request
        return (
            r.stage in self.stages
            and r.stage not in self.refresh
            and r.tools is not None
            and r.tool_name is not None
            and r.session_id is not None
            and r.chunk_index is not None
            and p.call.instructions is not None
        )

    def request(self, members: Sequence[Planned], *, cache_system: bool) -> LLMRequest:
        """The bundled request over one chunk for ``members`` (single-stage requests of that chunk)."""
        first, call = members[0].request, members[0].call
        names = [p.request.stage for p in members]
        return LLMRequest(
            stage=BUNDLE_STAGE,
            prompt_version=_versions(members),
            provider=first.provider,
            model=first.model,
            system=self.system,
            system_cache=cache_system,
            blocks=[
                TextBlock(text=call.blocks[0].text),
                TextBlock(text=f"{call.chunk_note}\n{ask_text(names)}"),
            ],
            schema_name="ChunkBundle",
            output_schema={},
            max_tokens=min(first.max_tokens * len(members), max(first.max_tokens, MAX_BUNDLE_TOKENS)),
            temperature=first.temperature,
            tools=first.tools,
            tool_names=names,
            endpoint=first.endpoint,
            session_id=first.session_id,
            chunk_index=first.chunk_index,
            device=first.device,
            label=f"{BUNDLE_STAGE}/{first.session_id}/chunk-{first.chunk_index}",
            sample=first.sample,
            member_keys={p.request.stage: p.key for p in members},
        )


def _versions(members: Sequence[Planned]) -> str:
    """The stages' prompt version when they share one ("v3"), else each named ("facts:v3,tasks:v4")."""
    versions = [p.request.prompt_version for p in members]
    if len(set(versions)) == 1:
        return versions[0]
    return ",".join(f"{p.request.stage}:{p.request.prompt_version}" for p in members)


def make_bundler(
    stage_names: Sequence[str], prompts: Prompts, target: LLMTarget, *, lang: str, refresh: frozenset[str]
) -> Bundler | None:
    """The run's bundler, or None when nothing can be bundled: one schema per request ("native"/"tool"
    modes), fewer than two chunk stages, or a pinned prompt version that renders the chunk."""
    chosen = [prompts.by_stage[n] for n in stage_names]
    if target.structured != "tools" or len(chosen) < 2 or any(p.uses_chunk for p in chosen):
        return None
    lang_name = LANG_NAMES.get(lang, lang)
    texts = [p.render(lang=lang, lang_name=lang_name, chunk=None).strip() for p in chosen]
    system = "\n\n".join([prompts.system.rstrip(), *texts])
    return Bundler(system=system, stages=frozenset(stage_names), refresh=refresh)


def expand(units: Iterable[Unit]) -> list[Planned]:
    """The single-stage requests the units answer."""
    out: list[Planned] = []
    for u in units:
        out += list(u.members) if isinstance(u, BundledPlanned) else [u]
    return out


def requests_to_send(
    bundler: Bundler | None, planned: Sequence[Planned], cached: set[str]
) -> tuple[list[LLMRequest], int]:
    """The requests the executor sends for the unanswered ``planned`` (in order), and how many stage
    answers the bundled ones carry beyond one each (the progress counts answers)."""
    todo = [p for p in planned if p.key not in cached]
    units: list[Unit] = list(todo) if bundler is None else bundler.units(todo)
    extra = sum(len(u.members) - 1 for u in units if isinstance(u, BundledPlanned))
    return [u.request for u in units], extra
