"""Scorers: small functions over one stage's output for one case, each returning a value and a reason.

The output of a stage is what its requests answered (``answers``: the validated JSON of every request,
``None`` for a failed one) and what its merge made of them (``merged``: the session-level or day-level
result the report shows). Text scorers read the answers (everything the model wrote); the count
scorer reads the merged result (a task continued across chunks counts once). Enum values are read over
every answer, as ``fixtures/cases/expect.schema.json`` defines them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from daily_report.eval.cases import REGEX_PREFIX, StageExpect
from daily_report.schemas.budgets import budgets_of, word_count
from pydantic import BaseModel, ValidationError

SCHEMA, MUST_MENTION, MUST_NOT, ENUMS, COUNT, JUDGE, LENGTH = (
    "schema",
    "must_mention",
    "must_not_mention",
    "enums",
    "count",
    "judge",
    "length",
)
LENGTH_TOLERANCE = 1.25  # an answer fails when a text is more than 25% over its budget
ENUM_FIELDS: dict[str, tuple[str, ...]] = {
    "statuses": ("status",),
    "categories": ("category",),
    "severities": ("severity",),
}
_SINGULAR = {"statuses": "status", "categories": "category", "severities": "severity"}
SKIP_KEYS = frozenset({"provenance"})


class Score(BaseModel):
    """One scorer's verdict: a value in 0..1, pass or fail, and why."""

    name: str
    value: float
    passed: bool
    reason: str


@dataclass
class Answer:
    """One request of the stage: its label, the validated output (None when it failed) and the error."""

    label: str
    output: dict[str, Any] | None
    error: str | None = None


@dataclass
class StageOutput:
    """A stage's output for one case."""

    stage: str
    output_model: type[BaseModel]
    answers: list[Answer] = field(default_factory=list)
    merged: Any = None

    def text(self) -> str:
        """Every string the model wrote for this stage, one per line (the text the mention scorers read)."""
        return "\n".join(s for a in self.answers if a.output is not None for s in strings(a.output))


# ---------------------------------------------------------------- walking outputs


def plain(value: Any) -> Any:
    """Pydantic models (and lists/dicts of them) as plain JSON-like data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def strings(value: Any) -> Iterator[str]:
    """String leaves, skipping provenance."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if k not in SKIP_KEYS:
                yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def field_values(value: Any, names: Sequence[str]) -> list[str]:
    """Values of every field called one of ``names``, at any depth."""
    out: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k in names and isinstance(v, str):
                out.append(v)
            elif k not in SKIP_KEYS:
                out += field_values(v, names)
    elif isinstance(value, list):
        for v in value:
            out += field_values(v, names)
    return out


def count_items(stage: str, merged: Any) -> int:
    """Items the report shows for the stage: a chunk stage's items per session (a stage of two lists, such as
    topics + limitations, counts both), projects, overview devices; facts: one per session."""
    data = plain(merged)
    if data is None:
        return 0
    if stage == "overview":
        return len(data.get("devices", [])) if isinstance(data, dict) else 0
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):  # chunk stages: session id -> merged result
        return sum(_session_items(v) for v in data.values())
    return 0


def _session_items(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict) and ("topics" in value or "limitations" in value):
        return len(value.get("topics", [])) + len(value.get("limitations", []))
    return 1


# ---------------------------------------------------------------- matching


def pattern_found(pattern: str, text: str) -> bool:
    """Case-insensitive substring, or a regex (case-insensitive) when written ``re:...``."""
    if pattern.startswith(REGEX_PREFIX):
        return re.search(pattern[len(REGEX_PREFIX) :], text, flags=re.IGNORECASE) is not None
    return pattern.casefold() in text.casefold()


