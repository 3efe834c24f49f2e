"""Running the cases: every case through the engine (the same code path as ``run``), then the scorers.

Each case is one engine run over the case's transcripts with the case's date, time zone and chunk budget,
the chosen prompts directory, and one shared cache: an unchanged prompt costs nothing the second time, a
changed one re-sends its own stage's requests and those of the day stages that read its output. The
``replay`` provider reads the case's ``reference/`` directory. ``--repeat N`` (N > 1) runs every case as
samples 1..N: each request carries its sample number (``LLMRequest.sample``, part of the key), is re-sent
(cache reads off) and stored under its sample key with an "eval" ledger row, so the normal answers
(sample 0) stay untouched and ``daily-report cost --all`` shows what the samples cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daily_report.core import log
from daily_report.core.errors import DailyReportError, MissingKeyError
from daily_report.core.paths import PROMPTS_DIR
from daily_report.eval.cases import Case, load_cases
from daily_report.eval.judge import judge_rows
from daily_report.eval.results import EvalResult, PromptInfo, Row, combine_rows
from daily_report.eval.scorers import Answer, StageOutput, score_stage
from daily_report.eval.settings import CaseRun, EvalSettings


@dataclass
class _Side:
    prompts_dir: Path
    label: str
    result: EvalResult = field(init=False)

    def __post_init__(self) -> None:
        self.result = EvalResult(label=self.label)


def prompt_infos(prompts_dir: Path, stages: Sequence[str]) -> dict[str, PromptInfo]:
    """Version and text hash of the system prompt and of each stage's prompt in ``prompts_dir``."""
    from daily_report.stages.base import load_prompt

    out = {}
    for name in ["system", *stages]:
        p = load_prompt(name, prompts_dir=prompts_dir)
        out[name] = PromptInfo.of(p.version, p.text)
    return out


def with_dependencies(stages: Sequence[str]) -> list[str]:
    """The stages to run so that ``stages`` get their inputs, in registry order."""
    from daily_report.stages.registry import STAGES

    need = set(stages)
    for name in reversed(list(STAGES)):
        if name in need:
            need |= set(STAGES[name].depends_on)
    return [s for s in STAGES if s in need]


def run_eval(
    settings: EvalSettings, *, prompts_dir: Path | None = None, label: str | None = None
) -> EvalResult:
    """Every case under ``settings.cases_dir`` with the prompts of ``prompts_dir``: scored rows and spend."""
    from daily_report.llm.cache import Cache

    cases = load_cases(settings.cases_dir, names=settings.case_names)
    side = _Side(prompts_dir or PROMPTS_DIR, label or str(prompts_dir or "prompts"))
    scored = _scored_stages(settings)
    side.result.prompts = prompt_infos(side.prompts_dir, scored)
    side.result.repeat = settings.repeat
    cache = Cache(settings.cache_file())
    cache.ledger_kind = "eval"  # type: ignore[attr-defined]  # the judge's Ledger.beside(cache) rows too
    try:
        for case in cases:
            log.progress("eval_case", case=case.name, prompts=side.label)
            side.result.rows += _case_rows(case, settings, side=side, cache=cache)
    finally:
        cache.close()
    return side.result


def _scored_stages(settings: EvalSettings) -> list[str]:
    from daily_report.stages.registry import STAGES, get_stage

    for name in settings.stages or []:
        get_stage(name)  # an unknown name is a ConfigError listing the valid ones
    return [s for s in STAGES if not settings.stages or s in settings.stages]


def _case_rows(case: Case, settings: EvalSettings, *, side: _Side, cache: Any) -> list[Row]:
    if case.error is not None:
        return [Row(case=case.name, stage="*", error=case.error)]
    stages = case.stages(settings.stages)
    if not stages:
        return []
    samples: list[list[Row]] = []
    for sample in settings.samples():
        try:
            done = run_case(case, settings, prompts_dir=side.prompts_dir, cache=cache, sample=sample)
        except MissingKeyError:
            raise  # no case can run: one line and exit 2, not a row per case
        except Exception as e:  # a case that fails to run is a row with its error, never a crash
            log.warn(f"eval case {case.name} did not run: {type(e).__name__}: {e}")
            return [Row(case=case.name, stage="*", error=_error_text(e))]
        _note_target(side.result, done)
        side.result.spent.add(done.result.generation)
        scored = [s for s in stages if applies(done, s)]
        rows = [score_case_stage(done, stage) for stage in scored]
        if settings.judge:
            side.result.judge = judge_rows(
                done, rows, settings=settings, cache=cache, spent=side.result.spent, output_of=stage_output
            )
        samples.append(rows)
    return [combine_rows([s[i] for s in samples]) for i in range(min(len(s) for s in samples))]


def _error_text(e: Exception) -> str:
    return str(e) if isinstance(e, DailyReportError) else f"{type(e).__name__}: {e}"


def _note_target(result: EvalResult, done: CaseRun) -> None:
    result.provider = result.provider or done.run.target.provider
    result.model = result.model or done.run.target.model


