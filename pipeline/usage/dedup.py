"""Global usage dedup across files and devices (transcript-formats.md §1.11 and §2.8).

Events must come in config order: devices in config order, roots in order, files in discovery order.

Claude: one response is written as N lines with one key (``message.id:requestId``, else ``message.id``,
else the line uuid). Per key keep the WHOLE line with the largest total (tie: the later line), preferring a
non-sidechain line; attribute it to that line's model, to the FIRST line's timestamp, and to the device,
session and file where the key first appeared. A sidechain key whose ``message.id`` also appears without
the sidechain flag (a ``/btw`` replay with another requestId) is dropped. ``<synthetic>`` never counts.

Codex: the reader already turned cumulative totals into per-file deltas; a fingerprint seen in an earlier
file (a fork replay, a rollout synced to two devices) is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pipeline.usage.events import EventLike, with_origin

SYNTHETIC = "<synthetic>"
E = TypeVar("E", bound=EventLike)


def dedup_events(events: Iterable[E]) -> list[E]:
    """The global rule above; Claude events first, then Codex, each in first-seen order.

    Takes ``schemas.transcript.UsageEvent`` (or the index's light ``Ev``) and returns the same kind.
    """
    claude: list[E] = []
    codex: list[E] = []
    for e in events:
        if e.model == SYNTHETIC:
            continue
        (claude if e.agent == "claude_code" else codex).append(e)
    return dedup_claude(claude) + dedup_codex(codex)


def _message_id(key: str) -> str:
    return key.split(":", 1)[0]


def _rank(e: EventLike) -> tuple[bool, int]:
    return (not e.is_sidechain, e.line_total)


def dedup_claude(events: Iterable[E]) -> list[E]:
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


def dedup_codex(events: Iterable[E]) -> list[E]:
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
