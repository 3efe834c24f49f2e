"""Planning a day: which sessions count, their chunks, and the requests every stage needs.

Everything here is deterministic and sends nothing. The engine (``pipeline/engine.py``) executes the
plan; ``pipeline/estimate.py`` prices it before anything is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date as Date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import orjson
from daily_report.core import log
from daily_report.llm.types import LLMRequest, ToolSpec
from daily_report.schemas.chunk import Chunk
from daily_report.schemas.config import Config
from daily_report.schemas.transcript import Session, SkippedLines, UnreadFile
from daily_report.stages.base import LANG_NAMES, PlannedCall, Prompt, SessionInfo, load_prompt
from daily_report.stages.registry import shared_tools
from pydantic import BaseModel


@dataclass(frozen=True)
class RunOptions:
    """What one `daily-report run` asks for. Every field has a default except the date."""

    date: str
    config_path: Path | None = None
    config: Config | None = None
    tz: str | None = None
    out_dir: Path | None = None
    stage: str | None = None
    stages: tuple[str, ...] | None = None
    session_ids: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    lang: str | None = None
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    dry_run: bool = False
    batch: bool = False
    batch_resubmit: bool = False  # submit requests whose earlier batch create never got an answer
    export_requests: Path | None = None
    import_results: Path | None = None
    max_cost: float | None = None
    prompts_dir: Path | None = None
    prompt_versions: dict[str, str] = field(default_factory=dict)
    cache_path: Path | None = None
    write: bool = True
    ledger_kind: str = "run"  # what the ledger rows are for: "run", "eval" or "demo" (`cost` shows "run")
    sample: int = 0  # eval --repeat: sample i (1..N) of every request, under its own cache key; 0 normally
    announce_estimate: bool = True  # False in a range run: its one estimate for all days came first

    @property
    def offline(self) -> bool:
        """Export / import runs go only as far as cached answers allow and send nothing."""
        return self.export_requests is not None or self.import_results is not None


@dataclass
class SessionPlan:
    session: Session
    info: SessionInfo
    chunks: list[Chunk]


@dataclass
class DayPlan:
    """The sessions of a day that go to the LLM, with what was left out and why."""

    date: str
    timezone: str
    lang: str
    config: Config
    zone: Any
    sessions: list[SessionPlan]
    skipped_sessions: dict[str, int]
    skipped: list[SkippedLines]
    redaction: dict[str, int]
    all_sessions: list[Session] = field(default_factory=list)
    redactor: Any = None  # the run's one Redactor: also for any transcript text the report shows directly
    notes: list[str] = field(default_factory=list)  # said on stderr and in the report (e.g. no sessions)
    unread: list[UnreadFile] = field(default_factory=list)  # transcript files and folders not read, and why

    @property
    def chunks(self) -> list[Chunk]:
        return [c for s in self.sessions for c in s.chunks]

    @property
    def skipped_lines(self) -> int:
        return sum(_skipped_count(s) for s in self.skipped)


def _skipped_count(s: SkippedLines) -> int:
    return s.malformed + sum(s.unknown_types.values()) + int(s.truncated_tail)


def session_info(session: Session, *, redact: Callable[[str], str] = str) -> SessionInfo:
    """What day stages see of a session; its agent-given title is transcript text, so it is redacted."""
    from daily_report.usage.sessions import tool_counts

    calls, _, errors = tool_counts(session.turns)  # the report's figures, subagents' calls included
    return SessionInfo(
        session_id=session.id,
        device=session.device,
        agent=session.agent,
        project=session.project,
        start=session.start.isoformat() if session.start else None,
        end=session.end.isoformat() if session.end else None,
        human_prompts=len(session.human_prompts),
        tool_calls=calls,
        tool_errors=errors,
        models=list(session.models),
        title=redact(session.title) if session.title else None,
    )


def skip_reason(session: Session, config: Config) -> str | None:
    """Why a session is left out of the LLM stages, or None when it counts."""
    prompts = len(session.human_prompts)
    if prompts == 0:
        return "no_human_prompt"
    if prompts < config.chunk.min_human_prompts:
        return "too_few_prompts"
    if len(session.turns) < config.chunk.min_turns:
        return "too_small"
    if config.chunk.skip_one_question and prompts == 1 and _one_line_question(session):
        return "one_question"
    return None


ONE_QUESTION_CHARS = 200


def _one_line_question(session: Session) -> bool:
    """One short, single-line prompt answered without a tool call: nothing for the report's stages."""
    from daily_report.usage.sessions import tool_counts

    text = (session.human_prompts[0].text or "").strip()
    calls, _, _ = tool_counts(session.turns)
    return calls == 0 and "\n" not in text and len(text) <= ONE_QUESTION_CHARS


