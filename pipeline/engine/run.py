"""The engine: plan a day, execute every stage in dependency order, merge, and write the report.

``run_day(opts)`` is the one entry point (the CLI's ``run`` and ``demo`` and the eval call it). Steps:
plan (``daily_report.engine.plan``) -> estimate (``daily_report.engine.estimate``) -> chunk stages, concurrently
(``daily_report.engine.execute``) -> merge per session -> session reduce of multi-chunk sessions (``daily_report.engine.reduce``)
-> day stages (projects, then overview) -> report
(``daily_report.engine.assemble``). ``--export-requests`` / ``--import-results`` runs go only as far as cached answers
allow and send nothing; ``--batch`` hands requests to the provider's batch API (``daily_report.engine.batch``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from daily_report.core import log
from daily_report.core.errors import BudgetExceededError
from daily_report.engine.bundle import make_bundler, requests_to_send
from daily_report.engine.estimate import Estimate, Estimator, expected_notes
from daily_report.engine.execute import Budget, Executor, LLMSender, progress_counter
from daily_report.engine.plan import (
    Planned,
    RunOptions,
    check_devices,
    check_lang,
    load_prompts,
    plan_chunk_stage,
    plan_day_stage,
    prepare_day,
    resolve_target,
)
from daily_report.engine.reduce import resolve_projects, run_session_stages
from daily_report.engine.runstate import (
    RunState,
    day_inputs,
    failures_of,
    load_run_config,
    merge_chunk_stages,
    select_stages,
    waits,
)
from daily_report.llm.factory import provider_spec
from daily_report.schemas.config import Config
from daily_report.schemas.transcript import UnreadFile
from daily_report.stages.registry import BUNDLE_STAGE, stage_sort_key
from daily_report.text.prepared import PreparedMemo

if TYPE_CHECKING:  # the report schemas load when a report is built, not for a dry run
    from daily_report.schemas.report import DailyReport, Failure, Generation


@dataclass
class RunResult:
    """What a run did: the estimate, what was sent, what failed or is pending, what was written."""

    run_id: str
    date: str
    estimate: Estimate
    dry_run: bool = False
    sessions: int = 0
    chunks: int = 0
    skipped_sessions: dict[str, int] = field(default_factory=dict)
    unread_files: list[UnreadFile] = field(default_factory=list)
    generation: Generation | None = None
    failures: list[Failure] = field(default_factory=list)
    pending: int = 0
    halted: str | None = None  # the endpoint went down: sending stopped, the rest is pending
    batch_running: bool = False
    exported: Path | None = None
    exported_lines: int = 0  # requests written (a bundled one answers several pending stage requests)
    imported: int = 0
    report: DailyReport | None = None
    paths: dict[str, Path] = field(default_factory=dict)
    stages: list[str] = field(default_factory=list)
    prompt_versions: dict[str, str] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # chunk stage -> session id -> merged
    day_results: dict[str, Any] = field(default_factory=dict)  # day stage -> merged result


# ---------------------------------------------------------------- the run


def prepare_run(opts: RunOptions, config: Config | None = None) -> RunState:
    """Everything before the cache: stages, the day's sessions and chunks, provider, model and prompts."""
    config = config or load_run_config(opts)
    stages, refresh = select_stages(opts)
    check_lang(opts.lang or config.lang)
    check_devices(opts.devices, config)
    target, provider = resolve_target(config, opts)  # an unknown provider fails before any reading
    day = prepare_day(opts, config)
    if (for_day := getattr(provider, "for_day", None)) is not None:  # replay: only this day's own answers
        for_day(opts.date, [s.session.id for s in day.sessions])
    prompts = load_prompts([s.name for s in stages], opts, lang=day.lang)
    from daily_report.llm.answer_redaction import AnswerRedactor
    from daily_report.text.redact import Redactor

    state = RunState(
        opts, config, day, target, prompts, stages, refresh, run_id=uuid.uuid4().hex, provider=provider
    )
    state.answer_redactor = AnswerRedactor(day.redactor or Redactor.from_config(config.redaction))
    state.bundler = make_bundler(
        [s.name for s in state.chunk_stages], prompts, target, lang=day.lang, refresh=refresh
    )
    return state


