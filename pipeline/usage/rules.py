"""The dedup rules an agent's adapter can choose from (``Agent.dedup``); events come in config order.

Both return the events of the kind they were given (``daily_report.schemas.transcript.UsageEvent`` or the index's
light ``Ev``), in first-seen order. See transcript-formats.md §1.11 and §2.8 for why each agent needs its
rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from daily_report.usage.events import EventLike, with_origin

E = TypeVar("E", bound=EventLike)


def _message_id(key: str) -> str:
    return key.split(":", 1)[0]


def _rank(e: EventLike) -> tuple[bool, int]:
    return (not e.is_sidechain, e.line_total)


def best_line_per_key(events: Iterable[E]) -> list[E]:
    """For an agent that writes one response as several lines sharing a key: per key keep the WHOLE line
    with the largest total (tie: the later line), preferring a non-sidechain line, placed where the key first
    appeared (time, device, session, file); a sidechain key whose message id (the key before ``:``) also
    appears off the sidechain is a replay and dropped. Events without a key are kept as they are."""
    first: dict[str, E] = {}
    best: dict[str, E] = {}
    loose: list[tuple[int, E]] = []  # no key at all: nothing to dedup against
    order: dict[str, int] = {}
    n = 0
    for e in events:
        n += 1
        key = e.dedup_key
        if not key:
            loose.append((n, e))
            continue
        kept = best.get(key)
        if kept is None:
            first[key] = best[key] = e
            order[key] = n
        elif _rank(e) >= _rank(kept):  # tie: the later line wins
            best[key] = e
    on_main = {_message_id(k) for k, e in best.items() if not e.is_sidechain}
    out: list[tuple[int, E]] = list(loose)
    for key, e in best.items():
        if e.is_sidechain and _message_id(key) in on_main:
            continue
        f = first[key]
        if f is not e:
            e = with_origin(e, f)
        out.append((order[key], e))
    out.sort(key=lambda p: p[0])
    return [e for _, e in out]


def first_copy_per_key(events: Iterable[E]) -> list[E]:
    """For an agent whose events are already per-response deltas: a key seen before (a fork's replay, a
    file synced to two devices) is dropped. Events without a key are kept."""
    seen: set[str] = set()
    out: list[E] = []
    for e in events:
        key = e.dedup_key
        if key:
            if key in seen:
                continue
            seen.add(key)
        out.append(e)
    return out