def select_sessions(sessions: Iterable[Session], opts: RunOptions) -> list[Session]:
    """Apply --session (id or id prefix) and --device filters."""
    out = []
    for s in sessions:
        if opts.session_ids and not any(s.id == w or s.id.startswith(w) for w in opts.session_ids):
            continue
        if opts.devices and s.device not in opts.devices:
            continue
        out.append(s)
    return out


def prepare_day(opts: RunOptions, config: Config) -> DayPlan:
    """Load, filter, redact and chunk the day's sessions (one Redactor for the whole run)."""
    from daily_report.core.config import resolve_zone
    from daily_report.sources.reader import load_sessions
    from daily_report.text.prepared import PreparedMemo, prepare_session
    from daily_report.text.redact import Redactor

    zone = resolve_zone(config)
    read = load_sessions(config, date=Date.fromisoformat(opts.date), zone=zone)
    chosen = select_sessions(read.sessions, opts)
    if (opts.session_ids or opts.devices) and not chosen:
        from daily_report.core.errors import NoMatchError

        raise NoMatchError(no_match_note(opts, read.sessions))
    notes = [] if read.sessions else [no_sessions_note(opts.date, config)]
    for note in notes:
        log.progress("note", message=note)
    redactor = Redactor(config.redaction.extra_patterns, config.redaction.allowlist)
    skipped: Counter[str] = Counter()
    plans: list[SessionPlan] = []
    memo = PreparedMemo.beside(opts.cache_path or config.cache_path)
    for session in sorted(chosen, key=lambda s: (s.start is None, s.start, s.id)):
        reason = skip_reason(session, config)
        if reason is None:
            chunks = prepare_session(session, redactor=redactor, config=config, zone=zone, memo=memo)
            reason = None if chunks else "empty"
        if reason is not None:
            skipped[reason] += 1
            log.progress("session_skipped", session_id=session.id, reason=reason)
            continue
        info = session_info(session, redact=redactor.fork().redact)  # per-session numbering: order-free keys
        plans.append(SessionPlan(session=session, info=info, chunks=chunks))
    memo.close()
    log.progress("sessions_planned", sessions=len(plans), chunks=sum(len(p.chunks) for p in plans))
    return DayPlan(
        date=opts.date,
        timezone=str(getattr(zone, "key", zone)),
        lang=opts.lang or config.lang,
        config=config,
        zone=zone,
        sessions=plans,
        skipped_sessions=dict(skipped),
        skipped=list(read.skipped),
        unread=list(read.unread),
        redaction=dict(getattr(redactor, "counts", {}) or {}),
        all_sessions=list(read.sessions),
        redactor=redactor,
        notes=notes,
    )


def no_sessions_note(date: str, config: Config) -> str:
    roots = [str(p) for d in config.devices.values() for paths in d.roots.values() for p in paths]
    where = ", ".join(roots) if roots else "no configured roots"
    return f"no sessions found for {date} in {where}"