def run_day(opts: RunOptions) -> RunResult:
    """Plan, estimate and (unless a dry run) execute one day, then write its report when nothing is pending."""
    from daily_report.llm.cache import Cache

    run = prepare_run(opts)
    cache = Cache(opts.cache_path or run.config.cache_path)
    try:
        result = execute_run(run, cache)
    except KeyboardInterrupt:
        # Requests already in flight finish in their worker threads and store their (paid) answers:
        # the cache stays open for them until the process exits.
        raise
    except BaseException:
        cache.close()
        raise
    cache.close()
    return result


def execute_run(run: RunState, cache: Any) -> RunResult:
    """Estimate, then (unless a dry run) answer every stage of a prepared run with ``cache``."""
    return _run_with_cache(run, cache)


def _run_with_cache(run: RunState, cache: Any) -> RunResult:
    from daily_report.llm.ledger import Ledger

    opts = run.opts
    run.cache = cache
    chunk_planned = _plan_chunks(run)
    estimate = estimate_run(run, chunk_planned, cached=_cached_keys(cache, chunk_planned, run.refresh))
    result = RunResult(
        run_id=run.run_id,
        date=opts.date,
        estimate=estimate,
        dry_run=opts.dry_run,
        sessions=len(run.day.sessions),
        chunks=len(run.day.chunks),
        skipped_sessions=run.day.skipped_sessions,
        unread_files=list(run.day.unread),
        stages=[s.name for s in run.stages],
        prompt_versions=run.prompts.versions(),
    )
    if opts.announce_estimate:
        log.progress("estimate", estimate=estimate, answers_from=_answers_from(run))
    if opts.dry_run:
        return result
    _check_budget(run, estimate)
    run.ledger = Ledger.beside(cache, price_overrides=run.config.prices or None, kind=opts.ledger_kind)
    run.executor = _executor(run, cache, run.ledger, total=_expected_calls(estimate) + run.bundled_answers)
    _execute(run, chunk_planned, batch=opts.batch and not opts.offline)
    merge_chunk_stages(run, chunk_planned)
    run_session_stages(run, _execute)
    resolve_projects(run)
    _run_day_stages(run)
    result.imported = run.imported
    return _finish(run, result, run.ledger)


def estimate_prepared(run: RunState, cache: Any) -> Estimate:
    """The estimate of a prepared run against ``cache``, sending nothing (a range run sums these)."""
    planned = _plan_chunks(run)
    return estimate_run(run, planned, cached=_cached_keys(cache, planned, run.refresh))


def answers_from(run: RunState) -> str | None:
    """Where a replay run's answers come from (None for a real provider)."""
    return _answers_from(run)


def _answers_from(run: RunState) -> str | None:
    """Where a replay run's answers come from (None for a real provider)."""
    where = getattr(run.provider, "replay_dir", None)
    return None if where is None else str(Path(where).resolve())


def _expected_calls(estimate: Estimate) -> int:
    return estimate.total().requests


def _cached_keys(cache: Any, planned: Sequence[Planned], refresh: frozenset[str]) -> set[str]:
    return {p.key for p in planned if p.request.stage not in refresh and cache.has(p.key)}


def _plan_chunks(run: RunState) -> list[Planned]:
    out: list[Planned] = []
    for stage in run.chunk_stages:
        out += plan_chunk_stage(
            stage, run.day.chunks, prompts=run.prompts, target=run.target, lang=run.day.lang
        )
    return out


