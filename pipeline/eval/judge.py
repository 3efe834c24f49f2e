"""The optional LLM judge (``--judge``): the rubric ``prompts/judge/vN.md`` + a case's reference answer + a
stage's output, sent through the engine's provider, cache and ledger like any request (the rubric's
version and text are in the request key). Its verdict becomes a ``judge`` score with the judge's reason.

The rubric always comes from the repo's ``prompts/``, so both sides of a comparison are judged alike.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from daily_report.core.paths import PROMPTS_DIR
from daily_report.eval.results import Row, Spent
from daily_report.eval.scorers import JUDGE, Score, StageOutput
from daily_report.eval.settings import CaseRun, EvalSettings
from daily_report.schemas.common import StrictModel
from daily_report.stages.base import PlannedCall, Prompt, load_prompt
from pydantic import Field

JUDGE_STAGE = "judge"
PASS_MARK = 0.7


class JudgeVerdict(StrictModel):
    score: float = Field(description="0 to 1: how well the output conveys what the reference conveys.")
    reason: str = Field(description="One or two sentences: what is missing or wrong, specifically.")


def reference_text(case_dir: Path, stage: str) -> str | None:
    """The case's reference answers for a stage as one JSON document (file name -> answer), or None."""
    base = case_dir / "reference" / stage
    files = sorted(base.rglob("*.json")) if base.is_dir() else []
    if not files:
        return None
    data = {str(f.relative_to(base)): json.loads(f.read_text(encoding="utf-8")) for f in files}
    return json.dumps(data, ensure_ascii=False, indent=1)


def judge_call(*, rubric: Prompt, case: str, stage: str, reference: str, output: str) -> PlannedCall:
    from daily_report.llm.types import TextBlock

    material = f"<reference>\n{reference}\n</reference>\n<output>\n{output}\n</output>"
    return PlannedCall(
        stage=JUDGE_STAGE,
        label=f"{JUDGE_STAGE}/{case}/{stage}",
        system=rubric.render(stage=stage, case=case),
        blocks=(TextBlock(text=material),),
        output_model=JudgeVerdict,
    )


def judge_rows(
    done: CaseRun,
    rows: Sequence[Row],
    *,
    settings: EvalSettings,
    cache: Any,
    spent: Spent,
    output_of: Callable[[CaseRun, str], StageOutput],
) -> str:
    """Add a judge score to every row that has a reference answer; returns the rubric version."""
    from daily_report.engine.execute import Executor, LLMSender
    from daily_report.engine.plan import Planned, to_request
    from daily_report.llm.factory import provider_spec
    from daily_report.llm.ledger import Ledger

    rubric = load_prompt(JUDGE_STAGE, prompts_dir=PROMPTS_DIR)
    planned: dict[str, Planned] = {}
    for row in rows:
        reference = reference_text(done.case.path, row.stage)
        answers = output_of(done, row.stage).answers
        if reference is None or not answers:
            continue
        output = json.dumps({a.label: a.output for a in answers}, ensure_ascii=False, indent=1)
        call = judge_call(
            rubric=rubric, case=done.case.name, stage=row.stage, reference=reference, output=output
        )
        planned[row.stage] = Planned(
            call=call, request=to_request(call, prompt=rubric, target=done.run.target)
        )
    if not planned:
        return rubric.version
    ledger = Ledger.beside(cache, price_overrides=settings.prices() or None)
    run_id = uuid.uuid4().hex
    sender = LLMSender(
        cache=cache,
        ledger=ledger,
        provider=done.run.provider,
        run_id=run_id,
        date=done.run.opts.date,
        reasks=settings.llm().reasks,
        store_answers=provider_spec(done.run.target.provider).stores_answers,
        price_overrides=settings.prices() or None,
    )
    # a --repeat sample's verdict is re-sent too, under the sample's key (the judge shares the case's target)
    refresh = frozenset({JUDGE_STAGE}) if done.run.target.sample > 0 else frozenset()
    llm = settings.llm()
    executor = Executor(
        sender=sender, concurrency=llm.concurrency, max_concurrency=llm.max_concurrency, refresh=refresh
    )
    outcomes = executor.run(list(planned.values()))
    for row in rows:
        p = planned.get(row.stage)
        if p is not None:
            _apply(row, outcomes[p.key])
    spent.add(ledger.summary(run_id))
    return rubric.version


def _apply(row: Row, outcome: Any) -> None:
    if outcome.response is None:
        note = f"judge failed: {outcome.error or outcome.status}"
        row.error = f"{row.error}; {note}" if row.error else note
        return
    verdict = JudgeVerdict.model_validate(outcome.response.output)
    value = min(max(verdict.score, 0.0), 1.0)
    row.scores.append(Score(name=JUDGE, value=value, passed=value >= PASS_MARK, reason=verdict.reason))