def no_match_note(opts: RunOptions, sessions: Sequence[Session], *, shown: int = 12) -> str:
    """Why a filter chose nothing, with the day's candidates (session id prefixes and devices)."""
    wanted = [f"--session {s}" for s in opts.session_ids] + [f"--device {d}" for d in opts.devices]
    head = f"no session of {opts.date} matches {' '.join(wanted)}"
    if not sessions:
        return f"{head}: no sessions found that day"
    ordered = sorted(sessions, key=lambda s: (s.start is None, s.start, s.id))
    ids = ", ".join(f"{s.id[:8]} ({s.device}, {s.project})" for s in ordered[:shown])
    more = f" and {len(ordered) - shown} more" if len(ordered) > shown else ""
    devices = ", ".join(sorted({s.device for s in sessions}))
    return f"{head}; that day's sessions: {ids}{more}; devices: {devices}"


def check_devices(devices: Sequence[str], config: Config) -> None:
    """--device names must be configured devices (a typo would quietly give an empty report)."""
    from daily_report.core.errors import ConfigError

    known = set(config.devices) | {d.name for d in config.devices.values()}
    unknown = [d for d in devices if d not in known]
    if unknown:
        raise ConfigError(
            f"--device {', '.join(unknown)}: not a configured device; use one of {', '.join(config.devices)}"
        )


def check_lang(lang: str) -> str:
    """``lang`` if we have a language name for it, else a ConfigError listing the ones we have."""
    from daily_report.core.errors import ConfigError

    if lang not in LANG_NAMES:
        raise ConfigError(f"--lang {lang!r} is not supported: use one of {', '.join(sorted(LANG_NAMES))}")
    return lang


@dataclass(frozen=True)
class LLMTarget:
    """Provider, model and request settings every planned request gets."""

    provider: str
    model: str
    max_tokens: int
    structured: str = "tools"  # llm.structured: "tools" gives chunk stages their shared tool list
    endpoint: str = ""  # normalized base_url; "" for the provider's default API (keys stay unchanged)
    sample: int = 0  # RunOptions.sample: enters every request's key (eval --repeat samples)


