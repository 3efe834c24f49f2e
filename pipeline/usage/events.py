"""A light, read-only twin of ``daily_report.schemas.transcript.UsageEvent`` for the hot path.

Tens of thousands of events come out of the index on every run; building pydantic objects for them costs
more than the rest of a warm run. ``Ev`` has the same attribute names and properties, so dedup and
aggregation accept either (``EventLike``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple, Protocol

from daily_report.schemas.transcript import Agent, UsageEvent


class EventLike(Protocol):
    @property
    def agent(self) -> Agent: ...
    @property
    def model(self) -> str: ...
    @property
    def timestamp(self) -> datetime: ...
    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_write_5m_tokens(self) -> int: ...
    @property
    def cache_write_1h_tokens(self) -> int: ...
    @property
    def cache_read_tokens(self) -> int: ...
    @property
    def cached_input_tokens(self) -> int: ...
    @property
    def reasoning_tokens(self) -> int: ...
    @property
    def dedup_key(self) -> str | None: ...
    @property
    def is_sidechain(self) -> bool: ...
    @property
    def model_approximate(self) -> bool: ...
    @property
    def session_id(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def source_path(self) -> str: ...
    @property
    def cache_write_tokens(self) -> int: ...
    @property
    def line_total(self) -> int: ...


class Ev(NamedTuple):
    agent: Agent
    model: str
    timestamp: datetime
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    cache_read_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    dedup_key: str | None = None
    is_sidechain: bool = False
    model_approximate: bool = False
    session_id: str = ""
    device: str = ""
    source_path: str = ""

    @property
    def cache_write_tokens(self) -> int:
        return self[5] + self[6]  # cache_write_5m_tokens + cache_write_1h_tokens

    @property
    def line_total(self) -> int:
        return self[3] + self[4] + self[5] + self[6] + self[7]  # input, output, both writes, read

    def to_event(self) -> UsageEvent:
        return UsageEvent(**self._asdict())


FIELDS: tuple[str, ...] = Ev._fields  # tests check that these mirror UsageEvent's fields
TS_INDEX = FIELDS.index("timestamp")
_FIELD_SET = set(FIELDS)
SESSION_INDEX = FIELDS.index("session_id")  # session_id, device, source_path: the last three fields


def from_event(e: EventLike) -> Ev:
    if isinstance(e, Ev):
        return e
    d = getattr(e, "__dict__", None)
    if d is not None and d.keys() == _FIELD_SET:  # a UsageEvent: its fields are its __dict__
        return Ev(**d)
    return Ev(*(getattr(e, k) for k in FIELDS))


def with_origin(e: Any, first: Any) -> Any:
    """``e`` (the kept line) placed where ``first`` (the key's first line) was: time, device, session, file."""
    if isinstance(e, Ev):  # by position (session_id, device, source_path are last): _replace costs more
        origin = (
            first.timestamp,
            *e[TS_INDEX + 1 : SESSION_INDEX],
            first.session_id,
            first.device,
            first.source_path,
        )
        return Ev._make((*e[:TS_INDEX], *origin))
    update = {
        "timestamp": first.timestamp,
        "device": first.device,
        "session_id": first.session_id,
        "source_path": first.source_path,
    }
    return e.model_copy(update=update)
