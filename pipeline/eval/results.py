"""What an eval run produced: one row per case and stage, the prompts it used, what it spent.

These models are also the stored baseline (``--accept``) and the ``--json`` output, so they round-trip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean

from daily_report.eval.scorers import Score
from daily_report.schemas.report import Generation
from pydantic import BaseModel, Field, computed_field

RESULTS_VERSION = 1


class Spread(BaseModel):
    """A score over ``--repeat`` samples."""

    min: float
    mean: float
    max: float


class Row(BaseModel):
    """One case and stage: its scores, or the error that kept it from running, and what its answers cost."""

    case: str
    stage: str
    scores: list[Score] = Field(default_factory=list)
    error: str | None = None
    requests: int = 0
    prompt_tokens: int = Field(default=0, description="Input tokens of the answers, cached or not.")
    output_tokens: int = 0
    cost_usd: float | None = Field(default=0.0, description="Cost of the answers; None when unknown.")
    spread: dict[str, Spread] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def value(self) -> float:
        """The mean of the scores; 0 for a row that did not run."""
        if not self.scores:
            return 0.0
        return fmean(s.value for s in self.scores)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.scores) and all(s.passed for s in self.scores)

    def score(self, name: str) -> Score | None:
        return next((s for s in self.scores if s.name == name), None)


class PromptInfo(BaseModel):
    """A stage's prompt: its version and a short hash of its text (equal versions can differ in text)."""

    version: str
    sha: str

    @classmethod
    def of(cls, version: str, text: str) -> PromptInfo:
        return cls(version=version, sha=hashlib.sha256(text.encode("utf-8")).hexdigest()[:8])

    def label(self) -> str:
        return self.version


class Spent(BaseModel):
    """What the eval run itself sent and spent (from the ledger: cache hits cost nothing)."""

    calls: int = 0
    cache_hits: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float | None = 0.0

    def add(self, gen: Generation | None) -> None:
        if gen is None:
            return
        for name in ("calls", "cache_hits", "input_tokens", "output_tokens"):
            setattr(self, name, getattr(self, name) + getattr(gen, name))
        self.cache_write_tokens += gen.cache_write_tokens
        self.cache_read_tokens += gen.cache_read_tokens
        self.cost_usd = (
            None if self.cost_usd is None or gen.cost_usd is None else self.cost_usd + gen.cost_usd
        )

    @property
    def sent(self) -> int:
        return self.calls - self.cache_hits


class EvalResult(BaseModel):
    """One side of an eval: the prompts it ran, a row per case and stage, its spend."""

    version: int = RESULTS_VERSION
    label: str = Field(description="Where the prompts came from: a directory, a git ref, a stored file.")
    provider: str = ""
    model: str = ""
    prompts: dict[str, PromptInfo] = Field(default_factory=dict)
    rows: list[Row] = Field(default_factory=list)
    spent: Spent = Field(default_factory=Spent)
    repeat: int = 1
    judge: str | None = Field(default=None, description="Judge rubric version when --judge was on.")
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def row(self, case: str, stage: str) -> Row | None:
        return next((r for r in self.rows if r.case == case and r.stage == stage), None)

    def stages(self) -> list[str]:
        return list(dict.fromkeys(r.stage for r in self.rows))

    def write(self, path: Path) -> None:
        from daily_report.report.atomic import atomic_write

        atomic_write(path, (self.model_dump_json(indent=2) + "\n").encode("utf-8"))


def combine_rows(rows: Sequence[Row]) -> Row:
    """Rows of the same case and stage over ``--repeat`` samples: mean scores with their spread."""
    first = rows[0]
    if len(rows) == 1:
        return first
    names = list(dict.fromkeys(s.name for r in rows for s in r.scores))
    scores: list[Score] = []
    spread: dict[str, Spread] = {}
    for name in names:
        got = [s for r in rows if (s := r.score(name)) is not None]
        values = [s.value for s in got]
        spread[name] = Spread(min=min(values), mean=fmean(values), max=max(values))
        worst = min(got, key=lambda s: s.value)
        scores.append(
            Score(name=name, value=fmean(values), passed=all(s.passed for s in got), reason=worst.reason)
        )
    return Row(
        case=first.case,
        stage=first.stage,
        scores=scores,
        error=next((r.error for r in rows if r.error), None),
        requests=sum(r.requests for r in rows),
        prompt_tokens=sum(r.prompt_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        cost_usd=_sum_costs(r.cost_usd for r in rows),
        spread=spread,
    )


def _sum_costs(costs: Iterable[float | None]) -> float | None:
    total = 0.0
    for c in costs:
        if c is None:
            return None
        total += c
    return total


def stage_totals(rows: Iterable[Row]) -> tuple[int, int, float | None]:
    """Prompt tokens, output tokens and cost of some rows."""
    rows = list(rows)
    return (
        sum(r.prompt_tokens for r in rows),
        sum(r.output_tokens for r in rows),
        _sum_costs(r.cost_usd for r in rows),
    )