def normalize_endpoint(base_url: str | None) -> str:
    """A base_url as a cache-key part: scheme and host lower-cased, no trailing slash; "" for none."""
    from urllib.parse import urlsplit, urlunsplit

    if not base_url or not base_url.strip():
        return ""
    parts = urlsplit(base_url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def resolve_target(config: Config, opts: RunOptions) -> tuple[LLMTarget, Any]:
    """Provider (built lazily: no key is read until the first send) and the model every request names."""
    from daily_report.llm.factory import make_provider, model_for

    provider = make_provider(config.llm, provider=opts.provider, model=opts.model, base_url=opts.base_url)
    model = model_for(provider, config.llm, model=opts.model, provider=opts.provider)
    target = LLMTarget(
        provider=provider.name,
        model=model,
        max_tokens=config.llm.max_output_tokens,
        structured=config.llm.structured,
        endpoint=normalize_endpoint(getattr(provider, "base_url", None)),
        sample=opts.sample,
    )
    return target, provider


def to_request(call: PlannedCall, *, prompt: Prompt, target: LLMTarget) -> LLMRequest:
    """The request for ``call``; in "tools" mode a call with shared tools carries them as ToolSpecs."""
    shared = target.structured == "tools" and bool(call.tools) and call.tool_name is not None
    return LLMRequest(
        stage=call.stage,
        prompt_version=prompt.version,
        provider=target.provider,
        model=target.model,
        system=call.system,
        blocks=list(call.blocks),
        schema_name=call.output_model.__name__,
        output_schema=json_schema(call.output_model),
        max_tokens=target.max_tokens,
        session_id=call.session_id,
        chunk_index=call.chunk_index,
        device=call.device,
        label=call.label,
        tools=tool_specs(call.tools) if shared else None,
        tool_name=call.tool_name if shared else None,
        endpoint=target.endpoint,
        sample=target.sample,
    )


def tool_specs(tools: Sequence[tuple[str, type[BaseModel]]]) -> list[ToolSpec]:
    """(name, output model) pairs -> ToolSpecs with the models' JSON schemas, compacted (``bare_schema``:
    the stage prompts say what every field holds; each provider applies its own strict transform,
    deterministically). Built once per tool list (frozen ToolSpecs, shared by every request of the run)."""
    return list(_tool_specs(tuple(tools)))


@cache
def _tool_specs(tools: tuple[tuple[str, type[BaseModel]], ...]) -> tuple[ToolSpec, ...]:
    return tuple(
        ToolSpec(
            name=name,
            description=f"Record the {name} of the transcript as a {model.__name__}.",
            input_schema=bare_schema(json_schema(model)),
        )
        for name, model in tools
    )


_ANNOTATIONS = frozenset({"title", "description"})


def bare_schema(schema: Any, *, root: bool = True) -> Any:
    """A JSON schema without its annotations (field titles and descriptions; the root title stays): the
    shared tools precede every chunk-stage request, and their descriptions only repeated, shorter, what
    the stage instructions say of each field (word budgets, enum meanings). Names and types stay."""
    if isinstance(schema, list):
        return [bare_schema(s, root=False) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("properties", "$defs") and isinstance(value, dict):
            out[key] = {name: bare_schema(sub, root=False) for name, sub in value.items()}
        elif key in _ANNOTATIONS and not (root and key == "title"):
            continue
        else:
            out[key] = bare_schema(value, root=False)
    return out


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model.model_json_schema()``, generated once per model (pydantic rebuilds it on every call, ~5 ms):
    each caller gets its own copy, decoded from the stored JSON."""
    schema: dict[str, Any] = orjson.loads(_schema_json(model))
    return schema


@cache
def _schema_json(model: type[BaseModel]) -> bytes:
    return orjson.dumps(model.model_json_schema())


@dataclass
class Prompts:
    """The prompt of every stage of this run, and the shared system prompt."""

    system: str
    by_stage: dict[str, Prompt]

    def versions(self) -> dict[str, str]:
        return {name: p.version for name, p in self.by_stage.items()}


def load_prompts(stage_names: Sequence[str], opts: RunOptions, *, lang: str) -> Prompts:
    system = load_prompt("system", opts.prompt_versions.get("system"), opts.prompts_dir)
    by_stage = {
        name: load_prompt(name, opts.prompt_versions.get(name), opts.prompts_dir) for name in stage_names
    }
    return Prompts(system=system.render(lang=lang, lang_name=LANG_NAMES.get(lang, lang)), by_stage=by_stage)


@dataclass(frozen=True)
class Planned:
    """A request with the stage call it came from (day stages merge over the calls)."""

    call: PlannedCall
    request: LLMRequest

    @cached_property
    def key(self) -> str:
        """The request's cache key, hashed once (the executor, estimate and cache look it up many times)."""
        return self.request.key()

    @property
    def output_model(self) -> type[BaseModel]:
        return self.call.output_model


def chunk_call(stage: Any, chunk: Chunk, prompt: Prompt, system: str, lang: str) -> PlannedCall:
    """A chunk stage's call with the tool list every chunk stage shares (the registry's, in its order)."""
    return replace(stage.plan(chunk, prompt, system, lang), tools=shared_tools())


def plan_chunk_stage(
    stage: Any, chunks: Sequence[Chunk], *, prompts: Prompts, target: LLMTarget, lang: str
) -> list[Planned]:
    prompt = prompts.by_stage[stage.name]
    out = []
    for chunk in chunks:
        call = chunk_call(stage, chunk, prompt, prompts.system, lang)
        out.append(Planned(call=call, request=to_request(call, prompt=prompt, target=target)))
    return out


def plan_day_stage(stage: Any, day: Any, *, prompts: Prompts, target: LLMTarget) -> list[Planned]:
    prompt = prompts.by_stage[stage.name]
    calls = stage.plan(day, prompt, prompts.system)
    return [Planned(call=c, request=to_request(c, prompt=prompt, target=target)) for c in calls]