def run_case(
    case: Case, settings: EvalSettings, *, prompts_dir: Path, cache: Any, sample: int = 0
) -> CaseRun:
    """One engine run over the case (no report written); raises when the case cannot run at all.

    ``sample`` > 0 is one ``--repeat`` sample: its requests have their own keys and are always re-sent."""
    from daily_report.engine.plan import RunOptions
    from daily_report.engine.run import execute_run, prepare_run

    assert case.settings is not None
    llm = settings.llm().model_copy(update={"replay_dir": case.reference_dir})
    config = case.config(llm=llm, prices=settings.prices())
    opts = RunOptions(
        date=case.settings.date,
        config=config,
        stages=tuple(with_dependencies(case.stages(settings.stages))),
        provider=settings.provider,
        model=settings.model,
        base_url=settings.base_url,
        prompts_dir=prompts_dir,
        write=False,
        ledger_kind="eval",
        sample=sample,
    )
    run = prepare_run(opts, config)
    if not run.day.sessions:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(run.day.skipped_sessions.items())) or "none found"
        raise DailyReportError(
            f"no session of {case.settings.date} ({case.settings.timezone}) to evaluate under {case.path} "
            f"(skipped: {skipped}): check the transcripts and case.toml's date"
        )
    if sample > 0:
        run.refresh = frozenset(s.name for s in run.stages)  # every sample is sent, never read from the cache
    return CaseRun(case=case, run=run, result=execute_run(run, cache))


def stage_output(done: CaseRun, stage: str) -> StageOutput:
    """The answers of one stage's requests in a case run, and its merged result."""
    from daily_report.stages.registry import get_stage

    cls = get_stage(stage)
    answers = []
    for outcome in done.run.outcomes.values():
        request = outcome.planned.request
        if request.stage != stage:
            continue
        output = outcome.response.output if outcome.response is not None else None
        error = None if output is not None else (outcome.error or outcome.status)
        answers.append(Answer(label=request.label, output=output, error=error))
    merged = done.run.results.get(stage) if cls.scope != "day" else done.run.day_results.get(stage)
    answers += _built_without_request(stage, cls.output_model, merged, {a.label for a in answers})
    answers.sort(key=lambda a: a.label)
    return StageOutput(stage=stage, output_model=cls.output_model, answers=answers, merged=merged)


def _built_without_request(stage: str, model: type[Any], merged: Any, asked: set[str]) -> list[Answer]:
    """The entries a day stage built without a request (a one-session project's, from its session's facts),
    scored as its answers are: the report shows them in the same place."""
    if stage != "projects" or not isinstance(merged, list):
        return []
    out = []
    for entry in merged:
        data = entry.model_dump(mode="json") if hasattr(entry, "model_dump") else dict(entry)
        if f"{stage}/{data.get('project')}" not in asked:
            fields = {k: data[k] for k in model.model_fields if k in data}
            out.append(Answer(label=f"{stage}/{data.get('project')} (from its session)", output=fields))
    return out


def applies(done: CaseRun, stage: str) -> bool:
    """Whether a stage has something to score in a case run: a session stage (the reduce) makes no request
    for a case whose sessions are one chunk each, and then has no row unless the case expects something."""
    from daily_report.stages.registry import get_stage

    if get_stage(stage).scope != "session" or done.case.expect.for_stage(stage) is not None:
        return True
    asked = any(o.planned.request.stage == stage for o in done.run.outcomes.values())
    return asked or stage in done.run.blocked


def score_case_stage(done: CaseRun, stage: str) -> Row:
    """Scores, answer tokens and cost of one stage of a case run; failed requests name the first error."""
    output = stage_output(done, stage)
    expect = done.case.expect.for_stage(stage)
    row = Row(
        case=done.case.name, stage=stage, scores=score_stage(output, expect), requests=len(_asked(output))
    )
    failed = [a for a in output.answers if a.output is None]
    if not output.answers:
        waiting = sorted(done.run.blocked) if getattr(done.run, "blocked", None) else []
        row.error = "no request made" + (f" (waiting for {', '.join(waiting)})" if waiting else "")
    elif failed:
        row.error = f"{len(failed)} of {len(output.answers)} requests failed: {failed[0].error}"
    _add_usage(row, done, stage)
    return row


def _asked(output: StageOutput) -> list[Answer]:
    return [a for a in output.answers if not a.label.endswith(" (from its session)")]


def _add_usage(row: Row, done: CaseRun, stage: str) -> None:
    cost: float | None = 0.0
    for outcome in done.run.outcomes.values():
        if outcome.planned.request.stage != stage or outcome.response is None:
            continue
        usage = outcome.response.usage
        row.prompt_tokens += usage.prompt_tokens
        row.output_tokens += usage.output_tokens
        c = outcome.response.cost_usd
        cost = None if cost is None or c is None else cost + float(c)
    row.cost_usd = cost
