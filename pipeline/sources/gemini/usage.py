"""Gemini CLI usage: one event per ``gemini`` message with recorded tokens (FORMAT.md §5).

A ``gemini`` message is one API request. Its ``tokens`` copy the API's usage metadata; we turn them into
``UsageEvent``s in the pricing partition of ``daily_report.core.pricing`` (disjoint parts, as Claude's)::

    input_tokens      = input - cached + tool   uncached prompt, billed at the input rate
    cache_read_tokens = cached                  the cached part of the prompt, billed at the cached rate
    output_tokens     = output + thoughts       visible reply and thinking, both billed as output
    reasoning_tokens  = thoughts                the thinking part of output_tokens (never billed twice)

so that ``input_tokens + cache_read_tokens + output_tokens`` equals Gemini's ``total``. Every message ever
recorded counts once, rewound ones too (``chat.billed``). A message with ``tokens`` null, missing or all
zero is a request whose usage was not recorded: counted in ``requests_without_usage``, never priced as
$0. ``dedup_key`` is ``gemini:<message id>``, so a ``.json`` and the ``.jsonl`` it was resumed into
count once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from daily_report.core.pricing import Tokens, price_many
from daily_report.schemas.config import PriceOverride
from daily_report.schemas.transcript import SkippedLines, UsageEvent
from daily_report.sources.gemini import AGENT
from daily_report.sources.gemini.chat import Chat, read_chat
from daily_report.sources.jsonl import note_invalid_usage
from daily_report.sources.text import parse_ts
from daily_report.sources.types import FileUsage, SourceFile, UsageRows
from daily_report.sources.usage_checks import gemini_tokens_invalid

PROVIDER = "google"
"""genai-prices provider of every Gemini CLI model."""
UNKNOWN_MODEL = "gemini-unknown"
"""Model of a request whose model nobody recorded: never priced."""
_FIELDS = ("input", "cached", "output", "thoughts", "tool", "total")


class GeminiTokens(NamedTuple):
    """One message's ``tokens`` as Gemini reports them (``input`` includes ``cached``)."""

    input: int = 0
    cached: int = 0
    output: int = 0
    thoughts: int = 0
    tool: int = 0
    total: int = 0


def message_tokens(msg: dict[str, Any]) -> GeminiTokens | None:
    """The usage of a ``gemini`` message, or None when it is missing, null or all zero (not recorded)."""
    raw = msg.get("tokens")
    if not isinstance(raw, dict):
        return None
    vals = [raw.get(k) for k in _FIELDS]
    tokens = GeminiTokens(*(v if isinstance(v, int) and v > 0 else 0 for v in vals))
    return tokens if any(tokens) else None


@dataclass
class UsageScan:
    """What one chat file says about usage."""

    session_id: str
    events: list[UsageEvent] = field(default_factory=list)
    requests_without_usage: int = 0
    start: datetime | None = None
    end: datetime | None = None


def usage_events(
    chat: Chat,
    *,
    device: str,
    session_id: str,
    fallback_ts: datetime,
    skipped: SkippedLines | None = None,
) -> UsageScan:
    """Events of every billed ``gemini`` message, in first-seen order. A message whose ``tokens`` or
    ``model`` has the wrong type is left out and counted in ``skipped.invalid_usage`` (never read as 0)."""
    scan = UsageScan(session_id=session_id)
    times = [t for m in chat.billed.values() if (t := parse_ts(m.get("timestamp"))) is not None]
    scan.start, scan.end = (min(times), max(times)) if times else (None, None)
    gemini = []
    for m in chat.billed.values():
        if m.get("type") != "gemini":
            continue
        if gemini_tokens_invalid(m.get("tokens"), m.get("model")):
            if skipped is not None:
                note_invalid_usage(skipped, {"uuid": m.get("id"), "timestamp": m.get("timestamp")})
            continue
        gemini.append(m)
    models = [m.get("model") if isinstance(m.get("model"), str) and m.get("model") else None for m in gemini]
    for i, msg in enumerate(gemini):
        tokens = message_tokens(msg)
        if tokens is None:
            scan.requests_without_usage += 1
            continue
        model, approx = _model_at(models, i)
        ts = parse_ts(msg.get("timestamp")) or fallback_ts
        scan.events.append(to_event(tokens, msg["id"], model, ts, approx, session_id, device, str(chat.path)))
    return scan


