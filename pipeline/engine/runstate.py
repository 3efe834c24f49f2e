"""The state of one run and the pieces of it that do not send anything: which stages run, merging chunk
outputs into session results, the inputs of day stages, and the failures to report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from daily_report.core import log
from daily_report.core.errors import ConfigError
from daily_report.engine.execute import Executor, Outcome
from daily_report.engine.plan import DayPlan, LLMTarget, Planned, Prompts, RunOptions
from daily_report.schemas.config import Config
from daily_report.stages.base import DayInputs, SessionInfo

if TYPE_CHECKING:
    from daily_report.schemas.report import Failure

# ---------------------------------------------------------------- stages


def _registry() -> Any:
    from daily_report.stages import registry

    return registry


def stage_names() -> list[str]:
    return list(_registry().STAGES)


def all_stages() -> list[Any]:
    """One instance of every stage, in dependency order."""
    return [cls() for cls in _registry().STAGES.values()]


def select_stages(opts: RunOptions) -> tuple[list[Any], frozenset[str]]:
    """The stages of this run (in dependency order) and those to re-send even when cached."""
    reg = _registry()
    valid = stage_names()
    for name in [*(opts.stages or ()), *([opts.stage] if opts.stage else [])]:
        if name not in valid:
            raise ConfigError(f"unknown stage {name!r}: valid stages are {', '.join(valid)}")
    wanted = set(opts.stages) if opts.stages is not None else set(valid)
    for stage in reversed(all_stages()):  # what a chosen stage reads is chosen too
        if stage.name in wanted:
            wanted.update(stage.depends_on)
    chosen = [s for s in all_stages() if s.name in wanted]
    refresh: frozenset[str] = frozenset()
    if opts.stage and opts.offline:
        log.warn(
            f"--stage {opts.stage} is ignored with --export-requests / --import-results: cached answers are used"
        )
    elif opts.stage:
        refresh = frozenset({opts.stage, *reg.dependents(opts.stage)})
    return chosen, refresh


# ---------------------------------------------------------------- the state of a run


@dataclass
class RunState:
    """State of one run, shared by the steps below."""

    opts: RunOptions
    config: Config
    day: DayPlan
    target: LLMTarget
    prompts: Prompts
    stages: list[Any]
    refresh: frozenset[str]
    run_id: str
    provider: Any = None
    cache: Any = None
    ledger: Any = None
    executor: Executor | None = None
    fresh: set[str] = field(default_factory=set)  # answered this run by a batch or an import
    imported: int = 0
    batch_running: bool = False
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    # chunk stage -> session id -> [(chunk, parsed answer)] in chunk order: what a session stage reads
    chunk_outputs: dict[str, dict[str, list[tuple[Any, Any]]]] = field(default_factory=dict)
    heuristic_sessions: list[str] = field(default_factory=list)  # multi-chunk, reduce failed: merges kept
    day_results: dict[str, Any] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    answer_redactor: Any = None  # redacts every model answer; its counts join the report's (engine)
    bundler: Any = None  # engine.bundle.Bundler: a chunk's unanswered stages go as one request (None: never)
    bundled_answers: int = 0  # stage answers the estimate counts inside bundled requests, beyond one each

    @property
    def chunk_stages(self) -> list[Any]:
        return [s for s in self.stages if s.scope == "chunk"]

    @property
    def session_stages(self) -> list[Any]:
        return [s for s in self.stages if s.scope == "session"]

    @property
    def day_stages(self) -> list[Any]:
        return [s for s in self.stages if s.scope == "day"]


def waits(run: RunState, stage: Any) -> bool:
    """True (and the stage is blocked too) when a stage it reads is still waiting for answers."""
    waiting = [d for d in stage.depends_on if d in run.blocked]
    if waiting:
        run.blocked.add(stage.name)
        log.progress("stage_waiting", stage=stage.name, waiting_for=waiting)
    return bool(waiting)


def load_run_config(opts: RunOptions) -> Config:
    if opts.config is not None:
        return opts.config
    from daily_report.core.config import load_config

    return load_config(opts.config_path, tz=opts.tz)


# ---------------------------------------------------------------- merges


def merge_chunk_stages(run: RunState, planned: Sequence[Planned]) -> None:
    chunks: dict[tuple[str | None, int | None], Any] = {(c.session_id, c.index): c for c in run.day.chunks}
    for stage in run.chunk_stages:
        mine = [p for p in planned if p.request.stage == stage.name]
        if any(run.outcomes[p.key].status == "pending" for p in mine):
            run.blocked.add(stage.name)
        by_session: dict[str, list[tuple[Any, Any]]] = {}
        for p in mine:
            outcome = run.outcomes[p.key]
            if outcome.response is None:
                continue
            chunk = chunks[(p.request.session_id, p.request.chunk_index)]
            parsed = p.output_model.model_validate(outcome.response.output)
            by_session.setdefault(chunk.session_id, []).append((chunk, parsed))
        merged: dict[str, Any] = {}
        ordered: dict[str, list[tuple[Any, Any]]] = {}
        for sp in run.day.sessions:
            outputs = sorted(by_session.get(sp.info.session_id, []), key=lambda co: co[0].index)
            if outputs:
                ordered[sp.info.session_id] = outputs
                merged[sp.info.session_id] = stage.merge(sp.info, outputs)
        run.results[stage.name] = merged
        run.chunk_outputs[stage.name] = ordered


def day_inputs(run: RunState) -> DayInputs:
    infos: list[SessionInfo] = [s.info for s in run.day.sessions]
    return DayInputs(
        date=run.opts.date,
        lang=run.day.lang,
        sessions=infos,
        results=run.results,
        day_results=run.day_results,
        timezone=run.day.timezone,
        ask_single_session_projects=run.config.report.ask_single_session_projects,
    )


def failures_of(outcomes: Mapping[str, Outcome]) -> list[Failure]:
    from daily_report.schemas.report import Failure

    out = []
    for o in outcomes.values():
        if o.status != "failed":
            continue
        r = o.planned.request
        out.append(
            Failure(
                stage=r.stage,
                label=r.label,
                session_id=r.session_id,
                chunk_index=r.chunk_index,
                error=o.error or "failed",
                attempts=o.attempts,
            )
        )
    return out
