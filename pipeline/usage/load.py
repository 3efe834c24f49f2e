"""Usage of many files: unchanged files come from the index, the rest are read (two processes when the
work is big enough) and written back to the index."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from pipeline import log
from pipeline.sources.types import SourceFile
from pipeline.usage.index import FileEvents, UsageIndex, decode, encode, reduce_file
from schemas.transcript import SkippedLines

# below this many bytes to read, a process pool costs more than it saves
POOL_MIN_BYTES = 32 * 1024 * 1024


def _read_encoded(f: SourceFile) -> bytes | str:
    """Worker: one file's reduced usage as an index blob, or the error text when it cannot be read."""
    from pipeline.sources import read_file_usage

    try:
        return encode(reduce_file(read_file_usage(f)))
    except OSError as e:
        return f"{type(e).__name__}: {e}"


def _unreadable(f: SourceFile, error: str) -> FileEvents:
    log.warn(f"cannot read {f.path}: {error}; its usage is not counted")
    skipped = SkippedLines(path=str(f.path), first_error=f"unreadable: {error}")
    return FileEvents(path=str(f.path), start=None, end=None, skipped=skipped)


def _workers(todo: Sequence[SourceFile], workers: int | None) -> int:
    if workers is not None:
        return workers
    if sum(f.size for f in todo) < POOL_MIN_BYTES or len(todo) < 4:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def load_file_usages(
    files: Sequence[SourceFile], *, index_path: Path | None = None, workers: int | None = None
) -> list[FileEvents]:
    """The usage of every file, in the order given (config order matters for dedup)."""
    with UsageIndex(index_path) as idx:
        blobs: dict[str, bytes | str] = dict(idx.get_blobs(files))
        todo = [f for f in files if str(f.path) not in blobs]
        n = _workers(todo, workers)
        if n > 1:
            with ProcessPoolExecutor(max_workers=n) as pool:
                fresh = list(pool.map(_read_encoded, todo, chunksize=max(1, len(todo) // (n * 16))))
        else:
            fresh = [_read_encoded(f) for f in todo]
        idx.put_blobs((f, b) for f, b in zip(todo, fresh, strict=True) if isinstance(b, bytes))
        blobs.update((str(f.path), b) for f, b in zip(todo, fresh, strict=True))
    log.progress("usage_files", cached=len(files) - len(todo), read=len(todo))
    out: list[FileEvents] = []
    for f in files:
        b = blobs[str(f.path)]
        out.append(decode(b) if isinstance(b, bytes) else _unreadable(f, b))
    return out