def _short(items: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(repr(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# ---------------------------------------------------------------- scorers


def schema_validity(output: StageOutput) -> Score:
    """Fraction of the stage's requests whose answer validates against the stage's output schema."""
    if not output.answers:
        return Score(name=SCHEMA, value=0.0, passed=False, reason="no request was made for this stage")
    bad: list[str] = []
    for a in output.answers:
        if a.output is None:
            bad.append(f"{a.label}: {a.error or 'no answer'}")
            continue
        try:
            output.output_model.model_validate(a.output)
        except ValidationError as e:
            bad.append(f"{a.label}: {e.error_count()} schema errors")
    total = len(output.answers)
    value = (total - len(bad)) / total
    reason = f"{total - len(bad)}/{total} answers valid" + (f"; {'; '.join(bad[:3])}" if bad else "")
    return Score(name=SCHEMA, value=value, passed=not bad, reason=reason)


def must_mention(output: StageOutput, patterns: Sequence[str]) -> Score:
    """Recall of the required mentions over the stage's text; the reason lists what is missing."""
    text = output.text()
    missing = [p for p in patterns if not pattern_found(p, text)]
    found = len(patterns) - len(missing)
    value = found / len(patterns) if patterns else 1.0
    reason = f"{found}/{len(patterns)} found" + (f"; missing {_short(missing)}" if missing else "")
    return Score(name=MUST_MENTION, value=value, passed=not missing, reason=reason)


def must_not_mention(output: StageOutput, patterns: Sequence[str]) -> Score:
    """1.0 when none of the forbidden strings appears; else the share avoided, naming the offenders."""
    text = output.text()
    hits = [p for p in patterns if pattern_found(p, text)]
    value = 1.0 - len(hits) / len(patterns) if patterns else 1.0
    reason = f"mentions {_short(hits)}" if hits else f"none of {len(patterns)} mentioned"
    return Score(name=MUST_NOT, value=value, passed=not hits, reason=reason)


def enum_accuracy(output: StageOutput, expect: StageExpect) -> Score:
    """Expected statuses, categories and severities against those the answers use: each expected value
    should occur and no other should (Jaccard over the value sets, 1.0 when they are equal)."""
    answers = [a.output for a in output.answers if a.output is not None]
    wanted_all: set[str] = set()
    have_all: set[str] = set()
    missing: list[str] = []
    extra: list[str] = []
    for kind, fields in ENUM_FIELDS.items():
        wanted = set(getattr(expect, kind))
        if not wanted:
            continue
        have = set(field_values(answers, fields))
        wanted_all |= {f"{kind}:{w}" for w in wanted}
        have_all |= {f"{kind}:{h}" for h in have}
        missing += [f"{_SINGULAR[kind]} {w}" for w in sorted(wanted - have)]
        extra += [f"{_SINGULAR[kind]} {h}" for h in sorted(have - wanted)]
    union = wanted_all | have_all
    value = len(wanted_all & have_all) / len(union) if union else 1.0
    parts = [f"missing {', '.join(missing)}"] if missing else []
    parts += [f"unexpected {', '.join(extra)}"] if extra else []
    reason = "; ".join(parts) or f"{len(wanted_all)} expected values, no other"
    return Score(name=ENUMS, value=value, passed=not parts, reason=reason)


def count_bounds(output: StageOutput, expect: StageExpect) -> Score:
    """1.0 inside the bounds; outside, it falls with the distance (one item off of a bound of 4: 0.75)."""
    assert expect.count is not None
    n = count_items(output.stage, output.merged)
    lo, hi = expect.count.min, expect.count.max
    bounds = f"[{'' if lo is None else lo}..{'' if hi is None else hi}]"
    if lo is not None and n < lo:
        value = n / lo if lo else 0.0
    elif hi is not None and n > hi:
        value = max(0.0, 1.0 - (n - hi) / max(hi, 1))
    else:
        return Score(name=COUNT, value=1.0, passed=True, reason=f"{n} items in {bounds}")
    return Score(name=COUNT, value=value, passed=False, reason=f"{n} items, outside {bounds}")


def budget_texts(answer: Any, path: str) -> list[str]:
    """The texts a budget path names in one answer: "summary", "tasks[].details", "tasks[].title+details"."""
    head, _, rest = path.partition("[].")
    if rest:
        items = answer.get(head) if isinstance(answer, Mapping) else None
        return [t for item in items or [] for t in budget_texts(item, rest)]
    if not isinstance(answer, Mapping):
        return []
    parts = [answer.get(f) for f in path.split("+")]
    return (
        [" ".join(p for p in parts if isinstance(p, str))] if any(isinstance(p, str) for p in parts) else []
    )


def length_budget(output: StageOutput) -> Score:
    """Share of the budgeted texts (the output model's ``WORD_BUDGETS``) within 25% of their word budget;
    fails on any text over that."""
    budgets = budgets_of(output.output_model)
    total, over = 0, []
    for a in output.answers:
        if a.output is None:
            continue
        for path, words in budgets:
            for text in budget_texts(a.output, path):
                total += 1
                n = word_count(text)
                if n > words * LENGTH_TOLERANCE:
                    over.append(f"{a.label} {path.replace('[]', '')}: {n} words > {words}")
    value = (total - len(over)) / total if total else 1.0
    reason = f"{total - len(over)}/{total} texts within budget" + (f"; {'; '.join(over[:3])}" if over else "")
    return Score(name=LENGTH, value=value, passed=not over, reason=reason)


def score_stage(output: StageOutput, expect: StageExpect | None) -> list[Score]:
    """Every scorer that applies: schema and length always; the others when the case expects something."""
    scores = [schema_validity(output)]
    if budgets_of(output.output_model):
        scores.append(length_budget(output))
    if expect is None:
        return scores
    if expect.must_mention:
        scores.append(must_mention(output, expect.must_mention))
    if expect.must_not_mention:
        scores.append(must_not_mention(output, expect.must_not_mention))
    if expect.statuses or expect.categories or expect.severities:
        scores.append(enum_accuracy(output, expect))
    if expect.count is not None:
        scores.append(count_bounds(output, expect))
    return scores
