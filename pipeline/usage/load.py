"""Usage of many files: unchanged files come from the index, the rest are read (two processes when the
work is big enough) and written back to the index."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import daily_report.sources.agents as agents
import daily_report.sources.usage_rows as usage_rows  # loaded here, before the pool forks: not in each worker
from daily_report.core import log
from daily_report.schemas.transcript import SkippedLines
from daily_report.sources.types import SourceFile
from daily_report.usage.index import FileEvents, UsageIndex, decode, encode, reduce_rows

# below this many bytes to read, a process pool costs more than it saves
POOL_MIN_BYTES = 32 * 1024 * 1024
_WRITE_BATCH = 64
# chunks per worker: more even finishing (the last chunk is ~1/(n·K) of the work) for a little more traffic
CHUNKS_PER_WORKER = 64


def _read_encoded(f: SourceFile) -> bytes | str:
    """Worker: one file's reduced usage as an index blob, or the reason when it cannot be read."""
    from daily_report.sources.unreadable import os_error_reason

    try:
        return encode(reduce_rows(usage_rows.read_usage_rows(f)))
    except OSError as e:
        return os_error_reason(e)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: rows and events hold no cycles, but every collection of the
    oldest generation walks all of them (a few percent of a worker, more in the parent that keeps them)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_chunk(files: list[SourceFile]) -> list[bytes | str]:
    with gc_paused():
        return [_read_encoded(f) for f in files]


def _unreadable(f: SourceFile, error: str) -> FileEvents:
    log.warn(f"cannot read {f.path}: {error}; its usage is not counted")
    skipped = SkippedLines(path=str(f.path), unreadable=error, first_error=f"unreadable: {error}")
    return FileEvents(path=str(f.path), start=None, end=None, skipped=skipped)


def _workers(todo: Sequence[SourceFile], workers: int | None) -> int:
    if workers is not None:
        return workers
    if sum(f.size for f in todo) < POOL_MIN_BYTES or len(todo) < 4:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def chunks_by_bytes(sizes: Sequence[int], n: int) -> list[list[int]]:
    """Indices grouped into chunks, biggest files first. Guided: a chunk is a quarter of each worker's
    share of what is left, and never under ``1 / (CHUNKS_PER_WORKER n)`` of the whole, so the first
    chunks are big (few round trips) and the last ones small (the workers finish together, and the
    results left to decode when the last worker stops are few)."""
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    left = sum(sizes)
    floor = max(1, left // (n * CHUNKS_PER_WORKER))
    out: list[list[int]] = []
    cur: list[int] = []
    acc = 0
    for i in order:
        cur.append(i)
        acc += sizes[i]
        if acc >= max(floor, left // (n * 4)):
            out.append(cur)
            left -= acc
            cur, acc = [], 0
    if cur:
        out.append(cur)
    return out


def _read_all(
    todo: Sequence[SourceFile], n: int, meanwhile: Callable[[], object] | None = None
) -> Iterator[tuple[int, bytes | str]]:
    """(index in ``todo``, blob) as they arrive: the caller decodes while the workers go on reading.
    ``meanwhile`` runs in this process once the workers have their work (before any result is awaited)."""
    if n > 1:  # each agent's usage reader loaded once here, before the fork, not in each worker
        for name in sorted({f.agent for f in todo}, key=agents.rank):
            agents.agent_named(name).preload()
    if n <= 1:
        if meanwhile is not None:
            meanwhile()
        yield from enumerate(map(_read_encoded, todo))
        return
    with ProcessPoolExecutor(max_workers=n) as pool:
        futures = {
            pool.submit(_read_chunk, [todo[i] for i in chunk]): chunk
            for chunk in chunks_by_bytes([f.size for f in todo], n)
        }
        if meanwhile is not None:
            meanwhile()
        for fut in as_completed(futures):
            yield from zip(futures[fut], fut.result(), strict=True)


def _ts(d: datetime | None) -> float | None:
    return None if d is None else d.timestamp()


def in_window(fe: FileEvents, lo: float | None, hi: float | None) -> bool:
    a, b = _ts(fe.start), _ts(fe.end)
    if a is None or b is None:
        return True  # cannot tell: keep it
    return (lo is None or b >= lo) and (hi is None or a <= hi)


def load_file_usages(
    files: Sequence[SourceFile],
    *,
    window: tuple[datetime, datetime] | None = None,
    index_path: Path | None = None,
    workers: int | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> list[FileEvents]:
    """The usage of every file whose lines meet ``window`` (all files without one), in the order given
    (config order matters for dedup). Unchanged files outside the window are not even decoded.
    ``meanwhile`` is called once, while worker processes read (e.g. to import what comes next)."""
    lo, hi = (window[0].timestamp(), window[1].timestamp()) if window else (None, None)
    with UsageIndex(index_path) as idx:
        stored, outside = idx.get_blobs(files, lo=lo, hi=hi)
        todo = [f for f in files if str(f.path) not in stored and str(f.path) not in outside]
        got: dict[str, FileEvents] = {}
        rows = []
        errors: dict[int, str] = {}
        for i, b in _read_all(todo, _workers(todo, workers), meanwhile):
            if isinstance(b, str):
                errors[i] = b
                continue
            fe = got[str(todo[i].path)] = decode(b)
            rows.append((todo[i], b, _ts(fe.start), _ts(fe.end)))
            if len(rows) >= _WRITE_BATCH:  # written while the workers go on (each row stands alone)
                idx.put_blobs(rows)
                rows = []
        for i in sorted(errors):  # warnings in file order, whatever order the workers finished in
            got[str(todo[i].path)] = _unreadable(todo[i], errors[i])
        idx.put_blobs(rows)
    log.progress("usage_files", cached=len(files) - len(todo), read=len(todo), outside_window=len(outside))
    out: list[FileEvents] = []
    for f in files:
        p = str(f.path)
        if p in stored:
            out.append(on_device(decode(stored[p]), f.device))
        elif p in got and in_window(got[p], lo, hi):
            out.append(on_device(got[p], f.device))
    return out


def on_device(fe: FileEvents, device: str) -> FileEvents:
    """The index is keyed by path: the device always comes from today's config, never from the entry. A
    file's events all carry the device it was read with, so the first tells."""
    if not fe.events or fe.events[0].device == device:
        return fe
    return replace(fe, events=[e._replace(device=device) for e in fe.events])
