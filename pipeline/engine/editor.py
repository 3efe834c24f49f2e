"""The day editor: the step between the merged sessions and the report.

For each item section of the report (``report.sections``: tasks, issues, topics, limitations…) it
1. collects the sessions' items in report session order, with their provenance;
2. merges items that say the same across sessions or devices into one, keeping both provenances
   (``also_in`` / ``also_on``), with the near-duplicate test the chunk merges use (``stages.merge``);
3. orders them by importance (``editor_score``) and marks the first ``cap`` of them ``selected``.

Nothing is dropped: every item stays in report.json with its flag, so a model that answers with too many items
gives a longer report.json, never a longer report. The caps come from ``[report]`` in the config and grow with
the day's sessions (``ReportConfig.caps``). Which stage feeds which section is declared by the stages
themselves (``ChunkStage.report_sections``); this module names no stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from daily_report.engine.editor_score import score
from daily_report.report.sections import MergeRule, merge_rules
from daily_report.schemas.config import ReportConfig
from daily_report.schemas.report import (
    DayItems,
    ReportIssue,
    ReportTask,
    SessionSummary,
)
from daily_report.stages.merge import (
    as_model,
    combine_provenance,
    is_near_duplicate,
    richness,
    with_provenance,
)
from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)


Section = MergeRule  # how one report section is merged (declared in the rendering map)
SECTIONS: dict[str, MergeRule] = merge_rules()


def section_feeds() -> dict[str, list[tuple[str, str | None]]]:
    """Report section -> [(stage, attribute)] as the registry's stages declare them."""
    from daily_report.stages.registry import STAGES

    feeds: dict[str, list[tuple[str, str | None]]] = {}
    for name, cls in STAGES.items():
        for section, attr in getattr(cls, "report_sections", ()):
            feeds.setdefault(section, []).append((name, attr))
    return feeds


def edit_day(
    results: Mapping[str, Mapping[str, Any]],
    *,
    sessions: Sequence[SessionSummary],
    config: ReportConfig | None = None,
) -> DayItems:
    """Every section merged across sessions, ordered by importance, the first ``cap`` items selected.

    ``results`` is stage -> session id -> merged session result; ``sessions`` are the report's sessions in
    report order (their projects' active time weighs the score)."""
    config = config or ReportConfig()
    caps = config.caps(len(sessions))
    order = [s.session_id for s in sessions]
    weight = project_weights(sessions)
    out: dict[str, list[Any]] = {}
    for section, feeds in section_feeds().items():
        spec = SECTIONS[section]
        items = [
            item for stage, attr in feeds for item in collect(spec.model, results.get(stage, {}), order, attr)
        ]
        merged = merge_across_sessions(items, spec, order)
        out[section] = select(merged, cap=caps[section], weight=weight, fair=spec.fair)
    return DayItems(**out, caps=caps)


# ---------------------------------------------------------------- collect and merge


def collect(model: type[T], by_session: Mapping[str, Any], order: Sequence[str], attr: str | None) -> list[T]:
    """The sessions' items in report session order (unknown sessions last), each session's by turn."""
    ids = [sid for sid in order if sid in by_session] + sorted(set(by_session) - set(order))
    out: list[T] = []
    for sid in ids:
        value = by_session[sid]
        raw = _field(value, attr) if attr else value
        found = [as_model(model, i) for i in raw or []]
        out += sorted(found, key=lambda i: (i.turn_start, i.turn_end))  # type: ignore[attr-defined]
    return out


