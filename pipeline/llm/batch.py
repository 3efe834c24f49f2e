"""``--batch``: submit planned requests to the provider's batch API (half price), poll, and put the
validated answers into the cache.

Batch ids and their request keys live in the ``batches`` / ``batch_items`` tables of the cache file, so a
run that finds an open batch resumes polling it and never submits the same keys twice. A batch closes once
each of its answers is stored or failed; answers for requests the caller did not plan keep it open.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from daily_report.core import log
from daily_report.core.errors import LLMError
from daily_report.llm.answer_redaction import AnswerRedactor
from daily_report.llm.answers import AnswerTally, Planned, Sink, accept, answered, custom_id_for
from daily_report.llm.base import BatchStatus, Provider
from daily_report.llm.cache import Cache
from daily_report.llm.ledger import Ledger
from daily_report.llm.retry import RetryPolicy, is_refused_with_hint, is_retryable, status_of, with_retries
from daily_report.llm.types import LLMRequest


@dataclass
class BatchSummary:
    """The outcome of polling: answers stored, failed, and batches still open."""

    polled: list[str] = field(default_factory=list)
    stored: int = 0
    invalid: list[str] = field(default_factory=list)
    errored: list[str] = field(default_factory=list)
    unplanned: int = 0
    open_batches: list[str] = field(default_factory=list)


SUBMITTING = "submitting"  # the status of a batch whose create call has not (yet) returned an id


@dataclass
class Unconfirmed:
    """A batch create that never returned an id (a timeout, a lost connection, a 5xx): the batch may
    exist at the provider and be billed, so its requests are not submitted again unless asked to."""

    placeholder: str
    created: float
    keys: set[str]

    def warning(self, provider_name: str) -> str:
        when = datetime.fromtimestamp(self.created, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"a {provider_name} batch of {len(self.keys)} requests submitted at {when} got no answer: it may "
            f"exist and be billed; check the provider's batch console. Those requests are skipped (pending); "
            "run again with --batch-resubmit to submit them anyway"
        )


def open_batches(cache: Cache, provider_name: str) -> list[str]:
    rows = cache.db.query(
        "SELECT batch_id FROM batches WHERE provider = ? AND closed = 0 AND status != ? ORDER BY created",
        (provider_name, SUBMITTING),
    )
    return [r["batch_id"] for r in rows]


def keys_in_open_batches(cache: Cache, provider_name: str) -> set[str]:
    rows = cache.db.query(
        "SELECT i.key FROM batch_items i JOIN batches b ON b.batch_id = i.batch_id"
        " WHERE b.provider = ? AND b.closed = 0 AND b.status != ?",
        (provider_name, SUBMITTING),
    )
    return {r["key"] for r in rows}


def unconfirmed_submissions(cache: Cache, provider_name: str) -> list[Unconfirmed]:
    """Batch creates of this provider that were started and never confirmed, oldest first."""
    rows = cache.db.query(
        "SELECT b.batch_id, b.created, i.key FROM batches b JOIN batch_items i ON i.batch_id = b.batch_id"
        " WHERE b.provider = ? AND b.status = ? AND b.closed = 0 ORDER BY b.created",
        (provider_name, SUBMITTING),
    )
    out: dict[str, Unconfirmed] = {}
    for r in rows:
        out.setdefault(r["batch_id"], Unconfirmed(r["batch_id"], r["created"], set())).keys.add(r["key"])
    return list(out.values())


def submit_batch(
    provider: Provider,
    requests: Sequence[LLMRequest],
    *,
    cache: Cache,
    policy: RetryPolicy | None = None,
    resubmit: bool = False,
) -> str | None:
    """Submit every request that has no cached answer and is in no open batch; None when there is none.

    The create call is never retried after a timeout, a lost connection or a 5xx (the batch may exist:
    a second one would be billed twice), only after a 429 with retry-after. A "submitting" row holds the
    keys while the call runs; if it never returns an id, later runs warn and skip those keys unless
    ``resubmit``."""
    busy = keys_in_open_batches(cache, provider.name) | _unconfirmed_keys(cache, provider.name, resubmit)
    todo: dict[str, LLMRequest] = {}
    for request in requests:
        key = request.key()
        if key not in busy and key not in todo and not cache.has(key):
            todo[key] = request
    if not todo:
        return None
    lines = [provider.batch_request(r, custom_id_for(r)) for r in todo.values()]
    placeholder = _mark_submitting(cache, provider.name, todo)
    try:
        batch_id = with_retries(
            lambda: provider.submit_batch_lines(lines),
            policy=policy or RetryPolicy(),
            retry_if=partial(is_refused_with_hint, provider=provider),
        )
    except Exception as exc:
        raise _create_failed(exc, cache=cache, provider_name=provider.name, placeholder=placeholder) from exc
    with cache.db.tx() as conn:
        conn.execute(
            "UPDATE batches SET batch_id = ?, status = ? WHERE batch_id = ?",
            (batch_id, "submitted", placeholder),
        )
        conn.execute("UPDATE batch_items SET batch_id = ? WHERE batch_id = ?", (batch_id, placeholder))
    log.progress("batch_submitted", batch_id=batch_id, provider=provider.name, requests=len(todo))
    return batch_id


def _unconfirmed_keys(cache: Cache, provider_name: str, resubmit: bool) -> set[str]:
    found = unconfirmed_submissions(cache, provider_name)
    if resubmit:
        _forget(cache, [u.placeholder for u in found])
        return set()
    for u in found:
        log.warn(u.warning(provider_name))
    return {k for u in found for k in u.keys}


def _mark_submitting(cache: Cache, provider_name: str, todo: Mapping[str, LLMRequest]) -> str:
    placeholder = f"{SUBMITTING}-{uuid.uuid4().hex}"
    with cache.db.tx() as conn:
        conn.execute(
            "INSERT INTO batches (batch_id, provider, created, status) VALUES (?,?,?,?)",
            (placeholder, provider_name, time.time(), SUBMITTING),
        )
        conn.executemany(
            "INSERT INTO batch_items (custom_id, batch_id, key, request) VALUES (?,?,?,?)",
            [(custom_id_for(r), placeholder, k, r.model_dump_json().encode()) for k, r in todo.items()],
        )
    return placeholder


def _create_failed(exc: BaseException, *, cache: Cache, provider_name: str, placeholder: str) -> LLMError:
    """The error for a failed create; a refused one (4xx) forgets its "submitting" row."""
    what = f"{type(exc).__name__}: {exc}"[:300]
    if _refused(exc):  # the server said no: nothing was created
        _forget(cache, [placeholder])
        return LLMError(f"{provider_name} refused the batch ({what}); nothing was submitted")
    return LLMError(
        f"{provider_name} batch submission got no answer ({what}); it was not retried because the batch may "
        "exist and be billed: check the provider's batch console, then run again (add --batch-resubmit "
        "to submit those requests anyway)"
    )


def _refused(exc: BaseException) -> bool:
    """A 4xx answer: the server refused the create, so no batch exists."""
    code = status_of(exc)
    return code is not None and 400 <= code < 500 and code != 408


def _forget(cache: Cache, placeholders: Sequence[str]) -> None:
    with cache.db.tx() as conn:
        for p in placeholders:
            conn.execute("DELETE FROM batch_items WHERE batch_id = ?", (p,))
            conn.execute("DELETE FROM batches WHERE batch_id = ?", (p,))


def poll_batches(
    provider: Provider,
    *,
    cache: Cache,
    requests_by_custom_id: Mapping[str, Planned],
    ledger: Ledger | None = None,
    run_id: str = "",
    date: str | None = None,
    redactor: AnswerRedactor | None = None,
    on_progress: Callable[[BatchStatus], None] | None = None,
    interval_s: float = 30.0,
    max_wait_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    policy: RetryPolicy | None = None,
) -> BatchSummary:
    """Poll this provider's open batches until they end (or ``max_wait_s``), then store their answers."""
    summary = BatchSummary()
    waiting = open_batches(cache, provider.name)
    started = time.monotonic()
    sink = Sink(cache=cache, ledger=ledger, run_id=run_id, date=date, batch=True, redactor=redactor)
    retry = policy or RetryPolicy(sleep=sleep)
    while waiting:
        for batch_id in list(waiting):
            status = with_retries(
                partial(provider.batch_status, batch_id),
                policy=retry,
                retry_if=partial(is_retryable, provider=provider),
            )
            _set_status(cache, batch_id, status.status)
            if on_progress is not None:
                on_progress(status)
            log.progress(
                "batch_poll",
                batch_id=batch_id,
                status=status.status,
                succeeded=status.succeeded,
                errored=status.errored,
                processing=status.processing,
            )
            if status.done:
                waiting.remove(batch_id)
                summary.polled.append(batch_id)
                lines = with_retries(
                    partial(_results, provider, batch_id),
                    policy=retry,
                    retry_if=partial(is_retryable, provider=provider),
                )
                _collect(provider, batch_id, lines, planned=requests_by_custom_id, sink=sink, summary=summary)
        if waiting and max_wait_s is not None and time.monotonic() - started >= max_wait_s:
            break
        if waiting:
            sleep(interval_s)
    summary.open_batches = open_batches(cache, provider.name)
    return summary


