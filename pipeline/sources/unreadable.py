"""Why a transcript file cannot be read: a binary head, a corrupt, empty, cut-short or exploding zstd
stream, an OS error; and the one sentence that names such files. Plain functions over bytes and paths,
shared by every reader (``jsonl.open_binary`` calls them)."""

from __future__ import annotations

import io
from pathlib import Path

ZSTD_MAX_RATIO = 100  # JSONL compresses 5-20x: a file expanding 100x more (and past the floor) is a bomb
ZSTD_MIN_LIMIT = 64 << 20
SNIFF_BYTES = 1 << 16


def sniff_binary(head: bytes) -> str | None:
    """``not UTF-8 / binary`` for a file head no transcript can start with: NUL bytes (JSON escapes
    control characters), or bytes that are not UTF-8 where no JSON object starts."""
    if b"\0" in head:
        return "not UTF-8 / binary (NUL bytes)"
    if head.lstrip()[:1] in (b"{", b""):
        return None  # a line with a few bad bytes is read lossily (``parse_line``)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 3 or e.reason != "unexpected end of data":  # not a character cut at the end
            return "not UTF-8 / binary"
    return None


def decompress(path: Path) -> tuple[bytes, str | None]:
    """(what decoded, the problem or None). The size is bounded before anything is kept: the stream is
    first read through and counted in 1 MB pieces, so a zstd bomb costs little time and memory."""
    import zstandard

    raw = path.read_bytes()
    if not raw:
        return b"", "empty zstd file"
    limit = max(ZSTD_MIN_LIMIT, ZSTD_MAX_RATIO * len(raw))
    size = 0
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw))
        while piece := reader.read(1 << 20):
            size += len(piece)
            if size > limit:
                return (
                    b"",
                    f"corrupt zstd: decompresses past {limit >> 20} MB ({len(raw):,} bytes compressed)",
                )
        dobj = zstandard.ZstdDecompressor().decompressobj()
        data = dobj.decompress(raw)
    except zstandard.ZstdError as e:
        return b"", f"corrupt zstd: {e}"
    if not dobj.eof:
        return data, "truncated zstd stream: read what decoded"
    return data, None


def os_error_reason(e: OSError) -> str:
    """``permission denied``, ``no such file`` …: the reason in a few words."""
    if isinstance(e, PermissionError):
        return "permission denied"
    return (e.strerror or type(e).__name__).lower() if e.strerror else f"{type(e).__name__}: {e}"


def unread_text(unread: dict[str, str]) -> str:
    """``2 transcript files could not be read: <path> (corrupt zstd: …); <path> (permission denied)``."""
    files = "1 transcript file" if len(unread) == 1 else f"{len(unread)} transcript files"
    return f"{files} could not be read: " + "; ".join(f"{p} ({why})" for p, why in unread.items())