def estimate_run(run: RunState, chunk_planned: Sequence[Planned], *, cached: set[str]) -> Estimate:
    """Chunk stages from their planned requests; day stages from the expected size of their inputs."""
    est = Estimator(
        provider=run.target.provider,
        model=run.target.model,
        batch=run.opts.batch,
        overrides=run.config.prices or None,
    )
    ordered = _chunk_major(chunk_planned)
    est.add_requests([p.request for p in ordered if p.key in cached], cached=cached)
    sent, run.bundled_answers = requests_to_send(run.bundler, ordered, cached)  # as the executor sends
    est.add_requests(sent, cached=set())
    from daily_report.text.tokens import estimate_model_tokens

    session_scoped = {s.name for s in run.session_stages}
    memo = PreparedMemo.beside(run.opts.cache_path or run.config.cache_path) if run.day.sessions else None
    for stage in [*run.session_stages, *run.day_stages]:
        if memo is None:  # no sessions
            continue
        chunk_tokens = [[c.tokens for c in s.chunks] for s in run.day.sessions]
        if stage.scope == "session":  # one request per session of several chunks, over its chunk answers
            chunk_tokens = [t for t in chunk_tokens if len(t) > 1]
        if stage.name == "projects":  # the sessions of the projects that get a request
            asked = _asked_projects(run)
            chunk_tokens = [
                [c.tokens for c in s.chunks] for s in run.day.sessions if s.session.project in asked
            ]
        calls = len(chunk_tokens) if stage.scope == "session" else _day_calls(stage.name, run)
        if not calls:
            continue
        prompt_tokens = memo.count_tokens(run.prompts.system + run.prompts.by_stage[stage.name].text)
        deps = [d for d in stage.depends_on if d not in session_scoped]  # a reduce replaces, adds nothing
        prompts = prompt_tokens * (calls if stage.scope == "session" else 1)
        notes = expected_notes(deps, chunk_tokens=chunk_tokens)
        est.add_day_stage(
            stage.name,
            calls=calls,
            input_tokens=estimate_model_tokens(prompts + notes, run.target.model),
            read_tokens=notes,
            max_tokens=run.config.llm.max_output_tokens,
        )
    if memo is not None:
        memo.close()
    return est.result(sorted([BUNDLE_STAGE, *(s.name for s in run.stages)], key=stage_sort_key))


def _chunk_major(planned: Sequence[Planned]) -> list[Planned]:
    """Requests ordered chunk by chunk (stage order within a chunk): the order the prompt cache sees."""
    order = {id(p): i for i, p in enumerate(planned)}
    return sorted(
        planned, key=lambda p: (p.request.session_id or "", p.request.chunk_index or 0, order[id(p)])
    )


def _day_calls(stage: str, run: RunState) -> int:
    if stage == "projects":
        return len(_asked_projects(run))
    return 1


def _asked_projects(run: RunState) -> set[str]:
    from daily_report.stages.projects import asked_projects

    infos = [s.info for s in run.day.sessions]
    return asked_projects(infos, ask_single_session=run.config.report.ask_single_session_projects)


def _check_budget(run: RunState, estimate: Estimate) -> None:
    limit = _limit(run)
    cost = estimate.cost_usd
    if limit is None or run.opts.offline:
        return
    total = estimate.total()
    if cost is None and total.requests > total.cached:
        model = run.target.model
        raise BudgetExceededError(
            f"--max-cost / llm.max_cost_usd is set but the price of {run.target.provider} model {model!r} "
            f'is unknown, so the budget cannot be kept: add [prices."{model}"] to the config '
            "(input/output USD per million tokens) or run without a budget"
        )
    if cost is not None and cost > limit:
        raise BudgetExceededError(
            f"the estimate for {run.opts.date} is ${cost:.4f}, above the budget of ${limit:.4f} "
            f"({estimate.total().requests} requests, {estimate.total().input_tokens:,} input tokens); "
            "raise --max-cost / llm.max_cost_usd, pick a cheaper --model, or use --batch"
        )


def _limit(run: RunState) -> Decimal | None:
    value = run.opts.max_cost if run.opts.max_cost is not None else run.config.llm.max_cost_usd
    return None if value is None else Decimal(str(value))


def _executor(run: RunState, cache: Any, ledger: Any, *, total: int) -> Executor:
    from daily_report.llm.breaker import CircuitBreaker, GuardedProvider, endpoint_of
    from daily_report.llm.claims import Claims
    from daily_report.llm.factory import retry_policy

    stores = provider_spec(run.target.provider).stores_answers

    breaker = CircuitBreaker(
        endpoint=endpoint_of(run.provider), threshold=run.config.llm.breaker_failures, provider=run.provider
    )
    sender = LLMSender(
        policy=retry_policy(run.config.llm),  # llm.retry_attempts / retry_max_s; the executor adds its stop
        cache=cache,
        ledger=ledger,
        provider=GuardedProvider(run.provider, breaker),
        run_id=run.run_id,
        date=run.opts.date,
        reasks=run.config.llm.reasks,
        store_answers=stores,
        price_overrides=run.config.prices or None,
        fresh=run.fresh,
        claims=Claims(cache.db, owner=run.run_id) if stores and hasattr(cache, "db") else None,
        redactor=run.answer_redactor,
    )
    limit = _limit(run)
    return Executor(
        sender=sender,
        concurrency=run.config.llm.concurrency,
        max_concurrency=run.config.llm.max_concurrency,
        refresh=run.refresh,
        offline=run.opts.offline,
        budget=Budget(limit=limit) if limit is not None else None,
        on_outcome=progress_counter(total),
        breaker=breaker,
        bundler=run.bundler,
    )


