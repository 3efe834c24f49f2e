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

from schemas.transcript import UsageEvent

SYNTHETIC = "<synthetic>"


def dedup_events(events: Iterable[UsageEvent]) -> list[UsageEvent]:
    """The global rule above; Claude events first, then Codex, each in first-seen order."""
    claude: list[UsageEvent] = []
    codex: list[UsageEvent] = []
    for e in events:
        if e.model == SYNTHETIC:
            continue
        (claude if e.agent == "claude_code" else codex).append(e)
    return dedup_claude(claude) + dedup_codex(codex)


def _message_id(key: str) -> str:
    return key.split(":", 1)[0]


def _rank(e: UsageEvent) -> tuple[bool, int]:
    return (not e.is_sidechain, e.line_total)


def dedup_claude(events: Iterable[UsageEvent]) -> list[UsageEvent]:
    first: dict[str, UsageEvent] = {}
    best: dict[str, UsageEvent] = {}
    loose: list[tuple[int, UsageEvent]] = []  # no key at all: nothing to dedup against
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
    out: list[tuple[int, UsageEvent]] = list(loose)
    for key, e in best.items():
        if e.is_sidechain and _message_id(key) in on_main:
            continue
        f = first[key]
        if f is not e:
            e = e.model_copy(
                update={
                    "timestamp": f.timestamp,
                    "device": f.device,
                    "session_id": f.session_id,
                    "source_path": f.source_path,
                }
            )
        out.append((order[key], e))
    out.sort(key=lambda p: p[0])
    return [e for _, e in out]


def dedup_codex(events: Iterable[UsageEvent]) -> list[UsageEvent]:
    seen: set[str] = set()
    out: list[UsageEvent] = []
    for e in events:
        key = e.dedup_key
        if key:
            if key in seen:
                continue
            seen.add(key)
        out.append(e)
    return out