def _model_at(models: list[str | None], i: int) -> tuple[str, bool]:
    """The message's model; else the nearest earlier (then later) one, flagged approximate."""
    if models[i]:
        return models[i], False  # type: ignore[return-value]
    for m in [*reversed(models[:i]), *models[i + 1 :]]:
        if m:
            return m, True
    return UNKNOWN_MODEL, True


def to_event(
    t: GeminiTokens,
    message_id: str,
    model: str,
    ts: datetime,
    approx: bool,
    session_id: str,
    device: str,
    path: str,
) -> UsageEvent:
    cached = min(t.cached, t.input)
    return UsageEvent(
        agent=AGENT,
        model=model,
        timestamp=ts,
        input_tokens=t.input - cached + t.tool,
        cache_read_tokens=cached,
        output_tokens=t.output + t.thoughts,
        reasoning_tokens=t.thoughts,
        dedup_key=f"gemini:{message_id}",
        model_approximate=approx,
        session_id=session_id,
        device=device,
        source_path=path,
    )


def gemini_columns(e: UsageEvent) -> dict[str, int]:
    """An event back in Gemini's own columns (``input`` includes ``cached``; ``tool`` is folded into
    ``input`` on the event, see ``USAGE_COLUMNS``)."""
    return {
        "input": e.input_tokens + e.cache_read_tokens,
        "cached": e.cache_read_tokens,
        "output": e.output_tokens - e.reasoning_tokens,
        "thoughts": e.reasoning_tokens,
        "total": e.input_tokens + e.cache_read_tokens + e.output_tokens,
    }


def pricing_tokens(e: UsageEvent) -> Tokens:
    """One event in ``daily_report.core.pricing``'s partition (the event already is in it)."""
    return Tokens(e.input_tokens, e.output_tokens, 0, 0, e.cache_read_tokens)


def price_events(
    events: Iterable[UsageEvent],
    *,
    overrides: Mapping[str, PriceOverride] | None = None,
    when: datetime | None = None,
) -> tuple[Decimal | None, list[str]]:
    """(cost in USD, models that could not be priced) of already-deduped events; the cost is None as soon
    as one model is unknown (an unknown preview model is unknown, never $0)."""
    by_model: dict[str, list[Tokens]] = defaultdict(list)
    for e in events:
        by_model[e.model].append(pricing_tokens(e))
    total: Decimal | None = Decimal(0)
    unpriced: list[str] = []
    for model, calls in by_model.items():
        cost = (
            None
            if model == UNKNOWN_MODEL
            else price_many(calls, model=model, provider=PROVIDER, overrides=overrides, when=when)
        )
        if cost is None:
            unpriced.append(model)
            total = None
        elif total is not None:
            total += cost
    return total, sorted(unpriced)


# ------------------------------------------------------------------ per file


def session_id_of(chat: Chat, f: SourceFile) -> str:
    sid = chat.meta.get("sessionId")
    return sid if isinstance(sid, str) and sid else f.path.name.rsplit(".", 1)[0]


def read_gemini_usage(f: SourceFile) -> FileUsage:
    """The usage fast path for one chat file (the whole file is parsed: the format has no cheap skip)."""
    skipped = SkippedLines(path=str(f.path))
    chat = read_chat(f.path, skipped)
    parent = f.parent_session_id
    sid = parent or session_id_of(chat, f)  # a subagent's usage belongs to its parent session
    scan = usage_events(chat, device=f.device, session_id=sid, fallback_ts=_mtime(f), skipped=skipped)
    return FileUsage(
        path=str(f.path),
        agent=AGENT,
        device=f.device,
        session_id=sid,
        parent_session_id=parent,
        is_subagent=f.kind == "subagent" or chat.meta.get("kind") == "subagent",
        events=scan.events,
        start=scan.start,
        end=scan.end,
        skipped=skipped,
    )


def read_gemini_usage_rows(f: SourceFile, field_order: tuple[str, ...]) -> UsageRows:
    """The same usage as plain rows in ``field_order`` (the index's ``sources.types.FIELD_ORDER``)."""
    fu = read_gemini_usage(f)
    return UsageRows(
        path=fu.path,
        agent=AGENT,
        session_id=fu.session_id,
        start=fu.start,
        end=fu.end,
        skipped=fu.skipped,
        rows=[tuple(getattr(e, k) for k in field_order) for e in fu.events],
    )


def _mtime(f: SourceFile) -> datetime:
    return datetime.fromtimestamp(f.mtime_ns / 1e9, tz=UTC)
