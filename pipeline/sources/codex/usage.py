"""Codex usage events from ``token_count`` rows: the delta rule of transcript-formats.md §2.8.

Per file, in order: skip ``info: null``; skip a row whose cumulative ``total_token_usage`` equals the
previous one (a re-emit); the first row counts whole; later rows count ``total - previous`` when every
component grew, else ``last_token_usage`` (counter reset). Forks and subagent children (§2.7) replay the
parent's history first: rows in that replayed prefix only set the baseline.

The replayed prefix ends at the first ``turn_context`` or ``user_message`` stamped in a later second
than the fork itself (the child's ``session_meta`` time); replays keep older stamps or are re-stamped
to the fork second, so both variants fall inside the prefix.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from daily_report.schemas.transcript import UsageEvent
from daily_report.sources.text import parse_ts
from daily_report.sources.usage_checks import codex_tokens_invalid as tokens_invalid

FALLBACK_MODEL = "gpt-5"
_KEYS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")

Tokens = tuple[int, int, int, int]


def _tokens(obj: Any) -> Tokens | None:
    if not isinstance(obj, dict):
        return None
    vals = [obj.get(k, 0) for k in _KEYS]
    return tuple(v if isinstance(v, int) and v > 0 else 0 for v in vals)  # type: ignore[return-value]


def parent_of(meta: dict[str, Any]) -> str | None:
    """The parent thread of a fork or subagent child, from its session_meta."""
    for key in ("forked_from_id", "parent_thread_id"):
        if isinstance(meta.get(key), str) and meta[key]:
            return str(meta[key])
    source = meta.get("source")
    if isinstance(source, dict):
        sub = source.get("subagent")
        spawn = sub.get("thread_spawn") if isinstance(sub, dict) else None
        if isinstance(spawn, dict) and isinstance(spawn.get("parent_thread_id"), str):
            return str(spawn["parent_thread_id"])
        if sub is not None:
            return ""  # a child whose parent id is not recorded
    return None


class CodexUsage:
    """Feeds on the records of one rollout in order and emits one UsageEvent per counted row."""

    def __init__(self, *, device: str, path: str) -> None:
        self.device = device
        self.path = path
        self.session_id = ""
        self.parent_session_id: str | None = None
        self.model: str | None = None
        self.events: list[UsageEvent] = []
        self.invalid = 0  # token_count rows with values of the wrong type: not counted
        self._prev: Tokens | None = None
        self._in_prefix = False
        self._fork_second: datetime | None = None
        self._seen_meta = False

    @property
    def in_prefix(self) -> bool:
        """True while reading a fork's replayed parent history."""
        return self._in_prefix

    def on_meta(self, payload: dict[str, Any], ts: datetime | None) -> None:
        if self._seen_meta:
            return  # a second session_meta is the parent's (forks)
        self._seen_meta = True
        if isinstance(payload.get("id"), str):
            self.session_id = payload["id"]
        parent = parent_of(payload)
        if parent is not None:
            self.parent_session_id = parent or None
            self._in_prefix = True
            when = parse_ts(payload.get("timestamp")) or ts
            self._fork_second = when.replace(microsecond=0) if when else None

    def on_turn_start(self, ts: datetime | None) -> None:
        """A turn_context or user_message: may end a fork's replayed prefix."""
        if not self._in_prefix:
            return
        if self._fork_second is None or (ts is not None and ts.replace(microsecond=0) > self._fork_second):
            self._in_prefix = False

    def on_turn_context(self, payload: dict[str, Any], ts: datetime | None) -> None:
        model = payload.get("model")
        if not isinstance(model, str) or not model:
            mode = payload.get("collaboration_mode")
            settings = mode.get("settings") if isinstance(mode, dict) else None
            model = settings.get("model") if isinstance(settings, dict) else None
        if isinstance(model, str) and model:
            self.model = model
        self.on_turn_start(ts)

    def on_token_count(self, payload: dict[str, Any], ts: datetime) -> UsageEvent | None:
        info = payload.get("info")
        if not isinstance(info, dict):
            return None
        if tokens_invalid(info.get("total_token_usage")) or tokens_invalid(info.get("last_token_usage")):
            self.invalid += 1
            return None
        total = _tokens(info.get("total_token_usage"))
        if total is None:
            return None
        prev = self._prev
        if prev is not None and total == prev:
            return None  # re-emit
        self._prev = total
        if self._in_prefix:
            return None  # replayed parent history: baseline only
        if prev is None:
            delta = total
        elif all(t >= p for t, p in zip(total, prev, strict=True)):
            delta = tuple(t - p for t, p in zip(total, prev, strict=True))  # type: ignore[assignment]
        else:
            delta = _tokens(info.get("last_token_usage")) or (0, 0, 0, 0)
        if not any(delta):
            return None
        return self._event(delta, ts)

    def _event(self, delta: Tokens, ts: datetime) -> UsageEvent:
        model = self.model or FALLBACK_MODEL
        inp, cached, out, reasoning = delta
        ev = UsageEvent(
            agent="codex",
            model=model,
            timestamp=ts,
            input_tokens=inp,
            cached_input_tokens=min(cached, inp),
            output_tokens=out,
            reasoning_tokens=min(reasoning, out),
            dedup_key=f"codex:{ts.isoformat()}:{model}:{inp}:{cached}:{out}:{reasoning}",
            model_approximate=self.model is None,
            session_id=self.session_id,
            device=self.device,
            source_path=self.path,
        )
        self.events.append(ev)
        return ev

    def state(self) -> UsageState:
        """What the rows after these depend on (not the events): to go on with a grown file."""
        return UsageState(
            self.session_id,
            self.parent_session_id,
            self.model,
            self.invalid,
            self._prev,
            self._in_prefix,
            self._fork_second,
            self._seen_meta,
        )

    def restore(self, state: UsageState) -> None:
        self.session_id, self.parent_session_id, self.model, self.invalid = state[:4]
        self._prev, self._in_prefix, self._fork_second, self._seen_meta = state[4:]


class UsageState(NamedTuple):
    session_id: str
    parent_session_id: str | None
    model: str | None
    invalid: int
    prev: Tokens | None
    in_prefix: bool
    fork_second: datetime | None
    seen_meta: bool
