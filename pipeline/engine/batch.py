"""Answers that come from outside the live executor: ``--batch`` (the provider's batch API) and
``--import-results`` (a result file run elsewhere). Both put validated answers into the cache (and rows
into the ledger); the executor then finds them there.

``--batch`` first resumes polling any batch a previous run left open (its ids are in the cache file), then
submits the chunk-stage requests that have no answer and are in no open batch (never twice), polls until
the batch ends, and stores its answers. What a batch could not answer is sent live afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from daily_report.core import log
from daily_report.engine.bundle import BundledPlanned, Bundler, Unit
from daily_report.engine.plan import Planned

POLL_INTERVAL_S = 30.0
POLL_MAX_WAIT_S: float | None = None  # None: poll until the batch ends (Ctrl-C is safe: the ids are stored)


def _units(planned: Sequence[Planned], cache: Any, bundler: Bundler | None) -> list[Unit]:
    """What is sent for the unanswered requests (bundled as the executor would bundle them)."""
    missing = _missing(cache, planned)
    todo = [p for p in planned if p.key in missing]
    return list(todo) if bundler is None else bundler.units(todo)


def _pairs(planned: Sequence[Planned], units: Sequence[Unit] = ()) -> dict[str, Any]:
    """Every single-stage request, and the bundled ones, by custom_id (a result file may hold either)."""
    from daily_report.llm.answers import by_custom_id

    singles = [(p.request, p.output_model) for p in planned]
    return by_custom_id([*singles, *(u.bundle() for u in units if isinstance(u, BundledPlanned))])


def _missing(cache: Any, planned: Sequence[Planned]) -> set[str]:
    return {p.key for p in planned if not cache.has(p.key)}


def run_batch(
    planned: Sequence[Planned],
    *,
    provider: Any,
    cache: Any,
    ledger: Any,
    run_id: str,
    date: str,
    resubmit: bool = False,
    redactor: Any = None,
    bundler: Bundler | None = None,
) -> tuple[set[str], set[str]]:
    """Resume open batches, submit what is unanswered, poll until done (or POLL_MAX_WAIT_S).

    Returns (the keys answered here, the keys still in a running batch or in a submission that never got
    an answer: they must not be sent live). ``resubmit`` submits the latter again."""
    from daily_report.llm.batch import (
        keys_in_open_batches,
        poll_batches,
        submit_batch,
        unconfirmed_submissions,
    )

    before = _missing(cache, planned)
    units = _units(planned, cache, bundler)
    pairs = _pairs(planned, units)

    def poll() -> Any:
        return poll_batches(
            provider,
            cache=cache,
            requests_by_custom_id=pairs,
            ledger=ledger,
            run_id=run_id,
            date=date,
            interval_s=POLL_INTERVAL_S,
            max_wait_s=POLL_MAX_WAIT_S,
            redactor=redactor,
        )

    poll()  # a batch left open by an interrupted run: its answers first, so nothing is submitted twice
    units = _units(planned, cache, bundler)  # what is still unanswered after that
    pairs.update(_pairs(planned, units))
    batch_id = submit_batch(provider, [u.request for u in units], cache=cache, resubmit=resubmit)
    if batch_id is not None:
        summary = poll()
        for problem in [*summary.invalid, *summary.errored]:
            log.warn(f"batch answer not usable, it will be sent live: {problem}")
    unconfirmed = {k for u in unconfirmed_submissions(cache, provider.name) for k in u.keys}
    busy = keys_in_open_batches(cache, provider.name) | unconfirmed
    busy |= {p.key for u in units if isinstance(u, BundledPlanned) and u.key in busy for p in u.members}
    running = busy & _missing(cache, planned)
    if running:
        log.progress("batch_running", requests=len(running))
    return before - _missing(cache, planned), running


def import_answers(
    path: Path,
    planned: Sequence[Planned],
    *,
    cache: Any,
    ledger: Any,
    run_id: str,
    date: str,
    redactor: Any = None,
    bundler: Bundler | None = None,
) -> set[str]:
    """Read the answers for ``planned`` from a batch result file into the cache; the keys stored. A line
    may answer one stage's request or a bundled one (grouped as the export grouped them)."""
    from daily_report.llm.exchange import import_results

    before = _missing(cache, planned)
    if not before:
        return set()
    summary = import_results(
        path,
        cache=cache,
        requests_by_custom_id=_pairs(planned, _units(planned, cache, bundler)),
        ledger=ledger,
        run_id=run_id,
        date=date,
        redactor=redactor,
    )
    for problem in [*summary.invalid, *summary.errored]:
        log.warn(f"imported answer not usable, the request stays pending: {problem}")
    return before - _missing(cache, planned)


def export_pending(
    path: Path, planned: Sequence[Planned], *, provider: Any, cache: Any, bundler: Bundler | None = None
) -> int:
    """Write the unanswered requests as batch request lines (a chunk's stages as one bundled line, as a
    live run would send them); how many were written."""
    from daily_report.llm.exchange import export_requests

    units = _units(planned, cache, bundler)
    n: int = export_requests(provider, [u.request for u in units], path, cache=cache)
    log.progress("exported", path=str(path), requests=n)
    return n