def merge_across_sessions(items: Sequence[T], spec: Section, order: Sequence[str]) -> list[T]:
    """Items of different sessions that say the same become one with both provenances.

    Items of one session were merged by its stage already and are never merged again here."""
    rank = {sid: i for i, sid in enumerate(order)}

    def same_session(a: T, b: T) -> bool:
        return _sid(a) == _sid(b)

    def combine(earlier: T, later: T) -> T:
        keep, other = (later, earlier) if _prefer(later, earlier, spec.fields) else (earlier, later)
        update: dict[str, Any] = {}
        if isinstance(keep, ReportTask) and isinstance(other, ReportTask):
            last = max((keep, other), key=lambda t: rank.get(_sid(t), len(rank)))
            update["status"] = last.status  # the later session says where the task stands
        if "critical" in (getattr(keep, "severity", None), getattr(other, "severity", None)):
            update["severity"] = "critical"  # issues and limitations: critical wins
        kept = keep.model_copy(update=update) if update else keep
        return with_provenance(kept, combine_provenance(_prov(keep), _prov(other)))

    out: list[T] = []
    for item in items:
        for i, seen in enumerate(out):
            if not same_session(seen, item) and _near(spec, seen, item):
                out[i] = combine(seen, item)
                break
        else:
            out.append(item)
    return out


def _near(spec: Section, a: Any, b: Any) -> bool:
    """The chunk merges' test: similar wording, not told apart by their figures."""
    return is_near_duplicate(spec.key(a), spec.key(b), spec.threshold)


def _prefer(a: BaseModel, b: BaseModel, fields: Sequence[str]) -> bool:
    """``a`` is the better item to keep: a resolved issue over an open one, else the richer text."""
    if isinstance(a, ReportIssue) and isinstance(b, ReportIssue) and a.resolved != b.resolved:
        return a.resolved
    return richness(a, fields) > richness(b, fields)


# ---------------------------------------------------------------- select


def select(items: Sequence[T], *, cap: int, weight: Mapping[str, float], fair: bool = False) -> list[T]:
    """Items by importance, the first ``cap`` selected and the rest after them unselected.

    ``fair``: each session's best item is taken first (in importance order) before the rest compete, so a
    short session still shows its main task."""
    spans = span_shares(items)
    scored = sorted(
        enumerate(items), key=lambda p: (-score(p[1], project_weight=weight, span=spans[p[0]]), p[0])
    )
    ranked = [item for _, item in scored]  # stable: ties keep collection order
    picked: list[int] = []
    if fair:
        sessions: set[str] = set()
        for i, item in enumerate(ranked):
            if _sid(item) not in sessions and len(picked) < cap:
                sessions.add(_sid(item))
                picked.append(i)
    picked += [i for i in range(len(ranked)) if i not in picked][: max(cap - len(picked), 0)]
    keep = set(picked)
    return [_flag(ranked[i], True) for i in sorted(keep)] + [
        _flag(item, False) for i, item in enumerate(ranked) if i not in keep
    ]


def span_shares(items: Sequence[Any]) -> list[float]:
    """Each item's turn range against the longest one of its session's items in the section (0..1)."""

    def width(i: Any) -> int:
        return int(i.provenance.turn_end) - int(i.provenance.turn_start) + 1

    longest: dict[str, int] = {}
    for i in items:
        longest[_sid(i)] = max(longest.get(_sid(i), 0), width(i))
    return [width(i) / longest[_sid(i)] for i in items]


def _flag(item: T, selected: bool) -> T:
    return (
        item
        if getattr(item, "selected", None) == selected
        else item.model_copy(update={"selected": selected})
    )


def project_weights(sessions: Iterable[SessionSummary]) -> dict[str, float]:
    """Project -> its active minutes relative to the day's most active project (0..1)."""
    minutes: dict[str, float] = {}
    for s in sessions:
        span = (s.end - s.start).total_seconds() / 60.0 if s.start and s.end else 0.0
        minutes[s.project] = minutes.get(s.project, 0.0) + max(span, 0.0)
    top = max(minutes.values(), default=0.0)
    return {p: (m / top if top else 0.0) for p, m in minutes.items()}


# ---------------------------------------------------------------- helpers


def _prov(item: Any) -> Any:
    return item.provenance


def _sid(item: Any) -> str:
    return str(item.provenance.session_id)


def _field(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name)
    return getattr(value, name, None)