def _collect(
    provider: Provider,
    batch_id: str,
    lines: list[dict[str, Any]],
    *,
    planned: Mapping[str, Planned],
    sink: Sink,
    summary: BatchSummary,
) -> None:
    tally, cache = AnswerTally(), sink.cache
    items = {
        r["custom_id"]
        for r in cache.db.query("SELECT custom_id FROM batch_items WHERE batch_id = ?", (batch_id,))
    }
    unplanned = 0
    for line in lines:
        custom_id, answer = provider.parse_batch_line(line)
        pair = planned.get(custom_id)
        if custom_id not in items:
            tally.unknown.append(custom_id)
        elif pair is None:
            unplanned += 1
        elif not answered(cache, pair):
            accept(sink, pair, answer=answer, tally=tally)
    summary.stored += tally.stored
    summary.invalid += tally.invalid
    summary.errored += tally.errored
    summary.unplanned += unplanned
    if unplanned == 0:
        with cache.db.tx() as conn:
            conn.execute("UPDATE batches SET closed = 1 WHERE batch_id = ?", (batch_id,))
    else:
        log.warn(
            f"batch {batch_id}: {unplanned} answers belong to requests this run did not plan; "
            "the batch stays open until a run plans them"
        )


def _results(provider: Provider, batch_id: str) -> list[dict[str, Any]]:
    return list(provider.batch_results(batch_id))


def _set_status(cache: Cache, batch_id: str, status: str) -> None:
    with cache.db.tx() as conn:
        conn.execute("UPDATE batches SET status = ? WHERE batch_id = ?", (status, batch_id))
