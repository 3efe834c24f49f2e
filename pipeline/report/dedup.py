"""Conservative cross-session duplicate removal.

Two items are the same only when their normalized wording is identical (case, punctuation and spacing
ignored) within the same category / severity / level / kind. The first one is kept; the others' sessions
go into its ``provenance.also_in``. Nothing is merged on mere similarity: a missed duplicate costs a line,
a wrong merge loses a fact.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from schemas.report import (
    Provenance,
    ReportIssue,
    ReportLimitation,
    ReportTakeaway,
    ReportTask,
    ReportTopic,
)

T = TypeVar("T", ReportTask, ReportIssue, ReportTopic, ReportLimitation, ReportTakeaway)

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def norm(text: str) -> str:
    """Lower-case words only: 'Fix  the OOM!' and 'fix the oom' are equal."""
    return _NON_WORD.sub(" ", text.casefold()).strip()


def _merge_provenance(kept: Provenance, other: Provenance) -> Provenance:
    also = list(kept.also_in)
    for sid in [other.session_id, *other.also_in]:
        if sid != kept.session_id and sid not in also:
            also.append(sid)
    return kept if also == kept.also_in else kept.model_copy(update={"also_in": also})


def dedup(
    items: Sequence[T],
    key: Callable[[T], Hashable],
    combine: Callable[[T, T], T] | None = None,
) -> list[T]:
    """Keep the first of each key; ``combine(kept, dup)`` may take fields from the duplicate."""
    out: list[T] = []
    where: dict[Hashable, int] = {}
    for item in items:
        k = key(item)
        if k not in where:
            where[k] = len(out)
            out.append(item)
            continue
        kept = out[where[k]]
        merged = combine(kept, item) if combine else kept
        prov = _merge_provenance(kept.provenance, item.provenance)
        out[where[k]] = merged.model_copy(update={"provenance": prov})
    return out


def dedup_tasks(items: Sequence[ReportTask], *, session_rank: Sequence[str]) -> list[ReportTask]:
    """Same title and category: one task; its status comes from the later session in report order."""
    rank = {sid: i for i, sid in enumerate(session_rank)}

    def combine(kept: ReportTask, dup: ReportTask) -> ReportTask:
        later = rank.get(dup.provenance.session_id, -1) > rank.get(kept.provenance.session_id, -1)
        if later and dup.status != kept.status:
            return kept.model_copy(update={"status": dup.status, "details": dup.details or kept.details})
        return kept

    return dedup(items, key=lambda t: (t.category, norm(t.title)), combine=combine)


def dedup_issues(items: Sequence[ReportIssue]) -> list[ReportIssue]:
    """Same problem text: one issue; a resolved occurrence wins over an unresolved one."""

    def combine(kept: ReportIssue, dup: ReportIssue) -> ReportIssue:
        if dup.resolved and not kept.resolved:
            return dup.model_copy(update={"provenance": kept.provenance})
        return kept

    return dedup(items, key=lambda i: (i.severity, norm(i.problem)), combine=combine)


def dedup_topics(items: Sequence[ReportTopic]) -> list[ReportTopic]:
    return dedup(items, key=lambda t: (t.level, norm(t.topic), norm(t.human), norm(t.ai)))


def dedup_limitations(items: Sequence[ReportLimitation]) -> list[ReportLimitation]:
    return dedup(items, key=lambda x: (x.severity, norm(x.limitation)))


def dedup_takeaways(items: Sequence[ReportTakeaway]) -> list[ReportTakeaway]:
    return dedup(items, key=lambda x: (x.kind, norm(x.text)))