def _execute(run: RunState, planned: Sequence[Planned], *, batch: bool = False) -> None:
    """Answers from an import file or a batch first (into the cache), then the executor."""
    from daily_report.engine.batch import import_answers, run_batch

    assert run.executor is not None
    log.progress("stage_start", stages=sorted({p.request.stage for p in planned}), requests=len(planned))
    where = {
        "cache": run.cache,
        "ledger": run.ledger,
        "run_id": run.run_id,
        "date": run.opts.date,
        "redactor": run.answer_redactor,
    }
    if run.opts.import_results is not None:
        got = import_answers(run.opts.import_results, planned, bundler=run.bundler, **where)
        run.imported += len(got)
        run.fresh |= got
    hold: set[str] = set()
    if batch:
        got, hold = run_batch(
            planned, provider=run.provider, resubmit=run.opts.batch_resubmit, bundler=run.bundler, **where
        )
        run.fresh |= got
        run.batch_running = run.batch_running or bool(hold)
    run.outcomes.update(run.executor.run(planned, hold=frozenset(hold)))


# ---------------------------------------------------------------- merges and day stages


def _run_day_stages(run: RunState) -> None:
    for stage in run.day_stages:
        if not run.day.sessions:
            continue
        if waits(run, stage):
            continue
        planned = plan_day_stage(stage, day_inputs(run), prompts=run.prompts, target=run.target)
        if planned:  # a stage may build its result without a request (a one-session project)
            _execute(run, planned)
        if any(run.outcomes[p.key].status == "pending" for p in planned):
            run.blocked.add(stage.name)
            continue
        outputs = [
            (p.call, p.output_model.model_validate(run.outcomes[p.key].response.output))  # type: ignore[union-attr]
            for p in planned
            if run.outcomes[p.key].response is not None
        ]
        merged = stage.merge(day_inputs(run), outputs)  # also what a stage builds without a request
        if outputs or merged:
            run.day_results[stage.name] = merged


# ---------------------------------------------------------------- finishing


def _finish(run: RunState, result: RunResult, ledger: Any) -> RunResult:
    from daily_report.engine.assemble import write_day_report
    from daily_report.llm.factory import PROVIDERS

    pending = [o.planned for o in run.outcomes.values() if o.status == "pending"]
    result.pending = len(pending)
    result.results, result.day_results = run.results, run.day_results
    result.batch_running = run.batch_running
    result.halted = run.executor.halted if run.executor is not None else None
    result.failures = failures_of(run.outcomes)
    generation = ledger.summary(run.run_id)
    generation.provider = run.target.provider
    generation.model = run.target.model
    generation.pending = result.pending
    spec = PROVIDERS.get(run.target.provider)
    generation.free = spec is not None and spec.free
    generation.answers_cost_usd = answers_cost(run.outcomes.values())
    generation.failures = list(result.failures)  # the executor's errors name the cause; one list, not two
    result.generation = generation
    if run.opts.export_requests is not None:
        from daily_report.engine.batch import export_pending

        result.exported_lines = export_pending(
            run.opts.export_requests, pending, provider=run.provider, cache=run.cache, bundler=run.bundler
        )
        result.exported = run.opts.export_requests
    if pending:
        log.progress("pending", pending=len(pending), blocked=sorted(run.blocked))
        return result
    if run.opts.write:
        result.report, result.paths = write_day_report(run, generation=generation, failures=result.failures)
    return result


def answers_cost(outcomes: Iterable[Any]) -> float | None:
    """What the answers a report uses cost, whoever paid: each answer carries the cost of the call that got it
    (re-asks included), also when it comes back from the cache or an import. None when any is unpriced."""
    total = Decimal(0)
    for o in outcomes:
        if o.response is None:
            continue
        if o.response.cost_usd is None:
            return None
        total += Decimal(o.response.cost_usd)
    return float(total)
